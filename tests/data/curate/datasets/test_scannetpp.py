"""scannetpp: the toolkit's iPhone export, colour resized to the 256×192-style depth size."""

import json

import numpy as np
import pytest

from depthlm.data.curate.datasets import scannetpp
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb

ALIGNED = [[0, -1, 0, 1.5], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]


def _scene(root, frames=(0, 10)):
    phone = root / "data" / "0a5c013435" / "iphone"
    meta = {}
    for n in frames:
        name = f"frame_{n:06d}"
        write_rgb(phone / "rgb" / f"{name}.jpg", (2 * W, 2 * H), shade=n)  # 7.5× in the release
        write_png16(phone / "depth" / f"{name}.png", np.full((H, W), 2500))
        meta[name] = {
            "timestamp": n / 60,
            "intrinsic": [[50.0, 0, 31.5], [0, 50.0, 23.5], [0, 0, 1]],
            "aligned_pose": ALIGNED,
            "pose": np.eye(4).tolist(),
        }
    (phone / "pose_intrinsic_imu.json").write_text(json.dumps(meta))
    return phone


def test_units_scaled_intrinsics_and_aligned_pose(tmp_path):
    _scene(tmp_path)
    records = curate(scannetpp.frames(tmp_path), tmp_path / "out")
    assert [r.frame for r in records] == [0, 10]
    assert [r.sequence for r in records] == ["0a5c013435"] * 2
    for r in records:
        assert np.allclose(r.z_depth, 2.5)  # 2500 mm
        # 64×48 → 32×24: f halves, a centred principal point stays centred (15.5, 11.5)
        assert np.allclose(r.intrinsics, [25.0, 25.0, 15.5, 11.5, W, H])
        assert np.allclose(r.camera_to_world, ALIGNED)


def test_errors_name_the_file(tmp_path):
    phone = _scene(tmp_path)
    (phone / "depth" / "frame_000010.png").unlink()
    with pytest.raises(ValueError, match=r"frame_000010\.png"):
        list(scannetpp.frames(tmp_path))
    meta = json.loads((phone / "pose_intrinsic_imu.json").read_text())
    del meta["frame_000000"]
    (phone / "pose_intrinsic_imu.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"pose_intrinsic_imu\.json.*frame_000000"):
        list(scannetpp.frames(phone))
    (phone / "pose_intrinsic_imu.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"pose_intrinsic_imu\.json"):
        list(scannetpp.frames(tmp_path))
