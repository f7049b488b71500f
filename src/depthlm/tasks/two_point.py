"""Two-point distance: the metric 3D distance between two marked pixels of one image."""

from __future__ import annotations

from collections.abc import Sequence

from depthlm.data.records import Record
from depthlm.tasks import geometry
from depthlm.tasks.base import Probe, Task, draw_record


def _depths(record: Record) -> tuple[list[float], str]:
    """The record's depths and their kind: ``z_depth`` when present, else ``depth`` as its
    ``depth_type`` says; a record that does not say is taken as Euclidean, the DepthLM
    question's kind."""
    if record.z_depth is not None:
        return record.z_depth, "z"
    return record.depth, record.depth_type or "euclidean"


class TwoPoint(Task):
    """ "How far are these 2 points from each other?" — two markers in one image."""

    name = "two_point"
    n_points = 2

    def probes(self, records, points, rng):
        out = []
        for r, rec in enumerate(records):
            n = len(rec.pixel_coords)
            if n < 2:
                continue
            if points is None:  # every point once, paired with the next one
                pairs = [(i, i + 1) for i in range(0, n - 1, 2)]
            else:
                pairs = [
                    tuple(int(v) for v in rng.choice(n, 2, replace=False)) for _ in range(points)
                ]
            out += [Probe((r,), pair) for pair in pairs]
        return out

    def sample(self, records, rng):
        r = draw_record(records, rng, 2, self.name)
        n = len(records[r].pixel_coords)
        return Probe((r,), tuple(int(v) for v in rng.choice(n, 2, replace=False)))

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        rec = records[probe.records[0]]
        depths, kind = _depths(rec)
        a, b = probe.points
        return float(
            geometry.two_point(
                rec.pixel_coords[a], depths[a], rec.pixel_coords[b], depths[b], rec.intrinsics, kind
            )
        )
