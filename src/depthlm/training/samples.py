"""Training samples drawn on the fly, in TRL's vision-language prompt-completion format.

Sample ``i`` is a pure function of ``(seed, i)``: which dataset (by weight), which task (by
weight), which record and labelled point, which crop. So a map-style dataset of indices is
enough: the Trainer's sampler shuffles and shards it, resuming skips indices without rendering
them, and two runs with one seed see the same samples. One labelled point per sample, as the
paper (the reference draws a fresh point every time an image comes round).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.data.records import Record, read_records
from depthlm.data.transforms import CropRange, aspect_jitter, center_crop, sample_center_crop
from depthlm.prompting.query import QuerySpec, View, record_view
from depthlm.tasks import get_task
from depthlm.tasks.base import Probe, Task, TaskInput


@dataclass(frozen=True)
class DataSource:
    """One training JSONL with its integer sampling weight (``A.jsonl:3``)."""

    path: Path
    weight: float = 1.0
    images: Path | None = None

    @classmethod
    def parse(cls, text: str) -> DataSource:
        """``path[:weight]``; a weight must be a positive number."""
        path, sep, weight = text.rpartition(":")
        if sep and path and _is_number(weight):
            w = float(weight)
            if w <= 0:
                raise ValueError(f"--data {text}: weight must be positive")
            return cls(Path(path), w)
        return cls(Path(text))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Augment:
    """Training-time view augmentation (after focal normalisation)."""

    crop: CropRange | None = None
    aspect: tuple[float, float] | None = None  # width/height drawn from this range


@dataclass
class SampleBuilder:
    """Draws sample ``i`` of the training stream."""

    sources: Sequence[DataSource]
    spec: QuerySpec
    tasks: dict[str, float] = field(default_factory=lambda: {"distance": 1.0})
    augment: Augment = field(default_factory=Augment)
    seed: int = 0
    system: bool = True  # False for families trained without a system turn (Pixtral)
    # Prepared (focal-normalised) views kept in memory per process. At 1000 px a view is ~2 MB,
    # so the default is small; a small-focal CPU run can hold its whole training set.
    cache_size: int = 256

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("no training data: give at least one --data FILE")
        self._records: list[list[Record]] = [
            read_records(s.path, image_root=s.images) for s in self.sources
        ]
        for s, recs in zip(self.sources, self._records, strict=True):
            if not recs:
                raise ValueError(f"{s.path}: no records")
        self._tasks = [get_task(name) for name in self.tasks]
        self._source_p = _normalise([s.weight for s in self.sources])
        self._task_p = _normalise(list(self.tasks.values()))
        self._cache: OrderedDict[int, View] = OrderedDict()

    def record(self, source: int, index: int) -> Record:
        """Record ``index`` of source ``source`` (as :meth:`draw` reports them)."""
        return self._records[source][index]

    def task_of(self, built: TaskInput) -> Task:
        """The task object that built ``built``."""
        return next(t for t in self._tasks if t.name == built.task)

    def draw(self, index: int) -> tuple[TaskInput, Probe, int]:
        """The built question of sample ``index`` (with its target), its probe and source."""
        rng = np.random.default_rng([self.seed, index])
        for _ in range(100):  # re-draw when a marker lands outside the crop
            k = int(rng.choice(len(self.sources), p=self._source_p))
            task = self._tasks[int(rng.choice(len(self._tasks), p=self._task_p))]
            records = self._records[k]
            probe = task.sample(records, rng)
            aug = random.Random(int(rng.integers(2**63)))
            views = [self._view(records[r], aug) for r in probe.records]
            preset = self.spec.prompt
            built = task.build(views, records, probe, preset, self.spec.marker)
            if built is not None:
                return built, probe, k
        raise ValueError(f"could not draw a sample whose markers fit after 100 tries ({index})")

    def _view(self, record: Record, rng: random.Random) -> View:
        view = self._cache.get(id(record))
        if view is None:
            view = record_view(record, self.spec)
            self._cache[id(record)] = view
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        image, camera = view.image, view.camera
        if self.augment.aspect is not None:
            image, camera = aspect_jitter(image, camera, self.augment.aspect, rng)
        if self.augment.crop is not None:
            image, camera = center_crop(
                image, camera, sample_center_crop(camera, self.augment.crop, rng)
            )
        return View(image=image, camera=camera, source=view.source, spec=view.spec)

    def __call__(self, index: int) -> dict[str, Any]:
        """Sample ``index`` in TRL's conversational prompt-completion format."""
        built, _, _ = self.draw(index)
        return to_trl(built, system=self.system)


def to_trl(built: TaskInput, *, system: bool = True) -> dict[str, Any]:
    """``{"images", "prompt", "completion"}`` as TRL's vision collators expect: the user turn
    holds the images then the text; the loss covers the completion only."""
    prompt: list[dict[str, Any]] = []
    if system and built.system is not None:
        prompt.append({"role": "system", "content": [{"type": "text", "text": built.system}]})
    content = [{"type": "image"} for _ in built.images]
    content.append({"type": "text", "text": built.text})
    prompt.append({"role": "user", "content": content})
    completion = [{"role": "assistant", "content": [{"type": "text", "text": built.target}]}]
    return {"images": built.images, "prompt": prompt, "completion": completion}


def _normalise(weights: Sequence[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if (w <= 0).any() or not np.isfinite(w).all():
        raise ValueError(f"sampling weights must be positive, got {list(weights)}")
    return w / w.sum()
