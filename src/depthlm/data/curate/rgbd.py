"""``curate_rgbd``: a folder of RGB images plus aligned depth maps → DepthLM records.

The record's ``depth`` is the Euclidean distance to the camera centre (the question DepthLM
asks) and ``z_depth`` the optical-axis depth beside it, whichever one the sensor stored, so a
user's capture scores exactly like the curated benchmarks.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from depthlm.data.curate.depth_maps import read_depth
from depthlm.data.curate.intrinsics import Intrinsics, parse_intrinsics, read_intrinsics_file
from depthlm.data.curate.pairing import (
    DEPTH_SUFFIXES,
    POSE_SUFFIXES,
    RGB_SUFFIXES,
    list_files,
    pair_files,
)
from depthlm.data.curate.poses import read_pose
from depthlm.data.curate.sampling import sample_pixels, valid_mask
from depthlm.data.records import validate_record, write_records
from depthlm.geometry.camera import DEPTH_TYPES, Camera


@dataclass
class CurationResult:
    """What a curation run wrote, for the CLI summary and for tests."""

    records_path: Path
    records: int = 0
    points: int = 0
    skipped: list[Path] = field(default_factory=list)


def _euclidean_map(cam: Camera, depth: np.ndarray, depth_type: str) -> np.ndarray:
    """The whole map as Euclidean metres (NaN stays NaN), so range limits apply to the label."""
    if depth_type == "euclidean":
        return depth
    ys, xs = np.mgrid[0 : depth.shape[0], 0 : depth.shape[1]]
    return cam.z_to_euclidean(np.stack([xs, ys], axis=-1), depth)


def _place_image(src: Path, dst: Path, link: bool) -> None:
    """Copy (or link) ``src`` to ``dst``, replacing a file left by an earlier run."""
    if dst.exists() or dst.is_symlink():
        if dst.resolve() == src.resolve():
            return
        dst.unlink()
    if not link:
        shutil.copy2(src, dst)
        return
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or links not allowed: a symlink still saves space
        dst.symlink_to(src.resolve())


def _default_sequence(rgb: Path, depth: Path) -> str:
    """The capture's name: the folder holding both streams (``scene0/rgb`` + ``scene0/depth``
    → ``scene0``), else the RGB folder's own name."""
    rgb, depth = rgb.resolve(), depth.resolve()
    common = Path(os.path.commonpath([rgb, depth]))
    return (rgb if common == rgb or common == common.parent else common).name


def _resolve_intrinsics(
    intrinsics: str | list[float] | None, intrinsics_file: Path | None
) -> Intrinsics:
    if (intrinsics is None) == (intrinsics_file is None):
        raise ValueError("give exactly one of --intrinsics FX,FY,CX,CY or --intrinsics-file")
    if intrinsics_file is not None:
        return read_intrinsics_file(Path(intrinsics_file))
    if isinstance(intrinsics, str):
        return parse_intrinsics(intrinsics)
    return parse_intrinsics(",".join(str(v) for v in intrinsics or []))


