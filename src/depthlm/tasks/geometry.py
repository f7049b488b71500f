"""Ground truth for the six DepthLM tasks, computed from geometry.

One small pure function per task, shared by data synthesis, training and evaluation so that a
label means the same everywhere. Units: metres, seconds, metres per second. Camera frame: x
right, y down, z forward; a pixel ``[x, y]`` is the ray ``((x - cx)/fx, (y - cy)/fy, 1)`` (no
+0.5), as in :mod:`depthlm.geometry.camera`. ``camera_to_world`` is a 4×4 (or 3×4) matrix whose
last column is the camera centre in world coordinates. Pure NumPy; inputs may be batched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from depthlm.geometry.camera import Camera

#: task names as in :func:`depthlm.tasks.get_task` (``pose`` = camera translation)
TASKS = ("distance", "principal_axis", "speed", "time", "two_point", "pose")

ArrayLike = np.ndarray | Sequence | float


def distance(point_cam: ArrayLike) -> np.ndarray | float:
    """Distance task: Euclidean distance of a camera-frame point ``(..., 3)`` to the camera
    centre.

    >>> float(distance([3.0, 0.0, 4.0]))
    5.0
    """
    p = np.asarray(point_cam, dtype=np.float64)
    return np.sqrt((p * p).sum(axis=-1))


def principal_axis(point_cam: ArrayLike) -> np.ndarray | float:
    """Principal-axis task: the point's depth along the optical axis (its camera-frame z).

    >>> float(principal_axis([3.0, 0.0, 4.0]))
    4.0
    """
    return np.asarray(point_cam, dtype=np.float64)[..., 2]


def speed(distance_m: ArrayLike, seconds: ArrayLike) -> np.ndarray | float:
    """Speed task: the speed (m/s) needed to cover ``distance_m`` in ``seconds``: D / T.

    >>> float(speed(12.0, 4.0))
    3.0
    """
    t = np.asarray(seconds, dtype=np.float64)
    if np.any(t <= 0):
        raise ValueError(f"time must be positive, got {seconds}")
    return np.asarray(distance_m, dtype=np.float64) / t


def travel_time(distance_m: ArrayLike, speed_mps: ArrayLike) -> np.ndarray | float:
    """Time task: seconds to cover ``distance_m`` at ``speed_mps``: D / V.

    >>> float(travel_time(12.0, 1.5))
    8.0
    """
    v = np.asarray(speed_mps, dtype=np.float64)
    if np.any(v <= 0):
        raise ValueError(f"speed must be positive, got {speed_mps}")
    return np.asarray(distance_m, dtype=np.float64) / v


def unproject(
    pixel: ArrayLike, depth: ArrayLike, intrinsics: Sequence[float], depth_type: str = "euclidean"
) -> np.ndarray:
    """Camera-frame point ``(..., 3)`` of integer pixel(s) ``[x, y]`` at ``depth`` metres,
    which is a Euclidean distance (``"euclidean"``) or a z-depth (``"z"``).
    ``intrinsics`` is ``[fx, fy, cx, cy, ...]`` (the record layout is accepted).

    >>> unproject([150, 100], 2.0, [100, 100, 100, 100], "z").tolist()
    [1.0, 0.0, 2.0]
    """
    fx, fy, cx, cy = (float(v) for v in intrinsics[:4])
    camera = Camera(fx, fy, cx, cy, 1, 1)  # the image size plays no part in unprojection
    return camera.unproject(np.asarray(pixel, dtype=np.float64), depth, depth_type)


def two_point(
    pixel_a: ArrayLike,
    depth_a: ArrayLike,
    pixel_b: ArrayLike,
    depth_b: ArrayLike,
    intrinsics: Sequence[float],
    depth_type: str = "euclidean",
) -> np.ndarray | float:
    """Two-point task: the 3D distance between two labelled pixels of one image.

    >>> round(float(two_point([100, 100], 5.0, [150, 100], 5.0, [100, 100, 100, 100], "z")), 6)
    2.5
    """
    a = unproject(pixel_a, depth_a, intrinsics, depth_type)
    b = unproject(pixel_b, depth_b, intrinsics, depth_type)
    return distance(a - b)


def camera_centre(camera_to_world: ArrayLike) -> np.ndarray:
    """World position of the camera centre: the last column of ``camera_to_world``.

    >>> camera_centre([[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]]).tolist()
    [1.0, 2.0, 3.0]
    """
    m = np.asarray(camera_to_world, dtype=np.float64)
    return m[..., :3, 3]


def camera_motion(camera_to_world_a: ArrayLike, camera_to_world_b: ArrayLike) -> np.ndarray | float:
    """Pose (camera-translation) task: how far (metres) the camera centre moved between two views.

    >>> eye = np.eye(4); moved = np.eye(4); moved[:3, 3] = [0.0, 3.0, 4.0]
    >>> float(camera_motion(eye, moved))
    5.0
    """
    return distance(camera_centre(camera_to_world_b) - camera_centre(camera_to_world_a))


def horizontal_fov(width: ArrayLike, fx: ArrayLike) -> np.ndarray | float:
    """Field-of-view task: the horizontal field of view (degrees) of an image ``width`` pixels
    wide taken with focal ``fx`` pixels, ``2·atan(W / (2·fx))``. Edge to edge of the pixel grid
    (``W``, not ``W − 1``), the convention of :func:`depthlm.inference.focal.default_focal`.

    >>> round(float(horizontal_fov(200, 100)), 6)
    90.0
    """
    w, f = np.asarray(width, dtype=np.float64), np.asarray(fx, dtype=np.float64)
    if np.any(w <= 0) or np.any(f <= 0):
        raise ValueError(f"width and focal must be positive, got {width}, {fx}")
    return np.degrees(2.0 * np.arctan(w / (2.0 * f)))


def focal_from_fov(width: ArrayLike, fov_deg: ArrayLike) -> np.ndarray | float:
    """The inverse of :func:`horizontal_fov`: the focal (pixels) giving ``fov_deg`` to ``width``.

    >>> round(float(focal_from_fov(200, 90.0)), 6)
    100.0
    """
    a = np.asarray(fov_deg, dtype=np.float64)
    if np.any(a <= 0) or np.any(a >= 180):
        raise ValueError(f"a field of view must lie in (0, 180) degrees, got {fov_deg}")
    return np.asarray(width, dtype=np.float64) / (2.0 * np.tan(np.radians(a) / 2.0))


#: task name -> label function
LABELS = {
    "distance": distance,
    "principal_axis": principal_axis,
    "speed": speed,
    "time": travel_time,
    "two_point": two_point,
    "pose": camera_motion,
}
