"""The resumable evaluation loop: datasets in, the paper's table out.

Per dataset file: read and validate the records, choose the (image, point) pairs, ask the
answerer in batches (building marked model inputs once per image for VLMs), stream every answer
to the predictions file, then score. Points whose marker cannot be drawn (too close to the
border after focal normalisation) are written as skips and reported, never silently replaced by
another point as the reference code does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from depthlm.data.records import Record, read_records
from depthlm.evaluation.answerers import Answerer, EvalItem
from depthlm.evaluation.cache import PredictionCache
from depthlm.evaluation.metrics import aggregate, depth_metrics
from depthlm.evaluation.sampling import select_points
from depthlm.prompting.parsing import parse_answer
from depthlm.prompting.query import QuerySpec, View, record_view
from depthlm.tasks.labels import point_labels
from depthlm.utils.io import atomic_write_json


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
    name: str,
    records: list[Record],
    pairs: list[tuple[int, int]],
    task: str,
    cache: PredictionCache,
) -> Iterator[EvalItem]:
    labels: dict[int, Any] = {}
    for r, p in pairs:
        if (name, r, p) in cache:
            continue
        if r not in labels:
            labels = {r: point_labels(records[r], task)}
        yield EvalItem(name, r, p, records[r], float(labels[r][p]))


def _row(item: EvalItem, text: str | None, unit: str, skipped: str | None = None) -> dict:
    row: dict[str, Any] = {
        "dataset": item.dataset,
        "record": item.record_index,
        "point": item.point_index,
        "image": item.record.image,
        "pixel": item.pixel,
        "gt": item.label,
    }
    if item.input is not None:
        row["model_pixel"] = list(item.input.pixel)
    if skipped:
        row["skipped"] = skipped
    else:
        row["text"] = text
        row["pred"] = parse_answer(text, unit=unit)
    return row


def _answer_stream(
    answerer: Answerer,
    items: Iterator[EvalItem],
    spec: QuerySpec,
    image_root: Path,
    batch_size: int,
    cache: PredictionCache,
    bar: tqdm,
) -> None:
    view: tuple[int, View] | None = None
    batch: list[EvalItem] = []
    unit = "m"

    def flush() -> None:
        if batch:
            texts = answerer.answer(batch)
            cache.append(_row(it, t, unit) for it, t in zip(batch, texts, strict=True))
            bar.update(len(batch))
            batch.clear()

    for item in items:
        if answerer.uses_images:
            if view is None or view[0] != item.record_index:
                view = (item.record_index, record_view(item.record, spec, image_root))
            item.input = view[1].query(item.pixel)
            if item.input is None:
                cache.append([_row(item, None, unit, skipped="marker_out_of_image")])
                bar.update(1)
                continue
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()


def score(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of answered rows, with skips counted separately."""
    answered = [r for r in rows if "skipped" not in r]
    metrics = depth_metrics([r["pred"] for r in answered], [r["gt"] for r in answered])
    metrics["skipped"] = len(rows) - len(answered)
    return metrics


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
    paths = [Path(p) for p in data]
    names = _dataset_names(paths)
    header = {
        "model": answerer.name,
        "task": spec.task,
        "seed": settings.seed,
        "points": settings.points,
        "spec": spec.to_dict() if answerer.uses_images else None,
    }
    cache = PredictionCache(predictions_path(output), header)
    datasets: dict[str, Any] = {}
    for name, path in zip(names, paths, strict=True):
        root = Path(images) if images is not None else path.parent
        records = read_records(path, image_root=root, check_images=answerer.uses_images)
        pairs = select_points(
            [len(r.pixel_coords) for r in records], settings.points, settings.seed, settings.limit
        )
        if hasattr(answerer, "fit"):
            answerer.fit(name, [float(v) for r in records for v in point_labels(r, spec.task)])
        todo = sum((name, r, p) not in cache for r, p in pairs)
        with tqdm(
            total=len(pairs),
            initial=len(pairs) - todo,
            desc=f"{name}",
            disable=not progress,
            unit="pt",
        ) as bar:
            items = _items(name, records, pairs, spec.task, cache)
            _answer_stream(answerer, items, spec, root, settings.batch_size, cache, bar)
        datasets[name] = score([cache.rows[(name, r, p)] for r, p in pairs])
    results = {
        "model": answerer.name,
        "task": spec.task,
        "spec": spec.to_dict() if answerer.uses_images else None,
        "settings": {
            "points": settings.points or "all",
            "limit": settings.limit,
            "seed": settings.seed,
        },
        "datasets": datasets,
        "average": {**aggregate(datasets), "skipped": sum(d["skipped"] for d in datasets.values())},
        "predictions": str(predictions_path(output)),
    }
    atomic_write_json(output, results)
    return results
