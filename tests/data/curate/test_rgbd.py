"""``curate_rgbd`` end to end on tiny folders: units, depth types, errors, poses."""

import json

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate import curate_rgbd
from depthlm.data.curate.sampling import sample_pixels, valid_mask
from depthlm.data.records import read_records
from depthlm.geometry.camera import Camera
from tests.data.curate.conftest import INTR, H, W, make_rgbd

CAM = Camera(*INTR, W, H)
RAMP = np.linspace(1.0, 3.0, W)[None, :].repeat(H, axis=0)  # metres, smooth


def _curate(rgb, dep, out, **kw):
    kw.setdefault("intrinsics", INTR)
    kw.setdefault("points", 10)
    kw.setdefault("progress", False)
    return curate_rgbd(rgb, dep, out, **kw)


@pytest.mark.parametrize("fmt, scale", [("png", 1000.0), ("png", 5000.0), ("npy", None)])
def test_units_and_z_input(tmp_path, fmt, scale):
    rgb, dep = make_rgbd(tmp_path, depth_fmt=fmt, depth_m=RAMP, scale=scale or 1.0)
    res = _curate(rgb, dep, tmp_path / "out", depth_scale=scale)
    records = read_records(res.records_path)
    assert res.records == 2 and res.points == 20 and len(records) == 2
    for r in records:
        pix = np.array(r.pixel_coords)
        z = RAMP[pix[:, 1], pix[:, 0]]
        assert np.allclose(r.z_depth, z, atol=1e-3)
        assert np.allclose(r.depth, CAM.z_to_euclidean(pix, z), atol=1e-3)
        assert r.depth_type == "euclidean" and r.unit == "m"
        assert r.intrinsics == [*INTR, W, H] and r.image_path.is_file()


def test_euclidean_input(tmp_path):
    rgb, dep = make_rgbd(tmp_path, depth_fmt="npy", depth_m=RAMP)
    res = _curate(rgb, dep, tmp_path / "out", depth_type="euclidean")
    for r in read_records(res.records_path):
        pix = np.array(r.pixel_coords)
        dist = RAMP[pix[:, 1], pix[:, 0]]
        assert np.allclose(r.depth, dist, atol=1e-5)
        assert np.allclose(r.z_depth, CAM.euclidean_to_z(pix, dist), atol=1e-5)
        assert all(z < d for z, d in zip(r.z_depth, r.depth, strict=True))


def test_pairs_by_number_and_links(tmp_path):
    rgb, dep = make_rgbd(tmp_path, n=3, rgb_name="rgb_{i:05d}", depth_name="sync_depth_{i}")
    res = _curate(rgb, dep, tmp_path / "out", depth_scale=1000.0, link=True)
    assert [r.image for r in read_records(res.records_path)] == [
        f"images/rgb_{i:05d}.png" for i in range(3)
    ]
    assert (tmp_path / "out/images/rgb_00000.png").samefile(rgb / "rgb_00000.png")


def test_seeded_and_rerun_overwrites(tmp_path):
    rgb, dep = make_rgbd(tmp_path, depth_m=RAMP)
    a = _curate(rgb, dep, tmp_path / "out", depth_scale=1000.0, seed=3).records_path.read_text()
    b = _curate(rgb, dep, tmp_path / "out", depth_scale=1000.0, seed=3).records_path.read_text()
    assert a == b
    _curate(rgb, dep, tmp_path / "out", depth_scale=1000.0, points=2)
    assert all(len(r.depth) == 2 for r in read_records(tmp_path / "out/records.jsonl"))


def test_range_border_and_skip_warning(tmp_path):
    rgb, dep = make_rgbd(tmp_path, n=2, depth_fmt="npy", depth_m=RAMP)
    np.save(dep / "frame_00001.npy", np.zeros((H, W), np.float32))  # no valid pixel
    warned: list[str] = []
    res = _curate(rgb, dep, tmp_path / "out", points=1000, min_depth=1.5, max_depth=2.5,
                  on_warning=warned.append)  # fmt: skip
    assert res.records == 1 and res.skipped == [rgb / "frame_00001.png"]
    assert len(warned) == 1 and "frame_00001.png" in warned[0]
    (r,) = read_records(res.records_path)
    pix = np.array(r.pixel_coords)
    assert pix[:, 0].min() >= 5 and pix[:, 0].max() < W - 5
    assert pix[:, 1].min() >= 5 and pix[:, 1].max() < H - 5
    assert min(r.depth) >= 1.5 and max(r.depth) <= 2.5


