"""What every text-generating backend (local Transformers, vLLM, an OpenAI-compatible API)
implements, so evaluation, the inference object and the server do not care which one runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from depthlm.prompting.query import ChatQuery

__all__ = ["BackendError", "ChatQuery", "Generation", "Generator", "generate_detailed"]


class BackendError(RuntimeError):
    """A backend refused or kept failing (bad key, unknown model, retries exhausted): the
    user's to fix, so the CLI prints it as one line instead of a traceback."""


@runtime_checkable
class Generator(Protocol):
    """A batched text generator over :class:`ChatQuery` objects: greedy, or the consensus of
    ``samples`` sampled replies when a backend is built with ``samples > 1``."""

    name: str

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        """Return one decoded answer (special tokens stripped) per query, in order."""
        ...


@dataclass
class Generation:
    """One answer with what it cost, for per-sample evaluation records.

    ``latency_s`` is the wall time of the call that produced it (a batch's time is shared
    equally by its queries); token counts, ``seen_size`` (the ``[w, h]`` the model saw, when a
    provider reports it) and ``confidence`` are ``None`` when the backend cannot tell."""

    text: str
    latency_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seen_size: list[int] | None = None
    confidence: float | None = None  # in [0, 1], from the answer tokens' probabilities
    #: Every sampled reply when the backend sampled several (``samples=N``); ``text`` is then
    #: their consensus (:mod:`depthlm.inference.consensus`) and ``confidence`` its agreement.
    samples: list[str] | None = None


def generate_detailed(generator: Generator, queries: Sequence[ChatQuery]) -> list[Generation]:
    """``generator.generate_detailed`` when the backend has it, else plain texts timed as one
    batch."""
    detailed = getattr(generator, "generate_detailed", None)
    if detailed is not None:
        return list(detailed(queries))
    import time

    t0 = time.perf_counter()
    texts = generator.generate(queries)
    share = (time.perf_counter() - t0) / max(len(texts), 1)
    return [Generation(text=t, latency_s=share) for t in texts]
