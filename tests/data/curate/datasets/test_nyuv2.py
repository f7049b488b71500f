"""nyuv2: the labelled MATLAB v7.3 file (HDF5, transposed arrays) and the sync export."""

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.datasets import nyuv2
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb, z_at


def _labeled(root, n=2):
    """A v7.3-style file: MATLAB's (H, W, 3, N) arrays appear transposed in HDF5."""
    h5py = pytest.importorskip("h5py")
    rgb = np.zeros((n, H, W, 3), np.uint8)
    rgb[..., 0] = np.arange(W, dtype=np.uint8)[None, None, :] * 7  # varies along x only
    raw = np.full((n, H, W), 2.5, np.float32)
    raw[:, :, :8] = 0.0  # no measurement in the 8 left columns
    with h5py.File(root / "nyu_depth_v2_labeled.mat", "w") as f:
        f["images"] = rgb.transpose(0, 3, 2, 1)  # (N, 3, W, H)
        f["rawDepths"] = raw.transpose(0, 2, 1)  # (N, W, H)
        f["depths"] = np.full((n, W, H), 3.0, np.float32)
    return rgb


def test_labeled_raw_depth_and_transposition(tmp_path):
    rgb = _labeled(tmp_path)
    records = curate(nyuv2.frames(tmp_path), tmp_path / "out")
    assert [r.id for r in records] == ["nyu_labeled/0000", "nyu_labeled/0001"]
    for r in records:
        assert np.allclose(r.z_depth, 2.5)  # metres as stored, no scaling
        assert all(x >= 8 for x, _ in r.pixel_coords)  # holes stay holes
        assert r.intrinsics[:4] == list(nyuv2.INTRINSICS) and r.intrinsics[4:] == [W, H]
    cached = np.asarray(Image.open(tmp_path / "_depthlm_rgb" / "nyu_labeled_0000.png"))
    assert np.array_equal(cached, rgb[0])


def test_labeled_filled_depth_and_indices(tmp_path):
    _labeled(tmp_path, n=3)
    records = curate(nyuv2.frames(tmp_path, depth="filled", indices="2",
                                  cache=tmp_path / "c"), tmp_path / "out")  # fmt: skip
    assert [r.id for r in records] == ["nyu_labeled/0002"]
    assert np.allclose(records[0].z_depth, 3.0)
    with pytest.raises(ValueError, match="out of range"):
        list(nyuv2.frames(tmp_path, indices="7"))


def test_labeled_malformed_file_named(tmp_path):
    pytest.importorskip("h5py")
    (tmp_path / "nyu_depth_v2_labeled.mat").write_bytes(b"MATLAB 5.0 MAT-file, not HDF5")
    with pytest.raises(ValueError, match=r"nyu_depth_v2_labeled\.mat"):
        list(nyuv2.frames(tmp_path))


def test_sync_layout_millimetres(tmp_path):
    scene = tmp_path / "sync" / "bedroom_0001"
    for i in (50, 51):
        write_rgb(scene / f"rgb_{i:05d}.jpg")
        write_png16(scene / f"sync_depth_{i:05d}.png", np.full((H, W), 2500))
    records = curate(nyuv2.frames(tmp_path), tmp_path / "out")
    assert [r.frame for r in records] == [50, 51]
    assert records[0].sequence == "sync_bedroom_0001"
    assert np.allclose(records[0].z_depth, 2.5)  # 2500 mm


def test_sync_missing_depth_named(tmp_path):
    write_rgb(tmp_path / "kitchen" / "rgb_00003.jpg")
    with pytest.raises(ValueError, match=r"sync_depth_00003\.png"):
        list(nyuv2.frames(tmp_path))


def test_sync_ramp_is_per_pixel(tmp_path):
    ramp = np.tile(np.arange(1000, 1000 + 100 * W, 100), (H, 1))  # mm, varies along x
    write_rgb(tmp_path / "s" / "rgb_00001.jpg")
    write_png16(tmp_path / "s" / "sync_depth_00001.png", ramp)
    (record,) = curate(nyuv2.frames(tmp_path), tmp_path / "out")
    assert np.allclose(record.z_depth, z_at(record, ramp / 1000.0))
