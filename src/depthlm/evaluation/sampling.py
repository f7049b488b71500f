"""The ``--points`` option: ``all`` labelled points, or N per image.

Which questions follow from it is each task's :meth:`~depthlm.tasks.base.Task.probes`,
deterministic given the seed, so a resumed run asks exactly what the first run had not.
"""

from __future__ import annotations


def parse_points(value: str | int) -> int | None:
    """``"all"`` → ``None`` (every labelled point); ``"N"`` → N (> 0)."""
    if isinstance(value, int):
        n = value
    elif str(value).strip().lower() == "all":
        return None
    else:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(
                f"--points must be 'all' or a positive integer, got {value!r}"
            ) from None
    if n <= 0:
        raise ValueError(f"--points must be 'all' or a positive integer, got {n}")
    return n
