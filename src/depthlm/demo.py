"""The demo: an unseen synthetic scene, a VLM asked about marked points, a depth map, a cloud.

Everything is measured against exact ground truth, so the demo shows what the model can and
cannot do rather than a pretty picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from depthlm.data.synth import render_frame
from depthlm.data.synth.preview import colorize_depth
from depthlm.data.synth.sampling import sample_points
from depthlm.inference.depthlm import DepthLM
from depthlm.inference.pointcloud import write_ply
from depthlm.utils.io import atomic_write_bytes

DEMO_SEED = 20_251_029  # never used for training data


@dataclass
class DemoResult:
    rows: list[dict[str, Any]]
    dense_delta1: float
    dense_abs_rel: float
    panel: Path
    cloud: Path


def run_demo(
    model: DepthLM, out: Path, *, scene: int = 0, points: int = 8, queries: int = 192,
    size: int = 256,
) -> DemoResult:  # fmt: skip
    """Render scene ``scene`` of the demo seed, measure ``points`` marked pixels, build a depth
    map from ``queries`` questions; write ``depth.png`` and ``cloud.ply`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    kind = "indoor" if scene % 2 == 0 else "outdoor"
    camera, _, view = render_frame(DEMO_SEED, scene, kind, size=size)
    image = Image.fromarray(view.rgb)
    intr = camera.to_list()[:4]

    # Ask only about points the model can be shown: a marker needs a margin from the border
    # after focal normalisation (eval records such points as skips; a demo has no use for them).
    m = model.marker_margin(camera)
    candidates = sample_points(view.depth, view.prim, 8 * points, np.random.default_rng(scene))
    inside = (candidates[:, 0] >= m) & (candidates[:, 0] < camera.width - m)
    inside &= (candidates[:, 1] >= m) & (candidates[:, 1] < camera.height - m)
    pix = candidates[inside][:points]
    measured = model.measure(image, pix, intrinsics=intr)
    rows = []
    for (x, y), pred, text in zip(pix.tolist(), measured["metres"], measured["text"], strict=True):
        gt = float(view.depth[y, x])
        ok = bool(np.isfinite(pred) and max(pred / gt, gt / pred) < 1.25)
        rows.append({"pixel": [x, y], "answer": text, "metres": pred, "truth": gt, "ok": ok})

    dense = model.depth_map(image, intrinsics=intr, queries=queries)
    valid = view.depth > 0
    pred, gt = dense["depth"][valid], view.depth[valid].astype(np.float64)
    ratio = np.maximum(pred / gt, gt / pred)
    panel = out / "depth.png"
    _panel(view.rgb, dense["depth"], view.depth, dense["grid"], panel)
    cloud = write_ply(out / "cloud.ply", dense["points"][valid], view.rgb[valid])
    return DemoResult(rows, float((ratio < 1.25).mean()), float((abs(pred - gt) / gt).mean()),
                      panel, cloud)  # fmt: skip


def _panel(rgb: np.ndarray, pred: np.ndarray, gt: np.ndarray, grid: np.ndarray, path: Path) -> None:
    """image (with the queried grid) | predicted | ground truth | |log error|, labelled."""
    h, w = gt.shape
    shown = Image.fromarray(rgb)
    draw = ImageDraw.Draw(shown)
    for x, y in grid.tolist():
        draw.point((x, y), fill=(255, 255, 255))
    err = np.where(gt > 0, np.abs(np.log(np.maximum(pred, 1e-6) / np.maximum(gt, 1e-6))), 0)
    err_rgb = (np.clip(err / np.log(2.0), 0, 1)[..., None] * [255, 255, 255]).astype(np.uint8)
    tiles = [np.asarray(shown), colorize_depth(pred), colorize_depth(gt), err_rgb]
    titles = ["image + queries", "predicted (m)", "ground truth (m)", "|log error| (white: 2x)"]
    sheet = Image.new("RGB", (4 * w + 30, h + 18), (24, 24, 24))
    d = ImageDraw.Draw(sheet)
    for i, (tile, title) in enumerate(zip(tiles, titles, strict=True)):
        sheet.paste(Image.fromarray(np.asarray(tile, dtype=np.uint8)), (i * (w + 10), 18))
        d.text((i * (w + 10) + 2, 3), title, fill=(230, 230, 230))
    import io

    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
