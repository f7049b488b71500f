import pytest

from depthlm.evaluation.sampling import parse_points, select_points


def test_all_pairs_image_major():
    assert select_points([2, 0, 3], None) == [(0, 0), (0, 1), (2, 0), (2, 1), (2, 2)]


def test_n_points_per_image_is_seeded_and_distinct():
    a = select_points([100, 100, 5], 10, seed=42)
    assert a == select_points([100, 100, 5], 10, seed=42)
    assert a != select_points([100, 100, 5], 10, seed=1)
    for r, n in [(0, 10), (1, 10), (2, 5)]:
        pts = [p for rr, p in a if rr == r]
        assert len(pts) == len(set(pts)) == n and pts == sorted(pts)


def test_limit():
    assert select_points([100, 100], None, limit=150)[-1] == (1, 49)


@pytest.mark.parametrize(("value", "expected"), [("all", None), ("ALL", None), ("7", 7), (3, 3)])
def test_parse_points(value, expected):
    assert parse_points(value) == expected


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_parse_points_rejects(value):
    with pytest.raises(ValueError, match="--points"):
        parse_points(value)
