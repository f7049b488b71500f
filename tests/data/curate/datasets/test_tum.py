"""tum: timestamp lists, associate.py-style pairing, 5000-per-metre PNGs, quaternion poses."""

import math

import numpy as np
import pytest

from depthlm.data.curate.datasets import tum
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb

RGB_T = ["1.000000", "1.033000", "1.066000"]
DEPTH_T = ["1.005000", "1.040000", "1.300000"]  # the third RGB frame has no depth within 0.02 s


def _sequence(root, name="rgbd_dataset_freiburg1_desk", gt=True):
    seq = root / name
    header = "# color images\n# file: 'x.bag'\n# timestamp filename\n"
    (seq / "rgb").mkdir(parents=True)
    (seq / "rgb.txt").write_text(header + "".join(f"{t} rgb/{t}.png\n" for t in RGB_T))
    (seq / "depth.txt").write_text(header + "".join(f"{t} depth/{t}.png\n" for t in DEPTH_T))
    for t in RGB_T:
        write_rgb(seq / "rgb" / f"{t}.png")
    for t in DEPTH_T:
        write_png16(seq / "depth" / f"{t}.png", np.full((H, W), 12500))  # 12500 / 5000 = 2.5 m
    if gt:
        s = math.sin(math.pi / 4)  # 90° about z
        (seq / "groundtruth.txt").write_text(
            "# ground truth trajectory\n# timestamp tx ty tz qx qy qz qw\n"
            f"0.990 1.0 2.0 3.0 0 0 {s} {s}\n1.034 0 0 0 0 0 0 1\n"
        )
    return seq


def test_pairs_units_intrinsics_and_poses(tmp_path):
    _sequence(tmp_path)
    records = curate(tum.frames(tmp_path), tmp_path / "out")
    assert len(records) == 2  # 1.066 has no depth closer than 0.02 s
    assert [r.frame for r in records] == [0, 1]
    for r in records:
        assert np.allclose(r.z_depth, 2.5)
        assert r.intrinsics[:4] == [517.3, 516.5, 318.6, 255.3]  # freiburg1 from the name
        assert r.sequence == "rgbd_dataset_freiburg1_desk"
    expected = [[0, -1, 0, 1], [1, 0, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]]
    assert np.allclose(records[0].camera_to_world, expected)  # gt 0.990 is 0.010 s away
    assert np.allclose(records[1].camera_to_world, np.eye(4))


def test_camera_option_and_missing_groundtruth(tmp_path):
    _sequence(tmp_path, name="my_recording", gt=False)
    with pytest.raises(ValueError, match="my_recording"):
        list(tum.frames(tmp_path))
    records = curate(tum.frames(tmp_path, camera="fr3", stride="2"), tmp_path / "out")
    assert len(records) == 1 and records[0].camera_to_world is None
    assert records[0].intrinsics[:4] == [535.4, 539.2, 320.1, 247.6]


def test_associate_uses_each_depth_once():
    assert tum._associate([1.0, 1.01], [1.004], 0.02) == {1.0: 1.004}


def test_errors_name_the_file(tmp_path):
    seq = _sequence(tmp_path)
    (seq / "depth" / f"{DEPTH_T[1]}.png").unlink()
    with pytest.raises(ValueError, match=f"{DEPTH_T[1]}.png"):
        list(tum.frames(tmp_path))
    (seq / "rgb.txt").write_text("1.0 rgb/a.png extra\n")
    with pytest.raises(ValueError, match=r"rgb\.txt:1"):
        list(tum.frames(tmp_path))
