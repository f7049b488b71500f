"""Ground truth for the single-point tasks, from whatever a record stores.

Records hold Euclidean distance or z-depth (``depth_type``; the released curation mixes both).
``distance`` asks for the Euclidean distance to the camera centre and ``principal_axis`` for
z-depth, so a label is converted through the intrinsics when the record holds the other kind. A
record without ``depth_type`` is taken at its word for either task: we cannot know, and guessing a
conversion would silently change the benchmark (iBims-1's labels are such a case).
"""

from __future__ import annotations

import numpy as np

from depthlm.data.records import Record

POINT_TASKS = ("distance", "principal_axis")


def point_labels(record: Record, task: str = "distance") -> np.ndarray:
    """Labels (metres) of every labelled pixel of ``record`` for ``task``."""
    depth = np.asarray(record.depth, dtype=np.float64)
    pixels = np.asarray(record.pixel_coords, dtype=np.float64).reshape(-1, 2)
    if task == "distance":
        if record.depth_type == "z":
            return record.camera.z_to_euclidean(pixels, depth)
        return depth
    if task == "principal_axis":
        if record.z_depth is not None:
            return np.asarray(record.z_depth, dtype=np.float64)
        if record.depth_type == "euclidean":
            return record.camera.euclidean_to_z(pixels, depth)
        return depth
    raise ValueError(f"unknown point task {task!r}; choose from {POINT_TASKS}")
