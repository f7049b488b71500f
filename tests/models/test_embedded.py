"""depthlm-tiny, the shipped model: loads offline, answers every task, and really measures."""

import json

import pytest
from transformers import AutoModelForImageTextToText, AutoProcessor
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.data.synth import synthesize
from depthlm.models.contract import load_contract
from depthlm.models.embedded import embedded_dir, resolve_model_path
from depthlm.tasks import ALL_TASKS, TASKS
from tests.models.conftest import _hf_offline  # noqa: F401 - fixture

runner = CliRunner()


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    """Synthetic views from a seed no training set uses."""
    return synthesize(tmp_path_factory.mktemp("unseen") / "data", images=40, seed=4321,
                      points=10, progress=False)  # fmt: skip


def test_ships_in_the_package_and_loads_with_auto_classes():
    path = embedded_dir()
    assert resolve_model_path("embedded") == str(path)
    size = sum(f.stat().st_size for f in path.iterdir())
    assert size <= 25 * 2**20
    model = AutoModelForImageTextToText.from_pretrained(path)
    AutoProcessor.from_pretrained(path)
    assert model.config.model_type == "qwen2_5_vl"
    contract = load_contract(path)
    assert set(contract["tasks"]) == set(ALL_TASKS) and contract["focal"] > 0
    # trained on fov, but its estimate measured no better than the 60° default (bench fov)
    assert contract["focal_fallback"] == "default"


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(TASKS))
def test_eval_every_task(task, unseen, tmp_path):
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["eval", "--model", "embedded", "--task", task, "--data", str(unseen),
                              "--points", "1", "--output", str(out), "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())["datasets"]["records"]
    assert d["n"] > 0 and d["unparsed"] <= 0.1 * d["n"]


@pytest.mark.slow
def test_measures_better_than_the_constant(unseen, tmp_path):
    """Falsifiable: the model must beat the paper's constant row by a clear margin. (It does not
    yet beat the dataset-median oracle reliably: docs/embedded.md.)"""
    scores = {}
    for model in ("embedded", "constant:2.0"):
        out = tmp_path / f"{model.replace(':', '_')}.json"
        res = runner.invoke(app, ["eval", "--model", model, "--data", str(unseen), "--points",
                                  "2", "--output", str(out), "--quiet"])  # fmt: skip
        assert res.exit_code == 0, res.output
        scores[model] = json.loads(out.read_text())["datasets"]["records"]["delta1"]
    assert scores["embedded"] > scores["constant:2.0"] + 0.05, scores
