"""Sampled decoding: the consensus reply is the median sample, parsed as its task parses it."""

from __future__ import annotations

import math

import pytest

from depthlm.inference.consensus import (
    agreement,
    answer_values,
    best_bet,
    check_decoding,
    check_sampling,
    choose,
    medoid,
)


def test_single_answers_pick_the_median_sample() -> None:
    texts = ["11", "3.0", "9.5", "40", "10"]
    k, agree = choose(texts)
    assert texts[k] == "10"  # the median of 3, 9.5, 10, 11, 40
    assert agree == pytest.approx(3 / 5)  # 9.5, 10 and 11 lie within a factor 1.25 of 10


def test_reasoning_replies_are_compared_by_their_final_answer() -> None:
    texts = ["4.0 / 2 = 2.0", "9.0 / 2 = 4.5", "5.0 / 2 = 2.5"]
    k, _ = choose(texts, {"task": "speed", "answers": 1})
    assert texts[k] == "5.0 / 2 = 2.5"  # median speed, although 2 appears in every reply


def test_unparsable_samples_are_never_chosen_while_one_parses() -> None:
    texts = ["no idea", "", "7.5"]
    assert choose(texts) == (2, pytest.approx(1 / 3))
    assert choose(["?", "??"]) == (0, None)  # nothing parses: the first reply, no agreement


def test_multi_point_replies_are_compared_marker_by_marker() -> None:
    meta = {"task": "multi_point", "answers": 2}
    texts = ["1: 2.0, 2: 8.0", "1: 2.2, 2: 7.0", "1: 9.0, 2: 1.0", "1: 2.1"]
    assert answer_values(texts[3], meta) == [2.1, None]
    k, agree = choose(texts, meta)
    assert k == 1  # nearest the others on both markers; the half answer is never preferred
    # marker 1: 2.0, 2.2 and 2.1 agree with 2.2 (3 of 4); marker 2: 8.0 and 7.0 (2 of 4)
    assert agree == pytest.approx((3 / 4 + 2 / 4) / 2)


def test_medoid_ties_go_to_the_earlier_sample_and_empty_is_refused() -> None:
    assert medoid([[2.0], [4.0]]) == 0
    assert agreement([[None]], 0) is None
    with pytest.raises(ValueError, match="no samples"):
        medoid([])


@pytest.mark.parametrize(
    ("samples", "temperature", "match"),
    [(0, 0.7, "samples must be an integer >= 1"), (4, 0.0, "temperature must be > 0")],
)
def test_bad_settings_name_the_option(samples: int, temperature: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_sampling(samples, temperature)
    check_sampling(1, 0.0)  # greedy ignores the temperature


def test_the_best_bet_weighs_candidates_by_their_probability() -> None:
    # 11 is the likeliest single reply, but 3.0/3.3/3.5 together hold more mass within ×1.25
    texts = ["11", "3.0", "3.3", "3.5", "40"]
    logprobs = [math.log(p) for p in (0.30, 0.20, 0.15, 0.15, 0.20)]
    k, chance = choose(texts, None, logprobs)
    # 3.0, 3.3 and 3.5 each lie within ×1.25 of all three (0.5 of the mass): the tie goes
    # to the likeliest of them
    assert texts[k] == "3.0"
    assert chance == pytest.approx(0.5)
    # The medoid of the same replies, unweighted, is a different answer
    assert texts[choose(texts)[0]] == "3.5"


def test_the_best_bet_breaks_ties_by_probability_and_skips_unparsed() -> None:
    values = [[None], [2.0], [8.0]]
    assert best_bet(values, [0.0, math.log(0.2), math.log(0.4)]) == (2, pytest.approx(0.4 / 0.6))
    assert best_bet([[None], [None]], [0.0, -1.0]) == (0, None)
    with pytest.raises(ValueError, match="2 candidates but 1"):
        best_bet([[1.0], [2.0]], [0.0])


def test_samples_and_beams_are_one_or_the_other() -> None:
    check_decoding(1, None, 4)
    with pytest.raises(ValueError, match="beams must be an integer >= 1"):
        check_decoding(1, None, 0)
    with pytest.raises(ValueError, match="choose one of samples=3 and beams=4"):
        check_decoding(3, None, 4)
