"""KITTI reader on a tiny fixture in the real layout (depth-benchmark PNGs + raw drive)."""

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.datasets import get_dataset
from depthlm.data.curate.frames import Sampling, curate_frames
from depthlm.data.records import read_records

kitti = get_dataset("kitti")

W, H = 64, 32
DATE, DRIVE = "2011_09_26", "2011_09_26_drive_0001_sync"
FX, FY, CX, CY = 50.0, 52.0, 32.5, 16.25
# KITTI-like rectified projections: baseline in P[0, 3], small P[1, 3] and P[2, 3] terms
P_RECT = {
    "image_02": np.array([[FX, 0, CX, FX * 0.06], [0, FY, CY, 0.21], [0, 0, 1, 0.0027]]),
    "image_03": np.array([[FX, 0, CX, -FX * 0.47], [0, FY, CY, 0.23], [0, 0, 1, 0.0026]]),
}
R_RECT_00 = np.array(
    [
        [0.9999239, 0.0098378, -0.0074450],
        [-0.0098698, 0.9999421, -0.0042785],
        [0.0074025, 0.0043516, 0.9999631],
    ]
)
VELO_R = np.array(
    [
        [0.0075337, -0.9999714, -0.0006166],
        [0.0148025, 0.0007281, -0.9998902],
        [0.9998621, 0.0075238, 0.0148076],
    ]
)
VELO_T = np.array([-0.0040698, -0.0763162, -0.2717806])
STEMS = ("0000000005", "0000000006")


def _nums(a) -> str:
    return " ".join(f"{v:.12e}" for v in np.ravel(a))


def make_kitti(root):
    """Raw drive (images, sweeps, calibration) + depth-benchmark PNGs for ``STEMS``."""
    date = root / DATE
    date.mkdir(parents=True)
    (date / "calib_cam_to_cam.txt").write_text(
        "calib_time: 09-Jan-2012 13:57:47\ncorner_dist: 9.950000e-02\n"
        f"S_rect_02: {W} {H}\nR_rect_00: {_nums(R_RECT_00)}\n"
        f"P_rect_02: {_nums(P_RECT['image_02'])}\nP_rect_03: {_nums(P_RECT['image_03'])}\n"
    )
    (date / "calib_velo_to_cam.txt").write_text(
        f"calib_time: 15-Mar-2012 11:37:16\nR: {_nums(VELO_R)}\nT: {_nums(VELO_T)}\n"
        "delta_f: 0 0\ndelta_c: 0 0\n"
    )
    for cam in P_RECT:
        (date / DRIVE / cam / "data").mkdir(parents=True)
        gt = root / "data_depth_annotated" / "train" / DRIVE / "proj_depth" / "groundtruth" / cam
        gt.mkdir(parents=True)
        for i, stem in enumerate(STEMS):
            Image.new("RGB", (W, H), (90, 40 * i, 10)).save(
                date / DRIVE / cam / "data" / f"{stem}.png"
            )
            depth = np.zeros((H, W), np.uint16)
            depth[12, 20] = round(12.5 * 256)  # 12.5 m exactly
            depth[20, 40] = 4000 + i
            Image.fromarray(depth).save(gt / f"{stem}.png")
    (date / DRIVE / "velodyne_points" / "data").mkdir(parents=True)
    return root


def velo_point(camera, u, v, w):
    """A Velodyne point that the devkit projection ``P_rect · R_rect_00 · Tr_velo_to_cam`` puts
    at pixel ``(u, v)`` with depth ``w`` (solved independently of the reader)."""
    R4, V4 = np.eye(4), np.eye(4)
    R4[:3, :3] = R_RECT_00
    V4[:3, :3], V4[:3, 3] = VELO_R, VELO_T
    M = P_RECT[camera] @ R4 @ V4
    return np.linalg.solve(M[:, :3], w * np.array([u, v, 1.0]) - M[:, 3])


