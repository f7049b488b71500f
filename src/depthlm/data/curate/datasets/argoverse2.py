"""Argoverse 2 Sensor Dataset → frames: each ring-camera image with the nearest LiDAR sweep.

Layout (``root`` is the dataset folder holding the splits, one split, or one log)::

    root/train/<log_id>/               # also val/, test/
      city_SE3_egovehicle.feather      # timestamp_ns, qw, qx, qy, qz, tx_m, ty_m, tz_m
      calibration/intrinsics.feather   # sensor_name, fx_px, fy_px, cx_px, cy_px, k1-3, ...
      calibration/egovehicle_SE3_sensor.feather   # sensor_name, qw..qz, tx_m..tz_m
      sensors/cameras/ring_front_center/315967376899927209.jpg
      sensors/lidar/315967376859506000.feather     # x, y, z (float16 metres, ego frame), ...

Download: argoverse.org (``URL``, via s5cmd); licence CC BY-NC-SA 4.0.

Reading ``.feather`` needs ``pyarrow``. Sweeps (10 Hz, both LiDARs merged) are already in the
ego-vehicle frame at the sweep's timestamp; cameras run at 20 Hz. Each image is paired with the
nearest sweep within ``max_offset_ms`` (default 50 ms; images without one are skipped with a
warning) and the ego motion between the two is compensated through the city poses, as the
devkit's ``get_depth_map_from_lidar`` / ``project_ego_to_img_motion_compensated`` do:
``camera ← ego(t_cam) ← city ← ego(t_lidar)`` (argoverse/av2-api). Objects moving in between
are not compensated; lower ``max_offset_ms`` (e.g. 25) to keep only
images close to a sweep. Images are distributed undistorted (k1-3 are informational,
av2-api issue #226), so the pinhole ``fx_px, fy_px, cx_px, cy_px`` apply. Labels are sparse
z-depth (nearest return per pixel); records carry ``camera_to_world`` in the city frame,
``sequence`` = log id and ``frame`` = the image's index in its log.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._driving import inverse, lidar_frame, read_feather, rigid
from depthlm.data.curate.frames import Frame

NAME = "argoverse2"
TITLE = "Argoverse 2 Sensor Dataset"
URL = "https://www.argoverse.org/av2.html#download-link"
LICENSE = "CC BY-NC-SA 4.0"
UNITS = (
    "LiDAR .feather x/y/z metres (ego frame) projected to z-depth; SE(3) poses in "
    "metres, quaternions qw, qx, qy, qz (argoverse/av2-api)"
)
OPTIONS = {
    "camera": "camera (default ring_front_center; ring_front_left, ring_side_right, ...)",
    "split": "train, val, test or all (default), when root holds the split folders",
    "max_offset_ms": "largest image-to-sweep time offset kept, in ms (default 50)",
}
_POSE = ["qw", "qx", "qy", "qz", "tx_m", "ty_m", "tz_m"]


def log_dirs(root: Path, split: str = "all") -> list[Path]:
    """Log folders (those with ``sensors/``) at ``root``, below it, or below its splits."""
    if split not in ("train", "val", "test", "all"):
        raise ValueError(f"split must be train, val, test or all, got {split!r}")
    if (root / "sensors").is_dir():
        return [root]
    logs = sorted(p.parent for p in root.glob("*/sensors") if p.is_dir())
    if not logs:
        splits = ("train", "val", "test") if split == "all" else (split,)
        logs = sorted(p.parent for s in splits for p in root.glob(f"{s}/*/sensors") if p.is_dir())
    if not logs:
        raise ValueError(f"{root}: no Argoverse 2 log folders (<split>/<log_id>/sensors)")
    return logs


def _poses(path: Path, key: str) -> dict:
    """``{key value: 4×4}`` of a pose table (egovehicle_SE3_sensor or city_SE3_egovehicle)."""
    cols = read_feather(path, [key, *_POSE])
    quats = np.stack([cols[c] for c in _POSE[:4]], axis=1)
    trans = np.stack([cols[c] for c in _POSE[4:]], axis=1)
    keys = cols[key].tolist()  # python str / int
    return {
        k: rigid(q, t, f"{path} row {i}")
        for i, (k, q, t) in enumerate(zip(keys, quats, trans, strict=True))
    }


def _intrinsics(log: Path, camera: str) -> tuple[float, float, float, float]:
    path = log / "calibration" / "intrinsics.feather"
    cols = read_feather(path, ["sensor_name", "fx_px", "fy_px", "cx_px", "cy_px"])
    names = cols["sensor_name"].tolist()
    if camera not in names:
        raise ValueError(f"{path}: no intrinsics for {camera}")
    i = names.index(camera)
    fx, fy, cx, cy = (float(cols[c][i]) for c in ("fx_px", "fy_px", "cx_px", "cy_px"))
    return fx, fy, cx, cy


def _stamps(folder: Path, suffix: str) -> tuple[np.ndarray, list[Path]]:
    files = sorted(
        (p for p in folder.glob(f"*{suffix}") if p.stem.isdigit()), key=lambda p: int(p.stem)
    )
    if not files:
        raise ValueError(f"{folder}: no <timestamp_ns>{suffix} files")
    return np.array([int(p.stem) for p in files], dtype=np.int64), files


def _log_frames(log: Path, camera: str, max_offset_ns: int) -> Iterator[Frame]:
    intrinsics = _intrinsics(log, camera)
    ext_path = log / "calibration" / "egovehicle_SE3_sensor.feather"
    ego_from_sensor = _poses(ext_path, "sensor_name")
    if camera not in ego_from_sensor:
        raise ValueError(f"{ext_path}: no extrinsics for {camera}")
    ego_from_cam = ego_from_sensor[camera]
    city_path = log / "city_SE3_egovehicle.feather"
    city_from_ego = _poses(city_path, "timestamp_ns")
    cam_ts, images = _stamps(log / "sensors" / "cameras" / camera, ".jpg")
    lidar_ts, sweeps = _stamps(log / "sensors" / "lidar", ".feather")
    skipped = 0
    for index, (t_cam, rgb) in enumerate(zip(cam_ts, images, strict=True)):
        j = int(np.searchsorted(lidar_ts, t_cam))
        near = [k for k in (j - 1, j) if 0 <= k < len(lidar_ts)]
        k = min(near, key=lambda k: abs(int(lidar_ts[k]) - int(t_cam)))
        if abs(int(lidar_ts[k]) - int(t_cam)) > max_offset_ns:
            skipped += 1
            continue
        for t in (int(t_cam), int(lidar_ts[k])):
            if t not in city_from_ego:
                raise ValueError(f"{city_path}: no ego pose at timestamp_ns {t}")
        xyz = read_feather(sweeps[k], ["x", "y", "z"])
        points = np.stack([xyz[c].astype(np.float64) for c in "xyz"], axis=1)
        city_from_cam = city_from_ego[int(t_cam)] @ ego_from_cam
        cam_from_lidar_ego = inverse(city_from_cam) @ city_from_ego[int(lidar_ts[k])]
        yield lidar_frame(
            rgb,
            points,
            cam_from_lidar_ego,
            intrinsics,
            camera_to_world=city_from_cam.tolist(),
            sequence=log.name,
            frame=index,
            id=f"{log.name}_{camera}_{rgb.stem}",
            name=f"{log.name}_{camera}_{rgb.name}",
        )
    if skipped:
        warnings.warn(
            f"{log}: {skipped} {camera} image(s) had no LiDAR sweep within "
            f"{max_offset_ns / 1e6:g} ms; skipped",
            stacklevel=2,
        )


def frames(
    root: Path, camera: str = "ring_front_center", split: str = "all", max_offset_ms: float = 50.0
) -> Iterator[Frame]:
    """Every ``camera`` image of every log under ``root`` with its nearest sweep projected."""
    max_offset_ns = round(float(max_offset_ms) * 1e6)
    for log in log_dirs(Path(root), split):
        yield from _log_frames(log, camera, max_offset_ns)
