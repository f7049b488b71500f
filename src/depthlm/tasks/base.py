"""A task is one small object: which labels a question needs, how to ask, what to answer.

Evaluation, SFT targets and GRPO rewards all go through the same object, so a question is
built, labelled and parsed one way everywhere. A question about a dataset is a :class:`Probe`
(which records, which labelled points, which task parameters); turning it into model input is
:meth:`Task.build`, given the prepared (focal-normalised) views of its records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from depthlm.data.records import Record
from depthlm.data.transforms import center_crop, window_around
from depthlm.prompting.markers import draw_markers, fits, get_marker
from depthlm.prompting.parsing import parse_answer
from depthlm.prompting.presets import PromptPreset
from depthlm.prompting.query import ChatQuery, View


def draw_record(
    records: Sequence[Record], rng: np.random.Generator, min_points: int, task: str
) -> int:
    """A uniformly random record with at least ``min_points`` labelled pixels.

    Real and rendered datasets both hold views with no usable label (a camera facing a wall
    closer than the depth range, a frame whose LiDAR missed). Rejection keeps the draw cheap on
    a large dataset and, when the first record qualifies, consumes the random stream exactly
    as a plain draw, so training streams of datasets without such records do not change; a
    dataset with none that qualifies gets a clear error instead of a hang.
    """
    for _ in range(64):
        r = int(rng.integers(len(records)))
        if len(records[r].pixel_coords) >= min_points:
            return r
    eligible = [r for r, rec in enumerate(records) if len(rec.pixel_coords) >= min_points]
    if not eligible:
        raise ValueError(
            f"{task}: no record has {min_points} or more labelled pixels (pixel_coords)"
        )
    return eligible[int(rng.integers(len(eligible)))]


@dataclass(frozen=True)
class Probe:
    """One question about a dataset: record indices, point indices (per record order), params.

    ``key`` identifies it in prediction files, e.g. ``"12:7"`` (record 12, point 7),
    ``"12:7,33"`` (two points of record 12) or ``"12,13"`` (two views).
    """

    records: tuple[int, ...]
    points: tuple[int, ...] = ()
    params: tuple[tuple[str, float], ...] = ()

    @property
    def key(self) -> str:
        rec = ",".join(map(str, self.records))
        return f"{rec}:{','.join(map(str, self.points))}" if self.points else rec

    @property
    def kwargs(self) -> dict[str, float]:
        return dict(self.params)


@dataclass
class TaskInput:
    """A built question: the exact images, the marked pixels (model coordinates), the text."""

    images: list[Image.Image]
    pixels: list[tuple[int, int]]
    text: str
    system: str | None
    label: float
    target: str | None = None
    task: str = ""
    cameras: list[list[float]] = field(default_factory=list)  # per image [fx, fy, cx, cy, w, h]
    # Multi-answer tasks (``multi_point``) answer one value per marker: ``labels`` holds them in
    # marker order and ``indices`` the record points they belong to; ``label`` is then their
    # mean, so code that wants one number per question (GRPO's label column) still gets one.
    # Both stay empty for single-answer tasks.
    labels: list[float] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)

    def chat(self) -> ChatQuery:
        """The backend query; ``meta`` tells a sampling backend how to parse the replies it
        compares (``depthlm.inference.consensus``)."""
        meta = {"task": self.task, "answers": max(1, len(self.labels))} if self.task else {}
        return ChatQuery(images=self.images, text=self.text, system=self.system, meta=meta)

    @property
    def image(self) -> Image.Image:
        return self.images[0]


class Task:
    """Base class. Subclasses set the class attributes and implement :meth:`label`."""

    name: str = ""
    unit: str = "m"  # what answers are parsed into ("m", "s", "m/s")
    n_points: int = 1  # labelled points marked per question
    n_views: int = 1  # images per question

    # ------------------------------------------------------------------ what to ask
    def params(self, rng: np.random.Generator) -> dict[str, float]:
        """Task parameters drawn per question (e.g. the time budget of ``speed``)."""
        return {}

    def probes(
        self,
        records: Sequence[Record],
        points: int | None,
        rng: np.random.Generator,
    ) -> list[Probe]:
        """Evaluation questions, deterministic given ``rng``: every labelled point
        (``points=None``) or ``points`` per image, in file order, image-major."""
        out = []
        for r, rec in enumerate(records):
            n = len(rec.pixel_coords)
            if points is None or points >= n:
                idx = range(n)
            else:
                idx = sorted(int(i) for i in rng.choice(n, size=points, replace=False))
            out += [Probe((r,), (int(i),), tuple(self.params(rng).items())) for i in idx]
        return out

    def sample(self, records: Sequence[Record], rng: np.random.Generator) -> Probe:
        """One random training question (one labelled point per sample, as the paper)."""
        r = draw_record(records, rng, 1, self.name)
        p = int(rng.integers(len(records[r].pixel_coords)))
        return Probe((r,), (p,), tuple(self.params(rng).items()))

    # ------------------------------------------------------------------ labels
    def label(self, records: Sequence[Record], probe: Probe) -> float:
        raise NotImplementedError

    def built_label(self, built: TaskInput, records: Sequence[Record], probe: Probe) -> float:
        """The label of a built question: :meth:`label`, unless the question's own view
        changes the answer (the field of view of a cropped view)."""
        return self.label(records, probe)

    def target_fields(self, records: Sequence[Record], probe: Probe) -> dict[str, Any]:
        """Extra values the answer template shows (e.g. the distance before dividing)."""
        return {}

    # ------------------------------------------------------------------ model input
    def question(
        self,
        preset: PromptPreset,
        marker: str,
        params: dict[str, float],
        pixels: Sequence[Sequence[int]] = (),
    ) -> str:
        fields = {k: f"{v:g}" for k, v in params.items()}
        return preset.question(self.name, marker, pixels, **fields)

    def can_mark(
        self, marked: Sequence[tuple[int, int]], size: tuple[int, int], marker: str
    ) -> bool:
        """Whether ``marked`` (model-input pixels) can be drawn in an image of ``size``."""
        return all(fits(marker, px, size) for px in marked)

    def mark(
        self, image: Image.Image, marked: Sequence[tuple[int, int]], marker: str
    ) -> Image.Image:
        """``image`` with the markers drawn."""
        return draw_markers(image, marked, marker)

    def ask(
        self,
        views: Sequence[View],
        pixels: Sequence[Sequence[int]],
        params: dict[str, float],
        preset: PromptPreset,
        marker: str,
    ) -> TaskInput | None:
        """A label-free question about source ``pixels`` (coordinates of the views' original
        images, marked in the first view): what inference sends. ``None`` when the markers
        cannot be drawn (:meth:`can_mark`) or do not share one inference window."""
        images = [v.image for v in views]
        cameras = [v.camera for v in views]
        marked: list[tuple[int, int]] = []
        if pixels:
            view = views[0]
            marked = [(int(x), int(y)) for x, y in view.remap(pixels)]
            window = view.spec.window
            if window is not None:
                cut = window_around(view.camera, marked, window, get_marker(marker).margin)
                if cut is None:
                    return None
                if cut != (0, 0, view.camera.width, view.camera.height):
                    images[0], cameras[0] = center_crop(view.image, view.camera, cut)
                    marked = [(x - cut[0], y - cut[1]) for x, y in marked]
            if not self.can_mark(marked, images[0].size, marker):
                return None
            images[0] = self.mark(images[0], marked, marker)
        return TaskInput(
            images=images,
            pixels=marked,
            text=self.question(preset, marker, params, marked),
            system=preset.system,
            label=float("nan"),
            task=self.name,
            cameras=[c.to_list() for c in cameras],
        )

    def build(
        self,
        views: Sequence[View],
        records: Sequence[Record],
        probe: Probe,
        preset: PromptPreset,
        marker: str,
        *,
        with_target: bool = True,
    ) -> TaskInput | None:
        """The labelled question of ``probe`` (``None`` when a marker does not fit: the caller
        records a skip), with its training target unless ``with_target=False``."""
        rec = records[probe.records[0]]
        pixels = [rec.pixel_coords[p] for p in probe.points]
        built = self.ask(views, pixels, probe.kwargs, preset, marker)
        if built is None:
            return None
        built.label = self.built_label(built, records, probe)
        if with_target:
            fields = {k: f"{v:g}" for k, v in probe.params}
            fields.update(self.target_fields(records, probe))
            built.target = preset.target(built.label, self.name, **fields)
        return built

    def parse(self, text: str | None) -> float | None:
        """The model's answer in this task's unit, or ``None``."""
        return parse_answer(text, unit=self.unit)
