"""The ``openai:`` backend against a local fake server: request format, retries, errors,
concurrency, usage, key hygiene, and ``depthlm eval`` end to end."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.inference.base import ChatQuery, Generation, Generator, generate_detailed
from depthlm.inference.openai_api import OpenAIGenerator, _retry_after
from tests.conftest import make_dataset
from tests.inference.fake_openai import (  # noqa: F401 - fixture
    PNG_PREFIX,
    FakeOpenAI,
    decode_data_url,
    fake_openai_fixture,
    image_urls,
    user_text,
)

KEY_ENV = "DEPTHLM_TEST_OPENAI_KEY"
KEY = "sk-test-DO-NOT-LEAK-0123456789abcdef"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


def _gen(server: FakeOpenAI, **kw) -> OpenAIGenerator:
    opts = dict(
        api_base=server.url,
        api_key_env=KEY_ENV,
        num_concurrent=4,
        max_retries=3,
        timeout=5.0,
        max_new_tokens=32,
        backoff_base=0.01,
    )
    opts.update(kw)
    return OpenAIGenerator("fake-vlm", **opts)


def _image(seed: int = 0, marked: bool = True, size: tuple[int, int] = (40, 30)) -> Image.Image:
    """Random pixels that are never pure red, plus a pure-red 3x3 marker when ``marked``."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 200, (size[1], size[0], 3), dtype=np.uint8)
    if marked:
        arr[10:13, 20:23] = (255, 0, 0)
    return Image.fromarray(arr)


def _query(seed: int = 0, marked: bool = True, system: str | None = None, text: str = "How far?"):
    return ChatQuery(images=[_image(seed, marked)], text=text, system=system)


def test_samples_ask_for_n_choices_and_answer_their_median(fake_openai: FakeOpenAI, key: str):
    fake_openai.reply = lambda body: ["9.0 m", "about 2 m", "2.4 m"][: body.get("n", 1)]
    gen = _gen(fake_openai, samples=3)
    (answer,) = gen.generate_detailed([_query()])
    body = fake_openai.requests[0].body
    assert body["n"] == 3 and body["temperature"] == 0.7  # sampling needs spread
    assert answer.text == "2.4 m" and answer.samples == ["9.0 m", "about 2 m", "2.4 m"]
    assert answer.confidence == pytest.approx(2 / 3)  # 2 and 2.4 agree within 1.25
    greedy = _gen(fake_openai)
    assert greedy.generate([_query()]) == ["9.0 m"]
    assert (
        "n" not in fake_openai.requests[-1].body
        and fake_openai.requests[-1].body["temperature"] == 0
    )


# -- request format ---------------------------------------------------------------------------


def test_request_format(fake_openai: FakeOpenAI, key: str) -> None:
    gen = _gen(fake_openai)
    assert isinstance(gen, Generator) and gen.name == "openai:fake-vlm"
    images = [_image(1), _image(2, marked=False)]
    q = ChatQuery(images=images, text="Distance to the red arrow?", system="Answer in metres.")
    assert gen.generate([q]) == ["3.5"]

    (seen,) = fake_openai.requests
    assert seen.path == "/v1/chat/completions"
    body = seen.body
    assert body["model"] == "fake-vlm"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 32 and "max_completion_tokens" not in body
    system, user = body["messages"]
    assert system == {"role": "system", "content": "Answer in metres."}
    assert user["role"] == "user"
    *parts, text = user["content"]
    assert text == {"type": "text", "text": "Distance to the red arrow?"}
    assert [p["type"] for p in parts] == ["image_url", "image_url"]
    for part, sent in zip(parts, images, strict=True):
        assert part["image_url"]["detail"] == "high"
        url = part["image_url"]["url"]
        assert url.startswith(PNG_PREFIX)  # lossless, never JPEG
        got = decode_data_url(url)
        assert got.format == "PNG"
        np.testing.assert_array_equal(np.asarray(got.convert("RGB")), np.asarray(sent))
    assert seen.red == [9, 0]


def test_no_system_turn_and_no_marker(fake_openai: FakeOpenAI, key: str) -> None:
    gen = _gen(fake_openai)
    assert gen.generate([_query(marked=False)]) == ["no marker"]
    (msg,) = fake_openai.requests[0].body["messages"]
    assert msg["role"] == "user"


