"""The server on a real port: every refusal gets its status and a JSON error body and the
server still answers ``/health`` afterwards; the OpenAI client works unchanged; keys guard
every route but ``/health`` and never reach the logs; remote image URLs fetch nothing;
concurrent requests share model calls; a full queue answers 429, a slow model 504, and
shutdown finishes what it admitted."""

from __future__ import annotations

import http.server
import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from depthlm.serving.app import create_app
from depthlm.serving.config import ServeConfig
from tests.serving.images_util import data_url, png_bytes, png_header_only
from tests.serving.live import fake_model, running

pytestmark = pytest.mark.slow

IMAGE = data_url(png_bytes(160, 120))


@pytest.fixture(scope="module")
def server():
    """The embedded model with small limits, so the limit tests send little."""
    config = ServeConfig(max_body_bytes=1_000_000, max_pixels=2_000_000)
    with running(create_app(config)) as (base, _):
        yield base


def _error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]


def _alive(base: str) -> None:
    assert httpx.get(f"{base}/health").json()["status"] == "ok"


def test_health_models_and_schema(server: str) -> None:
    assert httpx.get(f"{server}/health").json() == {"status": "ok", "model": "depthlm-tiny"}
    models = httpx.get(f"{server}/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["depthlm-tiny"]
    paths = httpx.get(f"{server}/openapi.json").json()["paths"]
    assert {"/v1/measure", "/v1/depth", "/v1/chat/completions", "/health"} <= set(paths)
    assert "text/html" in httpx.get(f"{server}/").headers["content-type"]


def test_measure_matches_the_python_api(server: str) -> None:
    import io

    from PIL import Image

    from depthlm import DepthLM

    body = {"image": IMAGE, "points": [[80, 60], [30, 90], [1, 1]], "focal": 150}
    out = httpx.post(f"{server}/v1/measure", json=body, timeout=60).json()
    local = DepthLM.from_pretrained("embedded").measure(
        Image.open(io.BytesIO(png_bytes(160, 120))), [[80, 60], [30, 90], [1, 1]], focal=150
    )
    got = [a["metres"] for a in out["answers"]]
    assert got[:2] == [pytest.approx(v) for v in local["metres"][:2]]
    assert got[2] is None and out["answers"][2]["skipped"] is True
    assert out["focal_source"] == "focal" and out["intrinsics"][:4] == [150, 150, 80, 60]
    assert all(0 <= a["confidence"] <= 1 for a in out["answers"][:2])


def test_sampled_answers_match_the_python_api() -> None:
    import io

    from PIL import Image

    from depthlm import DepthLM

    with pytest.raises(ValueError, match="samples must be"):
        ServeConfig(samples=0)
    points = [[80, 60], [30, 90]]
    with running(create_app(ServeConfig(samples=5, temperature=1.0))) as (base, _):
        body = {"image": IMAGE, "points": points, "focal": 150}
        out = httpx.post(f"{base}/v1/measure", json=body, timeout=60).json()
    local = DepthLM.from_pretrained("embedded", samples=5, temperature=1.0).measure(
        Image.open(io.BytesIO(png_bytes(160, 120))), points, focal=150
    )
    assert [a["metres"] for a in out["answers"]] == [pytest.approx(v) for v in local["metres"]]
    # the confidence of a sampled answer is the share of the 5 samples agreeing with it
    assert all(
        a["confidence"] * 5 == pytest.approx(round(a["confidence"] * 5)) for a in out["answers"]
    )


def test_openai_client_round_trip(server: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused")
    msg = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": IMAGE}},
                {
                    "type": "text",
                    "text": "How far is the point pointed by the red arrow from the camera?",
                },
            ],
        }
    ]
    reply = client.chat.completions.create(model="depthlm-tiny", messages=msg)
    text = reply.choices[0].message.content
    assert math.isfinite(float(text)) and reply.usage.completion_tokens > 0
    chunks = list(client.chat.completions.create(model="depthlm-tiny", messages=msg, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-5", messages=msg)


def test_depth_returns_the_files(server: str) -> None:
    import base64
    import io

    from PIL import Image

    out = httpx.post(
        f"{server}/v1/depth", json={"image": IMAGE, "queries": 24, "focal": 150}, timeout=120
    ).json()
    png = Image.open(io.BytesIO(base64.b64decode(out["depth_png"])))
    assert png.size == (160, 120) and png.mode.startswith("I")
    z = np.load(io.BytesIO(base64.b64decode(out["depth_npy"])))
    assert z.shape == (120, 160) and np.isfinite(z).mean() > 0.9
    assert base64.b64decode(out["ply"]).startswith(b"ply\n")
    assert len(out["cloud"]["xyz"]) == len(out["cloud"]["rgb"]) > 0
    lo, hi = out["depth_range"]
    assert 0 < lo < hi


def _raw(server: str, path: str, content: bytes) -> httpx.Response:
    return httpx.post(
        f"{server}{path}", content=content, headers={"content-type": "application/json"}, timeout=60
    )


BAD_MEASURE = [
    ("malformed JSON", b'{"image": "abc", "points": [[1, 2]', 400, None),
    (
        "malformed base64",
        b'{"image": "data:image/png;base64,@@@", "points": [[1, 2]]}',
        400,
        "image",
    ),
    ("not an image", b'{"image": "aGVsbG8gd29ybGQh", "points": [[1, 2]]}', 400, "image"),
    ("NaN focal", b'{"image": "aGVsbG8=", "points": [[1, 2]], "focal": NaN}', 400, "focal"),
    ("infinite focal", b'{"image": "aGVsbG8=", "points": [[1, 2]], "focal": 1e999}', 400, "focal"),
    ("zero focal", b'{"image": "aGVsbG8=", "points": [[1, 2]], "focal": 0}', 400, "focal"),
    (
        "negative fx",
        b'{"image": "aGVsbG8=", "points": [[1, 2]], "intrinsics": [-5, 5, 1, 1]}',
        400,
        "intrinsics",
    ),
    ("no points", b'{"image": "aGVsbG8=", "points": []}', 400, "points"),
    ("point not a pair", b'{"image": "aGVsbG8=", "points": [[1, 2, 3]]}', 400, "points.0"),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "param"), BAD_MEASURE, ids=[b[0] for b in BAD_MEASURE]
)
def test_bad_json_fields(
    server: str, name: str, body: bytes, status: int, param: str | None
) -> None:
    err = _error(_raw(server, "/v1/measure", body), status)
    if param is not None:
        assert err["param"] == param, err
    _alive(server)


def test_image_refusals(server: str) -> None:
    raw = png_bytes(160, 120)
    cases = [
        (data_url(raw[: len(raw) // 2]), 400, "corrupt_image"),
        (data_url(png_bytes(1, 1)), 400, "image_too_small"),
        (data_url(png_header_only(2000, 1001)), 413, "image_too_large"),
        (data_url(png_header_only(100_000, 100_000)), 413, "image_too_large"),
    ]
    for image, status, code in cases:
        err = _error(
            httpx.post(f"{server}/v1/measure", json={"image": image, "points": [[5, 5]]}), status
        )
        assert err["code"] == code and err["param"] == "image"
    _alive(server)


def test_body_limit(server: str) -> None:
    err = _error(_raw(server, "/v1/measure", b"x" * 1_200_000), 413)
    assert err["code"] == "body_too_large"

    def chunks():  # no Content-Length: the limit must hold while streaming too
        for _ in range(30):
            yield b"x" * 50_000

    r = httpx.post(
        f"{server}/v1/measure", content=chunks(), headers={"content-type": "application/json"}
    )
    assert _error(r, 413)["code"] == "body_too_large"
    _alive(server)


def test_semantic_refusals(server: str) -> None:
    post = lambda body: httpx.post(f"{server}/v1/measure", json={"image": IMAGE, **body})  # noqa: E731
    err = _error(post({"points": [[80, 60], [160, 10]]}), 400)
    assert (
        err["param"] == "points.1" and "[160, 10]" in err["message"] and "160x120" in err["message"]
    )
    assert _error(post({"points": [[80, 60]], "task": "teleport"}), 400)["param"] == "task"
    assert _error(post({"points": [[80, 60]], "task": "speed"}), 400)["param"] == "params"
    assert _error(post({"points": [[80, 60]], "model": "gpt-5"}), 404)["code"] == "model_not_found"
    assert _error(post({"points": [[80, 60]], "focal": 100, "intrinsics": [1, 1, 1, 1]}), 400)
    err = _error(httpx.post(f"{server}/v1/depth", json={"image": IMAGE, "queries": 10**6}), 400)
    assert err["param"] == "queries"
    r = httpx.post(
        f"{server}/v1/chat/completions",
        json={
            "model": "depthlm-tiny",
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "2.0"},
            ],
        },
    )
    assert _error(r, 400)["param"] == "messages.1.role"
    _alive(server)


def test_remote_image_urls_fetch_nothing(server: str) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(png_bytes())

        def log_message(self, *args) -> None:
            pass

    bait = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=bait.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{bait.server_address[1]}/secret.png"
    try:
        err = _error(
            httpx.post(f"{server}/v1/measure", json={"image": url, "points": [[5, 5]]}), 400
        )
        assert err["code"] == "remote_image_refused"
        chat = {
            "model": "depthlm-tiny",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": url}},
                        {"type": "text", "text": "?"},
                    ],
                }
            ],
        }
        assert _error(httpx.post(f"{server}/v1/chat/completions", json=chat), 400)["code"] == (
            "remote_image_refused"
        )
    finally:
        bait.shutdown()
    assert hits == []


