"""Field of view when the focal is unknown: the model's estimate vs the truth, and what it
costs the distances.

On ``images`` unseen synthetic views (seed 777; their focal lengths span 0.5–2× the width,
i.e. 28°–90° of horizontal field of view) the model is asked the ``fov`` question about the
raw image; the error is in degrees. Then one labelled pixel per view is measured three ways:
with the true focal, with the model's estimated focal, and with the 60° default a photo
without EXIF gets — δ1 of each shows what the estimate is worth.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.bench.accuracy import EVAL_SEED


def bench_fov(model: str = "embedded", images: int = 100) -> dict[str, Any]:
    """Figures of the module docstring."""
    from depthlm import DepthLM
    from depthlm.data.records import read_records
    from depthlm.data.synth import synthesize
    from depthlm.inference.focal import DefaultFocalWarning
    from depthlm.inference.fov import estimate_focal
    from depthlm.tasks.fov import camera_fov

    m = DepthLM.from_pretrained(model)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DefaultFocalWarning)
        data = synthesize(
            Path(tmp) / "data", images=images, seed=EVAL_SEED, points=20, progress=False
        )
        for rec in read_records(data):
            path, (x, y), gt = rec.image_path, rec.pixel_coords[0], rec.depth[0]
            focal, fov, text = estimate_focal(m, path)
            true = m.measure(path, [[x, y]], intrinsics=rec.intrinsics[:4])["metres"][0]
            try:  # an absurd estimate (a 0.5° view) cannot be normalised: counted as unanswered
                est = m.measure(path, [[x, y]], focal=focal)["metres"][0] if focal else np.nan
            except ValueError:
                est = np.nan
            default = m.measure(path, [[x, y]])["metres"][0]
            rows.append(
                {
                    "fov_true": camera_fov(rec.intrinsics),
                    "fov_est": fov,
                    "text": text,
                    "gt": gt,
                    "true_focal": true,
                    "estimated": est,
                    "default": default,
                }
            )
    truth = np.array([r["fov_true"] for r in rows])
    est = np.array([np.nan if r["fov_est"] is None else r["fov_est"] for r in rows])
    err = np.abs(est - truth)
    gt = np.array([r["gt"] for r in rows])

    def d1(key: str) -> float:
        p = np.array([r[key] for r in rows], dtype=np.float64)
        ok = np.isfinite(p) & (p > 0)
        return float((np.maximum(p[ok] / gt[ok], gt[ok] / p[ok]) < 1.25).sum() / len(gt))

    const = float(np.median(truth))  # the best single guess of a model that ignores the image
    return {
        "model": model,
        "images": images,
        "seed": EVAL_SEED,
        "fov_answered": int(np.isfinite(est).sum()),
        "fov_mae_deg": float(np.nanmean(err)) if np.isfinite(err).any() else None,
        "fov_median_err_deg": float(np.nanmedian(err)) if np.isfinite(err).any() else None,
        "fov_mae_constant_deg": float(np.mean(np.abs(truth - const))),
        "constant_fov": const,
        "distinct_answers": len({r["text"] for r in rows}),
        "delta1": {k: d1(k) for k in ("true_focal", "estimated", "default")},
    }


def report(r: dict[str, Any]) -> None:
    print(f"fov: {r['model']} on {r['images']} unseen views (seed {r['seed']})")
    mae = "–" if r["fov_mae_deg"] is None else f"{r['fov_mae_deg']:.1f}°"
    med = "–" if r["fov_median_err_deg"] is None else f"{r['fov_median_err_deg']:.1f}°"
    print(
        f"  field of view: mean error {mae}, median {med} ({r['fov_answered']} answered, "
        f"{r['distinct_answers']} distinct); always {r['constant_fov']:.0f}°: "
        f"{r['fov_mae_constant_deg']:.1f}°"
    )
    d = r["delta1"]
    print(
        f"  distance δ1 with the true focal {d['true_focal']:.3f}, the estimated focal "
        f"{d['estimated']:.3f}, the 60° default {d['default']:.3f}"
    )
