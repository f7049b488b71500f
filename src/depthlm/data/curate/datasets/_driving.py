"""Pieces the driving-dataset readers share: rigid transforms, JSON / feather tables read with
errors naming the file, and one LiDAR sweep → :class:`Frame` step.

Transforms are 4×4 numpy arrays named ``a_from_b`` (they take points in frame ``b`` to frame
``a``); quaternions are scalar-first ``(w, x, y, z)``, as in nuScenes, DGP and AV2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.data.curate.files import image_size, need
from depthlm.data.curate.frames import Frame
from depthlm.data.curate.lidar import project_lidar


def quat_to_matrix(q: Any, where: object = "quaternion") -> np.ndarray:
    """3×3 rotation of the scalar-first quaternion ``q = (w, x, y, z)`` (normalised first)."""
    try:
        w, x, y, z = (float(v) for v in q)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a quaternion (w, x, y, z), got {q!r}") from None
    n = np.sqrt(w * w + x * x + y * y + z * z)
    if not (np.isfinite(n) and n > 1e-9):
        raise ValueError(f"{where}: quaternion {q!r} has no valid norm")
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def rigid(rotation: Any, translation: Any, where: object = "pose") -> np.ndarray:
    """4×4 transform from a quaternion ``(w, x, y, z)`` (or a 3×3 matrix) and a translation."""
    T = np.eye(4)
    rot = np.asarray(rotation, dtype=np.float64)
    T[:3, :3] = rot if rot.shape == (3, 3) else quat_to_matrix(rotation, where)
    t = np.asarray(translation, dtype=np.float64)
    if t.shape != (3,) or not np.all(np.isfinite(t)):
        raise ValueError(f"{where}: expected a finite translation x, y, z, got {translation!r}")
    T[:3, 3] = t
    return T


def inverse(T: np.ndarray) -> np.ndarray:
    """Inverse of a rigid 4×4 transform."""
    inv = np.eye(4)
    inv[:3, :3] = T[:3, :3].T
    inv[:3, 3] = -T[:3, :3].T @ T[:3, 3]
    return inv


def read_json(path: Path) -> Any:
    """Parsed JSON of ``path``; a missing or malformed file raises ``ValueError`` naming it."""
    need(path, "JSON file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read JSON ({exc})") from None


def read_feather(path: Path, columns: list[str]) -> dict[str, np.ndarray]:
    """``columns`` of an Arrow/feather table as numpy arrays (needs ``pyarrow``)."""
    try:
        from pyarrow import feather
    except ImportError:
        raise ImportError(f"reading {path} needs pyarrow: pip install pyarrow") from None
    need(path, "feather table")
    try:
        table = feather.read_table(path)
    except Exception as exc:  # pyarrow raises its own error types for broken files
        raise ValueError(f"{path}: cannot read feather table ({exc})") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return {c: table.column(c).to_numpy() for c in columns}


def lidar_frame(
    rgb: Path,
    points: np.ndarray,
    camera_from_lidar: np.ndarray,
    intrinsics: tuple[float, float, float, float],
    **meta: Any,
) -> Frame:
    """A z-depth :class:`Frame` of ``points`` (LiDAR frame) projected into the image ``rgb``."""
    depth = project_lidar(points, camera_from_lidar, intrinsics, image_size(rgb))
    return Frame(rgb=rgb, depth=depth, intrinsics=intrinsics, depth_type="z", **meta)
