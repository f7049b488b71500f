"""``depthlm init-tiny``: a recipe's shape, command-line overrides on top, clear refusals."""

import json

import pytest
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.cli.tiny import parse_sets

runner = CliRunner()


def test_set_values_are_read_as_yaml():
    assert parse_sets(["vision_window_size=56", "vision_fullatt_block_indexes=[3]"]) == {
        "vision_window_size": 56,
        "vision_fullatt_block_indexes": [3],
    }
    assert parse_sets(['default_system=""', "a=b=c"]) == {"default_system": "", "a": "b=c"}
    for bad in ("vision_window_size", "=3"):
        with pytest.raises(ValueError, match="--set expects KEY=VALUE"):
            parse_sets([bad])


def test_a_recipes_shape_with_an_override(tmp_path):
    out = tmp_path / "init"
    res = runner.invoke(
        app,
        ["init-tiny", "--recipe", "depthlm_tiny", "--out", str(out),
         "--set", "vision_window_size=56", "--set", "vision_fullatt_block_indexes=[3]"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "qwen2_5_vl"
    assert config["text_config"]["hidden_size"] == 160  # from the recipe
    assert config["vision_config"]["hidden_size"] == 96
    assert config["vision_config"]["window_size"] == 56  # from --set, over the recipe's 112
    assert config["vision_config"]["fullatt_block_indexes"] == [3]


def test_bad_overrides_exit_with_one_clear_line(tmp_path):
    res = runner.invoke(
        app, ["init-tiny", "--out", str(tmp_path / "m"), "--set", "vision_windw_size=56"]
    )
    assert res.exit_code == 2
    assert "unknown override(s) vision_windw_size" in res.output
    res = runner.invoke(app, ["init-tiny", "--out", str(tmp_path / "m"), "--set", "depth"])
    assert res.exit_code == 2 and "--set expects KEY=VALUE" in res.output
    assert not (tmp_path / "m").exists()
