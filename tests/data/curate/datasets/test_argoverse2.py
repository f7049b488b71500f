"""Argoverse 2 reader on a tiny sensor-dataset log (feather tables, jpg images, float16 sweeps)."""

import re
import sys

import numpy as np
import pytest
from PIL import Image

pa = pytest.importorskip("pyarrow")
from pyarrow import feather  # noqa: E402

from depthlm.data.curate.datasets import get_dataset  # noqa: E402
from depthlm.data.curate.frames import Sampling, curate_frames  # noqa: E402
from depthlm.data.records import read_records  # noqa: E402

av2 = get_dataset("argoverse2")

W, H = 32, 64  # portrait, like ring_front_center
FX, FY, CX, CY = 30.0, 30.0, 15.5, 31.5
LOG = "7fab2350-7eaf-3b7e-a39d-6937a4c1bede"
CAM = "ring_front_center"
# camera optical frame (x right, y down, z forward) → vehicle (x forward, y left, z up)
MOUNT_R, MOUNT_Q = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float), [0.5, -0.5, 0.5, -0.5]
CAM_T = [1.635, 0.003, 1.398]
T0 = 315966265259836000
MS = 1_000_000
CAM_TS = [T0 + k * 50 * MS for k in range(4)] + [T0 + 300 * MS]  # the last has no sweep near
LIDAR_TS = [T0 + 5 * MS, T0 + 105 * MS]
PAIR = [0, 0, 1, 1]  # nearest sweep of each kept image


def target(i):
    """Pixel (u, v) and z-depth planted for image ``i``."""
    return 6 + 4 * i, 12 + 9 * i, 8.0 + i


def T(R, t):
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = R, t
    return m


def city_from_ego(t):
    """Ego pose at time ``t``: 10 m/s forward while turning 5°/s, in a far-away city frame."""
    s = (t - T0) / 1e9
    a = np.radians(40.0 + 5.0 * s)
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return T(R, [5172.6 + 10 * s * np.cos(a), 2419.1 + 10 * s * np.sin(a), 66.9]), [
        np.cos(a / 2),
        0.0,
        0.0,
        np.sin(a / 2),
    ]


def cam_from_lidar_ego(i):
    """The devkit's motion-compensated chain, built from matrices (not quaternions)."""
    city_from_cam = city_from_ego(CAM_TS[i])[0] @ T(MOUNT_R, CAM_T)
    return np.linalg.inv(city_from_cam) @ city_from_ego(LIDAR_TS[PAIR[i]])[0]


def pose_table(key, keys, quats, trans):
    cols = {key: keys}
    cols.update({c: [q[j] for q in quats] for j, c in enumerate(("qw", "qx", "qy", "qz"))})
    cols.update({c: [t[j] for t in trans] for j, c in enumerate(("tx_m", "ty_m", "tz_m"))})
    return pa.table(cols)


def make_av2(root):
    log = root / "train" / LOG
    for d in ("calibration", f"sensors/cameras/{CAM}", "sensors/lidar"):
        (log / d).mkdir(parents=True)
    feather.write_feather(
        pa.table(
            {
                "sensor_name": [CAM, "ring_rear_left"],
                "fx_px": [FX, 20.0],
                "fy_px": [FY, 20.0],
                "cx_px": [CX, 16.0],
                "cy_px": [CY, 8.0],
                "k1": [-0.24, -0.25],
                "k2": [-0.21, -0.14],
                "k3": [0.33, 0.21],
                "height_px": pa.array([H, 32], pa.uint16()),
                "width_px": pa.array([W, 64], pa.uint16()),
            }
        ),
        log / "calibration/intrinsics.feather",
    )
    feather.write_feather(
        pose_table(
            "sensor_name", [CAM, "up_lidar"], [MOUNT_Q, [1, 0, 0, 0]], [CAM_T, [1.35, 0, 1.64]]
        ),
        log / "calibration/egovehicle_SE3_sensor.feather",
    )
    stamps = sorted({*CAM_TS, *LIDAR_TS, T0 - 7 * MS, T0 + 400 * MS})  # poses at every sensor time
    poses = [city_from_ego(t) for t in stamps]
    feather.write_feather(
        pose_table(
            "timestamp_ns",
            pa.array(stamps, pa.int64()),
            [q for _, q in poses],
            [m[:3, 3] for m, _ in poses],
        ),
        log / "city_SE3_egovehicle.feather",
    )
    for i, t in enumerate(CAM_TS):
        Image.new("RGB", (W, H), (40 * i, 50, 70)).save(log / f"sensors/cameras/{CAM}/{t}.jpg")
    rng = np.random.default_rng(2)
    far = np.column_stack(
        [rng.uniform(30, 60, 300), rng.uniform(-20, 20, 300), rng.uniform(-2, 3, 300)]
    )
    planted = [[] for _ in LIDAR_TS]
    for i in range(len(PAIR)):
        u, v, z = target(i)
        x_cam = [(u + 0.5 - CX) * z / FX, (v + 0.5 - CY) * z / FY, z, 1.0]
        planted[PAIR[i]].append((np.linalg.inv(cam_from_lidar_ego(i)) @ x_cam)[:3])
    for j, t in enumerate(LIDAR_TS):
        xyz = np.vstack([far, *planted[j]]).astype(np.float16)  # AV2 stores halffloat
        n = len(xyz)
        feather.write_feather(
            pa.table(
                {
                    "x": xyz[:, 0],
                    "y": xyz[:, 1],
                    "z": xyz[:, 2],
                    "intensity": pa.array(rng.integers(0, 255, n), pa.uint8()),
                    "laser_number": pa.array(rng.integers(0, 64, n), pa.uint8()),
                    "offset_ns": pa.array(rng.integers(0, 10**8, n), pa.int32()),
                }
            ),
            log / f"sensors/lidar/{t}.feather",
        )
    return root


