"""How precisely must a model see where the arrow points? The token-resolution ceiling.

A Qwen-VL vision tower hands the language model one token per merged 28 × 28 px block (patch
14, 2 × 2 merge). A model that reads "the arrow is in this token" and answers that token's
typical depth, without knowing *where* in the token the arrow points, is wrong wherever depth
varies across the token by more than δ1's factor 1.25: at object edges, on floors seen at a
grazing angle, and more often the more of the scene one token spans (a small canonical focal
makes each token cover more degrees).

This benchmark measures that ceiling on the crops a recipe's ``train`` section makes: for each
question it reads the exact depth map (``depthlm synth --dense``) over the training image,
answers with the median depth of the ``s × s`` px cell holding the arrow's pixel, and reports
δ1 per cell size ``s``. No model is involved: it says what a token-level reading can reach at
best, and so whether a target needs sub-token precision or a larger canonical focal.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.bench.accuracy import EVAL_SEED

LOG_125 = math.log(1.25)
SIZES = (56, 28, 20, 14, 7)


def depth_image(xy: np.ndarray, log_depth: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Per-pixel log depths at ``xy`` (``(n, 2)`` x, y) as an ``(h, w)`` array, NaN where
    none (sky), so a cell's median is one slice instead of a scan of every label."""
    w, h = size
    image = np.full((h, w), np.nan)
    xy = np.asarray(xy, dtype=np.int64).reshape(-1, 2)
    image[xy[:, 1], xy[:, 0]] = log_depth
    return image


def cell_median_hits(
    log_depth: np.ndarray, pixel: Sequence[int], log_truth: float, size: int
) -> bool | None:
    """Whether the median log depth of the ``size``-px cell holding ``pixel`` (in the
    :func:`depth_image` ``log_depth``) is within δ1 of ``log_truth``; ``None`` when the cell
    has no depth (all sky)."""
    x0, y0 = (int(pixel[0]) // size) * size, (int(pixel[1]) // size) * size
    inside = log_depth[y0 : y0 + size, x0 : x0 + size]
    inside = inside[~np.isnan(inside)]
    if not inside.size:
        return None
    return abs(float(np.median(inside)) - log_truth) < LOG_125


def bench_ceiling(
    data: Path | None = None,
    recipe: str = "depthlm_tiny",
    questions: int = 1000,
    sizes: Sequence[int] = SIZES,
    views: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """δ1 of the cell-median reading per cell size (see the module doc).

    ``data``: records whose images have depth maps beside them (``depth/<stem>.npy``);
    default: render ``views`` unseen views (seed 777) of the mixed world with their maps."""
    from tqdm.auto import tqdm

    from depthlm.data.synth import synthesize
    from depthlm.geometry.camera import Camera
    from depthlm.training.config import TrainConfig
    from depthlm.training.recipe import load_recipe
    from depthlm.training.samples import DataSource
    from depthlm.training.vision_data import distance_samples, grid_depths

    if questions < 1:
        raise ValueError(f"questions must be >= 1, got {questions}")
    if not sizes or min(sizes) < 1:
        raise ValueError(f"cell sizes must be positive pixel counts, got {list(sizes)}")
    cfg = TrainConfig().update(load_recipe(recipe)["train"], where=f"recipe {recipe} train")
    with tempfile.TemporaryDirectory() as tmp:
        if data is None:
            data = synthesize(
                Path(tmp) / "held", images=views, seed=EVAL_SEED, points=20, dense=True,
                progress=False,
            )  # fmt: skip
        samples = distance_samples(cfg, [DataSource(Path(data))], seed, questions, dense=False)
        hits = {s: 0 for s in sizes}
        counted = {s: 0 for s in sizes}
        for i in tqdm(range(questions), desc="ceiling", unit="question"):
            built, probe, source = samples.builder.draw(i)
            record = samples.builder.record(source, probe.records[0])
            camera = Camera.from_intrinsics(built.cameras[0])
            log_depth = depth_image(*grid_depths(record, camera, 1), camera.size)
            truth = math.log(built.label)
            for s in sizes:
                hit = cell_median_hits(log_depth, built.pixels[0], truth, s)
                if hit is not None:
                    hits[s] += hit
                    counted[s] += 1
    focal = float(cfg.focal or 1000.0)
    return {
        "recipe": recipe,
        "focal": focal,
        "questions": questions,
        "cells": [
            {
                "size": s,
                "degrees": math.degrees(2 * math.atan(s / 2 / focal)),
                "delta1": hits[s] / max(counted[s], 1),
                "counted": counted[s],
            }
            for s in sizes
        ],
    }


def report(r: dict[str, Any]) -> None:
    print(
        f"token-resolution ceiling: recipe {r['recipe']}'s crops (focal {r['focal']:g} px), "
        f"{r['questions']} questions; δ1 of answering the median depth of the arrow's cell"
    )
    print(f"{'cell (px)':>10} {'degrees':>8} {'δ1':>7}")
    for c in r["cells"]:
        note = "  ← a Qwen-VL merged token (14-px patch, 2×2 merge)" if c["size"] == 28 else ""
        print(f"{c['size']:>10} {c['degrees']:>8.1f} {c['delta1']:>7.3f}{note}")
