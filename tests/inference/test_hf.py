"""HFGenerator over the tiny models: batched greedy output equals one-by-one output."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthlm.inference.base import ChatQuery, Generator
from depthlm.inference.hf import HFGenerator, build_messages
from depthlm.models.tiny import TINY_ARCHS
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401  (fixture + cache)


def _image(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


QUERIES = [
    ChatQuery(
        [_image(112, 112, 0)],
        "How far is the point pointed by the red arrow from the camera?",
        system="You are a helpful assistant.",
    ),
    ChatQuery([_image(140, 112, 1)], "How far is this point from the camera?"),
    ChatQuery(
        [_image(112, 112, 2), _image(112, 140, 3)],
        "How many meters has the camera moved between these 2 images?",
        system="Answer with a number.",
    ),
]


@pytest.fixture(scope="module", params=TINY_ARCHS)
def generator(request: pytest.FixtureRequest, tmp_path_factory) -> HFGenerator:
    path = tiny_model_dir(request.param, tmp_path_factory)
    return HFGenerator.from_pretrained(path, batch_size=8, max_new_tokens=8)


def test_build_messages() -> None:
    image = _image(8, 8, 0)
    content = [{"type": "image", "image": image}, {"type": "text", "text": "Q"}]
    assert build_messages(ChatQuery([image], "Q")) == [{"role": "user", "content": content}]
    messages = build_messages(ChatQuery([], "Q", system="S"))
    assert messages[0] == {"role": "system", "content": [{"type": "text", "text": "S"}]}


def test_protocol_and_name(generator: HFGenerator) -> None:
    assert isinstance(generator, Generator)
    assert generator.name.startswith("hf:")
    assert generator.tokenizer.padding_side == "left"


def test_batched_equals_one_by_one(generator: HFGenerator, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="depthlm.inference.hf"):
        generator.batch_size = 8
        batched = generator.generate(QUERIES)
    assert not caplog.records, "the batch fell back to one-by-one generation"
    generator.batch_size = 1
    single = generator.generate(QUERIES)
    generator.batch_size = 8
    assert len(batched) == len(QUERIES)
    assert all(isinstance(answer, str) for answer in batched)
    assert batched == single  # exact: left padding + attention mask must not change anything


def test_text_only_queries_mixed_with_images(generator: HFGenerator) -> None:
    queries = [ChatQuery([], "How far?"), QUERIES[1]]
    batched = generator.generate(queries)
    assert batched == [generator.generate([q])[0] for q in queries]


def test_max_new_tokens_bounds_length(generator: HFGenerator, monkeypatch) -> None:
    new_lengths: list[int] = []
    generate = generator.model.generate

    def spy(**kwargs):
        out = generate(**kwargs)
        new_lengths.append(out.shape[1] - kwargs["input_ids"].shape[1])
        return out

    monkeypatch.setattr(generator.model, "generate", spy)
    monkeypatch.setattr(generator, "max_new_tokens", 3)
    answers = generator.generate(QUERIES)
    assert len(answers) == 3
    assert new_lengths and max(new_lengths) <= 3


def test_empty_input(generator: HFGenerator) -> None:
    assert generator.generate([]) == []


def test_from_pretrained_defaults(tmp_path_factory) -> None:
    gen = HFGenerator.from_pretrained(tiny_model_dir("qwen2_vl", tmp_path_factory), dtype="float32")
    assert gen.device.type in {"cpu", "cuda"}
    assert gen.batch_size == 8 and gen.max_new_tokens == 64
    assert str(gen.model.dtype) == "torch.float32"


def test_stop_strings_are_forwarded(tmp_path_factory) -> None:
    path: Path = tiny_model_dir("qwen2_vl", tmp_path_factory)
    free = HFGenerator.from_pretrained(path, max_new_tokens=8).generate(QUERIES[:1])[0]
    assert len(free) > 1
    stopped = HFGenerator.from_pretrained(path, max_new_tokens=8, stop_strings=[free[1]])
    answer = stopped.generate(QUERIES[:1])[0]
    assert free.startswith(answer) and len(answer) < len(free)
