"""The resumable evaluation loop: datasets in, the paper's table out.

Per dataset file: read and validate the records, choose the (image, point) pairs, ask the
answerer in batches (building marked model inputs once per image for VLMs), stream every answer
to the predictions file, then score. Points whose marker cannot be drawn (too close to the
border after focal normalisation) are written as skips and reported, never silently replaced by
another point as the reference code does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from depthlm import __version__
from depthlm.data.records import Record, read_records
from depthlm.evaluation.answerers import Answerer, EvalItem
from depthlm.evaluation.cache import PredictionCache
from depthlm.evaluation.metrics import aggregate, delta1_correct, depth_metrics
from depthlm.evaluation.shard import Shard
from depthlm.inference.base import Generation
from depthlm.prompting.query import QuerySpec
from depthlm.tasks import Probe, Task, get_task
from depthlm.tasks.inputs import InputBuilder
from depthlm.utils.io import atomic_write_json, atomic_write_text


@dataclass(frozen=True)
class EvalSettings:
    """Which questions to ask: ``points=None`` means every labelled point."""

    points: int | None = None
    limit: int | None = None
    seed: int = 42
    batch_size: int = 8


def predictions_path(output: str | Path) -> Path:
    """``results.json`` → ``results.predictions.jsonl`` beside it."""
    output = Path(output)
    return output.with_name(output.stem + ".predictions.jsonl")


def _dataset_names(paths: Sequence[Path]) -> list[str]:
    names = [p.stem for p in paths]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(
            f"two --data files share the stem {sorted(dupes)}; tables are keyed "
            f"by file stem, rename one"
        )
    return names


def _items(
    name: str, records: list[Record], probes: list[Probe], task: Task, cache: PredictionCache
) -> Iterator[EvalItem]:
    for probe in probes:
        if (name, probe.key) not in cache:
            yield EvalItem(name, probe, records, task.label(records, probe))


def _row(item: EvalItem, answer: Generation | None, task: Task, skipped: str | None = None) -> dict:
    probe = item.probe
    row: dict[str, Any] = {
        "dataset": item.dataset,
        "probe": probe.key,
        "image": item.record.image,
        "gt": item.label,
    }
    if probe.points:
        row["pixel"] = item.pixel
    if probe.params:
        row["params"] = probe.kwargs
    if item.input is not None and item.input.pixels:
        row["model_pixels"] = [list(p) for p in item.input.pixels]
    if skipped or answer is None:
        row["skipped"] = skipped or "no_answer"
        return row
    pred = task.parse(answer.text)
    row["text"] = answer.text
    row["pred"] = pred
    row["hit"] = delta1_correct(pred, item.label)
    for key in ("latency_s", "prompt_tokens", "completion_tokens", "seen_size", "confidence"):
        value = getattr(answer, key)
        if value is not None:
            row[key] = round(value, 4) if isinstance(value, float) else value
    if answer.samples is not None:  # sampled decoding: every reply, for the curious
        row["samples"] = list(answer.samples)
    return row


def _answers(answerer: Answerer, batch: list[EvalItem]) -> list[Generation]:
    """Answers with their cost when the answerer can tell (VLM backends), else bare texts."""
    detailed = getattr(answerer, "answer_detailed", None)
    if detailed is not None:
        return list(detailed(batch))
    return [Generation(text=t) for t in answerer.answer(batch)]


def _answer_stream(
    answerer: Answerer,
    items: Iterator[EvalItem],
    builder: InputBuilder,
    batch_size: int,
    cache: PredictionCache,
    bar: tqdm,
) -> None:
    batch: list[EvalItem] = []
    task = builder.task

    def flush() -> None:
        if batch:
            answers = _answers(answerer, batch)
            cache.append(_row(it, a, task) for it, a in zip(batch, answers, strict=True))
            bar.update(len(batch))
            batch.clear()

    for item in items:
        if answerer.uses_images:
            item.input = builder.build(item.probe, with_target=False)
            if item.input is None:
                cache.append([_row(item, None, task, skipped="marker_out_of_image")])
                bar.update(1)
                continue
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()


def score(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of answered rows, with skips counted separately, and how well the answers'
    confidence ranks their errors (:func:`confidence_spearman`)."""
    answered = [r for r in rows if "skipped" not in r]
    metrics = depth_metrics([r["pred"] for r in answered], [r["gt"] for r in answered])
    metrics["skipped"] = len(rows) - len(answered)
    metrics["confidence_spearman"] = confidence_spearman(answered)
    return metrics


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their mean rank (as Spearman's coefficient needs)."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation of paired samples (Pearson's on tie-averaged ranks);
    ``None`` for fewer than 3 pairs or when either side is constant (no ranking to compare).
    NumPy only: SciPy is not a dependency."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"need two 1-D samples of one length, got {x.shape} and {y.shape}")
    if len(x) < 3:
        return None
    rx, ry = _ranks(x) - (len(x) + 1) / 2, _ranks(y) - (len(y) + 1) / 2
    den = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    return None if den == 0 else float((rx * ry).sum() / den)


