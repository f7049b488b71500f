"""What the routes do, without HTTP: load the model, admit or refuse work, and turn checked
requests into DepthLM calls and JSON. Handlers run in a thread pool of our own so a request's
timeout can abandon its wait (the model call it joined still finishes for the others)."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import math
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from depthlm.inference.base import ChatQuery, generate_detailed
from depthlm.inference.depthlm import DepthLM
from depthlm.inference.focal import DefaultFocalWarning, resolve_camera
from depthlm.serving import schemas
from depthlm.serving.batcher import Batcher, BatchingGenerator
from depthlm.serving.config import ServeConfig
from depthlm.serving.errors import ServeError
from depthlm.serving.images import load_request_image
from depthlm.serving.metrics import Metrics
from depthlm.tasks import get_task

log = logging.getLogger("depthlm.serve")
T = TypeVar("T")

#: Points kept for the page's 3D view (the PLY has them all).
CLOUD_POINTS = 20_000
#: Images per chat request (DepthLM's pose question has two).
MAX_CHAT_IMAGES = 8


def _measure_tasks() -> list[str]:
    from depthlm.tasks import ALL_TASKS

    return sorted(n for n, cls in ALL_TASKS.items() if cls.n_points == 1 and cls.n_views == 1)


class Service:
    """The model behind a batcher, and the admission count that bounds the queue."""

    def __init__(self, config: ServeConfig, metrics: Metrics, model: DepthLM | None = None):
        self.config = config
        self.metrics = metrics
        self.model: DepthLM | None = None
        self.batcher: Batcher | None = None
        self.error: str | None = None
        self._given = model
        self._ready = threading.Event()
        self._admitted = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=config.queue_size + 2, thread_name_prefix="depthlm-request"
        )

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Load the model in the background: ``/health`` says ``loading`` until it is up."""
        threading.Thread(target=self._load, name="depthlm-load", daemon=True).start()

    def _load(self) -> None:
        try:
            model = self._given
            if model is None:
                from depthlm.inference.backends import Backend

                c = self.config
                backend = Backend(
                    api_base=c.upstream_api_base,
                    api_key_env=c.upstream_api_key_env,
                    timeout=c.timeout_s,
                    tensor_parallel_size=c.tensor_parallel_size,
                )
                model = DepthLM.from_pretrained(
                    c.model, device=c.device, batch_size=c.batch_size, backend=backend
                )
            self.batcher = Batcher(
                model.generator,
                max_batch=self.config.max_batch,
                max_wait_ms=self.config.max_wait_ms,
                metrics=self.metrics,
            )
            self.model = DepthLM(BatchingGenerator(self.batcher, self.config.timeout_s), model.spec)
            self._ready.set()
            self.metrics.ready.set(1)
            log.info("model %s loaded", self.config.model_id)
        except Exception as exc:  # reported by /health, the server stays up
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("could not load model %s: %s", self.config.model, self.error)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def close(self) -> None:
        """After the HTTP server has finished its in-flight requests: stop the worker."""
        if self.batcher is not None:
            self.batcher.close(timeout=self.config.timeout_s)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ admission
    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the request pool if the queue has room (else 429) within the
        request timeout (else 504)."""
        if not self.ready:
            raise ServeError(
                503,
                "model is still loading"
                if self.error is None
                else f"model failed to load: {self.error}",
                headers={"Retry-After": "5"},
            )
        with self._lock:
            if self._admitted >= self.config.queue_size:
                self.metrics.rejected.labels("queue_full").inc()
                raise ServeError(
                    429,
                    f"server busy: {self._admitted} requests queued (limit "
                    f"{self.config.queue_size}); retry shortly",
                    code="queue_full",
                    headers={"Retry-After": "1"},
                )
            self._admitted += 1
            self.metrics.in_flight.set(self._admitted)
        try:
            loop = asyncio.get_running_loop()
            return await asyncio.wait_for(
                loop.run_in_executor(self._pool, fn), self.config.timeout_s
            )
        except TimeoutError:
            self.metrics.rejected.labels("timeout").inc()
            raise ServeError(
                504, f"no answer within {self.config.timeout_s:g} s", code="timeout"
            ) from None
        finally:
            with self._lock:
                self._admitted -= 1
                self.metrics.in_flight.set(self._admitted)

    def check_model(self, name: str | None) -> None:
        if name is not None and name != self.config.model_id:
            raise ServeError(
                404,
                f"model {name!r} is not served here; this server serves {self.config.model_id!r}",
                param="model",
                code="model_not_found",
            )

    # ------------------------------------------------------------------ routes' work
    def _camera(self, image: Image.Image, req: schemas.CameraFields) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DefaultFocalWarning)
                resolve_camera(image, req.intrinsics, req.focal)
        except ValueError as exc:
            param = "intrinsics" if req.intrinsics is not None else "focal"
            raise ServeError(400, str(exc), param=param) from None

    def measure(self, req: schemas.MeasureRequest) -> dict[str, Any]:
        assert self.model is not None
        self.check_model(req.model)
        choices = _measure_tasks()
        if req.task not in choices:
            raise ServeError(
                400,
                f"unknown task {req.task!r} for /v1/measure; choose from {', '.join(choices)}",
                param="task",
                code="unknown_task",
            )
        needed = sorted(get_task(req.task).params(np.random.default_rng(0)))
        missing = [k for k in needed if k not in req.params]
        if missing:
            raise ServeError(
                400,
                f"task {req.task!r} needs params {missing} (T: seconds for speed, V: m/s for time)",
                param="params",
            )
        unknown = sorted(set(req.params) - set(needed))
        if unknown:
            raise ServeError(400, f"task {req.task!r} takes no params {unknown}", param="params")
        if len(req.points) > self.config.max_points:
            raise ServeError(
                400,
                f"{len(req.points)} points; at most {self.config.max_points} per request",
                param="points",
            )
        image = load_request_image(req.image, self.config)
        self._camera(image, req)
        w, h = image.size
        for i, (x, y) in enumerate(req.points):
            if not (0 <= x < w and 0 <= y < h):
                raise ServeError(
                    400,
                    f"points[{i}] = [{x}, {y}] is outside the {w}x{h} image "
                    f"(x in 0..{w - 1}, y in 0..{h - 1})",
                    param=f"points.{i}",
                    code="point_outside_image",
                )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DefaultFocalWarning)
            out = self.model.measure(
                image,
                req.points,
                intrinsics=req.intrinsics,
                focal=req.focal,
                task=req.task,
                **req.params,
            )
        assert isinstance(out, dict)
        skipped = set(out["skipped"])
        answers = []
        for i, p in enumerate(out["points"].tolist()):
            m, c = float(out["metres"][i]), float(out["confidence"][i])
            answers.append(
                {
                    "point": p,
                    "metres": m if math.isfinite(m) else None,
                    "text": out["text"][i],
                    "confidence": c if math.isfinite(c) else None,
                    "skipped": i in skipped,
                }
            )
        return {
            "answers": answers,
            "intrinsics": [float(v) for v in out["intrinsics"]],
            "focal": float(out["focal"]),
            "focal_source": out["focal_source"],
            "task": req.task,
            "model": self.config.model_id,
        }

    def depth(self, req: schemas.DepthRequest) -> dict[str, Any]:
        assert self.model is not None
        self.check_model(req.model)
        if req.queries > self.config.max_queries:
            raise ServeError(
                400,
                f"{req.queries} queries; at most {self.config.max_queries} per request",
                param="queries",
            )
        image = load_request_image(req.image, self.config)
        self._camera(image, req)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DefaultFocalWarning)
            result = self.model.depth_map(
                image,
                intrinsics=req.intrinsics,
                focal=req.focal,
                queries=req.queries,
                sampling=req.sampling,
            )
        assert isinstance(result, dict)
        return depth_payload(result, image, req.queries, self.config.model_id)

    def chat(self, req: schemas.ChatRequest) -> dict[str, Any]:
        assert self.model is not None
        self.check_model(req.model)
        if (req.n or 1) != 1:
            raise ServeError(400, "n must be 1 (decoding is greedy)", param="n")
        query = chat_query(req, self.config)
        gen = generate_detailed(self.model.generator, [query])[0]
        prompt, completion = gen.prompt_tokens or 0, gen.completion_tokens or 0
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.config.model_id,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": gen.text},
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }


def chat_query(req: schemas.ChatRequest, config: ServeConfig) -> ChatQuery:
    """One single-turn :class:`ChatQuery`: system/developer text, then the user turns' images
    and text. Images are used as sent: a client asking DepthLM questions draws the marker and
    normalises the focal itself (as ``depthlm eval --model openai:...`` does)."""
    system: list[str] = []
    texts: list[str] = []
    images: list[Image.Image] = []
    for i, msg in enumerate(req.messages):
        if msg.role == "assistant":
            raise ServeError(
                400,
                "only single-turn chats are supported (no assistant turns)",
                param=f"messages.{i}.role",
            )
        parts = msg.content if isinstance(msg.content, list) else [msg.content]
        for j, part in enumerate(parts):
            if part is None:
                continue
            if isinstance(part, str):
                (system if msg.role in ("system", "developer") else texts).append(part)
            elif isinstance(part, schemas.TextPart):
                (system if msg.role in ("system", "developer") else texts).append(part.text)
            else:
                if msg.role != "user":
                    raise ServeError(
                        400, "images belong in user messages", param=f"messages.{i}.content.{j}"
                    )
                if len(images) >= MAX_CHAT_IMAGES:
                    raise ServeError(
                        400,
                        f"at most {MAX_CHAT_IMAGES} images per request",
                        param=f"messages.{i}.content.{j}",
                    )
                images.append(
                    load_request_image(
                        part.image_url.url, config, param=f"messages.{i}.content.{j}.image_url.url"
                    )
                )
    if not texts and not images:
        raise ServeError(400, "no user content to answer", param="messages")
    return ChatQuery(images=images, text="\n".join(texts), system="\n".join(system) or None)


def depth_payload(
    result: dict[str, Any], image: Image.Image, queries: int, model: str
) -> dict[str, Any]:
    """``/v1/depth``'s JSON: the files ``depthlm depth`` writes, base64, plus what the page
    draws (a colour overlay, its range, a subsampled cloud)."""
    from depthlm.geometry.camera import Camera
    from depthlm.inference.outputs import write_depth_outputs, z_depth
    from depthlm.inference.pointcloud import read_ply

    fx, fy, cx, cy, w, h = (float(v) for v in result["intrinsics"])
    camera = Camera(fx, fy, cx, cy, int(w), int(h))
    z = z_depth(result, camera)
    with tempfile.TemporaryDirectory(prefix="depthlm-serve-") as tmp:
        paths = write_depth_outputs(result, image, tmp)
        files = {k: Path(p).read_bytes() for k, p in paths.items()}
        xyz, rgb = read_ply(paths["points"])
    colour, lo, hi = colourise(z)
    if len(xyz) > CLOUD_POINTS:  # a random subset: a stride would keep whole columns (stripes)
        keep = np.sort(np.random.default_rng(0).choice(len(xyz), CLOUD_POINTS, replace=False))
        xyz, rgb = xyz[keep], (rgb[keep] if rgb is not None else None)
    if rgb is None:
        rgb = np.zeros_like(xyz, np.uint8)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return {
        "width": int(w),
        "height": int(h),
        "intrinsics": [fx, fy, cx, cy, w, h],
        "focal": fx,
        "focal_source": str(result.get("focal_source", "")),
        "depth_range": [lo, hi],
        "colour_png": b64(colour),
        "depth_png": b64(files["depth_png"]),
        "depth_npy": b64(files["depth"]),
        "ply": b64(files["points"]),
        "glb": b64(files["scene"]),
        "cloud": {
            "xyz": np.round(xyz.astype(np.float64), 4).ravel().tolist(),
            "rgb": np.asarray(rgb, dtype=np.int64).ravel().tolist(),
        },
        "queries": queries,
        "model": model,
    }


def colourise(z: np.ndarray) -> tuple[bytes, float, float]:
    """RGBA PNG of ``z`` in turbo over its 1st–99th percentile (transparent where none)."""
    from matplotlib import colormaps

    finite = z[np.isfinite(z)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    lo, hi = float(lo), float(hi)
    if hi - lo < 1e-3:
        lo, hi = lo - 0.05 * max(lo, 1.0), hi + 0.05 * max(hi, 1.0)
    t = np.clip((np.nan_to_num(z, nan=lo) - lo) / (hi - lo), 0, 1)
    rgba = (colormaps["turbo"](t) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(np.isfinite(z), 255, 0)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue(), round(lo, 4), round(hi, 4)
