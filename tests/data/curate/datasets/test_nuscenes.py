"""nuScenes reader on a tiny fixture in the devkit layout (tables + samples/)."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.datasets import get_dataset
from depthlm.data.curate.frames import Sampling, curate_frames
from depthlm.data.records import read_records

nuscenes = get_dataset("nuscenes")

W, H = 64, 32
FX, FY, CX, CY = 40.0, 41.0, 31.5, 15.5
# camera optical frame (x right, y down, z forward) → vehicle (x forward, y left, z up)
MOUNT_R, MOUNT_Q = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float), [0.5, -0.5, 0.5, -0.5]
CAM_T, LIDAR_T = [1.70, 0.02, 1.51], [0.94, 0.0, 1.84]
TARGET = (40, 12, 11.0)  # pixel u, v and z-depth of the planted return


def yaw(deg):
    """Rotation about z: (3×3 matrix, quaternion w, x, y, z)."""
    a = np.radians(deg)
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return R, [np.cos(a / 2), 0.0, 0.0, np.sin(a / 2)]


def T(R, t):
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = R, t
    return m


def ego_poses(i):
    """Ego pose at the sweep's and at the image's time (the car moves and turns between)."""
    lid = ([400.0 + 10 * i, 1100.0, 0.0], yaw(30.0))
    cam = ([400.3 + 10 * i, 1100.2, 0.0], yaw(30.5))
    return lid, cam


def world_from(sensor_R, sensor_t, ego):
    (t, (R, _)) = ego
    return T(R, t) @ T(sensor_R, sensor_t)


def make_nuscenes(root, n=2):
    meta = root / "v1.0-mini"
    for d in (meta, root / "samples/CAM_FRONT", root / "samples/LIDAR_TOP"):
        d.mkdir(parents=True)
    lid_R, lid_q = yaw(-90.0)  # LIDAR_TOP: x right, y forward
    tables = {
        "sensor": [
            {"token": "s_cam", "channel": "CAM_FRONT", "modality": "camera"},
            {"token": "s_lid", "channel": "LIDAR_TOP", "modality": "lidar"},
        ],
        "calibrated_sensor": [
            {
                "token": "cs_cam",
                "sensor_token": "s_cam",
                "translation": CAM_T,
                "rotation": MOUNT_Q,
                "camera_intrinsic": [[FX, 0, CX], [0, FY, CY], [0, 0, 1]],
            },
            {
                "token": "cs_lid",
                "sensor_token": "s_lid",
                "translation": LIDAR_T,
                "rotation": lid_q,
                "camera_intrinsic": [],
            },
        ],
        "scene": [{"token": "sc", "name": "scene-0061", "log_token": "l", "nbr_samples": n}],
        "sample": [],
        "sample_data": [],
        "ego_pose": [],
    }
    rng = np.random.default_rng(0)
    u, v, z = TARGET
    target = np.array([(u + 0.01 - CX) * z / FX, (v + 0.01 - CY) * z / FY, z])
    far = np.column_stack(
        [rng.uniform(-30, 30, 300), rng.uniform(-10, 10, 300), rng.uniform(30, 60, 300)]
    )
    for i in range(n):
        ts = 1531883530_000000 + i * 500_000
        lid_ego, cam_ego = ego_poses(i)
        tables["sample"].append(
            {"token": f"smp{i}", "timestamp": ts, "scene_token": "sc", "prev": "", "next": ""}
        )
        for tok, (t, (_, q)), dt in (("ep_lid", lid_ego, 0), ("ep_cam", cam_ego, 25_000)):
            tables["ego_pose"].append(
                {"token": f"{tok}{i}", "timestamp": ts + dt, "translation": t, "rotation": q}
            )
        cam_file = f"samples/CAM_FRONT/n015-2018-07-18_CAM_FRONT__{ts + 25_000}.jpg"
        lid_file = f"samples/LIDAR_TOP/n015-2018-07-18_LIDAR_TOP__{ts}.pcd.bin"
        for tok, cs, ep, f, key in (
            ("cam", "cs_cam", "ep_cam", cam_file, True),
            ("lid", "cs_lid", "ep_lid", lid_file, True),
            ("swp", "cs_cam", "ep_cam", "sweeps/CAM_FRONT/x.jpg", False),
        ):
            tables["sample_data"].append(
                {
                    "token": f"sd_{tok}{i}",
                    "sample_token": f"smp{i}",
                    "ego_pose_token": f"{ep}{i}",
                    "calibrated_sensor_token": cs,
                    "filename": f,
                    "timestamp": ts,
                    "is_key_frame": key,
                    "fileformat": f.split(".")[-1],
                    "width": W,
                    "height": H,
                }
            )
        Image.new("RGB", (W, H), (30 * i, 90, 60)).save(root / cam_file)
        lidar_from_cam = np.linalg.inv(world_from(lid_R, LIDAR_T, lid_ego)) @ world_from(
            MOUNT_R, CAM_T, cam_ego
        )
        pts = np.vstack([far, target]) @ lidar_from_cam[:3, :3].T + lidar_from_cam[:3, 3]
        extra = np.column_stack([rng.uniform(0, 100, len(pts)), np.zeros(len(pts))])
        np.hstack([pts, extra]).astype(np.float32).tofile(root / lid_file)
    for name, rows in tables.items():
        (meta / f"{name}.json").write_text(json.dumps(rows))
    return root


def test_devkit_chain_lands_on_planted_depth(tmp_path):
    root = make_nuscenes(tmp_path / "nuscenes")
    res = curate_frames(
        nuscenes.frames(root),
        tmp_path / "out",
        sampling=Sampling(points=5000),
        progress=False,
        dataset="nuscenes",
    )
    records = read_records(res.records_path)
    assert len(records) == 2 and [r.frame for r in records] == [0, 1]
    u, v, z = TARGET
    for i, r in enumerate(records):
        assert r.sequence == "scene-0061" and r.intrinsics == [FX, FY, CX, CY, W, H]
        assert r.image.startswith("images/n015-2018-07-18_CAM_FRONT__")
        k = [tuple(p) for p in r.pixel_coords].index((u, v))
        assert r.z_depth[k] == pytest.approx(z, abs=1e-4)
        expected = z * np.sqrt(((u - CX) / FX) ** 2 + ((v - CY) / FY) ** 2 + 1)
        assert r.depth[k] == pytest.approx(expected, abs=1e-4)
        world_from_cam = world_from(MOUNT_R, CAM_T, ego_poses(i)[1])
        assert np.allclose(r.camera_to_world, world_from_cam, atol=1e-9)


def _first(root, pattern):
    return sorted(root.glob(pattern))[0]


def _truncate(path):
    path.write_bytes(b"\0" * 12)  # 3 floats: not records of 5


def _bad_json(path):
    path.write_text("[{")


def _no_rotation(path):
    path.write_text(json.dumps([{"token": "ep_lid0", "translation": [0, 0, 0]}]))


@pytest.mark.parametrize(
    "pattern, spoil, message",
    [
        ("samples/LIDAR_TOP/*.pcd.bin", _truncate, "records of 5"),
        ("samples/LIDAR_TOP/*.pcd.bin", lambda p: p.unlink(), "No such file"),
        ("samples/CAM_FRONT/*.jpg", lambda p: p.unlink(), "not found"),
        ("v1.0-mini/ego_pose.json", _bad_json, "cannot read JSON"),
        ("v1.0-mini/ego_pose.json", _no_rotation, "lacks field.*rotation"),
        ("v1.0-mini/sample_data.json", lambda p: p.unlink(), "not found"),
    ],
)
def test_missing_and_malformed_files_are_named(tmp_path, pattern, spoil, message):
    root = make_nuscenes(tmp_path / "nuscenes")
    path = _first(root, pattern)
    spoil(path)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        list(nuscenes.frames(root))


def test_bad_options_are_named(tmp_path):
    root = make_nuscenes(tmp_path / "nuscenes")
    with pytest.raises(ValueError, match=r"sensor\.json.*CAM_BACK"):
        list(nuscenes.frames(root, camera="CAM_BACK"))
    with pytest.raises(ValueError, match=r"v1\.0-trainval"):
        list(nuscenes.frames(root, version="v1.0-trainval"))