def confidence_spearman(rows: Sequence[dict[str, Any]]) -> float | None:
    """Spearman correlation between the answers' ``confidence`` and their error
    ``|log(pred / gt)|``, over answered rows that have both (``None`` under 3 such rows).

    Negative means confidence ranks errors well: the confident answers are the accurate ones,
    so a caller can keep the confident half of a depth map or ask again where it is low. The
    log ratio makes 2× too far and 2× too near equally wrong, as δ1 does."""
    pairs = [
        (float(r["confidence"]), abs(math.log(float(r["pred"]) / float(r["gt"]))))
        for r in rows
        if r.get("confidence") is not None
        and isinstance(r.get("pred"), int | float)
        and math.isfinite(r["pred"])
        and r["pred"] > 0
        and math.isfinite(float(r["confidence"]))
    ]
    if len(pairs) < 3:
        return None
    conf, err = zip(*pairs, strict=True)
    return spearman(conf, err)


def evaluate(
    answerer: Answerer,
    data: Sequence[str | Path],
    output: str | Path,
    *,
    spec: QuerySpec | None = None,
    settings: EvalSettings | None = None,
    images: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate ``answerer`` on each JSONL in ``data``; write ``output`` (JSON) and the
    predictions file beside it; return the results dict.

    Resumes from the predictions file when it exists and was made by the same run.
    """
    spec = spec or QuerySpec()
    settings = settings or EvalSettings()
    shard = Shard.from_env()
    task = get_task(spec.task)
    paths = [Path(p) for p in data]
    names = _dataset_names(paths)
    header = {
        "model": answerer.name,
        "task": spec.task,
        "seed": settings.seed,
        "points": settings.points,
        "spec": spec.to_dict() if answerer.uses_images else None,
    }
    if getattr(answerer, "decoding", None):  # absent for greedy: older files still resume
        header["decoding"] = answerer.decoding
    cache = PredictionCache(shard.path(predictions_path(output)), header)
    asked: dict[str, list[Probe]] = {}
    for name, path in zip(names, paths, strict=True):
        root = Path(images) if images is not None else path.parent
        records = read_records(path, image_root=root, check_images=answerer.uses_images)
        probes = task.probes(records, settings.points, np.random.default_rng(settings.seed))
        probes = probes[: settings.limit] if settings.limit is not None else probes
        if hasattr(answerer, "fit"):
            answerer.fit(name, [task.label(records, p) for p in probes])
        asked[name] = probes
        mine = shard.take(probes)
        todo = sum((name, p.key) not in cache for p in mine)
        with tqdm(
            total=len(mine),
            initial=len(mine) - todo,
            desc=name if shard.world == 1 else f"{name} [rank {shard.rank}/{shard.world}]",
            disable=not progress,
            unit="q",
        ) as bar:
            builder = InputBuilder(records, spec, root)
            items = _items(name, records, mine, task, cache)
            _answer_stream(answerer, items, builder, settings.batch_size, cache, bar)
    rows = cache.rows
    if shard.world > 1:
        shard.barrier()  # every rank's file is complete and fsync'ed
        if not shard.is_main:
            return {"rank": shard.rank, "predictions": str(cache.path)}
        rows = _merge(shard, output, header, asked)
    datasets = {n: score([rows[(n, p.key)] for p in probes]) for n, probes in asked.items()}
    results = {
        "model": answerer.name,
        "task": spec.task,
        "spec": spec.to_dict() if answerer.uses_images else None,
        "settings": {
            "points": settings.points or "all",
            "limit": settings.limit,
            "seed": settings.seed,
        },
        "config": {"depthlm_version": __version__, "answerer": answerer.name, **header},
        "datasets": datasets,
        "average": {**aggregate(datasets), "skipped": sum(d["skipped"] for d in datasets.values())},
        "usage": _usage(rows.values()),
        "predictions": str(predictions_path(output)),
    }
    atomic_write_json(output, results)
    return results


def _merge(
    shard: Shard, output: str | Path, header: dict[str, Any], asked: dict[str, list[Probe]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Rank 0: every rank's rows, rewritten in question order as one predictions file."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for rank in range(shard.world):
        part = Shard(rank, shard.world).path(predictions_path(output))
        merged.update(PredictionCache(part, header).rows)
    ordered = [merged[(n, p.key)] for n, probes in asked.items() for p in probes]
    lines = [json.dumps({"header": header})] + [json.dumps(r, ensure_ascii=False) for r in ordered]
    atomic_write_text(predictions_path(output), "\n".join(lines) + "\n")
    return merged


def _usage(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Tokens summed over the answered questions (what an API run cost)."""
    total = {"prompt_tokens": 0, "completion_tokens": 0}
    for row in rows:
        for key in total:
            total[key] += int(row.get(key) or 0)
    return total
