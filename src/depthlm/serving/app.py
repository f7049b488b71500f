"""The ASGI app of ``depthlm serve``: OpenAI-compatible chat completions, DepthLM's own
``/v1/measure`` and ``/v1/depth``, health, metrics and the click-to-measure page.

>>> app = create_app(ServeConfig(model="embedded"))          # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=8000)             # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from depthlm import __version__
from depthlm.inference.depthlm import DepthLM
from depthlm.serving import schemas
from depthlm.serving.config import ServeConfig
from depthlm.serving.errors import HANDLERS
from depthlm.serving.metrics import Metrics
from depthlm.serving.middleware import Gate
from depthlm.serving.schemas import ErrorBody
from depthlm.serving.service import Service

STATIC = Path(__file__).parent / "static"
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "bad input (the message names the field)",
        401: "missing or wrong API key",
        404: "unknown model",
        413: "body or image too large",
        429: "queue full (see Retry-After)",
        503: "model loading",
        504: "timed out",
    }.items()
}


def create_app(config: ServeConfig | None = None, *, model: DepthLM | None = None) -> Gate:
    """The server for ``config`` (``model``: an already loaded :class:`DepthLM`, e.g. with a
    fake generator in tests; otherwise ``config.model`` is loaded in the background)."""
    config = config or ServeConfig()
    metrics = Metrics()
    service = Service(config, metrics, model)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        yield
        service.close()  # uvicorn has answered every in-flight request by now

    app = FastAPI(
        title="depthlm",
        version=__version__,
        lifespan=lifespan,
        description="Metric distances from a vision-language model: OpenAI-compatible "
        "chat completions plus DepthLM's measure and depth routes.",
        responses=_ERRORS,
    )
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)
    app.state.service = service
    app.state.metrics = metrics

    @app.get("/health", response_model=schemas.Health, tags=["ops"])
    def health() -> JSONResponse:
        """200 once the model is loaded and serving; 503 while loading or if it failed."""
        if service.ready:
            return JSONResponse({"status": "ok", "model": config.model_id})
        status = "loading" if service.error is None else f"error: {service.error}"
        return JSONResponse({"status": status, "model": config.model_id}, 503)

    @app.get("/metrics", tags=["ops"], response_class=Response)
    def prometheus() -> Response:
        """Prometheus text format."""
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/v1/models", response_model=schemas.ModelList, tags=["openai"])
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [_card(config)]}

    @app.get("/v1/models/{model_id}", response_model=schemas.ModelCard, tags=["openai"])
    def model_card(model_id: str) -> dict[str, Any]:
        service.check_model(model_id)
        return _card(config)

    @app.post("/v1/chat/completions", response_model=schemas.ChatResponse, tags=["openai"])
    async def chat(req: schemas.ChatRequest) -> Any:
        """OpenAI chat completions: images as base64 data URLs in user messages, greedy
        decoding; ``stream: true`` sends the answer as one chunk."""
        out = await service.run(lambda: service.chat(req))
        if req.stream:
            return StreamingResponse(_stream(out), media_type="text/event-stream")
        return out

    @app.post("/v1/measure", response_model=schemas.MeasureResponse, tags=["depthlm"])
    async def measure(req: schemas.MeasureRequest) -> dict[str, Any]:
        """Ask the model about each pixel (one marked question per point)."""
        return await service.run(lambda: service.measure(req))

    @app.post("/v1/depth", response_model=schemas.DepthResponse, tags=["depthlm"])
    async def depth(req: schemas.DepthRequest) -> dict[str, Any]:
        """A dense metric depth map from ``queries`` questions, with its PNG, NPY and PLY."""
        return await service.run(lambda: service.depth(req))

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    gate = Gate(app, max_body=config.max_body_bytes, api_key=config.api_key(), metrics=metrics)
    gate.state = app.state  # type: ignore[attr-defined]  # tests reach the service through it
    gate.fastapi = app  # type: ignore[attr-defined]
    return gate


def _card(config: ServeConfig) -> dict[str, Any]:
    return {
        "id": config.model_id,
        "object": "model",
        "created": int(time.time()),
        "owned_by": "depthlm",
    }


async def _stream(out: dict[str, Any]) -> AsyncIterator[bytes]:
    """The completion as OpenAI's server-sent events: a role chunk, the content, the end."""
    base = {
        "id": out["id"],
        "object": "chat.completion.chunk",
        "created": out["created"],
        "model": out["model"],
    }
    text = out["choices"][0]["message"]["content"]
    for delta, finish in (
        ({"role": "assistant", "content": ""}, None),
        ({"content": text}, None),
        ({}, "stop"),
    ):
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        yield f"data: {json.dumps(chunk)}\n\n".encode()
        await asyncio.sleep(0)
    yield b"data: [DONE]\n\n"


__all__ = ["ServeConfig", "create_app"]
