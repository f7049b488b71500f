"""ibims1: metres = value × 50 / 65535, calib files, invalid / transparent masks honoured."""

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.datasets import ibims1
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb, z_at


def _mask(path, keep):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(keep.astype(np.uint8) * 255).convert("1").save(path)  # 1-bit like the release


def _dataset(root, names=("corridor_01", "office_03")):
    base = root / "ibims1_core_raw"
    raw = np.full((H, W), 13107)  # 13107 × 50 / 65535 = 10 m exactly
    raw[H // 2 :] = 26214  # 20 m
    for name in names:
        write_rgb(base / "rgb" / f"{name}.png")
        write_png16(base / "depth" / f"{name}.png", raw)
        (base / "calib").mkdir(parents=True, exist_ok=True)
        (base / "calib" / f"{name}.txt").write_text("20.5,21.5,15.5,11.5")
        valid = np.ones((H, W), bool)
        valid[:, :10] = False  # the sampler keeps 5 px off the border anyway
        _mask(base / "mask_invalid" / f"{name}.png", valid)
        opaque = np.ones((H, W), bool)
        opaque[:9] = False
        _mask(base / "mask_transp" / f"{name}.png", opaque)
    return base, raw * 50.0 / 65535.0


def test_units_calib_and_masks(tmp_path):
    _, metres = _dataset(tmp_path)
    records = curate(ibims1.frames(tmp_path), tmp_path / "out", points=60)
    assert [r.id for r in records] == ["ibims1/corridor_01", "ibims1/office_03"]
    for r in records:
        assert np.allclose(r.z_depth, z_at(r, metres))
        assert set(np.round(r.z_depth, 6)) == {10.0, 20.0}
        assert all(x >= 10 and y >= 9 for x, y in r.pixel_coords)  # both masks honoured
        assert r.intrinsics == [20.5, 21.5, 15.5, 11.5, W, H]


def test_masks_off_and_matrix_calib(tmp_path):
    base, _ = _dataset(tmp_path, names=("lab_01",))
    (base / "calib" / "lab_01.txt").write_text("20 0 16\n0 21 12\n0 0 1\n")
    (record,) = curate(ibims1.frames(base, masks="false"), tmp_path / "out", points=400)
    assert record.intrinsics[:4] == [20.0, 21.0, 16.0, 12.0]
    assert any(x < 10 or y < 9 for x, y in record.pixel_coords)


def test_errors_name_the_file(tmp_path):
    base, _ = _dataset(tmp_path, names=("lab_01",))
    _mask(base / "mask_invalid" / "lab_01.png", np.ones((H - 1, W), bool))
    with pytest.raises(ValueError, match=r"mask_invalid/lab_01\.png"):
        list(ibims1.frames(tmp_path))
    (base / "calib" / "lab_01.txt").unlink()
    with pytest.raises(ValueError, match=r"calib/lab_01\.txt"):
        list(ibims1.frames(tmp_path, masks=False))
