"""Many points per question vs one: points/s and δ1 on the same pixels of unseen views.

Both arms ask every labelled pixel of ``images`` unseen synthetic views (seed 777, as
``bench accuracy``) through the same model object, questions pooled across images into the
same generator calls: **single** asks the ``distance`` question once per pixel; **multi**
asks ``multi_point`` with up to ``k`` numbered markers per question (the layout rule splits
an image's pixels into questions; pixels that cannot be marked are skipped by both arms).
Goal (issue #8): ≥ 10× points/s at K = 16 with δ1 ≥ 0.97× the single-point δ1.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.bench.accuracy import EVAL_SEED


def _delta1(pred: np.ndarray, gt: np.ndarray) -> float:
    ok = np.isfinite(pred) & (pred > 0)
    ratio = np.maximum(pred[ok] / gt[ok], gt[ok] / pred[ok])
    return float((ratio < 1.25).sum() / max(len(gt), 1))


def bench_multipoint(
    model: str = "embedded", images: int = 60, points: int = 16, k: int = 16, batch_size: int = 64
) -> dict[str, Any]:
    """Figures of the module docstring."""
    from depthlm import DepthLM
    from depthlm.data.records import read_records
    from depthlm.data.synth import synthesize
    from depthlm.inference.multipoint import _ask_all, multi_questions
    from depthlm.tasks import get_task
    from depthlm.tasks.inputs import InputBuilder
    from depthlm.tasks.multi_point import MultiPoint

    m = DepthLM.from_pretrained(model, batch_size=batch_size)
    distance, multi = get_task("distance"), MultiPoint()
    with tempfile.TemporaryDirectory() as tmp:
        data = synthesize(
            Path(tmp) / "data", images=images, seed=EVAL_SEED, points=points, progress=False
        )
        records = read_records(data)
        single_spec = replace(m.spec, task="distance")
        multi_spec = replace(m.spec, task="multi_point")
        builder = InputBuilder(records, multi_spec)
        multis, asked, skipped = multi_questions(builder, k)
        singles = []
        for q, r in zip(multis, asked, strict=True):
            view = builder.view(r)  # the same focal-normalised view for both arms
            for i in q.indices:  # exactly the pixels the multi arm asks
                s = distance.ask(
                    [view], [records[r].pixel_coords[i]], {}, single_spec.prompt, single_spec.marker
                )
                assert s is not None
                singles.append(s)
        gt_multi = [list(q.labels) for q in multis]
        gt_single = [gt for labels in gt_multi for gt in labels]
        arms: dict[str, Any] = {}
        _ask_all(m, singles[:4], single_spec)  # warm-up
        t0 = time.perf_counter()
        texts = _ask_all(m, singles, single_spec)
        wall = time.perf_counter() - t0
        pred = np.array([np.nan if (v := distance.parse(t)) is None else v for t in texts])
        arms["single"] = {
            "questions": len(singles),
            "points": len(singles),
            "seconds": wall,
            "delta1": _delta1(pred, np.array(gt_single)),
        }
        t0 = time.perf_counter()
        texts = _ask_all(m, multis, multi_spec)
        wall = time.perf_counter() - t0
        preds, gts = [], []
        for q, text, gt in zip(multis, texts, gt_multi, strict=True):
            values = multi.parse_all(text, len(q.pixels))
            preds += [np.nan if v is None else v for v in values]
            gts += gt
        arms["multi"] = {
            "questions": len(multis),
            "points": len(preds),
            "seconds": wall,
            "delta1": _delta1(np.array(preds), np.array(gts)),
        }
    for arm in arms.values():
        arm["points_per_s"] = arm["points"] / max(arm["seconds"], 1e-9)
    s, mu = arms["single"], arms["multi"]
    return {
        "model": model,
        "images": images,
        "seed": EVAL_SEED,
        "k": k,
        "skipped": skipped,
        **arms,
        "speedup": mu["points_per_s"] / max(s["points_per_s"], 1e-9),
        "delta1_ratio": mu["delta1"] / s["delta1"] if s["delta1"] > 0 else None,
    }


def report(r: dict[str, Any]) -> None:
    print(
        f"multipoint: {r['model']}, {r['images']} unseen views (seed {r['seed']}), K <= {r['k']}"
        f", {r['skipped']} pixels not markable"
    )
    for name in ("single", "multi"):
        a = r[name]
        print(
            f"  {name:<7} {a['questions']:5d} questions {a['points']:5d} points "
            f"{a['points_per_s']:8.1f} points/s  δ1 {a['delta1']:.3f}"
        )
    ratio = "–" if r["delta1_ratio"] is None else f"{r['delta1_ratio']:.2f}"
    met = r["speedup"] >= 10 and r["delta1_ratio"] is not None and r["delta1_ratio"] >= 0.97
    print(
        f"  speedup {r['speedup']:.1f}x, δ1 ratio {ratio} (goal >= 10x at δ1 >= 0.97x: "
        f"{'met' if met else 'NOT met'})"
    )
