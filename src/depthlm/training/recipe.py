"""A recipe: render the world, build the model, train it — one YAML, one command.

``depthlm train recipe [--recipe FILE] --out DIR`` reproduces depthlm-tiny (the shipped
``recipes/depthlm_tiny.yaml``) or any variant of it; ``--max-steps`` shortens it for a smoke
run. Each stage is skipped when its output already exists, so a killed run resumes.

An optional ``vision:`` section warm-starts the vision tower before SFT
(:mod:`depthlm.training.vision`, into ``vision/``): its keys override ``train`` fields (steps,
learning rate, ...), so crops, focal and marker stay those SFT uses. A list of such sections
runs one warm-start schedule after another, each from the previous tower (``vision-2/``, ...):
a warm restart that adds images to a finished warm-start without re-running it.

An optional ``then:`` list continues training in stages: each entry overrides ``train``
fields (tasks, steps, learning rate, ...) and starts from the previous stage's weights, into
``run-2/``, ``run-3/``, ... — how a shipped model gains tasks without retraining from scratch.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from depthlm.training.config import TrainConfig
from depthlm.utils.io import atomic_write_json

logger = logging.getLogger(__name__)

#: Seconds each stage took, summed over the invocations that ran it (a resumed stage adds).
TIMES_FILE = "recipe_times.json"

DEFAULT_RECIPE = "depthlm_tiny"


def load_recipe(name_or_path: str = DEFAULT_RECIPE) -> dict[str, Any]:
    """A shipped recipe by name or a YAML file with ``world``, ``model`` and ``train``."""
    path = Path(name_or_path)
    if not path.is_file():
        path = Path(str(resources.files("depthlm") / "recipes" / f"{name_or_path}.yaml"))
    if not path.is_file():
        raise ValueError(f"no recipe {name_or_path!r} (a shipped name or a .yaml file)")
    recipe = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = {"world", "model", "train"} - set(recipe)
    if missing:
        raise ValueError(f"{path}: recipe needs sections {sorted(missing)}")
    _vision_stages(recipe.get("vision"), where=str(path))  # a malformed one fails before any work
    return recipe


def run_recipe(
    recipe: dict[str, Any], out: str | Path, *, max_steps: int | None = None, resume: bool = True
) -> Path:
    """Run ``recipe`` into ``out`` (``data/``, ``init/``, ``run/``); returns the trained model."""
    from depthlm.data.synth import synthesize
    from depthlm.models.tiny import build_tiny
    from depthlm.training.sft import train_sft
    from depthlm.training.vision import pretrain_vision

    out = Path(out)
    records = out / "data" / "records.jsonl"
    if not records.is_file():
        with _timed(out, "data"):
            synthesize(out / "data", **recipe["world"])
    init = out / "init"
    if not (init / "model.safetensors").is_file():
        shape = dict(recipe["model"])
        with _timed(out, "init"):
            build_tiny(shape.pop("arch"), init, seed=shape.pop("seed", 0), **shape)

    def stage(overrides: dict[str, Any], where: str, model: Path, output: str) -> TrainConfig:
        """The ``train`` section with a stage's overrides, on this run's data and folders."""
        cfg = TrainConfig().update({**recipe["train"], **overrides}, where=where)
        cfg.model, cfg.data, cfg.output = str(model), [str(records)], str(out / output)
        if max_steps is not None:
            cfg.max_steps = max_steps
        return cfg

    start = init
    for k, overrides in enumerate(_vision_stages(recipe.get("vision")), start=1):
        folder = "vision" if k == 1 else f"vision-{k}"
        cfg = stage(overrides, f"recipe vision section {k}", start, folder)
        start = Path(cfg.output)
        if not (start / "vision.json").is_file():  # finished stages are not re-run
            with _timed(out, folder):
                pretrain_vision(cfg, resume=resume)
    with _timed(out, "run"):
        model = train_sft(stage({}, "recipe train section", start, "run"), resume=resume)
    for k, extra in enumerate(recipe.get("then") or [], start=2):
        with _timed(out, f"run-{k}"):
            cfg = stage(extra, f"recipe then[{k - 2}]", model, f"run-{k}")
            model = train_sft(cfg, resume=resume)
    return model


def describe_times(out: str | Path) -> str:
    """One line of what each stage of the recipe in ``out`` took, e.g. ``data 3.4 min, vision
    32.7 min, run 11.6 min; total 47.7 min`` ("" before any stage has run)."""
    path = Path(out) / TIMES_FILE
    if not path.is_file():
        return ""
    times = json.loads(path.read_text(encoding="utf-8"))
    total = times.pop("total", sum(times.values()))
    stages = ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in times.items())
    return f"{stages}; total {total / 60:.1f} min"


@contextmanager
def _timed(out: Path, name: str) -> Iterator[None]:
    """Add the wall-clock seconds of stage ``name`` to ``out/recipe_times.json``, so what a
    recipe costs on a machine is measured by running it, also across a killed and resumed run
    (an interrupted stage still adds the time it spent)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - start
        path = out / TIMES_FILE
        times = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        times[name] = round(times.get(name, 0.0) + seconds, 1)
        times["total"] = round(sum(v for k, v in times.items() if k != "total"), 1)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, times)
        logger.info("recipe: %s took %.1f min (%s)", name, seconds / 60, path)


def _vision_stages(section: Any, where: str = "recipe") -> list[dict[str, Any]]:
    """The ``vision:`` section as a list of warm-start schedules (none, one mapping, or a list
    of mappings), with a clear error for anything else."""
    if not section:
        return []
    stages = [section] if isinstance(section, dict) else section
    if not isinstance(stages, list) or not all(isinstance(s, dict) for s in stages):
        raise ValueError(
            f"{where}: vision section: expected a mapping of train overrides or a list of them, "
            f"got {section!r}"
        )
    return stages
