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


def point_label(record: Record, index: int, task: str = "distance") -> float:
    """Label (metres) of labelled pixel ``index`` of ``record`` for ``task``.

    One point at a time: evaluation and training ask about one pixel per question, so
    converting a record's hundred labels for each question would be wasted work.
    """
    depth = float(record.depth[index])
    pixel = np.asarray(record.pixel_coords[index], dtype=np.float64)
    if task == "distance":
        if record.depth_type == "z":
            return float(record.camera.z_to_euclidean(pixel, np.float64(depth)))
        return depth
    if task == "principal_axis":
        if record.z_depth is not None:
            return float(record.z_depth[index])
        if record.depth_type == "euclidean":
            return float(record.camera.euclidean_to_z(pixel, np.float64(depth)))
        return depth
    raise ValueError(f"unknown point task {task!r}; choose from {POINT_TASKS}")
