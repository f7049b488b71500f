"""A real uvicorn server on a free port, in a thread, for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
import uvicorn

from depthlm.inference.base import ChatQuery, Generation
from depthlm.inference.depthlm import DepthLM
from depthlm.prompting.query import QuerySpec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    app, *, ready: bool = True, timeout: float = 60.0
) -> Iterator[tuple[str, uvicorn.Server]]:
    """``(base_url, server)`` while ``app`` serves on 127.0.0.1; waits for ``/health`` 200."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=30
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            health = httpx.get(f"{base}/health", timeout=2)
            if health.json().get("status", "").startswith("error"):
                server.should_exit = True
                raise RuntimeError(f"server on {base}: {health.json()['status']}")
            ok = health.status_code == 200
            if server.started and (ok or not ready):
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"server on {base} not ready after {timeout} s")
        time.sleep(0.05)
    try:
        yield base, server
    finally:
        server.should_exit = True
        thread.join(30)


class FakeGenerator:
    """Answers ``answer`` after ``delay`` seconds per call; records each call's size."""

    name = "fake"

    def __init__(self, answer: str = "2.5", delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.calls: list[int] = []

    def generate_detailed(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        self.calls.append(len(queries))
        time.sleep(self.delay)
        return [Generation(self.answer, confidence=0.5) for _ in queries]

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        return [g.text for g in self.generate_detailed(queries)]


def fake_model(answer: str = "2.5", delay: float = 0.0) -> tuple[DepthLM, FakeGenerator]:
    gen = FakeGenerator(answer, delay)
    return DepthLM(gen, QuerySpec(focal=None, preset="compact")), gen
