"""SUN RGB-D (Song et al., CVPR 2015): 10,335 frames from Kinect v1/v2, Xtion and RealSense.

Layout: ``SUNRGBD.zip`` extracted; every frame is its own folder, found at any depth::

    ROOT/SUNRGBD/kv1/NYUdata/NYU0001/
        image/NYU0001.jpg
        depth/NYU0001.png         # raw sensor depth (bit-rotated uint16, see below)
        depth_bfx/NYU0001.png     # the same, holes filled by the authors
        intrinsics.txt            # 3×3 camera matrix of image/ (row-major)

Depth decoding follows the SUN RGB-D toolbox (``read3dPoints.m``, and SUN3D's
``depthRead.m``): the PNG's 16 bits are rotated right by 3, ``(v >> 3) | (v << 13)``, then
divided by 1000 → metres. (Not ``/ 10000``: that would shrink every label.) The toolbox clamps
at 8 m for display; no clamp here (use the curator's ``--max-depth``). Depth is z; image and
depth share the registered colour camera.

``depth=raw`` (default) reads ``depth/``: measurements only. ``depth=bfx`` reads the toolbox's
own ``depth_bfx/`` (what ``SUNRGBDMeta`` points at), whose filled-in values are estimates.
The NYUv2 frames of SUN RGB-D (``kv1/NYUdata``) duplicate nyuv2; drop them with
``skip_nyu=true`` when mixing both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._indoor import (
    as_bool,
    as_choice,
    pinhole,
    read_matrix,
    read_png16,
)
from depthlm.data.curate.frames import Frame

NAME = "sunrgbd"
TITLE = "SUN RGB-D (per-frame folders)"
URL = "https://rgbd.cs.princeton.edu/"
LICENSE = "No explicit licence; research use, cite Song et al. 2015 and the source datasets"
UNITS = ("16-bit PNG rotated right by 3 bits, then millimetres (/1000) — SUNRGBDtoolbox "
         "read3dPoints.m")  # fmt: skip
OPTIONS = {
    "depth": "raw (depth/, default) or bfx (hole-filled depth_bfx/)",
    "skip_nyu": "skip the kv1/NYUdata frames that repeat NYUv2 (default false)",
}


def frames(root: Path, depth: str = "raw", skip_nyu: bool | str = False) -> Iterator[Frame]:
    root = Path(root)
    folder = "depth" if as_choice(depth, "depth", ("raw", "bfx")) == "raw" else "depth_bfx"
    skip = as_bool(skip_nyu, "skip_nyu")
    found = sorted(p.parent for p in root.rglob("intrinsics.txt") if (p.parent / "image").is_dir())
    if not found:
        raise ValueError(f"{root}: no SUN RGB-D frame folder (image/ + intrinsics.txt) found")
    for frame_dir in found:
        rel = frame_dir.relative_to(root).as_posix() if frame_dir != root else root.name
        if skip and "/NYUdata/" in f"/{rel}/":
            continue
        rgb = _only(frame_dir / "image", "*.jpg")
        k_path = frame_dir / "intrinsics.txt"
        yield Frame(
            rgb=rgb,
            depth=decode_depth(_depth_file(frame_dir / folder, rgb.stem)),
            intrinsics=pinhole(read_matrix(k_path, 3, 3, "3x3 intrinsic matrix"), k_path),
            id=rel,
            name=rel.replace("/", "_") + rgb.suffix,
        )


def decode_depth(path: Path) -> np.ndarray:
    """Metres from a SUN RGB-D depth PNG (toolbox bit rotation, then millimetres); 0 → NaN."""
    raw = read_png16(path)
    rotated = (raw >> 3) | (raw << 13)  # uint16 arithmetic: a 3-bit rotation to the right
    depth = rotated.astype(np.float64) / 1000.0
    depth[rotated == 0] = np.nan
    return depth


def _depth_file(folder: Path, stem: str) -> Path:
    """``<stem>.png``, or the folder's only PNG (names differ in a few sensor folders)."""
    expected = folder / f"{stem}.png"
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if expected.is_file() or len(pngs) != 1:
        return expected  # a missing file is reported by the reader, with its name
    return pngs[0]


def _only(folder: Path, pattern: str) -> Path:
    files = sorted(folder.glob(pattern)) if folder.is_dir() else []
    if len(files) != 1:
        raise ValueError(f"{folder}: expected exactly one {pattern} file, found {len(files)}")
    return files[0]
