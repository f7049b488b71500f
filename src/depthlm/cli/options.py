"""Options several commands share, declared once so their names and help never drift."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

Samples = Annotated[
    int,
    typer.Option(
        help="1: greedy answers (the paper's protocol); N: each answer is the median of N "
        "sampled ones (slower, often more accurate; see docs/inference.md)."
    ),
]
Beams = Annotated[
    int,
    typer.Option(
        help="1: greedy answers; K: a beam search keeps the K likeliest replies and answers "
        "the one whose δ1 hit is likeliest under their probabilities (local models; "
        "see docs/inference.md)."
    ),
]
Temperature = Annotated[
    float | None, typer.Option(help="Sampling temperature with --samples N (default 0.7).")
]


def key_values(pairs: list[str], option: str, read: Callable[[str], Any] = str) -> dict[str, Any]:
    """Repeated ``KEY=VALUE`` option values → dict, each value passed through ``read`` (which
    raises ``ValueError`` for a bad one). A missing ``=``, an empty key or a key given twice
    is an error naming ``option`` and the offending pair."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"{option} expects KEY=VALUE, got {pair!r}")
        if key in out:
            raise ValueError(f"{option} {key} given twice")
        try:
            out[key] = read(value)
        except ValueError as e:
            raise ValueError(f"{option} {pair!r}: {e}") from None
    return out
