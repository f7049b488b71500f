"""The one writer every curator shares: :class:`Frame` objects (an RGB file, its depth map
in metres, intrinsics, optionally a pose) → validated DepthLM records.

Dataset modules only *read* their layout into frames (units, masks, calibration are theirs
to get right); labelling — Euclidean distance vs z, range limits, border and edge rules, the
pixel draw, copying images — happens here once, so every dataset is labelled the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from depthlm.data.curate.sampling import sample_pixels, valid_mask
from depthlm.data.records import validate_record, write_records
from depthlm.geometry.camera import DEPTH_TYPES, Camera


@dataclass
class Frame:
    """One image with aligned metric depth.

    ``depth`` is ``(H, W)`` float metres at the image's resolution, NaN (or ≤ 0) where the
    sensor has no value; ``depth_type`` says whether it holds optical-axis ``z`` (most sensors,
    projected LiDAR) or ``euclidean`` ray distances (Taskonomy, our synthetic world).
    ``name`` is the file name under ``OUT/images/`` (unique within a run; defaults to the RGB
    file's name).
    """

    rgb: Path
    depth: np.ndarray
    intrinsics: tuple[float, float, float, float]
    depth_type: str = "z"
    camera_to_world: list[list[float]] | None = None
    sequence: str | None = None
    frame: int | None = None
    id: str | None = None
    name: str | None = None


@dataclass
class CurationResult:
    """What a curation run wrote, for the CLI summary and for tests."""

    records_path: Path
    records: int = 0
    points: int = 0
    skipped: list[Path] | None = None

    def __post_init__(self) -> None:
        if self.skipped is None:
            self.skipped = []


@dataclass(frozen=True)
class Sampling:
    """How labelled pixels are drawn (see :mod:`depthlm.data.curate.sampling`)."""

    points: int = 100
    min_depth: float = 0.0
    max_depth: float = float("inf")
    exclude_edges: bool = False
    balance: str = "uniform"  # or "depth": equal shares of log-depth bins

    def __post_init__(self) -> None:
        if self.points < 1:
            raise ValueError(f"--points must be at least 1, got {self.points}")
        if not (0 <= self.min_depth < self.max_depth):
            raise ValueError(f"need 0 <= --min-depth < --max-depth, got {self.min_depth}, "
                             f"{self.max_depth}")  # fmt: skip


def euclidean_map(cam: Camera, depth: np.ndarray, depth_type: str) -> np.ndarray:
    """The whole map as Euclidean metres (NaN stays NaN), so range limits apply to the label."""
    if depth_type == "euclidean":
        return depth
    ys, xs = np.mgrid[0 : depth.shape[0], 0 : depth.shape[1]]
    return cam.z_to_euclidean(np.stack([xs, ys], axis=-1), depth)


def frame_record(frame: Frame, sampling: Sampling, rng: np.random.Generator,
                 dataset: str | None = None) -> dict[str, Any] | None:  # fmt: skip
    """One record for ``frame`` (image path relative to the output: ``images/NAME``), or
    ``None`` when no pixel is eligible."""
    if frame.depth_type not in DEPTH_TYPES:
        raise ValueError(f"{frame.rgb}: depth_type must be one of {DEPTH_TYPES}, "
                         f"got {frame.depth_type!r}")  # fmt: skip
    with Image.open(frame.rgb) as img:
        width, height = img.size
    dmap = np.asarray(frame.depth, dtype=np.float64).copy()
    if dmap.shape != (height, width):
        raise ValueError(f"size mismatch: {frame.rgb} is {width}x{height} but its depth map is "
                         f"{dmap.shape[1]}x{dmap.shape[0]}")  # fmt: skip
    dmap[~np.isfinite(dmap) | (dmap <= 0)] = np.nan
    fx, fy, cx, cy = (float(v) for v in frame.intrinsics)
    cam = Camera(fx, fy, cx, cy, width, height)
    dist = euclidean_map(cam, dmap, frame.depth_type)
    mask = valid_mask(dist, min_depth=sampling.min_depth, max_depth=sampling.max_depth,
                      exclude_edges=sampling.exclude_edges)  # fmt: skip
    pix = sample_pixels(mask, sampling.points, rng, weights_from=dist if sampling.balance ==
                        "depth" else None)  # fmt: skip
    if len(pix) == 0:
        return None
    d = dist[pix[:, 1], pix[:, 0]]
    z = dmap[pix[:, 1], pix[:, 0]] if frame.depth_type == "z" else cam.euclidean_to_z(pix, d)
    record: dict[str, Any] = {
        "image": f"images/{frame.name or frame.rgb.name}",
        "intrinsics": cam.to_list(),
        "pixel_coords": pix.tolist(),
        "depth": [float(v) for v in d],
        "z_depth": [float(v) for v in z],
        "depth_type": "euclidean",
        "unit": "m",
        "id": frame.id or Path(frame.name or frame.rgb.name).stem,
    }
    if dataset:
        record["dataset"] = dataset
    if frame.camera_to_world is not None:
        record["camera_to_world"] = [[float(v) for v in row] for row in frame.camera_to_world]
    if frame.sequence is not None:
        record["sequence"] = frame.sequence
    if frame.frame is not None:
        record["frame"] = int(frame.frame)
    return record


def curate_frames(
    frames: Iterable[Frame],
    out: str | Path,
    *,
    sampling: Sampling | None = None,
    seed: int = 0,
    link: bool = False,
    dataset: str | None = None,
    progress: bool = True,
    total: int | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> CurationResult:
    """Write ``OUT/records.jsonl`` and ``OUT/images/`` from ``frames``.

    Frame ``i`` draws its pixels from ``default_rng([seed, i])``, so a run is reproducible
    and independent of other frames. Frames with no eligible pixel are skipped with a warning
    naming them; if none is left, nothing is written.
    """
    from depthlm.data.curate.rgbd import _place_image

    sampling = sampling or Sampling()
    out = Path(out)
    warn = on_warning or (lambda msg: warnings.warn(msg, stacklevel=3))
    (out / "images").mkdir(parents=True, exist_ok=True)
    result = CurationResult(records_path=out / "records.jsonl")
    records: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, frame in enumerate(tqdm(frames, desc="curate", unit="img", total=total,
                                   disable=not progress)):  # fmt: skip
        name = frame.name or frame.rgb.name
        if name in names:
            raise ValueError(f"two frames would both be written as images/{name} "
                             f"({frame.rgb}); the dataset module must name them apart")  # fmt: skip
        record = frame_record(frame, sampling, np.random.default_rng([seed, i]), dataset)
        if record is None:
            assert result.skipped is not None
            result.skipped.append(frame.rgb)
            warn(f"{frame.rgb}: no valid depth pixel; image skipped")
            continue
        names.add(name)
        _place_image(frame.rgb, out / "images" / name, link)
        validate_record(record, image_root=out, path=result.records_path, line=len(records) + 1)
        records.append(record)
        result.points += len(record["depth"])
    if not records:
        raise ValueError(f"{out}: no frame has a valid depth pixel; nothing written")
    write_records(result.records_path, records)
    result.records = len(records)
    return result
