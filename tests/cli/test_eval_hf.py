"""`depthlm eval --model hf:DIR` end to end on every tiny architecture."""

import json

import pytest
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.models.tiny import TINY_ARCHS
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture

runner = CliRunner()


@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_eval_hf_scores_every_answer(arch, toy_jsonl, tmp_path, tmp_path_factory):
    model = tiny_model_dir(arch, tmp_path_factory)
    out = tmp_path / "r.json"
    args = [
        "eval",
        "--model",
        f"hf:{model}",
        "--data",
        str(toy_jsonl),
        "--points",
        "2",
        "--limit",
        "4",
        "--focal",
        "90",
        "--output",
        str(out),
        "--quiet",
        "--max-new-tokens",
        "6",
        "--batch-size",
        "3",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())["datasets"]["toy"]
    assert d["n"] + d["skipped"] == 4
    assert d["unparsed"] <= d["n"]
    rows = (tmp_path / "r.predictions.jsonl").read_text().splitlines()[1:]
    assert len(rows) == 4 and all("text" in json.loads(r) for r in rows)
