"""``openai:MODEL``: any OpenAI-compatible chat-completions server as a depthlm Generator.

One backend covers OpenAI itself, Gemini's and other providers' OpenAI-compatible endpoints and
local servers (``vllm serve``, SGLang, llama.cpp) through ``--api-base``. Choices that are not
obvious:

* **Images go as lossless PNG data URLs, never JPEG.** The question is about one pixel marked
  in pure red (255, 0, 0); JPEG's chroma subsampling smears that marker into its neighbours
  and shifts its colour, so the model would be asked about a point it cannot see exactly. PNG
  costs more upload bytes and nothing else.
* **``"detail": "high"``.** Providers shrink images before the model sees them (OpenAI's high
  detail, for instance, fits the image into a fixed box and caps its shorter side), and with
  ``low`` detail a whole image becomes a thumbnail where a small marker may vanish. Even
  ``high`` cannot prevent the shrinking: the model sees a smaller image than the canonical
  focal length assumes, i.e. a shorter effective focal. That is why a :class:`Generation` has a
  ``seen_size`` slot; no standard response field reports it, so it stays ``None`` here.
* **Our own retry loop** (the client is built with ``max_retries=0``): exponential backoff with
  jitter on 429, 5xx, timeouts (including HTTP 408) and connection errors, honouring
  ``Retry-After`` (capped), with the retries counted in :attr:`OpenAIGenerator.usage` so a
  results file can say how rough the run was. 400/401/403/404 are the caller's mistake and
  fail at once with a clear message.
* **Option names follow lmms-eval** (``num_concurrent``, ``max_retries``, ``timeout``) so a
  command line carries over.
* **``max_tokens`` first.** Most compatible servers (vLLM) accept ``max_tokens``; OpenAI's
  reasoning models reject it and want ``max_completion_tokens``. On that 400 the call is
  repeated once with the other name, which is then used for the rest of the run.
* **The API key never leaves the client.** It is read from an environment variable, never
  logged, never stored in results, and scrubbed from any server message we quote (servers
  sometimes echo a rejected key back).
* **``samples=N`` asks for ``n=N`` choices in one request** (sampled at ``temperature``, 0.7
  unless given) and answers with their consensus (:mod:`depthlm.inference.consensus`). A
  server that returns fewer choices than asked is used as it is: the consensus of what came.
"""

from __future__ import annotations

import base64
import email.utils
import io
import logging
import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import openai
from PIL import Image

from depthlm.inference.base import BackendError, ChatQuery, Generation
from depthlm.inference.consensus import DEFAULT_TEMPERATURE, check_sampling, choose

__all__ = ["OpenAIGenerator", "build_openai_messages", "image_data_url"]

log = logging.getLogger(__name__)

_PNG_MODES = {"RGB", "RGBA", "L", "LA"}


def image_data_url(image: Image.Image) -> str:
    """``data:image/png;base64,...`` of ``image``, lossless (see the module docstring)."""
    if image.mode not in _PNG_MODES:
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def build_openai_messages(query: ChatQuery) -> list[dict[str, Any]]:
    """Chat-completions messages for one query: an optional system turn (plain string), then one
    user turn with the images (in order, PNG, high detail) followed by the text."""
    messages: list[dict[str, Any]] = []
    if query.system is not None:
        messages.append({"role": "system", "content": query.system})
    content: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": image_data_url(im), "detail": "high"}}
        for im in query.images
    ]
    content.append({"type": "text", "text": query.text})
    messages.append({"role": "user", "content": content})
    return messages


