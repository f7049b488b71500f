"""ETH3D high-res multi-view (Schöps et al., CVPR 2017): DSLR images with laser-scan depth.

Layout: per training scene, three archives from the download page extracted side by side —
``<scene>_dslr_undistorted.7z``, ``<scene>_dslr_depth.7z`` and (calibration only)
``<scene>_dslr_jpg.7z``::

    ROOT/office/images/dslr_images_undistorted/DSC_0219.JPG
    ROOT/office/dslr_calibration_undistorted/cameras.txt, images.txt   # PINHOLE
    ROOT/office/dslr_calibration_jpg/cameras.txt, images.txt           # THIN_PRISM_FISHEYE
    ROOT/office/ground_truth_depth/dslr_images/DSC_0219.JPG            # raw float32 depth

``ROOT`` may also be one scene folder. The depth "JPG" is a raw little-endian float32 array of
the image's size, row-major, metres, ``inf`` where the scan has no point; it is z along the
optical axis.

Distortion is not ignored. ETH3D's documentation says the ground-truth depth maps belong to
the original (distorted) images, not to the pre-undistorted ones, so each depth map is
resampled into the undistorted PINHOLE camera: every undistorted pixel's ray goes through the
distorted camera's THIN_PRISM_FISHEYE model (COLMAP's ``WorldToImage``) to the depth pixel it
came from (nearest; z is unchanged since undistortion keeps the pose). Intrinsics are the
PINHOLE ones, shifted by -0.5 px from COLMAP's corner-origin to pixel-centre indices; poses
come from ``images.txt`` (world→camera, inverted). Caveats: the laser depth is sparse at
24 Mpx (a few to tens of per cent of pixels) and the images are large (~200 MB per depth map
in float64 while curating); the test scenes have no depth.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._indoor import (
    colmap_project,
    image_size,
    need,
    quat_matrix,
    read_colmap_cameras,
    read_colmap_images,
    rigid,
)
from depthlm.data.curate.frames import Frame

NAME = "eth3d"
TITLE = "ETH3D high-res multi-view (undistorted DSLR images + ground-truth depth)"
URL = "https://www.eth3d.net/datasets"
LICENSE = "CC BY-NC-SA 4.0"
UNITS = ("raw little-endian float32 metres, inf = no depth, at the distorted image's size "
         "(eth3d.net/documentation); resampled to the undistorted camera")  # fmt: skip
OPTIONS: dict[str, str] = {}

Camera = tuple[str, int, int, np.ndarray]  # COLMAP model, width, height, params
_ROWS = 256  # rows of rays per block when building a resampling map (bounds memory)


def frames(root: Path) -> Iterator[Frame]:
    root = Path(root)
    scenes = [root] if (root / "dslr_calibration_undistorted").is_dir() else sorted(
        p for p in root.iterdir() if (p / "dslr_calibration_undistorted").is_dir()
    )  # fmt: skip
    if not scenes:
        raise ValueError(f"{root}: no ETH3D scene (a folder with dslr_calibration_undistorted/)")
    for scene in scenes:
        und_cal, dist_cal = scene / "dslr_calibration_undistorted", scene / "dslr_calibration_jpg"
        und_cams = read_colmap_cameras(und_cal / "cameras.txt")
        und_imgs = read_colmap_images(und_cal / "images.txt")
        dist_cams = read_colmap_cameras(dist_cal / "cameras.txt")
        dist_imgs = read_colmap_images(dist_cal / "images.txt")
        maps: dict[tuple[int, int], np.ndarray] = {}
        folder = scene / "images" / "dslr_images_undistorted"
        images = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".png"))
        if not images:
            raise ValueError(f"{folder}: no undistorted DSLR images found")
        for rgb in images:
            if rgb.name not in und_imgs or rgb.name not in dist_imgs:
                raise ValueError(f"{und_cal / 'images.txt'} / {dist_cal / 'images.txt'}: no "
                                 f"entry for {rgb.name}")  # fmt: skip
            und_id, q, t = und_imgs[rgb.name]
            dist_id = dist_imgs[rgb.name][0]
            for cams, cid, cal in ((und_cams, und_id, und_cal), (dist_cams, dist_id, dist_cal)):
                if cid not in cams:
                    raise ValueError(f"{cal / 'cameras.txt'}: no camera {cid} (for {rgb.name})")
            model, width, height, params = und_cams[und_id]
            if model != "PINHOLE" or image_size(rgb) != (width, height):
                raise ValueError(f"{rgb}: expected a {width}x{height} image of a PINHOLE camera "
                                 f"(camera {und_id} is {model})")  # fmt: skip
            if (und_id, dist_id) not in maps:
                maps[(und_id, dist_id)] = _source_index(und_cams[und_id], dist_cams[dist_id])
            dist = dist_cams[dist_id]
            raw = _read_depth(scene / "ground_truth_depth" / "dslr_images" / rgb.name, dist)
            index = maps[(und_id, dist_id)]
            depth = np.where(index >= 0, raw[np.maximum(index, 0)], np.nan).reshape(height, width)
            rotation = quat_matrix(*q)
            fx, fy, cx, cy = (float(v) for v in params)
            yield Frame(
                rgb=rgb,
                depth=depth,
                intrinsics=(fx, fy, cx - 0.5, cy - 0.5),  # COLMAP corner origin → centres
                camera_to_world=rigid(rotation.T, -rotation.T @ t),
                sequence=scene.name,
                id=f"{scene.name}/{rgb.stem}",
                name=f"{scene.name}_{rgb.name}",
            )


def _read_depth(path: Path, camera: Camera) -> np.ndarray:
    """The raw float32 map as a flat float64 array, NaN where invalid."""
    width, height = camera[1], camera[2]
    need(path, "ground-truth depth map")
    if path.stat().st_size != width * height * 4:
        raise ValueError(f"{path}: {path.stat().st_size} bytes, expected {width}x{height} "
                         f"float32 = {width * height * 4}")  # fmt: skip
    depth = np.fromfile(path, dtype="<f4").astype(np.float64)
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return depth


def _source_index(und: Camera, dist: Camera) -> np.ndarray:
    """For each undistorted pixel (row-major), the flat index of its distorted depth pixel, or
    -1 outside the distorted image. Both cameras use COLMAP's pixel-corner origin."""
    _, width, height, p = und
    dmodel, dwidth, dheight, dparams = dist
    out = np.empty(width * height, dtype=np.int32)  # 24 Mpx fits; halves the memory
    xs = (np.arange(width) + 0.5 - p[2]) / p[0]
    for top in range(0, height, _ROWS):
        ys = (np.arange(top, min(top + _ROWS, height)) + 0.5 - p[3]) / p[1]
        x, y = np.meshgrid(xs, ys)
        u, v = colmap_project(dmodel, dparams, x, y)
        col, row = np.floor(u), np.floor(v)
        inside = (col >= 0) & (col < dwidth) & (row >= 0) & (row < dheight)
        flat = np.where(inside, row * dwidth + col, -1).astype(np.int32).ravel()
        out[top * width : top * width + flat.size] = flat
    return out
