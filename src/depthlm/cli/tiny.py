"""``depthlm init-tiny``: a random-init tiny model of a real VLM architecture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.options import key_values


def yaml_value(text: str) -> Any:
    """One ``--set`` value read as YAML (``56`` an int, ``[1, 3]`` a list, ``""`` an empty
    string), so a shape is written as it is in a recipe's ``model:``."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(f"the value is not YAML ({e})") from None


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` strings → build overrides, values read as YAML."""
    return key_values(items, "--set", yaml_value)


def init_tiny_command(
    arch: Annotated[
        str | None,
        typer.Option(help="qwen2_5_vl | qwen2_vl | qwen3_vl | llava (default: the recipe's)"),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder (save_pretrained layout).")] = Path(
        "tiny-model"
    ),
    seed: Annotated[
        int | None, typer.Option(help="Weight-init seed (default: the recipe's, else 0).")
    ] = None,
    recipe: Annotated[
        str | None,
        typer.Option(help="Start from a recipe's model: shape (depthlm_tiny or a .yaml file)."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE config override (repeatable; vision_* keys go to the vision "
            "config), e.g. --set vision_window_size=56 --set 'vision_fullatt_block_indexes=[3]'.",
        ),
    ] = None,
) -> None:
    """Build, save and describe a tiny model that the Auto* classes reload offline."""
    with user_errors():
        from depthlm.models.tiny import build_tiny

        shape: dict[str, Any] = {}
        if recipe:
            from depthlm.training.recipe import load_recipe

            shape = dict(load_recipe(recipe)["model"])
        recipe_arch = shape.pop("arch", "qwen2_5_vl")
        recipe_seed = shape.pop("seed", 0)
        shape.update(parse_sets(set_ or []))
        arch = arch or recipe_arch
        path = build_tiny(arch, out, seed=recipe_seed if seed is None else seed, **shape)
        typer.echo(f"wrote {arch} tiny model to {path}")
