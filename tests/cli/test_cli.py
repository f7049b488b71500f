import json

from PIL import Image
from typer.testing import CliRunner

from depthlm.cli.main import app

runner = CliRunner()


def test_help_lists_commands():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("eval", "inspect", "init-tiny", "demo"):
        assert cmd in res.output


def test_eval_constant_on_ibims(ibims_jsonl, tmp_path):
    out = tmp_path / "res.json"
    res = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "constant:2.0",
            "--data",
            str(ibims_jsonl),
            "--points",
            "all",
            "--output",
            str(out),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "0.282" in res.stdout
    assert json.loads(out.read_text())["datasets"]["ibims1_val"]["n"] == 10000


def test_eval_formats_and_median(toy_jsonl, tmp_path):
    res = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "median",
            "--data",
            str(toy_jsonl),
            "--output",
            str(tmp_path / "r.json"),
            "--format",
            "csv",
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "metric,toy,avg"
    res = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "median",
            "--data",
            str(toy_jsonl),
            "--output",
            str(tmp_path / "r.json"),
            "--format",
            "markdown",
            "--quiet",
        ],
    )
    assert res.stdout.startswith("| median (distance) | toy | avg |")


def test_eval_bad_record_names_line(toy_jsonl, tmp_path):
    lines = toy_jsonl.read_text().splitlines()
    lines[1] = lines[1].replace('"depth": [', '"depth": [-1, ')
    toy_jsonl.write_text("\n".join(lines) + "\n")
    res = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "constant:2",
            "--data",
            str(toy_jsonl),
            "--output",
            str(tmp_path / "r.json"),
            "--quiet",
        ],
    )
    assert res.exit_code == 2
    assert f"{toy_jsonl}:2: field 'depth'" in res.output


def test_eval_bad_model_spec(toy_jsonl, tmp_path):
    res = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "oracle",
            "--data",
            str(toy_jsonl),
            "--output",
            str(tmp_path / "r.json"),
        ],
    )
    assert res.exit_code == 2 and "unknown model 'oracle'" in res.output


def test_inspect_json_and_png(ibims_jsonl, tmp_path):
    out = tmp_path / "q.png"
    res = runner.invoke(
        app,
        [
            "inspect",
            str(ibims_jsonl),
            "--index",
            "0",
            "--focal",
            "750",
            "--preset",
            "official",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["pixel"] == [695, 172]
    assert info["intrinsics"][0] == 750.0 and info["intrinsics"][4:] == [857, 643]
    assert info["prompt"].startswith("Given this image, how far is the point pointed by the red")
    assert info["answer"].endswith("<answer> 2.42 </answer>")
    with Image.open(out) as im:
        assert im.size == (857, 643) and im.getpixel((694, 172)) == (255, 0, 0)


def test_inspect_index_out_of_range(ibims_jsonl, tmp_path):
    res = runner.invoke(
        app, ["inspect", str(ibims_jsonl), "--index", "10000", "--out", str(tmp_path / "q.png")]
    )
    assert res.exit_code == 2 and "out of range" in res.output
