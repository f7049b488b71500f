"""``depthlm data``: look at a records file before training or evaluating on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors

app = typer.Typer(help="Inspect DepthLM records files.", no_args_is_help=True)


@app.command("stats")
def stats_command(
    data: Annotated[Path, typer.Argument(help="DepthLM JSONL file.")],
    image_root: Annotated[
        Path | None, typer.Option(help="Image root (default: the JSONL's folder).")
    ] = None,
    sheet: Annotated[
        Path | None, typer.Option(help="Write a contact sheet PNG of images with their points.")
    ] = None,
    max_images: Annotated[int, typer.Option(help="Images on the contact sheet.")] = 24,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Counts, depth and focal histograms, shares of depth types and datasets."""
    with user_errors():
        from depthlm.data.records import read_records
        from depthlm.data.stats import draw_contact_sheet, format_stats, record_stats

        if not data.is_file():
            raise FileNotFoundError(f"records file not found: {data}")
        # images are only opened for the sheet; without one a file whose images live
        # elsewhere can still be summarised
        records = read_records(data, image_root=image_root, check_images=sheet is not None)
        if not records:
            raise ValueError(f"{data}: no records")
        stats = record_stats(records)
        if sheet is not None:
            stats["sheet"] = str(draw_contact_sheet(records, sheet, max_images=max_images))
        if as_json:
            typer.echo(json.dumps(stats, indent=2))
            return
        typer.echo(format_stats(stats))
        if sheet is not None:
            typer.echo(f"wrote {sheet}")
