"""``depthlm curate``: turn a user's own captures into DepthLM records (thin API wrapper)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors

INF = float("inf")

app = typer.Typer(help="Build DepthLM records from your own data.", no_args_is_help=True)


@app.command("rgbd")
def rgbd_command(
    rgb: Annotated[Path, typer.Option(help="Folder of RGB images.")],
    depth: Annotated[Path, typer.Option(help="Folder of depth maps (16-bit .png or .npy metres).")],
    out: Annotated[Path, typer.Option(help="Output folder: records.jsonl and images/.")],
    intrinsics: Annotated[
        str | None, typer.Option(help="FX,FY,CX,CY in pixels, shared by all images.")
    ] = None,
    intrinsics_file: Annotated[
        Path | None, typer.Option(help="JSON (stem -> fx fy cx cy) or lines 'stem fx fy cx cy'.")
    ] = None,
    depth_scale: Annotated[
        float | None,
        typer.Option(help="16-bit PNG: metres = value / scale (1000 for mm); .npy ignores it."),
    ] = None,
    depth_type: Annotated[
        str, typer.Option(help="What the maps hold: z (optical axis) | euclidean (ray length).")
    ] = "z",
    poses: Annotated[
        Path | None, typer.Option(help="Folder of 4x4 camera-to-world .txt files per frame.")
    ] = None,
    sequence: Annotated[
        str | None, typer.Option(help="Sequence name with --poses (default: the folder name).")
    ] = None,
    points: Annotated[int, typer.Option(help="Labelled pixels per image.")] = 100,
    min_depth: Annotated[float, typer.Option(help="Ignore pixels nearer than this (m).")] = 0.0,
    max_depth: Annotated[float, typer.Option(help="Ignore pixels farther than this (m).")] = INF,
    exclude_edges: Annotated[
        bool, typer.Option(help="Drop pixels at depth discontinuities (flying pixels).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Same seed, same pixels.")] = 0,
    link: Annotated[
        bool, typer.Option(help="Hard-link (else symlink) images instead of copying.")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Sample labelled pixels from an RGB-D folder pair into OUT/records.jsonl."""
    with user_errors():
        from depthlm.data.curate import curate_rgbd

        result = curate_rgbd(
            rgb, depth, out, intrinsics=intrinsics, intrinsics_file=intrinsics_file,
            depth_scale=depth_scale, depth_type=depth_type, poses=poses, sequence=sequence,
            points=points, min_depth=min_depth, max_depth=max_depth,
            exclude_edges=exclude_edges, seed=seed, link=link, progress=not quiet,
            on_warning=lambda msg: typer.echo(f"warning: {msg}", err=True),
        )  # fmt: skip
        typer.echo(
            f"records: {result.records_path} ({result.records} images, {result.points} points, "
            f"{len(result.skipped)} skipped)"
        )
