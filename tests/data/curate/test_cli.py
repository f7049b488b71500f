"""``depthlm curate rgbd`` through the real CLI, then scored by ``depthlm eval``."""

import json

from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.data.records import read_records
from tests.data.curate.conftest import make_rgbd

runner = CliRunner()


def test_curate_then_eval(tmp_path):
    rgb, dep = make_rgbd(tmp_path, n=2, depth_m=2.0)
    kfile = tmp_path / "k.txt"
    kfile.write_text("frame_00000 30 30 16 12\nframe_00001 30 30 16 12\n")
    out = tmp_path / "out"
    args = ["curate", "rgbd", "--rgb", str(rgb), "--depth", str(dep), "--out", str(out),
            "--intrinsics-file", str(kfile), "--depth-scale", "1000", "--points", "5",
            "--exclude-edges", "--quiet"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 images, 10 points" in res.stdout
    assert len(read_records(out / "records.jsonl")) == 2
    results = tmp_path / "results.json"
    data = str(out / "records.jsonl")
    args = ["eval", "--model", "constant:2.0", "--data", data, "--output", str(results), "--quiet"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    scores = json.loads(results.read_text())["datasets"]["records"]
    assert scores["n"] == 10 and scores["delta1"] == 1.0  # z = 2 m, so distances are just above


def test_bad_input_exits_2(tmp_path):
    rgb, dep = make_rgbd(tmp_path, n=1)
    args = ["curate", "rgbd", "--rgb", str(rgb), "--depth", str(dep), "--out",
            str(tmp_path / "out"), "--intrinsics", "30,30,16", "--depth-scale", "1000"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "--intrinsics: expected 4 numbers" in res.output
    res = runner.invoke(app, [*args[:-4], "--intrinsics", "30,30,16,12", "--quiet"])
    assert res.exit_code == 2 and "needs --depth-scale" in res.output