def write_sweeps(root, camera, target):
    rng = np.random.default_rng(0)
    far = np.column_stack(
        [
            rng.uniform(30, 60, 300),
            rng.uniform(-15, 15, 300),
            rng.uniform(-2, 1, 300),
            rng.uniform(0, 1, 300),
        ]
    )
    for stem in STEMS:
        pts = np.vstack([far, [*target, 0.5]]).astype(np.float32)
        pts.tofile(root / DATE / DRIVE / "velodyne_points" / "data" / f"{stem}.bin")


def _curate(root, out, **options):
    frames = kitti.frames(root, **options)
    res = curate_frames(
        frames, out, sampling=Sampling(points=5000), progress=False, dataset=kitti.NAME
    )
    return read_records(res.records_path)  # validated again on read


def _label(record, u, v):
    pix = [tuple(p) for p in record.pixel_coords]
    i = pix.index((u, v))
    return record.z_depth[i], record.depth[i]


def _euclid(u, v, z):
    return z * np.sqrt(((u - CX) / FX) ** 2 + ((v - CY) / FY) ** 2 + 1.0)


@pytest.mark.parametrize("camera", ["image_02", "image_03"])
def test_annotated_png_metres(tmp_path, camera):
    root = make_kitti(tmp_path / "kitti")
    records = _curate(root, tmp_path / "out", camera=camera)
    assert [r.id for r in records] == [f"{DRIVE}_{camera}_{s}" for s in STEMS]
    r = records[0]
    assert r.intrinsics == [FX, FY, CX, CY, W, H] and r.sequence == DRIVE and r.frame == 5
    assert r.dataset == "kitti" and r.image_path.is_file()
    z, d = _label(r, 20, 12)
    assert z == 12.5 and d == pytest.approx(_euclid(20, 12, 12.5), abs=1e-9)
    assert _label(records[1], 40, 20)[0] == pytest.approx(4001 / 256)


@pytest.mark.parametrize("camera", ["image_02", "image_03"])
def test_velodyne_projection_and_baseline(tmp_path, camera):
    root = make_kitti(tmp_path / "kitti")
    u, v, w = 40, 10, 9.0
    target = velo_point(camera, u + 0.01, v + 0.01, w)
    write_sweeps(root, camera, target)
    records = _curate(root, tmp_path / "out", source="velodyne", camera=camera)
    assert len(records) == 2
    for r in records:
        z, d = _label(r, u, v)
        assert z == pytest.approx(w, abs=1e-4)  # float32 sweep
        assert d == pytest.approx(_euclid(u, v, w), abs=1e-4)


def test_missing_and_malformed_files_are_named(tmp_path):
    root = make_kitti(tmp_path / "kitti")
    rgb = root / DATE / DRIVE / "image_02" / "data" / f"{STEMS[1]}.png"
    rgb.unlink()
    with pytest.raises(ValueError, match=str(rgb)):
        list(kitti.frames(root))
    write_sweeps(root, "image_02", velo_point("image_02", 40, 10, 9.0))
    with pytest.raises(ValueError, match=str(rgb)):
        list(kitti.frames(root, source="velodyne"))
    bad = root / DATE / DRIVE / "velodyne_points" / "data" / f"{STEMS[0]}.bin"
    np.zeros(7, np.float32).tofile(bad)  # not records of x, y, z, r
    with pytest.raises(ValueError, match=str(bad)):
        list(kitti.frames(root, source="velodyne"))
    png = (
        root
        / "data_depth_annotated/train"
        / DRIVE
        / "proj_depth/groundtruth/image_03/0000000005.png"
    )
    Image.new("L", (W, H)).save(png)  # 8-bit, not the devkit's uint16
    with pytest.raises(ValueError, match=str(png)):
        list(kitti.frames(root, camera="image_03"))
    calib = root / DATE / "calib_cam_to_cam.txt"
    calib.write_text("calib_time: 09-Jan-2012 13:57:47\nP_rect_02: 1 2 3\n")
    with pytest.raises(ValueError, match=f"{calib}.*P_rect_02"):
        list(kitti.frames(root, source="velodyne"))
    with pytest.raises(ValueError, match="source"):
        kitti.frames(root, source="stereo")