def _retry_after(headers: Any, cap: float) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After`` as seconds or
    an HTTP date), capped at ``cap``; ``None`` when it said nothing usable."""
    if headers is None:
        return None
    wait: float | None = None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            wait = float(ms) / 1000.0
        except ValueError:
            wait = None
    value = headers.get("retry-after")
    if wait is None and value is not None:
        try:
            wait = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                wait = when.timestamp() - time.time()
            except (TypeError, ValueError, IndexError):
                wait = None
    if wait is None or wait != wait:  # NaN
        return None
    return min(max(wait, 0.0), cap)


def _is_token_param_error(err: openai.APIStatusError) -> bool:
    """A 400 saying ``max_tokens`` is not accepted here (OpenAI's reasoning models)."""
    if err.status_code != 400:
        return False
    text = f"{err.message} {err.body}".lower()
    return "max_tokens" in text and (
        "max_completion_tokens" in text or "unsupported" in text or "not supported" in text
    )


class OpenAIGenerator:
    """A :class:`~depthlm.inference.base.Generator` over an OpenAI-compatible server.

    ``num_concurrent`` requests are in flight at once; answers come back in query order.
    ``usage`` holds running totals over every call (``prompt_tokens``, ``completion_tokens``,
    ``requests`` answered, ``retries``). ``backoff_base`` is the first retry's delay in seconds
    (doubling each time, with jitter, up to ``backoff_max``); ``retry_after_cap`` bounds how
    long a server's ``Retry-After`` can make us wait.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        num_concurrent: int = 8,
        max_retries: int = 5,
        timeout: float = 120.0,
        max_new_tokens: int = 64,
        temperature: float | None = None,
        samples: int = 1,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_cap: float = 30.0,
    ) -> None:
        if not model:
            raise ValueError("openai: model name is empty (use openai:MODEL)")
        if num_concurrent < 1:
            raise ValueError(f"num_concurrent must be >= 1, got {num_concurrent}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ValueError(
                f"openai:{model}: environment variable {api_key_env} is not set; put the API key "
                f"there (or pick another variable with --api-key-env). A local server without "
                f"authentication accepts any string, e.g. {api_key_env}=none"
            )
        self.model = model
        self.name = f"openai:{model}"
        self.api_base = api_base
        self.api_key_env = api_key_env
        self.num_concurrent = num_concurrent
        self.max_retries = max_retries
        self.timeout = float(timeout)
        self.max_new_tokens = max_new_tokens
        check_sampling(samples, temperature)
        self.samples = samples
        # Greedy (0) for one answer; for several, the default unless told: a median needs spread.
        if temperature is None:
            temperature = DEFAULT_TEMPERATURE if samples > 1 else 0.0
        self.temperature = temperature
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_cap = retry_after_cap
        self._secret = api_key  # only for scrubbing messages; the client holds the real copy
        self._client = openai.OpenAI(
            base_url=api_base, api_key=api_key, max_retries=0, timeout=self.timeout
        )
        self._token_param = "max_tokens"
        self._lock = threading.Lock()
        self.usage: dict[str, int] = {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "requests": 0,
            "retries": 0,
        }

    def __repr__(self) -> str:
        return f"OpenAIGenerator(model={self.model!r}, api_base={self.api_base!r})"

    @property
    def _where(self) -> str:
        return f"{self.name} at {self._client.base_url}"

    def _scrub(self, text: str) -> str:
        """``text`` with the API key (should a server echo it) replaced by ``***``."""
        return text.replace(self._secret, "***") if self._secret else text

    # -- public API ----------------------------------------------------------------------------

    def generate(self, queries: Sequence[ChatQuery]) -> list[str]:
        """One answer per query, in order."""
        return [g.text for g in self.generate_detailed(queries)]

    def generate_detailed(self, queries: Sequence[ChatQuery]) -> list[Generation]:
        """One :class:`Generation` per query, in order; the first failure cancels the rest and
        is raised."""
        queries = list(queries)
        if not queries:
            return []
        if len(queries) == 1 or self.num_concurrent == 1:
            return [self._ask(q) for q in queries]
        pool = ThreadPoolExecutor(
            max_workers=min(self.num_concurrent, len(queries)), thread_name_prefix="openai"
        )
        try:
            futures: list[Future[Generation]] = [pool.submit(self._ask, q) for q in queries]
            results = [f.result() for f in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results

    # -- one request ---------------------------------------------------------------------------

    def _request(self, messages: list[dict[str, Any]]) -> Any:
        kwargs = {self._token_param: self.max_new_tokens}
        extra: dict[str, Any] = {"n": self.samples} if self.samples > 1 else {}
        try:
            return self._client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, **kwargs, **extra
            )
        except openai.BadRequestError as err:
            used = next(iter(kwargs))
            if used != "max_tokens" or not _is_token_param_error(err):
                raise
            log.info("%s rejects max_tokens; using max_completion_tokens", self.name)
            with self._lock:
                self._token_param = "max_completion_tokens"
            return self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=self.temperature,
                max_completion_tokens=self.max_new_tokens,
                **extra,
            )

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff: uniform in [d/2, d], d = base * 2**attempt."""
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        return delay * (0.5 + 0.5 * random.random())

    def _ask(self, query: ChatQuery) -> Generation:
        """One query with retries; ``latency_s`` is the successful attempt's wall time (waits
        between attempts are not the model's latency)."""
        messages = build_openai_messages(query)
        attempt = 0
        while True:
            t0 = time.perf_counter()
            try:
                response = self._request(messages)
            except (openai.APITimeoutError, openai.APIConnectionError) as err:
                if isinstance(err, openai.APITimeoutError):
                    kind, reason = "timed out", f"request timed out after {self.timeout:g} s"
                else:
                    kind = "unreachable"
                    cause = err.__cause__ or err
                    reason = self._scrub(f"connection error: {cause}")
                wait = None
            except openai.APIStatusError as err:
                status = err.status_code
                reason = self._scrub(f"HTTP {status}: {err.message}")
                if status not in (408, 429) and status < 500:
                    raise BackendError(self._fatal_message(status, reason)) from None
                kind = {408: "timed out", 429: "rate limited"}.get(status, "server error")
                wait = _retry_after(err.response.headers, self.retry_after_cap)
            else:
                return self._record(response, time.perf_counter() - t0, query)
            if attempt >= self.max_retries:
                raise BackendError(
                    f"{self._where}: giving up after {attempt + 1} attempt(s) "
                    f"({self.max_retries} retries): {reason}. Raise --max-retries or --timeout, "
                    f"or lower --num-concurrent."
                ) from None
            delay = wait if wait is not None else self._backoff(attempt)
            attempt += 1
            with self._lock:
                self.usage["retries"] += 1
            log.warning(
                "%s %s (%s); retry %d/%d in %.2f s",
                self.name,
                kind,
                reason,
                attempt,
                self.max_retries,
                delay,
            )
            time.sleep(delay)

    def _fatal_message(self, status: int, reason: str) -> str:
        hint = {
            401: f"check the API key in ${self.api_key_env}",
            403: f"the key in ${self.api_key_env} may not have access to this model",
            404: "check the model name and --api-base (it usually ends in /v1)",
        }.get(status, "the request was rejected; it will not succeed on retry")
        return f"{self._where}: {reason} ({hint})"

    def _record(self, response: Any, latency: float, query: ChatQuery) -> Generation:
        """Turn a response into a :class:`Generation` and add its usage to the totals."""
        choices = getattr(response, "choices", None) or []
        texts = []
        for choice in choices:
            message = getattr(choice, "message", None)
            texts.append((getattr(message, "content", None) or "") if message is not None else "")
        text, agree, samples = (texts[0] if texts else ""), None, None
        if self.samples > 1 and texts:
            k, agree = choose(texts, query.meta)
            text, samples = texts[k], texts
        usage = getattr(response, "usage", None)
        prompt = getattr(usage, "prompt_tokens", None) if usage is not None else None
        completion = getattr(usage, "completion_tokens", None) if usage is not None else None
        with self._lock:
            self.usage["requests"] += 1
            self.usage["prompt_tokens"] += int(prompt or 0)
            self.usage["completion_tokens"] += int(completion or 0)
        return Generation(
            text=text,
            latency_s=latency,
            prompt_tokens=int(prompt) if prompt is not None else None,
            completion_tokens=int(completion) if completion is not None else None,
            confidence=agree,
            samples=samples,
        )
