"""KITTI depth benchmark / KITTI raw → frames: the annotated depth maps or one raw Velodyne sweep.

Layout (``root`` is where the zips were unpacked; option ``raw`` may point the raw data
elsewhere)::

    root/
      data_depth_annotated/            # or train/ and val/ straight under root
        train/2011_09_26_drive_0001_sync/proj_depth/groundtruth/image_02/0000000005.png
        val/...
      2011_09_26/                      # KITTI raw, "synced + rectified"
        calib_cam_to_cam.txt           # P_rect_02, P_rect_03, R_rect_00, ...
        calib_velo_to_cam.txt          # R, T: Velodyne → unrectified camera 0
        2011_09_26_drive_0001_sync/
          image_02/data/0000000005.png
          velodyne_points/data/0000000005.bin

``source=annotated`` (default): the depth benchmark's 16-bit PNGs, metres = value / 256, 0 = no
value (devkit readme); z-depth in the rectified camera, accumulated over 11 sweeps and checked
against stereo, so the first and last 5 frames of a drive have none. ``source=velodyne`` (the
Eigen-split practice): one sweep, float32 x, y, z, reflectance in metres, projected with the
nearest return per pixel. Both are sparse z-depth; raw sweeps also carry parallax/occlusion
errors and the motion of a rotating scan. No poses are emitted (OXTS is not read).

Download: raw data and ``data_depth_annotated.zip`` from cvlibs.net (``URL``); licence
CC BY-NC-SA 3.0 (non-commercial).

Calibration: ``P_rect_0X = K · [I | t]`` where ``t`` is camera X's offset from rectified
camera 0 (the stereo baseline, ``t = K⁻¹ · P[:, 3]`` ≈ ``(P[0,3]/fx, 0, 0)``), so
``camera_from_velo = [I | t] · R_rect_00 · [R | T]`` and ``K`` projects it — exactly the
devkit's ``P_rect_0X · R_rect_00 · Tr_velo_to_cam`` (monodepth2 ``generate_depth_map``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._driving import image_size, lidar_frame, need
from depthlm.data.curate.depth_maps import read_depth
from depthlm.data.curate.frames import Frame
from depthlm.data.curate.lidar import read_points

NAME = "kitti"
TITLE = "KITTI depth benchmark / KITTI raw (Eigen-split style LiDAR)"
URL = "https://www.cvlibs.net/datasets/kitti/eval_depth.php?benchmark=depth_prediction"
LICENSE = "CC BY-NC-SA 3.0"
UNITS = (
    "annotated: uint16 PNG / 256 = metres, 0 invalid (depth devkit readme); velodyne: "
    "float32 metres (raw devkit), projected to z-depth"
)
OPTIONS = {
    "source": "annotated (depth-benchmark PNGs, default) or velodyne (raw sweeps)",
    "camera": "image_02 (left colour, default) or image_03 (right colour)",
    "split": "annotated only: train, val or all (default)",
    "raw": "folder holding the raw <date>/ folders (default: root)",
}
CAMERAS = ("image_02", "image_03")


def read_calib(path: Path) -> dict[str, np.ndarray]:
    """``key: numbers`` lines of a KITTI calibration file (non-numeric lines are skipped)."""
    table = {}
    for line in need(path, "calibration file").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        try:
            table[key.strip()] = np.array([float(v) for v in value.split()])
        except ValueError:
            continue  # calib_time and other text entries
    return table


def _entry(calib: dict[str, np.ndarray], path: Path, key: str, shape: tuple[int, ...]):
    if key not in calib or calib[key].size != int(np.prod(shape)):
        raise ValueError(f"{path}: needs {key} with {int(np.prod(shape))} numbers")
    return calib[key].reshape(shape)


def camera_calibration(date_dir: Path, camera: str, with_velo: bool):
    """``(fx, fy, cx, cy)`` of the rectified ``camera`` and, with ``with_velo``, its 4×4
    ``camera_from_velo``."""
    path = date_dir / "calib_cam_to_cam.txt"
    calib = read_calib(path)
    P = _entry(calib, path, f"P_rect_0{camera[-1]}", (3, 4))
    K = P[:, :3]
    intrinsics = (float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2]))
    if not with_velo:
        return intrinsics, None
    cam_from_rect0 = np.eye(4)
    cam_from_rect0[:3, 3] = np.linalg.solve(K, P[:, 3])  # baseline to rectified camera 0
    rect0_from_cam0 = np.eye(4)
    rect0_from_cam0[:3, :3] = _entry(calib, path, "R_rect_00", (3, 3))
    vpath = date_dir / "calib_velo_to_cam.txt"
    velo = read_calib(vpath)
    cam0_from_velo = np.eye(4)
    cam0_from_velo[:3, :3] = _entry(velo, vpath, "R", (3, 3))
    cam0_from_velo[:3, 3] = _entry(velo, vpath, "T", (3,))
    return intrinsics, cam_from_rect0 @ rect0_from_cam0 @ cam0_from_velo


def _meta(drive: str, camera: str, stem: str) -> dict:
    return {
        "sequence": drive,
        "frame": int(stem) if stem.isdigit() else None,
        "id": f"{drive}_{camera}_{stem}",
        "name": f"{drive}_{camera}_{stem}.png",
    }


def _annotated(root: Path, raw: Path, camera: str, split: str) -> Iterator[Frame]:
    base = root / "data_depth_annotated" if (root / "data_depth_annotated").is_dir() else root
    splits = ["train", "val"] if split == "all" else [split]
    drives = [
        d for s in splits if (base / s).is_dir() for d in sorted((base / s).iterdir()) if d.is_dir()
    ]
    if not drives:
        raise ValueError(f"{base}: no {'/'.join(splits)}/<drive> folders of annotated depth")
    calibs: dict[str, tuple] = {}
    for drive in drives:
        gt_dir = drive / "proj_depth" / "groundtruth" / camera
        pngs = sorted(gt_dir.glob("*.png"))
        if not pngs:
            raise ValueError(f"{gt_dir}: no annotated depth PNGs")
        date = drive.name[:10]
        if date not in calibs:
            calibs[date] = camera_calibration(raw / date, camera, with_velo=False)
        for png in pngs:
            rgb = raw / date / drive.name / camera / "data" / png.name
            image_size(rgb)  # a missing raw image is an error naming it
            try:
                depth = read_depth(png, 256.0)
            except OSError as exc:
                raise ValueError(f"{png}: cannot read depth PNG ({exc})") from None
            yield Frame(
                rgb=rgb,
                depth=depth,
                intrinsics=calibs[date][0],
                depth_type="z",
                **_meta(drive.name, camera, png.stem),
            )


def _velodyne(raw: Path, camera: str) -> Iterator[Frame]:
    drives = sorted(d for d in raw.glob("*/*_drive_*") if (d / "velodyne_points").is_dir())
    if not drives:
        raise ValueError(f"{raw}: no <date>/<drive>/velodyne_points folders of KITTI raw")
    for drive in drives:
        intrinsics, cam_from_velo = camera_calibration(drive.parent, camera, with_velo=True)
        scans = sorted((drive / "velodyne_points" / "data").glob("*.bin"))
        if not scans:
            raise ValueError(f"{drive / 'velodyne_points' / 'data'}: no .bin sweeps")
        for scan in scans:  # sweep-driven: a few raw drives lack sweeps for some images
            rgb = drive / camera / "data" / f"{scan.stem}.png"
            yield lidar_frame(
                rgb,
                read_points(scan),
                cam_from_velo,
                intrinsics,
                **_meta(drive.name, camera, scan.stem),
            )


def frames(
    root: Path,
    source: str = "annotated",
    camera: str = "image_02",
    split: str = "all",
    raw: str | Path | None = None,
) -> Iterator[Frame]:
    """Every KITTI frame of ``source`` seen by ``camera`` (see the module docstring)."""
    root = Path(root)
    if camera not in CAMERAS:
        raise ValueError(f"camera must be one of {CAMERAS}, got {camera!r}")
    if split not in ("train", "val", "all"):
        raise ValueError(f"split must be train, val or all, got {split!r}")
    raw_root = Path(raw) if raw is not None else root
    if source == "annotated":
        return _annotated(root, raw_root, camera, split)
    if source == "velodyne":
        return _velodyne(raw_root, camera)
    raise ValueError(f"source must be annotated or velodyne, got {source!r}")
