"""Asking one task about many pixels of many images, with questions pooled into few calls.

:class:`~depthlm.inference.depthlm.DepthLM` answers a point list and a depth map the same way:
every pixel becomes one question with its own marked image, and the questions of several
images share a generator call. Pooling matters because a folder of small jobs would otherwise
cost one call per image, while a call that holds every question of a folder would hold every
marked image at once; :func:`ask_images` bounds a call at ``per_call`` questions and hands
each image back as soon as its last question is answered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.geometry.camera import Camera
from depthlm.inference.base import Generator, generate_detailed
from depthlm.inference.images import ImageLike, as_image
from depthlm.prompting.query import QuerySpec, prepare_view
from depthlm.tasks import get_task
from depthlm.tasks.base import Task, TaskInput

#: ``camera_of(image, exif_source)``: the image's camera and where its focal came from.
CameraOf = Callable[[Image.Image, str | Path | Image.Image | None], tuple[Camera, str]]
#: ``points_for(index, camera, image)``: the ``(N, 2)`` pixels to ask about in that image.
PointsFor = Callable[[int, Camera, Image.Image], np.ndarray]


@dataclass
class Answered:
    """One image's questions and, once ``waiting`` is 0, their answers."""

    key: str | int
    image: Image.Image
    camera: Camera
    source: str
    points: np.ndarray
    metres: np.ndarray
    text: list[str | None]
    confidence: np.ndarray
    skipped: list[int] = field(default_factory=list)
    waiting: int = 0

    @classmethod
    def empty(
        cls, key: str | int, image: Image.Image, camera: Camera, source: str, points: np.ndarray
    ) -> Answered:
        n = len(points)
        return cls(
            key, image, camera, source, points, np.full(n, np.nan), [None] * n, np.full(n, np.nan)
        )

    def result(self) -> dict[str, Any]:
        """The public ``measure`` dict of this image."""
        return {
            "metres": self.metres,
            "text": self.text,
            "confidence": self.confidence,
            "points": self.points,
            "skipped": self.skipped,
            "intrinsics": self.camera.to_list(),
            "focal": self.camera.fx,
            "focal_source": self.source,
            "image": self.key,
        }


def check_inside(camera: Camera, pts: np.ndarray, key: str | int) -> None:
    """Refuse pixels outside the image, naming the image and the valid ranges."""
    outside = ~camera.contains(pts)
    if outside.any():
        name = f" {key}" if isinstance(key, str) else f" #{key}"
        raise ValueError(
            f"points outside the {camera.width}x{camera.height} image{name}: "
            f"{pts[outside].tolist()} (x must be in 0..{camera.width - 1}, "
            f"y in 0..{camera.height - 1})"
        )


def check_task(task: str, params: dict[str, float]) -> Task:
    """The single-point, single-view ``task``, with the parameters its questions need."""
    runner = get_task(task)
    if runner.n_points != 1 or runner.n_views != 1:
        raise ValueError(f"measure() asks single-point tasks, not {task!r}")
    missing = sorted(set(runner.params(np.random.default_rng(0))) - set(params))
    if missing:
        raise ValueError(
            f"task {task!r} needs {', '.join(f'{k}=' for k in missing)} "
            f"(e.g. T= seconds for speed, V= m/s for time)"
        )
    return runner


def ask_images(
    generator: Generator,
    spec: QuerySpec,
    items: Iterable[tuple[str | int, ImageLike]],
    points_for: PointsFor,
    camera_of: CameraOf,
    task: str,
    params: dict[str, float],
    per_call: int,
) -> Iterator[Answered]:
    """Ask ``task`` about ``points_for(i, camera, image)`` of every image, yielding each image's
    :class:`Answered`, in order, once all its questions are answered.

    Questions are pooled across images into calls of at most ``per_call``; bad input (camera,
    points) fails before that image's questions are built, and images already yielded are
    the caller's to keep.
    """
    runner = check_task(task, params)
    spec = replace(spec, task=task)
    pending: list[tuple[Answered, int, TaskInput]] = []
    jobs: deque[Answered] = deque()

    def flush() -> None:
        if not pending:
            return
        answers = generate_detailed(generator, [q.chat() for _, _, q in pending])
        for (job, i, _), a in zip(pending, answers, strict=True):
            value = runner.parse(a.text)
            job.metres[i] = np.nan if value is None else value
            job.text[i] = a.text
            job.confidence[i] = np.nan if a.confidence is None else a.confidence
            job.waiting -= 1
        pending.clear()

    for index, (key, source) in enumerate(items):
        pil = as_image(source)
        exif_source = source if isinstance(source, str | Path | Image.Image) else None
        camera, focal_source = camera_of(pil, exif_source)
        pts = np.asarray(points_for(index, camera, pil), dtype=np.int64).reshape(-1, 2)
        check_inside(camera, pts, key)
        view = prepare_view(pil, camera, spec)
        job = Answered.empty(key, pil, camera, focal_source, pts)
        jobs.append(job)
        for i, p in enumerate(pts.tolist()):
            q = runner.ask([view], [p], params, spec.prompt, spec.marker)
            if q is None:
                job.skipped.append(i)
                continue
            pending.append((job, i, q))
            job.waiting += 1
            if len(pending) >= per_call:
                flush()
        while jobs and jobs[0].waiting == 0:
            yield jobs.popleft()
    flush()
    yield from jobs
