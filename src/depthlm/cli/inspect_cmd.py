"""``depthlm inspect``: see exactly what the model sees for one (image, point) pair."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors


def inspect_command(
    data: Annotated[Path, typer.Argument(help="DepthLM JSONL file.")],
    index: Annotated[
        int, typer.Option(help="N-th question; for point tasks the N-th (image, point) pair.")
    ] = 0,
    focal: Annotated[
        float | None, typer.Option(help="Canonical focal in px (none: native).")
    ] = 1000.0,
    preset: Annotated[
        str, typer.Option(help="official | short | general | FILE.json")
    ] = "official",
    marker: Annotated[str, typer.Option(help="arrow | circle | cross")] = "arrow",
    fxfy: Annotated[str, typer.Option(help="reference | square | none")] = "reference",
    task: Annotated[
        str, typer.Option(help="distance | principal_axis | speed | time | two_point | pose")
    ] = "distance",
    images: Annotated[
        Path | None, typer.Option(help="Image root (default: the JSONL's folder).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the model-input image.")] = Path(
        "query.png"
    ),
    as_json: Annotated[
        bool, typer.Option("--json", help="Print pixel, intrinsics, prompt, answer.")
    ] = False,
) -> None:
    """Write the exact model-input image of one pair and describe it."""
    with user_errors():
        from depthlm.data.records import read_records
        from depthlm.prompting.query import QuerySpec
        from depthlm.tasks.inputs import input_at

        spec = QuerySpec(focal=focal, preset=preset, marker=marker, fxfy=fxfy, task=task)
        records = read_records(data, image_root=images)
        root = images if images is not None else data.parent
        model_input, probe = input_at(records, index, spec, root)
        out.parent.mkdir(parents=True, exist_ok=True)
        for k, image in enumerate(model_input.images):
            image.save(out if k == 0 else out.with_name(f"{out.stem}_{k}{out.suffix}"))
        info = {
            "probe": probe.key,
            "image": records[probe.records[0]].image,
            "pixel": list(model_input.pixels[0]) if model_input.pixels else None,
            "pixels": [list(p) for p in model_input.pixels],
            "intrinsics": model_input.cameras[0],
            "system": model_input.system,
            "prompt": model_input.text,
            "answer": model_input.target,
        }
        if as_json:
            typer.echo(json.dumps(info))
        else:
            for k, v in info.items():
                typer.echo(f"{k}: {v}")
            typer.echo(f"wrote {out}")
