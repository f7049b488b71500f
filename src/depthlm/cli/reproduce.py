"""``depthlm reproduce``: the paper's findings in miniature, each beside the paper's figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors


def reproduce_command(
    out: Annotated[Path, typer.Option(help="Work folder (resumable): worlds, arms, results.")] = (
        Path("reproduce-out")
    ),
    budget_minutes: Annotated[
        float, typer.Option(help="CPU minutes for all training arms together.")
    ] = 30.0,
    finding: Annotated[
        list[str] | None,
        typer.Option("--finding", help="focal | marker | points | sft_grpo | baselines (repeat)."),
    ] = None,
    train_images: Annotated[int, typer.Option(help="Training views to render.")] = 2000,
    eval_images: Annotated[int, typer.Option(help="Unseen evaluation views.")] = 200,
    steps: Annotated[
        int | None, typer.Option(help="SFT steps per main arm (overrides the budget).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Re-run the paper's ablations on tiny models; write reproduce.md and reproduce.json."""
    with user_errors():
        from depthlm.bench.reproduce import FINDINGS, report, reproduce

        chosen = tuple(finding) if finding else (*(f.key for f in FINDINGS), "baselines")
        r = reproduce(out, budget_minutes=budget_minutes, findings=chosen,
                      train_images=train_images, eval_images=eval_images, steps=steps)  # fmt: skip
        typer.echo(json.dumps(r)) if as_json else report(r)
        typer.echo(f"wrote {out / 'reproduce.md'}")
