"""Dynamic batching: the questions of concurrent requests share one model call.

Request threads hand their questions to :class:`Batcher` and wait; one worker thread takes
the oldest waiting request, lets others join for at most ``max_wait_ms`` or until
``max_batch`` questions, runs one ``generate_detailed`` call and hands each request its
answers. :class:`BatchingGenerator` puts this behind the :class:`Generator` protocol, so
``DepthLM.measure``/``depth_map`` batch across requests without knowing it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from depthlm.inference.base import ChatQuery, Generation, Generator, generate_detailed
from depthlm.serving.metrics import Metrics


@dataclass
class _Item:
    queries: Sequence[ChatQuery]
    future: Future = field(default_factory=Future)


class Batcher:
    """One worker thread feeding ``generator`` with batches of waiting requests."""

    def __init__(
        self,
        generator: Generator,
        *,
        max_batch: int = 64,
        max_wait_ms: float = 10.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.generator = generator
        self.max_batch = max(1, int(max_batch))
        self.max_wait = max(0.0, float(max_wait_ms)) / 1000.0
        self.metrics = metrics
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="depthlm-batcher", daemon=True)
        self._thread.start()

    def submit(self, queries: Sequence[ChatQuery]) -> Future:
        """A future of ``list[Generation]`` for ``queries`` (one request's questions)."""
        item = _Item(list(queries))
        if not item.queries:
            item.future.set_result([])
            return item.future
        self._queue.put(item)
        self._gauge()
        return item.future

    def close(self, timeout: float | None = None) -> None:
        """Answer everything already submitted, then stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _gauge(self) -> None:
        if self.metrics is not None:
            self.metrics.queue_depth.set(self._queue.qsize())

    def _take(self, first: _Item) -> tuple[list[_Item], _Item | None, bool]:
        """``first`` and the requests that join it within ``max_wait`` and ``max_batch``:
        ``(batch, carry, stop)`` — ``carry`` is a request that did not fit (it starts the next
        call), ``stop`` whether the stop sentinel arrived."""
        batch, size = [first], len(first.queries)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_batch:
            left = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, None, True
            if size + len(item.queries) > self.max_batch:
                return batch, item, False
            batch.append(item)
            size += len(item.queries)
        return batch, None, False

    def _run(self) -> None:
        carry: _Item | None = None
        while True:
            first = carry if carry is not None else self._queue.get()
            if first is None:
                return
            batch, carry, stop = self._take(first)
            self._run_batch(batch)
            if stop:
                # Drain what arrived before the sentinel's successors (none should).
                while not self._queue.empty():
                    item = self._queue.get_nowait()
                    if item is not None:
                        self._run_batch([item])
                return

    def _run_batch(self, batch: list[_Item]) -> None:
        live = [it for it in batch if it.future.set_running_or_notify_cancel()]
        self._gauge()
        if not live:
            return
        queries = [q for it in live for q in it.queries]
        t0 = time.perf_counter()
        try:
            answers = generate_detailed(self.generator, queries)
        except BaseException as exc:  # every waiting request must hear of it
            for it in live:
                it.future.set_exception(exc)
            return
        if self.metrics is not None:
            self.metrics.model_seconds.observe(time.perf_counter() - t0)
            self.metrics.batch_questions.observe(len(queries))
            self.metrics.batch_requests.observe(len(live))
        start = 0
        for it in live:
            it.future.set_result(answers[start : start + len(it.queries)])
            start += len(it.queries)


class BatchingGenerator:
    """A :class:`Generator` whose calls go through a :class:`Batcher` (and wait for it)."""

    def __init__(self, batcher: Batcher, timeout_s: float) -> None:
        self.batcher = batcher
        self.timeout_s = timeout_s
        self.name = getattr(batcher.generator, "name", "batched")

    def generate_detailed(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        future = self.batcher.submit(queries)
        try:
            return future.result(timeout=self.timeout_s)
        except TimeoutError:
            future.cancel()  # still queued: never computed
            raise

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        return [g.text for g in self.generate_detailed(queries)]
