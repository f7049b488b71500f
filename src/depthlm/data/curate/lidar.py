"""LiDAR sweeps → sparse z-depth maps in a camera, for driving datasets.

Points are moved into the camera frame with the LiDAR→camera extrinsics, those in front of
the camera are projected with the intrinsics, and each pixel keeps its *nearest* return: the
sensor sits apart from the camera (parallax), so farther points hidden behind a nearer surface
in the image can land on the same pixel and must not label it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Returns closer than this to the camera plane (metres) are dropped (the ego vehicle, noise).
MIN_Z = 0.5


def read_points(path: str | Path) -> np.ndarray:
    """``(N, 3)`` float64 x, y, z from ``.npy`` (``N×≥3``), ``.npz`` (first array, or key
    ``points``) or KITTI/nuScenes-style ``.bin`` (float32 records of 4 or 5 values; the
    stride is read from the file name when it contains ``pcd.bin``, nuScenes' 5)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                key = "points" if "points" in z.files else z.files[0]
                arr = z[key]
        elif suffix == ".bin":
            raw = np.fromfile(path, dtype=np.float32)
            stride = 5 if path.name.endswith(".pcd.bin") else 4
            if raw.size % stride:
                raise ValueError(f"{raw.size} float32 values are not records of {stride}")
            arr = raw.reshape(-1, stride)
        else:
            raise ValueError("unsupported point-cloud format (use .npy, .npz or .bin)")
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"{path}: cannot read points ({exc})") from None
    if arr.ndim != 2 or arr.shape[1] < 3:
        raise ValueError(f"{path}: expected an N×3 (or wider) array of points, got {arr.shape}")
    return np.asarray(arr[:, :3], dtype=np.float64)


def project_lidar(
    points: np.ndarray,
    lidar_to_camera: np.ndarray,
    intrinsics: tuple[float, float, float, float] | list[float],
    size: tuple[int, int],
    *,
    min_z: float = MIN_Z,
) -> np.ndarray:
    """``(H, W)`` z-depth (metres, NaN where no return) of ``points`` seen by the camera.

    ``lidar_to_camera`` is the 4×4 transform taking LiDAR coordinates to the camera's OpenCV
    frame (x right, y down, z forward); ``size`` is ``(width, height)``.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    T = np.asarray(lidar_to_camera, dtype=np.float64)
    if T.shape != (4, 4):
        raise ValueError(f"lidar_to_camera must be 4x4, got {T.shape}")
    w, h = int(size[0]), int(size[1])
    cam = pts @ T[:3, :3].T + T[:3, 3]
    cam = cam[np.isfinite(cam).all(axis=1) & (cam[:, 2] > min_z)]
    fx, fy, cx, cy = (float(v) for v in intrinsics)
    u = np.floor(fx * cam[:, 0] / cam[:, 2] + cx).astype(np.int64)
    v = np.floor(fy * cam[:, 1] / cam[:, 2] + cy).astype(np.int64)
    inside = (u >= 0) & (u < w) & (v >= 0) & (v < h)
    u, v, z = u[inside], v[inside], cam[inside, 2]
    depth = np.full((h, w), np.inf)
    np.minimum.at(depth, (v, u), z)  # nearest return per pixel
    depth[~np.isfinite(depth)] = np.nan
    return depth
