"""Field of view: "What is the horizontal field of view of this image in degrees?"

The answer is ``2·atan(W / (2·fx))`` of the image *as the model sees it*, so the view must not
be focal-normalised: after normalisation every image has the same focal and its width alone is
``2·f·tan(FOV/2)``, so the answer would be read off the image size (the number of vision
tokens) instead of the picture; and at inference the focal is exactly what is unknown.

Instead a field-of-view view is resized, aspect kept, to a fixed width
(:func:`fov_width`): the spec's canonical focal in pixels, which borrows only a *size* from the
checkpoint (the other tasks' views are about that wide), not the normalisation. A resize
changes W and fx by the same factor, so the label survives it; a training crop narrows the
view, and the label, computed from the final view's camera, narrows with it. With
``focal=None`` the view keeps its own size.

Given a view prepared for another task (a focal-normalised record view, possibly cropped),
:meth:`FieldOfView.ask` resizes it, so training and ``depthlm eval`` need no special path;
inference skips the normalisation it cannot do (:mod:`depthlm.inference.fov`).
"""

from __future__ import annotations

from collections.abc import Sequence

from depthlm.data.records import Record
from depthlm.data.transforms import resize_to
from depthlm.geometry.camera import Camera
from depthlm.prompting.parsing import parse_angle
from depthlm.prompting.presets import PromptPreset
from depthlm.prompting.query import QuerySpec, View
from depthlm.tasks.base import Probe, Task, TaskInput
from depthlm.tasks.geometry import horizontal_fov


def camera_fov(camera: Camera | Sequence[float]) -> float:
    """Horizontal field of view (degrees) of a camera or ``[fx, fy, cx, cy, w, h]`` list."""
    fx, width = (camera.fx, camera.width) if isinstance(camera, Camera) else (camera[0], camera[4])
    return float(horizontal_fov(width, fx))


def fov_width(spec: QuerySpec, width: int) -> int:
    """Width of the field-of-view view for ``spec`` of an image ``width`` pixels wide: the
    canonical focal (rounded), or the image's own width when the spec keeps native focals."""
    return width if spec.focal is None else max(1, round(spec.focal))


def fov_view(view: View) -> View:
    """``view`` resized, aspect kept, to :func:`fov_width` (the camera follows)."""
    width = fov_width(view.spec, view.image.width)
    if width == view.image.width:
        return view
    height = max(1, round(view.image.height * width / view.image.width))
    camera = view.camera.resize(width, height)
    return View(resize_to(view.image, camera), camera, view.source, view.spec)


class FieldOfView(Task):
    """The horizontal field of view of the image, in degrees — no marker."""

    name = "fov"
    unit = "deg"
    n_points = 0

    def probes(self, records, points, rng):
        """One question per image (``points`` does not apply)."""
        return [Probe((r,)) for r in range(len(records))]

    def sample(self, records, rng):
        return Probe((int(rng.integers(len(records))),))

    def label(self, records: Sequence[Record], probe: Probe) -> float:
        """The record's field of view. Evaluation scores against it; the view the model sees
        has the same one up to pixel rounding of the resized width (well under 1° at the
        sizes depthlm uses). A built question carries the exact one of its view."""
        return camera_fov(records[probe.records[0]].camera)

    def ask(
        self,
        views: Sequence[View],
        pixels: Sequence[Sequence[int]],
        params: dict[str, float],
        preset: PromptPreset,
        marker: str,
    ) -> TaskInput | None:
        if len(pixels):
            raise ValueError("the fov task marks no points")
        return super().ask([fov_view(v) for v in views], (), params, preset, marker)

    def built_label(self, built: TaskInput, records: Sequence[Record], probe: Probe) -> float:
        """The field of view of the final view's camera (after any crop)."""
        return camera_fov(built.cameras[0])

    def parse(self, text: str | None) -> float | None:
        """Degrees in (0, 180), bare or with ``°``/``deg``/``degrees``; else ``None``."""
        return parse_angle(text)
