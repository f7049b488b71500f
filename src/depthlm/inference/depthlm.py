"""``DepthLM``: one object to ask a VLM metric questions about pixels, like an expert depth model.

>>> model = DepthLM.from_pretrained("embedded")                       # doctest: +SKIP
>>> out = model.measure("room.jpg", [[120, 80], [40, 200]])           # doctest: +SKIP
>>> out["metres"], out["focal"], out["focal_source"]                  # doctest: +SKIP
>>> maps = model.depth_map("photos/")  # a folder: one result per image  # doctest: +SKIP

The preprocessing contract (canonical focal, marker, prompt preset) comes from the checkpoint's
``depthlm.json``: a model is always asked the way it was trained. Images are path, PIL or
``H×W×3`` uint8 array, or a list of them, or a folder. The camera is given as
``intrinsics=[fx, fy, cx, cy]`` or ``focal`` (principal point at the centre), in pixels of the
image as passed; without either, the focal comes from the photo's EXIF or, failing that, from
an assumed field of view (:mod:`depthlm.inference.focal`). Every result says which
(``"focal"``, ``"focal_source"``), because a wrong focal scales every answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.geometry.camera import Camera
from depthlm.inference.asking import Answered, PointsFor, ask_images
from depthlm.inference.backends import Backend, load_generator, model_dir, parse_model
from depthlm.inference.base import Generator
from depthlm.inference.dense_map import (  # noqa: F401 - re-exported
    DEFAULT_SAMPLING,
    DENSIFY_SPACE,
    SAMPLINGS,
    fill_map,
    fill_nan,
    query_grid,
    query_pixels,
    upsample,
)
from depthlm.inference.focal import (
    DEFAULT_HFOV_DEG,
    DefaultFocalWarning,
    resolve_camera,
)
from depthlm.inference.images import (  # noqa: F401 - re-exported
    IMAGE_SUFFIXES,
    ImageLike,
    as_image,
    camera_for,
    image_inputs,
    list_images,
    split_points,
)
from depthlm.models.contract import load_contract, resolve_spec
from depthlm.prompting.query import QuerySpec
from depthlm.utils.warn import warn_caller


class DepthLM:
    """A VLM behind a :class:`~depthlm.inference.base.Generator`, asked DepthLM questions."""

    #: Questions sent per ``generator.generate`` call. The questions of several images share a
    #: call (the backend batches them), but each question holds its own marked image, so the
    #: number alive at once is bounded; 256 is one default depth map.
    questions_per_call: int = 256

    def __init__(
        self,
        generator: Generator,
        spec: QuerySpec,
        tasks: Sequence[str] = (),
        *,
        estimate_focal: bool | None = None,
    ) -> None:
        self.generator = generator
        self.spec = spec
        #: Tasks the checkpoint was trained on (its ``depthlm.json``).
        self.tasks = tuple(tasks)
        #: Whether a photo with no focal and no EXIF gets the model's own field-of-view
        #: estimate instead of the 60° default (default: when trained on ``fov``).
        self.estimate_focal = "fov" in self.tasks if estimate_focal is None else estimate_focal

    @classmethod
    def from_pretrained(
        cls,
        model: str = "embedded",
        *,
        device: str | None = None,
        batch_size: int = 32,
        backend: Backend | None = None,
        samples: int = 1,
        temperature: float | None = None,
        beams: int = 1,
        **spec: Any,
    ) -> DepthLM:
        """``"embedded"`` (depthlm-tiny, shipped in the package), a local folder or ``hf:PATH``
        (Transformers), ``vllm:PATH`` (vLLM, GPU) or ``openai:MODEL`` (an OpenAI-compatible
        server; ``backend`` holds its URL and key variable).

        ``samples=N`` answers every question with the median of N sampled replies (at
        ``temperature``, default 0.7) instead of the greedy one: N times the decoding, a
        better answer for a model unsure of its digits (:mod:`depthlm.inference.consensus`).
        ``beams=K`` instead keeps the K likeliest replies of a beam search and answers the one
        whose δ1 hit is likeliest under their probabilities (local models only).

        The preprocessing contract comes from the checkpoint's ``depthlm.json``; ``spec``
        keywords (``focal``, ``preset``, ``marker``, ``fxfy``) override it, which is how an API
        model, having no checkpoint, is given its settings (default: the ``general`` preset).
        """
        folder = model_dir(model)
        if folder is None and parse_model(model)[0] == "openai":
            spec.setdefault("preset", "general")
        resolved = resolve_spec(folder, **spec)
        generator = load_generator(
            model,
            device=device,
            batch_size=batch_size,
            max_new_tokens=resolved.prompt.max_new_tokens,
            backend=backend,
            samples=samples,
            temperature=temperature,
            beams=beams,
        )
        contract = load_contract(folder) if folder is not None else {}
        tasks = list(contract.get("tasks") or {})
        # A checkpoint trained on fov whose estimates measured worse than the 60° default says
        # so in its contract ("focal_fallback": "default").
        estimate = "fov" in tasks and contract.get("focal_fallback", "estimate") == "estimate"
        return cls(generator, resolved, tasks, estimate_focal=estimate)

    def measure(
        self,
        image: ImageLike | Sequence[ImageLike],
        points: Any,
        *,
        intrinsics: Sequence[float] | None = None,
        focal: float | None = None,
        task: str = "distance",
        points_per_query: int = 1,
        **params: float,
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """Ask ``task`` about each ``[x, y]`` pixel (one question per point, or up to
        ``points_per_query`` numbered points per question with the ``multi_point`` task, for a
        model trained on it: :func:`depthlm.inference.multipoint.measure_many`).

        Returns ``{"metres": (N,) float array (NaN where unanswered), "text": raw answers,
        "confidence": (N,) in [0, 1] from the answer tokens' probabilities, or with
        ``samples > 1`` the samples' agreement, with ``beams > 1`` the chance of a δ1 hit
        (NaN where not asked or the backend cannot tell; see
        :func:`depthlm.inference.hf.answer_confidence`),
        "points": the pixels, "skipped": indices too close to the border to mark,
        "intrinsics": [fx, fy, cx, cy, w, h] of the input image, "focal": fx used,
        "focal_source": "intrinsics" | "focal" | "exif" | "estimated" | "default", "image": its
        path, or its
        index}``. For ``speed``/``time`` the values are m/s / seconds (pass ``T=`` / ``V=``).

        Given a list of images or a folder, returns one such dict per image, in order; the
        points are then shared (``[[x, y], ...]``) or per image (a list of point lists), and
        ``intrinsics``/``focal`` apply to every image (without them each image's EXIF is read).
        The questions of several images go to the generator together.
        """
        if points_per_query > 1:
            if task != "distance" or params:
                raise ValueError("points_per_query > 1 asks distances only (multi_point task)")
            from depthlm.inference.multipoint import measure_many

            return measure_many(
                self, image, points, k=points_per_query, intrinsics=intrinsics, focal=focal
            )
        items, batched = image_inputs(image)
        per_image = split_points(points, len(items))
        jobs = self._answer(items, lambda i, *_: per_image[i], intrinsics, focal, task, params)
        results = [job.result() for job in jobs]
        return results if batched else results[0]

    def depth_map(
        self,
        image: ImageLike | Sequence[ImageLike],
        *,
        intrinsics: Sequence[float] | None = None,
        focal: float | None = None,
        queries: int = 256,
        sampling: str = DEFAULT_SAMPLING,
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """Metric depth of the whole image from about ``queries`` questions.

        ``sampling="adaptive"`` asks a regular grid plus pixels in regions that image edges
        fence off from it, and fills the map edge-aware, a plane per surface
        (:mod:`depthlm.inference.densify`); ``"grid"`` asks a regular grid and upsamples it
        bilinearly (the former behaviour, blurring every boundary over a grid cell).

        Returns ``{"depth": H×W Euclidean metres, "points": H×W×3 camera-frame metres,
        "confidence": H×W in [0, 1] (the answers' confidence, filled in like the depth; NaN
        when the backend cannot tell), "grid": the queried pixels, "grid_metres": their
        answers, "grid_confidence", "sampling", "intrinsics": [...], "focal",
        "focal_source", "image"}`` (as :meth:`measure`). Unanswered queries are
        filled from their neighbours. A list of images or a folder gives a list of results;
        for many or large images prefer :meth:`iter_depth_maps`, which holds one at a time.
        """
        items, batched = image_inputs(image)
        maps = self._depth_maps(items, intrinsics, focal, queries, sampling)
        results = [r for r, _ in maps]
        return results if batched else results[0]

    def iter_depth_maps(
        self,
        images: ImageLike | Sequence[ImageLike],
        *,
        intrinsics: Sequence[float] | None = None,
        focal: float | None = None,
        queries: int = 256,
        sampling: str = DEFAULT_SAMPLING,
    ) -> Iterator[tuple[dict[str, Any], Image.Image]]:
        """:meth:`depth_map` of each image as soon as it is done, with the RGB image it was
        computed on (to colour point clouds), so a folder is never held in memory at once."""
        items = image_inputs(images)[0]
        return self._depth_maps(items, intrinsics, focal, queries, sampling)

    def _depth_maps(
        self,
        items: list[tuple[str | int, ImageLike]],
        intrinsics: Sequence[float] | None,
        focal: float | None,
        queries: int,
        sampling: str,
    ) -> Iterator[tuple[dict[str, Any], Image.Image]]:
        if queries < 1:
            raise ValueError(f"queries must be >= 1, got {queries}")
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")

        def where(_i: int, camera: Camera, image: Image.Image) -> np.ndarray:
            return query_pixels(np.asarray(image), queries, sampling, self.marker_margin(camera))[0]

        for job in self._answer(items, where, intrinsics, focal, "distance", {}):
            camera = job.camera
            rgb = np.asarray(job.image)
            shape = (
                query_grid(camera, queries, self.marker_margin(camera))[1]
                if sampling == "grid"
                else None
            )
            depth = fill_map(rgb, job.points, job.metres, shape)
            confidence = fill_map(rgb, job.points, job.confidence, shape, depth=False)
            ys, xs = np.mgrid[0 : camera.height, 0 : camera.width]
            pixels = np.stack([xs, ys], axis=-1).astype(np.float64)
            result = {
                "depth": depth,
                "points": camera.unproject(pixels, depth, "euclidean"),
                "confidence": confidence,
                "grid": job.points,
                "grid_metres": job.metres,
                "grid_confidence": job.confidence,
                "sampling": sampling,
                "intrinsics": camera.to_list(),
                "focal": camera.fx,
                "focal_source": job.source,
                "image": job.key,
            }
            yield result, job.image

    def _answer(
        self,
        items: Iterable[tuple[str | int, ImageLike]],
        points_for: PointsFor,
        intrinsics: Sequence[float] | None,
        focal: float | None,
        task: str,
        params: dict[str, float],
    ) -> Iterator[Answered]:
        """:func:`~depthlm.inference.asking.ask_images` with this model's generator, contract
        and camera resolution, at most :attr:`questions_per_call` questions per call."""

        def camera_of(
            pil: Image.Image, exif: str | Path | Image.Image | None
        ) -> tuple[Camera, str]:
            return self._camera(pil, intrinsics, focal, exif)

        return ask_images(
            self.generator, self.spec, items, points_for, camera_of, task, params,
            self.questions_per_call,
        )  # fmt: skip

    def _camera(
        self,
        pil: Image.Image,
        intrinsics: Sequence[float] | None,
        focal: float | None,
        exif_source: str | Path | Image.Image | None,
    ) -> tuple[Camera, str]:
        """:func:`resolve_camera`, except that a model trained on ``fov`` estimates the focal
        of a photo that has none (``focal_source="estimated"``) rather than assume 60°."""
        if not self.estimate_focal or intrinsics is not None or focal is not None:
            return resolve_camera(pil, intrinsics, focal, exif_source=exif_source)
        camera, source = resolve_camera(pil, None, None, exif_source=exif_source, warn=False)
        if source != "default":
            return camera, source
        from depthlm.inference.fov import estimate_focal

        f, _, text = estimate_focal(self, pil)
        w, h = pil.size
        if f is None or min(w, h) * self.spec_scale(f) < 1:
            warn_caller(
                f"the model's field of view ({text!r}) is unusable; assuming {DEFAULT_HFOV_DEG:g}°",
                DefaultFocalWarning,
            )
            return camera, source
        return Camera(f, f, w / 2, h / 2, w, h), "estimated"

    def spec_scale(self, focal: float) -> float:
        """How much focal normalisation scales an image whose focal is ``focal``."""
        return 1.0 if self.spec.focal is None else self.spec.focal / focal

    def marker_margin(self, camera: Camera) -> int:
        """How far from the border (input pixels) a point must be for this model to mark it."""
        return marker_margin(self.spec, camera)


def marker_margin(spec: QuerySpec, camera: Camera) -> int:
    """Marker margin in input pixels (the marker is drawn after focal normalisation), so
    every pixel chosen for a depth map can be marked."""
    from depthlm.prompting.markers import get_marker

    scale = 1.0 if spec.focal is None else spec.focal / camera.fx
    return math.ceil((get_marker(spec.marker).margin + 1) / max(scale, 1e-6))
