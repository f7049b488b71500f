"""The click-to-measure page of ``depthlm serve``, driven in a real browser (Debian's chromium via
Playwright) against the real server and the embedded model.

Each answer the page shows is checked against the same request sent to the API directly.
Screenshots go to ``tmp_path`` (and to ``$DEPTHLM_SHOTS`` when set, to look at them).
"""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from matplotlib import colormaps
from PIL import Image

from tests.serving.live import running

pytestmark = pytest.mark.slow

try:
    from playwright import sync_api
except ImportError:  # reported by chromium_path(): skipped, or failed in CI
    sync_api = None


# ------------------------------------------------------------------ server and browser helpers
@contextmanager
def running_server(config: Any = None) -> Iterator[str]:
    """The embedded model (or ``config``) served on a free port; yields the base URL."""
    from depthlm.serving.app import create_app
    from depthlm.serving.config import ServeConfig

    with running(create_app(config or ServeConfig(model="embedded")), timeout=300) as (base, _):
        yield base


def chromium_path() -> str:
    """Debian's chromium (and the Playwright package to drive it); the tests are skipped
    without them, or failed when DEPTHLM_REQUIRE_BROWSER=1 (CI)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    missing = None
    if sync_api is None:
        missing = "the playwright package is not installed (pip install playwright)"
    elif not Path(path).is_file():
        missing = "chromium not found: install it with `apt-get install chromium`"
    if missing:
        if os.environ.get("DEPTHLM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{missing} (DEPTHLM_REQUIRE_BROWSER=1)")
        pytest.skip(f"{missing} to run the page tests")
    return path


def shot(page: Any, folder: Path, name: str) -> Path:
    """Screenshot to ``folder`` and, when ``$DEPTHLM_SHOTS`` is set, a copy there."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("DEPTHLM_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def make_photo(
    path: Path, size: tuple[int, int] = (320, 240), fmt: str = "PNG", **save: Any
) -> Path:
    """A photo-like test image: colour gradients, a checker floor and a dark box."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack(
        [
            xx * 200 // max(w - 1, 1) + 30,
            yy * 180 // max(h - 1, 1) + 40,
            np.where((xx * 8 // w + yy * 6 // h) % 2 == 0, 190, 90),
        ],
        -1,
    ).astype(np.uint8)
    img[h // 4 : h // 2, w // 3 : w // 2] = (40, 40, 60)
    Image.fromarray(img).save(path, fmt, **save)
    return path


def data_url(path: Path) -> str:
    mime = "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


def post(base: str, route: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = httpx.post(f"{base}{route}", json=body, timeout=300.0)
    assert resp.status_code == 200, resp.text
    return resp.json()


def back_project(x: float, y: float, metres: float, intrinsics: list[float]) -> np.ndarray:
    """The point ``metres`` from the camera centre along pixel (x, y)'s ray (OpenCV frame)."""
    fx, fy, cx, cy = intrinsics[:4]
    ray = np.array([(x - cx) / fx, (y - cy) / fy, 1.0])
    return metres * ray / np.linalg.norm(ray)


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_server() as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return make_photo(tmp_path / "scene.png")


def open_photo(page: Any, path: Path) -> None:
    """Pick ``path`` with the file input; wait until the page holds it (a previous photo may
    still be showing while the file is read)."""
    page.set_input_files("#file", str(path))
    page.wait_for_function("(url) => window.depthlm.state.dataUrl === url", arg=data_url(path))


def click_pixel(page: Any, fx: float, fy: float) -> tuple[int, int]:
    """Click at fraction (fx, fy) of the displayed photo; return the stored pixel it should be."""
    box = page.locator("#photo").bounding_box()
    w, h = page.evaluate("[window.depthlm.state.width, window.depthlm.state.height]")
    px, py = fx * box["width"], fy * box["height"]
    page.locator("#photo").click(position={"x": px, "y": py})
    return int(px / box["width"] * w), int(py / box["height"] * h)


