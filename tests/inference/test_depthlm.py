"""The DepthLM inference object on a tiny random model: shapes, units, skips, errors."""

import numpy as np
import pytest
from PIL import Image

from depthlm.inference.depthlm import DepthLM, camera_for, query_grid
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


def test_measure_rejects_bad_input(tiny_depthlm):
    with pytest.raises(ValueError, match="outside"):
        tiny_depthlm.measure(image(), [[200, 10]], focal=80.0)
    with pytest.raises(ValueError, match="give the camera"):
        tiny_depthlm.measure(image(), [[20, 10]])
    with pytest.raises(ValueError, match="positive"):
        tiny_depthlm.measure(image(), [[20, 10]], focal=-1.0)
    with pytest.raises(ValueError, match="single-point"):
        tiny_depthlm.measure(image(), [[20, 10]], focal=80.0, task="pose")


def test_depth_map_shapes_and_geometry(tiny_depthlm):
    out = tiny_depthlm.depth_map(image(), focal=80.0, queries=12)
    assert out["depth"].shape == (72, 96) and out["points"].shape == (72, 96, 3)
    assert np.isfinite(out["depth"]).all() and (out["depth"] > 0).all()
    np.testing.assert_allclose(np.linalg.norm(out["points"], axis=-1), out["depth"], rtol=1e-6)
    assert len(out["grid"]) == len(out["grid_metres"])


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
