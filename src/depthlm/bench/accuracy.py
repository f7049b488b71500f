"""Accuracy of a model on unseen synthetic scenes, every task, beside the constant baseline.

Renders ``images`` views of the mixed world from a seed no training set uses, asks one
question per image per task (pose: one per moving pair) and prints δ1 per task for the model
and for "always 2.0 m" (2.0 in the task's unit), the paper's trivial baseline.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from depthlm.tasks import TASKS

EVAL_SEED = 777  # held out: the shipped recipe trains on seed 1000


def bench_accuracy(
    model: str = "embedded", images: int = 200, seed: int = EVAL_SEED,
    tasks: tuple[str, ...] = tuple(TASKS), batch_size: int = 32, data: Path | None = None,
    samples: int = 1, temperature: float | None = None, beams: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """δ1 (and AbsRel, n) per task for ``model`` and the constant baseline; ``samples > 1``
    answers with the median of that many sampled replies, ``beams > 1`` with the best bet
    among that many beams (``depthlm.inference.consensus``)."""
    from depthlm.data.synth import synthesize
    from depthlm.evaluation.answerers import ConstantAnswerer, load_answerer
    from depthlm.evaluation.runner import EvalSettings, evaluate
    from depthlm.models.contract import resolve_spec
    from depthlm.models.embedded import resolve_model_path

    base = resolve_spec(resolve_model_path(model))
    vlm = load_answerer(model, batch_size=batch_size, max_new_tokens=base.prompt.max_new_tokens,
                        samples=samples, temperature=temperature,
                        beams=beams)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        if data is None:
            data = synthesize(tmp_dir / "data", images=images, seed=seed, points=20,
                              progress=False)  # fmt: skip
        out: dict[str, Any] = {"model": model, "images": images, "seed": seed, "tasks": {}}
        if samples > 1 or beams > 1:
            out["decoding"] = vlm.decoding
        for task in tasks:
            spec = resolve_spec(resolve_model_path(model), task=task)
            row = {}
            for name, answerer in (("model", vlm), ("constant", ConstantAnswerer(2.0))):
                res = evaluate(answerer, [data], tmp_dir / f"{task}_{name}.json", spec=spec,
                               settings=EvalSettings(points=1, batch_size=batch_size),
                               progress=False)  # fmt: skip
                d = next(iter(res["datasets"].values()))
                row[name] = {k: d[k] for k in ("delta1", "abs_rel", "n", "unparsed", "skipped")}
            out["tasks"][task] = row
    return out


def report(r: dict[str, Any]) -> None:
    how = f", {r['decoding']}" if r.get("decoding") else ""
    print(f"accuracy: {r['model']} on {r['images']} unseen synthetic views (seed {r['seed']}{how})")
    print(f"  {'task':<15} {'δ1 model':>9} {'δ1 const':>9} {'AbsRel':>7} {'n':>5} {'unparsed':>9}")
    for task, row in r["tasks"].items():
        m, c = row["model"], row["constant"]
        abs_rel = "–" if m["abs_rel"] is None else f"{m['abs_rel']:.3f}"
        print(f"  {task:<15} {m['delta1']:9.3f} {c['delta1']:9.3f} {abs_rel:>7} {m['n']:5d} "
              f"{m['unparsed']:9d}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    report(bench_accuracy(args[0] if args else "embedded"))
