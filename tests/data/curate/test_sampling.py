import numpy as np

from depthlm.data.curate.sampling import BORDER, edge_mask, sample_pixels, valid_mask


def test_border_and_range():
    depth = np.full((30, 40), 3.0)
    depth[:, 20:] = 9.0
    mask = valid_mask(depth, min_depth=1.0, max_depth=5.0)
    ys, xs = np.nonzero(mask)
    assert xs.min() == BORDER and ys.min() == BORDER and ys.max() == 30 - BORDER - 1
    assert xs.max() == 19  # the 9 m half is out of range


def test_edge_exclusion_removes_both_sides_of_a_step():
    depth = np.full((20, 20), 2.0)
    depth[:, 10:] = 4.0
    depth[3, 3] = np.nan  # a hole is not a step
    edges = edge_mask(depth)
    assert edges[:, 9].all() and edges[:, 10].all()
    assert edges.sum() == 2 * 20
    mask = valid_mask(depth, exclude_edges=True)
    assert not mask[:, 9:11].any() and mask[8, 8] and mask[8, 11]
    smooth = np.linspace(2.0, 2.5, 400).reshape(20, 20)  # 5 % across the whole map
    assert not edge_mask(smooth).any()


def test_sampling_is_seeded_unique_and_capped():
    mask = np.zeros((10, 10), dtype=bool)
    mask[2:8, 2:8] = True
    a = sample_pixels(mask, 10, np.random.default_rng(1))
    b = sample_pixels(mask, 10, np.random.default_rng(1))
    assert (a == b).all() and len({tuple(p) for p in a.tolist()}) == 10
    assert mask[a[:, 1], a[:, 0]].all()
    assert len(sample_pixels(mask, 1000, np.random.default_rng(0))) == 36