def curate_rgbd(
    rgb: str | Path,
    depth: str | Path,
    out: str | Path,
    *,
    intrinsics: str | list[float] | None = None,
    intrinsics_file: str | Path | None = None,
    depth_scale: float | None = None,
    depth_type: str = "z",
    poses: str | Path | None = None,
    sequence: str | None = None,
    points: int = 100,
    min_depth: float = 0.0,
    max_depth: float = float("inf"),
    exclude_edges: bool = False,
    seed: int = 0,
    link: bool = False,
    progress: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> CurationResult:
    """Write ``OUT/records.jsonl`` and ``OUT/images/`` from an RGB-D folder pair.

    ``depth_type`` says what the maps hold (``z`` for most sensors, ``euclidean`` for ray
    distances); ``depth_scale`` divides 16-bit PNG values into metres
    (required for PNG maps: guessing millimetres would silently mislabel TUM-style data).
    With ``poses`` the records carry ``camera_to_world``, ``sequence`` and ``frame`` (index in
    sorted order). Images with no valid pixel are skipped with a warning naming them.
    """
    rgb, depth, out = Path(rgb), Path(depth), Path(out)
    if depth_type not in DEPTH_TYPES:
        raise ValueError(f"--depth-type must be one of {DEPTH_TYPES}, got {depth_type!r}")
    if points < 1:
        raise ValueError(f"--points must be at least 1, got {points}")
    if not (0 <= min_depth < max_depth):
        raise ValueError(f"need 0 <= --min-depth < --max-depth, got {min_depth}, {max_depth}")
    warn = on_warning or (lambda msg: warnings.warn(msg, stacklevel=3))
    cams = _resolve_intrinsics(intrinsics, Path(intrinsics_file) if intrinsics_file else None)
    rgb_files = list_files(rgb, RGB_SUFFIXES, "RGB")
    pairs = pair_files(rgb_files, list_files(depth, DEPTH_SUFFIXES, "depth"), "depth")
    pose_of: dict[Path, Path] = {}
    if poses is not None:
        pose_files = list_files(Path(poses), POSE_SUFFIXES, "pose")
        pose_of = dict(pair_files(rgb_files, pose_files, "pose"))
        sequence = sequence or _default_sequence(rgb, depth)
    (out / "images").mkdir(parents=True, exist_ok=True)
    result = CurationResult(records_path=out / "records.jsonl")
    records: list[dict[str, Any]] = []
    for frame, (rgb_path, depth_path) in enumerate(tqdm(pairs, desc="curate", unit="img",
                                                        disable=not progress)):  # fmt: skip
        record = _curate_one(
            rgb_path, depth_path, cams, depth_scale=depth_scale, depth_type=depth_type,
            points=points, min_depth=min_depth, max_depth=max_depth,
            exclude_edges=exclude_edges, rng=np.random.default_rng([seed, frame]),
        )  # fmt: skip
        if record is None:
            result.skipped.append(rgb_path)
            warn(f"{rgb_path}: no valid depth pixel (with {depth_path}); image skipped")
            continue
        if rgb_path in pose_of:
            record["camera_to_world"] = read_pose(pose_of[rgb_path])
            record["sequence"], record["frame"] = sequence, frame
        _place_image(rgb_path, out / "images" / rgb_path.name, link)
        validate_record(record, image_root=out, path=result.records_path, line=len(records) + 1)
        records.append(record)
        result.points += len(record["depth"])
    if not records:
        raise ValueError(f"{rgb}: no image has a valid depth pixel; nothing written")
    write_records(result.records_path, records)
    result.records = len(records)
    return result


def _curate_one(
    rgb_path: Path,
    depth_path: Path,
    cams: Intrinsics,
    *,
    depth_scale: float | None,
    depth_type: str,
    points: int,
    min_depth: float,
    max_depth: float,
    exclude_edges: bool,
    rng: np.random.Generator,
) -> dict[str, Any] | None:
    """One record, or ``None`` when the map has no eligible pixel."""
    with Image.open(rgb_path) as img:
        width, height = img.size
    dmap = read_depth(depth_path, depth_scale)
    if dmap.shape != (height, width):
        raise ValueError(
            f"size mismatch: {rgb_path} is {width}x{height} but {depth_path} is "
            f"{dmap.shape[1]}x{dmap.shape[0]}"
        )
    fx, fy, cx, cy = cams.lookup(rgb_path.stem, depth_path.stem)
    cam = Camera(fx, fy, cx, cy, width, height)
    dist = _euclidean_map(cam, dmap, depth_type)
    mask = valid_mask(dist, min_depth=min_depth, max_depth=max_depth, exclude_edges=exclude_edges)
    pix = sample_pixels(mask, points, rng)
    if len(pix) == 0:
        return None
    d = dist[pix[:, 1], pix[:, 0]]
    z = dmap[pix[:, 1], pix[:, 0]] if depth_type == "z" else cam.euclidean_to_z(pix, d)
    return {
        "image": f"images/{rgb_path.name}",
        "intrinsics": cam.to_list(),
        "pixel_coords": pix.tolist(),
        "depth": [float(v) for v in d],
        "z_depth": [float(v) for v in z],
        "depth_type": "euclidean",
        "unit": "m",
        "id": rgb_path.stem,
    }