def near(got: tuple[int, int], want: tuple[int, int], scale: float = 1.0) -> bool:
    """Same pixel, give or take the browser's rounding of the click to a whole CSS pixel
    (``scale`` stored pixels per CSS pixel)."""
    tol = int(scale) + 1
    return abs(got[0] - want[0]) <= tol and abs(got[1] - want[1]) <= tol


def label_data(label: Any) -> tuple[int, int, float, str]:
    return (
        int(label.get_attribute("data-x")),
        int(label.get_attribute("data-y")),
        float(label.get_attribute("data-metres")),
        label.inner_text(),
    )


# ------------------------------------------------------------------ tests
def test_click_measures_what_the_api_answers(page, server, photo, tmp_path):
    open_photo(page, photo)
    page.fill("#focal", "300")
    want = click_pixel(page, 0.31, 0.52)
    label = page.locator(".label").first
    label.wait_for()
    x, y, metres, text = label_data(label)
    assert near((x, y), want)
    assert page.locator(".marker").count() == 1

    direct = post(
        server,
        "/v1/measure",
        {"image": data_url(photo), "points": [[x, y]], "focal": 300, "task": "distance"},
    )
    expected = direct["answers"][0]["metres"]
    assert expected is not None
    assert abs(metres - expected) <= 0.005
    assert text.strip() == f"{expected:.2f} m"

    info = page.locator("#focal-info")
    assert info.is_visible()
    assert "300 px" in info.inner_text() and "entered" in info.inner_text()
    assert page.locator("#error").is_hidden()
    page.wait_for_selector("#status", state="hidden")
    shot(page, tmp_path, "desktop_point")


def test_point_at_the_edge_is_labelled_not_measured(page, server, photo):
    open_photo(page, photo)
    page.check("#mode-two")
    click_pixel(page, 0.005, 0.5)  # too close to the border for the marker the model needs
    click_pixel(page, 0.5, 0.5)
    page.locator(".label").nth(1).wait_for()
    edge = page.locator(".label").first
    assert edge.get_attribute("data-metres") == ""
    assert "edge" in edge.inner_text()
    assert "unavailable" in page.locator("#two-point-result").inner_text()
    assert page.locator("#error").is_hidden()


def test_two_point_mode_shows_the_3d_distance(page, server, photo, tmp_path):
    open_photo(page, photo)
    page.fill("#focal", "300")
    page.check("#mode-two")
    a = click_pixel(page, 0.15, 0.2)
    assert page.locator(".marker").count() == 1
    b = click_pixel(page, 0.85, 0.8)
    result = page.locator("#two-point-result")
    page.wait_for_selector("#two-point-result[data-metres]")
    labels = page.locator(".label")
    assert labels.count() == 2
    got = [label_data(labels.nth(i))[:2] for i in range(2)]
    assert near(got[0], a) and near(got[1], b)
    a, b = got  # the pixels the page sent
    assert page.locator("#lines line").count() >= 1

    direct = post(
        server,
        "/v1/measure",
        {"image": data_url(photo), "points": [list(a), list(b)], "focal": 300},
    )
    ma, mb = (ans["metres"] for ans in direct["answers"])
    pa = back_project(*a, ma, direct["intrinsics"])
    pb = back_project(*b, mb, direct["intrinsics"])
    expected = float(np.linalg.norm(pa - pb))
    shown = re.search(r"3D distance: ([0-9.]+) m", result.inner_text())
    assert shown, result.inner_text()
    assert abs(float(shown.group(1)) - expected) <= 0.005
    assert float(result.get_attribute("data-metres")) == pytest.approx(expected, abs=1e-6)
    shot(page, tmp_path, "desktop_two_point")


