import json

import pytest
from typer.testing import CliRunner

from depthlm.cli.main import app
from tests.models.conftest import _hf_offline  # noqa: F401 - fixture

runner = CliRunner()


def test_bench_synth_prints_figures():
    res = runner.invoke(app, ["bench", "synth", "--images", "4", "--size", "64", "--json"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout.strip().splitlines()[-1])
    assert figures["images"] == 4 and figures["images_per_s"] > 0


@pytest.mark.slow
def test_bench_train_prints_figures():
    res = runner.invoke(app, ["bench", "train", "--steps", "8", "--batch-size", "4", "--json"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout.strip().splitlines()[-1])
    assert figures["train_samples_per_s"] > 0 and figures["data_samples_per_s"] > 0
