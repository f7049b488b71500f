"""Standard monocular-depth metrics for parsed model answers.

Predictions ``p`` may be ``None`` (the reply could not be parsed); ground truth ``g`` is positive.
A prediction is *parsed* when it is a finite number > 0; anything else is *unparsed*.

Over **all** ``n`` samples, unparsed ones counting as failures (as the DepthLM paper does, so a
model cannot raise its score by refusing to answer hard questions):

- ``delta1``, ``delta2``, ``delta3``: share with ``max(p/g, g/p) < 1.25**k`` for k = 1, 2, 3
  (strictly less: a ratio of exactly 1.25 fails δ1).

Over the **parsed subset only** (an unparsed answer has no error magnitude); ``None`` when no
prediction parsed. With ``d = ln p - ln g`` and means over the parsed samples:

- ``abs_rel``  = mean(|p - g| / g)
- ``sq_rel``   = mean((p - g)² / g)
- ``rmse``     = sqrt(mean((p - g)²))
- ``rmse_log`` = sqrt(mean(d²))
- ``log10``    = mean(|log10 p - log10 g|)
- ``silog``    = sqrt(mean(d²) - mean(d)²) · 100, the scale-invariant log error of Eigen et al.
  (2014) with λ = 1, as reported by the KITTI depth benchmark; a global scale error
  (p = c·g) scores 0 here. Computed as the equal, numerically stabler sqrt(mean((d - mean(d))²)).

Counts: ``n`` (all samples), ``parsed`` and ``unparsed`` (``parsed + unparsed == n``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["COUNT_KEYS", "METRIC_KEYS", "aggregate", "delta1_correct", "depth_metrics"]

DELTA_KEYS = ("delta1", "delta2", "delta3")
ERROR_KEYS = ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "silog")
METRIC_KEYS = DELTA_KEYS + ERROR_KEYS
COUNT_KEYS = ("n", "parsed", "unparsed")


def _as_prediction(value: Any) -> float:
    """A usable prediction as float, or NaN (unparsed) for None, junk, non-finite or ≤ 0."""
    try:
        p = float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan
    return p if math.isfinite(p) and p > 0 else math.nan


def _check_gt(g: Any) -> float:
    g = float(g)
    if not (math.isfinite(g) and g > 0):
        # A bad label is a data bug, not a model failure: scoring it either way would hide it.
        raise ValueError(f"ground truth must be a positive finite number, got {g!r}")
    return g


def delta1_correct(pred: float | None, gt: float) -> bool:
    """Whether one answer is within δ1: ``max(p/g, g/p) < 1.25``; unparsed answers are wrong.

    Raises ``ValueError`` for a non-positive or non-finite ground truth.
    """
    g, p = _check_gt(gt), _as_prediction(pred)
    return bool(math.isfinite(p) and max(p / g, g / p) < 1.25)


def depth_metrics(pred: Sequence[float | None], gt: Sequence[float]) -> dict[str, Any]:
    """All metrics of the module docstring for paired predictions and ground truth.

    Values are plain Python ``float``/``int`` (JSON-ready); a metric that cannot be computed
    (empty input, nothing parsed) is ``None``. Raises ``ValueError`` if the lengths differ or a
    ground truth is not positive and finite, since both mean the pairing itself is wrong.
    """
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predictions for {len(gt)} ground-truth values")
    n = len(gt)
    g = np.array([_check_gt(v) for v in gt], dtype=np.float64)
    p = np.array([_as_prediction(v) for v in pred], dtype=np.float64)
    ok = np.isfinite(p)
    parsed = int(ok.sum())
    out: dict[str, Any] = {"n": n, "parsed": parsed, "unparsed": n - parsed}
    out.update(dict.fromkeys(METRIC_KEYS))
    if n == 0:
        return out
    pv, gv = p[ok], g[ok]
    ratio = np.maximum(pv / gv, gv / pv)
    for k, key in enumerate(DELTA_KEYS, start=1):
        out[key] = float(np.sum(ratio < 1.25**k)) / n  # unparsed are in n but never pass
    if parsed == 0:
        return out
    diff = pv - gv
    d = np.log(pv) - np.log(gv)
    out["abs_rel"] = float(np.mean(np.abs(diff) / gv))
    out["sq_rel"] = float(np.mean(diff**2 / gv))
    out["rmse"] = float(np.sqrt(np.mean(diff**2)))
    out["rmse_log"] = float(np.sqrt(np.mean(d**2)))
    out["log10"] = float(np.mean(np.abs(np.log10(pv) - np.log10(gv))))
    # mean(d²) - mean(d)² is the population variance of d; computing it as mean((d - d̄)²)
    # avoids the cancellation that leaves ~1e-6 instead of 0 for a pure scale error.
    out["silog"] = float(np.sqrt(np.mean((d - d.mean()) ** 2)) * 100)
    return out


def aggregate(per_dataset: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The paper's "avg" column: each metric's unweighted mean over datasets.

    Every dataset weighs the same regardless of size, so a large benchmark cannot drown out
    a small one. Datasets where a metric is ``None`` (or missing) are skipped for that metric;
    if none has it the average is ``None``. Counts (``n``, ``parsed``, ``unparsed``) are summed.
    """
    out: dict[str, Any] = {
        key: sum(int(m.get(key) or 0) for m in per_dataset.values()) for key in COUNT_KEYS
    }
    for key in METRIC_KEYS:
        values = [float(m[key]) for m in per_dataset.values() if m.get(key) is not None]
        out[key] = float(np.mean(values)) if values else None
    return out
