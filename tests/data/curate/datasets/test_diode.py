"""diode: (H, W, 1) float metres + validity mask, fixed devkit intrinsics, indoor filter."""

import numpy as np
import pytest

from depthlm.data.curate.datasets import diode
from tests.data.curate.datasets import H, W, curate, write_rgb


def _scan(root, kind, stem, metres):
    folder = root / "val" / kind / f"scene_{stem[:5]}" / f"scan_{stem[6:11]}"
    write_rgb(folder / f"{stem}.png")
    np.save(folder / f"{stem}_depth.npy", np.full((H, W, 1), metres, np.float32))
    mask = np.ones((H, W), np.float32)
    mask[:, :10] = 0  # no laser return in the left columns
    np.save(folder / f"{stem}_depth_mask.npy", mask)
    return folder


def test_units_mask_intrinsics_and_indoor_default(tmp_path):
    _scan(tmp_path, "indoors", "00019_00183_indoors_000_010", 2.5)
    _scan(tmp_path, "outdoor", "00022_00193_outdoor_000_000", 30.0)
    (record,) = curate(diode.frames(tmp_path), tmp_path / "out")
    assert record.id == "00019_00183_indoors_000_010"
    assert np.allclose(record.z_depth, 2.5)  # stored metres, z by default
    assert all(x >= 10 for x, _ in record.pixel_coords)  # mask 0 never sampled
    assert record.intrinsics == [886.81, 927.06, 512.0, 384.0, W, H]
    records = curate(diode.frames(tmp_path, scenes="all"), tmp_path / "all")
    assert sorted(round(r.z_depth[0], 3) for r in records) == [2.5, 30.0]


def test_euclidean_option(tmp_path):
    _scan(tmp_path, "indoors", "00019_00183_indoors_000_010", 2.5)
    (record,) = curate(diode.frames(tmp_path, depth_type="euclidean"), tmp_path / "out")
    assert np.allclose(record.depth, 2.5)  # the stored value is then the ray length
    assert all(z < 2.5 for z in record.z_depth)


def test_errors_name_the_file(tmp_path):
    folder = _scan(tmp_path, "indoors", "00019_00183_indoors_000_010", 2.5)
    mask = folder / "00019_00183_indoors_000_010_depth_mask.npy"
    mask.write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"00019_00183_indoors_000_010_depth_mask\.npy"):
        list(diode.frames(tmp_path))
    mask.unlink()
    with pytest.raises(ValueError, match=r"00019_00183_indoors_000_010_depth_mask\.npy"):
        list(diode.frames(tmp_path))
