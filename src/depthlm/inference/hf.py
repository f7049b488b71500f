"""Local Transformers backend: batched greedy generation with any image-text-to-text model.

Works with every checkpoint ``AutoModelForImageTextToText`` + ``AutoProcessor`` can load (the
Qwen-VL families, Pixtral/Llava, ...). Prompts are built by the checkpoint's own chat template
through ``processor.apply_chat_template`` so the text layout is exactly the one it was trained
on, and are left-padded so that every row of a batch ends at the same position and the new
tokens of all rows can be cut off at one index.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForImageTextToText, AutoProcessor

from depthlm.inference.base import ChatQuery, Generation

__all__ = ["HFGenerator", "build_messages"]

log = logging.getLogger(__name__)


def build_messages(query: ChatQuery) -> list[dict[str, Any]]:
    """Chat messages for one query: an optional system turn, then one user turn whose content is
    the images (in order) followed by the text."""
    messages: list[dict[str, Any]] = []
    if query.system is not None:
        messages.append({"role": "system", "content": [{"type": "text", "text": query.system}]})
    content: list[dict[str, Any]] = [{"type": "image", "image": im} for im in query.images]
    content.append({"type": "text", "text": query.text})
    messages.append({"role": "user", "content": content})
    return messages


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _default_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the GPU supports it (the dtype the released checkpoints use), else fp32."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


class HFGenerator:
    """A :class:`~depthlm.inference.base.Generator` over a local Transformers VLM.

    Queries are processed in chunks of ``batch_size`` with greedy decoding.
    """

    def __init__(
        self,
        model: Any,
        processor: Any,
        *,
        name: str = "hf",
        batch_size: int = 8,
        max_new_tokens: int = 64,
        stop_strings: Sequence[str] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model.eval()
        self.processor = processor
        self.name = name
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.stop_strings = list(stop_strings) if stop_strings else None
        # Left padding: generation appends on the right, so all prompts must end at the same
        # column. Set on the tokenizer, where every processor reads it from.
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"
        self.tokenizer = tokenizer
        # Newer Transformers want processor call options in `processor_kwargs`; older ones
        # take them as plain keyword arguments.
        params = inspect.signature(processor.apply_chat_template).parameters
        self._takes_processor_kwargs = "processor_kwargs" in params

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        batch_size: int = 8,
        max_new_tokens: int = 64,
        stop_strings: Sequence[str] | None = None,
    ) -> HFGenerator:
        """Load model and processor from a local directory (or hub id).

        ``device=None`` picks CUDA when available, else CPU; ``dtype=None`` picks bf16 on a
        bf16-capable GPU, else fp32. ``dtype`` may also be a string such as ``"float16"``.
        """
        dev = torch.device(device) if device is not None else _default_device()
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        dtype = dtype or _default_dtype(dev)
        processor = AutoProcessor.from_pretrained(str(path))
        model = AutoModelForImageTextToText.from_pretrained(str(path), dtype=dtype).to(dev)
        return cls(
            model,
            processor,
            name=f"hf:{path}",
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
            stop_strings=stop_strings,
        )

    @property
    def device(self) -> torch.device:
        return self.model.device

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        """One decoded answer per query, in order (special tokens stripped)."""
        return [g.text for g in self.generate_detailed(queries)]

    def generate_detailed(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        """Answers with token counts and each batch's wall time shared by its queries.

        If a batch fails (some processors cannot batch certain image mixes), that chunk is
        retried one query at a time, so a single odd query cannot sink the whole run."""
        answers: list[Generation] = []
        for start in range(0, len(queries), self.batch_size):
            chunk = list(queries[start : start + self.batch_size])
            try:
                answers.extend(self._timed(chunk))
            except (ValueError, RuntimeError, IndexError, TypeError) as err:
                if len(chunk) == 1:
                    raise
                log.warning("batched generation failed (%s); retrying one query at a time", err)
                for query in chunk:
                    answers.extend(self._timed([query]))
        return answers

    def _timed(self, queries: list[ChatQuery]) -> list[Generation]:
        t0 = time.perf_counter()
        texts, prompt_tokens, new_tokens = self._generate_batch(queries)
        share = (time.perf_counter() - t0) / len(queries)
        return [
            Generation(text=t, latency_s=share, prompt_tokens=p, completion_tokens=c)
            for t, p, c in zip(texts, prompt_tokens, new_tokens, strict=True)
        ]

    @torch.inference_mode()
    def _generate_batch(self, queries: list[ChatQuery]) -> tuple[list[str], list[int], list[int]]:
        call_kwargs = {"padding": True, "padding_side": "left"}
        if self._takes_processor_kwargs:
            call_kwargs = {"processor_kwargs": call_kwargs}
        inputs = self.processor.apply_chat_template(
            [build_messages(q) for q in queries],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            **call_kwargs,
        )
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs:  # the only float input; match the weights' dtype
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        gen_kwargs: dict[str, Any] = dict(
            max_new_tokens=self.max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
        )
        if self.model.generation_config.pad_token_id is None:
            gen_kwargs["pad_token_id"] = self.tokenizer.pad_token_id
        if self.stop_strings:
            gen_kwargs.update(stop_strings=self.stop_strings, tokenizer=self.tokenizer)
        output = self.model.generate(**inputs, **gen_kwargs)
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        prompt = inputs["attention_mask"].sum(dim=1).tolist()
        return texts, prompt, [self._answer_length(row) for row in new_tokens.tolist()]

    def _answer_length(self, ids: list[int]) -> int:
        """Generated tokens up to and including the first end-of-answer token."""
        eos = self.model.generation_config.eos_token_id
        stops = set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.eos_token_id}
        for i, token in enumerate(ids):
            if token in stops:
                return i + 1
        return len(ids)
