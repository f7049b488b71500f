"""The DepthLM inference object on a tiny random model: shapes, units, skips, errors, batches."""

import numpy as np
import pytest
from PIL import Image

from depthlm.inference.depthlm import DepthLM, camera_for, list_images, query_grid, split_points
from depthlm.inference.focal import DefaultFocalWarning, default_focal
from depthlm.inference.pointcloud import read_ply, write_ply
from depthlm.models.contract import save_contract
from depthlm.prompting.query import QuerySpec
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def tiny_depthlm(tmp_path_factory):
    path = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    save_contract(path, QuerySpec(focal=60.0, preset="short"))
    return DepthLM.from_pretrained(str(path), batch_size=8)


def image(w=96, h=72, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


def test_contract_is_restored(tiny_depthlm):
    assert tiny_depthlm.spec.focal == 60.0 and tiny_depthlm.spec.preset == "short"


def test_measure_returns_one_answer_per_point(tiny_depthlm):
    out = tiny_depthlm.measure(image(), [[40, 30], [1, 1], [80, 50]], focal=80.0)
    assert out["metres"].shape == (3,) and len(out["text"]) == 3
    assert out["skipped"] == [1]  # too close to the border for the arrow
    assert out["text"][1] is None and np.isnan(out["metres"][1])
    assert out["intrinsics"] == [80.0, 80.0, 48.0, 36.0, 96, 72]
    assert out["focal"] == 80.0 and out["focal_source"] == "focal" and out["image"] == 0


def test_measure_rejects_bad_input(tiny_depthlm):
    with pytest.raises(ValueError, match="outside"):
        tiny_depthlm.measure(image(), [[200, 10]], focal=80.0)
    with pytest.raises(ValueError, match="focal must be a positive"):
        tiny_depthlm.measure(image(), [[20, 10]], focal=-1.0)
    with pytest.raises(ValueError, match="not both"):
        tiny_depthlm.measure(image(), [[20, 10]], focal=80.0, intrinsics=[80, 80, 48, 36])
    with pytest.raises(ValueError, match="single-point"):
        tiny_depthlm.measure(image(), [[20, 10]], focal=80.0, task="pose")
    with pytest.raises(ValueError, match="needs T="):
        tiny_depthlm.measure(image(), [[20, 10]], focal=80.0, task="speed")


def test_no_camera_assumes_a_field_of_view_and_says_so(tiny_depthlm):
    with pytest.warns(DefaultFocalWarning, match="focal=F"):
        out = tiny_depthlm.measure(image(), [[40, 30]])
    assert out["focal_source"] == "default" and out["focal"] == pytest.approx(default_focal(96))


def test_exif_focal_of_a_file_is_used(tiny_depthlm, tmp_path):
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 30  # 35 mm-equivalent focal
    Image.fromarray(image()).save(path, exif=exif)
    out = tiny_depthlm.measure(path, [[40, 30]])
    assert out["focal_source"] == "exif" and out["image"] == str(path)
    assert out["focal"] == pytest.approx(30 * np.hypot(96, 72) / 43.27)
    dense = tiny_depthlm.depth_map(str(path), queries=6)
    assert dense["focal_source"] == "exif" and dense["focal"] == out["focal"]


class CountingGenerator:
    """Wraps a generator and records the size of every call."""

    def __init__(self, inner):
        self.inner, self.name, self.calls = inner, inner.name, []

    def generate(self, queries):
        self.calls.append(len(queries))
        return self.inner.generate(queries)


def test_a_list_gives_one_result_per_image_from_pooled_calls(tiny_depthlm):
    counting = CountingGenerator(tiny_depthlm.generator)
    vlm = DepthLM(counting, tiny_depthlm.spec)
    images = [image(seed=0), Image.fromarray(image(seed=1)), image(w=80, h=64, seed=2)]
    out = vlm.measure(images, [[40, 30], [20, 20]], focal=80.0)
    assert isinstance(out, list) and [r["image"] for r in out] == [0, 1, 2]
    assert all(r["metres"].shape == (2,) and r["focal"] == 80.0 for r in out)
    assert counting.calls == [6]  # every question of every image in one call
    single = vlm.measure(images[1], [[40, 30], [20, 20]], focal=80.0)
    assert single["text"] == out[1]["text"]  # batching does not change answers

    counting.calls.clear()
    vlm.questions_per_call = 4
    out = vlm.measure(images, [[[40, 30]], [[20, 20], [30, 30], [50, 40]], []], focal=80.0)
    assert [len(r["metres"]) for r in out] == [1, 3, 0]
    assert counting.calls == [4]  # the last image has no question


def test_a_folder_is_its_sorted_image_files(tiny_depthlm, tmp_path):
    for name in ("b.png", "a.jpg", "c.PNG"):
        Image.fromarray(image()).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.png", "c.PNG"]
    out = tiny_depthlm.depth_map(tmp_path, focal=80.0, queries=6)
    assert [r["image"] for r in out] == [str(tmp_path / n) for n in ("a.jpg", "b.png", "c.PNG")]
    assert all(r["depth"].shape == (72, 96) and r["focal_source"] == "focal" for r in out)
    with pytest.raises(ValueError, match="no image files"):
        list_images(tmp_path / "sub")


def test_bad_images_in_a_batch_are_named(tiny_depthlm, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_text("not a png")
    with pytest.raises(ValueError, match=r"broken\.png"):
        tiny_depthlm.measure([image(), bad], [[40, 30]], focal=80.0)
    with pytest.raises(ValueError, match=r"outside the 40x30 image #1: \[\[40, 30\]\]"):
        tiny_depthlm.measure([image(), image(w=40, h=30)], [[40, 30]], focal=80.0)
    with pytest.raises(ValueError, match="point lists for 3 images but 2"):
        tiny_depthlm.measure([image(), image()], [[[1, 2]], [[3, 4]], [[5, 6]]], focal=80.0)


def test_split_points_shared_or_per_image():
    shared = split_points([[1, 2], [3, 4]], 3)
    assert len(shared) == 3 and shared[2].tolist() == [[1, 2], [3, 4]]
    per = split_points([[[1, 2]], [[3, 4], [5, 6]]], 2)
    assert [p.shape for p in per] == [(1, 2), (2, 2)]


def test_depth_map_shapes_and_geometry(tiny_depthlm):
    out = tiny_depthlm.depth_map(image(), focal=80.0, queries=12)
    assert out["depth"].shape == (72, 96) and out["points"].shape == (72, 96, 3)
    assert np.isfinite(out["depth"]).all() and (out["depth"] > 0).all()
    np.testing.assert_allclose(np.linalg.norm(out["points"], axis=-1), out["depth"], rtol=1e-6)
    assert len(out["grid"]) == len(out["grid_metres"])
    assert out["focal"] == 80.0 and out["focal_source"] == "focal"


def test_query_grid_respects_margin_and_count():
    cam = camera_for(Image.new("RGB", (200, 100)), None, 100.0)
    grid, (gh, gw) = query_grid(cam, 50, margin=7)
    assert abs(gh * gw - 50) <= 10 and len(grid) == gh * gw
    assert grid[:, 0].min() >= 7 and grid[:, 0].max() <= 192 and grid[:, 1].max() <= 92


def test_ply_roundtrip(tmp_path):
    pts = np.random.default_rng(0).normal(size=(4, 5, 3)).astype(np.float32)
    pts[0, 0] = np.nan
    cols = np.full((4, 5, 3), 7, np.uint8)
    path = write_ply(tmp_path / "c.ply", pts, cols)
    got, got_cols = read_ply(path)
    assert got.shape == (19, 3) and got_cols.shape == (19, 3)
    np.testing.assert_allclose(got, pts.reshape(-1, 3)[1:])
    assert path.read_bytes().startswith(b"ply\nformat binary_little_endian 1.0\n")


def test_depth_map_samplings(tiny_depthlm):
    grid = tiny_depthlm.depth_map(image(), focal=80.0, queries=20, sampling="grid")
    adaptive = tiny_depthlm.depth_map(image(), focal=80.0, queries=20)
    assert grid["sampling"] == "grid" and adaptive["sampling"] == "adaptive"  # the default
    for out in (grid, adaptive):
        assert out["depth"].shape == (72, 96) and np.isfinite(out["depth"]).all()
        margin = tiny_depthlm.marker_margin(camera_for(Image.new("RGB", (96, 72)), None, 80.0))
        assert out["grid"].min() >= margin and out["grid"][:, 0].max() <= 95 - margin
    with pytest.raises(ValueError, match="sampling"):
        tiny_depthlm.depth_map(image(), focal=80.0, sampling="random")
