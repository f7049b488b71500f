"""Single-point tasks: distance, principal-axis distance, and the speed/time questions that
reason through the distance (the paper answers them as "D meters away. Hence D / T = S")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from depthlm.data.records import Record
from depthlm.tasks.base import Probe, Task
from depthlm.tasks.labels import point_label

SPEED_SECONDS = (1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 10.0)
TIME_SPEEDS = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


def _distance(records: Sequence[Record], probe: Probe) -> float:
    return point_label(records[probe.records[0]], probe.points[0], "distance")


class Distance(Task):
    """Euclidean distance from the camera centre to the marked point (the DepthLM question)."""

    name = "distance"

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        return _distance(records, probe)


class PrincipalAxis(Task):
    """Distance along the optical axis (z-depth) of the marked point."""

    name = "principal_axis"

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        return point_label(records[probe.records[0]], probe.points[0], "principal_axis")


class Speed(Task):
    """Metres per second needed to reach the point in exactly ``T`` seconds: D / T."""

    name = "speed"
    unit = "m/s"

    def params(self, rng: np.random.Generator) -> dict[str, float]:
        return {"T": float(rng.choice(SPEED_SECONDS))}

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        return _distance(records, probe) / probe.kwargs["T"]

    def target_fields(self, records: Sequence[Record], probe: Probe) -> dict[str, Any]:
        return {"distance": _distance(records, probe)}


class Time(Task):
    """Seconds needed to reach the point moving towards it at ``V`` m/s: D / V."""

    name = "time"
    unit = "s"

    def params(self, rng: np.random.Generator) -> dict[str, float]:
        return {"V": float(rng.choice(TIME_SPEEDS))}

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        return _distance(records, probe) / probe.kwargs["V"]

    def target_fields(self, records: Sequence[Record], probe: Probe) -> dict[str, Any]:
        return {"distance": _distance(records, probe)}
