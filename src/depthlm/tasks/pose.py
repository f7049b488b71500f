"""Metric camera pose: how far the camera moved between two views of one sequence.

Pairs whose camera did not move (the synthetic world also zooms in place, to show the same
scene at two focal lengths) are not asked: a zero label has no ratio to score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from depthlm.data.records import Record
from depthlm.tasks import geometry
from depthlm.tasks.base import Probe, Task

MIN_MOTION_M = 0.01  # pairs that did not move (a zoom-only pair) have no ratio to score


def _motion(records: Sequence[Record], a: int, b: int) -> float:
    return float(geometry.camera_motion(records[a].camera_to_world, records[b].camera_to_world))


def sequence_pairs(records: Sequence[Record]) -> list[tuple[int, int]]:
    """Consecutive frames of each ``sequence`` (file order breaks ties)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(records):
        if rec.sequence is not None and rec.camera_to_world is not None:
            groups[rec.sequence].append(i)
    pairs = []
    for idx in groups.values():
        idx.sort(key=lambda i: (records[i].frame if records[i].frame is not None else 0, i))
        pairs += [(a, b) for a, b in pairwise(idx) if _motion(records, a, b) >= MIN_MOTION_M]
    if not pairs:
        raise ValueError(
            "the pose task needs records with 'sequence' and 'camera_to_world' and "
            "at least two views per sequence whose camera moved"
        )
    return sorted(pairs)


class Pose(Task):
    """ "How many meters has the camera moved between these 2 images?" — no marker."""

    name = "pose"
    n_points = 0
    n_views = 2

    def __init__(self) -> None:
        self._pairs: dict[int, tuple[Sequence[Record], list[tuple[int, int]]]] = {}

    def _pairs_of(self, records: Sequence[Record]) -> list[tuple[int, int]]:
        """``sequence_pairs`` memoised per record list: training draws one pair per sample from
        the same few lists, and pairing 6,000 views each time cost 95% of sample building."""
        cached = self._pairs.get(id(records))
        if cached is None or cached[0] is not records:  # the list itself is kept, so ids hold
            cached = self._pairs[id(records)] = (records, sequence_pairs(records))
        return cached[1]

    def probes(self, records, points, rng):
        return [Probe(pair) for pair in sequence_pairs(records)]

    def sample(self, records, rng):
        pairs = self._pairs_of(records)
        a, b = pairs[int(rng.integers(len(pairs)))]
        return Probe((a, b) if rng.random() < 0.5 else (b, a))

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        a, b = probe.records
        return _motion(records, a, b)
