"""``depthlm train sft|grpo|vision|recipe``: one entry point from a CPU smoke test to
``accelerate launch``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors

app = typer.Typer(help="Fine-tune a VLM on DepthLM records (SFT or GRPO).", no_args_is_help=True)

Data = Annotated[list[str] | None, typer.Option("--data", help="JSONL[:weight], repeatable.")]
Tasks = Annotated[
    list[str] | None,
    typer.Option("--task", help="task[:weight], repeatable (distance, speed, pose, ...)."),
]
Model = Annotated[str | None, typer.Option(help="Model folder (save_pretrained).")]
Config = Annotated[Path | None, typer.Option(help="YAML of TrainConfig fields.")]
Focal = Annotated[float | None, typer.Option(help="Canonical focal length (px).")]
MaxSteps = Annotated[int | None, typer.Option(help="Optimizer steps.")]
LearningRate = Annotated[float | None, typer.Option("--lr", help="Peak LR.")]


def _config(config: Path | None, **flags) -> object:
    from depthlm.training.config import TrainConfig

    cfg = TrainConfig.from_yaml(config) if config else TrainConfig()
    tasks = flags.pop("task")
    if tasks:
        flags["tasks"] = dict(_weighted(t) for t in tasks)
    if flags.pop("no_crop"):
        flags["crop_height"] = flags["crop_width"] = None
    cfg.update({k: v for k, v in flags.items() if v not in (None, [], False)}, where="flags")
    return cfg


def _weighted(text: str) -> tuple[str, float]:
    name, _, weight = text.partition(":")
    try:
        return name, float(weight) if weight else 1.0
    except ValueError:
        raise ValueError(f"--task {text}: expected name[:weight]") from None


def _method_command(method: str, doc: str) -> Callable[..., None]:
    """One command function per training method, from a single list of options."""

    def command(
        model: Model = None,
        data: Data = None,
        output: Annotated[str | None, typer.Option(help="Run folder.")] = None,
        config: Config = None,
        task: Tasks = None,
        focal: Focal = None,
        preset: Annotated[str | None, typer.Option(help="official | short | FILE.json")] = None,
        marker: Annotated[str | None, typer.Option(help="arrow | circle | cross")] = None,
        max_steps: MaxSteps = None,
        batch_size: Annotated[int | None, typer.Option(help="Per-device batch size.")] = None,
        learning_rate: LearningRate = None,
        vision_lr_scale: Annotated[
            float | None, typer.Option(help="Vision encoder+projector LR × --lr (0 freezes).")
        ] = None,
        save_steps: Annotated[int | None, typer.Option(help="Checkpoint every N steps.")] = None,
        seed: Annotated[int | None, typer.Option(help="Sample-stream and init seed.")] = None,
        lora: Annotated[bool, typer.Option(help="Train LoRA adapters (merged on save).")] = False,
        no_crop: Annotated[bool, typer.Option(help="No random crops.")] = False,
        resume: Annotated[bool, typer.Option(help="Continue from the newest checkpoint.")] = False,
    ) -> None:
        with user_errors():
            cfg = _config(
                config, model=model, data=data, output=output, task=task, focal=focal,
                preset=preset, marker=marker, max_steps=max_steps, batch_size=batch_size,
                learning_rate=learning_rate, vision_lr_scale=vision_lr_scale,
                save_steps=save_steps, seed=seed, lora=lora,
                no_crop=no_crop,
            )  # fmt: skip
            if method == "sft":
                from depthlm.training.sft import train_sft as train
            else:
                from depthlm.training.grpo import train_grpo as train
            from depthlm.training.launch import close_process_group

            try:
                path = train(cfg, resume=resume)
            finally:
                close_process_group()
            typer.echo(f"saved {path}")

    command.__doc__ = doc
    return command


app.command("sft")(
    _method_command("sft", "Supervised fine-tuning: loss on the answer tokens only.")
)
app.command("grpo")(
    _method_command("grpo", "GRPO with DepthLM rewards (δ1, smooth log error, format).")
)


@app.command("vision")
def vision_command(
    model: Model = None,
    data: Data = None,
    output: Annotated[str | None, typer.Option(help="Output folder (a whole model).")] = None,
    config: Config = None,
    focal: Focal = None,
    max_steps: MaxSteps = None,
    learning_rate: LearningRate = None,
    eval_data: Annotated[
        str | None,
        typer.Option(
            help="Held-out JSONL: log direct-readout δ1 as it trains, on these scenes "
            "and on fresh crops of the training scenes (the gap is memorisation)."
        ),
    ] = None,
    eval_every: Annotated[int, typer.Option(help="Evaluate every N steps.")] = 500,
    eval_images: Annotated[
        int, typer.Option(help="Questions per readout (±0.035 δ1 at 200, ±0.025 at 400).")
    ] = 200,
    resume: Annotated[bool, typer.Option(help="Continue from vision-checkpoint.pt.")] = True,
) -> None:
    """Warm-start a Qwen-VL model's vision tower on marker location and dense log distance
    (no layer added; SFT continues from the output)."""
    with user_errors():
        from depthlm.training.vision import pretrain_vision

        cfg = _config(
            config, model=model, data=data, output=output, task=None, focal=focal,
            max_steps=max_steps, learning_rate=learning_rate, no_crop=False,
        )  # fmt: skip
        if eval_images < 1:
            raise ValueError(f"--eval-images must be at least 1, got {eval_images}")
        path = pretrain_vision(
            cfg, eval_data=eval_data, eval_every=eval_every, eval_images=eval_images, resume=resume
        )
        typer.echo(f"saved {path}")


@app.command("configs")
def configs_command(
    name: Annotated[str | None, typer.Argument(help="Print this config's path.")] = None,
) -> None:
    """List the accelerate configs shipped with depthlm (for ``accelerate launch``)."""
    with user_errors():
        from depthlm.training.launch import accelerate_config, list_accelerate_configs

        if name:
            typer.echo(str(accelerate_config(name)))
        else:
            for cfg in list_accelerate_configs():
                typer.echo(f"{cfg.stem:10s} {cfg}")


@app.command("recipe")
def recipe_command(
    out: Annotated[Path, typer.Option(help="Work folder: data/, init/, run/ (the model).")],
    recipe: Annotated[str, typer.Option(help="Shipped recipe name or YAML file.")] = "depthlm_tiny",
    max_steps: Annotated[int | None, typer.Option(help="Override the step count.")] = None,
) -> None:
    """Render the world, build the model and train it (resumes stage by stage)."""
    with user_errors():
        from depthlm.training.recipe import describe_times, load_recipe, run_recipe

        path = run_recipe(load_recipe(recipe), out, max_steps=max_steps)
        typer.echo(f"saved {path}")
        typer.echo(f"stage times (wall clock, {out / 'recipe_times.json'}): {describe_times(out)}")