def test_api_key_guards_every_route_but_health(monkeypatch, caplog) -> None:
    key = "sk-test-ZYXW-do-not-log"
    monkeypatch.setenv("DEPTHLM_TEST_KEY", key)
    model, _ = fake_model()
    caplog.set_level(logging.DEBUG)
    app = create_app(ServeConfig(api_key_env="DEPTHLM_TEST_KEY"), model=model)
    with running(app) as (base, _):
        body = {"image": IMAGE, "points": [[80, 60]], "focal": 150}
        for path in ("/v1/models", "/metrics", "/", "/openapi.json"):
            assert httpx.get(f"{base}{path}").status_code == 401, path
        err = _error(httpx.post(f"{base}/v1/measure", json=body), 401)
        assert err["code"] == "invalid_api_key"
        wrong = {"Authorization": "Bearer sk-wrong"}
        assert httpx.post(f"{base}/v1/measure", json=body, headers=wrong).status_code == 401
        good = {"Authorization": f"Bearer {key}"}
        assert httpx.post(f"{base}/v1/measure", json=body, headers=good).status_code == 200
        assert httpx.get(f"{base}/", auth=("anyone", key)).status_code == 200  # the page: Basic
        assert httpx.get(f"{base}/", headers={"Authorization": "Basic !!"}).status_code == 401
        assert httpx.get(f"{base}/health").status_code == 200
        metrics = httpx.get(f"{base}/metrics", headers=good).text
    assert key not in caplog.text and key not in metrics


