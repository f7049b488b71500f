"""``depthlm bench ...``: benchmarks that print their figures (``--json`` for machines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.options import Beams, Samples, Temperature

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
    samples: Samples = 1,
    temperature: Temperature = None,
    beams: Beams = 1,
    as_json: Json = False,
) -> None:
    """δ1 per task on unseen synthetic scenes, beside the constant baseline."""
    with user_errors():
        from depthlm.bench.accuracy import bench_accuracy, report

        r = bench_accuracy(
            model, images, seed, samples=samples, temperature=temperature, beams=beams
        )
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("infer")
def infer_bench(
    model: Annotated[str, typer.Option(help="embedded | model folder (Transformers)")] = "embedded",
    images: Annotated[int, typer.Option(help="Unseen synthetic views (seed 777).")] = 40,
    points: Annotated[int, typer.Option(help="Marked points per view.")] = 8,
    batch_size: Annotated[int, typer.Option(help="The engine's batch size.")] = 64,
    budget: Annotated[
        float, typer.Option(help="Wall-time cap (s) of the reference run; beyond it, extrapolated.")
    ] = 90.0,
    as_json: Json = False,
) -> None:
    """Points/s of the reference loop's way of asking vs depthlm's engine, and the speedup."""
    with user_errors():
        from depthlm.bench.infer import bench_infer, report

        r = bench_infer(model, images, points, batch_size=batch_size, reference_budget_s=budget)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("dense")
def dense_bench(
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="oracle (exact depth at the asked pixels), noisy:S (exact times exp(N(0, S))) "
            "or a model (embedded, a folder); repeatable. Default: oracle and embedded."
        ),
    ] = None,
    images: Annotated[int, typer.Option(help="Unseen synthetic views with dense depth.")] = 4,
    queries: Annotated[
        str, typer.Option(help="Query budgets, comma-separated.")
    ] = "64,128,256,640",
    as_json: Json = False,
) -> None:
    """AbsRel of dense maps vs exact depth per query budget: grid vs adaptive sampling."""
    with user_errors():
        from depthlm.bench.dense import bench_dense, report

        try:
            budgets = tuple(int(q) for q in queries.split(","))
        except ValueError:
            raise ValueError(
                f"--queries must be integers separated by commas: {queries!r}"
            ) from None
        r = bench_dense(tuple(model or ("oracle", "embedded")), images, budgets)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("serve")
def serve_bench(
    model: Annotated[str, typer.Option(help="embedded | model folder | hf:PATH")] = "embedded",
    clients: Annotated[int, typer.Option(help="Concurrent closed-loop clients.")] = 16,
    requests: Annotated[int, typer.Option(help="Requests per phase (at most).")] = 400,
    duration: Annotated[float, typer.Option(help="Seconds per phase (at most).")] = 60.0,
    points: Annotated[int, typer.Option(help="Points per request.")] = 1,
    queue_size: Annotated[int, typer.Option(help="The server's --queue-size.")] = 16,
    overload: Annotated[float, typer.Option(help="Offered load / batched throughput.")] = 2.0,
    long_run: Annotated[float, typer.Option(help="Seconds of extra load to watch memory.")] = 0.0,
    as_json: Json = False,
) -> None:
    """Throughput, p50/p95/p99 and errors of `depthlm serve`, batching on and off, overload and
    memory."""
    with user_errors():
        from depthlm.bench.serve import bench_serve, report

        r = bench_serve(model, clients=clients, requests=requests, duration=duration,
                        points=points, queue_size=queue_size, overload=overload,
                        long_s=long_run)  # fmt: skip
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("multipoint")
def multipoint_bench(
    model: Annotated[str, typer.Option(help="embedded | model folder")] = "embedded",
    images: Annotated[int, typer.Option(help="Unseen synthetic views (seed 777).")] = 60,
    points: Annotated[int, typer.Option(help="Labelled pixels per view.")] = 16,
    k: Annotated[int, typer.Option(help="Points per multi-point question.")] = 16,
    as_json: Json = False,
) -> None:
    """Points/s and δ1: K numbered points per question vs one, on the same pixels."""
    with user_errors():
        from depthlm.bench.multipoint import bench_multipoint, report

        r = bench_multipoint(model, images=images, points=points, k=k)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("fov")
def fov_bench(
    model: Annotated[str, typer.Option(help="embedded | model folder")] = "embedded",
    images: Annotated[int, typer.Option(help="Unseen synthetic views (seed 777).")] = 100,
    as_json: Json = False,
) -> None:
    """Field-of-view error (degrees) and distance δ1 with true, estimated and default focal."""
    with user_errors():
        from depthlm.bench.fov import bench_fov, report

        r = bench_fov(model, images=images)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("ceiling")
def ceiling_bench(
    data: Annotated[
        Path | None,
        typer.Option(help="Records with depth maps (synth --dense; default: render 200 views)."),
    ] = None,
    recipe: Annotated[str, typer.Option(help="Recipe whose train section makes the crops.")] = (
        "depthlm_tiny"
    ),
    questions: Annotated[int, typer.Option(help="Distance questions to score.")] = 1000,
    as_json: Json = False,
) -> None:
    """How well answering the arrow's token's median depth can do: the token-size ceiling."""
    with user_errors():
        from depthlm.bench.ceiling import bench_ceiling, report

        r = bench_ceiling(data, recipe, questions=questions)
        typer.echo(json.dumps(r)) if as_json else report(r)


@app.command("readout")
def readout_bench(
    data: Annotated[
        Path | None, typer.Option(help="Training records (default: render 1,000 views).")
    ] = None,
    eval_data: Annotated[
        Path | None, typer.Option(help="Held-out records (default: 200 views, seed 777).")
    ] = None,
    recipe: Annotated[str, typer.Option(help="Recipe whose train section makes the crops.")] = (
        "depthlm_tiny"
    ),
    steps: Annotated[int, typer.Option(help="Optimizer steps (batch 32).")] = 3000,
    width: Annotated[int, typer.Option(help="CNN width (channels of the first block).")] = 32,
    eval_every: Annotated[int, typer.Option(help="Evaluate every N steps.")] = 250,
    eval_images: Annotated[int, typer.Option(help="Held-out crops (points) to score.")] = 1000,
    as_json: Json = False,
) -> None:
    """How well a small CNN reads distance from a recipe's crops: a reference for the VLM."""
    with user_errors():
        from depthlm.bench.readout import bench_readout, report

        r = bench_readout(
            data, eval_data, recipe, steps=steps, width=width, eval_every=eval_every,
            eval_images=eval_images,
        )  # fmt: skip
        typer.echo(json.dumps(r)) if as_json else report(r)
