"""iBims-1 (Koch et al., ECCV-W 2018): 100 indoor DSLR images with laser-scan depth.

Layout: ``ibims1_core_raw.zip`` extracted (``ROOT`` is the folder holding it or the folder
itself)::

    ROOT/ibims1_core_raw/rgb/corridor_01.png           # 640×480
                        depth/corridor_01.png          # uint16, metres = value × 50 / 65535
                        calib/corridor_01.txt          # fx, fy, cx, cy (commas) or a 3×3 matrix
                        mask_invalid/corridor_01.png   # 0 = invalid depth (optional)
                        mask_transp/corridor_01.png    # 0 = transparent surface (optional)

Units follow the dataset's encoding (``depth_m = raw * 50 / 65535``; the ``.mat`` release and
its evaluation scripts hold the same maps as float metres). A pixel is kept only where the
depth is non-zero and both masks are non-zero, as the official evaluation does
(``mask_invalid * mask_transp * (depth != 0)``); the other masks (``mask_wall``, ``mask_table``,
``mask_floor``) and ``edges`` are not used. Depth is z: the laser scan rendered into the
calibrated (undistorted) camera; a third-party check of DepthLM's iBims-1 labels found them
equal to z-depth too. iBims-1 is a test set: keep it out of training data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from depthlm.data.curate.datasets._indoor import as_bool, png_metres, read_numbers
from depthlm.data.curate.frames import Frame

NAME = "ibims1"
TITLE = "iBims-1 (independent benchmark images and matched scans)"
URL = "https://www.bgu.tum.de/lmf/ibims1/"
LICENSE = "Research use; see the iBims-1 page (no licence text checked)"
UNITS = "16-bit PNG, metres = value × 50 / 65535 (ibims1_core_raw; official evaluation masks)"
OPTIONS = {
    "masks": "honour mask_invalid / mask_transp when present: true (default) or false",
}


def frames(root: Path, masks: bool | str = True) -> Iterator[Frame]:
    root = Path(root)
    use_masks = as_bool(masks, "masks")
    base = root / "ibims1_core_raw" if (root / "ibims1_core_raw" / "rgb").is_dir() else root
    rgb_dir = base / "rgb"
    images = sorted(rgb_dir.glob("*.png")) if rgb_dir.is_dir() else []
    if not images:
        raise ValueError(f"{rgb_dir}: no iBims-1 RGB images (ibims1_core_raw/rgb/*.png) found")
    for rgb in images:
        depth = png_metres(base / "depth" / rgb.name, 65535.0 / 50.0)
        if use_masks:
            for mask_name in ("mask_invalid", "mask_transp"):
                mask_path = base / mask_name / rgb.name
                if mask_path.is_file():
                    mask = _mask(mask_path, depth.shape)
                    depth[~mask] = np.nan
        yield Frame(
            rgb=rgb,
            depth=depth,
            intrinsics=_calib(base / "calib" / f"{rgb.stem}.txt"),
            id=f"ibims1/{rgb.stem}",
            name=rgb.name,
        )


def _calib(path: Path) -> tuple[float, float, float, float]:
    values = read_numbers(path, "calibration")
    if values.size == 9:
        values = values.reshape(3, 3)[[0, 1, 0, 1], [0, 1, 2, 2]]
    if values.size != 4 or not (np.isfinite(values).all() and (values[:2] > 0).all()):
        raise ValueError(f"{path}: expected fx, fy, cx, cy or a 3x3 matrix, got {values.tolist()}")
    fx, fy, cx, cy = (float(v) for v in values)
    return fx, fy, cx, cy


def _mask(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A keep-mask (non-zero = keep) from a 1-, 8- or 16-bit PNG."""
    try:
        with Image.open(path) as img:
            keep = np.array(img.convert("L") if img.mode in ("1", "P", "RGB") else img) > 0
    except OSError as e:
        raise ValueError(f"{path}: cannot read mask ({e})") from None
    if keep.shape != shape:
        raise ValueError(f"{path}: mask is {keep.shape[::-1]} but the depth map is {shape[::-1]}")
    return keep
