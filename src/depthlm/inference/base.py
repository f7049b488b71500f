"""What every text-generating backend (local Transformers, vLLM, an OpenAI-compatible API)
implements, so evaluation, the inference object and the server do not care which one runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from depthlm.prompting.query import ChatQuery

__all__ = ["ChatQuery", "Generator"]


@runtime_checkable
class Generator(Protocol):
    """A batched, greedy text generator over :class:`ChatQuery` objects."""

    name: str

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        """Return one decoded answer (special tokens stripped) per query, in order."""
        ...
