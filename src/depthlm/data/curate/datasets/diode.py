"""DIODE (Vasiljevic et al., 2019): 1024×768 crops of FARO laser scans, indoors and outdoors.

Layout: ``train.tar.gz`` / ``val.tar.gz`` extracted (diode-devkit README)::

    ROOT/val/indoors/scene_00019/scan_00183/
        00019_00183_indoors_000_010.png              # RGB
        00019_00183_indoors_000_010_depth.npy        # (768, 1024, 1) float32 metres
        00019_00183_indoors_000_010_depth_mask.npy   # (768, 1024): 1 = valid laser return

``ROOT`` may be the folder above ``train``/``val`` or anything below it. Only pixels with mask 1
and depth > 0 are kept. Intrinsics are the devkit's ``intrinsics.txt``: the "computational
camera" that cut the crops from the scans, fx 886.81, fy 927.06, cx 512, cy 384 (fx ≠ fy on
purpose). ``scenes`` picks indoors (default), outdoor or all.

Depth type: z, with some uncertainty. Neither the devkit nor its README says which; the crops
are rendered through that pinhole "computational camera" (devkit ``intrinsics.txt``, paper
§3.2), and loaders that evaluate metric depth on DIODE with these intrinsics (e.g. UniDepth's)
use the maps as ordinary z-depth maps. Not checked against raw scans here: pass
``depth_type=euclidean`` if a check on real data (a wall seen head-on is flat in z, bowed in
range) says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._indoor import as_choice, need
from depthlm.data.curate.depth_maps import read_array
from depthlm.data.curate.frames import Frame

NAME = "diode"
TITLE = "DIODE depth (indoor / outdoor laser-scan crops)"
URL = "https://diode-dataset.org/"
LICENSE = "MIT (DIODE homepage / diode-devkit)"
UNITS = "float32 .npy metres, validity mask .npy (diode-devkit README, diode.py)"
OPTIONS = {
    "scenes": "indoors (default), outdoor or all",
    "depth_type": "z (default) or euclidean — see the module notes",
}

INTRINSICS = (886.81, 927.06, 512.0, 384.0)


def frames(root: Path, scenes: str = "indoors", depth_type: str = "z") -> Iterator[Frame]:
    root = Path(root)
    kind = as_choice(scenes, "scenes", ("indoors", "outdoor", "all"))
    dtype = as_choice(depth_type, "depth_type", ("z", "euclidean"))
    depths = sorted(root.rglob("*_depth.npy"))
    if kind != "all":
        depths = [p for p in depths if kind in p.relative_to(root).parts or f"_{kind}_" in p.name]
    if not depths:
        raise ValueError(f"{root}: no DIODE {kind} frames (*_depth.npy) found")
    for depth_path in depths:
        stem = depth_path.name.removesuffix("_depth.npy")
        rgb = need(depth_path.with_name(f"{stem}.png"), "RGB image")
        depth = _load(depth_path)
        mask_path = depth_path.with_name(f"{stem}_depth_mask.npy")
        mask = _load(mask_path)
        if mask.shape != depth.shape:
            raise ValueError(f"{mask_path}: mask shape {mask.shape} differs from the depth "
                             f"map's {depth.shape}")  # fmt: skip
        depth[~(mask > 0) | ~np.isfinite(depth) | (depth <= 0)] = np.nan
        yield Frame(rgb=rgb, depth=depth, intrinsics=INTRINSICS, depth_type=dtype,
                    id=stem, name=rgb.name)  # fmt: skip


def _load(path: Path) -> np.ndarray:
    """A 2-D float array from ``path`` (a trailing channel of 1 is dropped)."""
    return read_array(need(path, "DIODE .npy array"), ".npy array")
