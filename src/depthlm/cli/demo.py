"""``depthlm demo``: the README's first command.

Until the embedded model lands (issue #5) the demo shows the pipeline on real data: it scores the
paper's constant and median baselines on the iBims-1 sample, next to the paper's figure, and
writes the exact model inputs of a few questions so a user sees what a DepthLM model is asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors

PAPER_CONSTANT_IBIMS = 0.280  # the paper's "always 2.0 m" δ1 on iBims-1


def demo_command(
    data: Annotated[Path, typer.Option(help="DepthLM JSONL to run on.")],
    out: Annotated[Path, typer.Option(help="Folder for results and model-input images.")] = Path(
        "demo-out"
    ),
    focal: Annotated[float, typer.Option(help="Canonical focal for the model inputs.")] = 1000.0,
    examples: Annotated[int, typer.Option(help="How many model-input images to write.")] = 3,
) -> None:
    """Score baselines on DATA and write example model inputs to OUT."""
    with user_errors():
        from depthlm.data.records import read_records
        from depthlm.evaluation.answerers import ConstantAnswerer, MedianAnswerer
        from depthlm.evaluation.report import table
        from depthlm.evaluation.runner import evaluate
        from depthlm.prompting.query import QuerySpec
        from depthlm.tasks.inputs import input_at

        out.mkdir(parents=True, exist_ok=True)
        for answerer in (ConstantAnswerer(2.0), MedianAnswerer()):
            slug = answerer.name.replace(":", "_")
            results = evaluate(answerer, [data], out / f"{slug}.json")
            typer.echo(table(results, "markdown"))
        typer.echo(f"paper, always 2.0 m on iBims-1: δ1 = {PAPER_CONSTANT_IBIMS:.3f}\n")

        spec = QuerySpec(focal=focal)
        records = read_records(data)
        per_image = max(1, len(records) // max(examples, 1))
        for k in range(examples):
            index = (k * per_image) * len(records[0].pixel_coords) + 1
            try:
                model_input, probe = input_at(records, index, spec, data.parent)
            except (ValueError, IndexError):
                continue
            path = out / f"query_{k}.png"
            model_input.image.save(path)
            typer.echo(
                f"{path}: {records[probe.records[0]].image} pixel {list(model_input.pixels[0])} "
                f"answer {model_input.target!r}"
            )
        typer.echo(f"\nquestion: {spec.prompt.question()}")
