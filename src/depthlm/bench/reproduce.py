"""``depthlm reproduce``: the paper's ablations re-run in miniature, under a CPU time budget.

Each finding is two training arms that differ in one thing, trained for the *same number of
samples* from the same random initialisation on the same synthetic world, and scored (δ1,
one point per image, distance task) on views of a seed no arm trained on. Beside each table
stands the paper's figure and whether our direction matches it. Tiny models on a few minutes of
CPU are far from the paper's regime, so a finding can come out flat; the table says so rather
than hiding it, and ``--budget-minutes`` buys a clearer answer.

Arms (all share the ``base`` arm: focal-normalised, arrow marker, every labelled point):
  focal      normalised to one focal length vs native intrinsics (mixed focal lengths)
  marker     arrow drawn in the image vs pixel coordinates written in the question
  points     1 labelled point on each of N images vs 10 on each of N/10, equal samples
  sft_grpo   from ``base``, equal further prompts by SFT vs GRPO (wall time reported)
  baselines  always 2.0 m, and the eval set's median (no training)
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depthlm.utils.io import atomic_write_json, atomic_write_text

FOCAL = 112.0  # canonical focal of the normalised arms (the embedded model's)
WORLD_SIZE = 128  # rendered width: native views are 128 px, normalised ones 56-224 px
EVAL_SEED = 777
TRAIN_SEED = 1000

# A smaller, faster shape than depthlm-tiny: the arms must see many samples within minutes.
MODEL = dict(
    hidden_size=128, intermediate_size=320, num_hidden_layers=3, num_attention_heads=4,
    num_key_value_heads=1, head_dim=32, vision_depth=2, vision_hidden_size=64,
    vision_intermediate_size=160, vision_num_heads=2, vision_fullatt_block_indexes=[1],
    vision_window_size=112, max_pixels=50176, default_system="",
)  # fmt: skip

TRAIN = dict(
    tasks={"distance": 1.0}, focal=FOCAL, preset="compact", marker="arrow",
    crop_height=None, crop_width=None, batch_size=32, learning_rate=1e-3, warmup_ratio=0.03,
    weight_decay=0.01, max_grad_norm=1.0, gradient_checkpointing=False, save_steps=10**9,
    save_total_limit=1, logging_steps=50, report_to=[], num_workers=0, view_cache=4096,
    bf16="false", num_generations=4, max_completion_length=8, rewards=["log_l1", "format"],
)  # fmt: skip


@dataclass(frozen=True)
class Arm:
    """One trained model: overrides of :data:`TRAIN`, its training set and how it trains."""

    name: str
    train: dict[str, Any] = field(default_factory=dict)
    data: str = "full"  # full | sparse (1 point x N images) | dense (10 points x N/10 images)
    method: str = "sft"  # sft | grpo
    start: str = "init"  # init (random weights) | base (continue from the base arm)
    share: float = 1.0  # samples relative to a main arm


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    paper: str
    arms: tuple[str, str]  # (the paper's winner, the other); "similar" findings: either
    expect: str  # "first" (first arm higher) or "similar"


ARMS = {
    a.name: a
    for a in (
        Arm("base"),
        Arm("native", {"focal": None}),
        Arm("text", {"marker": "text"}),
        Arm("sparse", data="sparse"),
        Arm("dense", data="dense"),
        Arm("sft", start="base", share=0.25),
        Arm("grpo", method="grpo", start="base", share=0.25),
    )
}

FINDINGS = (
    Finding("focal", "Focal normalisation under mixed focal lengths",
            "one unified focal beats mixed focal lengths (about 2x δ1 at 500K samples)",
            ("base", "native"), "first"),
    Finding("marker", "Marker in the image vs coordinates in the text",
            "text coordinates lose ~0.15 δ1 (ScanNet++)", ("base", "text"), "first"),
    Finding("points", "1 labelled point per image vs many, equal samples",
            "at 80K samples, 1 pixel per image beats 10 and 100 per image",
            ("sparse", "dense"), "first"),
    Finding("sft_grpo", "SFT vs GRPO at equal samples",
            "similar accuracy; GRPO costs 8-16x more compute per sample", ("sft", "grpo"),
            "similar"),
)  # fmt: skip

SIMILAR = 0.05  # |Δδ1| within run-to-run noise of these tiny runs (EMBEDDED.md: about ±0.05)


def _world(out: Path, n_train: int, n_eval: int, progress: bool) -> dict[str, Path]:
    """Render the train and eval worlds and derive the sparse/dense point subsets."""
    from depthlm.data.records import read_records, write_records
    from depthlm.data.synth import synthesize

    paths = {
        "full": out / "train" / "records.jsonl",
        "eval": out / "eval" / "records.jsonl",
        "sparse": out / "train" / "sparse.jsonl",
        "dense": out / "train" / "dense.jsonl",
    }
    if not paths["full"].is_file():
        synthesize(out / "train", images=n_train, seed=TRAIN_SEED, size=WORLD_SIZE, points=20,
                   progress=progress)  # fmt: skip
    if not paths["eval"].is_file():
        synthesize(out / "eval", images=n_eval, seed=EVAL_SEED, size=WORLD_SIZE, points=20,
                   progress=progress)  # fmt: skip
    if not paths["dense"].is_file():
        records = read_records(paths["full"])
        rng = random.Random(0)
        write_records(paths["sparse"], [_keep(r, rng, 1) for r in records])
        write_records(paths["dense"], [_keep(r, rng, 10) for r in records[: len(records) // 10]])
    return paths


def _keep(record: Any, rng: random.Random, k: int) -> Any:
    """``record`` with ``k`` of its labelled points, drawn once (a fixed sparse label set)."""
    from dataclasses import replace

    idx = sorted(rng.sample(range(len(record.pixel_coords)), k))
    return replace(
        record,
        pixel_coords=[record.pixel_coords[i] for i in idx],
        depth=[record.depth[i] for i in idx],
        z_depth=None if record.z_depth is None else [record.z_depth[i] for i in idx],
    )


def _init(out: Path) -> Path:
    from depthlm.models.tiny import build_tiny

    init = out / "init"
    if not (init / "model.safetensors").is_file():
        build_tiny("qwen2_5_vl", init, seed=0, **MODEL)
    return init


def _config(arm: Arm, model: Path, data: Path, output: Path, steps: int) -> Any:
    from depthlm.training.config import TrainConfig

    cfg = TrainConfig().update({**TRAIN, **arm.train}, where=f"arm {arm.name}")
    cfg.focal = arm.train.get("focal", FOCAL)  # update() skips None; native means None
    cfg.model, cfg.data, cfg.output, cfg.max_steps = str(model), [str(data)], str(output), steps
    if arm.method == "grpo":  # a step holds batch/num_generations prompts: same prompt count
        cfg.max_steps = steps * cfg.num_generations
    return cfg


def _train(arm: Arm, out: Path, paths: dict[str, Path], steps: int) -> tuple[Path, float]:
    """Train ``arm``; returns (model dir, wall seconds). A finished arm of the same length is
    kept (so a killed run resumes); one of another length is trained again and its cached
    answers dropped, or a new budget would be scored with the old models."""
    import shutil

    from depthlm.training.grpo import train_grpo
    from depthlm.training.sft import train_sft

    run = out / "arms" / arm.name
    done = run / "done.json"
    length = arm_steps(arm, steps)
    if done.is_file():
        record = json.loads(done.read_text())
        if record.get("steps") == length and (run / "depthlm.json").is_file():
            return run, float(record["seconds"])
    if done.is_file() or (run / "depthlm.json").is_file():
        shutil.rmtree(run)
        for stale in (out / "eval_results").glob(f"{arm.name}.*"):
            stale.unlink()
    start = _init(out) if arm.start == "init" else out / "arms" / arm.start
    cfg = _config(arm, start, paths[arm.data], run, length)
    t0 = time.perf_counter()
    (train_grpo if arm.method == "grpo" else train_sft)(cfg, resume=True)
    seconds = round(time.perf_counter() - t0, 1)
    atomic_write_json(done, {"steps": length, "seconds": seconds})
    return run, seconds


def arm_steps(arm: Arm, steps: int) -> int:
    """SFT-equivalent steps of ``arm`` when a main arm takes ``steps``."""
    return max(1, round(steps * arm.share))


def _score(model: Path | str, arm: Arm | None, out: Path, eval_data: Path) -> tuple[float, int]:
    """(δ1, questions answered) of a trained arm, or of a baseline when ``arm`` is None."""
    from depthlm.evaluation.answerers import ConstantAnswerer, MedianAnswerer, load_answerer
    from depthlm.evaluation.runner import EvalSettings, evaluate
    from depthlm.prompting.query import QuerySpec

    if arm is None:
        answerer = ConstantAnswerer(2.0) if model == "constant" else MedianAnswerer()
        spec, name = QuerySpec(focal=FOCAL, preset="compact"), str(model)
    else:
        answerer = load_answerer(str(model), batch_size=32, max_new_tokens=8)
        focal = arm.train.get("focal", FOCAL)  # native: None
        spec = QuerySpec(focal=focal, preset="compact", marker=arm.train.get("marker", "arrow"))
        name = arm.name
    res = evaluate(answerer, [eval_data], out / "eval_results" / f"{name}.json", spec=spec,
                   settings=EvalSettings(points=1, batch_size=32), progress=False)  # fmt: skip
    return float(res["average"]["delta1"]), int(res["average"]["n"])


def calibrate(out: Path, paths: dict[str, Path], steps: int = 24, skip: int = 4) -> float:
    """Steady-state SFT samples per second of the base arm on this machine: a throw-away run
    of ``steps`` steps whose first ``skip`` are not timed, so loading the model and warming
    the view cache do not count as training time (they made a first budget run 2x too
    cautious)."""
    from transformers import TrainerCallback

    from depthlm.training.sft import train_sft

    ends: dict[int, float] = {}

    class StepClock(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            ends[state.global_step] = time.perf_counter()

    cfg = _config(ARMS["base"], _init(out), paths["full"], out / "calibration", steps)
    train_sft(cfg, callbacks=[StepClock()])
    timed = max(ends) - skip
    return timed * cfg.batch_size / max(ends[max(ends)] - ends[skip], 1e-9)


def reproduce(
    out: str | Path,
    *,
    budget_minutes: float = 30.0,
    findings: tuple[str, ...] = tuple(f.key for f in FINDINGS),
    train_images: int = 2000,
    eval_images: int = 200,
    steps: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the findings into ``out`` (resumable: trained arms and answered questions are
    kept) and return the results; ``steps`` fixes the SFT steps of a main arm instead of
    deriving them from the budget."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    unknown = set(findings) - {f.key for f in FINDINGS} - {"baselines"}
    if unknown:
        raise ValueError(f"unknown finding(s) {sorted(unknown)}; valid: "
                         f"{[f.key for f in FINDINGS] + ['baselines']}")  # fmt: skip
    paths = _world(out, train_images, eval_images, progress)
    chosen = [f for f in FINDINGS if f.key in findings]
    names = list(dict.fromkeys(a for f in chosen for a in f.arms))
    if any(ARMS[n].start == "base" for n in names) and "base" not in names:
        names.insert(0, "base")
    if steps is None:
        rate = calibrate(out, paths)
        # GRPO is ~8x an SFT sample; count each arm's share of main-arm time accordingly.
        cost = sum(ARMS[n].share * (8.0 if ARMS[n].method == "grpo" else 1.0) for n in names)
        steps = max(10, int(budget_minutes * 60 * rate / max(cost, 1e-9) / TRAIN["batch_size"]))
    results: dict[str, Any] = {"steps": steps, "batch_size": TRAIN["batch_size"], "arms": {},
                               "findings": {}, "train_images": train_images,
                               "eval_images": eval_images}  # fmt: skip
    for name in names:
        arm = ARMS[name]
        model, seconds = _train(arm, out, paths, steps)
        samples = arm_steps(arm, steps) * TRAIN["batch_size"]
        delta1, n = _score(model, arm, out, paths["eval"])
        results["arms"][name] = {"delta1": delta1, "n": n, "samples": samples,
                                 "seconds": seconds}  # fmt: skip
    # Baselines always: the verdicts need the median answer's δ1.
    results["baselines"] = {
        b: _score(b, None, out, paths["eval"])[0] for b in ("constant", "median")
    }
    for f in chosen:
        arms = [results["arms"][n] for n in f.arms]
        median = results["baselines"]["median"]
        results["findings"][f.key] = {"arms": list(f.arms), **verdict(f, *arms, median=median)}
    atomic_write_json(out / "reproduce.json", results)
    atomic_write_text(out / "reproduce.md", markdown(results))
    return results


def verdict(
    finding: Finding, a: dict[str, Any], b: dict[str, Any], median: float | None = None
) -> dict[str, Any]:
    """Whether arms ``a`` and ``b`` agree with the paper, allowing for chance: a gap counts only
    beyond twice the standard error of a difference of two δ1 proportions (and
    :data:`SIMILAR`), so a 200-question evaluation does not call noise a finding. When neither
    arm beats the eval set's ``median`` answer by that margin, neither has learned to read the
    image yet and the pair says nothing about the finding."""
    diff = a["delta1"] - b["delta1"]
    var = sum(x["delta1"] * (1 - x["delta1"]) / max(x["n"], 1) for x in (a, b))
    noise = max(SIMILAR, 2 * var**0.5)
    if median is not None and max(a["delta1"], b["delta1"]) <= median + noise:
        text = "no finding yet (neither arm beats the median answer)"
    elif finding.expect == "similar":
        text = "matches" if abs(diff) <= noise else "does not match"
    elif diff > noise:
        text = "matches"
    else:
        text = "does not match" if diff < -noise else "too close to call"
    return {"delta1": [a["delta1"], b["delta1"]], "noise": noise, "verdict": text}


def markdown(results: dict[str, Any]) -> str:
    """The findings as Markdown tables: arms, δ1, samples, time, the paper's figure, verdict."""
    lines = [f"Each main arm: {results['steps']} SFT steps x {results['batch_size']} samples, "
             f"{results['train_images']} training views; δ1 on {results['eval_images']} unseen "
             "views (one point each, distance).", ""]  # fmt: skip
    by_key = {f.key: f for f in FINDINGS}
    for key, r in results["findings"].items():
        f = by_key[key]
        lines += [f"### {f.title}", "", f"Paper: {f.paper}.", "",
                  "| arm | δ1 | samples | minutes |", "|---|---|---|---|"]  # fmt: skip
        for name in f.arms:
            arm = results["arms"][name]
            lines.append(f"| {name} | {arm['delta1']:.3f} (n={arm['n']}) | {arm['samples']} | "
                         f"{arm['seconds'] / 60:.1f} |")  # fmt: skip
        lines += ["", f"Direction vs the paper: **{r['verdict']}** "
                  f"(Δδ1 = {r['delta1'][0] - r['delta1'][1]:+.3f}; "
                  f"gaps under {r['noise']:.3f} are noise).", ""]  # fmt: skip
    if "baselines" in results:
        b = results["baselines"]
        lines += [
            "### Baselines",
            "",
            "| answer | δ1 |",
            "|---|---|",
            f"| always 2.0 m | {b['constant']:.3f} |",
            f"| eval-set median | {b['median']:.3f} |",
            "",
            "Paper: always 2.0 m scores 0.280 on iBims-1 and 0.186 on average.",
            "",
        ]
    return "\n".join(lines)


def report(results: dict[str, Any]) -> None:
    print(markdown(results))
    print(json.dumps({k: v["verdict"] for k, v in results["findings"].items()}))
