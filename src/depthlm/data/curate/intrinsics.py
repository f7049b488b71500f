"""Pinhole intrinsics for a folder of images: one set for all, or one per frame from a file.

Accepted files: JSON (``{"<stem>": [fx, fy, cx, cy], ...}`` or one ``[fx, fy, cx, cy]`` list)
or text lines ``stem fx fy cx cy`` (``#`` comments and blank lines allowed). Mistakes name the
file and line, because a wrong focal silently scales every metric label.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path


class Intrinsics:
    """Look up ``[fx, fy, cx, cy]`` by image stem."""

    def __init__(
        self, shared: list[float] | None = None, per_frame: dict[str, list[float]] | None = None,
        source: str = "--intrinsics",
    ) -> None:  # fmt: skip
        self.shared, self.per_frame, self.source = shared, per_frame or {}, source

    def lookup(self, *stems: str) -> list[float]:
        """The intrinsics of the first stem found; an error names the stem otherwise."""
        if self.shared is not None:
            return self.shared
        for stem in stems:
            if stem in self.per_frame:
                return self.per_frame[stem]
        raise ValueError(f"{self.source}: no intrinsics for frame '{stems[0]}'")


def _four(values: Sequence[object], where: str) -> list[float]:
    if len(values) != 4:
        raise ValueError(f"{where}: expected 4 numbers fx, fy, cx, cy, got {len(values)}")
    out: list[float] = []
    for v in values:
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{where}: not a number: {v!r}") from None
        if isinstance(v, bool) or not math.isfinite(f):
            raise ValueError(f"{where}: not a finite number: {v!r}")
        out.append(f)
    if out[0] <= 0 or out[1] <= 0:
        raise ValueError(f"{where}: focal lengths must be positive, got fx={out[0]}, fy={out[1]}")
    return out


def parse_intrinsics(text: str) -> Intrinsics:
    """``"FX,FY,CX,CY"`` from the command line, shared by all frames."""
    return Intrinsics(shared=_four(text.replace(" ", "").split(","), "--intrinsics"))


def _from_json(path: Path, text: str) -> Intrinsics:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}: invalid JSON ({e.msg})") from None
    if isinstance(obj, list):
        return Intrinsics(shared=_four(obj, str(path)), source=str(path))
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected an object of stem -> [fx, fy, cx, cy] or one list")
    table = {}
    for stem, values in obj.items():
        if not isinstance(values, list):
            raise ValueError(f"{path}: frame '{stem}': expected [fx, fy, cx, cy]")
        table[str(stem)] = _four(values, f"{path}: frame '{stem}'")
    return Intrinsics(per_frame=table, source=str(path))


def _from_text(path: Path, text: str) -> Intrinsics:
    table = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        where = f"{path}:{lineno}"
        if len(tokens) != 5:
            raise ValueError(f"{where}: expected 'stem fx fy cx cy', got {line.strip()!r}")
        table[tokens[0]] = _four(tokens[1:], where)
    if not table:
        raise ValueError(f"{path}: no intrinsics lines")
    return Intrinsics(per_frame=table, source=str(path))


def read_intrinsics_file(path: Path) -> Intrinsics:
    """Per-frame (or shared) intrinsics from a JSON or text file."""
    if not path.is_file():
        raise FileNotFoundError(f"intrinsics file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
        return _from_json(path, text)
    return _from_text(path, text)
