"""Depth-balanced pixel sampling: far points are not starved.

Most pixels of a street view are near ground or a close wall; sampling them uniformly teaches
a model that everything is 3 m away. Here the valid pixels are split into bins uniform in
log-distance, every non-empty bin gets an equal share (unused share flows to the bins that have
more pixels), and pixels are drawn uniformly inside each bin.
"""

from __future__ import annotations

import numpy as np

MARGIN = 6  # markers need 5 px; one more for safety
DEPTH_RANGE = (0.5, 80.0)


def valid_mask(
    depth: np.ndarray,
    prim: np.ndarray,
    margin: int = MARGIN,
    depth_range: tuple[float, float] = DEPTH_RANGE,
) -> np.ndarray:
    """Pixels that may be labelled: in range, ``margin`` px from the border, and not on an
    object boundary (all 8 neighbours see the same primitive, so a marker's target is never
    ambiguous between a foreground and a background surface)."""
    h, w = depth.shape
    ok = (depth >= depth_range[0]) & (depth <= depth_range[1]) & (prim >= 0)
    same = np.ones_like(ok)
    core = prim[1:-1, 1:-1]
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                same[1:-1, 1:-1] &= prim[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] == core
    ok &= same
    border = np.zeros_like(ok)
    border[margin : h - margin, margin : w - margin] = True
    return ok & border


def balanced_quota(counts: np.ndarray, n: int) -> np.ndarray:
    """Equal shares of ``n`` over bins, capped by what each bin holds (water-filling).

    >>> balanced_quota(np.array([100, 2, 50, 0]), 30).tolist()
    [14, 2, 14, 0]
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = min(int(n), int(counts.sum()))
    quota = np.zeros_like(counts)
    while quota.sum() < n:
        open_bins = np.flatnonzero(quota < counts)
        share = max((n - int(quota.sum())) // len(open_bins), 1)
        for b in open_bins:
            if quota.sum() >= n:
                break
            quota[b] = min(counts[b], quota[b] + share)
    return quota


def sample_points(
    depth: np.ndarray,
    prim: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    bins: int = 8,
    margin: int = MARGIN,
    depth_range: tuple[float, float] = DEPTH_RANGE,
) -> np.ndarray:
    """Up to ``n`` distinct pixels ``(k, 2)`` as integer ``[x, y]``, balanced over log-depth
    bins spanning this view's own depth range, in random order."""
    ok = valid_mask(depth, prim, margin, depth_range)
    flat = np.flatnonzero(ok)
    if len(flat) == 0 or n <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    logd = np.log(depth.reshape(-1)[flat].astype(np.float64))
    lo, hi = logd.min(), logd.max()
    which = np.minimum(((logd - lo) / max(hi - lo, 1e-9) * bins).astype(np.int64), bins - 1)
    counts = np.bincount(which, minlength=bins)
    quota = balanced_quota(counts, n)
    chosen = []
    for b in range(bins):
        if quota[b]:
            members = flat[which == b]
            chosen.append(rng.choice(members, size=int(quota[b]), replace=False))
    picked = rng.permutation(np.concatenate(chosen))
    ys, xs = np.divmod(picked, depth.shape[1])
    return np.stack([xs, ys], axis=1).astype(np.int64)