def test_exclude_edges(tmp_path):
    step = np.where(np.arange(W) < 16, 2.0, 4.0)[None, :].repeat(H, axis=0)
    rgb, dep = make_rgbd(tmp_path, n=1, depth_fmt="npy", depth_m=step)
    res = _curate(rgb, dep, tmp_path / "out", points=10_000, exclude_edges=True)
    xs = {x for x, _ in read_records(res.records_path)[0].pixel_coords}
    assert 15 not in xs and 16 not in xs and {14, 17} <= xs


def test_poses_carried(tmp_path):
    rgb, dep = make_rgbd(tmp_path / "scene7", n=2)
    poses = tmp_path / "scene7" / "pose"
    poses.mkdir()
    for i in range(2):
        m = np.eye(4)
        m[0, 3] = i
        np.savetxt(poses / f"{i}.txt", m)
    res = _curate(rgb, dep, tmp_path / "out", depth_scale=1000.0, poses=poses)
    records = read_records(res.records_path)
    assert [(r.sequence, r.frame) for r in records] == [("scene7", 0), ("scene7", 1)]
    assert records[1].camera_to_world[0][3] == 1.0
    (poses / "1.txt").write_text("1 2 3\n")
    with pytest.raises(ValueError, match=r"1\.txt: expected a 4x4"):
        _curate(rgb, dep, tmp_path / "out", depth_scale=1000.0, poses=poses, sequence="s")


def test_errors_name_the_files(tmp_path):
    rgb, dep = make_rgbd(tmp_path, n=2)
    out = tmp_path / "out"
    (dep / "frame_00001.png").unlink()
    with pytest.raises(ValueError, match=r"no depth file for: .*frame_00001\.png"):
        _curate(rgb, dep, out, depth_scale=1000.0)
    Image.fromarray(np.ones((H + 1, W), np.uint16)).save(dep / "frame_00001.png")
    with pytest.raises(ValueError, match=r"size mismatch: .*frame_00001\.png is 32x24 but"):
        _curate(rgb, dep, out, depth_scale=1000.0)
    Image.fromarray(np.ones((H, W), np.uint16)).save(dep / "frame_00001.png")
    kfile = tmp_path / "k.json"
    kfile.write_text(json.dumps({"frame_00000": INTR}))
    with pytest.raises(ValueError, match=r"k\.json: no intrinsics for frame 'frame_00001'"):
        _curate(rgb, dep, out, depth_scale=1000.0, intrinsics=None, intrinsics_file=kfile)
    assert not (out / "records.jsonl").exists()


def test_frame_i_draws_from_seed_i(tmp_path):
    """The pixel draw of frame i is default_rng([seed, i]) over the valid mask, so a run is
    reproducible and adding frames never changes the earlier ones."""
    rgb, dep = make_rgbd(tmp_path, n=3, depth_fmt="npy", depth_m=RAMP)
    res = _curate(rgb, dep, tmp_path / "out", seed=11, points=7)
    dist = CAM.z_to_euclidean(np.stack(np.meshgrid(np.arange(W), np.arange(H)), -1), RAMP)
    mask = valid_mask(dist)
    for i, r in enumerate(read_records(res.records_path)):
        expected = sample_pixels(mask, 7, np.random.default_rng([11, i]))
        assert r.pixel_coords == expected.tolist()


def test_balance_option(tmp_path):
    far = np.full((H, W), 2.0)
    far[8:11, 8:11] = 40.0  # 9 far pixels among ~300
    rgb, dep = make_rgbd(tmp_path, n=1, depth_fmt="npy", depth_m=far)
    counts = {}
    for balance in ("uniform", "depth"):
        res = _curate(rgb, dep, tmp_path / balance, points=20, balance=balance)
        counts[balance] = sum(d > 30 for d in read_records(res.records_path)[0].depth)
    assert counts["depth"] > counts["uniform"] + 3
    with pytest.raises(ValueError, match="--balance must be one of"):
        _curate(rgb, dep, tmp_path / "x", balance="near")
