"""Probes → model inputs, preparing each image once.

An image's focal-normalised view is reused by all of its questions (100 labelled points, or a
pose pair that shares a frame), so a small LRU of views turns "decode, rectify, resize" from a
per-question cost into a per-image one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from depthlm.data.records import Record
from depthlm.prompting.query import QuerySpec, View, record_view
from depthlm.tasks import get_task
from depthlm.tasks.base import Probe, TaskInput


class InputBuilder:
    """Builds :class:`TaskInput` objects for one dataset under one :class:`QuerySpec`."""

    def __init__(
        self,
        records: Sequence[Record],
        spec: QuerySpec,
        image_root: str | Path | None = None,
        cache_size: int = 4,
    ) -> None:
        self.records = records
        self.spec = spec
        self.task = get_task(spec.task)
        self.image_root = image_root
        self.cache_size = cache_size
        self._views: OrderedDict[int, View] = OrderedDict()

    def view(self, r: int) -> View:
        if r in self._views:
            self._views.move_to_end(r)
        else:
            self._views[r] = record_view(self.records[r], self.spec, self.image_root)
            while len(self._views) > self.cache_size:
                self._views.popitem(last=False)
        return self._views[r]

    def build(self, probe: Probe, *, with_target: bool = True) -> TaskInput | None:
        """The model input of ``probe``; ``None`` when a marker does not fit."""
        views = [self.view(r) for r in probe.records]
        return self.task.build(
            views, self.records, probe, self.spec.prompt, self.spec.marker, with_target=with_target
        )


def input_at(
    records: Sequence[Record],
    index: int,
    spec: QuerySpec,
    image_root: str | Path | None = None,
    seed: int = 42,
) -> tuple[TaskInput, Probe]:
    """The model input of the ``index``-th evaluation question of ``--points all`` (for
    single-point tasks: the index-th (image, point) pair, file order, image-major).

    Raises when the marker does not fit there: evaluation records such a pair as a skip.
    """
    task = get_task(spec.task)
    probes = task.probes(records, None, np.random.default_rng(seed))
    if not 0 <= index < len(probes):
        raise IndexError(f"index {index} out of range: the file has {len(probes)} questions")
    probe = probes[index]
    model_input = InputBuilder(records, spec, image_root).build(probe)
    if model_input is None:
        raise ValueError(
            f"question {index} (probe {probe.key}) lands within the marker's margin of the "
            f"border after preprocessing: the marker cannot be drawn and evaluation skips it"
        )
    return model_input, probe
