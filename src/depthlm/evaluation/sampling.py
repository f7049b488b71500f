"""Which (image, point) pairs an evaluation asks about.

Deterministic by construction: pairs come in file order, image-major, and ``points=N`` draws N
points per image from one seeded generator, so two runs with the same seed ask the same
questions, and a resumed run asks exactly the pairs the first run had not answered yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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


def select_points(
    counts: Sequence[int], points: int | None, seed: int = 42, limit: int | None = None
) -> list[tuple[int, int]]:
    """``(record_index, point_index)`` pairs.

    ``counts[i]`` is the number of labelled points of record i; ``points=None`` takes them
    all, ``points=N`` draws ``min(N, counts[i])`` without replacement (kept in label order);
    ``limit`` keeps the first K pairs.

    >>> select_points([3, 2], None)
    [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    """
    rng = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    for r, n in enumerate(counts):
        if points is None or points >= n:
            idx = range(n)
        else:
            idx = sorted(int(i) for i in rng.choice(n, size=points, replace=False))
        pairs.extend((r, int(i)) for i in idx)
        if limit is not None and len(pairs) >= limit:
            return pairs[:limit]
    return pairs
