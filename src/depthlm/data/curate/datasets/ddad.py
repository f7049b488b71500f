"""DDAD (Dense Depth for Automated Driving, TRI) in DGP format → frames: the sample's LiDAR
sweep projected into one camera.

Layout (``root`` is the unpacked ``ddad_train_val/``, or one scene folder, or a DGP scene
dataset JSON)::

    ddad_train_val/
      ddad.json                    # scene_splits: {"0": train, "1": val} → scene JSON paths
      000150/
        scene_<sha1>.json          # samples (datum_keys, calibration_key) + data (datums)
        calibration/<sha1>.json    # names, intrinsics (fx, fy, cx, cy), extrinsics
        rgb/CAMERA_01/15616458249936530.png
        point_cloud/LIDAR/15616458250027900.npz   # "data": X, Y, Z, INTENSITY in metres

Download: ``DDAD.tar`` via github.com/TRI-ML/DDAD (``URL``); licence CC BY-NC-SA 4.0.

Poses are translation ``{x, y, z}`` + rotation ``{qw, qx, qy, qz}``; calibration extrinsics
take sensor → vehicle, each datum's ``pose`` takes sensor → the scene's world frame at the
datum's own timestamp, and sweeps are in the LiDAR frame (TRI-ML/dgp ``base_dataset``). As
packnet-sfm's ``DGPDataset.generate_depth_map`` does, ``camera_from_lidar = pose_cam⁻¹ ·
pose_lidar``, which also cancels the ego motion between sweep and image (~0.1 s apart); when a
datum has no pose, the static ``extrinsic_cam⁻¹ · extrinsic_lidar`` is used. Labels are
sparse z-depth (nearest return per pixel; DGP keeps the last). Moving objects are not
compensated. Non-pinhole or distorted calibrations are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.data.curate.datasets._driving import inverse, lidar_frame, read_json, rigid
from depthlm.data.curate.frames import Frame

NAME = "ddad"
TITLE = "DDAD (Dense Depth for Automated Driving)"
URL = "https://github.com/TRI-ML/DDAD"
LICENSE = "CC BY-NC-SA 4.0"
UNITS = "LiDAR .npz (key 'data', X/Y/Z metres) projected to z-depth (TRI-ML/dgp, packnet-sfm)"
OPTIONS = {
    "camera": "camera datum name (default CAMERA_01; CAMERA_05 ... CAMERA_09)",
    "split": "train, val or all (default; needs the scene dataset JSON, e.g. ddad.json)",
    "lidar": "point-cloud datum name (default LIDAR)",
}
SPLITS = {"train": "0", "val": "1"}
_NON_PINHOLE = (
    "skew",
    "fisheye",
    "equirectangular",
    "k1",
    "k2",
    "k3",
    "k4",
    "k5",
    "k6",
    "p1",
    "p2",
)


def _pose(obj: Any, where: str) -> np.ndarray:
    """4×4 of a DGP pose: ``{"translation": {x, y, z}, "rotation": {qw, qx, qy, qz}}``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("rotation"), dict):
        raise ValueError(f"{where}: expected a pose with translation and rotation")
    r, t = obj["rotation"], obj.get("translation") or {}
    return rigid(
        [r.get(k, 0.0) for k in ("qw", "qx", "qy", "qz")], [t.get(k, 0.0) for k in "xyz"], where
    )


def _dataset_json(root: Path) -> Path | None:
    """The DGP scene dataset JSON (``ddad.json``: has ``scene_splits``) at ``root``, if any."""
    if root.is_file():
        return root
    for path in sorted(root.glob("*.json")):
        meta = read_json(path)
        if isinstance(meta, dict) and "scene_splits" in meta:
            return path
    return None


def scene_files(root: Path, split: str = "all") -> list[Path]:
    """Scene JSONs of a scene folder, of the scene dataset JSON, or found as ``*/scene_*.json``."""
    if split not in ("all", *SPLITS):
        raise ValueError(f"split must be train, val or all, got {split!r}")
    single = [] if root.is_file() else sorted(root.glob("scene_*.json"))
    index = None if single else _dataset_json(root)
    if index is None:
        if split != "all":
            raise ValueError(f"{root}: split={split} needs the scene dataset JSON (ddad.json)")
        files = single or sorted(root.glob("*/scene_*.json"))
        if not files:
            raise ValueError(f"{root}: no ddad.json, scene_*.json or */scene_*.json files")
        return files
    splits = read_json(index).get("scene_splits")
    if not isinstance(splits, dict):
        raise ValueError(f"{index}: scene_splits is not a mapping of split → filenames")
    keys = list(SPLITS.values()) if split == "all" else [SPLITS[split]]
    names = [n for k in keys for n in (splits.get(k) or {}).get("filenames", [])]
    return [index.parent / n for n in dict.fromkeys(names)]  # splits may share scenes


