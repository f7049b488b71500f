"""Many points per question at inference: :func:`measure_many`, and per-point scoring of a
dataset with :func:`evaluate_many`.

A model trained on ``multi_point`` answers up to K numbered markers per question, so an image's
N points cost about N / K questions instead of N. The points are split into questions by the
layout rule (:func:`depthlm.tasks.multi_point.plan_queries`): markers and labels never overlap,
points that clash go to a later question, and points that cannot be marked at all are
reported as skipped, never moved. Views are built exactly as :meth:`DepthLM.measure` builds
them (same camera resolution, same focal normalisation), so the two agree on every pixel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from depthlm.data.records import Record, read_records
from depthlm.prompting.query import QuerySpec, View, prepare_view
from depthlm.tasks.base import Probe, TaskInput
from depthlm.tasks.inputs import InputBuilder
from depthlm.tasks.multi_point import K_RANGE, MultiPoint, plan_queries

if TYPE_CHECKING:
    from depthlm.inference.base import Generator
    from depthlm.inference.depthlm import DepthLM, ImageLike

#: Answer tokens budgeted per point ("12: 3.45, " is about 8 tokens for Qwen-style tokenizers).
TOKENS_PER_POINT = 8


@contextmanager
def token_budget(generator: Generator, tokens: int) -> Iterator[None]:
    """Let ``generator`` write at least ``tokens`` new tokens for a while.

    A checkpoint's preset sets a budget for one-number answers (20 tokens for ``compact``),
    which would cut a 16-point answer short. Backends with a ``max_new_tokens`` attribute
    (Transformers, OpenAI-compatible) are raised for the duration; others keep theirs, and a
    cut answer then scores the points it reached.
    """
    old = getattr(generator, "max_new_tokens", None)
    if not isinstance(old, int) or old >= tokens:
        yield
        return
    generator.max_new_tokens = tokens  # type: ignore[attr-defined]
    try:
        yield
    finally:
        generator.max_new_tokens = old  # type: ignore[attr-defined]


def _ask_all(model: DepthLM, questions: Sequence[TaskInput], spec: QuerySpec) -> list[str]:
    """Answers to ``questions``, ``model.questions_per_call`` per generator call."""
    most = max((len(q.pixels) for q in questions), default=0)
    budget = spec.prompt.max_new_tokens + TOKENS_PER_POINT * most
    texts: list[str] = []
    step = max(1, int(model.questions_per_call))
    with token_budget(model.generator, budget):
        for start in range(0, len(questions), step):
            chunk = questions[start : start + step]
            texts += model.generator.generate([q.chat() for q in chunk])
    return texts


def _image_key(image: Any) -> str | int:
    return str(image) if isinstance(image, str | Path) else 0


def measure_many(
    model: DepthLM,
    image: ImageLike,
    points: Any,
    *,
    k: int = K_RANGE[1],
    intrinsics: Sequence[float] | None = None,
    focal: float | None = None,
) -> dict[str, Any]:
    """Distances (metres) of ``points`` (``[[x, y], ...]`` in pixels of ``image``), asked up
    to ``k`` per question with numbered markers.

    Returns the keys of :meth:`DepthLM.measure` — ``metres`` (NaN where unanswered or
    skipped), ``text`` (each point's raw answer: the reply of the question that asked it),
    ``points``, ``skipped`` (points whose marker or label cannot be drawn even alone),
    ``intrinsics``, ``focal``, ``focal_source``, ``image`` — plus ``queries`` (how many
    questions were asked) and ``groups`` (the point indices of each question, in label order).
    The camera is resolved as :meth:`DepthLM.measure` resolves it (given, EXIF or default).
    """
    from depthlm.inference.depthlm import as_image

    task = MultiPoint()
    spec = replace(model.spec, task=task.name)
    pil = as_image(image)
    exif_source = image if isinstance(image, str | Path | Image.Image) else None
    camera, source = model._camera(pil, intrinsics, focal, exif_source)
    pts = np.asarray(points, dtype=np.int64).reshape(-1, 2)
    outside = ~camera.contains(pts)
    if outside.any():
        raise ValueError(
            f"points outside the {camera.width}x{camera.height} image: {pts[outside].tolist()}"
        )
    view = prepare_view(pil, camera, spec)
    marked = view.remap(pts)
    groups, skipped = plan_queries(
        marked.tolist(), view.image.size, spec.marker, k, window=spec.window
    )
    questions = [_question(task, view, pts, group, spec) for group in groups]
    texts = _ask_all(model, questions, spec)
    metres = np.full(len(pts), np.nan)
    per_point: list[str | None] = [None] * len(pts)
    for group, text in zip(groups, texts, strict=True):
        for i, value in zip(group, task.parse_all(text, len(group)), strict=True):
            metres[i] = np.nan if value is None else value
            per_point[i] = text
    return {
        "metres": metres,
        "text": per_point,
        "points": pts,
        "skipped": skipped,
        "intrinsics": camera.to_list(),
        "focal": camera.fx,
        "focal_source": source,
        "image": _image_key(image),
        "queries": len(groups),
        "groups": groups,
    }


def _question(
    task: MultiPoint, view: View, pts: np.ndarray, group: list[int], spec: QuerySpec
) -> TaskInput:
    built = task.ask([view], pts[group].tolist(), {}, spec.prompt, spec.marker)
    if built is None:  # plan_queries only groups points that lay out together
        raise AssertionError(f"points {group} do not lay out together")
    return built


def multi_questions(
    builder: InputBuilder, k: int, *, points: int | None = None, seed: int = 42
) -> tuple[list[TaskInput], list[int], int]:
    """The ``multi_point`` questions about ``builder``'s records: every labelled point
    (``points=None``) or ``points`` per image drawn with ``seed`` (as ``depthlm eval`` draws
    them), split into questions of at most ``k`` by the layout rule. Returns the questions
    (labels and record indices of their points in ``labels``/``indices``), the record of each,
    and how many points cannot be marked at all."""
    records, spec, task = builder.records, builder.spec, MultiPoint()
    rng = np.random.default_rng(seed)
    questions: list[TaskInput] = []
    asked: list[int] = []
    skipped = 0
    for r, rec in enumerate(records):
        n = len(rec.pixel_coords)
        if points is None or points >= n:
            idx = list(range(n))
        else:
            idx = sorted(int(i) for i in rng.choice(n, size=points, replace=False))
        view = builder.view(r)
        marked = view.remap([rec.pixel_coords[i] for i in idx]).tolist()
        groups, lost = plan_queries(marked, view.image.size, spec.marker, k, window=spec.window)
        skipped += len(lost)
        for group in groups:
            probe = Probe((r,), tuple(idx[j] for j in group), (("K", float(len(group))),))
            built = task.build([view], records, probe, spec.prompt, spec.marker, with_target=False)
            if built is None:  # plan_queries only groups points that lay out together
                raise AssertionError(f"probe {probe.key} does not lay out")
            questions.append(built)
            asked.append(r)
    return questions, asked, skipped


def evaluate_many(
    model: DepthLM,
    data: str | Path | Sequence[Record],
    *,
    k: int = K_RANGE[1],
    points: int | None = None,
    seed: int = 42,
    image_root: str | Path | None = None,
) -> dict[str, Any]:
    """Score ``multi_point`` per point on a dataset (a JSONL path or records).

    Per image, every labelled point (``points=None``) or ``points`` drawn with ``seed`` (as
    ``depthlm eval`` draws them) are split into questions of at most ``k`` (the layout rule),
    asked, and each answer is scored against its own point's distance. Returns the metrics of
    :func:`depthlm.evaluation.metrics.depth_metrics` over all asked points (an unanswered
    item counts as unparsed), plus ``skipped`` (points that cannot be marked), ``queries``
    and ``rows`` (one per asked point: ``image``, ``pixel``, ``gt``, ``pred``, ``query``).
    """
    from depthlm.evaluation.metrics import depth_metrics

    records = read_records(data, image_root=image_root) if isinstance(data, str | Path) else data
    spec = replace(model.spec, task="multi_point")
    task = MultiPoint()
    questions, asked, skipped = multi_questions(
        InputBuilder(records, spec, image_root), k, points=points, seed=seed
    )
    texts = _ask_all(model, questions, spec)
    rows = []
    for q, (built, text) in enumerate(zip(questions, texts, strict=True)):
        rec = records[asked[q]]
        truth, preds = task.score(built, text)
        for i, gt, pred in zip(built.indices, truth, preds, strict=True):
            rows.append(
                {
                    "image": rec.image,
                    "pixel": list(rec.pixel_coords[i]),
                    "gt": gt,
                    "pred": pred,
                    "query": q,
                }
            )
    metrics = depth_metrics([r["pred"] for r in rows], [r["gt"] for r in rows])
    return {**metrics, "skipped": skipped, "queries": len(questions), "rows": rows}
