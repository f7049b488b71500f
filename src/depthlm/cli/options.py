"""Options several commands share, declared once so their names and help never drift."""

from __future__ import annotations

from typing import Annotated

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
