"""``DepthLM``: one object to ask a VLM metric questions about pixels, like an expert depth model.

>>> model = DepthLM.from_pretrained("embedded")                       # doctest: +SKIP
>>> out = model.measure("room.png", [[120, 80], [40, 200]], focal=500)  # doctest: +SKIP
>>> out["metres"], out["intrinsics"]                                  # doctest: +SKIP

The preprocessing contract (canonical focal, marker, prompt preset) comes from the checkpoint's
``depthlm.json``: a model is always asked the way it was trained. Images are path, PIL or
``H×W×3`` uint8 array; the camera is given as ``intrinsics=[fx, fy, cx, cy]`` or ``focal``
(principal point at the centre), in pixels of the image as passed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.data.transforms import load_rgb
from depthlm.geometry.camera import Camera
from depthlm.inference.backends import Backend, load_generator, model_dir, parse_model
from depthlm.inference.base import Generator
from depthlm.models.contract import resolve_spec
from depthlm.prompting.query import QuerySpec, prepare_view
from depthlm.tasks import get_task

ImageLike = str | Path | Image.Image | np.ndarray


def as_image(image: ImageLike) -> Image.Image:
    """Path, PIL image or ``H×W×3`` uint8 array → RGB PIL image."""
    if isinstance(image, str | Path):
        return load_rgb(image)
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an H×W×3 uint8 array, got {image.shape} {image.dtype}")
        return Image.fromarray(image)
    return image.convert("RGB")


def camera_for(
    image: Image.Image, intrinsics: Sequence[float] | None, focal: float | None
) -> Camera:
    """The camera of ``image``: explicit intrinsics, else a focal with a centred principal point."""
    w, h = image.size
    if intrinsics is not None:
        if len(intrinsics) < 4:
            raise ValueError(f"intrinsics must be [fx, fy, cx, cy], got {list(intrinsics)}")
        fx, fy, cx, cy = (float(v) for v in intrinsics[:4])
        return Camera.from_intrinsics([fx, fy, cx, cy, w, h])
    if focal is None:
        raise ValueError("give the camera: intrinsics=[fx, fy, cx, cy] or focal=F (pixels)")
    if not (focal > 0 and math.isfinite(focal)):
        raise ValueError(f"focal must be a positive number of pixels, got {focal}")
    return Camera(float(focal), float(focal), w / 2, h / 2, w, h)


class DepthLM:
    """A VLM behind a :class:`~depthlm.inference.base.Generator`, asked DepthLM questions."""

    def __init__(self, generator: Generator, spec: QuerySpec) -> None:
        self.generator = generator
        self.spec = spec

    @classmethod
    def from_pretrained(
        cls,
        model: str = "embedded",
        *,
        device: str | None = None,
        batch_size: int = 32,
        backend: Backend | None = None,
        **spec: Any,
    ) -> DepthLM:
        """``"embedded"`` (depthlm-tiny, shipped in the package), a local folder or ``hf:PATH``
        (Transformers), ``vllm:PATH`` (vLLM, GPU) or ``openai:MODEL`` (an OpenAI-compatible
        server; ``backend`` holds its URL and key variable).

        The preprocessing contract comes from the checkpoint's ``depthlm.json``; ``spec``
        keywords (``focal``, ``preset``, ``marker``, ``fxfy``) override it, which is how an API
        model, having no checkpoint, is given its settings (default: the ``general`` preset).
        """
        folder = model_dir(model)
        if folder is None and parse_model(model)[0] == "openai":
            spec.setdefault("preset", "general")
        resolved = resolve_spec(folder, **spec)
        generator = load_generator(model, device=device, batch_size=batch_size,
                                   max_new_tokens=resolved.prompt.max_new_tokens,
                                   backend=backend)  # fmt: skip
        return cls(generator, resolved)

    def measure(
        self,
        image: ImageLike,
        points: Sequence[Sequence[int]],
        *,
        intrinsics: Sequence[float] | None = None,
        focal: float | None = None,
        task: str = "distance",
        **params: float,
    ) -> dict[str, Any]:
        """Ask ``task`` about each ``[x, y]`` pixel (one question per point).

        Returns ``{"metres": (N,) float array (NaN where unanswered), "text": raw answers,
        "points": the pixels, "skipped": indices too close to the border to mark,
        "intrinsics": [fx, fy, cx, cy, w, h] of the input image}``. For ``speed``/``time``
        the values are m/s / seconds (pass ``T=`` / ``V=``).
        """
        pil = as_image(image)
        camera = camera_for(pil, intrinsics, focal)
        spec = replace(self.spec, task=task)
        view = prepare_view(pil, camera, spec)
        runner = get_task(task)
        if runner.n_points != 1:
            raise ValueError(f"measure() asks single-point tasks, not {task!r}")
        pts = np.asarray(points, dtype=np.int64).reshape(-1, 2)
        outside = ~camera.contains(pts)
        if outside.any():
            raise ValueError(f"points outside the {pil.width}x{pil.height} image: "
                             f"{pts[outside].tolist()}")  # fmt: skip
        inputs = [runner.ask([view], [p], params, spec.prompt, spec.marker) for p in pts.tolist()]
        asked = [i for i, q in enumerate(inputs) if q is not None]
        texts = self.generator.generate([inputs[i].chat() for i in asked])  # type: ignore[union-attr]
        metres = np.full(len(pts), np.nan)
        text: list[str | None] = [None] * len(pts)
        for i, t in zip(asked, texts, strict=True):
            value = runner.parse(t)
            metres[i] = np.nan if value is None else value
            text[i] = t
        return {
            "metres": metres,
            "text": text,
            "points": pts,
            "skipped": [i for i, q in enumerate(inputs) if q is None],
            "intrinsics": camera.to_list(),
        }

    def depth_map(
        self,
        image: ImageLike,
        *,
        intrinsics: Sequence[float] | None = None,
        focal: float | None = None,
        queries: int = 256,
    ) -> dict[str, Any]:
        """Metric depth of the whole image from a regular grid of ``queries`` questions.

        Returns ``{"depth": H×W Euclidean metres, "points": H×W×3 camera-frame metres,
        "grid": the queried pixels, "grid_metres": their answers, "intrinsics": [...]}``.
        Unanswered grid cells are filled from their neighbours.
        """
        pil = as_image(image)
        camera = camera_for(pil, intrinsics, focal)
        grid, shape = query_grid(camera, queries, margin=self._margin(camera))
        answers = self.measure(pil, grid, intrinsics=camera.to_list()[:4])["metres"]
        depth = upsample(fill_nan(answers.reshape(shape)), camera.size)
        ys, xs = np.mgrid[0 : camera.height, 0 : camera.width]
        pixels = np.stack([xs, ys], axis=-1).astype(np.float64)
        return {
            "depth": depth,
            "points": camera.unproject(pixels, depth, "euclidean"),
            "grid": grid,
            "grid_metres": answers,
            "intrinsics": camera.to_list(),
        }

    def _margin(self, camera: Camera) -> int:
        """Marker margin in input pixels (the marker is drawn after focal normalisation)."""
        from depthlm.prompting.markers import get_marker

        scale = 1.0 if self.spec.focal is None else self.spec.focal / camera.fx
        return math.ceil((get_marker(self.spec.marker).margin + 1) / max(scale, 1e-6))


def query_grid(camera: Camera, n: int, margin: int = 6) -> tuple[np.ndarray, tuple[int, int]]:
    """About ``n`` pixels on a regular grid with the image's aspect, ``margin`` px inside."""
    w, h = camera.width - 2 * margin, camera.height - 2 * margin
    if w <= 1 or h <= 1:
        raise ValueError(f"image too small for a {margin}-px marker margin: {camera.size}")
    gw = max(2, round(math.sqrt(n * w / h)))
    gh = max(2, round(n / gw))
    xs = np.linspace(margin, camera.width - 1 - margin, gw).round().astype(int)
    ys = np.linspace(margin, camera.height - 1 - margin, gh).round().astype(int)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1), (gh, gw)


def fill_nan(grid: np.ndarray) -> np.ndarray:
    """Replace NaN cells with the median of the answered ones (a flat guess beats a hole)."""
    out = grid.astype(np.float64).copy()
    good = np.isfinite(out)
    out[~good] = np.median(out[good]) if good.any() else 1.0
    return out


def upsample(grid: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of a coarse depth grid to ``size = (w, h)``."""
    img = Image.fromarray(grid.astype(np.float32), mode="F")
    return np.asarray(img.resize(size, Image.Resampling.BILINEAR), dtype=np.float64)
