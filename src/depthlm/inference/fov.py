"""The focal length of a photo without EXIF, asked of a model trained on the ``fov`` task.

:func:`estimate_focal` shows the model the image resized to the task's fixed width (not
focal-normalised: that needs the very focal being estimated, see :mod:`depthlm.tasks.fov`),
reads the horizontal field of view it answers and converts it to a focal in pixels of the
image *as passed*: ``f = W / (2·tan(FOV/2))``, principal point at the centre.

That focal is an ordinary ``focal=``: ``model.measure(image, points, focal=f)`` normalises the
image with it exactly as with a focal the caller knew, so estimating and then measuring builds
the very model inputs a given focal of the same value builds (:func:`measure_estimated` is that
path, with the estimate reported beside the answers).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depthlm.geometry.camera import Camera
from depthlm.inference.focal import default_focal
from depthlm.prompting.query import View
from depthlm.tasks.base import TaskInput
from depthlm.tasks.fov import FieldOfView
from depthlm.tasks.geometry import focal_from_fov

if TYPE_CHECKING:
    from depthlm.inference.depthlm import DepthLM, ImageLike


def fov_question(model: DepthLM, image: ImageLike) -> TaskInput:
    """The field-of-view question about ``image`` as ``model`` is asked it.

    The camera is unknown (that is the question), so the view starts from the image itself;
    the stand-in camera only gives the view its size and plays no part in the answer."""
    from depthlm.inference.depthlm import as_image

    pil = as_image(image)
    w, h = pil.size
    f = default_focal(w)
    camera = Camera(f, f, w / 2, h / 2, w, h)
    spec = replace(model.spec, task=FieldOfView.name)
    built = FieldOfView().ask([View(pil, camera, camera, spec)], (), {}, spec.prompt, spec.marker)
    assert built is not None  # no marker, nothing can fail to fit
    return built


def estimate_focal(model: DepthLM, image: ImageLike) -> tuple[float | None, float | None, str]:
    """``(focal_px, fov_deg, text)``: the focal in pixels of ``image`` (as passed) that the
    model's horizontal field of view implies, the field of view, and the raw answer.

    ``None`` for both numbers when the answer gives no angle in (0°, 180°). Pass the focal on
    as ``focal=`` (:meth:`DepthLM.measure`, :meth:`DepthLM.depth_map`): it is then used exactly
    as a focal the caller knew."""
    from depthlm.inference.depthlm import as_image

    width = as_image(image).width
    question = fov_question(model, image)
    text = model.generator.generate([question.chat()])[0]
    fov = FieldOfView().parse(text)
    if fov is None:
        return None, None, text
    return float(focal_from_fov(width, fov)), fov, text


def measure_estimated(
    model: DepthLM, image: ImageLike, points: Any, **params: Any
) -> dict[str, Any]:
    """:meth:`DepthLM.measure` with the focal estimated by :func:`estimate_focal` (one image).

    The result is ``measure``'s, with ``focal_source`` ``"estimated"`` and the estimate's
    ``fov`` and ``fov_text`` added. Raises ``ValueError`` when the model gives no usable
    field of view, rather than fall back to a guess that would look like an answer."""
    if isinstance(image, list | tuple) or (isinstance(image, str | Path) and Path(image).is_dir()):
        raise ValueError("measure_estimated takes one image (each image needs its own focal)")
    focal, fov, text = estimate_focal(model, image)
    if focal is None:
        raise ValueError(f"the model gave no field of view in (0, 180) degrees: {text!r}")
    out = model.measure(image, points, focal=focal, **params)
    assert isinstance(out, dict)
    return {**out, "focal_source": "estimated", "fov": fov, "fov_text": text}
