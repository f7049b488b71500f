"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It records every request (path, headers, JSON body, red marker pixels seen) and answers like a
depth model that only looks for the marker: ``"3.5"`` when an image holds pure red (255, 0, 0)
pixels, ``"no marker"`` otherwise, with a ``usage`` block. It can be scripted to fail the next
requests with 429/5xx, to stall longer than the client's timeout, to demand a key, or to reject
``max_tokens`` like OpenAI's reasoning models do.

Use :class:`FakeOpenAI` as a context manager or the ``fake_openai`` fixture (import
:func:`fake_openai_fixture` into a test module).
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
from PIL import Image

RED = (255, 0, 0)
PNG_PREFIX = "data:image/png;base64,"


def decode_data_url(url: str) -> Image.Image:
    """The image inside a ``data:image/...;base64,`` URL."""
    _, _, payload = url.partition(",")
    return Image.open(io.BytesIO(base64.b64decode(payload)))


def red_pixels(image: Image.Image) -> int:
    """How many pixels are exactly pure red."""
    arr = np.asarray(image.convert("RGB"))
    return int(np.all(arr == np.array(RED, dtype=np.uint8), axis=-1).sum())


def image_urls(body: dict[str, Any]) -> list[str]:
    """Every image URL in a chat-completions request body, in order."""
    urls = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            urls += [p["image_url"]["url"] for p in content if p.get("type") == "image_url"]
    return urls


def user_text(body: dict[str, Any]) -> str:
    """The text parts of the last user turn."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1]["content"] if users else ""
    if isinstance(content, str):
        return content
    return " ".join(p["text"] for p in content if p.get("type") == "text")


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    red: list[int] = field(default_factory=list)  # red pixels per image
    status: int = 200
    stalled: bool = False  # held past the client's timeout (its answer went nowhere)


class FakeOpenAI:
    """The server. Script it through the attributes / methods below before (or between) calls.

    ``reply``: optional ``body -> str`` replacing the marker-detecting answer (a list of
    strings: one choice each, as a request with ``n`` gets). ``delay``:
    optional ``body -> seconds`` to sleep before answering (to shuffle completion order).
    ``api_key``: when set, other keys get a 401 whose message echoes the key sent (as some
    servers do), so tests can check the client scrubs it.
    """

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.reply: Callable[[dict[str, Any]], str | list[str]] | None = None
        self.delay: Callable[[dict[str, Any]], float] | None = None
        self.api_key: str | None = None
        self.reject_max_tokens = False
        self.usage = {"prompt_tokens": 100, "completion_tokens": 5}
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._stalls: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 429, retry_after: str | None = "0") -> None:
        """Answer the next ``n`` requests with ``status`` (429 carries ``Retry-After``)."""
        headers = {"Retry-After": retry_after} if retry_after is not None and status == 429 else {}
        with self._lock:
            self._failures += [(status, headers)] * n

    def stall_next(self, seconds: float, n: int = 1) -> None:
        """Sleep ``seconds`` before answering the next ``n`` requests (past a client timeout)."""
        with self._lock:
            self._stalls += [seconds] * n

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The ``--api-base`` of this server."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def answered(self) -> list[Seen]:
        """Requests that got a normal answer the client could read."""
        return [r for r in self.requests if r.status == 200 and not r.stalled]

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wake stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- handling ------------------------------------------------------------------------------

    def _send(self, h: BaseHTTPRequestHandler, status: int, obj: Any, headers: dict) -> None:
        data = json.dumps(obj).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    @staticmethod
    def _error(message: str, type_: str, code: str | None = None) -> dict[str, Any]:
        return {"error": {"message": message, "type": type_, "param": None, "code": code}}

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length", 0))
        raw = h.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        seen = Seen(path=h.path, headers={k.lower(): v for k, v in h.headers.items()}, body=body)
        with self._lock:
            self.requests.append(seen)
            failure = self._failures.pop(0) if self._failures else None
            stall = self._stalls.pop(0) if self._stalls else None
        if h.path.rstrip("/") != "/v1/chat/completions":
            seen.status = 404
            self._send(h, 404, self._error(f"no route {h.path}", "not_found"), {})
            return
        if self.api_key is not None:
            sent = seen.headers.get("authorization", "").removeprefix("Bearer ")
            if sent != self.api_key:
                seen.status = 401
                msg = f"Incorrect API key provided: {sent}."
                self._send(h, 401, self._error(msg, "invalid_request_error", "invalid_api_key"), {})
                return
        if failure is not None:
            status, headers = failure
            seen.status = status
            kind = "rate_limit_exceeded" if status == 429 else "server_error"
            self._send(h, status, self._error(f"scripted {status}", kind), headers)
            return
        if stall is not None:
            seen.stalled = True
            if self._stop.wait(stall):
                return
        if self.reject_max_tokens and "max_tokens" in body:
            seen.status = 400
            msg = (
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            )
            self._send(h, 400, self._error(msg, "invalid_request_error", "unsupported"), {})
            return
        seen.red = [red_pixels(decode_data_url(u)) for u in image_urls(body)]
        if self.delay is not None:
            self._stop.wait(self.delay(body))
        if self.reply is not None:
            text = self.reply(body)
        else:
            text = "3.5" if any(seen.red) else "no marker"
        texts = text if isinstance(text, list) else [text]
        self._send(
            h,
            200,
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": i,
                        "message": {"role": "assistant", "content": t},
                        "finish_reason": "stop",
                    }
                    for i, t in enumerate(texts)
                ],
                "usage": {
                    **self.usage,
                    "total_tokens": self.usage["prompt_tokens"] + self.usage["completion_tokens"],
                },
            },
            {},
        )


@pytest.fixture(name="fake_openai")
def fake_openai_fixture() -> Iterator[FakeOpenAI]:
    """A running :class:`FakeOpenAI`, stopped after the test."""
    with FakeOpenAI() as server:
        yield server
