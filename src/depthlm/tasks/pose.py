"""Metric camera pose: how far the camera moved between two views of one sequence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from depthlm.data.records import Record
from depthlm.tasks.base import Probe, Task


def camera_centre(record: Record) -> np.ndarray:
    """World position of the camera (metres) from ``camera_to_world``."""
    if record.camera_to_world is None:
        raise ValueError(f"{record.image}: the pose task needs 'camera_to_world'")
    return np.asarray(record.camera_to_world, dtype=np.float64)[:3, 3]


def sequence_pairs(records: Sequence[Record]) -> list[tuple[int, int]]:
    """Consecutive frames of each ``sequence`` (file order breaks ties)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(records):
        if rec.sequence is not None and rec.camera_to_world is not None:
            groups[rec.sequence].append(i)
    pairs = []
    for idx in groups.values():
        idx.sort(key=lambda i: (records[i].frame if records[i].frame is not None else 0, i))
        pairs += list(pairwise(idx))
    if not pairs:
        raise ValueError(
            "the pose task needs records with 'sequence' and 'camera_to_world' and "
            "at least two views per sequence"
        )
    return sorted(pairs)


class Pose(Task):
    """ "How many meters has the camera moved between these 2 images?" — no marker."""

    name = "pose"
    n_points = 0
    n_views = 2

    def probes(self, records, points, rng):
        return [Probe(pair) for pair in sequence_pairs(records)]

    def sample(self, records, rng):
        pairs = sequence_pairs(records)
        a, b = pairs[int(rng.integers(len(pairs)))]
        return Probe((a, b) if rng.random() < 0.5 else (b, a))

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        a, b = (camera_centre(records[r]) for r in probe.records)
        return float(np.linalg.norm(b - a))

    def _mark(self, views, records, probe, marker):
        return [v.image for v in views], []
