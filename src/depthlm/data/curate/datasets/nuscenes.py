"""nuScenes → frames: each key frame's top LiDAR sweep projected into one camera.

Layout (``root`` is the devkit's ``dataroot``)::

    root/
      v1.0-mini/                 # or v1.0-trainval / v1.0-test (option ``version``)
        scene.json  sample.json  sample_data.json  calibrated_sensor.json
        ego_pose.json  sensor.json  ...
      samples/CAM_FRONT/n015-..._CAM_FRONT__1531883530412470.jpg
      samples/LIDAR_TOP/n015-..._LIDAR_TOP__1531883530449377.pcd.bin
      sweeps/...                 # non-key frames: not used

Download: nuscenes.org after registering (``URL``); licence CC BY-NC-SA 4.0 plus the
nuScenes terms of use (non-commercial).

Sweeps are float32 records of x, y, z, intensity, ring (metres, LiDAR frame); images come
undistorted with ``camera_intrinsic`` (schema doc). Labels are sparse z-depth (32-beam LiDAR,
nearest return per pixel). The transform follows the devkit's ``map_pointcloud_to_image``:
LiDAR → ego at the sweep's time → global → ego at the image's time → camera (quaternions
``w, x, y, z``), which cancels the ego motion between the two timestamps; objects that move
in those few tens of ms are not. Records carry
``camera_to_world`` (global frame = ego_pose ∘ calibrated_sensor), ``sequence`` = scene name
and ``frame`` = key-frame index in the scene.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.data.curate.datasets._driving import inverse, lidar_frame, read_json, rigid
from depthlm.data.curate.frames import Frame
from depthlm.data.curate.lidar import read_points

NAME = "nuscenes"
TITLE = "nuScenes"
URL = "https://www.nuscenes.org/nuscenes#download"
LICENSE = "CC BY-NC-SA 4.0 (non-commercial; nuScenes terms of use)"
UNITS = (
    "LiDAR .pcd.bin float32 ×5 in metres, projected to z-depth "
    "(nutonomy/nuscenes-devkit map_pointcloud_to_image)"
)
OPTIONS = {
    "camera": "camera channel (default CAM_FRONT; CAM_FRONT_LEFT, CAM_BACK, ...)",
    "version": "metadata folder, e.g. v1.0-mini (default: the only v1.0-* folder)",
    "lidar": "LiDAR channel (default LIDAR_TOP)",
}

#: the fields each table must provide (nuScenes schema)
TABLES = {
    "scene": ("token", "name"),
    "sample": ("token", "timestamp", "scene_token"),
    "sample_data": (
        "token",
        "sample_token",
        "ego_pose_token",
        "calibrated_sensor_token",
        "filename",
        "timestamp",
        "is_key_frame",
    ),
    "calibrated_sensor": ("token", "sensor_token", "translation", "rotation", "camera_intrinsic"),
    "ego_pose": ("token", "translation", "rotation"),
    "sensor": ("token", "channel"),
}


def _version_dir(root: Path, version: str | None) -> Path:
    if version is not None:
        if not (root / version).is_dir():
            raise ValueError(f"{root / version}: nuScenes metadata folder not found")
        return root / version
    found = sorted(p for p in root.glob("v1.0-*") if p.is_dir())
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise ValueError(
            f"{root}: need exactly one v1.0-* folder (found {names}); pass version=..."
        )
    return found[0]


def _table(meta: Path, name: str) -> dict[str, dict[str, Any]]:
    """Rows of ``meta/name.json`` by token, each checked for the schema's fields."""
    path = meta / f"{name}.json"
    rows = read_json(path)
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON list of records")
    for i, row in enumerate(rows):
        missing = [k for k in TABLES[name] if not isinstance(row, dict) or k not in row]
        if missing:
            raise ValueError(f"{path}: record {i} lacks field(s) {', '.join(missing)}")
    return {row["token"]: row for row in rows}


class _Tables:
    def __init__(self, meta: Path) -> None:
        self.meta = meta
        self.rows = {name: _table(meta, name) for name in TABLES}

    def get(self, name: str, token: str) -> dict[str, Any]:
        try:
            return self.rows[name][token]
        except KeyError:
            raise ValueError(f"{self.meta / name}.json: no record with token {token}") from None

    def pose(self, name: str, token: str) -> np.ndarray:
        """4×4 of a calibrated_sensor (sensor → ego) or ego_pose (ego → global) record."""
        rec = self.get(name, token)
        return rigid(rec["rotation"], rec["translation"], f"{self.meta / name}.json {token}")


def _intrinsics(tables: _Tables, cs_token: str) -> tuple[float, float, float, float]:
    K = np.asarray(tables.get("calibrated_sensor", cs_token)["camera_intrinsic"], dtype=float)
    if K.shape != (3, 3) or not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0:
        raise ValueError(
            f"{tables.meta / 'calibrated_sensor.json'} {cs_token}: "
            f"camera_intrinsic is not a 3x3 camera matrix"
        )
    return (float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2]))


def frames(
    root: Path, camera: str = "CAM_FRONT", version: str | None = None, lidar: str = "LIDAR_TOP"
) -> Iterator[Frame]:
    """Every key frame of ``camera`` with the same sample's ``lidar`` sweep projected into it."""
    root = Path(root)
    tables = _Tables(_version_dir(root, version))
    channels = {s["channel"] for s in tables.rows["sensor"].values()}
    for ch in (camera, lidar):
        if ch not in channels:
            raise ValueError(
                f"{tables.meta / 'sensor.json'}: no channel {ch!r} "
                f"(have {', '.join(sorted(channels))})"
            )
    key_data: dict[tuple[str, str], dict[str, Any]] = {}
    for sd in tables.rows["sample_data"].values():
        if sd["is_key_frame"]:
            cs = tables.get("calibrated_sensor", sd["calibrated_sensor_token"])
            channel = tables.get("sensor", cs["sensor_token"])["channel"]
            key_data[(sd["sample_token"], channel)] = sd
    scene_name = {
        t: tables.get("scene", t)["name"]
        for t in {s["scene_token"] for s in tables.rows["sample"].values()}
    }
    samples = sorted(
        tables.rows["sample"].values(), key=lambda s: (scene_name[s["scene_token"]], s["timestamp"])
    )
    index: dict[str, int] = {}
    for sample in samples:
        scene = scene_name[sample["scene_token"]]
        index[scene] = index.get(scene, -1) + 1
        cam, lid = (key_data.get((sample["token"], ch)) for ch in (camera, lidar))
        if cam is None or lid is None:
            raise ValueError(
                f"{tables.meta / 'sample_data.json'}: sample {sample['token']} has "
                f"no key-frame {camera if cam is None else lidar}"
            )
        world_from_cam = tables.pose("ego_pose", cam["ego_pose_token"]) @ tables.pose(
            "calibrated_sensor", cam["calibrated_sensor_token"]
        )
        world_from_lidar = tables.pose("ego_pose", lid["ego_pose_token"]) @ tables.pose(
            "calibrated_sensor", lid["calibrated_sensor_token"]
        )
        rgb = root / cam["filename"]
        yield lidar_frame(
            rgb,
            read_points(root / lid["filename"]),
            inverse(world_from_cam) @ world_from_lidar,
            _intrinsics(tables, cam["calibrated_sensor_token"]),
            camera_to_world=world_from_cam.tolist(),
            sequence=scene,
            frame=index[scene],
            id=Path(cam["filename"]).stem,
            name=Path(cam["filename"]).name,
        )
