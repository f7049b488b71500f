"""The vLLM backend: a clear error without vLLM, and the engine input it builds (checked
against a stand-in ``vllm`` module; the real engine is exercised on GPU machines)."""

import math
import sys
import types
from types import SimpleNamespace

import pytest
from PIL import Image

from depthlm.inference.backends import load_generator
from depthlm.prompting.query import ChatQuery
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


def test_missing_vllm_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    with pytest.raises(ImportError, match="needs vLLM and a CUDA GPU"):
        load_generator("vllm:/some/model")


@pytest.fixture
def fake_vllm(monkeypatch):
    calls = {}

    class LLM:
        def __init__(self, **options):
            calls["options"] = options

        def generate(self, requests, sampling):
            calls["requests"], calls["sampling"] = requests, sampling
            n = sampling.get("n", 1)  # sample j of request i: i + 3j + 0.5 m, in j + 2 tokens

            def out(i, j):
                return SimpleNamespace(text=f" {i + 3 * j}.5 ", token_ids=[7] * (j + 2))

            return [
                SimpleNamespace(prompt_token_ids=[1, 2, 3], outputs=[out(i, j) for j in range(n)])
                for i in range(len(requests))
            ]

        def beam_search(self, requests, params):
            """Beam j of request i: the prompt's tokens, then "<i + j>.5" and end of turn, at
            log-probability -j; its first beam runs past the end of turn."""
            calls["requests"], calls["sampling"] = requests, params
            tok = calls["tokenizer"]
            end = tok.convert_tokens_to_ids("<|im_end|>")

            def beam(i, j):
                reply = [*tok.encode(f"{i + j}.5", add_special_tokens=False), end]
                tail = tok.encode(" 99", add_special_tokens=False) if j == 0 else []
                prompt = {"prompt_token_ids": [1, 2, 3]}
                return SimpleNamespace(tokens=[1, 2, 3, *reply, *tail], cum_logprob=-float(j),
                                       orig_prompt=prompt)  # fmt: skip

            width = params["beam_width"]
            return [SimpleNamespace(sequences=[beam(i, j) for j in range(width)])
                    for i in range(len(requests))]  # fmt: skip

    module = types.ModuleType("vllm")
    module.LLM = LLM
    module.SamplingParams = lambda **kw: kw
    params = types.ModuleType("vllm.sampling_params")
    params.BeamSearchParams = lambda **kw: kw
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", params)
    return calls


def test_engine_inputs_follow_the_chat_template(fake_vllm, tmp_path_factory):
    path = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    gen = load_generator(f"vllm:{path}", max_new_tokens=9)
    assert fake_vllm["options"]["limit_mm_per_prompt"] == {"image": 2}
    image = Image.new("RGB", (56, 56), (255, 0, 0))
    answers = gen.generate_detailed([ChatQuery(images=[image], text="How far?", system=None)] * 2)
    assert [a.text for a in answers] == ["0.5", "1.5"]
    assert answers[0].prompt_tokens == 3 and answers[0].completion_tokens == 2
    request = fake_vllm["requests"][0]
    assert request["multi_modal_data"]["image"] == [image]
    assert "<|vision_start|><|image_pad|><|vision_end|>How far?" in request["prompt"]
    assert request["prompt"].endswith("<|im_start|>assistant\n")
    assert fake_vllm["sampling"] == {"temperature": 0.0, "max_tokens": 9}


def test_samples_share_one_request_and_answer_the_median(fake_vllm, tmp_path_factory):
    path = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    gen = load_generator(f"vllm:{path}", max_new_tokens=9, samples=3, temperature=0.5)
    image = Image.new("RGB", (56, 56), (255, 0, 0))
    query = ChatQuery(images=[image], text="How far?", meta={"task": "distance"})
    (answer,) = gen.generate_detailed([query])
    assert fake_vllm["sampling"] == {"n": 3, "temperature": 0.5, "max_tokens": 9, "seed": 0}
    assert answer.samples == ["0.5", "3.5", "6.5"]
    assert answer.text == "3.5" and answer.completion_tokens == 3  # the median, its own tokens
    assert answer.confidence == pytest.approx(1 / 3)


def test_beams_come_from_the_engines_beam_search(fake_vllm, tmp_path_factory):
    from transformers import AutoTokenizer

    path = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    fake_vllm["tokenizer"] = AutoTokenizer.from_pretrained(path)
    gen = load_generator(f"vllm:{path}", max_new_tokens=9, beams=3)
    image = Image.new("RGB", (56, 56), (255, 0, 0))
    query = ChatQuery(images=[image], text="How far?", meta={"task": "distance"})
    (answer,) = gen.generate_detailed([query])
    assert fake_vllm["sampling"] == {"beam_width": 3, "max_tokens": 9, "length_penalty": 0.0}
    # prompt tokens and what follows the end of turn are cut off each beam
    assert answer.samples == ["0.5", "1.5", "2.5"]
    # 0.5, 1.5 and 2.5 are more than ×1.25 apart: the likeliest beam wins, with its own mass
    assert answer.text == "0.5" and answer.prompt_tokens == 3
    weights = [1.0, math.exp(-1), math.exp(-2)]
    assert answer.confidence == pytest.approx(weights[0] / sum(weights))
