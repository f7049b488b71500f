"""The gate every request passes before a route sees it (plain ASGI, so streaming and
error responses behave): a byte limit on the body, the API key, and the request metrics.

The key is compared in constant time and never logged. Browsers cannot attach a bearer token
to a page load, so the page and its files also accept HTTP Basic credentials whose password is
the key: the browser asks once and then sends them with the page's own API calls.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from depthlm.serving.errors import error_body
from depthlm.serving.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Routes open without the key (a load balancer's probe).
PUBLIC = frozenset({"/health"})
#: Routes a person opens in a browser: their 401 asks for Basic credentials.
PAGES = ("/", "/static/")
#: Metric label per route, so a scan of random paths cannot grow the label set.
ROUTES = (
    "/health",
    "/metrics",
    "/v1/models",
    "/v1/chat/completions",
    "/v1/measure",
    "/v1/depth",
    "/openapi.json",
    "/docs",
    "/static/",
    "/",
)


def route_label(path: str) -> str:
    for r in ROUTES:
        if path == r or (r.endswith("/") and r != "/" and path.startswith(r)):
            return r
    if path.startswith("/v1/models/"):
        return "/v1/models"
    return "other"


async def _reply(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class Gate:
    """ASGI middleware: body limit, API key, metrics."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, api_key: str | None, metrics: Metrics
    ) -> None:
        self.app = app
        self.max_body = max_body
        self._key = api_key.encode() if api_key else None
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        label = route_label(path)
        status_box = {"status": 500}
        t0 = time.perf_counter()

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = int(message["status"])
            await send(message)

        try:
            await self._handle(scope, receive, send_counted, path)
        finally:
            self.metrics.requests.labels(label, str(status_box["status"])).inc()
            self.metrics.latency.labels(label).observe(time.perf_counter() - t0)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        if self._key is not None and path not in PUBLIC and not self._authorised(scope):
            page = path == "/" or path.startswith("/static/")
            challenge = 'Basic realm="depthlm"' if page else 'Bearer realm="depthlm"'
            await _reply(
                send,
                401,
                error_body(
                    401,
                    "missing or wrong API key (send 'Authorization: Bearer <key>')",
                    code="invalid_api_key",
                ),
                {"WWW-Authenticate": challenge},
            )
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body
            except ValueError:
                await _reply(send, 400, error_body(400, "malformed Content-Length header"))
                return
            if too_big:
                await self._too_large(send)
                return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # Read the body here, up to the limit (chunked uploads declare no length), then replay.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        body = error_body(413, f"request body over {self.max_body} bytes", code="body_too_large")
        await _reply(send, 413, body)

    def _authorised(self, scope: Scope) -> bool:
        assert self._key is not None
        auth = b""
        for k, v in scope.get("headers") or []:
            if k == b"authorization":
                auth = v
                break
        scheme, _, value = auth.partition(b" ")
        scheme = scheme.lower()
        if scheme == b"bearer":
            return hmac.compare_digest(value.strip(), self._key)
        if scheme == b"basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(decoded.partition(b":")[2], self._key)
        return False
