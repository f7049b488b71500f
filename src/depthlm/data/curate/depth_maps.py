"""Read depth maps into float metres with NaN for invalid pixels.

Sensors store 16-bit PNGs in millimetres (or 1/5000 m, TUM) with 0 meaning "no return";
tools that already produced metres save float ``.npy``. Converting both to one float map with
NaN holes keeps the sampler free of format cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def read_array(path: Path, what: str = "array") -> np.ndarray:
    """A 2-D float64 array from a ``.npy`` file (a trailing channel of 1 is dropped); an
    unreadable file or another shape is a ``ValueError`` naming it."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read {what} ({e})") from None
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{path}: expected a 2-D numeric {what}, got {arr.dtype} {arr.shape}")
    return arr.astype(np.float64)


def read_depth(path: Path, scale: float | None) -> np.ndarray:
    """``(H, W)`` float64 metres; invalid pixels (0, negative, non-finite) become NaN.

    ``scale`` divides 16-bit PNG values (1000 for millimetres); ``.npy`` maps are already in
    metres and ignore it.
    """
    suffix = path.suffix.lower()
    if suffix == ".npy":
        depth = read_array(path, "depth array")
    elif suffix == ".png":
        if scale is None:
            raise ValueError(f"{path}: 16-bit PNG depth needs --depth-scale (1000 for mm)")
        if not (scale > 0 and np.isfinite(scale)):
            raise ValueError(f"--depth-scale must be positive, got {scale}")
        with Image.open(path) as img:
            if img.mode not in ("I;16", "I;16B", "I;16L", "I"):
                raise ValueError(
                    f"{path}: expected a 16-bit single-channel depth PNG, got mode {img.mode}"
                )
            raw = np.array(img)
        depth = raw.astype(np.float64) / scale
    else:
        raise ValueError(f"{path}: unsupported depth format (use 16-bit .png or .npy)")
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return depth
