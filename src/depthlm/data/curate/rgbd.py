"""``curate_rgbd``: a folder of RGB images plus aligned depth maps → DepthLM records.

This module only *reads* the folder pair into :class:`~depthlm.data.curate.frames.Frame`
objects (pairing, units, intrinsics, poses); labelling and writing are
:func:`~depthlm.data.curate.frames.curate_frames`', shared with every other curator, so a
user's capture is labelled exactly like the curated benchmarks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from depthlm.data.curate.depth_maps import read_depth
from depthlm.data.curate.files import image_size
from depthlm.data.curate.frames import CurationResult, Frame, Sampling, curate_frames
from depthlm.data.curate.intrinsics import Intrinsics, parse_intrinsics, read_intrinsics_file
from depthlm.data.curate.pairing import (
    DEPTH_SUFFIXES,
    POSE_SUFFIXES,
    RGB_SUFFIXES,
    list_files,
    pair_files,
)
from depthlm.data.curate.poses import read_pose
from depthlm.geometry.camera import DEPTH_TYPES

__all__ = ["CurationResult", "curate_rgbd"]

#: how :func:`~depthlm.data.curate.sampling.sample_pixels` may spread the labels
BALANCES = ("uniform", "depth")


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


def default_sequence(*folders: Path) -> str:
    """The capture's name: the folder holding all streams (``scene0/rgb`` + ``scene0/depth``
    → ``scene0``), else the first folder's own name."""
    resolved = [Path(f).resolve() for f in folders]
    common = Path(os.path.commonpath(resolved))
    first = resolved[0]
    return (first if common in (first, common.parent) else common).name


def resolve_intrinsics(
    intrinsics: str | list[float] | None, intrinsics_file: str | Path | None
) -> Intrinsics:
    """Exactly one of the flag (shared) or the file (per frame or shared): two sources would
    leave it ambiguous which focal labels the data."""
    if (intrinsics is None) == (intrinsics_file is None):
        raise ValueError("give exactly one of --intrinsics FX,FY,CX,CY or --intrinsics-file")
    if intrinsics_file is not None:
        return read_intrinsics_file(Path(intrinsics_file))
    if isinstance(intrinsics, str):
        return parse_intrinsics(intrinsics)
    return parse_intrinsics(",".join(str(v) for v in intrinsics or []))


def pose_fields(pose: Path | None, sequence: str | None, index: int) -> dict[str, Any]:
    """A frame's pose fields: ``camera_to_world``, ``sequence`` and ``frame`` from its pose
    file, or none of them for a frame without one."""
    if pose is None:
        return {}
    return {"camera_to_world": read_pose(pose), "sequence": sequence, "frame": index}


def pose_table(images: list[Path], poses: str | Path | None) -> dict[Path, Path]:
    """Image → its camera-to-world pose file (empty without ``poses``)."""
    if poses is None:
        return {}
    return dict(pair_files(images, list_files(Path(poses), POSE_SUFFIXES, "pose"), "pose"))


def _rgbd_frames(
    pairs: list[tuple[Path, Path]],
    cams: Intrinsics,
    depth_scale: float | None,
    depth_type: str,
    pose_of: dict[Path, Path],
    sequence: str | None,
) -> Iterator[Frame]:
    """One frame per (RGB, depth) pair, read lazily so only one map is in memory at a time.

    ``frame`` is the index in sorted RGB order, counting skipped images, so the indices of a
    sequence stay the capture's own.
    """
    for index, (rgb_path, depth_path) in enumerate(pairs):
        width, height = image_size(rgb_path)
        dmap = read_depth(depth_path, depth_scale)
        if dmap.shape != (height, width):
            raise ValueError(f"size mismatch: {rgb_path} is {width}x{height} but {depth_path} is "
                             f"{dmap.shape[1]}x{dmap.shape[0]}")  # fmt: skip
        fx, fy, cx, cy = cams.lookup(rgb_path.stem, depth_path.stem)
        yield Frame(
            rgb=rgb_path,
            depth=dmap,
            intrinsics=(fx, fy, cx, cy),
            depth_type=depth_type,
            **pose_fields(pose_of.get(rgb_path), sequence, index),
        )


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
    balance: str = "uniform",
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
    rgb, depth = Path(rgb), Path(depth)
    if depth_type not in DEPTH_TYPES:
        raise ValueError(f"--depth-type must be one of {DEPTH_TYPES}, got {depth_type!r}")
    sampling = make_sampling(points, min_depth, max_depth, exclude_edges, balance)
    cams = resolve_intrinsics(intrinsics, intrinsics_file)
    rgb_files = list_files(rgb, RGB_SUFFIXES, "RGB")
    pairs = pair_files(rgb_files, list_files(depth, DEPTH_SUFFIXES, "depth"), "depth")
    pose_of = pose_table(rgb_files, poses)
    if pose_of:
        sequence = sequence or default_sequence(rgb, depth)
    frames = _rgbd_frames(pairs, cams, depth_scale, depth_type, pose_of, sequence)
    return curate_frames(frames, out, sampling=sampling, seed=seed, link=link,
                         progress=progress, total=len(pairs), on_warning=on_warning)  # fmt: skip


def make_sampling(
    points: int, min_depth: float, max_depth: float, exclude_edges: bool, balance: str
) -> Sampling:
    """A :class:`Sampling` from CLI-style arguments; an unknown ``balance`` is refused here
    because the sampler would otherwise quietly fall back to uniform."""
    if balance not in BALANCES:
        raise ValueError(f"--balance must be one of {', '.join(BALANCES)}, got {balance!r}")
    return Sampling(points=points, min_depth=min_depth, max_depth=max_depth,
                    exclude_edges=exclude_edges, balance=balance)  # fmt: skip
