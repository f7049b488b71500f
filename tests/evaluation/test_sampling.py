import pytest

from depthlm.evaluation.sampling import parse_points


@pytest.mark.parametrize(("value", "expected"), [("all", None), ("ALL", None), ("7", 7), (3, 3)])
def test_parse_points(value, expected):
    assert parse_points(value) == expected


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_parse_points_rejects(value):
    with pytest.raises(ValueError, match="--points"):
        parse_points(value)
