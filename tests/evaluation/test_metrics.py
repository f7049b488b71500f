"""Tests for depthlm.evaluation.metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from depthlm.evaluation.metrics import (
    COUNT_KEYS,
    METRIC_KEYS,
    aggregate,
    delta1_correct,
    depth_metrics,
)

LN2 = math.log(2.0)


def test_mixed_case_every_metric() -> None:
    # Ratios of the parsed ones: 1.5, 1.0, 1.9; the None counts in n but not in error metrics.
    m = depth_metrics([1.5, 1.0, None, 3.8], [1.0, 1.0, 1.0, 2.0])
    assert (m["n"], m["parsed"], m["unparsed"]) == (4, 3, 1)
    assert m["delta1"] == 1 / 4  # only 1.0
    assert m["delta2"] == 2 / 4  # 1.5 < 1.5625
    assert m["delta3"] == 3 / 4  # 1.9 < 1.953125
    assert m["abs_rel"] == pytest.approx((0.5 + 0.0 + 1.8 / 2) / 3)
    assert m["sq_rel"] == pytest.approx((0.25 + 0.0 + 3.24 / 2) / 3)
    assert m["rmse"] == pytest.approx(math.sqrt((0.25 + 0.0 + 3.24) / 3))
    d = [math.log(1.5), 0.0, math.log(1.9)]
    assert m["rmse_log"] == pytest.approx(math.sqrt(sum(x * x for x in d) / 3))
    assert m["log10"] == pytest.approx((math.log10(1.5) + math.log10(1.9)) / 3)
    mean_d, mean_d2 = sum(d) / 3, sum(x * x for x in d) / 3
    assert m["silog"] == pytest.approx(math.sqrt(mean_d2 - mean_d**2) * 100)


def test_single_sample_twice_too_far() -> None:
    m = depth_metrics([2.0], [1.0])
    assert (m["delta1"], m["delta2"], m["delta3"]) == (0.0, 0.0, 0.0)
    assert m["abs_rel"] == 1.0
    assert m["sq_rel"] == 1.0
    assert m["rmse"] == 1.0
    assert m["rmse_log"] == pytest.approx(LN2)
    assert m["log10"] == pytest.approx(math.log10(2.0))
    assert m["silog"] == pytest.approx(0.0, abs=1e-9)  # a pure scale error is invariant


def test_silog_symmetric_errors() -> None:
    # d = [+ln2, -ln2]: mean(d) = 0, mean(d²) = ln2², so silog = 100·ln2.
    m = depth_metrics([2.0, 0.5], [1.0, 1.0])
    assert m["silog"] == pytest.approx(100 * LN2)
    assert m["rmse_log"] == pytest.approx(LN2)
    assert m["abs_rel"] == pytest.approx(0.75)
    assert m["sq_rel"] == pytest.approx((1.0 + 0.25) / 2)


def test_silog_ignores_global_scale() -> None:
    gt = [1.0, 2.5, 7.0, 30.0]
    m = depth_metrics([3 * g for g in gt], gt)
    assert m["silog"] == pytest.approx(0.0, abs=1e-9)
    assert m["rmse_log"] == pytest.approx(math.log(3.0))


def test_perfect_predictions() -> None:
    gt = [0.5, 1.0, 3.2, 80.0]
    m = depth_metrics(list(gt), gt)
    assert (m["delta1"], m["delta2"], m["delta3"]) == (1.0, 1.0, 1.0)
    for key in ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "silog"):
        assert m[key] == 0.0
    assert m["unparsed"] == 0


def test_unparsed_fail_delta_but_excluded_from_errors() -> None:
    gt = [1.0, 1.0, 1.0, 1.0, 1.0, 2.0]
    m = depth_metrics([None, math.nan, math.inf, -1.0, 0.0, 2.0], gt)
    assert (m["n"], m["parsed"], m["unparsed"]) == (6, 1, 5)
    assert m["delta1"] == pytest.approx(1 / 6)
    assert m["abs_rel"] == 0.0  # only the one perfect parsed answer counts
    assert m["rmse"] == 0.0


def test_nothing_parsed() -> None:
    m = depth_metrics([None, None], [1.0, 2.0])
    assert (m["n"], m["parsed"], m["unparsed"]) == (2, 0, 2)
    assert (m["delta1"], m["delta2"], m["delta3"]) == (0.0, 0.0, 0.0)
    for key in ("abs_rel", "sq_rel", "rmse", "rmse_log", "log10", "silog"):
        assert m[key] is None


def test_empty_input() -> None:
    m = depth_metrics([], [])
    assert (m["n"], m["parsed"], m["unparsed"]) == (0, 0, 0)
    assert all(m[key] is None for key in METRIC_KEYS)


@pytest.mark.parametrize(
    ("pred", "gt", "expected"),
    [
        (1.25, 1.0, (0, 1, 1)),  # ratio exactly 1.25 is NOT < 1.25
        (1.0, 1.25, (0, 1, 1)),  # same from below
        (1.5625, 1.0, (0, 0, 1)),  # exactly 1.25²
        (1.953125, 1.0, (0, 0, 0)),  # exactly 1.25³
        (1.2499, 1.0, (1, 1, 1)),
    ],
)
def test_delta_boundaries(pred: float, gt: float, expected: tuple[int, int, int]) -> None:
    m = depth_metrics([pred], [gt])
    assert (m["delta1"], m["delta2"], m["delta3"]) == tuple(float(e) for e in expected)
    assert delta1_correct(pred, gt) is bool(expected[0])


def test_delta1_correct() -> None:
    assert delta1_correct(3.0, 3.2)
    assert delta1_correct(2.6, 3.2)  # ratio 1.2308
    assert not delta1_correct(2.5, 3.2)  # ratio 1.28
    assert not delta1_correct(None, 3.2)
    assert not delta1_correct(math.nan, 3.2)
    assert not delta1_correct(0.0, 3.2)
    assert not delta1_correct(-3.2, 3.2)
    with pytest.raises(ValueError):
        delta1_correct(1.0, 0.0)


def test_returns_plain_python_numbers() -> None:
    m = depth_metrics([1.0, 2.0], [1.0, 1.0])
    for key in METRIC_KEYS:
        assert type(m[key]) is float
    for key in COUNT_KEYS:
        assert type(m[key]) is int


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        depth_metrics([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        depth_metrics([1.0], [0.0])
    with pytest.raises(ValueError):
        depth_metrics([1.0], [math.nan])


def test_aggregate_unweighted_mean() -> None:
    big = depth_metrics([1.0] * 9 + [None], [1.0] * 10)  # delta1 0.9, abs_rel 0
    small = depth_metrics([2.0, 1.0], [1.0, 1.0])  # delta1 0.5, abs_rel 0.5
    avg = aggregate({"big": big, "small": small})
    assert avg["delta1"] == pytest.approx((0.9 + 0.5) / 2)  # not (9 + 1) / 12
    assert avg["abs_rel"] == pytest.approx(0.25)
    assert avg["rmse"] == pytest.approx((0.0 + math.sqrt(0.5)) / 2)
    assert (avg["n"], avg["parsed"], avg["unparsed"]) == (12, 11, 1)


def test_aggregate_skips_none() -> None:
    a = {"n": 3, "unparsed": 3, "parsed": 0, "delta1": 0.0, "abs_rel": None}
    b = {"n": 2, "unparsed": 0, "parsed": 2, "delta1": 1.0, "abs_rel": 0.2}
    empty = depth_metrics([], [])
    avg = aggregate({"a": a, "b": b, "empty": empty})
    assert avg["delta1"] == pytest.approx(0.5)  # "empty" has None: skipped
    assert avg["abs_rel"] == pytest.approx(0.2)  # only "b" has it
    assert avg["silog"] is None  # nobody has it
    assert (avg["n"], avg["unparsed"], avg["parsed"]) == (5, 3, 2)


def test_aggregate_empty() -> None:
    avg = aggregate({})
    assert (avg["n"], avg["parsed"], avg["unparsed"]) == (0, 0, 0)
    assert all(avg[key] is None for key in METRIC_KEYS)
