"""The batcher's bound: requests join a call up to ``max_batch`` questions; one that does not
fit starts the next call; everything submitted before ``close`` is answered."""

from __future__ import annotations

from depthlm.inference.base import ChatQuery
from depthlm.serving.batcher import Batcher
from tests.serving.live import FakeGenerator


def _queries(n: int) -> list[ChatQuery]:
    return [ChatQuery(images=[], text=f"q{i}") for i in range(n)]


def _calls(sizes: list[int], max_batch: int) -> list[int]:
    gen = FakeGenerator(delay=0.05)
    batcher = Batcher(gen, max_batch=max_batch, max_wait_ms=300)
    blocker = batcher.submit(_queries(max_batch))  # a full call: the rest queue up meanwhile
    futures = [batcher.submit(_queries(n)) for n in sizes]
    batcher.close(timeout=10)
    assert blocker.result(0) and all(
        len(f.result(0)) == n for f, n in zip(futures, sizes, strict=True)
    )
    return gen.calls[1:]


def test_requests_share_a_call_up_to_the_bound() -> None:
    assert _calls([1, 1, 1, 1, 1], max_batch=4) == [4, 1]


def test_a_request_that_does_not_fit_starts_the_next_call() -> None:
    assert _calls([3, 3, 3], max_batch=4) == [3, 3, 3]
    assert _calls([2, 3, 1], max_batch=4) == [2, 4]
