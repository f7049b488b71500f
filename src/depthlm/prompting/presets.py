"""Prompt presets: the question a model is asked and the answer it is trained to give.

A preset is data (a JSON file beside this module, or a user's own file), never a code path:
the same loader serves the reference ``official`` format, the answer-only ``short`` format and
anything a user writes. Questions are templates with ``{marker}`` (how the marker is referred to,
e.g. "pointed by the red arrow"); targets are templates with ``{answer}``, the label formatted
with ``answer_digits`` decimals, so training targets and parsing agree on precision.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from depthlm.prompting.markers import get_marker


@dataclass(frozen=True)
class PromptPreset:
    """Question and target templates per task, plus decoding hints."""

    name: str
    questions: dict[str, str]
    targets: dict[str, str]
    system: str | None = None
    answer_digits: int = 2
    # When set, numbers carry this many significant digits instead (``6.7``, ``23``, ``0.87``):
    # a small model then spends no tokens on digits below its resolution.
    answer_significant: int | None = None
    max_new_tokens: int = 64
    description: str = ""

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> PromptPreset:
        missing = [k for k in ("name", "questions", "targets") if k not in obj]
        if missing:
            raise ValueError(f"prompt preset is missing {missing}")
        return cls(
            name=obj["name"],
            questions=dict(obj["questions"]),
            targets=dict(obj["targets"]),
            system=obj.get("system"),
            answer_digits=int(obj.get("answer_digits", 2)),
            answer_significant=_optional_int(obj.get("answer_significant")),
            max_new_tokens=int(obj.get("max_new_tokens", 64)),
            description=obj.get("description", ""),
        )

    def _template(self, table: dict[str, str], task: str, kind: str) -> str:
        if task not in table:
            raise ValueError(
                f"preset '{self.name}' has no {kind} for task {task!r} (it has {sorted(table)})"
            )
        return table[task]

    def question(
        self,
        task: str = "distance",
        marker: str = "arrow",
        points: Sequence[Sequence[int]] = (),
        **fields: Any,
    ) -> str:
        """The user text for ``task`` with the given marker style (``points``, in model-input
        pixels, are only written out by the ``text`` style).

        >>> load_preset("official").question()[:64]
        'Given this image, how far is the point pointed by the red arrow '
        """
        template = self._template(self.questions, task, "question")
        style = get_marker(marker)
        one = style.describe(points[:1]) if "{marker}" in template else ""
        many = style.describe(points, plural=True) if "{markers}" in template else ""
        return template.format(marker=one, markers=many, **fields)

    def target(self, value: float, task: str = "distance", **fields: Any) -> str:
        """The assistant text that answers ``value`` (metres, seconds, ...) for ``task``.

        >>> load_preset("short").target(3.14159)
        '3.14'
        """
        fields = {k: self.number(v) if isinstance(v, float) else v for k, v in fields.items()}
        template = self._template(self.targets, task, "target")
        return template.format(answer=self.number(value), **fields)

    def number(self, value: float) -> str:
        """A value as the preset writes numbers: ``answer_digits`` decimals, or
        ``answer_significant`` significant digits (never in exponent notation).

        >>> PromptPreset("x", {}, {}, answer_significant=2).number(23.46)
        '23'
        """
        if self.answer_significant is None or value == 0 or not math.isfinite(value):
            return f"{value:.{self.answer_digits}f}"
        rounded = float(f"{value:.{self.answer_significant}g}")
        decimals = max(0, self.answer_significant - 1 - math.floor(math.log10(abs(rounded))))
        return f"{rounded:.{decimals}f}"


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def available_presets() -> list[str]:
    """Names of the presets shipped with depthlm."""
    folder = resources.files("depthlm.prompting") / "presets"
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


@cache
def load_preset(name_or_path: str) -> PromptPreset:
    """A shipped preset by name (``official``, ``short``, ``general``) or a JSON file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.is_file():
        return PromptPreset.from_dict(json.loads(path.read_text(encoding="utf-8")))
    file = resources.files("depthlm.prompting") / "presets" / f"{name_or_path}.json"
    if not file.is_file():
        raise ValueError(
            f"unknown prompt preset {name_or_path!r}; choose from "
            f"{available_presets()} or give a path to a .json preset"
        )
    return PromptPreset.from_dict(json.loads(file.read_text(encoding="utf-8")))
