"""Turn a model's free-text reply into one positive number in the requested unit.

Models answer "3.21", "3.2 m", "320 cm", "1,200 mm", "10 ft", "3.2e1", or reason aloud and quote
several numbers before the final one. Which number counts:

1. The last ``<answer>...</answer>`` block (an unclosed ``<answer>`` at the end counts): the
   template asks the model to put its final answer there, and ``<think>`` text before it quotes
   intermediate values. A block without a number yields ``None`` rather than falling back to the
   reasoning, which would credit a number the model never committed to.
2. Inside that block (or the whole reply when there is none): the first number after the last
   ``=``, ``≈``, ``\\boxed{``, "answer is" or "answer:", because "6.00 / 2 = 3.00 m/s" ends a
   derivation whose operands are not answers; otherwise the last number in the text.

The chosen number is converted with its unit (if any) to the requested unit; a bare number is
assumed to be in the requested unit already. A unit of another kind ("3 s" for a distance) gives
``None``: converting it would be meaningless. Zero, negative, NaN and infinite results give
``None`` because distances, times and speeds are positive. :func:`parse_answer` never raises.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["format_number", "parse_angle", "parse_answer", "parse_answers"]

_PER = r"\s{0,3}(?:/|per)\s{0,3}"
_SEC = r"(?:s|secs?|seconds?)"
_HOUR = r"(?:h|hrs?|hours?)"
# (canonical name, dimension, factor to the SI base, regex). Order matters: alternation takes
# the first alternative that fits, so compound units come before their prefixes ("m/s" vs "m").
_UNITS: list[tuple[str, str, Fraction, str]] = [
    ("m/s", "speed", Fraction(1), rf"(?:m|met(?:er|re)s?){_PER}{_SEC}|mps"),
    ("km/h", "speed", Fraction(1000, 3600), rf"(?:km|kilomet(?:er|re)s?){_PER}{_HOUR}|kph|kmh"),
    ("mph", "speed", Fraction(1609344, 3600000), rf"mph|(?:mi|miles?){_PER}{_HOUR}"),
    ("ft/s", "speed", Fraction(3048, 10000), rf"(?:ft|feet|foot){_PER}{_SEC}|fps"),
    ("mm", "length", Fraction(1, 1000), r"mm|millimet(?:er|re)s?"),
    ("cm", "length", Fraction(1, 100), r"cm|centimet(?:er|re)s?"),
    ("km", "length", Fraction(1000), r"km|kilomet(?:er|re)s?"),
    ("ms", "time", Fraction(1, 1000), r"ms|msecs?|millisec(?:ond)?s?"),
    ("min", "time", Fraction(60), r"mins?|minutes?"),
    ("m", "length", Fraction(1), r"m|met(?:er|re)s?"),
    ("ft", "length", Fraction(3048, 10000), r"ft|feet|foot"),
    # A bare "in" is usually the preposition ("3 in the image"); only a final "in" is inches.
    ("in", "length", Fraction(254, 10000), r"inch(?:es)?|in(?=\s{0,3}(?:$|[^\sA-Za-z0-9]))"),
    ("yd", "length", Fraction(9144, 10000), r"yds?|yards?"),
    ("mi", "length", Fraction(1609344, 1000), r"miles?"),
    ("s", "time", Fraction(1), _SEC),
    ("h", "time", Fraction(3600), _HOUR),
]
_UNIT_ALTS = "|".join(f"(?P<u{i}>{regex})" for i, (*_, regex) in enumerate(_UNITS))
_UNIT_RE = re.compile(rf"(?:{_UNIT_ALTS})", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
# A number must stand alone: not glued to a word on the left ("p1", "x2"), not a fragment of
# "3.2.1" or "1,2,3", and not followed by letters that are no unit ("3D", "2nd", "10x").
# The atomic group stops "3.5D" from backtracking to a bare "3".
_NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9_.,])(?P<sign>[+\-\u2212])?"
    r"(?>(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])|[0-9]+(?:[.,][0-9]+)?|\.[0-9]+))"
    r"(?![0-9]|[.,][0-9])(?P<exp>[eE][+\-\u2212]?[0-9]+)?"
    rf"(?:(?:[ \t\u00a0\u202f]{{0,3}}|-)(?:{_UNIT_ALTS.replace('(?P<u', '(?P<t')})(?![A-Za-z]))?"
    r"(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
_OPEN_RE = re.compile(r"<\s{0,3}answer\s{0,3}>", re.IGNORECASE)
_CLOSE_RE = re.compile(r"<\s{0,3}/\s{0,3}answer\s{0,3}>", re.IGNORECASE)
_ANCHOR_RE = re.compile(
    r"=|≈|\\boxed\{|\banswer\b\s{0,3}(?::|=|is\b|(?:would|should|will)\s{1,3}be\b)",
    re.IGNORECASE,
)


def _last(pattern: re.Pattern[str], text: str, pos: int = 0) -> re.Match[str] | None:
    """Last match without materialising them all (replies can be megabytes of junk)."""
    last = None
    for last in pattern.finditer(text, pos):  # noqa: B007
        pass
    return last


def _unit_of(match: re.Match[str], prefix: str) -> tuple[str, Fraction] | None:
    for i, (_, dim, factor, _) in enumerate(_UNITS):
        if match.group(f"{prefix}{i}") is not None:
            return dim, factor
    return None


def _segment(text: str) -> str:
    """The content of the last ``<answer>`` block, or the whole text when there is none."""
    opening = _last(_OPEN_RE, text)
    if opening is None:
        return text
    closing = _CLOSE_RE.search(text, opening.end())
    return text[opening.end() : closing.start() if closing else len(text)]


def _pick(segment: str) -> re.Match[str] | None:
    anchor = _last(_ANCHOR_RE, segment)
    if anchor is not None:
        after = _NUMBER_RE.search(segment, anchor.end())
        if after is not None:
            return after
    return _last(_NUMBER_RE, segment)


def parse_answer(text: object, *, unit: str = "m") -> float | None:
    """Return the reply's final answer in ``unit`` (e.g. "m", "s", "m/s", "cm"), else ``None``.

    Non-string input, an unknown ``unit``, no number, a unit of another dimension, or a
    non-positive/non-finite result all give ``None``; nothing raises, so one malformed reply
    cannot abort an evaluation run. ``"1,200"`` is a thousands grouping; ``"3,5"`` (not a valid
    grouping) is a European decimal comma.
    """
    try:
        if not isinstance(text, str) or not isinstance(unit, str):
            return None
        wanted = _UNIT_RE.fullmatch(unit.strip())
        match = _pick(_segment(text))
        if wanted is None or match is None or match.group("sign") in ("-", "\u2212"):
            return None
        num = match.group("num")
        num = num.replace(",", "") if _THOUSANDS_RE.fullmatch(num) else num.replace(",", ".")
        num += (match.group("exp") or "").replace("\u2212", "-")
        value = float(num)
        if not 0.0 < value < float("inf"):  # also bounds the exponent for Fraction below
            return None
        try:
            exact = Fraction(num)
        except ValueError:  # over int()'s digit limit: accept the float's rounding
            exact = Fraction(value)
        dim_out, factor_out = _unit_of(wanted, "u") or ("", Fraction(1))
        dim_in, factor_in = _unit_of(match, "t") or (dim_out, factor_out)
        if dim_in != dim_out:
            return None
        # Exact decimal arithmetic, rounded once: "12,345.6 mm" is 12.3456, not 12.345600000000001.
        result = float(exact * factor_in / factor_out)
        return result if 0.0 < result < float("inf") else None
    except Exception:  # never let one odd reply crash an evaluation
        return None


# ------------------------------------------------------------------ several answers per reply
# An item label: "1:", "2 =", "3)", "#4:", "point 5:" — a small integer not glued to a word or
# a decimal ("3.1:" is no label), then ":", "=" or ")". The value runs to the next label.
_LABEL_RE = re.compile(
    r"(?<![A-Za-z0-9_.,])(?:#\s{0,2})?(?P<label>[0-9]{1,3})\s{0,3}(?::|=|\))", re.IGNORECASE
)


def parse_answers(text: object, k: int, *, unit: str = "m") -> list[float | None]:
    """The ``k`` answers of a many-points reply, in label order; ``None`` where one is missing.

    The reply is read as :func:`parse_answer` reads one: the last ``<answer>`` block, else the
    whole text. Items are labelled ``"1: 3.2, 2: 5.1, ..."`` (``=`` or ``)`` also work, in any
    order; a label given twice keeps its last value, labels outside ``1..k`` are ignored), and
    each item's value is parsed with its unit by :func:`parse_answer`. A reply with no labels
    at all is read as a bare list ``"3.2, 5.1, ..."``: its first ``k`` numbers, in order. So a
    partial reply scores the points it answers and the rest count as unparsed. Always returns
    a list of ``k`` entries (``[]`` for a bad ``k``); never raises.
    """
    try:
        if not isinstance(k, int) or isinstance(k, bool) or k < 0:
            return []
        out: list[float | None] = [None] * k
        if not isinstance(text, str):
            return out
        segment = _segment(text)
        labels = list(_LABEL_RE.finditer(segment))
        if labels:
            for here, after in zip(labels, [*labels[1:], None], strict=True):
                index = int(here.group("label")) - 1
                end = after.start() if after is not None else len(segment)
                if 0 <= index < k:
                    out[index] = parse_answer(segment[here.end() : end], unit=unit)
            return out
        for i, match in enumerate(_NUMBER_RE.finditer(segment)):
            if i >= k:
                break
            out[i] = parse_answer(match.group(0), unit=unit)
        return out
    except Exception:  # never let one odd reply crash an evaluation
        return [None] * k if isinstance(k, int) and not isinstance(k, bool) and k >= 0 else []


# A degree sign or word after a number; removed so the bare number is read.
_DEGREES_RE = re.compile(r"(?<=[0-9])[ \t]{0,3}(?:°|º|deg(?:rees?|s)?(?![A-Za-z]))", re.IGNORECASE)


def parse_angle(text: object, *, below: float = 180.0) -> float | None:
    """An angle in degrees (a field of view) from a reply: the number :func:`parse_answer` would
    pick, written bare or with ``°``/``deg``/``degrees``. A number with a unit of length, time
    or speed, and anything not in ``(0, below)`` give ``None``; never raises."""
    try:
        if not isinstance(text, str):
            return None
        match = _pick(_segment(_DEGREES_RE.sub(" ", text)))
        if match is None or match.group("sign") in ("-", "\u2212") or _unit_of(match, "t"):
            return None
        value = parse_answer(match.group(0), unit="m")  # bare: read in the unit asked for
        return value if value is not None and value < below else None
    except Exception:
        return None


def format_number(value: float, digits: int = 2) -> str:
    """Fixed-point text as the answer templates use it, e.g. ``3.00`` (never scientific)."""
    return f"{value:.{digits}f}"
