"""NYU Depth V2 (Silberman et al., ECCV 2012): Kinect v1 RGB-D of 464 indoor scenes.

Two layouts are read; ``ROOT`` may hold either (the labelled file wins if both are there).

(a) The labelled set, one MATLAB v7.3 (= HDF5) file, read with ``h5py``::

    ROOT/nyu_depth_v2_labeled.mat      # 1449 frames, 640×480

    HDF5 stores MATLAB arrays transposed: ``images`` is (N, 3, W, H) uint8 and ``depths`` /
    ``rawDepths`` are (N, W, H) float metres. ``depths`` is colourisation-inpainted (every pixel
    filled, the white image border included); ``rawDepths`` is the Kinect measurement projected
    onto the RGB camera with 0 where there was none. The default is ``raw``: an inpainted value
    is a guess, not a label. Each RGB image is written as PNG to ``cache`` (a Frame needs a file).

(b) The "sync" export of the raw dataset used by BTS / AdaBins (raw frames synchronised and
    projected with the official toolbox), at any depth below ``ROOT``::

    ROOT/<scene>/rgb_00050.jpg
    ROOT/<scene>/sync_depth_00050.png  # uint16 millimetres, 0 = no depth

Intrinsics are the toolbox's RGB camera (``camera_params.m``: fx 518.857901, fy 519.469611,
cx 325.582449, cy 253.736166 for 640×480); depth is z along the optical axis.

Caveats: the toolbox's RGB lens distortion (k1 ≈ 0.21) is not modelled. The labelled images
have a white border (the usual Eigen crop keeps rows 45:471, columns 41:601) where
``rawDepths`` is 0 but ``depths`` is filled. The official 654-image test split is not applied
here; select frames with ``indices``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from depthlm.data.curate.datasets._indoor import as_choice, cache_dir, png_metres, save_image
from depthlm.data.curate.frames import Frame

NAME = "nyuv2"
TITLE = "NYU Depth V2 (labelled .mat or BTS-style sync export)"
URL = "https://cs.nyu.edu/~silberman/datasets/nyu_depth_v2.html"
LICENSE = "No explicit licence; research use, cite Silberman et al. 2012"
UNITS = ("labelled .mat: float metres; sync: 16-bit PNG millimetres (/1000); checked against the "
         "NYU toolbox (camera_params.m) and the BTS NYU loader")  # fmt: skip
OPTIONS = {
    "depth": "labelled .mat only: raw (rawDepths, default) or filled (inpainted depths)",
    "indices": "labelled .mat only: comma-separated 0-based frame indices (default all 1449)",
    "cache": "folder for the PNGs written from the .mat (default ROOT/_depthlm_rgb)",
}

LABELED = "nyu_depth_v2_labeled.mat"
INTRINSICS = (518.857901, 519.469611, 325.582449, 253.736166)


def frames(root: Path, depth: str = "raw", indices: str | list[int] | None = None,
           cache: str | Path | None = None) -> Iterator[Frame]:  # fmt: skip
    """Every frame of the labelled file if ``ROOT`` has one, else every sync pair."""
    root = Path(root)
    depth = as_choice(depth, "depth", ("raw", "filled"))
    if (root / LABELED).is_file():
        yield from _labeled(root / LABELED, depth, indices, cache_dir(root, cache))
        return
    pairs = sorted(root.rglob("rgb_*.jpg"))
    if not pairs:
        raise ValueError(f"{root}: neither {LABELED} nor sync-style rgb_*.jpg files found")
    for rgb in pairs:
        number = rgb.stem.removeprefix("rgb_")
        if not number.isdigit():
            raise ValueError(f"{rgb}: expected a name like rgb_00050.jpg")
        scene = "_".join(rgb.parent.relative_to(root).parts) or root.name
        yield Frame(
            rgb=rgb,
            depth=png_metres(rgb.with_name(f"sync_depth_{number}.png"), 1000.0),
            intrinsics=INTRINSICS,
            sequence=scene,
            frame=int(number),
            id=f"{scene}/{rgb.stem}",
            name=f"{scene}_{rgb.stem}.jpg",
        )


def _labeled(path: Path, depth: str, indices: str | list[int] | None,
             cache: Path) -> Iterator[Frame]:  # fmt: skip
    try:
        import h5py
    except ImportError:
        raise ValueError(f"{path}: reading the labelled NYUv2 file needs h5py "
                         f"(pip install h5py)") from None  # fmt: skip
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path}: not a MATLAB v7.3 / HDF5 file ({e})") from None
    with f:
        key = "rawDepths" if depth == "raw" else "depths"
        if "images" not in f or key not in f:
            raise ValueError(f"{path}: expected datasets 'images' and '{key}', found "
                             f"{sorted(f.keys())}")  # fmt: skip
        images, depths = f["images"], f[key]
        shape_ok = images.ndim == 4 and images.shape[1] == 3
        if not shape_ok or depths.shape != (len(images), *images.shape[2:]):
            raise ValueError(f"{path}: unexpected shapes images {images.shape}, {key} "
                             f"{depths.shape}")  # fmt: skip
        for i in _indices(indices, len(images), path):
            rgb = cache / f"nyu_labeled_{i:04d}.png"
            if not rgb.is_file():
                save_image(Image.fromarray(np.ascontiguousarray(images[i].T)), rgb)
            dmap = np.asarray(depths[i], dtype=np.float64).T  # (W, H) → (H, W)
            dmap[~np.isfinite(dmap) | (dmap <= 0)] = np.nan
            yield Frame(rgb=rgb, depth=dmap, intrinsics=INTRINSICS, frame=i,
                        id=f"nyu_labeled/{i:04d}", name=rgb.name)  # fmt: skip


def _indices(indices: str | list[int] | None, count: int, path: Path) -> list[int]:
    if indices is None or indices == "":
        return list(range(count))
    tokens = indices.split(",") if isinstance(indices, str) else list(indices)
    try:
        chosen = [int(t) for t in tokens]
    except ValueError:
        raise ValueError(f"option indices must be comma-separated integers: {indices!r}") from None
    bad = [i for i in chosen if not 0 <= i < count]
    if bad:
        raise ValueError(f"{path}: indices {bad} out of range 0..{count - 1}")
    return chosen
