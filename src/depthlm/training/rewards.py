"""GRPO rewards as plain TRL-shaped functions: ``reward(completions, **columns) -> list[float]``.

The dataset carries ``label`` (the true value) and ``unit`` per prompt, so the same functions
score every task. The paper tried negative L1 (best), negative AbsRel and δ1; we offer δ1, a
smooth reward on |log(pred/gt)| (scale-free like AbsRel, bounded for wild answers) and a format
reward that pays for a parsable answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from depthlm.prompting.parsing import parse_answer

LOG_ERROR_CAP = 3.0  # |log(pred/gt)| beyond e³ ≈ 20× off earns the floor


def completion_text(completion: Any) -> str:
    """TRL passes conversational completions as message lists, standard ones as strings."""
    if isinstance(completion, str):
        return completion
    parts = []
    for message in completion:
        content = message.get("content", "")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [c.get("text", "") for c in content if isinstance(c, dict)]
    return "".join(parts)


def _preds(
    completions: Sequence[Any], unit: Sequence[str], task: Sequence[str] | None = None
) -> list[float | None]:
    """Parsed answers: by each prompt's task when the dataset names it (a field of view in
    degrees, a list of distances), else by unit."""
    texts = [completion_text(c) for c in completions]
    if task is None:
        return [parse_answer(t, unit=u) for t, u in zip(texts, unit, strict=True)]
    from depthlm.tasks import get_task

    return [get_task(k).parse(t) for t, k in zip(texts, task, strict=True)]


def delta1_reward(
    completions: Sequence[Any],
    label: Sequence[float],
    unit: Sequence[str],
    task: Sequence[str] | None = None,
    **_: Any,
) -> list[float]:
    """1 when max(pred/gt, gt/pred) < 1.25, else 0 (unparsable: 0)."""
    out = []
    for p, g in zip(_preds(completions, unit, task), label, strict=True):
        out.append(1.0 if p is not None and max(p / g, g / p) < 1.25 else 0.0)
    return out


def log_l1_reward(
    completions: Sequence[Any],
    label: Sequence[float],
    unit: Sequence[str],
    task: Sequence[str] | None = None,
    **_: Any,
) -> list[float]:
    """−|log(pred/gt)|, floored at −3 (unparsable answers get the floor)."""
    out = []
    for p, g in zip(_preds(completions, unit, task), label, strict=True):
        out.append(-LOG_ERROR_CAP if p is None else -min(abs(math.log(p / g)), LOG_ERROR_CAP))
    return out


def format_reward(
    completions: Sequence[Any], unit: Sequence[str], task: Sequence[str] | None = None, **_: Any
) -> list[float]:
    """1 for an answer the parser reads, else 0."""
    return [0.0 if p is None else 1.0 for p in _preds(completions, unit, task)]


REWARDS: dict[str, Callable[..., list[float]]] = {
    "delta1": delta1_reward,
    "log_l1": log_l1_reward,
    "format": format_reward,
}


def get_rewards(names: Sequence[str]) -> list[Callable[..., list[float]]]:
    unknown = [n for n in names if n not in REWARDS]
    if unknown:
        raise ValueError(f"unknown reward(s) {unknown}; choose from {sorted(REWARDS)}")
    return [REWARDS[n] for n in names]