def test_depth_map_overlay_colour_bar_cloud_and_downloads(page, server, photo, tmp_path):
    open_photo(page, photo)
    page.fill("#focal", "300")
    page.click("#depth-btn")
    status = page.locator("#status")
    assert status.is_visible() and "depth map" in status.inner_text()  # it takes seconds
    page.wait_for_selector("#overlay", state="visible", timeout=300_000)
    page.wait_for_function("() => document.getElementById('overlay').naturalWidth > 0")
    assert page.evaluate("document.getElementById('overlay').naturalWidth") == 320
    assert page.locator("#error").is_hidden()

    # Colour bar: the same turbo as the server's overlay (matplotlib's), lo on the left.
    samples = page.evaluate(
        """() => { const c = document.getElementById('colourbar');
                   const ctx = c.getContext('2d');
                   const at = (t) => Math.round(t * (c.width - 1));
                   return [0, 0.25, 0.5, 0.75, 1].map((t) =>
                     Array.from(ctx.getImageData(at(t), 0, 1, 1).data).slice(0, 3)); }"""
    )
    want = colormaps["turbo"]([0, 0.25, 0.5, 0.75, 1])[:, :3] * 255
    assert np.abs(np.array(samples) - want).max() <= 12, samples
    lo, hi = (page.locator(s).inner_text() for s in ("#cb-lo", "#cb-hi"))
    assert re.fullmatch(r"[0-9.]+ m", lo) and re.fullmatch(r"[0-9.]+ m", hi)
    assert float(lo.split()[0]) <= float(hi.split()[0])

    # Downloads are Blob URLs holding the server's files.
    for sel, magic in (("#dl-ply", b"ply"), ("#dl-png", b"\x89PNG")):
        href = page.get_attribute(sel, "href")
        assert href and href.startswith("blob:")
        head = page.evaluate(
            "async (u) => Array.from(new Uint8Array("
            "await (await fetch(u)).arrayBuffer()).slice(0, 4))",
            href,
        )
        assert bytes(head).startswith(magic)

    # The point cloud is drawn, and dragging turns it.
    cloud = page.locator("#cloud")
    assert int(cloud.get_attribute("data-points")) > 1000
    pixels = """() => { const c = document.getElementById('cloud');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lit = 0, sum = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i] + d[i + 1] + d[i + 2] > 120) lit++; sum += (i >> 2) * d[i]; }
        return [lit, sum]; }"""
    page.wait_for_function(pixels.replace("return [lit, sum];", "return lit > 500;"))
    before = page.evaluate(pixels)
    cloud.scroll_into_view_if_needed()
    box = cloud.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 20, steps=5)
    page.mouse.up()
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(200)
    view = page.evaluate("window.depthlm.cloudView.view")
    assert view["yaw"] != 0 and view["zoom"] > 1
    assert page.evaluate(pixels) != before

    page.fill("#opacity", "30")
    assert page.evaluate("getComputedStyle(document.getElementById('overlay')).opacity") == "0.3"
    shot(page, tmp_path, "desktop_depth")


