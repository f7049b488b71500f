"""From a record and one labelled pixel to the exact model input of the paper.

``QuerySpec`` is the preprocessing contract (canonical focal, fx ≠ fy handling, marker, prompt
preset, task). :func:`prepare_view` does the per-image work once (load, rectify, normalise the
focal) and :meth:`View.query` the per-point work (remap the pixel, draw the marker, write the
question and the target), so evaluating 100 points of one image decodes and resizes it once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.data.records import Record, resolve_image
from depthlm.data.transforms import load_rgb
from depthlm.data.transforms import prepare_view as _prepare_image
from depthlm.geometry.camera import Camera
from depthlm.prompting.markers import draw_marker, fits, get_marker
from depthlm.prompting.presets import PromptPreset, load_preset


@dataclass
class ChatQuery:
    """One single-turn question: images first, then the text, with an optional system prompt.

    The images are the exact model inputs (already focal-normalised and marked); a backend must
    not resize or recompress them beyond what its processor does for every image.
    """

    images: list[Image.Image]
    text: str
    system: str | None = None
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class QuerySpec:
    """How model inputs are built. Travels with a checkpoint: evaluate with what it trained on.

    ``focal``: canonical focal length in pixels (1000 for DepthLM's Qwen2.5-VL models, 750 for
    the released Pixtral-12B), ``None`` to keep each image's own.
    """

    focal: float | None = 1000.0
    preset: str = "official"
    marker: str = "arrow"
    fxfy: str = "reference"
    task: str = "distance"

    def __post_init__(self) -> None:
        get_marker(self.marker)  # fail early on a typo
        load_preset(self.preset)
        if self.focal is not None and not (self.focal > 0 and np.isfinite(self.focal)):
            raise ValueError(f"focal must be a positive number of pixels, got {self.focal}")

    @property
    def prompt(self) -> PromptPreset:
        return load_preset(self.preset)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ModelInput:
    """Everything one question needs, plus what it was built from (for inspection)."""

    image: Image.Image
    pixel: tuple[int, int]  # the marked pixel in ``image``
    camera: Camera  # intrinsics of ``image``
    system: str | None
    text: str
    target: str | None = None  # training answer, when the label is known

    def chat(self, **meta: Any) -> ChatQuery:
        return ChatQuery(images=[self.image], text=self.text, system=self.system, meta=meta)


@dataclass
class View:
    """One image prepared for a spec: the resized image, its camera and the record's camera."""

    image: Image.Image
    camera: Camera
    source: Camera
    spec: QuerySpec

    def remap(self, pixels: Any) -> np.ndarray:
        """Record pixels → model-image pixels (reference rounding)."""
        return self.camera.remap_pixels(self.source, pixels)

    def query(self, pixel: Any, label: float | None = None) -> ModelInput | None:
        """The model input asking about record pixel ``pixel``; ``None`` when the marker does
        not fit (within the marker's margin of the border), which callers record as a skip."""
        x, y = (int(v) for v in self.remap([pixel])[0])
        if not fits(self.spec.marker, (x, y), self.image.size):
            return None
        preset = self.spec.prompt
        return ModelInput(
            image=draw_marker(self.image, (x, y), self.spec.marker),
            pixel=(x, y),
            camera=self.camera,
            system=preset.system,
            text=preset.question(self.spec.task, self.spec.marker),
            target=None if label is None else preset.target(label, self.spec.task),
        )


def prepare_view(image: Image.Image, camera: Camera, spec: QuerySpec) -> View:
    """Rectify and focal-normalise ``image`` (whose intrinsics are ``camera``) for ``spec``."""
    out, cam = _prepare_image(image, camera, focal=spec.focal, fxfy=spec.fxfy)
    return View(image=out, camera=cam, source=camera, spec=spec)


def record_view(record: Record, spec: QuerySpec, image_root: str | Path | None = None) -> View:
    """Load a record's image and prepare it (see :func:`prepare_view`)."""
    path = (
        record.image_path if image_root is None else resolve_image(record.image, Path(image_root))
    )
    image = load_rgb(path)
    if image.size != record.camera.size:
        raise ValueError(
            f"{path}: image is {image.width}x{image.height} but the record's intrinsics say "
            f"{record.camera.width}x{record.camera.height}"
        )
    return prepare_view(image, record.camera, spec)


def input_at(
    records: list[Record], index: int, spec: QuerySpec, image_root: str | Path | None = None
) -> tuple[ModelInput, int, int]:
    """The model input of the ``index``-th (image, point) pair (file order, image-major),
    with its record and point indices. Raises when the marker does not fit there."""
    from depthlm.tasks.labels import point_labels

    remaining = index
    for r, rec in enumerate(records):
        n = len(rec.pixel_coords)
        if remaining < n:
            label = float(point_labels(rec, spec.task)[remaining])
            model_input = record_view(rec, spec, image_root).query(
                rec.pixel_coords[remaining], label
            )
            if model_input is None:
                raise ValueError(
                    f"pair {index} (record {r}, point {remaining}, "
                    f"pixel {rec.pixel_coords[remaining]}) "
                    f"lands within {get_marker(spec.marker).margin} px of the border after "
                    f"preprocessing: the marker cannot be drawn and evaluation skips it"
                )
            return model_input, r, remaining
        remaining -= n
    total = sum(len(r.pixel_coords) for r in records)
    raise IndexError(f"index {index} out of range: the file has {total} (image, point) pairs")
