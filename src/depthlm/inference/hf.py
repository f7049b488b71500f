"""Local Transformers backend: batched greedy generation with any image-text-to-text model.

Works with every checkpoint ``AutoModelForImageTextToText`` + ``AutoProcessor`` can load (the
Qwen-VL families, Pixtral/Llava, ...). Prompts are built by the checkpoint's own chat template
through ``processor.apply_chat_template`` so the text layout is exactly the one it was trained
on, and are left-padded so that every row of a batch ends at the same position and the new
tokens of all rows can be cut off at one index.

Each answer carries a **confidence**: the geometric mean of the probabilities greedy decoding
gave the tokens of the answer's number (see :func:`answer_confidence`). It costs no second
model and no second pass: the probabilities are read while generating.

With ``samples=N`` (N > 1) each query is answered N times by sampling at ``temperature``, and
the reply is their consensus (:mod:`depthlm.inference.consensus`: the median answer, which
greedy decoding is not); its confidence is then the samples' agreement. With ``beams=K``
a beam search keeps the K likeliest replies with their probabilities, and the reply is the
one whose δ1 hit is likeliest under them (:func:`~depthlm.inference.consensus.best_bet`),
its confidence that probability. Transformers returns a beam's probability only with
``output_scores``, which keeps every step's scores (queries × beams × vocabulary per token):
fine for a number, heavy for a long reasoning answer from a real VLM (lower ``batch_size``).
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForImageTextToText,
    AutoProcessor,
    LogitsProcessor,
    LogitsProcessorList,
)

from depthlm.inference.base import ChatQuery, Generation
from depthlm.inference.consensus import DEFAULT_TEMPERATURE, check_decoding, choose
from depthlm.models.patch_embed import linear_patch_embed

__all__ = ["HFGenerator", "answer_confidence", "build_messages"]

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


#: A number as the answers write it (digits with an optional decimal point).
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_ANSWER_OPEN = re.compile(r"<\s*answer\s*>", re.IGNORECASE)
#: Floor of a token's log-probability: a token the processors had banned (−inf) still gives a
#: finite, near-zero confidence instead of NaN.
_MIN_LOGPROB = -50.0


def answer_confidence(pieces: Sequence[str], logprobs: Sequence[float]) -> float | None:
    """Confidence in [0, 1] of one answer from its generated tokens (``pieces``, decoded one
    by one, end-of-turn excluded) and their log-probabilities.

    It is the geometric mean of the probabilities of the tokens that spell the answer's
    number: the last number in the reply, inside the last ``<answer>`` block when there is
    one (where every preset's target puts the final value, after any reasoning or
    ``d / T =`` derivation). A model that knows the distance puts its probability mass on the
    leading digits; one that is guessing spreads it over several, so the probability of the
    digits it did write drops. The geometric mean (a per-token average in log space) keeps a
    four-digit answer comparable with a two-digit one. Without a number, all answer tokens
    count; without any token (an immediate end of turn), ``None``.
    """
    if len(pieces) != len(logprobs):
        raise ValueError(f"{len(pieces)} token texts but {len(logprobs)} log-probabilities")
    if not pieces:
        return None
    text = "".join(pieces)
    opened = list(_ANSWER_OPEN.finditer(text))
    numbers = list(_NUMBER.finditer(text, opened[-1].end())) if opened else []
    numbers = numbers or list(_NUMBER.finditer(text))
    chosen = list(range(len(pieces)))
    if numbers:
        lo, hi = numbers[-1].span()
        ends = [0]
        for piece in pieces:
            ends.append(ends[-1] + len(piece))
        chosen = [i for i in chosen if ends[i] < hi and ends[i + 1] > lo] or chosen
    picked = [max(float(logprobs[i]), _MIN_LOGPROB) for i in chosen]
    picked = [v if math.isfinite(v) else _MIN_LOGPROB for v in picked]
    return min(1.0, max(0.0, math.exp(sum(picked) / len(picked))))


class _ChosenLogProbs(LogitsProcessor):
    """Records, during greedy generation, the log-probability of each token chosen.

    A logits processor sees the scores of step *t* and, at step *t + 1*, the token chosen at
    *t*; so it keeps one row of log-probabilities per sequence, not the whole score history
    that ``output_scores=True`` would hold (vocabulary × new tokens × batch: gigabytes for a
    real VLM that reasons for thousands of tokens). It returns the scores unchanged, after
    the other processors, so the probabilities are those greedy decoding actually used."""

    def __init__(self) -> None:
        self.last: torch.Tensor | None = None
        self.steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.Tensor:
        if self.last is not None:
            self.steps.append(self.last.gather(1, input_ids[:, -1:]).squeeze(1))
        self.last = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def finish(self, new_tokens: torch.Tensor) -> torch.Tensor:
        """``(batch, new tokens)`` log-probabilities, given the generated tokens."""
        if self.last is not None and new_tokens.shape[1] > len(self.steps):
            self.steps.append(self.last.gather(1, new_tokens[:, -1:]).squeeze(1))
        self.last = None
        if not self.steps:
            return torch.zeros(new_tokens.shape, dtype=torch.float32)
        return torch.stack(self.steps[: new_tokens.shape[1]], dim=1).cpu()


def _prompt_size(query: ChatQuery) -> float:
    """A proxy for a query's prompt length in tokens: image area over a 28-px patch's area (a
    merged Qwen-VL vision token) plus characters over 4. Only its order is used."""
    area = sum(im.width * im.height for im in query.images)
    return area / 784 + (len(query.text) + len(query.system or "")) / 4


def _answer_length(ids: list[int], stops: set[int]) -> int:
    """Generated tokens up to and including the first end-of-answer token."""
    for i, token in enumerate(ids):
        if token in stops:
            return i + 1
    return len(ids)


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _default_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the GPU supports it (the dtype the released checkpoints use), else fp32."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


class HFGenerator:
    """A :class:`~depthlm.inference.base.Generator` over a local Transformers VLM.

    Queries are processed in chunks of ``batch_size`` with greedy decoding, or, with
    ``samples > 1``, sampled ``samples`` times each at ``temperature``, or, with ``beams > 1``,
    answered by a beam search of that width (see the module doc).
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
        samples: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        seed: int = 0,
        beams: int = 1,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        check_decoding(samples, temperature, beams)
        self.samples = samples
        self.beams = beams
        self.temperature = temperature
        self.seed = seed
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
        #: Seconds spent building inputs (chat template, tokenizer, image processor), in
        #: ``model.generate`` and decoding answers, summed over calls (for benchmarks).
        self.timings = {"inputs_s": 0.0, "generate_s": 0.0, "decode_s": 0.0}
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
        samples: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        beams: int = 1,
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
        linear_patch_embed(model)  # CPU only; the same numbers, computed as one product
        return cls(
            model,
            processor,
            name=f"hf:{path}",
            batch_size=batch_size,
            max_new_tokens=max_new_tokens,
            stop_strings=stop_strings,
            samples=samples,
            temperature=temperature,
            beams=beams,
        )

    @property
    def device(self) -> torch.device:
        return self.model.device

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        """One decoded answer per query, in order (special tokens stripped)."""
        return [g.text for g in self.generate_detailed(queries)]

    def generate_detailed(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        """Answers with token counts and each batch's wall time shared by its queries.

        Queries are batched in order of their expected prompt length (image area, text) and
        the answers put back in the caller's order: a batch is left-padded to its longest
        prompt, and the focal-normalised images of one call differ in size, so batching
        similar lengths together wastes less of the prefill (about a third of it was padding
        on mixed synthetic views). Greedy answers do not depend on the batch they are in
        (sampled ones do: the random stream follows the batch order).

        If a batch fails (some processors cannot batch certain image mixes), that chunk is
        retried one query at a time, so a single odd query cannot sink the whole run."""
        order = sorted(range(len(queries)), key=lambda i: _prompt_size(queries[i]))
        answers: dict[int, Generation] = {}
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            chunk = [queries[i] for i in index]
            try:
                answers.update(zip(index, self._timed(chunk), strict=True))
            except (ValueError, RuntimeError, IndexError, TypeError) as err:
                if len(chunk) == 1:
                    raise
                log.warning("batched generation failed (%s); retrying one query at a time", err)
                for i in index:
                    answers[i] = self._timed([queries[i]])[0]
        return [answers[i] for i in range(len(queries))]

    def _timed(self, queries: list[ChatQuery]) -> list[Generation]:
        t0 = time.perf_counter()
        texts, prompt_tokens, new_tokens, confidence, samples = self._generate_batch(queries)
        share = (time.perf_counter() - t0) / len(queries)
        rows = zip(texts, prompt_tokens, new_tokens, confidence, samples, strict=True)
        return [
            Generation(t, share, prompt_tokens=p, completion_tokens=c, confidence=q, samples=s)
            for t, p, c, q, s in rows
        ]

    def _inputs(self, queries: list[ChatQuery]) -> Any:
        """The batch's model inputs: chat template, tokenizer and image processor."""
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
        return inputs

    def _generate_kwargs(self) -> dict[str, Any]:
        """``generate`` keywords for greedy, sampled (``samples > 1``) or beam (``beams > 1``)
        decoding, stopping at the family's end of turn or the preset's stop strings."""
        sampling = self.samples > 1
        gen_kwargs: dict[str, Any] = dict(
            max_new_tokens=self.max_new_tokens,
            do_sample=sampling,
            temperature=self.temperature if sampling else None,
            top_p=None,
            top_k=None,
        )
        if sampling:
            gen_kwargs["num_return_sequences"] = self.samples
        # Beams: the K likeliest replies, each scored by its summed log-probability (length
        # penalty 0), which Transformers only returns alongside every step's scores.
        if self.beams > 1:
            gen_kwargs.update(num_beams=self.beams, num_return_sequences=self.beams,
                              length_penalty=0.0, early_stopping=True,
                              return_dict_in_generate=True, output_scores=True)  # fmt: skip
        if self.model.generation_config.pad_token_id is None:
            gen_kwargs["pad_token_id"] = self.tokenizer.pad_token_id
        if self.stop_strings:
            gen_kwargs.update(stop_strings=self.stop_strings, tokenizer=self.tokenizer)
        return gen_kwargs

    @torch.inference_mode()
    def _generate_batch(self, queries: list[ChatQuery]) -> tuple[list, list, list, list, list]:
        """Per query: reply text, prompt tokens, answer tokens, confidence, samples (or None)."""
        t0 = time.perf_counter()
        inputs = self._inputs(queries)
        t1 = time.perf_counter()
        recorder = _ChosenLogProbs()
        sampling, searching = self.samples > 1, self.beams > 1
        gen_kwargs = self._generate_kwargs()
        if sampling:
            # Drawn from a generator seeded per batch, outside the caller's random state: the
            # same batch gets the same samples however the run was interrupted and resumed.
            devices = [self.device.index or 0] if self.device.type == "cuda" else []
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(self.seed)
                output = self.model.generate(**inputs, **gen_kwargs)
        elif searching:
            output = self.model.generate(**inputs, **gen_kwargs)
        else:
            output = self.model.generate(
                **inputs, **gen_kwargs, logits_processor=LogitsProcessorList([recorder])
            )
        scores = output.sequences_scores.float().tolist() if searching else None
        output = output.sequences if searching else output
        t2 = time.perf_counter()
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        prompt = inputs["attention_mask"].sum(dim=1).tolist()
        rows, stops = new_tokens.tolist(), self._stops()
        lengths = [_answer_length(row, stops) for row in rows]
        samples: list[list[str] | None] = [None] * len(queries)
        if sampling or searching:  # rows i*N .. i*N+N-1 are query i's samples or beams
            n = self.samples if sampling else self.beams
            picks = [
                choose(
                    texts[i * n : (i + 1) * n],
                    q.meta,
                    None if scores is None else scores[i * n : (i + 1) * n],
                )
                for i, q in enumerate(queries)
            ]
            samples = [texts[i * n : (i + 1) * n] for i in range(len(queries))]
            texts = [samples[i][k] for i, (k, _) in enumerate(picks)]  # type: ignore[index]
            lengths = [lengths[i * n + k] for i, (k, _) in enumerate(picks)]
            confidence = [agree for _, agree in picks]
        else:
            logprobs = recorder.finish(new_tokens).tolist()
            confidence = [
                self._confidence(row[:n], lp[:n], stops)
                for row, lp, n in zip(rows, logprobs, lengths, strict=True)
            ]
        self.timings["inputs_s"] += t1 - t0
        self.timings["generate_s"] += t2 - t1
        self.timings["decode_s"] += time.perf_counter() - t2
        return texts, prompt, lengths, confidence, samples

    def _stops(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        return set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.eos_token_id}

    def _confidence(self, ids: list[int], logprobs: list[float], stops: set[int]) -> float | None:
        """:func:`answer_confidence` of one answer (its tokens up to the end of turn)."""
        keep = [i for i, t in enumerate(ids) if t not in stops]
        pieces = [self.tokenizer.decode([ids[i]], skip_special_tokens=True) for i in keep]
        return answer_confidence(pieces, [logprobs[i] for i in keep])
