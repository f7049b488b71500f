"""The DepthLM record format: one JSON object per line, one image per record.

``{"image": "rgb/a.png", "intrinsics": [fx, fy, cx, cy, w, h], "pixel_coords": [[x, y], ...],
"depth": [metres, ...]}`` plus optional fields (``depth_type``, ``unit``, ``z_depth``,
``camera_to_world``, ``sequence``, ``frame``, ``task``, ``dataset``, ``id``). Unknown fields are
kept and written back, so a round trip never drops what another tool added.

Bad input fails loudly with :class:`RecordError`, which names the file, the line and the field:
a silently skipped record shifts every later index and makes runs incomparable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depthlm.geometry.camera import DEPTH_TYPES, Camera
from depthlm.utils.io import atomic_write_text

KNOWN_FIELDS = (
    "image",
    "intrinsics",
    "pixel_coords",
    "depth",
    "depth_type",
    "unit",
    "z_depth",
    "camera_to_world",
    "sequence",
    "frame",
    "task",
    "dataset",
    "id",
)


class RecordError(ValueError):
    """A record that cannot be used; the message names file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path, self.line, self.field = path, line, field
        where = str(path) if path is not None else "record"
        if line is not None:
            where += f":{line}"
        what = f" field '{field}'" if field else ""
        super().__init__(f"{where}:{what} {message}")


@dataclass
class Record:
    """One image with labelled pixels. Depths are metres; ``depth_type`` says which distance."""

    image: str
    intrinsics: list[float]
    pixel_coords: list[list[int]]
    depth: list[float]
    depth_type: str | None = None
    unit: str | None = None
    z_depth: list[float] | None = None
    camera_to_world: list[list[float]] | None = None
    sequence: str | None = None
    frame: int | None = None
    task: str | None = None
    dataset: str | None = None
    id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: folder the image path is relative to (set by the reader; never serialised)
    base_dir: Path | None = field(default=None, compare=False, repr=False)

    @property
    def image_path(self) -> Path:
        """The image file: absolute, or relative to :attr:`base_dir`."""
        return resolve_image(self.image, self.base_dir)

    @property
    def camera(self) -> Camera:
        return Camera.from_intrinsics(self.intrinsics)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, optional fields only when set, unknown fields preserved."""
        out: dict[str, Any] = {}
        for name in KNOWN_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Record:
        """Build without validation (use :func:`validate_record` for that)."""
        known = {k: obj[k] for k in KNOWN_FIELDS if k in obj}
        extra = {k: v for k, v in obj.items() if k not in KNOWN_FIELDS}
        return cls(**known, extra=extra)


def _finite_positive(values: Any, name: str) -> str | None:
    if not isinstance(values, list):
        return f"'{name}' must be a list"
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            return f"'{name}'[{i}] is not a number: {v!r}"
        if not math.isfinite(v) or v <= 0:
            return f"'{name}'[{i}] must be a finite positive number of metres, got {v!r}"
    return None


class _Invalid(Exception):
    """A field check failed; :func:`validate_record` adds file and line."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_required(obj: Any) -> None:
    if not isinstance(obj, dict):
        raise _Invalid(None, f"expected a JSON object, got {type(obj).__name__}")
    for name in ("image", "intrinsics", "pixel_coords", "depth"):
        if name not in obj:
            raise _Invalid(name, "is missing")
    if not isinstance(obj["image"], str) or not obj["image"]:
        raise _Invalid("image", "must be a non-empty path string")


def _check_intrinsics(intr: Any) -> tuple[float, float]:
    """Validate ``[fx, fy, cx, cy, w, h]`` and return the image size."""
    if not isinstance(intr, list) or len(intr) != 6:
        got = len(intr) if isinstance(intr, list) else type(intr).__name__
        raise _Invalid(
            "intrinsics", f"must be [fx, fy, cx, cy, width, height] (6 numbers), got {got}"
        )
    if not all(_is_number(v) and math.isfinite(v) for v in intr):
        raise _Invalid("intrinsics", f"must hold finite numbers, got {intr}")
    fx, fy, _, _, w, h = intr
    if fx < 0 or fy < 0 or (fx == 0 and fy == 0):
        raise _Invalid("intrinsics", f"focal lengths must be positive, got fx={fx}, fy={fy}")
    if w <= 0 or h <= 0 or int(w) != w or int(h) != h:
        raise _Invalid("intrinsics", f"width and height must be positive integers, got {w}x{h}")
    return w, h


