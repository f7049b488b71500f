"""One model string → one :class:`~depthlm.inference.base.Generator` and its contract.

``embedded`` | ``PATH`` | ``hf:PATH``: local Transformers weights; ``vllm:PATH``: vLLM's
offline engine (GPU); ``openai:MODEL``: any OpenAI-compatible chat-completions server. Local
checkpoints carry their preprocessing contract (``depthlm.json``); an API model has none, so
it is asked with the ``general`` preset unless the caller says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from depthlm.inference.base import Generator
from depthlm.models.embedded import EMBEDDED, resolve_model_path

__all__ = ["Backend", "load_generator", "model_dir", "parse_model"]

KINDS = ("hf", "vllm", "openai")


@dataclass
class Backend:
    """Options of the remote and engine backends (ignored by the others).

    Names follow lmms-eval where it has one (``num_concurrent``, ``max_retries``)."""

    api_base: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    num_concurrent: int = 8
    max_retries: int = 5
    timeout: float = 120.0
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def parse_model(model: str) -> tuple[str, str]:
    """``(kind, target)``: ``hf:/x`` → ``("hf", "/x")``; a bare path or ``embedded`` is
    ``hf``."""
    kind, sep, target = model.partition(":")
    if sep and kind in KINDS:
        if not target:
            raise ValueError(f"model {model!r}: nothing after '{kind}:'")
        return kind, target
    return "hf", model


def model_dir(model: str | None) -> Path | None:
    """The local folder behind ``model`` (for its ``depthlm.json``), or ``None`` (API models,
    hub ids)."""
    if not model:
        return None
    kind, target = parse_model(model)
    if kind == "openai":
        return None
    path = Path(resolve_model_path(target))
    return path if path.is_dir() else None


def load_generator(
    model: str,
    *,
    device: str | None = None,
    batch_size: int = 8,
    max_new_tokens: int = 64,
    backend: Backend | None = None,
    samples: int = 1,
    temperature: float | None = None,
    beams: int = 1,
) -> Generator:
    """Load the generator for ``model`` (see the module docstring for the forms).

    ``samples=1`` decodes greedily (the paper's protocol); ``samples=N`` answers each question
    with the consensus of N replies sampled at ``temperature`` (default 0.7), see
    :mod:`depthlm.inference.consensus`; ``beams=K`` gives the reply, among the K likeliest of a
    beam search, whose δ1 hit is likeliest (local models only: APIs do not expose a beam
    search)."""
    from depthlm.inference.consensus import check_decoding

    check_decoding(samples, temperature, beams)
    sampling: dict[str, Any] = {"samples": samples}
    if temperature is not None:
        sampling["temperature"] = temperature
    backend = backend or Backend()
    kind, target = parse_model(model)
    if kind == "openai" and beams > 1:
        raise ValueError(f"beams={beams} needs a local model (hf:, vllm: or a folder): "
                         f"{model} is an API without beam search; use samples instead")  # fmt: skip
    if kind != "openai":
        sampling["beams"] = beams
    if kind == "openai":
        from depthlm.inference.openai_api import OpenAIGenerator

        return OpenAIGenerator(
            target,
            api_base=backend.api_base,
            api_key_env=backend.api_key_env,
            num_concurrent=backend.num_concurrent,
            max_retries=backend.max_retries,
            timeout=backend.timeout,
            max_new_tokens=max_new_tokens,
            **sampling,
        )
    if kind == "vllm":
        from depthlm.inference.vllm_engine import VLLMGenerator

        return VLLMGenerator.from_pretrained(
            resolve_model_path(target),
            max_new_tokens=max_new_tokens,
            tensor_parallel_size=backend.tensor_parallel_size,
            data_parallel_size=backend.data_parallel_size,
            **sampling,
        )
    from depthlm.inference.hf import HFGenerator

    path = resolve_model_path(target)
    if not Path(path).is_dir():
        raise FileNotFoundError(
            f"model folder not found: {path} (use embedded, a local folder, hf:PATH, "
            "vllm:PATH or openai:MODEL)"
        )
    generator = HFGenerator.from_pretrained(
        path, device=device, batch_size=batch_size, max_new_tokens=max_new_tokens, **sampling
    )
    if target == EMBEDDED:  # tables say "embedded", not the install path
        generator.name = EMBEDDED
    return generator