def test_generate_detailed_and_usage_totals(fake_openai: FakeOpenAI, key: str) -> None:
    gen = _gen(fake_openai)
    fake_openai.usage = {"prompt_tokens": 120, "completion_tokens": 7}
    out = gen.generate_detailed([_query(i) for i in range(3)])
    assert all(isinstance(g, Generation) for g in out)
    assert [g.text for g in out] == ["3.5"] * 3
    assert all(g.prompt_tokens == 120 and g.completion_tokens == 7 for g in out)
    assert all(g.latency_s is not None and g.latency_s >= 0 for g in out)
    assert all(g.seen_size is None for g in out)
    gen.generate([_query(9)])
    assert generate_detailed(gen, [_query(10)])[0].prompt_tokens == 120
    assert gen.usage == {
        "prompt_tokens": 5 * 120,
        "completion_tokens": 5 * 7,
        "requests": 5,
        "retries": 0,
    }
    assert gen.generate([]) == []


def test_concurrency_keeps_query_order(fake_openai: FakeOpenAI, key: str) -> None:
    # Earlier queries answer later, so completion order is the reverse of query order.
    fake_openai.reply = lambda body: user_text(body).upper()
    fake_openai.delay = lambda body: 0.05 * (8 - int(user_text(body).split()[-1]))
    gen = _gen(fake_openai, num_concurrent=8)
    queries = [_query(i, text=f"question {i}") for i in range(8)]
    t0 = time.perf_counter()
    assert gen.generate(queries) == [f"QUESTION {i}" for i in range(8)]
    assert time.perf_counter() - t0 < 0.05 * sum(range(1, 9))  # overlapped, not serial
    assert gen.usage["requests"] == 8


# -- retries ----------------------------------------------------------------------------------


def test_survives_429_honouring_retry_after(fake_openai: FakeOpenAI, key: str) -> None:
    # A 10 s backoff would make this test hang: finishing fast proves Retry-After: 0 was used.
    gen = _gen(fake_openai, backoff_base=10.0)
    fake_openai.fail_next(2, status=429, retry_after="0")
    t0 = time.perf_counter()
    assert gen.generate([_query()]) == ["3.5"]
    assert time.perf_counter() - t0 < 3
    assert [r.status for r in fake_openai.requests] == [429, 429, 200]
    assert gen.usage["retries"] == 2 and gen.usage["requests"] == 1


def test_survives_503(fake_openai: FakeOpenAI, key: str) -> None:
    gen = _gen(fake_openai)
    fake_openai.fail_next(1, status=503)
    assert gen.generate([_query()]) == ["3.5"]
    assert [r.status for r in fake_openai.requests] == [503, 200]
    assert gen.usage["retries"] == 1


def test_survives_one_timeout(fake_openai: FakeOpenAI, key: str) -> None:
    gen = _gen(fake_openai, timeout=0.5)
    fake_openai.stall_next(2.0)
    t0 = time.perf_counter()
    assert gen.generate([_query()]) == ["3.5"]
    assert time.perf_counter() - t0 < 2.0
    assert len(fake_openai.requests) == 2 and fake_openai.requests[0].stalled
    assert gen.usage["retries"] == 1


def test_gives_up_after_max_retries(fake_openai: FakeOpenAI, key: str) -> None:
    gen = _gen(fake_openai, max_retries=2)
    fake_openai.fail_next(5, status=500)
    with pytest.raises(RuntimeError, match=r"openai:fake-vlm.*giving up after 3 attempt.*500"):
        gen.generate([_query()])
    assert len(fake_openai.requests) == 3
    assert gen.usage["retries"] == 2


def test_connection_refused_retries_then_fails(key: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gen = OpenAIGenerator(
        "fake-vlm",
        api_base=f"http://127.0.0.1:{port}/v1",
        api_key_env=KEY_ENV,
        max_retries=1,
        timeout=2.0,
        backoff_base=0.01,
    )
    with pytest.raises(RuntimeError, match="connection error") as err:
        gen.generate([_query()])
    assert KEY not in str(err.value)
    assert gen.usage["retries"] == 1


def test_max_tokens_fallback(fake_openai: FakeOpenAI, key: str) -> None:
    fake_openai.reject_max_tokens = True
    gen = _gen(fake_openai)
    assert gen.generate([_query()]) == ["3.5"]
    assert gen.generate([_query(1)]) == ["3.5"]  # remembered: no second rejection
    bodies = [r.body for r in fake_openai.requests]
    assert [r.status for r in fake_openai.requests] == [400, 200, 200]
    assert bodies[0]["max_tokens"] == 32
    assert all(b["max_completion_tokens"] == 32 and "max_tokens" not in b for b in bodies[1:])
    assert gen.usage["retries"] == 0


def test_retry_after_parsing() -> None:
    assert _retry_after({"retry-after": "2"}, cap=30) == 2
    assert _retry_after({"retry-after": "1000"}, cap=30) == 30
    assert _retry_after({"retry-after-ms": "250", "retry-after": "9"}, cap=30) == 0.25
    assert _retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, cap=30) == 0
    assert _retry_after({"retry-after": "soon"}, cap=30) is None
    assert _retry_after({}, cap=30) is None


