"""Where to ask and how to fill in: the adaptive sampler and the edge-aware densifier."""

import numpy as np
import pytest

from depthlm.inference.densify import adaptive_queries, densify, regular_grid
from depthlm.inference.depthlm import fill_map, query_pixels, upsample

H, W = 60, 90


def two_regions(edge_x: int = 37) -> tuple[np.ndarray, np.ndarray]:
    """A dark left part at 2 m and a bright right part at 5 m, split at column ``edge_x``
    (off the grid's columns, as a real boundary would be)."""
    rgb = np.full((H, W, 3), 40, np.uint8)
    rgb[:, edge_x:] = 210
    depth = np.where(np.arange(W)[None, :] < edge_x, 2.0, 5.0) * np.ones((H, 1))
    return rgb, depth


def flat(value: int = 128) -> np.ndarray:
    return np.full((H, W, 3), value, np.uint8)


def test_adaptive_queries_are_deterministic_and_inside_the_margin():
    rgb, _ = two_regions()
    a = adaptive_queries(rgb, 40, margin=7)
    assert np.array_equal(a, adaptive_queries(rgb, 40, margin=7))
    assert a.dtype == np.int64 and a.shape[1] == 2
    assert 30 <= len(a) <= 40 and len(np.unique(a, axis=0)) == len(a)
    assert a[:, 0].min() >= 7 and a[:, 0].max() <= W - 8
    assert a[:, 1].min() >= 7 and a[:, 1].max() <= H - 8


def test_adaptive_queries_crowd_an_edge_but_avoid_standing_on_it():
    rgb, _ = two_regions()
    near = [np.abs(adaptive_queries(im, 40, margin=6)[:, 0] - 36.5) < 8 for im in (rgb, flat())]
    assert near[0].sum() > near[1].sum()  # denser beside the edge than on a flat image
    on_edge = adaptive_queries(rgb, 40, margin=6)[:, 0]
    assert not np.isin(on_edge, [36, 37]).any()  # nudged off the boundary itself


def test_adaptive_queries_cover_a_flat_image_evenly():
    pts = adaptive_queries(flat(), 48, margin=6)
    hist, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=(3, 2), range=((6, 84), (6, 54)))
    assert hist.min() >= 0.5 * hist.mean()  # no empty or starved part of the image


def test_adaptive_queries_reject_bad_input():
    with pytest.raises(ValueError, match="margin"):
        adaptive_queries(flat(), 10, margin=45)
    with pytest.raises(ValueError):
        adaptive_queries(flat(), 0)


def test_densify_keeps_a_depth_edge_where_bilinear_smears_it():
    rgb, depth = two_regions()
    pixels, shape = regular_grid(W, H, 48, 6)
    values = depth[pixels[:, 1], pixels[:, 0]]
    dense = densify(rgb, pixels, values)
    bilinear = fill_map(rgb, pixels, values, shape)
    err_dense = np.abs(dense - depth) / depth
    err_bilinear = np.abs(bilinear - depth) / depth
    assert err_dense.mean() < 0.3 * err_bilinear.mean()
    off_edge = np.r_[0:36, 38:W]  # the blurred boundary column itself is ambiguous
    assert err_dense[:, off_edge].max() < 0.01 < err_bilinear[:, off_edge].max()


def test_densify_reproduces_a_slanted_plane_best_in_inverse_depth():
    """A plane's inverse depth is affine in the pixels, so the first-order fit in inverse
    depth recovers it where it is asked; log-depth bends it (why "inverse" is the default).
    Beyond the asked pixels (the marker margin) the slope is damped, so corners err more."""
    xs, ys = np.meshgrid(np.arange(W), np.arange(H))
    depth = 1.0 / (0.2 + 0.004 * xs + 0.002 * ys)
    pixels = adaptive_queries(flat(), 30, margin=6)
    values = depth[pixels[:, 1], pixels[:, 0]]
    err = {s: np.abs(densify(flat(), pixels, values, space=s) - depth) / depth
           for s in ("inverse", "log")}  # fmt: skip
    assert err["inverse"][6:-6, 6:-6].max() < 0.02 and err["inverse"].max() < 0.05
    assert err["inverse"].mean() < 0.005 and err["inverse"].mean() < 0.5 * err["log"].mean()


def test_densify_ignores_unusable_values_and_checks_lengths():
    rgb = flat()
    pixels = np.array([[10, 10], [50, 30], [80, 50], [20, 40]])
    out = densify(rgb, pixels, [2.0, np.nan, -1.0, 2.0])
    assert np.allclose(out, 2.0)
    assert np.isnan(densify(rgb, pixels, [np.nan] * 4)).all()
    assert np.allclose(densify(rgb, pixels, [0.5] * 4, space="linear", order=0), 0.5)
    with pytest.raises(ValueError, match="values"):
        densify(rgb, pixels, [1.0])
    with pytest.raises(ValueError, match="space"):
        densify(rgb, pixels, [1.0] * 4, space="cubic")


def test_grid_upsampling_passes_through_each_answer():
    rgb = flat()
    pixels, shape = query_pixels(rgb, 20, "grid", margin=9)
    values = 1.0 + pixels[:, 0] / 10.0
    dense = fill_map(rgb, pixels, values, shape)
    np.testing.assert_allclose(dense[pixels[:, 1], pixels[:, 0]], values)
    assert np.allclose(dense[:, 0], dense[:, 9]) and np.allclose(dense[:, -1], dense[:, -10])
    assert upsample(np.ones((2, 2)), (5, 4)).shape == (4, 5)  # stretched: the old signature


def test_query_pixels_and_fill_map_fallbacks():
    rgb = flat()
    adaptive, shape = query_pixels(rgb, 20, "adaptive", margin=6)
    assert shape is None and len(adaptive) > 10
    assert np.allclose(fill_map(rgb, adaptive, np.full(len(adaptive), np.nan), None), 1.0)
    none = np.full(len(adaptive), np.nan)
    assert np.isnan(fill_map(rgb, adaptive, none, None, depth=False)).all()
