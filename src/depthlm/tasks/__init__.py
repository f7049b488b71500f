"""Tasks: what is asked about a dataset, how, and how the answer is scored.

``get_task(name)`` returns the task object shared by evaluation, SFT and GRPO. ``TASKS`` holds
the paper's six tasks (one scored number per question: what ``depthlm eval``, the accuracy
bench and the embedded model cover); ``EXTRA_TASKS`` depthlm's own: ``multi_point`` (many
points per question, scored per point) and ``fov`` (the horizontal field of view).
``ALL_TASKS`` is both.
"""

from __future__ import annotations

from depthlm.tasks.base import Probe, Task, TaskInput
from depthlm.tasks.fov import FieldOfView
from depthlm.tasks.multi_point import MultiPoint
from depthlm.tasks.point import Distance, PrincipalAxis, Speed, Time
from depthlm.tasks.pose import Pose
from depthlm.tasks.two_point import TwoPoint

TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (Distance, PrincipalAxis, Speed, Time, TwoPoint, Pose)
}
EXTRA_TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (MultiPoint, FieldOfView)}
ALL_TASKS: dict[str, type[Task]] = {**TASKS, **EXTRA_TASKS}


def get_task(name: str) -> Task:
    """The task called ``name`` (``distance``, ``principal_axis``, ``speed``, ``time``,
    ``two_point``, ``pose``, ``multi_point``, ``fov``)."""
    try:
        return ALL_TASKS[name]()
    except KeyError:
        raise ValueError(f"unknown task {name!r}; choose from {sorted(ALL_TASKS)}") from None


__all__ = ["ALL_TASKS", "EXTRA_TASKS", "TASKS", "Probe", "Task", "TaskInput", "get_task"]