# -- errors and key hygiene -------------------------------------------------------------------


def test_key_sent_but_never_logged_or_returned(
    fake_openai: FakeOpenAI, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_openai.api_key = KEY
    fake_openai.fail_next(1, status=429)
    gen = _gen(fake_openai)
    out = gen.generate_detailed([_query(0), _query(1)])
    assert [g.text for g in out] == ["3.5", "3.5"]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake_openai.requests)
    assert "retry 1/3" in caplog.text  # the retry was logged...
    assert KEY not in caplog.text  # ...without the key
    assert KEY not in repr(out) and KEY not in json.dumps(gen.usage) and KEY not in repr(gen)


def test_401_is_clear_and_scrubbed(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_openai.api_key = "the-right-key"
    monkeypatch.setenv(KEY_ENV, KEY)
    gen = _gen(fake_openai)
    with pytest.raises(RuntimeError) as err:
        gen.generate([_query()])
    msg = str(err.value)
    assert "openai:fake-vlm" in msg and "401" in msg and KEY_ENV in msg
    assert "Incorrect API key provided: ***" in msg  # the server echoed it; we scrubbed it
    assert KEY not in msg and KEY not in caplog.text
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert len(fake_openai.requests) == 1  # not retried


def test_404_is_not_retried(fake_openai: FakeOpenAI, key: str) -> None:
    gen = OpenAIGenerator(
        "fake-vlm", api_base=fake_openai.url.removesuffix("/v1"), api_key_env=KEY_ENV
    )
    with pytest.raises(RuntimeError, match=r"404.*--api-base"):
        gen.generate([_query()])
    assert len(fake_openai.requests) == 1


def test_missing_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ValueError, match=f"{KEY_ENV}.*any string"):
        OpenAIGenerator("fake-vlm", api_base="http://127.0.0.1:9/v1", api_key_env=KEY_ENV)


# -- depthlm eval end to end --------------------------------------------------------------------


def test_eval_cli_end_to_end(
    fake_openai: FakeOpenAI, key: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = make_dataset(tmp_path / "data", n_images=3, points=4)
    out = tmp_path / "r.json"
    args = [
        "eval",
        "--model",
        "openai:fake-vlm",
        "--api-base",
        fake_openai.url,
        "--api-key-env",
        KEY_ENV,
        "--data",
        str(data),
        "--points",
        "1",
        "--focal",
        "90",
        "--output",
        str(out),
        "--quiet",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    results = json.loads(out.read_text())
    assert results["model"] == "openai:fake-vlm"
    toy = results["datasets"]["toy"]
    assert toy["n"] > 0 and "delta1" in toy
    assert toy["n"] + toy["skipped"] == 3
    assert results["usage"]["prompt_tokens"] > 0  # token usage summed into the results
    preds = tmp_path / "r.predictions.jsonl"
    rows = [json.loads(line) for line in preds.read_text().splitlines()[1:]]
    answered = [r for r in rows if "skipped" not in r]
    assert answered and all(r["text"] == "3.5" and r["pred"] == 3.5 for r in answered)
    # The server saw PNG images carrying the red marker and the general preset's question.
    assert len(fake_openai.answered) == len(answered)
    for seen in fake_openai.answered:
        assert all(u.startswith(PNG_PREFIX) for u in image_urls(seen.body))
        assert seen.red and all(n > 0 for n in seen.red)
        assert "<answer>" in user_text(seen.body)
    for text in (out.read_text(), preds.read_text(), res.output, caplog.text):
        assert KEY not in text


def test_eval_cli_bad_key_is_one_line(fake_openai: FakeOpenAI, key: str, tmp_path: Path) -> None:
    """A refused key ends the CLI with exit 2 and one scrubbed line, not a traceback."""
    fake_openai.api_key = "the-right-key"
    data = make_dataset(tmp_path / "data", n_images=1, points=1)
    args = ["eval", "--model", "openai:fake-vlm", "--api-base", fake_openai.url,
            "--api-key-env", KEY_ENV, "--data", str(data), "--focal", "90",
            "--output", str(tmp_path / "r.json"), "--quiet"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert "error:" in res.output and "401" in res.output and "Traceback" not in res.output
    assert KEY not in res.output
