"""The shared writer: z vs Euclidean labels, border rule, depth-balanced draws, naming."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate import Frame, Sampling, curate_frames
from depthlm.data.curate.frames import frame_record
from depthlm.data.records import read_records

W, H = 48, 40
INTR = (35.0, 30.0, 22.0, 21.0)  # fx != fy and an off-centre principal point on purpose


def _image(tmp_path: Path, name: str = "a.png") -> Path:
    path = tmp_path / name
    Image.new("RGB", (W, H), (10, 120, 200)).save(path)
    return path


def _ray_factor(pix: np.ndarray) -> np.ndarray:
    fx, fy, cx, cy = INTR
    return np.sqrt(1 + ((pix[:, 0] - cx) / fx) ** 2 + ((pix[:, 1] - cy) / fy) ** 2)


def _smooth_map(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(1.0, 9.0, (H, W))


def test_z_and_euclidean_inputs_agree(tmp_path):
    z = _smooth_map()
    ys, xs = np.mgrid[0:H, 0:W]
    factor = _ray_factor(np.stack([xs.ravel(), ys.ravel()], axis=1)).reshape(H, W)
    rgb = _image(tmp_path)
    sampling = Sampling(points=60)
    from_z = frame_record(Frame(rgb, z, INTR, "z"), sampling, np.random.default_rng(3))
    from_e = frame_record(Frame(rgb, z * factor, INTR, "euclidean"), sampling,
                          np.random.default_rng(3))  # fmt: skip
    assert from_z is not None and from_e is not None
    assert from_z["pixel_coords"] == from_e["pixel_coords"]
    pix = np.array(from_z["pixel_coords"])
    ratio = np.array(from_z["depth"]) / np.array(from_z["z_depth"])
    assert np.allclose(ratio, _ray_factor(pix), rtol=1e-12)
    assert np.allclose(from_z["depth"], from_e["depth"], rtol=1e-12)
    assert np.allclose(from_z["z_depth"], from_e["z_depth"], rtol=1e-12)
    assert from_z["depth_type"] == "euclidean" and from_z["intrinsics"] == [*INTR, W, H]


@pytest.mark.parametrize("balance", ["uniform", "depth"])
def test_border_pixels_never_drawn(tmp_path, balance):
    rgb = _image(tmp_path)
    seen = set()
    for seed in range(20):
        rec = frame_record(Frame(rgb, _smooth_map(seed), INTR), Sampling(points=200,
                           balance=balance), np.random.default_rng(seed))  # fmt: skip
        assert rec is not None
        seen |= {tuple(p) for p in rec["pixel_coords"]}
    xs, ys = np.array(sorted(seen)).T
    assert xs.min() == 5 and xs.max() == W - 6 and ys.min() == 5 and ys.max() == H - 6


def test_depth_balance_favours_rare_far_pixels(tmp_path):
    rng = np.random.default_rng(0)
    depth = rng.uniform(1.5, 2.5, (H, W))
    far = rng.random((H, W)) < 0.05
    depth[far] = rng.uniform(30.0, 60.0, far.sum())
    rgb = _image(tmp_path)
    shares = {}
    for balance in ("uniform", "depth"):
        drawn = []
        for seed in range(10):
            rec = frame_record(Frame(rgb, depth, INTR), Sampling(points=40, balance=balance),
                               np.random.default_rng(seed))  # fmt: skip
            assert rec is not None
            drawn += rec["z_depth"]
        shares[balance] = np.mean(np.array(drawn) > 20.0)
    assert shares["uniform"] < 0.12 and shares["depth"] > 0.3
    assert shares["depth"] > 3 * shares["uniform"]


def test_range_limits_apply_to_euclidean_label(tmp_path):
    rgb = _image(tmp_path)
    z = np.full((H, W), 4.0)
    rec = frame_record(Frame(rgb, z, INTR), Sampling(points=10_000, max_depth=4.2),
                       np.random.default_rng(0))  # fmt: skip
    assert rec is not None and max(rec["depth"]) <= 4.2
    pix = np.array(rec["pixel_coords"])
    assert np.all(4.0 * _ray_factor(pix) <= 4.2)  # corners, farther along the ray, dropped
    assert len(pix) < (W - 10) * (H - 10)


def test_curate_frames_names_and_skips(tmp_path):
    a, b = _image(tmp_path, "a.png"), _image(tmp_path, "b.png")
    warned: list[str] = []
    frames = [Frame(a, _smooth_map(), INTR, sequence="s", frame=0, camera_to_world=np.eye(4)
                    .tolist()), Frame(b, np.full((H, W), np.nan), INTR)]  # fmt: skip
    res = curate_frames(frames, tmp_path / "out", sampling=Sampling(points=5), dataset="toy",
                        progress=False, on_warning=warned.append)  # fmt: skip
    assert res.records == 1 and res.skipped == [b] and "b.png" in warned[0]
    (r,) = read_records(res.records_path)
    assert (r.dataset, r.sequence, r.frame, r.image) == ("toy", "s", 0, "images/a.png")
    twice = [Frame(a, _smooth_map(), INTR), Frame(a, _smooth_map(), INTR)]
    with pytest.raises(ValueError, match=r"both be written as images/a\.png"):
        curate_frames(twice, tmp_path / "out2", progress=False)
    with pytest.raises(ValueError, match="size mismatch"):
        curate_frames([Frame(a, np.ones((H, W + 1)), INTR)], tmp_path / "out3", progress=False)
