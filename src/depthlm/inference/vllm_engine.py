"""``vllm:PATH``: vLLM's offline engine with multi-modal inputs, for fast GPU evaluation.

The prompt text comes from the checkpoint's own chat template (``AutoProcessor``), exactly as
the Transformers backend builds it, and the images go in ``multi_modal_data`` as PIL images;
vLLM's processor then expands the placeholders. So the two backends ask the same question, and
a checkpoint scores the same whichever engine runs it (up to kernel numerics). Greedy decoding,
or ``samples`` replies per query at ``temperature`` (``SamplingParams.n``: the prefill is
shared) reduced to their consensus (:mod:`depthlm.inference.consensus`), or ``beams`` replies
of ``LLM.beam_search`` with the best bet among them; one batched call per list of queries;
vLLM schedules the batch itself.
Tensor parallelism splits one model over GPUs; data parallelism runs engine replicas.
GPU-only: import-guarded, so installing depthlm never pulls vLLM in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from depthlm.inference.base import ChatQuery, Generation
from depthlm.inference.consensus import DEFAULT_TEMPERATURE, check_decoding, choose
from depthlm.inference.hf import build_messages

__all__ = ["VLLMGenerator"]


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as err:
        raise ImportError(
            "the vllm: backend needs vLLM and a CUDA GPU (`pip install vllm`); use hf:PATH on "
            "this machine"
        ) from err
    return vllm


class VLLMGenerator:
    """A :class:`~depthlm.inference.base.Generator` over ``vllm.LLM``."""

    def __init__(
        self,
        llm: Any,
        processor: Any,
        *,
        name: str,
        max_new_tokens: int = 64,
        samples: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        beams: int = 1,
    ) -> None:
        vllm = _import_vllm()
        check_decoding(samples, temperature, beams)
        self.llm = llm
        self.processor = processor
        self.name = name
        self.samples = samples
        self.temperature = temperature
        self.beams = beams
        if beams > 1:  # length penalty 0: a candidate's score is its log-probability
            from vllm.sampling_params import BeamSearchParams

            self.sampling = BeamSearchParams(
                beam_width=beams, max_tokens=max_new_tokens, length_penalty=0.0
            )
        elif samples > 1:
            self.sampling = vllm.SamplingParams(
                n=samples, temperature=temperature, max_tokens=max_new_tokens, seed=0
            )
        else:
            self.sampling = vllm.SamplingParams(temperature=0.0, max_tokens=max_new_tokens)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        max_new_tokens: int = 64,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        max_images: int = 2,
        samples: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        beams: int = 1,
        **engine: Any,
    ) -> VLLMGenerator:
        """Start an engine on ``path``; ``max_images`` per prompt covers the pose task's two
        views; extra ``engine`` keywords go to ``vllm.LLM``."""
        vllm = _import_vllm()
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(str(path))
        options: dict[str, Any] = dict(
            model=str(path),
            tensor_parallel_size=tensor_parallel_size,
            limit_mm_per_prompt={"image": max_images},
            **engine,
        )
        if data_parallel_size > 1:
            options["data_parallel_size"] = data_parallel_size
        llm = vllm.LLM(**options)
        return cls(
            llm,
            processor,
            name=f"vllm:{path}",
            max_new_tokens=max_new_tokens,
            samples=samples,
            temperature=temperature,
            beams=beams,
        )

    def request(self, query: ChatQuery) -> dict[str, Any]:
        """The engine input for one query: templated prompt text plus its images."""
        text = self.processor.apply_chat_template(
            build_messages(query), add_generation_prompt=True, tokenize=False
        )
        return {"prompt": text, "multi_modal_data": {"image": list(query.images)}}

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        return [g.text for g in self.generate_detailed(queries)]

    def generate_detailed(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        if not queries:
            return []
        if self.beams > 1:
            return self._beam_search(queries)
        t0 = time.perf_counter()
        outputs = self.llm.generate([self.request(q) for q in queries], self.sampling)
        share = (time.perf_counter() - t0) / len(queries)
        answers = []
        for query, out in zip(queries, outputs, strict=True):
            texts = [o.text.strip() for o in out.outputs]
            k, agree = choose(texts, query.meta) if self.samples > 1 else (0, None)
            answers.append(
                Generation(
                    text=texts[k],
                    latency_s=share,
                    prompt_tokens=len(out.prompt_token_ids or []),
                    completion_tokens=len(out.outputs[k].token_ids),
                    confidence=agree,
                    samples=texts if self.samples > 1 else None,
                )
            )
        return answers

    def _beam_search(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        """``LLM.beam_search`` and the best bet among each query's beams.

        A beam's tokens may start with the prompt's (vLLM versions differ) and run past the
        end of turn (its search stops only at the tokenizer's EOS): both are cut off before
        the reply is decoded."""
        t0 = time.perf_counter()
        requests = [self.request(q) for q in queries]
        outputs = self.llm.beam_search(requests, self.sampling)
        share = (time.perf_counter() - t0) / len(queries)
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        stops = _stop_ids(tokenizer)
        answers = []
        for query, out in zip(queries, outputs, strict=True):
            replies = [_reply_tokens(seq, stops) for seq in out.sequences]
            texts = [tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in replies]
            k, bet = choose(texts, query.meta, [float(s.cum_logprob) for s in out.sequences])
            prompt = getattr(out.sequences[k], "orig_prompt", None) or {}
            answers.append(
                Generation(
                    text=texts[k],
                    latency_s=share,
                    prompt_tokens=len(prompt.get("prompt_token_ids") or []),
                    completion_tokens=len(replies[k]),
                    confidence=bet,
                    samples=texts,
                )
            )
        return answers


def _stop_ids(tokenizer: Any) -> set[int]:
    """Token ids that end a reply: EOS and the chat turn's end, where the tokenizer has one."""
    stops = {tokenizer.eos_token_id}
    for text in ("<|im_end|>", "<|endoftext|>", "</s>"):
        token = tokenizer.convert_tokens_to_ids(text)
        if isinstance(token, int) and token != getattr(tokenizer, "unk_token_id", None):
            stops.add(token)
    return {t for t in stops if t is not None}


def _reply_tokens(seq: Any, stops: set[int]) -> list[int]:
    """A beam's reply token ids: after its prompt's, up to its first end-of-reply token."""
    tokens = list(seq.tokens)
    prompt = (getattr(seq, "orig_prompt", None) or {}).get("prompt_token_ids") or []
    if prompt and tokens[: len(prompt)] == list(prompt):
        tokens = tokens[len(prompt) :]
    for i, token in enumerate(tokens):
        if token in stops:
            return tokens[:i]
    return tokens
