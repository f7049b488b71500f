"""From a record to the exact model view of the paper (focal-normalised, rectified).

``QuerySpec`` is the preprocessing contract (canonical focal, fx ≠ fy handling, marker, prompt
preset, task). :func:`prepare_view` does the per-image work once (load, rectify, normalise the
focal); a task (:mod:`depthlm.tasks`) then does the per-question work (remap the pixels, draw
the markers, write the question and the target), so 100 points of one image decode and resize
it once.
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
from depthlm.prompting.markers import get_marker
from depthlm.prompting.presets import PromptPreset, load_preset


@dataclass
class ChatQuery:
    """One single-turn question: images first, then the text, with an optional system prompt.

    The images are the exact model inputs (already focal-normalised and marked); a backend must
    not resize or recompress them beyond what its processor does for every image. ``meta`` is
    for backends, never for the model: a built task question says its ``task`` there (and,
    for ``multi_point``, how many ``answers``), so a sampling backend can compare replies.
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
    # ``(width, height)``: a normalised view larger than this is cropped, for its question, to
    # a window of this size holding the marked pixels — the largest training crop, so a model
    # trained on crops never sees more (or more tokens) than it learnt from. ``None``: the
    # whole view, as the reference does.
    window: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.window is not None:
            w, h = (int(v) for v in self.window)
            if w < 1 or h < 1:
                raise ValueError(f"window must be two positive pixel sizes, got {self.window}")
            object.__setattr__(self, "window", (w, h))  # JSON gives a list
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
class View:
    """One image prepared for a spec: the resized image, its camera and the record's camera."""

    image: Image.Image
    camera: Camera
    source: Camera
    spec: QuerySpec

    def remap(self, pixels: Any) -> np.ndarray:
        """Record pixels → model-image pixels (reference rounding)."""
        return self.camera.remap_pixels(self.source, pixels)


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
