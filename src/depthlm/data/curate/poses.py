"""Camera-to-world poses: one 4×4 text matrix per frame (ScanNet / 7-Scenes layout).

Poses make the records usable for the multi-frame tasks (speed, pose, time); a pose that is
not a finite rigid-looking 4×4 is rejected with its file name rather than carried into training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_pose(path: Path) -> list[list[float]]:
    """A 4×4 camera-to-world matrix (row-major) from a whitespace text file."""
    try:
        m = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read a 4x4 pose ({e})") from None
    if m.shape != (4, 4):
        raise ValueError(f"{path}: expected a 4x4 camera-to-world matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{path}: pose holds non-finite values (invalid tracking?)")
    if not np.allclose(m[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        raise ValueError(f"{path}: last pose row must be 0 0 0 1, got {m[3].tolist()}")
    return m.tolist()
