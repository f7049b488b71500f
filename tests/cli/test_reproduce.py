"""``depthlm reproduce``: verdicts allow for chance; the whole pipeline runs and resumes."""

import json

import pytest
from typer.testing import CliRunner

from depthlm.bench.reproduce import FINDINGS, verdict
from depthlm.cli.main import app

FOCAL = next(f for f in FINDINGS if f.key == "focal")
SFT_GRPO = next(f for f in FINDINGS if f.key == "sft_grpo")


def _arm(delta1, n=200):
    return {"delta1": delta1, "n": n}


def test_verdict_needs_a_gap_beyond_noise():
    assert verdict(FOCAL, _arm(0.60), _arm(0.30))["verdict"] == "matches"
    assert verdict(FOCAL, _arm(0.30), _arm(0.60))["verdict"] == "does not match"
    assert verdict(FOCAL, _arm(0.33), _arm(0.30))["verdict"] == "too close to call"
    # the same gap on 12 questions is noise
    assert verdict(FOCAL, _arm(0.60, 12), _arm(0.30, 12))["verdict"] == "too close to call"
    assert verdict(SFT_GRPO, _arm(0.50), _arm(0.52))["verdict"] == "matches"
    assert verdict(SFT_GRPO, _arm(0.80), _arm(0.30))["verdict"] == "does not match"


def test_no_finding_while_both_arms_sit_at_the_median_answer():
    """Arms still in the answer-distribution plateau say nothing about the paper."""
    out = verdict(FOCAL, _arm(0.20), _arm(0.35), median=0.30)["verdict"]
    assert out.startswith("no finding yet")
    assert verdict(FOCAL, _arm(0.60), _arm(0.30), median=0.30)["verdict"] == "matches"


@pytest.mark.slow
def test_reproduce_runs_and_resumes(tmp_path):
    out = tmp_path / "rep"
    args = ["reproduce", "--out", str(out), "--steps", "2", "--train-images", "20",
            "--eval-images", "6", "--finding", "sft_grpo", "--finding", "baselines"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    results = json.loads((out / "reproduce.json").read_text())
    assert set(results["arms"]) == {"base", "sft", "grpo"}
    assert results["arms"]["sft"]["samples"] == results["arms"]["grpo"]["samples"]
    assert set(results["baselines"]) == {"constant", "median"}
    table = (out / "reproduce.md").read_text()
    assert "### SFT vs GRPO at equal samples" in table and "Paper: similar accuracy" in table
    seconds = (out / "arms" / "grpo" / "done.json").read_text()
    again = CliRunner().invoke(app, args)  # trained arms are kept, not retrained
    assert again.exit_code == 0, again.output
    assert (out / "arms" / "grpo" / "done.json").read_text() == seconds
    assert json.loads((out / "reproduce.json").read_text())["arms"] == results["arms"]
    longer = CliRunner().invoke(app, [*args[:4], "3", *args[5:]])  # a new length retrains
    assert longer.exit_code == 0, longer.output
    assert json.loads((out / "arms" / "grpo" / "done.json").read_text())["steps"] == 1
    assert json.loads((out / "arms" / "base" / "done.json").read_text())["steps"] == 3


def test_unknown_finding_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["reproduce", "--out", str(tmp_path), "--finding", "nope"])
    assert res.exit_code == 2
    assert "unknown finding" in res.output
