"""`depthlm measure` and `depthlm depth` on the embedded model with small synthetic photos."""

import json

import numpy as np
import pytest
import trimesh
from PIL import Image
from plyfile import PlyData
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.data.synth import render_frame
from depthlm.inference.depthlm import DepthLM
from depthlm.inference.focal import default_focal
from tests.models.conftest import _hf_offline  # noqa: F401 - fixture

runner = CliRunner()

W, H = 128, 96


@pytest.fixture(scope="module")
def embedded():
    return DepthLM.from_pretrained("embedded")


@pytest.fixture
def loaded(monkeypatch, embedded):
    """The CLI's ``DepthLM.from_pretrained("embedded")``, loaded once for the module."""
    calls = []

    def load(model="embedded", **kwargs):
        calls.append(model)
        assert model == "embedded"
        return embedded

    monkeypatch.setattr(DepthLM, "from_pretrained", staticmethod(load))
    return calls


def render(seed: int) -> np.ndarray:
    """A 128×96 view of an unseen synthetic scene."""
    _, _, view = render_frame(seed, 0, "indoor" if seed % 2 == 0 else "outdoor", size=W)
    rgb = np.asarray(Image.fromarray(view.rgb).resize((W, H)))
    return rgb


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder: a JPEG with a 35 mm EXIF focal, a PNG without, and a same-stem PNG."""
    folder = tmp_path_factory.mktemp("photos")
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 28
    Image.fromarray(render(90_001)).save(folder / "room.jpg", exif=exif, quality=95)
    Image.fromarray(render(90_002)).save(folder / "street.png")
    Image.fromarray(render(90_004)).save(folder / "room.png")
    (folder / "readme.txt").write_text("not an image")
    return folder


def test_measure_json_reports_answers_and_the_exif_focal(loaded, photos):
    res = runner.invoke(app, ["measure", str(photos / "room.jpg"), "--point", "64,48",
                              "--point", "1,1", "--point", " 100 , 70 ", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["focal_source"] == "exif" and out["task"] == "distance" and out["unit"] == "m"
    assert out["focal"] == pytest.approx(28 * np.hypot(W, H) / 43.27)
    assert (out["width"], out["height"]) == (W, H)
    pixels = [a["pixel"] for a in out["answers"]]
    assert pixels == [[64, 48], [1, 1], [100, 70]]
    assert out["answers"][1]["skipped"] and out["answers"][1]["value"] is None
    for a in (out["answers"][0], out["answers"][2]):
        assert a["value"] > 0 and isinstance(a["text"], str)
    assert loaded == ["embedded"]


def test_measure_table_says_the_focal_was_assumed(loaded, photos):
    res = runner.invoke(app, ["measure", str(photos / "street.png"), "-p", "64,48"])
    assert res.exit_code == 0, res.output
    assert f"focal: {default_focal(W):.1f} px (assumed: 60°" in res.stdout
    assert "64,48" in res.stdout and " m  " in res.stdout
    assert "warning: no --focal and no EXIF focal for 1 image(s)" in res.stderr


def test_measure_speed_with_a_given_focal(loaded, photos):
    res = runner.invoke(app, ["measure", str(photos / "street.png"), "-p", "64,48", "--task",
                              "speed", "--seconds", "2", "--focal", "120", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["unit"] == "m/s" and out["focal"] == 120.0 and out["focal_source"] == "focal"
    assert "warning" not in res.stderr


def test_measure_several_points_per_query(loaded, photos):
    """--points-per-query K asks numbered markers in one question (the multi_point task)."""
    res = runner.invoke(app, ["measure", str(photos / "street.png"), "-p", "30,30", "-p",
                              "90,60", "--focal", "120", "--points-per-query", "2",
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [a["pixel"] for a in out["answers"]] == [[30, 30], [90, 60]]
    bad = runner.invoke(app, ["measure", str(photos / "street.png"), "-p", "30,30",
                              "--points-per-query", "0"])  # fmt: skip
    assert bad.exit_code == 2 and "--points-per-query" in bad.output


def test_measure_a_folder_gives_a_list(loaded, photos):
    res = runner.invoke(app, ["measure", str(photos), "-p", "64,48", "--intrinsics",
                              "110,110,64,48", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [r["image"] for r in out] == [str(photos / n) for n in ("room.jpg", "room.png",
                                                                  "street.png")]  # fmt: skip
    assert all(r["focal_source"] == "intrinsics" and len(r["answers"]) == 1 for r in out)


def test_depth_writes_the_outputs(loaded, photos, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["depth", str(photos / "room.jpg"), "--out", str(out),
                              "--queries", "24", "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "from the EXIF 35 mm-equivalent focal" in res.stdout
    assert (
        "wrote confidence.npy, depth.npy, depth.png, depth_preview.png, distance.npy" in res.stdout
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "confidence.npy", "depth.npy", "depth.png", "depth_preview.png", "distance.npy",
        "intrinsics.json", "points.ply", "scene.glb"]  # fmt: skip
    depth = np.load(out / "depth.npy")
    assert depth.shape == (H, W) and depth.dtype == np.float32 and np.isfinite(depth).all()
    assert len(PlyData.read(str(out / "points.ply"))["vertex"].data) == W * H
    assert len(next(iter(trimesh.load(out / "scene.glb").geometry.values())).vertices) == W * H
    meta = json.loads((out / "intrinsics.json").read_text())
    assert meta["focal_source"] == "exif" and (meta["width"], meta["height"]) == (W, H)


def test_depth_mirrors_a_folder(loaded, photos, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["depth", str(photos), "--out", str(out), "--queries", "12",
                              "--focal", "100"])  # fmt: skip
    assert res.exit_code == 0, res.output
    # room.jpg and room.png share a stem: both keep their own folder
    assert sorted(p.name for p in out.iterdir()) == ["room_jpg", "room_png", "street"]
    for sub in out.iterdir():
        assert (sub / "depth.png").is_file() and (sub / "scene.glb").is_file()
        assert json.loads((sub / "intrinsics.json").read_text())["fx"] == 100.0
    assert "3/3" in res.stderr  # the progress bar over images


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["measure", "{d}/missing.jpg", "-p", "1,1"], "image not found: {d}/missing.jpg"),
        (["measure", "{d}/readme.txt", "-p", "1,1"], "{d}/readme.txt: not a readable image"),
        (["measure", "{d}/room.jpg", "-p", "200,10"], "--point 200,10 is outside {d}/room.jpg"),
        (["measure", "{d}/room.jpg", "-p", "-1,10"], "--point -1,10 is outside"),
        (["measure", "{d}/room.jpg", "-p", "12"], "malformed --point '12'"),
        (["measure", "{d}/room.jpg", "-p", "1.5,2"], "malformed --point '1.5,2'"),
        (["measure", "{d}/room.jpg", "-p", "9,9", "--focal", "0"], "--focal must be a positive"),
        (["measure", "{d}/room.jpg", "-p", "9,9", "--intrinsics", "1,2"], "malformed --intr"),
        (["measure", "{d}/room.jpg", "-p", "9,9", "--task", "pose"], "--task must be one of"),
        (
            ["measure", "{d}/room.jpg", "-p", "9,9", "--focal", "9", "--intrinsics", "1,1,1,1"],
            "not both",
        ),
        (["depth", "{d}/missing.jpg", "--out", "{d}/o"], "image not found"),
        (["depth", "{d}/readme.txt", "--out", "{d}/o"], "not a readable image"),
        (["depth", "{d}/room.jpg", "--out", "{d}/o", "--queries", "0"], "--queries must be"),
        (["depth", "{d}/room.jpg", "--out", "{d}/room.png"], "is not a folder"),
    ],
)
def test_bad_input_is_a_clear_error_before_loading_the_model(loaded, photos, args, message):
    res = runner.invoke(app, [a.format(d=photos) for a in args])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: ") and message.format(d=photos) in res.stderr
    assert loaded == []  # failed before the model was loaded
