"""From answers at some pixels to a full map: which pixels to ask (a grid or image-adaptive)
and how to fill the rest (bilinear for a grid, edge-aware for adaptive queries)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from depthlm.geometry.camera import Camera
from depthlm.inference.densify import adaptive_queries, densify, regular_grid

#: How ``depth_map`` chooses its queries: ``"adaptive"`` (denser near image edges, filled
#: edge-aware, :mod:`depthlm.inference.densify`) or ``"grid"`` (a regular grid, upsampled
#: bilinearly). ``depthlm bench dense`` measures both; see ``docs/speed.md``.
SAMPLINGS = ("adaptive", "grid")
DEFAULT_SAMPLING = "adaptive"


def query_pixels(
    rgb: np.ndarray, n: int, sampling: str, margin: int
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """About ``n`` ``[x, y]`` pixels to ask about in ``rgb`` (H×W×3), ``margin`` px inside,
    and the grid's ``(rows, cols)`` for ``sampling="grid"`` (``None`` for adaptive)."""
    if sampling == "grid":
        return regular_grid(rgb.shape[1], rgb.shape[0], n, margin)
    return adaptive_queries(rgb, n, margin), None


#: The space answers are filled in: inverse depth, in which a plane's depth is affine in the
#: pixel coordinates (a slanted floor or wall is most of a scene): on the synthetic benchmark
#: it beat log-depth at every query budget, and it recovers a plane log-depth bends.
DENSIFY_SPACE = "inverse"


def fill_map(
    rgb: np.ndarray,
    pixels: np.ndarray,
    values: np.ndarray,
    grid_shape: tuple[int, int] | None,
    *,
    depth: bool = True,
) -> np.ndarray:
    """An H×W map from answers at ``pixels``: a grid (``grid_shape`` given) is upsampled
    bilinearly, other pixels are filled edge-aware (:func:`~depthlm.inference.densify.
    densify`). ``depth=False`` fills a bounded score (confidence) by local averages, which
    never leave the answers' range. No finite answer at all gives NaN for a score and, for
    depth, a flat 1 m (as a grid's unanswered cells: a flat guess beats a hole)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).any():
        return np.full(rgb.shape[:2], 1.0 if depth else np.nan)
    if grid_shape is not None:
        at = np.asarray(pixels).reshape(*grid_shape, 2)
        size = (rgb.shape[1], rgb.shape[0])
        return upsample(fill_nan(values.reshape(grid_shape)), size, at[0, :, 0], at[:, 0, 1])
    if depth:
        return densify(rgb, pixels, values, space=DENSIFY_SPACE)
    return densify(rgb, pixels, values, space="linear", order=0)


def query_grid(camera: Camera, n: int, margin: int = 6) -> tuple[np.ndarray, tuple[int, int]]:
    """About ``n`` pixels on a regular grid with the image's aspect, ``margin`` px inside."""
    return regular_grid(camera.width, camera.height, n, margin)


def fill_nan(grid: np.ndarray) -> np.ndarray:
    """Replace NaN cells with the median of the answered ones (a flat guess beats a hole)."""
    out = grid.astype(np.float64).copy()
    good = np.isfinite(out)
    out[~good] = np.median(out[good]) if good.any() else 1.0
    return out


def upsample(
    grid: np.ndarray,
    size: tuple[int, int],
    xs: np.ndarray | None = None,
    ys: np.ndarray | None = None,
) -> np.ndarray:
    """Bilinear upsampling of a coarse depth grid to ``size = (w, h)``.

    ``xs`` / ``ys`` are the pixel columns / rows the grid's cells were asked at: the map then
    passes through each answer at its own pixel and holds the outermost answers out to the
    border. Without them the grid is stretched over the whole image, which misplaces every
    answer when the grid stops short of the border (the marker margin)."""
    if xs is None or ys is None:
        img = Image.fromarray(grid.astype(np.float32), mode="F")
        return np.asarray(img.resize(size, Image.Resampling.BILINEAR), dtype=np.float64)
    w, h = size
    rows = np.stack([np.interp(np.arange(w), xs, row) for row in grid])  # (gh, w)
    return np.stack([np.interp(np.arange(h), ys, col) for col in rows.T], axis=1)