def test_dropping_a_photo_loads_its_original_bytes(page, server, photo):
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
            const target = document.getElementById('drop');
            for (const type of ['dragenter', 'dragover', 'drop']) {
              target.dispatchEvent(new DragEvent(type,
                { bubbles: true, cancelable: true, dataTransfer: dt }));
            } }""",
        base64.b64encode(photo.read_bytes()).decode(),
    )
    page.wait_for_selector("#stage", state="visible")
    page.wait_for_function("() => window.depthlm.state.dataUrl !== null")
    assert page.evaluate("window.depthlm.state.dataUrl") == data_url(photo)  # EXIF and all
    assert "dragging" not in (page.get_attribute("#drop", "class") or "")
    click_pixel(page, 0.5, 0.5)
    page.locator(".label").first.wait_for()
    assert page.locator("#error").is_hidden()


def test_server_and_network_errors_are_shown(page, server, photo, tmp_path):
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1), (128, 128, 128)).save(tiny)
    direct = httpx.post(
        f"{server}/v1/measure", json={"image": data_url(tiny), "points": [[0, 0]]}, timeout=60
    )
    assert direct.status_code == 400
    message = direct.json()["error"]["message"]

    open_photo(page, tiny)
    page.locator("#photo").click()
    error = page.locator("#error")
    error.wait_for(state="visible")
    assert message in error.inner_text()
    assert error.get_attribute("role") == "alert"
    assert page.locator(".marker").count() == 0  # the failed point's marker is taken back
    shot(page, tmp_path, "error_server")

    # A good request clears it.
    open_photo(page, photo)
    click_pixel(page, 0.5, 0.5)
    page.locator(".label").first.wait_for()
    assert error.is_hidden()

    # A network failure is shown too.
    page.route("**/v1/measure", lambda route: route.abort())
    click_pixel(page, 0.4, 0.4)
    error.wait_for(state="visible")
    assert "Network error" in error.inner_text()
    shot(page, tmp_path, "error_network")


def test_asks_for_the_api_key_on_401_and_resends_it(page, server, photo):
    # The key check is the server's; here only the page's side: a 401 → prompt → Bearer resend.
    seen: list[str | None] = []

    def gate(route: Any) -> None:
        auth = route.request.headers.get("authorization")
        seen.append(auth)
        if auth != "Bearer sekrit":
            body = (
                '{"error": {"message": "missing or wrong API key", "type": "authentication_error"}}'
            )
            route.fulfill(status=401, content_type="application/json", body=body)
        else:
            route.continue_()

    prompts: list[str] = []

    def answer(dialog: Any) -> None:
        prompts.append(dialog.message)
        dialog.accept("sekrit")

    page.on("dialog", answer)
    page.route("**/v1/measure", gate)
    open_photo(page, photo)
    click_pixel(page, 0.5, 0.5)
    page.locator(".label").first.wait_for()
    click_pixel(page, 0.6, 0.5)
    page.locator(".label").nth(1).wait_for()
    assert len(prompts) == 1  # asked once, then kept in memory
    assert seen == [None, "Bearer sekrit", "Bearer sekrit"]
    assert page.locator("#error").is_hidden()


def test_phone_viewport_fits_and_maps_clicks_to_original_pixels(browser, server, tmp_path):
    big = make_photo(tmp_path / "big.jpg", (1200, 900), "JPEG", quality=90)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        page.goto(server)
        open_photo(page, big)
        box = page.locator("#photo").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["width"] < 1200  # scaled down to fit
        want = click_pixel(page, 0.9, 0.3)  # near the right edge: the label must open leftwards
        label = page.locator(".label").first
        label.wait_for()
        x, y, _, _ = label_data(label)
        assert near((x, y), want, scale=1200 / box["width"]) and x > 1000
        lbox = label.bounding_box()
        assert lbox["x"] >= 0 and lbox["x"] + lbox["width"] <= 390
        # The server assumed a focal (a PNG/JPEG without EXIF): the page says so.
        info = page.locator("#focal-info").inner_text()
        assert "60°" in info and "ASSUMED" in info
        page.click("#depth-btn")
        page.wait_for_selector("#overlay", state="visible", timeout=300_000)
        page.wait_for_selector("#depth-panel", state="visible")
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll <= 390, f"horizontal scroll: {scroll}px wide"
        shot(page, tmp_path, "phone")
    finally:
        context.close()


def test_exif_rotated_photo_uses_stored_pixels(page, server, tmp_path):
    """The server ignores EXIF orientation, so the page must too: a click maps to the stored
    (unrotated) pixel, and the EXIF focal is read from the original bytes."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW for display
    exif[0x8769] = {0xA405: 28}  # FocalLengthIn35mmFilm
    path = make_photo(tmp_path / "rotated.jpg", (320, 240), "JPEG", exif=exif.tobytes())
    open_photo(page, path)
    assert page.evaluate("[window.depthlm.state.width, window.depthlm.state.height]") == [320, 240]
    want = click_pixel(page, 0.9, 0.15)
    label = page.locator(".label").first
    label.wait_for()
    assert near(label_data(label)[:2], want)
    want = label_data(label)[:2]
    assert "EXIF" in page.locator("#focal-info").inner_text()
    direct = post(server, "/v1/measure", {"image": data_url(path), "points": [list(want)]})
    assert direct["focal_source"] == "exif"
    assert direct["intrinsics"][4:] == [320, 240]
    assert math.isclose(float(label.get_attribute("data-metres")), direct["answers"][0]["metres"])
