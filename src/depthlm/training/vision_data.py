"""The vision warm-start's data: SFT's own distance questions (same crops, same arrow) as images
with pixel targets, and those targets moved onto the merged-token grid the tower outputs.

Why separate from the training loop: the same stream feeds ``depthlm bench readout`` and
``bench ceiling``, which train no tower, and the grid arithmetic (:func:`cell_of`) is what a
token-resolution ceiling is computed with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from depthlm.geometry.camera import Camera
from depthlm.tasks.labels import point_label
from depthlm.training.config import TrainConfig
from depthlm.training.samples import DataSource, SampleBuilder


@dataclass
class Targets:
    """One image's targets, in merged-token indices of that image (cell indices, see
    :func:`cells_of`, when the head splits each token into cells)."""

    tokens: int  # merged tokens of the image (times the cells per token)
    marked: int  # token (cell) holding the marked pixel
    marked_log: float  # log distance of the marked pixel
    dense_cells: np.ndarray  # (n,) token (cell) of each of the record's other labels
    dense_log: np.ndarray  # (n,) their log distances


def cells_of(
    xy: np.ndarray, size: tuple[int, int], grid: tuple[int, int], k: int = 1
) -> np.ndarray:
    """Index of the cell holding each pixel of ``xy`` ``(n, 2)`` in an image of ``size`` (w, h)
    whose merged grid is ``grid`` (rows, cols), when each merged token is split into ``k × k``
    cells: ``token · k² + row-major cell within the token`` (``k = 1``: the row-major token;
    pixels outside go to the nearest edge). The processor may resize by a few pixels to a
    multiple of the patch, so positions are scaled, not divided. Arrays, because a dense
    grid is hundreds of labels per crop."""
    rows, cols = grid
    w, h = size
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    r = np.clip(np.floor(xy[:, 1] * rows * k / h), 0, rows * k - 1).astype(np.int64)
    c = np.clip(np.floor(xy[:, 0] * cols * k / w), 0, cols * k - 1).astype(np.int64)
    return ((r // k) * cols + c // k) * k * k + (r % k) * k + c % k


def cell_of(xy: Sequence[float], size: tuple[int, int], grid: tuple[int, int], k: int = 1) -> int:
    """:func:`cells_of` for one pixel."""
    return int(cells_of(np.asarray([xy]), size, grid, k)[0])


def depth_map_path(record: Any) -> Path:
    """Where ``depthlm synth --dense`` put the Euclidean depth map of ``record``'s image:
    ``images/<stem>.png`` → ``depth/<stem>.npy`` (float32 metres, 0 where the sky is)."""
    image = record.image_path
    return image.parent.parent / "depth" / f"{image.stem}.npy"


def grid_depths(record: Any, camera: Camera, spacing: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres ``(n, 2)`` (int x, y) of a ``spacing``-px grid over the training image
    seen through ``camera`` (the record's camera resized and cropped: same rays) and their log
    distances ``(n,)``, read from the record's depth map at the pixel each centre comes from.
    Sky is skipped. Arrays, because a 1-px grid is ~15k labels per crop."""
    path = depth_map_path(record)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: vision_dense_spacing needs the depth maps of {record.image_path.name}; "
            "render the data with `depthlm synth --dense` or set vision_dense_spacing: 0"
        )
    depth = np.load(path, mmap_mode="r")
    w, h = camera.size
    xs = np.arange(spacing // 2, w, spacing)
    ys = np.arange(spacing // 2, h, spacing)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    src = record.camera.remap_pixels(camera, grid)
    rows, cols = depth.shape
    inside = (src[:, 0] >= 0) & (src[:, 0] < cols) & (src[:, 1] >= 0) & (src[:, 1] < rows)
    grid, src = grid[inside], src[inside]
    d = np.asarray(depth[src[:, 1], src[:, 0]], dtype=np.float64)
    keep = (d > 0) & np.isfinite(d)
    return grid[keep].astype(np.int64), np.log(d[keep])


DenseLabels = tuple[np.ndarray, np.ndarray]
"""Pixels ``(n, 2)`` (int x, y) of an image and their log distances ``(n,)``."""


class VisionSamples(torch.utils.data.Dataset):
    """Image ``i`` of the warm-start stream: SFT's distance question ``i`` (same crops, same
    arrow), its image and its targets (the other labelled pixels, or a ``dense_spacing`` grid
    read from the depth maps)."""

    def __init__(self, builder: SampleBuilder, length: int, dense_spacing: int = 0) -> None:
        if dense_spacing < 0:
            raise ValueError(f"vision_dense_spacing must be >= 0, got {dense_spacing}")
        self.builder = builder
        self.length = length
        self.dense_spacing = dense_spacing

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[Any, tuple[int, int], float, DenseLabels]:
        if not 0 <= index < self.length:  # the sequence protocol: list() and for-loops stop
            raise IndexError(f"sample {index} of {self.length}")
        built, probe, source = self.builder.draw(index)
        record = self.builder.record(source, probe.records[0])
        camera = Camera.from_intrinsics(built.cameras[0])
        if self.dense_spacing:
            dense = grid_depths(record, camera, self.dense_spacing)
        else:
            dense = _other_labels(record, camera, probe.points[0])
        return built.images[0], tuple(built.pixels[0]), math.log(built.label), dense


def _other_labels(record: Any, camera: Camera, marked: int) -> DenseLabels:
    """The record's labelled pixels other than the ``marked`` one that fall inside the
    training image seen through ``camera``, with their log distances."""
    pixels = np.asarray(camera.remap_pixels(record.camera, record.pixel_coords))
    w, h = camera.size
    xy, logs = [], []
    for j, (x, y) in enumerate(pixels):
        if j != marked and 0 <= x < w and 0 <= y < h:
            d = point_label(record, j, "distance")
            if d > 0 and math.isfinite(d):
                xy.append((int(x), int(y)))
                logs.append(math.log(d))
    return np.asarray(xy, dtype=np.int64).reshape(-1, 2), np.asarray(logs, dtype=np.float64)


class Collate:
    """Images → processor tensors; pixel targets → :class:`Targets` on the merged grid."""

    def __init__(self, processor: Any, merge: int, cells: int = 1) -> None:
        self.image_processor = getattr(processor, "image_processor", processor)
        self.merge = merge
        self.cells = cells  # k: targets on a k × k grid of cells per merged token

    def __call__(self, items: list) -> tuple[dict[str, torch.Tensor], list[Targets]]:
        enc = self.image_processor([it[0] for it in items], return_tensors="pt")
        targets = []
        for (image, marked, marked_log, (xy, logs)), g in zip(
            items, enc["image_grid_thw"], strict=True
        ):
            grid = (int(g[1]) // self.merge, int(g[2]) // self.merge)
            targets.append(
                Targets(
                    tokens=grid[0] * grid[1] * self.cells**2,
                    marked=cell_of(marked, image.size, grid, self.cells),
                    marked_log=marked_log,
                    dense_cells=cells_of(xy, image.size, grid, self.cells),
                    dense_log=logs,
                )
            )
        return dict(enc), targets


def distance_samples(
    config: TrainConfig, sources: list[DataSource], seed: int, length: int, *, dense: bool = True
) -> VisionSamples:
    """``length`` distance questions of ``sources``, cropped and marked as SFT draws them;
    ``dense=False`` leaves out the grid targets (a readout scores the marked pixel only, so
    held-out data needs no depth maps)."""
    builder = SampleBuilder(
        sources,
        config.spec(),
        tasks={"distance": 1.0},
        augment=config.augment(),
        seed=seed,
        cache_size=config.view_cache,
    )
    return VisionSamples(builder, length, config.vision_dense_spacing if dense else 0)


def eval_loader(
    config: TrainConfig, sources: list[DataSource], seed_offset: int, images: int, collate: Collate
) -> Any:
    """Loader of ``images`` distance questions of ``sources``, cropped and marked as in
    training but drawn with another seed, so even on the training data they are fresh crops and
    points (``eval_seen_*``): the gap between those and held-out scenes is what the tower has
    memorised of its scenes, i.e. whether more distinct scenes would help."""
    samples = distance_samples(config, sources, config.seed + seed_offset, images, dense=False)
    return torch.utils.data.DataLoader(samples, batch_size=50, collate_fn=collate)
