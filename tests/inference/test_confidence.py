"""Confidence from the answer tokens' probabilities: the rule, the generator, every output."""

import json
import math

import numpy as np
import pytest
import torch

from depthlm.evaluation.answerers import load_answerer
from depthlm.evaluation.runner import EvalSettings, confidence_spearman, evaluate, spearman
from depthlm.inference.depthlm import DepthLM
from depthlm.inference.hf import HFGenerator, _ChosenLogProbs, answer_confidence
from depthlm.models.tiny import TINY_ARCHS
from depthlm.prompting.query import QuerySpec
from tests.inference.test_hf import QUERIES
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def embedded() -> HFGenerator:
    from depthlm.models.embedded import resolve_model_path

    return HFGenerator.from_pretrained(resolve_model_path("embedded"), max_new_tokens=20)


@pytest.fixture(scope="module", params=TINY_ARCHS)
def tiny(request, tmp_path_factory) -> HFGenerator:
    path = tiny_model_dir(request.param, tmp_path_factory)
    return HFGenerator.from_pretrained(path, max_new_tokens=8)


def test_the_number_tokens_decide():
    pieces = ["The", " point", " is", " 3", ".", "2", " m"]
    logp = [0.0, 0.0, 0.0, math.log(0.5), math.log(0.9), math.log(0.2), 0.0]
    assert answer_confidence(pieces, logp) == pytest.approx((0.5 * 0.9 * 0.2) ** (1 / 3))


def test_the_last_answer_block_wins_over_reasoning():
    pieces = ["<think>", " 9", "</think>", "<answer>", " 4", "2", " </answer>"]
    logp = [0.0, math.log(0.01), 0.0, 0.0, math.log(0.8), math.log(0.8), 0.0]
    assert answer_confidence(pieces, logp) == pytest.approx(0.8)
    derivation = ["6", " /", " 2", " =", " 3", ".", "0"]  # speed: the final number counts
    logp = [math.log(0.1)] * 4 + [math.log(0.6)] * 3
    assert answer_confidence(derivation, logp) == pytest.approx(0.6)


def test_no_number_uses_every_token_and_stays_finite():
    assert answer_confidence(["far", " away"], [math.log(0.25), math.log(1.0)]) == 0.5
    value = answer_confidence(["3"], [-math.inf])
    assert value is not None and 0.0 <= value < 1e-20
    assert answer_confidence([], []) is None
    with pytest.raises(ValueError):
        answer_confidence(["3"], [])


def test_recorded_probabilities_equal_output_scores(embedded):
    """The on-the-fly recorder gives what ``output_scores=True`` would, token by token."""
    inputs = embedded._inputs(QUERIES[:2])
    recorder = _ChosenLogProbs()
    with torch.inference_mode():
        out = embedded.model.generate(**inputs, max_new_tokens=6, do_sample=False,
                                      output_scores=True, return_dict_in_generate=True,
                                      logits_processor=[recorder])  # fmt: skip
    new = out.sequences[:, inputs["input_ids"].shape[1] :]
    scores = torch.stack([torch.log_softmax(s.float(), -1) for s in out.scores], dim=1)
    expected = scores.gather(2, new[..., None])[..., 0]
    torch.testing.assert_close(recorder.finish(new), expected)


def test_generator_confidence_is_a_probability(embedded, tiny):
    for generator in (embedded, tiny):
        answers = generator.generate_detailed(QUERIES)
        assert len(answers) == len(QUERIES)
        for a in answers:
            assert a.confidence is not None and 0.0 <= a.confidence <= 1.0


def test_measure_and_depth_map_carry_confidence(tmp_path_factory):
    from depthlm.models.contract import save_contract

    path = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    save_contract(path, QuerySpec(focal=60.0, preset="short"))
    vlm = DepthLM.from_pretrained(str(path), batch_size=8)
    rgb = np.random.default_rng(0).integers(0, 255, (72, 96, 3), dtype=np.uint8)
    out = vlm.measure(rgb, [[40, 30], [1, 1]], focal=80.0)
    assert out["confidence"].shape == (2,) and np.isnan(out["confidence"][1])
    assert 0.0 <= out["confidence"][0] <= 1.0
    for sampling in ("grid", "adaptive"):
        dense = vlm.depth_map(rgb, focal=80.0, queries=12, sampling=sampling)
        conf = dense["confidence"]
        assert conf.shape == (72, 96) and np.isfinite(conf).all()
        assert conf.min() >= 0.0 and conf.max() <= 1.0
        assert dense["grid_confidence"].shape == (len(dense["grid"]),)


def test_eval_rows_and_results_carry_confidence(toy_jsonl, tmp_path):
    answerer = load_answerer("embedded", batch_size=8, max_new_tokens=20)
    spec = QuerySpec(focal=112.0, preset="compact")
    res = evaluate(answerer, [toy_jsonl], tmp_path / "r.json", spec=spec,
                   settings=EvalSettings(points=3), progress=False)  # fmt: skip
    lines = (tmp_path / "r.predictions.jsonl").read_text().splitlines()[1:]
    rows = [json.loads(line) for line in lines]
    answered = [r for r in rows if "skipped" not in r]
    assert answered and all(0.0 <= r["confidence"] <= 1.0 for r in answered)
    rho = res["datasets"]["toy"]["confidence_spearman"]
    assert rho is None or -1.0 <= rho <= 1.0
    assert rho == confidence_spearman(answered)


def test_spearman_on_known_data():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [9, 4, 1, 0]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 1000]) == pytest.approx(1.0)  # ranks only
    # ties share their mean rank: x ranks 1, 2.5, 2.5, 4 against y ranks 1, 2, 3, 4
    rx, ry = np.array([1, 2.5, 2.5, 4]) - 2.5, np.array([1, 2, 3, 4]) - 2.5
    expected = (rx * ry).sum() / np.sqrt((rx * rx).sum() * (ry * ry).sum())
    assert spearman([0.1, 0.5, 0.5, 0.9], [1, 2, 3, 4]) == pytest.approx(expected)
    assert spearman([1, 2], [2, 1]) is None and spearman([1, 1, 1], [1, 2, 3]) is None


def test_confidence_spearman_reads_rows():
    rows = [{"pred": p, "gt": 2.0, "confidence": c}
            for p, c in ((2.0, 0.9), (2.4, 0.7), (1.2, 0.3), (4.0, 0.2))]  # fmt: skip
    assert confidence_spearman(rows) == pytest.approx(-1.0)  # confident = accurate
    rows += [{"pred": None, "gt": 2.0, "confidence": 0.5}, {"pred": 3.0, "gt": 2.0}]
    assert confidence_spearman(rows) == pytest.approx(-1.0)  # unusable rows are left out
    assert confidence_spearman(rows[:2]) is None
