"""``depthlm bench ...``: benchmarks that print their figures (``--json`` for machines)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors

app = typer.Typer(help="Benchmarks that print speed and accuracy figures.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")]


@app.command("synth")
def synth_bench(
    images: Annotated[int, typer.Option(help="Images to render.")] = 40,
    size: Annotated[int, typer.Option(help="Image width (px).")] = 256,
    as_json: Json = False,
) -> None:
    """Images/s of the synthetic world (end to end and per render stage)."""
    with user_errors():
        from depthlm.bench.synth import bench_synth, report

        r = bench_synth(images, size)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("train")
def train_bench(
    steps: Annotated[int, typer.Option(help="Optimizer steps (5 are warm-up).")] = 30,
    batch_size: Annotated[int, typer.Option(help="Samples per step.")] = 8,
    arch: Annotated[str, typer.Option(help="Tiny architecture.")] = "qwen2_5_vl",
    as_json: Json = False,
) -> None:
    """SFT samples/s of a tiny model on synthetic images."""
    with user_errors():
        from depthlm.bench.train import bench_train, report

        r = bench_train(steps, batch_size, arch)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("accuracy")
def accuracy_bench(
    model: Annotated[str, typer.Option(help="embedded | model folder")] = "embedded",
    images: Annotated[int, typer.Option(help="Unseen synthetic views.")] = 200,
    seed: Annotated[int, typer.Option(help="World seed (not a training seed).")] = 777,
    as_json: Json = False,
) -> None:
    """δ1 per task on unseen synthetic scenes, beside the constant baseline."""
    with user_errors():
        from depthlm.bench.accuracy import bench_accuracy, report

        r = bench_accuracy(model, images, seed)
        typer.echo(json.dumps(r)) if as_json else report(r)