def _check_pixels(coords: Any, w: float, h: float) -> None:
    if not isinstance(coords, list):
        raise _Invalid("pixel_coords", "must be a list of [x, y] pairs")
    for i, p in enumerate(coords):
        if not isinstance(p, list) or len(p) != 2 or not all(_is_number(v) for v in p):
            raise _Invalid("pixel_coords", f"[{i}] must be an [x, y] pair of numbers, got {p!r}")
        x, y = p
        if not (0 <= x < w and 0 <= y < h):
            raise _Invalid(
                "pixel_coords", f"[{i}] = [{x}, {y}] lies outside the {int(w)}x{int(h)} image"
            )


def _check_labels(obj: dict[str, Any]) -> None:
    n = len(obj["pixel_coords"])
    for name in ("depth", "z_depth"):
        if obj.get(name) is not None:
            err = _finite_positive(obj[name], name)
            if err:
                raise _Invalid(name, err)
            if len(obj[name]) != n:
                raise _Invalid(name, f"has {len(obj[name])} values but 'pixel_coords' has {n}")
    if obj.get("depth_type") is not None and obj["depth_type"] not in DEPTH_TYPES:
        raise _Invalid("depth_type", f"must be one of {DEPTH_TYPES}, got {obj['depth_type']!r}")
    c2w = obj.get("camera_to_world")
    rows_ok = (
        isinstance(c2w, list)
        and len(c2w) in (3, 4)
        and all(isinstance(r, list) and len(r) == 4 and all(_is_number(v) for v in r) for r in c2w)
    )
    if c2w is not None and not rows_ok:
        raise _Invalid("camera_to_world", "must be a 4x4 (or 3x4) row-major matrix")


def validate_record(
    obj: Any,
    *,
    image_root: Path | None = None,
    check_image: bool = True,
    path: str | Path | None = None,
    line: int | None = None,
) -> Record:
    """Check one parsed JSON object and return it as a :class:`Record`.

    Raises :class:`RecordError` naming the field at fault: wrong-length intrinsics, a
    non-positive focal, a missing image file, a point outside the image, a NaN or ≤ 0 depth,
    or lists of mismatched length.
    """
    try:
        _check_required(obj)
        w, h = _check_intrinsics(obj["intrinsics"])
        _check_pixels(obj["pixel_coords"], w, h)
        _check_labels(obj)
        if check_image:
            image_path = resolve_image(obj["image"], image_root)
            if not image_path.is_file():
                raise _Invalid("image", f"file not found: {image_path}")
    except _Invalid as bad:
        raise RecordError(str(bad), path=path, line=line, field=bad.field) from None
    record = Record.from_dict(obj)
    record.base_dir = image_root
    return record


def resolve_image(image: str, root: Path | None) -> Path:
    """Image paths are relative to ``root`` (the JSONL's folder unless told otherwise)."""
    p = Path(image)
    if p.is_absolute() or root is None:
        return p
    return root / image.lstrip("/")


def iter_records(
    path: str | Path, *, image_root: str | Path | None = None, check_images: bool = True
) -> Iterator[Record]:
    """Yield validated records from a JSONL file, skipping blank lines."""
    path = Path(path)
    root = Path(image_root) if image_root is not None else path.parent
    with path.open(encoding="utf-8") as f:
        for lineno, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                raise RecordError(
                    f"invalid JSON ({e.msg} at column {e.colno})", path=path, line=lineno
                ) from None
            yield validate_record(
                obj, image_root=root, check_image=check_images, path=path, line=lineno
            )


def read_records(
    path: str | Path, *, image_root: str | Path | None = None, check_images: bool = True
) -> list[Record]:
    """All records of a JSONL file, validated (see :func:`validate_record`)."""
    return list(iter_records(path, image_root=image_root, check_images=check_images))


def write_records(path: str | Path, records: Iterable[Record | dict[str, Any]]) -> None:
    """Write records as JSONL atomically (a crash never leaves half a file)."""
    lines = [
        json.dumps(r.to_dict() if isinstance(r, Record) else r, ensure_ascii=False) for r in records
    ]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
