"""``depthlm demo``: the README's first command.

Asks the embedded model (or any checkpoint) about marked points of unseen synthetic scenes,
prints answers beside the exact truth, writes a depth-map panel and a coloured point cloud,
and, given ``--data``, scores it on real records beside the constant baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the PNG panels and PLY clouds.")] = Path(
        "demo-out"
    ),
    model: Annotated[str, typer.Option(help="embedded | model folder")] = "embedded",
    scenes: Annotated[int, typer.Option(help="Unseen scenes to show (indoor, outdoor, ...).")] = 2,
    points: Annotated[int, typer.Option(help="Marked points asked per scene.")] = 8,
    queries: Annotated[int, typer.Option(help="Questions per depth map.")] = 192,
    data: Annotated[
        list[Path] | None, typer.Option("--data", help="Also score on these JSONL files.")
    ] = None,
) -> None:
    """Ask a VLM metric questions about unseen scenes; write depth maps and point clouds."""
    with user_errors():
        from depthlm.demo import run_demo
        from depthlm.inference.depthlm import DepthLM

        vlm = DepthLM.from_pretrained(model)
        typer.echo(f"model: {model} (focal {vlm.spec.focal:g} px, preset {vlm.spec.preset})")
        for scene in range(scenes):
            r = run_demo(vlm, out / f"scene{scene}", scene=scene, points=points, queries=queries)
            typer.echo(f"\nscene {scene}: distance to the marked point")
            typer.echo(f"  {'pixel':>12}  {'answer':>8}  {'truth':>7}  δ1")
            for row in r.rows:
                mark = "✓" if row["ok"] else "✗"
                typer.echo(f"  {row['pixel']!s:>12}  {row['metres']:8.2f}  "
                           f"{row['truth']:7.2f}  {mark}")  # fmt: skip
            typer.echo(f"  depth map from {queries} questions: δ1 {r.dense_delta1:.2f}, "
                       f"AbsRel {r.dense_abs_rel:.2f}")  # fmt: skip
            typer.echo(f"  wrote {r.panel} and {r.cloud}")
        if data:
            _score(model, data, out)


def _score(model: str, data: list[Path], out: Path) -> None:
    from depthlm.evaluation.answerers import ConstantAnswerer, load_answerer
    from depthlm.evaluation.report import table
    from depthlm.evaluation.runner import EvalSettings, evaluate
    from depthlm.models.contract import resolve_spec
    from depthlm.models.embedded import resolve_model_path

    spec = resolve_spec(resolve_model_path(model), task="distance")
    settings = EvalSettings(points=1, batch_size=32)
    vlm = load_answerer(model, batch_size=32, max_new_tokens=spec.prompt.max_new_tokens)
    for answerer in (ConstantAnswerer(2.0), vlm):
        slug = answerer.name.replace(":", "_").replace("/", "_")
        res = evaluate(answerer, data, out / f"eval_{slug}.json", spec=spec, settings=settings,
                       progress=False)  # fmt: skip
        typer.echo("\n" + table(res, "markdown"))
