"""Many points per query: K numbered markers in one image, K distances in one answer.

One question per point costs a full image prefill per point; asking about K points at once
shares it, which is what makes dense depth from a VLM affordable. The question marks the
points with markers labelled ``1..K`` and the answer lists the Euclidean distances in label
order, ``"1: 3.20, 2: 5.10, ..."`` (numbers as the preset writes them). Labelled items rather
than a bare list because a model that skips or repeats one item then loses that item only,
not every item after it, and the label it writes is the label it reads in the image.

Which points share a question follows the layout rule of
:func:`~depthlm.prompting.markers.layout_markers` in model-input pixels: markers and labels
keep :data:`MIN_GAP` pixels apart, each label sits nearer its own marker than any other, labels
stay inside the image, and no point is ever moved. Training picks up to
K points greedily among a record's labelled points in a random order (K uniform in
:data:`K_RANGE`); inference splits the caller's points into questions of at most K
(:func:`plan_queries`) and reports the points that cannot be marked at all.

Labels: :class:`~depthlm.tasks.base.TaskInput` keeps one number per question in ``label``;
this task stores the K distances in ``labels`` (marker order), their record indices in
``indices``, and sets ``label`` to their mean. ``depthlm eval`` scores one number per question,
which would blur K answers into one, so it refuses this task: score it per point with
:func:`depthlm.inference.multipoint.evaluate_many`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from depthlm.data.records import Record
from depthlm.data.transforms import window_around
from depthlm.geometry.camera import Camera
from depthlm.prompting.markers import draw_markers, get_marker, layout_markers
from depthlm.prompting.parsing import parse_answers
from depthlm.prompting.presets import PromptPreset
from depthlm.prompting.query import View
from depthlm.tasks.base import Probe, Task, TaskInput, draw_record
from depthlm.tasks.labels import point_label

#: K drawn per training sample, uniform, both ends included.
K_RANGE = (2, 16)
#: Pixels kept free between one point's marker or label and another's.
MIN_GAP = 2
#: A training question needs at least this many points (fewer: the sample is drawn again).
MIN_POINTS = 2
#: Labels a reply may use; more than any question asks.
MAX_LABEL = 999


def format_answers(values: Sequence[float], preset: PromptPreset) -> str:
    """The answer list in label order, numbers as ``preset`` writes them: ``1: 3.20, 2: 5.10``."""
    return ", ".join(f"{i}: {preset.number(float(v))}" for i, v in enumerate(values, 1))


def _template(table: dict[str, str], preset: PromptPreset, kind: str) -> str:
    if MultiPoint.name not in table:
        raise ValueError(f"preset '{preset.name}' has no {kind} for task 'multi_point'")
    return table[MultiPoint.name]


def target_text(
    preset: PromptPreset, values: Sequence[float], fields: dict[str, str] | None = None
) -> str:
    """The training target for ``values`` (metres, label order): the preset's template with
    ``{answer}`` standing for the whole list (:func:`format_answers`)."""
    template = _template(preset.targets, preset, "target")
    return template.format(**{**(fields or {}), "answer": format_answers(values, preset)})


def plan_queries(
    pixels: Sequence[Sequence[int]],
    image_size: tuple[int, int],
    marker: str = "arrow",
    k: int = K_RANGE[1],
    min_gap: int = MIN_GAP,
    window: tuple[int, int] | None = None,
) -> tuple[list[list[int]], list[int]]:
    """Split model-input ``pixels`` into questions of at most ``k`` points that each satisfy
    the layout rule: ``(groups, skipped)``, indices into ``pixels``.

    Greedy in the given order: each question takes the first points that fit beside the ones
    already taken; a point that clashes waits for a later question. Points that cannot be
    marked even alone (too near the border for the marker or its label ``"1"``) are
    ``skipped``, never moved. Deterministic, so the same points give the same questions.

    ``window`` (a contract's ``QuerySpec.window``): each question must also fit one inference
    window, and lay out inside the crop :func:`~depthlm.data.transforms.window_around` gives
    it — exactly what :meth:`Task.ask` will cut, so every planned question can be asked.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1 point per question, got {k}")
    if window is not None:
        return _plan_windowed(pixels, image_size, marker, k, min_gap, window)
    skipped = [
        i
        for i, xy in enumerate(pixels)
        if not layout_markers([xy], image_size, marker, min_gap).kept
    ]
    gone = set(skipped)
    remaining = [i for i in range(len(pixels)) if i not in gone]
    groups: list[list[int]] = []
    while remaining:
        layout = layout_markers(
            [pixels[i] for i in remaining], image_size, marker, min_gap, limit=k
        )
        # Never empty: the first remaining point fits alone with label "1" (checked above).
        kept = [remaining[j] for j in layout.kept]
        groups.append(kept)
        taken = set(kept)
        remaining = [i for i in remaining if i not in taken]
    return groups, skipped


def _window_rule(
    pixels: Sequence[Sequence[int]],
    image_size: tuple[int, int],
    marker: str,
    min_gap: int,
    window: tuple[int, int],
) -> Callable[[list[int]], bool]:
    """Whether points ``group`` (indices into ``pixels``) share one inference window and lay
    out inside the crop :func:`~depthlm.data.transforms.window_around` gives them — the crop
    :meth:`Task.ask` will cut."""
    frame = Camera(1.0, 1.0, 0.0, 0.0, int(image_size[0]), int(image_size[1]))
    margin = get_marker(marker).margin

    def fits(group: list[int]) -> bool:
        box = window_around(frame, [pixels[i] for i in group], window, margin)
        if box is None:
            return False
        left, top, w, h = box
        shifted = [(pixels[i][0] - left, pixels[i][1] - top) for i in group]
        return len(layout_markers(shifted, (w, h), marker, min_gap).kept) == len(group)

    return fits


def _greedy(candidates: Sequence[int], fits: Callable[[list[int]], bool], k: int) -> list[int]:
    """The first candidates, in order, that fit beside the ones already taken (at most k)."""
    group: list[int] = []
    for i in candidates:
        if len(group) == k:
            break
        if fits([*group, i]):
            group.append(i)
    return group


def _plan_windowed(
    pixels: Sequence[Sequence[int]],
    image_size: tuple[int, int],
    marker: str,
    k: int,
    min_gap: int,
    window: tuple[int, int],
) -> tuple[list[list[int]], list[int]]:
    """:func:`plan_queries` when questions are asked through a window (same greedy order)."""
    fits = _window_rule(pixels, image_size, marker, min_gap, window)
    skipped = [i for i in range(len(pixels)) if not fits([i])]
    gone = set(skipped)
    remaining = [i for i in range(len(pixels)) if i not in gone]
    groups: list[list[int]] = []
    while remaining:
        group = _greedy(remaining, fits, k)  # never empty: each remaining point fits alone
        groups.append(group)
        taken = set(group)
        remaining = [i for i in remaining if i not in taken]
    return groups, skipped


class MultiPoint(Task):
    """ "How far are the points marked 1 to K from the camera?" — K distances in one answer."""

    name = "multi_point"
    n_points = K_RANGE[1]  # at most; the number varies per question
    k_range = K_RANGE
    min_gap = MIN_GAP

    # ------------------------------------------------------------------ what to ask
    def probes(self, records, points, rng):
        raise ValueError(
            "the multi_point task answers K distances per question and `depthlm eval` scores one "
            "number per question; score it per point with "
            "depthlm.inference.multipoint.evaluate_many(model, data, k=...) instead"
        )

    def sample(self, records: Sequence[Record], rng: np.random.Generator) -> Probe:
        """A record with at least two labelled points, all of them in a random order (the
        candidates :meth:`build` lays out), and K."""
        r = draw_record(records, rng, MIN_POINTS, self.name)
        k = int(rng.integers(self.k_range[0], self.k_range[1] + 1))
        order = rng.permutation(len(records[r].pixel_coords))
        return Probe((r,), tuple(int(i) for i in order), (("K", float(k)),))

    # ------------------------------------------------------------------ labels
    def values(self, record: Record, indices: Sequence[int]) -> list[float]:
        """Euclidean distances (metres) of the record's points ``indices``."""
        return [point_label(record, int(i), "distance") for i in indices]

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        """The mean distance of the first K candidate points (the scalar stand-in; the points
        actually asked, and their own labels, are known once laid out: :meth:`build`)."""
        k = int(probe.kwargs.get("K", len(probe.points)))
        return float(np.mean(self.values(records[probe.records[0]], probe.points[:k])))

    # ------------------------------------------------------------------ model input
    def question(
        self,
        preset: PromptPreset,
        marker: str,
        params: dict[str, float],
        pixels: Sequence[Sequence[int]] = (),
    ) -> str:
        """The preset's question, its ``{markers}`` phrase saying how the points are numbered:
        "pointed by the red arrows, labelled 1 to 8". The count rides in that phrase, not in a
        field of its own, so the templates use only the fields every preset text is written
        with (``{K}`` is available too, for presets of one's own)."""
        k = int(params.get("K", len(pixels)))
        style = get_marker(marker)
        markers = f"{style.describe(pixels, plural=True)}, labelled 1 to {k}"
        fields = {name: f"{v:g}" for name, v in {**params, "K": float(k)}.items()}
        template = _template(preset.questions, preset, "question")
        return template.format(marker=markers, markers=markers, **fields)

    def ask(
        self,
        views: Sequence[View],
        pixels: Sequence[Sequence[int]],
        params: dict[str, float],
        preset: PromptPreset,
        marker: str,
    ) -> TaskInput | None:
        """The question about all of ``pixels`` (source coordinates), labelled ``1..K`` in the
        given order; ``None`` when they break the layout rule together (nothing is dropped or
        moved here: :func:`plan_queries` decides which points share a question)."""
        if not pixels:
            raise ValueError("a multi_point question needs at least one point")
        return super().ask(views, pixels, {**params, "K": float(len(pixels))}, preset, marker)

    def can_mark(
        self, marked: Sequence[tuple[int, int]], size: tuple[int, int], marker: str
    ) -> bool:
        """The layout rule, for every point together."""
        return len(layout_markers(marked, size, marker, self.min_gap).kept) == len(marked)

    def mark(
        self, image: Image.Image, marked: Sequence[tuple[int, int]], marker: str
    ) -> Image.Image:
        """Markers numbered ``1..K`` in order (no numbers for a style drawn in the text)."""
        labels = None if get_marker(marker).in_text else [str(i + 1) for i in range(len(marked))]
        return draw_markers(image, marked, marker, labels=labels)

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
        """Lay out the probe's candidate points in order, keep up to K, and ask about those;
        ``None`` when fewer than ``min(K, 2)`` can be marked (training then draws again)."""
        rec = records[probe.records[0]]
        view = views[0]
        k = int(probe.kwargs.get("K", len(probe.points)))
        marked = view.remap([rec.pixel_coords[p] for p in probe.points]).tolist()
        window, size = view.spec.window, view.image.size
        if window is None or (size[0] <= window[0] and size[1] <= window[1]):
            kept = layout_markers(marked, size, marker, self.min_gap, limit=k).kept
        else:  # lay out in the window the question will be cut to, as plan_queries does
            fits = _window_rule(marked, size, marker, self.min_gap, window)
            kept = _greedy(range(len(marked)), fits, k)
        if len(kept) < min(k, MIN_POINTS):
            return None
        indices = [probe.points[j] for j in kept]
        params = {**probe.kwargs, "K": float(len(indices))}
        built = self.ask(views, [rec.pixel_coords[i] for i in indices], params, preset, marker)
        if built is None:  # cannot happen: the kept points lay out where ask marks them
            return None
        built.labels = self.values(rec, indices)
        built.indices = list(indices)
        built.label = float(np.mean(built.labels))
        if with_target:
            fields = {name: f"{v:g}" for name, v in params.items()}
            built.target = target_text(preset, built.labels, fields)
        return built

    # ------------------------------------------------------------------ answers
    def parse_all(self, text: str | None, k: int) -> list[float | None]:
        """The ``k`` answers in label order (``None`` where missing): what scoring uses."""
        return parse_answers(text, k, unit=self.unit)

    def parse(self, text: str | None) -> float | None:
        """The mean of the answers the reply gives: the scalar counterpart of ``label``, for
        code that handles one number per question. Score per point with :meth:`parse_all`."""
        found = [v for v in parse_answers(text, MAX_LABEL, unit=self.unit) if v is not None]
        return float(np.mean(found)) if found else None

    def score(self, built: TaskInput, text: str | None) -> tuple[list[float], list[float | None]]:
        """Per-point ``(truth, answers)`` of one built question, in marker order."""
        return list(built.labels), self.parse_all(text, len(built.labels))