def test_concurrent_requests_share_model_calls() -> None:
    model, gen = fake_model(delay=0.05)
    app = create_app(ServeConfig(max_wait_ms=200, max_batch=64), model=model)
    with running(app) as (base, _):
        body = {"image": IMAGE, "points": [[80, 60]], "focal": 150}
        with ThreadPoolExecutor(8) as pool:
            codes = list(
                pool.map(
                    lambda _: httpx.post(f"{base}/v1/measure", json=body, timeout=30).status_code,
                    range(8),
                )
            )
        metrics = httpx.get(f"{base}/metrics").text
    assert codes == [200] * 8
    assert sum(gen.calls) == 8 and len(gen.calls) < 8 and max(gen.calls) > 1
    assert "depthlm_batch_requests_bucket" in metrics and "depthlm_queue_depth" in metrics


def test_no_batching_when_max_batch_is_one() -> None:
    model, gen = fake_model(delay=0.02)
    app = create_app(ServeConfig(max_wait_ms=100, max_batch=1), model=model)
    with running(app) as (base, _):
        body = {"image": IMAGE, "points": [[80, 60]], "focal": 150}
        with ThreadPoolExecutor(4) as pool:
            list(
                pool.map(
                    lambda _: httpx.post(f"{base}/v1/measure", json=body, timeout=30), range(4)
                )
            )
    assert gen.calls == [1, 1, 1, 1]


