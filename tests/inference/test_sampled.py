"""``samples=N`` through the Transformers backend, evaluation and the CLI."""

from __future__ import annotations

import json
import statistics

import pytest
import torch
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.evaluation.answerers import load_answerer
from depthlm.evaluation.runner import EvalSettings, evaluate
from depthlm.inference.hf import HFGenerator
from depthlm.models.embedded import resolve_model_path
from depthlm.models.tiny import TINY_ARCHS
from depthlm.prompting.parsing import parse_answer
from depthlm.prompting.query import ChatQuery, QuerySpec
from tests.inference.test_hf import QUERIES
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture

runner = CliRunner()


@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_samples_are_seeded_and_leave_the_callers_random_state(arch, tmp_path_factory) -> None:
    """Every family expands its image inputs for N return sequences (pose asks two images)."""
    path = tiny_model_dir(arch, tmp_path_factory)
    gen = HFGenerator.from_pretrained(path, max_new_tokens=6, samples=3, temperature=1.0)
    state = torch.get_rng_state()
    first = gen.generate_detailed(QUERIES)
    assert torch.equal(state, torch.get_rng_state())
    for answer in first:
        assert answer.samples is not None and len(answer.samples) == 3
        assert answer.text in answer.samples
    again = gen.generate_detailed(QUERIES)  # same batch, same seed: same samples
    assert [a.samples for a in again] == [a.samples for a in first]


def test_the_embedded_models_answer_is_its_median_sample() -> None:
    gen = HFGenerator.from_pretrained(
        resolve_model_path("embedded"), max_new_tokens=8, samples=7, temperature=1.5
    )
    query = ChatQuery(QUERIES[0].images, QUERIES[0].text, meta={"task": "distance"})
    (answer,) = gen.generate_detailed([query])
    values = [parse_answer(t) for t in answer.samples]
    assert all(v is not None for v in values), answer.samples  # it answers in numbers
    assert len(set(values)) > 1, "at T=1.5 the samples should differ"
    assert parse_answer(answer.text) == statistics.median(values)
    close = sum(max(v / parse_answer(answer.text), parse_answer(answer.text) / v) < 1.25
                for v in values)  # fmt: skip
    assert answer.confidence == pytest.approx(close / 7)


def test_eval_records_every_sample_and_never_mixes_decodings(toy_jsonl, tmp_path) -> None:
    spec = QuerySpec(focal=112.0, preset="compact")
    settings = EvalSettings(points=2)
    out = tmp_path / "r.json"
    greedy = load_answerer("embedded", batch_size=8, max_new_tokens=8)
    evaluate(greedy, [toy_jsonl], out, spec=spec, settings=settings, progress=False)
    sampled = load_answerer("embedded", batch_size=8, max_new_tokens=8, samples=3)
    with pytest.raises(ValueError, match="--overwrite"):
        evaluate(sampled, [toy_jsonl], out, spec=spec, settings=settings, progress=False)
    out = tmp_path / "s.json"
    res = evaluate(sampled, [toy_jsonl], out, spec=spec, settings=settings, progress=False)
    assert res["config"]["decoding"] == "median of 3 samples at T=0.7"
    lines = (tmp_path / "s.predictions.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["header"]["decoding"] == "median of 3 samples at T=0.7"
    rows = [json.loads(line) for line in lines[1:]]
    answered = [r for r in rows if "skipped" not in r]
    assert answered and all(len(r["samples"]) == 3 and r["text"] in r["samples"] for r in answered)


def test_cli_refuses_zero_samples(toy_jsonl, tmp_path) -> None:
    res = runner.invoke(app, ["eval", "--model", "embedded", "--data", str(toy_jsonl),
                              "--samples", "0", "--output", str(tmp_path / "r.json")])  # fmt: skip
    assert res.exit_code != 0
    assert "samples must be an integer >= 1" in res.output


@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_beams_answer_one_of_their_candidates_on_every_family(arch, tmp_path_factory) -> None:
    """A beam search expands every family's image inputs per beam (pose asks two images)."""
    path = tiny_model_dir(arch, tmp_path_factory)
    gen = HFGenerator.from_pretrained(path, max_new_tokens=6, beams=3)
    for answer in gen.generate_detailed(QUERIES):
        assert answer.samples is not None and len(answer.samples) == 3
        assert answer.text in answer.samples


def test_the_embedded_models_beams_are_its_likeliest_replies() -> None:
    """Beam 1 of a width-4 search is the greedy reply when the greedy path is the likeliest
    (it is for a short number), and the chosen reply's chance is a probability."""
    path = resolve_model_path("embedded")
    query = ChatQuery(QUERIES[0].images, QUERIES[0].text, meta={"task": "distance"})
    (greedy,) = HFGenerator.from_pretrained(path, max_new_tokens=8).generate_detailed([query])
    (beam,) = HFGenerator.from_pretrained(path, max_new_tokens=8, beams=4).generate_detailed(
        [query]
    )
    assert len(set(beam.samples)) == 4, beam.samples  # four distinct replies
    assert all(parse_answer(t) is not None for t in beam.samples)
    assert greedy.text in beam.samples
    assert 0.0 < beam.confidence <= 1.0


def test_eval_names_the_beam_decoding(toy_jsonl, tmp_path) -> None:
    spec = QuerySpec(focal=112.0, preset="compact")
    answerer = load_answerer("embedded", batch_size=8, max_new_tokens=8, beams=2)
    res = evaluate(answerer, [toy_jsonl], tmp_path / "b.json", spec=spec,
                   settings=EvalSettings(points=1), progress=False)  # fmt: skip
    assert res["config"]["decoding"] == "best bet of 2 beams"
    lines = (tmp_path / "b.predictions.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines[1:]]
    answered = [r for r in rows if "skipped" not in r]
    assert answered and all(len(r["samples"]) == 2 and r["text"] in r["samples"] for r in answered)


def test_cli_refuses_beams_with_samples_and_beams_for_an_api(toy_jsonl, tmp_path) -> None:
    args = ["eval", "--model", "embedded", "--data", str(toy_jsonl),
            "--output", str(tmp_path / "r.json")]  # fmt: skip
    res = runner.invoke(app, [*args, "--samples", "3", "--beams", "2"])
    assert res.exit_code != 0 and "choose one of samples=3 and beams=2" in res.output
    with pytest.raises(ValueError, match="beams=2 needs a local model"):
        load_answerer("openai:gpt-test", beams=2)
