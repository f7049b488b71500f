"""Choose the labelled pixels of one depth map, as the DepthLM reference curation does.

Uniform over valid pixels by default, as the reference does; optionally depth-balanced within
each image (equal shares of log-depth bins), so far pixels are not drowned by the many near
ones. Border pixels are excluded because the visual marker drawn at the point needs room;
optional edge exclusion drops "flying pixels" whose depth is a blend of the foreground and
background across a discontinuity.
"""

from __future__ import annotations

import numpy as np

#: pixels this close to the image border are never labelled (room for the marker)
BORDER = 5
#: relative depth jump to a 4-neighbour that marks a discontinuity
EDGE_JUMP = 0.10


def edge_mask(depth: np.ndarray, jump: float = EDGE_JUMP) -> np.ndarray:
    """Pixels whose depth differs by more than ``jump`` (relative) from a valid 4-neighbour.

    The ratio ``max/min`` is symmetric, so both sides of a step are flagged; holes (NaN) are
    not treated as steps, since sensors leave holes on plain surfaces too.
    """
    edges = np.zeros(depth.shape, dtype=bool)
    for axis in (0, 1):
        a = np.take(depth, np.arange(depth.shape[axis] - 1), axis=axis)
        b = np.take(depth, np.arange(1, depth.shape[axis]), axis=axis)
        with np.errstate(invalid="ignore"):
            step = np.maximum(a, b) > np.minimum(a, b) * (1.0 + jump)
        step &= np.isfinite(a) & np.isfinite(b)
        lo = [slice(None)] * 2
        hi = [slice(None)] * 2
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        edges[tuple(lo)] |= step
        edges[tuple(hi)] |= step
    return edges


def valid_mask(
    depth: np.ndarray,
    *,
    min_depth: float = 0.0,
    max_depth: float = float("inf"),
    border: int = BORDER,
    exclude_edges: bool = False,
) -> np.ndarray:
    """Pixels eligible for a label: finite depth in ``[min_depth, max_depth]``, inside the
    border margin, and (optionally) not on a depth edge."""
    with np.errstate(invalid="ignore"):
        mask = np.isfinite(depth) & (depth > 0) & (depth >= min_depth) & (depth <= max_depth)
    h, w = depth.shape
    inner = np.zeros_like(mask)
    inner[border : h - border, border : w - border] = True
    mask &= inner
    if exclude_edges:
        mask &= ~edge_mask(depth)
    return mask


def sample_pixels(
    mask: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    weights_from: np.ndarray | None = None,
    bins: int = 16,
) -> np.ndarray:
    """Up to ``n`` distinct ``[x, y]`` pixels from ``mask``, in raster order.

    Uniform by default. With ``weights_from`` (the depth map) the draw is depth-balanced:
    each of ``bins`` log-depth bins present in the image gets an equal share of the
    probability, so the few far (or near) pixels of a scene are labelled as often as the many
    at its typical depth.
    """
    flat = np.flatnonzero(mask)
    if n < len(flat):
        p = None
        if weights_from is not None and len(flat):
            logd = np.log(np.asarray(weights_from, dtype=np.float64).ravel()[flat])
            edges = np.linspace(logd.min(), logd.max() + 1e-9, bins + 1)
            which = np.clip(np.digitize(logd, edges) - 1, 0, bins - 1)
            counts = np.bincount(which, minlength=bins)
            p = 1.0 / counts[which]
            p /= p.sum()
        flat = np.sort(rng.choice(flat, size=n, replace=False, p=p))
    ys, xs = np.unravel_index(flat, mask.shape)
    return np.stack([xs, ys], axis=1).astype(np.int64)
