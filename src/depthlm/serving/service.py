"""What the routes do, without HTTP: load the model, admit or refuse work, and turn checked
requests into DepthLM calls and JSON. Handlers run in a thread pool of our own so a request's
timeout can abandon its wait (the model call it joined still finishes for the others)."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from depthlm.inference.base import generate_detailed
from depthlm.inference.depthlm import DepthLM
from depthlm.inference.focal import DefaultFocalWarning, resolve_camera
from depthlm.serving import schemas
from depthlm.serving.batcher import Batcher, BatchingGenerator
from depthlm.serving.chat import chat_query
from depthlm.serving.config import ServeConfig
from depthlm.serving.errors import ServeError
from depthlm.serving.images import load_request_image
from depthlm.serving.metrics import Metrics
from depthlm.serving.payloads import depth_payload
from depthlm.tasks import get_task

log = logging.getLogger("depthlm.serve")
T = TypeVar("T")


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
        """Load the model in the background: ``/health`` says ``loading`` until it is up.

        Every answer reports its ``focal_source``, so the 60° default's warning is silenced
        once for the process here: ``warnings.catch_warnings`` around each request is not
        thread-safe, and requests run in threads."""
        warnings.filterwarnings("ignore", category=DefaultFocalWarning)
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
                    c.model,
                    device=c.device,
                    batch_size=c.batch_size,
                    backend=backend,
                    samples=c.samples,
                    temperature=c.temperature,
                    beams=c.beams,
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
    def _image(self, req: schemas.MeasureRequest | schemas.DepthRequest) -> Image.Image:
        """The request's image, decoded and checked, with its focal or intrinsics checked
        against it (a 400 naming the field, before any question is built)."""
        image = load_request_image(req.image, self.config)
        try:
            resolve_camera(image, req.intrinsics, req.focal, warn=False)
        except ValueError as exc:
            param = "intrinsics" if req.intrinsics is not None else "focal"
            raise ServeError(400, str(exc), param=param) from None
        return image

    def measure(self, req: schemas.MeasureRequest) -> dict[str, Any]:
        assert self.model is not None
        self.check_model(req.model)
        self._check_measure(req)
        image = self._image(req)
        _check_points(req.points, *image.size)
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

    def _check_measure(self, req: schemas.MeasureRequest) -> None:
        """A 400 naming the field for a task, params or point count the request cannot have."""
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

    def depth(self, req: schemas.DepthRequest) -> dict[str, Any]:
        assert self.model is not None
        self.check_model(req.model)
        if req.queries > self.config.max_queries:
            raise ServeError(
                400,
                f"{req.queries} queries; at most {self.config.max_queries} per request",
                param="queries",
            )
        image = self._image(req)
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


def _check_points(points: list[schemas.Point], w: int, h: int) -> None:
    """A 400 naming the first point outside the ``w``×``h`` image."""
    for i, (x, y) in enumerate(points):
        if not (0 <= x < w and 0 <= y < h):
            raise ServeError(
                400,
                f"points[{i}] = [{x}, {y}] is outside the {w}x{h} image "
                f"(x in 0..{w - 1}, y in 0..{h - 1})",
                param=f"points.{i}",
                code="point_outside_image",
            )
