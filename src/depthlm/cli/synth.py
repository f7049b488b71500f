"""``depthlm synth``: render the procedural world into DepthLM records and images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors


def synth_command(
    out: Annotated[
        Path, typer.Option(help="Output folder: records.jsonl, images/, [depth/, depth_z/].")
    ],
    images: Annotated[int, typer.Option(help="Number of views to render.")] = 100,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
    world: Annotated[str, typer.Option(help="indoor | outdoor | mixed")] = "mixed",
    size: Annotated[int, typer.Option(help="Image width in pixels.")] = 256,
    points: Annotated[int, typer.Option(help="Labelled pixels per view (depth-balanced).")] = 100,
    views: Annotated[int, typer.Option(help="Views per scene (camera-motion sequences).")] = 2,
    dense: Annotated[
        bool, typer.Option(help="Also save dense float32 depth maps (.npy, metres).")
    ] = False,
    preview: Annotated[
        Path | None, typer.Option(help="Write a contact sheet PNG of the result here.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Rendering processes (default: one per core).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Synthesize rooms and streets with exact metric labels for every DepthLM task."""
    with user_errors():
        from depthlm.data.synth import synthesize
        from depthlm.data.synth.preview import preview_sheet

        path = synthesize(
            out,
            images=images,
            seed=seed,
            world=world,
            size=size,
            points=points,
            views=views,
            dense=dense,
            progress=not quiet,
            workers=workers,
        )
        typer.echo(f"records: {path}")
        if preview is not None:
            typer.echo(f"preview: {preview_sheet(path, preview)}")