def test_full_queue_is_429_with_retry_after_and_timeouts_are_504() -> None:
    model, _ = fake_model(delay=1.0)
    app = create_app(ServeConfig(queue_size=2, max_batch=1, timeout_s=1.5), model=model)
    with running(app) as (base, _):
        body = {"image": IMAGE, "points": [[80, 60]], "focal": 150}
        with ThreadPoolExecutor(6) as pool:
            rs = list(
                pool.map(
                    lambda _: httpx.post(f"{base}/v1/measure", json=body, timeout=30), range(6)
                )
            )
        codes = sorted(r.status_code for r in rs)
        assert codes.count(429) >= 3, codes
        busy = next(r for r in rs if r.status_code == 429)
        assert busy.headers["retry-after"] == "1" and busy.json()["error"]["code"] == "queue_full"
        assert 200 in codes  # the first admitted request is answered within its timeout
        assert 504 in codes  # the second waits 1 s in line + 1 s of model: past its 1.5 s
        _alive(base)


def test_shutdown_finishes_in_flight_requests() -> None:
    model, _ = fake_model(delay=1.0)
    with running(create_app(ServeConfig(), model=model)) as (base, server):
        body = {"image": IMAGE, "points": [[80, 60]], "focal": 150}
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, f"{base}/v1/measure", json=body, timeout=30)
            import time

            time.sleep(0.3)
            server.should_exit = True
            r = pending.result()
    assert r.status_code == 200 and r.json()["answers"][0]["metres"] == 2.5


def test_serves_an_openai_compatible_backend(server: str, monkeypatch) -> None:
    """Any backend of ``DepthLM.from_pretrained`` serves: here another depthlm server, reached
    through the OpenAI protocol (as GPT-5 or a vLLM server would be)."""
    config = ServeConfig(model="openai:depthlm-tiny", upstream_api_base=f"{server}/v1",
                         upstream_api_key_env="DEPTHLM_UPSTREAM_KEY")  # fmt: skip
    monkeypatch.setenv("DEPTHLM_UPSTREAM_KEY", "none")
    with running(create_app(config)) as (front, _):
        assert httpx.get(f"{front}/v1/models").json()["data"][0]["id"] == "depthlm-tiny"
        r = httpx.post(f"{front}/v1/measure", timeout=60,
                       json={"image": IMAGE, "points": [[80, 60]], "focal": 1000})  # fmt: skip
        big = {"image": IMAGE, "points": [[80, 60]], "focal": 100}  # 10x: over the upstream's limit
        refused = httpx.post(f"{front}/v1/measure", json=big, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["answers"][0]["text"]
    err = _error(refused, 502)  # the upstream's refusal, passed on with its reason
    assert err["code"] == "backend_error" and "413" in err["message"]


def test_beam_answers_match_the_python_api() -> None:
    import io

    from PIL import Image

    from depthlm import DepthLM

    with pytest.raises(ValueError, match="choose one of samples=2 and beams=3"):
        ServeConfig(samples=2, beams=3)
    points = [[80, 60], [30, 90]]
    with running(create_app(ServeConfig(beams=3))) as (base, _):
        body = {"image": IMAGE, "points": points, "focal": 150}
        out = httpx.post(f"{base}/v1/measure", json=body, timeout=60).json()
    local = DepthLM.from_pretrained("embedded", beams=3).measure(
        Image.open(io.BytesIO(png_bytes(160, 120))), points, focal=150
    )
    assert [a["metres"] for a in out["answers"]] == [pytest.approx(v) for v in local["metres"]]
    assert all(0 < a["confidence"] <= 1 for a in out["answers"])