def stored_point(root, i):
    """Image ``i``'s planted point as stored (float16) in its sweep, in the ego frame."""
    table = feather.read_table(root / "train" / LOG / f"sensors/lidar/{LIDAR_TS[PAIR[i]]}.feather")
    k = 300 + sum(1 for m in range(i) if PAIR[m] == PAIR[i])
    return np.array([table.column(c).to_numpy()[k] for c in "xyz"], dtype=np.float64)


def test_nearest_sweep_motion_compensated(tmp_path):
    root = make_av2(tmp_path / "av2")
    with pytest.warns(UserWarning, match=r"1 ring_front_center image\(s\) had no LiDAR sweep"):
        res = curate_frames(
            av2.frames(root),
            tmp_path / "out",
            sampling=Sampling(points=5000),
            progress=False,
            dataset="argoverse2",
        )
    records = read_records(res.records_path)
    assert [r.frame for r in records] == [0, 1, 2, 3]
    for i, r in enumerate(records):
        assert r.sequence == LOG and r.image == f"images/{LOG}_{CAM}_{CAM_TS[i]}.jpg"
        assert r.intrinsics == [FX, FY, CX, CY, W, H]
        city_from_cam = city_from_ego(CAM_TS[i])[0] @ T(MOUNT_R, CAM_T)
        assert np.allclose(r.camera_to_world, city_from_cam, atol=1e-6)
        u, v, _ = target(i)
        x_cam = cam_from_lidar_ego(i) @ [*stored_point(root, i), 1.0]
        assert (int(FX * x_cam[0] / x_cam[2] + CX), int(FY * x_cam[1] / x_cam[2] + CY)) == (u, v)
        k = [tuple(p) for p in r.pixel_coords].index((u, v))
        assert r.z_depth[k] == pytest.approx(x_cam[2], abs=1e-6)
        expected = x_cam[2] * np.sqrt(((u - CX) / FX) ** 2 + ((v - CY) / FY) ** 2 + 1)
        assert r.depth[k] == pytest.approx(expected, abs=1e-6)


def _garbage(path):
    path.write_bytes(b"not arrow")


def _drop_camera_pose(path):
    table = feather.read_table(path)
    keep = [t != CAM_TS[1] for t in table.column("timestamp_ns").to_pylist()]
    feather.write_feather(table.filter(pa.array(keep)), path)


def _drop_z(path):
    feather.write_feather(feather.read_table(path).drop_columns(["z"]), path)


@pytest.mark.parametrize(
    "name, spoil, message",
    [
        (f"sensors/lidar/{LIDAR_TS[0]}.feather", _garbage, "cannot read feather"),
        (f"sensors/lidar/{LIDAR_TS[0]}.feather", _drop_z, "missing column.*z"),
        ("calibration/intrinsics.feather", lambda p: p.unlink(), "not found"),
        (
            "city_SE3_egovehicle.feather",
            _drop_camera_pose,
            f"no ego pose at timestamp_ns {CAM_TS[1]}",
        ),
        (f"sensors/cameras/{CAM}/{CAM_TS[0]}.jpg", _garbage, "cannot read image"),
    ],
)
def test_missing_and_malformed_files_are_named(tmp_path, name, spoil, message):
    root = make_av2(tmp_path / "av2")
    path = root / "train" / LOG / name
    spoil(path)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        list(av2.frames(root, split="train"))


def test_unknown_camera_and_missing_pyarrow(tmp_path, monkeypatch):
    root = make_av2(tmp_path / "av2")
    with pytest.raises(ValueError, match=r"intrinsics\.feather: no intrinsics for ring_side_left"):
        list(av2.frames(root / "train", camera="ring_side_left"))
    with pytest.raises(ValueError, match="no Argoverse 2 log"):
        list(av2.frames(root, split="val"))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        list(av2.frames(root / "train" / LOG))
