"""``depthlm init-tiny``: a random-init tiny model of a real VLM architecture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors


def init_tiny_command(
    arch: Annotated[
        str, typer.Option(help="qwen2_5_vl | qwen2_vl | qwen3_vl | llava")
    ] = "qwen2_5_vl",
    out: Annotated[Path, typer.Option(help="Output folder (save_pretrained layout).")] = Path(
        "tiny-model"
    ),
    seed: Annotated[int, typer.Option(help="Weight-init seed.")] = 0,
) -> None:
    """Build, save and describe a tiny model that the Auto* classes reload offline."""
    with user_errors():
        from depthlm.models.tiny import build_tiny

        path = build_tiny(arch, out, seed=seed)
        typer.echo(f"wrote {arch} tiny model to {path}")
