"""Tasks: what is asked about a dataset, how, and how the answer is scored.

``get_task(name)`` returns the task object shared by evaluation, SFT and GRPO.
"""

from __future__ import annotations

from depthlm.tasks.base import Probe, Task, TaskInput
from depthlm.tasks.point import Distance, PrincipalAxis, Speed, Time
from depthlm.tasks.pose import Pose
from depthlm.tasks.two_point import TwoPoint

TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (Distance, PrincipalAxis, Speed, Time, TwoPoint, Pose)
}


def get_task(name: str) -> Task:
    """The task called ``name`` (``distance``, ``principal_axis``, ``speed``, ``time``,
    ``two_point``, ``pose``)."""
    try:
        return TASKS[name]()
    except KeyError:
        raise ValueError(f"unknown task {name!r}; choose from {sorted(TASKS)}") from None


__all__ = ["TASKS", "Probe", "Task", "TaskInput", "get_task"]