def read_calibration(path: Path) -> dict[str, tuple[dict[str, Any], np.ndarray]]:
    """``{lower-case sensor name: (intrinsics dict, vehicle_from_sensor 4×4)}`` of a
    calibration JSON (DGP matches names case-insensitively: ``lidar`` == ``LIDAR``)."""
    cal = read_json(path)
    try:
        rows = zip(cal["names"], cal["intrinsics"], cal["extrinsics"], strict=True)
        return {n.lower(): (k, _pose(e, f"{path} extrinsics of {n}")) for n, k, e in rows}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed DGP calibration ({exc})") from None


def _intrinsics(k: dict[str, Any], path: Path, name: str) -> tuple[float, float, float, float]:
    bad = [f for f in _NON_PINHOLE if float(k.get(f, 0.0) or 0.0) != 0.0]
    if bad or not float(k.get("fx", 0)) > 0 or not float(k.get("fy", 0)) > 0:
        raise ValueError(
            f"{path}: {name} is not an undistorted pinhole camera "
            f"(fx, fy > 0 and zero {', '.join(bad) or 'distortion'} needed)"
        )
    return (float(k["fx"]), float(k["fy"]), float(k.get("cx", 0.0)), float(k.get("cy", 0.0)))


def read_sweep(path: Path) -> np.ndarray:
    """``(N, 3)`` X, Y, Z of a DGP ``.npz`` sweep (plain N×≥3 or structured array)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arr = z["data"]
        if arr.dtype.fields is not None:
            arr = np.stack([arr[c] for c in ("X", "Y", "Z")], axis=-1).reshape(-1, 3)
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: cannot read DGP point cloud ({exc!r})") from None
    if arr.ndim != 2 or arr.shape[1] < 3:
        raise ValueError(f"{path}: expected N×3 (or wider) points, got {arr.shape}")
    return np.asarray(arr[:, :3], dtype=np.float64)


def _scene_frames(path: Path, camera: str, lidar: str) -> Iterator[Frame]:
    scene, folder = read_json(path), path.parent
    try:
        data = {d["key"]: d for d in scene["data"]}
        samples = scene["samples"]
    except (KeyError, TypeError):
        raise ValueError(f"{path}: not a DGP scene (needs samples and data)") from None
    calibrations: dict[str, dict] = {}
    for i, sample in enumerate(samples):
        try:
            datums = {data[k]["id"]["name"].lower(): data[k]["datum"] for k in sample["datum_keys"]}
            key = sample["calibration_key"]
            cam, pc = datums[camera.lower()]["image"], datums[lidar.lower()]["point_cloud"]
            rgb, sweep = folder / cam["filename"], folder / pc["filename"]
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}: sample {i} lacks {exc} ({camera} image and {lidar} point cloud needed)"
            ) from None
        if key not in calibrations:
            calibrations[key] = read_calibration(folder / "calibration" / f"{key}.json")
        cal, cal_path = calibrations[key], folder / "calibration" / f"{key}.json"
        for name in (camera, lidar):
            if name.lower() not in cal:
                raise ValueError(f"{cal_path}: no calibration for {name}")
        world_from_cam = (
            _pose(cam["pose"], f"{path} {cam['filename']} pose") if "pose" in cam else None
        )
        if world_from_cam is not None and "pose" in pc:
            world_from_lidar = _pose(pc["pose"], f"{path} {pc['filename']} pose")
            cam_from_lidar = inverse(world_from_cam) @ world_from_lidar
        else:  # static calibration: camera ← vehicle ← LiDAR
            cam_from_lidar = inverse(cal[camera.lower()][1]) @ cal[lidar.lower()][1]
        yield lidar_frame(
            rgb,
            read_sweep(sweep),
            cam_from_lidar,
            _intrinsics(cal[camera.lower()][0], cal_path, camera),
            camera_to_world=None if world_from_cam is None else world_from_cam.tolist(),
            sequence=folder.name,
            frame=i,
            id=f"{folder.name}_{camera}_{rgb.stem}",
            name=f"{folder.name}_{camera}_{rgb.name}",
        )


def frames(
    root: Path, camera: str = "CAMERA_01", split: str = "all", lidar: str = "LIDAR"
) -> Iterator[Frame]:
    """Every sample of the selected scenes: ``camera``'s image with ``lidar`` projected."""
    for path in scene_files(Path(root), split):
        yield from _scene_frames(path, camera, lidar)
