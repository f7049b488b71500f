"""sunrgbd: per-frame folders, the toolbox's 3-bit rotation then millimetres (not /10000)."""

import numpy as np
import pytest

from depthlm.data.curate.datasets import sunrgbd
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb, z_at


def _encode(mm: np.ndarray) -> np.ndarray:
    """What SUN RGB-D stores: millimetres rotated left by 3 bits (the toolbox undoes it)."""
    mm = mm.astype(np.uint16)
    return (mm << 3) | (mm >> 13)


def _frame(root, rel, stem):
    folder = root / "SUNRGBD" / rel
    write_rgb(folder / "image" / f"{stem}.jpg")
    mm = np.full((H, W), 2500)
    mm[:, W // 2 :] = 9000  # 9 m: needs the wrapped-around bit to decode
    write_png16(folder / "depth" / f"{stem}.png", _encode(mm))
    write_png16(folder / "depth_bfx" / f"{stem}.png", _encode(np.full((H, W), 3000)))
    (folder / "intrinsics.txt").write_text("20 0 16\n0 21 12\n0 0 1\n")
    return folder, mm / 1000.0


def test_toolbox_decoding_and_intrinsics(tmp_path):
    _, metres = _frame(tmp_path, "kv2/kinect2data/000002_2014-05-26", "0000103")
    (record,) = curate(sunrgbd.frames(tmp_path), tmp_path / "out", points=40)
    assert np.allclose(record.z_depth, z_at(record, metres))  # 2.5 m and 9.0 m, not 2.0 / 20
    assert set(np.round(record.z_depth, 6)) == {2.5, 9.0}
    assert record.intrinsics == [20.0, 21.0, 16.0, 12.0, W, H]
    assert record.image == "images/SUNRGBD_kv2_kinect2data_000002_2014-05-26.jpg"


def test_bfx_and_skip_nyu(tmp_path):
    _frame(tmp_path, "kv2/kinect2data/a", "0000001")
    _frame(tmp_path, "kv1/NYUdata/NYU0001", "NYU0001")
    records = curate(sunrgbd.frames(tmp_path, depth="bfx"), tmp_path / "o1")
    assert len(records) == 2 and all(np.allclose(r.z_depth, 3.0) for r in records)
    records = curate(sunrgbd.frames(tmp_path, skip_nyu="true"), tmp_path / "o2")
    assert [r.id for r in records] == ["SUNRGBD/kv2/kinect2data/a"]


def test_errors_name_the_file(tmp_path):
    folder, _ = _frame(tmp_path, "realsense/sa/2014_10_21", "0000008")
    (folder / "intrinsics.txt").write_text("20 0 16\n0 21\n")
    with pytest.raises(ValueError, match=r"intrinsics\.txt"):
        list(sunrgbd.frames(tmp_path))
    (folder / "intrinsics.txt").write_text("20 0 16\n0 21 12\n0 0 1\n")
    (folder / "depth" / "0000008.png").unlink()
    with pytest.raises(ValueError, match=r"depth/0000008\.png"):
        list(sunrgbd.frames(tmp_path))
