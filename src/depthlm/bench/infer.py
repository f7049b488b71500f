"""Points per second: the reference evaluation loop's way of asking versus depthlm's engine.

Both ask the same marked pixels of the same unseen synthetic views (seed 777, as
``bench accuracy``), one point per question, through the same Transformers generator, so the
difference is only *how* they ask:

* **reference** — the DepthLM reference loop's semantics: the ``official`` preset (a system
  prompt and a question asking to think in ``<think>`` and answer in ``<answer>``), batches of
  3 and up to 4,096 new tokens. A model that reasons (or, trained on another format, rambles)
  pays for every token; a wall-time budget stops it early, and its rate is then extrapolated
  (the output says so).
* **engine** — the checkpoint's own preset (answer-only ``compact`` for the embedded model)
  with that preset's short token cap, in large batches.

The engine's time is split into building the questions (focal normalisation, marker, text),
the processor (chat template, tokenizer, image processor) and ``generate`` (of which the
vision encoder's share is timed separately), so ``docs/speed.md`` can say what dominates.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from depthlm.bench.accuracy import EVAL_SEED

REFERENCE = {"preset": "official", "batch_size": 3, "max_new_tokens": 4096}


class _VisionClock:
    """Seconds spent in the model's vision encoder (forward hooks; removed on ``close``)."""

    def __init__(self, model: Any) -> None:
        self.seconds = 0.0
        self._start = 0.0
        visual = getattr(model, "visual", None) or getattr(getattr(model, "model", None),
                                                           "visual", None)  # fmt: skip
        self._hooks = []
        if visual is not None:
            self._hooks = [visual.register_forward_pre_hook(self._begin),
                           visual.register_forward_hook(self._end)]  # fmt: skip

    def _begin(self, *_: Any) -> None:
        self._start = time.perf_counter()

    def _end(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._start

    def close(self) -> None:
        for hook in self._hooks:
            hook.remove()


def _questions(records: list, root: Path, spec: Any) -> tuple[list, float]:
    """The built inputs of every labelled point (``None`` where the marker does not fit) and
    the seconds it took, the way the evaluation runner builds them."""
    import numpy as np

    from depthlm.tasks import get_task
    from depthlm.tasks.inputs import InputBuilder

    task = get_task("distance")
    probes = task.probes(records, None, np.random.default_rng(0))
    t0 = time.perf_counter()
    builder = InputBuilder(records, spec, root)
    built = [builder.build(p, with_target=False) for p in probes]
    return built, time.perf_counter() - t0


def _run(generator: Any, inputs: list, per_call: int, budget_s: float | None) -> dict[str, Any]:
    """Ask ``inputs``, ``per_call`` questions per generator call (which batches them), until
    done or past ``budget_s`` seconds."""
    from depthlm.evaluation.metrics import delta1_correct
    from depthlm.tasks import get_task

    task = get_task("distance")
    answers = []
    t0 = time.perf_counter()
    for start in range(0, len(inputs), per_call):
        chunk = inputs[start : start + per_call]
        answers += generator.generate_detailed([q.chat() for q in chunk])
        if budget_s is not None and time.perf_counter() - t0 > budget_s:
            break
    seconds = time.perf_counter() - t0
    asked = inputs[: len(answers)]
    hits = [
        delta1_correct(task.parse(a.text), q.label) for a, q in zip(answers, asked, strict=True)
    ]
    tokens = [a.completion_tokens or 0 for a in answers]
    prompts = [a.prompt_tokens or 0 for a in answers]
    return {
        "mean_prompt_tokens": sum(prompts) / max(len(prompts), 1),
        "asked": len(answers),
        "seconds": seconds,
        "delta1": sum(hits) / max(len(hits), 1),
        "mean_new_tokens": sum(tokens) / max(len(tokens), 1),
        "max_new_tokens_seen": max(tokens, default=0),
    }


def bench_infer(
    model: str = "embedded",
    images: int = 40,
    points: int = 8,
    *,
    batch_size: int = 64,
    reference_budget_s: float = 90.0,
    seed: int = EVAL_SEED,
    size: int = 256,
) -> dict[str, Any]:
    """Points/s, δ1 and tokens of the reference way and of the engine on ``points`` marked
    pixels of each of ``images`` unseen views; ``speedup`` = engine / reference."""
    from depthlm.data.records import read_records
    from depthlm.data.synth import synthesize
    from depthlm.inference.depthlm import DepthLM
    from depthlm.inference.hf import HFGenerator
    from depthlm.models.contract import resolve_spec
    from depthlm.models.embedded import resolve_model_path

    path = Path(resolve_model_path(model))
    engine_spec = resolve_spec(path)
    ref_spec = resolve_spec(path, preset=REFERENCE["preset"])
    with tempfile.TemporaryDirectory() as tmp:
        data = synthesize(Path(tmp) / "data", images=images, seed=seed, size=size,
                          points=points, progress=False)  # fmt: skip
        records = read_records(data)
        engine_in, engine_build_s = _questions(records, data.parent, engine_spec)
        ref_in, ref_build_s = _questions(records, data.parent, ref_spec)
    keep = [i for i, (a, b) in enumerate(zip(engine_in, ref_in, strict=True)) if a and b]
    engine_in, ref_in = [engine_in[i] for i in keep], [ref_in[i] for i in keep]
    if not keep:
        raise ValueError("no point could be marked; use larger images")

    reference = HFGenerator.from_pretrained(path, batch_size=REFERENCE["batch_size"],
                                            max_new_tokens=REFERENCE["max_new_tokens"])  # fmt: skip
    reference.generate(ref_in[:1])  # warm-up (first-call allocations), not timed
    ref = _run(reference, ref_in, REFERENCE["batch_size"], reference_budget_s)
    ref_build = ref_build_s * ref["asked"] / len(ref_in)
    ref_rate = ref["asked"] / (ref["seconds"] + ref_build)
    del reference

    tokens = engine_spec.prompt.max_new_tokens
    engine = HFGenerator.from_pretrained(path, batch_size=batch_size, max_new_tokens=tokens)
    engine.generate(engine_in[:1])
    engine.timings = dict.fromkeys(engine.timings, 0.0)
    vision = _VisionClock(engine.model)
    eng = _run(engine, engine_in, DepthLM.questions_per_call, None)
    vision.close()
    eng_rate = eng["asked"] / (eng["seconds"] + engine_build_s)
    t = engine.timings
    return {
        "model": model,
        "weights": str(path),
        "images": images,
        "points": len(keep),
        "seed": seed,
        "size": size,
        "reference": {
            **REFERENCE,
            **ref,
            "points_per_s": ref_rate,
            "extrapolated": ref["asked"] < len(ref_in),
        },
        "engine": {
            "preset": engine_spec.preset,
            "batch_size": batch_size,
            "max_new_tokens": engine_spec.prompt.max_new_tokens,
            **eng,
            "points_per_s": eng_rate,
            "seconds_breakdown": {
                "build_questions": engine_build_s,
                "processor": t["inputs_s"],
                "generate": t["generate_s"],
                "generate_vision_encoder": vision.seconds,
                "decode": t["decode_s"],
            },
        },
        "speedup": eng_rate / ref_rate,
    }


def report(r: dict[str, Any]) -> None:
    """Print the figures of :func:`bench_infer`."""
    ref, eng = r["reference"], r["engine"]
    print(f"infer: {r['model']} on {r['points']} points of {r['images']} unseen views "
          f"(seed {r['seed']}, {r['size']} px)")  # fmt: skip
    note = f" (extrapolated from {ref['asked']} points)" if ref["extrapolated"] else ""
    print(f"  reference ({ref['preset']}, batch {ref['batch_size']}, {ref['max_new_tokens']} "
          f"tokens): {ref['points_per_s']:7.1f} points/s{note}, δ1 {ref['delta1']:.3f}, "
          f"{ref['mean_prompt_tokens']:.0f} + {ref['mean_new_tokens']:.1f} tokens")  # fmt: skip
    print(f"  engine    ({eng['preset']}, batch {eng['batch_size']}, {eng['max_new_tokens']} "
          f"tokens): {eng['points_per_s']:7.1f} points/s, δ1 {eng['delta1']:.3f}, "
          f"{eng['mean_prompt_tokens']:.0f} + {eng['mean_new_tokens']:.1f} tokens")  # fmt: skip
    print(f"  speedup   : {r['speedup']:.1f}x")
    total = sum(v for k, v in eng["seconds_breakdown"].items() if k != "generate_vision_encoder")
    for stage, s in eng["seconds_breakdown"].items():
        print(f"    {stage:<24} {s:7.2f} s ({100 * s / max(total, 1e-9):4.1f} %)")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    report(bench_infer(args[0] if args else "embedded"))
