"""Tests for depthlm.prompting.parsing: every reply format we have seen, plus properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlm.prompting.parsing import format_number, parse_answer

FAST = settings(max_examples=150, deadline=None, database=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Template format with a <think> block quoting the same number.
        (
            "<think> The point is around 3.21 meters away from the camera. </think>\n\n"
            "<answer> 3.21 </answer>",
            3.21,
        ),
        ("3.21", 3.21),
        ("3.2 m", 3.2),
        ("3.2m", 3.2),
        ("about 3 meters", 3.0),
        ("It is 4 metres away.", 4.0),
        ("a 3-meter gap", 3.0),
        ("320 cm", 3.2),
        ("320 centimeters", 3.2),
        ("1,200 mm", 1.2),
        ("1200 millimetres", 1.2),
        ("2 km", 2000.0),
        ("10 ft", 3.048),
        ("1 foot", 0.3048),
        ("6 feet", 1.8288),
        ("10 in", 0.254),
        ("10 inches", 0.254),
        ("2 yd", 1.8288),
        ("3.2e1", 32.0),
        ("3.2E-1 m", 0.32),
        ("32e-1 km", 3200.0),
        (".5", 0.5),
        ("0.5", 0.5),
        ("3.", 3.0),
        ("+3.5", 3.5),
        ("1,200", 1200.0),
        ("1,234,567.5 mm", 1234.5675),
        ("3,5", 3.5),  # not a valid thousands grouping: European decimal comma
        ("3,50 m", 3.5),
        ("1,2345", 1.2345),
        ("<Answer>7</Answer>", 7.0),
        ("< answer > 7 < /answer >", 7.0),
        ("**3.2 m**", 3.2),
        ("\\boxed{2.5} since 3 and 4 were wrong", 2.5),
        ("\u00a03.2\u202fm", 3.2),
        ("The 3D distance is 4.5 m.", 4.5),  # "3D" is not a number
        ("Point 2 is the closer one; it is 1.5 m away.", 1.5),
        ("It is 3 in the image.", 3.0),  # "in" as a preposition is not inches
    ],
)
def test_formats(text: str, expected: float) -> None:
    assert parse_answer(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The final answer wins over numbers quoted while reasoning.
        ("The point is 5 m away, no wait, 4 m.", 4.0),
        ("<think>Maybe 2.0, maybe 9.5.</think><answer> 3.00 </answer>", 3.0),
        ("<answer>5</answer> hmm <answer>6</answer>", 6.0),
        ("<think>1 2 3</think><answer> 4.5", 4.5),  # unclosed answer at the end counts
        ("<answer>3 m</answer> then 9 m", 3.0),
        ("<answer>6.00 / 2 = 3.00</answer>", 3.0),
        ("The answer is 3.2 meters, i.e. 320 cm or 10.5 ft", 3.2),
        ("Final answer: 2.75 m. I considered 1.0 m and 5.0 m.", 2.75),
        ("answer would be 1.5", 1.5),
        ("x = 7 and then y = 2.5", 2.5),
        ("depth ≈ 4.2 m (roughly 4 to 5)", 4.2),
        ("d = ? it is 3 m", 3.0),  # nothing after the last '=': fall back to the last number
    ],
)
def test_final_answer_wins(text: str, expected: float) -> None:
    assert parse_answer(text) == pytest.approx(expected)


def test_speed_question_reasoning() -> None:
    text = (
        "The point is around 6.00 meters away. Hence, the speed should be around "
        "6.00 / 2 = 3.00 m/s."
    )
    assert parse_answer(text, unit="m/s") == 3.0
    assert parse_answer(text) is None  # metres requested, but the answer is a speed


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("3 s", "s", 3.0),
        ("3 sec", "s", 3.0),
        ("2.5 seconds", "s", 2.5),
        ("2 min", "s", 120.0),
        ("1.5 minutes", "s", 90.0),
        ("250 ms", "s", 0.25),
        ("1 h", "s", 3600.0),
        ("4", "s", 4.0),
        ("3 m/s", "m/s", 3.0),
        ("3 meters per second", "m/s", 3.0),
        ("3 m / s", "m/s", 3.0),
        ("36 km/h", "m/s", 10.0),
        ("36 kph", "m/s", 10.0),
        ("10 mph", "m/s", 4.4704),
        ("2", "m/s", 2.0),
        ("3 m", "cm", 300.0),
        ("3 m", "meters", 3.0),
        ("1 mile", "km", 1.609344),
    ],
)
def test_units(text: str, unit: str, expected: float) -> None:
    assert parse_answer(text, unit=unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("3 s", "m"), ("3 m", "s"), ("3 m/s", "m"), ("3 cm", "m/s"), ("3", "parsecs"), ("3", "")],
)
def test_incompatible_or_unknown_unit(text: str, unit: str) -> None:
    assert parse_answer(text, unit=unit) is None


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "no number here",
        "-3",
        "−3 m",
        "= -2.5",
        "0",
        "0.00 m",
        "1e999",
        "1e-999",
        "nan",
        "inf",
        "3D",
        "2nd",
        "x2",
        "v3.2.1",
        "1,2,3",
        "1,234,5",
        "<answer></answer> 3",
        "<answer> far away </answer>",
        "<answer> -1 </answer>",
    ],
)
def test_unusable_gives_none(text: str | None) -> None:
    assert parse_answer(text) is None


@pytest.mark.parametrize("value", [3, 3.0, b"3", ["3"], {"a": 1}, object()])
def test_non_string_gives_none(value: object) -> None:
    assert parse_answer(value) is None  # type: ignore[arg-type]


def test_non_string_unit_gives_none() -> None:
    assert parse_answer("3", unit=None) is None  # type: ignore[arg-type]


def test_conversion_is_exact_decimal() -> None:
    assert parse_answer("12,345.6 mm") == 12.3456
    assert parse_answer("320 cm") == 3.2
    assert parse_answer("1e308 km") is None  # finite input, overflowing result


def test_huge_inputs_are_fast_and_safe() -> None:
    assert parse_answer("1 " * 100_000 + "<answer> 2.5 </answer>") == 2.5
    assert parse_answer("1," * 100_000 + "1") is None
    assert parse_answer("<answer>" * 50_000) is None
    assert parse_answer(" " * 200_000 + "3" + " " * 200_000 + "m") == 3.0
    assert parse_answer("9" * 5000) is None  # overflows to inf
    assert parse_answer("0." + "0" * 5000 + "1e5000") == pytest.approx(0.1)


def test_format_number() -> None:
    assert format_number(3.0) == "3.00"
    assert format_number(3.14159, 3) == "3.142"
    assert format_number(1e20) == "100000000000000000000.00"
    assert parse_answer(format_number(1.005)) == float(format_number(1.005))


@FAST
@given(st.text())
def test_never_raises_on_text(text: str) -> None:
    result = parse_answer(text)
    assert result is None or (math.isfinite(result) and result > 0)


@FAST
@given(
    st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())),
    st.one_of(st.text(max_size=8), st.none(), st.integers()),
)
def test_never_raises_on_anything(value: object, unit: object) -> None:
    parse_answer(value, unit=unit)  # type: ignore[arg-type]


@FAST
@given(st.text(alphabet="0123456789.,eE+-−<>/= answrmcftins\n", max_size=60), st.text(max_size=4))
def test_never_raises_on_number_like_text(text: str, unit: str) -> None:
    result = parse_answer(text, unit=unit)
    assert result is None or (math.isfinite(result) and result > 0)


positive = st.floats(min_value=0.005, max_value=1e9, allow_nan=False, allow_infinity=False)


@FAST
@given(positive)
def test_round_trip_answer_block(x: float) -> None:
    assert parse_answer(f"<answer> {x:.2f} </answer>") == round(x, 2)


@FAST
@given(
    st.floats(min_value=1e-6, max_value=1e12),
    st.sampled_from([("cm", 0.01), ("mm", 0.001), ("ft", 0.3048)]),
)
def test_unit_conversion(x: float, unit_and_factor: tuple[str, float]) -> None:
    unit, factor = unit_and_factor
    assert parse_answer(f"{x} {unit}") == pytest.approx(x * factor, rel=1e-9)


@FAST
@given(
    positive,
    st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=8),
    st.sampled_from(["m", "cm", "", "meters"]),
)
def test_distractors_before_answer(x: float, distractors: list[float], unit: str) -> None:
    reasoning = " ".join(f"{d} {unit} = {d / 3:.3f}," for d in distractors)
    text = (
        f"<think> Estimates: {reasoning} so answer is {distractors} </think>\n"
        f"<answer> {x:.2f} </answer>"
    )
    assert parse_answer(text) == round(x, 2)


@FAST
@given(st.floats(min_value=1e-6, max_value=1e12))
def test_plain_sentence(x: float) -> None:
    assert parse_answer(f"The distance is about {x} meters.") == x
