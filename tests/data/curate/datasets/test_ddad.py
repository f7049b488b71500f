"""DDAD reader on a tiny DGP-format fixture (scene dataset JSON, scenes, calibration, npz)."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.datasets import get_dataset
from depthlm.data.curate.frames import Sampling, curate_frames
from depthlm.data.records import read_records

ddad = get_dataset("ddad")

W, H = 64, 32
FX, FY, CX, CY = 45.0, 44.0, 32.0, 15.0
# camera optical frame (x right, y down, z forward) → vehicle (x forward, y left, z up)
MOUNT_R, MOUNT_Q = np.array([[0, 0, 1], [-1, 0, 0], [0, -1, 0]], float), [0.5, -0.5, 0.5, -0.5]
CAM_T = [1.49, 0.29, 1.56]
TARGET = (20, 20, 7.5)  # pixel u, v and z-depth of the planted return
ZERO_DISTORTION = {
    k: 0.0
    for k in (
        "skew",
        "fov",
        "k1",
        "k2",
        "k3",
        "k4",
        "k5",
        "k6",
        "p1",
        "p2",
        "s1",
        "s2",
        "s3",
        "s4",
        "taux",
        "tauy",
        "alpha",
        "beta",
        "w",
        "xi",
    )
}


def yaw(deg):
    a = np.radians(deg)
    R = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return R, [np.cos(a / 2), 0.0, 0.0, np.sin(a / 2)]


def qmul(a, b):
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return [
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    ]


def T(R, t):
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = R, t
    return m


def dgp_pose(q, t):
    return {
        "rotation": dict(zip(("qw", "qx", "qy", "qz"), map(float, q), strict=True)),
        "translation": dict(zip("xyz", map(float, t), strict=True)),
        "reference_coordinate_system": "",
    }


def ego(i):
    """Ego pose (R, q, t) at the sweep's and at the image's time: the car moves in between."""
    (Rl, ql), (Rc, qc) = yaw(10.0 + i), yaw(12.0 + i)
    return (Rl, ql, [100.0 + 5 * i, -2000.0, -12.0]), (Rc, qc, [100.9 + 5 * i, -1999.8, -12.0])


def world_from_cam(i):
    Rc, _, tc = ego(i)[1]
    return T(Rc, tc) @ T(MOUNT_R, CAM_T)


def make_scene(root, folder, n=2, structured=False, poses=True):
    scene_dir = root / folder
    for d in ("rgb/CAMERA_01", "point_cloud/LIDAR", "calibration"):
        (scene_dir / d).mkdir(parents=True)
    cal = {
        "names": ["LIDAR", "CAMERA_01"],
        "extrinsics": [dgp_pose([1, 0, 0, 0], [0, 0, 0]), dgp_pose(MOUNT_Q, CAM_T)],
        "intrinsics": [
            {"fx": 0.0, "fy": 0.0, "cx": 0.0, "cy": 0.0, **ZERO_DISTORTION},
            {"fx": FX, "fy": FY, "cx": CX, "cy": CY, **ZERO_DISTORTION},
        ],
    }
    (scene_dir / "calibration/c0ffee.json").write_text(json.dumps(cal))
    rng = np.random.default_rng(1)
    u, v, z = TARGET
    target = [(u + 0.01 - CX) * z / FX, (v + 0.01 - CY) * z / FY, z]
    far = np.column_stack(
        [rng.uniform(-30, 30, 300), rng.uniform(-10, 10, 300), rng.uniform(30, 60, 300)]
    )
    samples, data = [], []
    for i in range(n):
        (Rl, ql, tl), (_, qc, _) = ego(i)
        ts = 15616458250027900 + i * 100000
        rgb, npz = f"rgb/CAMERA_01/{ts - 91370}.png", f"point_cloud/LIDAR/{ts}.npz"
        Image.new("RGB", (W, H), (20, 60 * i, 90)).save(scene_dir / rgb)
        lidar_from_cam = np.linalg.inv(T(Rl, tl)) @ world_from_cam(i)  # LiDAR = vehicle frame
        if not poses:  # static calibration only: vehicle_from_lidar = I
            lidar_from_cam = T(MOUNT_R, CAM_T)
        xyz = np.vstack([far, target]) @ lidar_from_cam[:3, :3].T + lidar_from_cam[:3, 3]
        pts = np.column_stack([xyz, rng.uniform(0, 1, len(xyz))])
        if structured:
            pts = np.rec.fromarrays(pts.T, names=["X", "Y", "Z", "INTENSITY"])
        np.savez_compressed(scene_dir / npz, data=pts)
        cam = {
            "image": {
                "filename": rgb,
                "height": H,
                "width": W,
                "channels": 3,
                "pose": dgp_pose(qmul(qc, MOUNT_Q), world_from_cam(i)[:3, 3]),
            }
        }
        lid = {
            "point_cloud": {
                "filename": npz,
                "point_format": ["X", "Y", "Z", "INTENSITY"],
                "pose": dgp_pose(ql, tl),
            }
        }
        if not poses:
            del cam["image"]["pose"], lid["point_cloud"]["pose"]
        keys = [f"k{folder}{i}{s}" for s in ("c", "l")]
        for key, name, datum in zip(keys, ("CAMERA_01", "LIDAR"), (cam, lid), strict=True):
            data.append(
                {
                    "key": key,
                    "datum": datum,
                    "id": {
                        "name": name,
                        "index": "0",
                        "log": "",
                        "timestamp": "2464-11-12T01:04:10.027900Z",
                    },
                }
            )
        samples.append(
            {
                "calibration_key": "c0ffee",
                "datum_keys": keys,
                "metadata": {},
                "id": {"index": str(i), "log": "", "name": ""},
            }
        )
    scene = {"name": folder, "log": "", "samples": samples, "data": data, "metadata": {}}
    (scene_dir / f"scene_{folder}.json").write_text(json.dumps(scene))


def make_ddad(root):
    make_scene(root, "000000")
    make_scene(root, "000150", structured=True)
    splits = {
        "0": {"filenames": ["000000/scene_000000.json"]},
        "1": {"filenames": ["000150/scene_000150.json"]},
    }
    (root / "ddad.json").write_text(
        json.dumps({"metadata": {"name": "DDAD"}, "scene_splits": splits})
    )
    return root


def test_pose_chain_lands_on_planted_depth(tmp_path):
    root = make_ddad(tmp_path / "ddad_train_val")
    res = curate_frames(
        ddad.frames(root),
        tmp_path / "out",
        sampling=Sampling(points=5000),
        progress=False,
        dataset="ddad",
    )
    records = read_records(res.records_path)
    assert [(r.sequence, r.frame) for r in records] == [
        ("000000", 0),
        ("000000", 1),
        ("000150", 0),
        ("000150", 1),
    ]
    u, v, z = TARGET
    for r in records:
        assert r.intrinsics == [FX, FY, CX, CY, W, H]
        assert r.image == f"images/{r.id}.png" and r.id.startswith(f"{r.sequence}_CAMERA_01_")
        k = [tuple(p) for p in r.pixel_coords].index((u, v))
        assert r.z_depth[k] == pytest.approx(z, abs=1e-6)
        expected = z * np.sqrt(((u - CX) / FX) ** 2 + ((v - CY) / FY) ** 2 + 1)
        assert r.depth[k] == pytest.approx(expected, abs=1e-6)
        assert np.allclose(r.camera_to_world, world_from_cam(r.frame), atol=1e-9)


def test_static_extrinsics_without_datum_poses(tmp_path):
    make_scene(tmp_path, "000007", poses=False)
    (frame, _) = ddad.frames(tmp_path)
    u, v, z = TARGET
    assert frame.depth[v, u] == pytest.approx(z, abs=1e-9) and frame.camera_to_world is None
    assert np.isfinite(frame.depth).sum() > 10


def test_split_and_single_scene_folder(tmp_path):
    root = make_ddad(tmp_path / "ddad_train_val")
    assert [
        f.sequence for f in ddad.frames(root, split="val", camera="camera_01", lidar="lidar")
    ] == ["000150", "000150"]
    assert len(list(ddad.frames(root / "000000"))) == 2
    with pytest.raises(ValueError, match="split"):
        list(ddad.frames(root / "000000", split="train"))


@pytest.mark.parametrize(
    "target, spoil, message",
    [
        ("000000/point_cloud/LIDAR/15616458250027900.npz", lambda p: p.unlink(), "point cloud"),
        (
            "000000/point_cloud/LIDAR/15616458250027900.npz",
            lambda p: np.savez(p, points=np.zeros((3, 3))),
            "data",
        ),
        ("000000/rgb/CAMERA_01/15616458249936530.png", lambda p: p.unlink(), "not found"),
        ("000000/calibration/c0ffee.json", lambda p: p.unlink(), "not found"),
        (
            "000000/calibration/c0ffee.json",
            lambda p: p.write_text(p.read_text().replace('"k1": 0.0', '"k1": 0.1', 2)),
            "k1",
        ),
        ("000000/scene_000000.json", lambda p: p.write_text("{"), "JSON"),
        ("ddad.json", lambda p: p.write_text("{"), "cannot read JSON"),
        ("ddad.json", lambda p: p.write_text('{"scene_splits": []}'), "scene_splits"),
    ],
)
def test_missing_and_malformed_files_are_named(tmp_path, target, spoil, message):
    root = make_ddad(tmp_path / "ddad_train_val")
    path = root / target
    spoil(path)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        list(ddad.frames(root))


def test_missing_camera_is_named(tmp_path):
    root = make_ddad(tmp_path / "ddad_train_val")
    with pytest.raises(ValueError, match=r"scene_000000\.json.*CAMERA_05"):
        list(ddad.frames(root, camera="CAMERA_05"))
