"""The depth-balanced sampler."""

from __future__ import annotations

import numpy as np

from depthlm.data.synth.sampling import balanced_quota, sample_points, valid_mask


def test_quota_fills_small_bins_first():
    assert balanced_quota(np.array([100, 2, 50, 0]), 30).tolist() == [14, 2, 14, 0]
    assert balanced_quota(np.array([3, 4]), 100).tolist() == [3, 4]
    assert balanced_quota(np.array([10, 10, 10]), 7).sum() == 7


def test_far_points_are_not_starved():
    depth = np.full((100, 100), 2.0, np.float32)
    depth[:, 90:] = 60.0  # 10 % of the pixels are far
    depth += np.linspace(0, 0.5, 100, dtype=np.float32)[:, None]
    prim = np.zeros((100, 100), np.int16)
    prim[:, 90:] = 1
    pts = sample_points(depth, prim, 100, np.random.default_rng(0))
    far = depth[pts[:, 1], pts[:, 0]] > 30
    assert len(pts) == 100 and far.mean() > 0.3


def test_points_avoid_borders_sky_and_object_edges():
    depth = np.full((40, 50), 5.0, np.float32)
    prim = np.zeros((40, 50), np.int16)
    prim[:, 25:] = 1
    depth[:10] = 0.0
    prim[:10] = -1  # sky
    ok = valid_mask(depth, prim)
    assert not ok[:, :6].any() and not ok[:, -6:].any() and not ok[-6:].any()
    assert not ok[:11].any()  # sky and the row touching it
    assert not ok[:, 24:26].any()  # both sides of the object boundary
    pts = sample_points(depth, prim, 1000, np.random.default_rng(1))
    assert len(pts) == ok.sum()
    assert ok[pts[:, 1], pts[:, 0]].all()


def test_empty_and_deterministic():
    depth = np.zeros((20, 20), np.float32)
    prim = -np.ones((20, 20), np.int16)
    assert sample_points(depth, prim, 10, np.random.default_rng(0)).shape == (0, 2)
    d = np.random.default_rng(3).uniform(0.5, 80, (64, 64)).astype(np.float32)
    p = np.zeros((64, 64), np.int16)
    a = sample_points(d, p, 50, np.random.default_rng(9))
    b = sample_points(d, p, 50, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
