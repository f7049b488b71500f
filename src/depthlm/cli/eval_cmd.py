"""``depthlm eval``: score a model (or saved depth maps) on DepthLM records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.options import Beams, Samples, Temperature


def eval_command(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data", help="DepthLM JSONL file (repeatable); one table column per file stem."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            help="constant:2.0 | median | embedded | PATH | hf:PATH | vllm:PATH | openai:MODEL"
        ),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            help="Folder of dense depth maps (.npy metres or 16-bit .png) named like the images."
        ),
    ] = None,
    images: Annotated[
        Path | None, typer.Option(help="Image root (default: each JSONL's folder).")
    ] = None,
    points: Annotated[str, typer.Option(help="'all' or N points drawn per image.")] = "all",
    limit: Annotated[int | None, typer.Option(help="At most K pairs per dataset.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for --points N.")] = 42,
    output: Annotated[
        Path, typer.Option(help="Results JSON; predictions stream beside it.")
    ] = Path("results.json"),
    format: Annotated[str, typer.Option("--format", help="text | markdown | csv")] = "text",
    task: Annotated[
        str | None, typer.Option(help="distance | principal_axis | speed | time | two_point | pose")
    ] = None,
    focal: Annotated[
        float | None,
        typer.Option(help="Canonical focal (px); default: the checkpoint's, else 1000."),
    ] = None,
    preset: Annotated[
        str | None, typer.Option(help="Prompt preset: official | short | general | FILE.json")
    ] = None,
    marker: Annotated[str | None, typer.Option(help="arrow | circle | cross")] = None,
    fxfy: Annotated[
        str | None, typer.Option(help="fx≠fy handling: reference | square | none")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Questions per model call.")] = 8,
    samples: Samples = 1,
    temperature: Temperature = None,
    beams: Beams = 1,
    max_new_tokens: Annotated[int | None, typer.Option(help="Default: the preset's.")] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu | cuda | ... (default: best available)")
    ] = None,
    png_scale: Annotated[
        float, typer.Option(help="16-bit PNG maps: metres = value / scale.")
    ] = 1000.0,
    prediction_type: Annotated[str, typer.Option(help="What the maps hold: z | euclidean.")] = "z",
    api_base: Annotated[
        str | None, typer.Option(help="openai: server URL (default: the client's, api.openai.com).")
    ] = None,
    api_key_env: Annotated[
        str, typer.Option(help="openai: environment variable holding the API key.")
    ] = "OPENAI_API_KEY",
    num_concurrent: Annotated[int, typer.Option(help="openai: requests in flight.")] = 8,
    max_retries: Annotated[
        int, typer.Option(help="openai: retries on 429/5xx/timeouts, with backoff.")
    ] = 5,
    timeout: Annotated[float, typer.Option(help="openai: seconds per request.")] = 120.0,
    tensor_parallel_size: Annotated[int, typer.Option(help="vllm: GPUs per engine.")] = 1,
    data_parallel_size: Annotated[int, typer.Option(help="vllm: engine replicas.")] = 1,
    overwrite: Annotated[
        bool, typer.Option(help="Discard earlier predictions for --output.")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Evaluate on every (image, point) pair; resumes from the predictions file."""
    with user_errors():
        from depthlm.evaluation.answerers import load_answerer
        from depthlm.evaluation.report import FORMATS, table
        from depthlm.evaluation.runner import EvalSettings, evaluate, predictions_path
        from depthlm.evaluation.sampling import parse_points
        from depthlm.models.contract import resolve_spec

        if format not in FORMATS:
            raise ValueError(f"--format must be one of {FORMATS}, got {format!r}")
        from depthlm.inference.backends import Backend, model_dir, parse_model

        if model and parse_model(model)[0] == "openai" and preset is None:
            preset = "general"  # a model never trained by depthlm: ask for metres plainly
        spec = resolve_spec(
            model_dir(model), focal=focal, preset=preset, marker=marker, fxfy=fxfy, task=task
        )
        backend = Backend(api_base=api_base, api_key_env=api_key_env,
                          num_concurrent=num_concurrent, max_retries=max_retries, timeout=timeout,
                          tensor_parallel_size=tensor_parallel_size,
                          data_parallel_size=data_parallel_size)  # fmt: skip
        answerer = load_answerer(
            model,
            predictions=str(predictions) if predictions else None,
            batch_size=batch_size,
            max_new_tokens=max_new_tokens or spec.prompt.max_new_tokens,
            device=device,
            task=spec.task,
            png_scale=png_scale,
            map_type=prediction_type,
            backend=backend,
            samples=samples,
            temperature=temperature,
            beams=beams,
        )
        if overwrite:
            predictions_path(output).unlink(missing_ok=True)
        settings = EvalSettings(
            points=parse_points(points), limit=limit, seed=seed, batch_size=batch_size
        )
        results = evaluate(
            answerer, data, output, spec=spec, settings=settings, images=images, progress=not quiet
        )
        if "datasets" not in results:  # a non-zero rank of a sharded run: rank 0 reports
            return
        typer.echo(table(results, format), nl=False)
        typer.echo(f"results: {output}\npredictions: {results['predictions']}", err=True)
