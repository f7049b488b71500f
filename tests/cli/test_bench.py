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


def test_bench_infer_reports_the_speedup():
    res = runner.invoke(app, ["bench", "infer", "--images", "2", "--points", "3", "--json"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout.strip().splitlines()[-1])
    assert figures["speedup"] > 0 and figures["points"] > 0
    ref, engine = figures["reference"], figures["engine"]
    assert ref["preset"] == "official" and ref["batch_size"] == 3
    assert ref["max_new_tokens"] == 4096 and engine["preset"] == "compact"
    assert engine["points_per_s"] > 0 and 0.0 <= engine["delta1"] <= 1.0
    assert set(engine["seconds_breakdown"]) >= {"build_questions", "processor", "generate"}


def test_bench_dense_reports_abs_rel_per_budget():
    args = ["bench", "dense", "--model", "oracle", "--model", "embedded", "--images", "1",
            "--queries", "6,60", "--json"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout.strip().splitlines()[-1])
    for name in ("oracle", "embedded"):
        entry = figures["answerers"][name]
        rows = {(r["queries"], r["method"]): r for r in entry["rows"]}
        assert set(rows) == {(q, m) for q in (6, 60) for m in ("grid", "grid+edge", "adaptive")}
        assert all(r["abs_rel"] >= 0 and r["seconds_per_map"] >= 0 for r in rows.values())
        assert entry["goal"]["adaptive_queries"] == 6 and entry["goal"]["grid_queries"] == 60
    oracle = {
        (r["queries"], r["method"]): r["abs_rel"] for r in figures["answerers"]["oracle"]["rows"]
    }
    assert oracle[(60, "adaptive")] < oracle[(6, "adaptive")]  # more answers, a better map
    assert "confidence_spearman" in figures["answerers"]["embedded"]


def test_bench_dense_rejects_bad_budgets():
    res = runner.invoke(app, ["bench", "dense", "--model", "oracle", "--queries", "64,x"])
    assert res.exit_code == 2 and "--queries" in res.output


def test_bench_multipoint_asks_the_same_pixels_both_ways():
    res = runner.invoke(app, ["bench", "multipoint", "--images", "2", "--points", "8", "--json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout.strip().splitlines()[-1])
    assert r["single"]["points"] == r["multi"]["points"] > 0
    assert r["multi"]["questions"] < r["single"]["questions"]  # several points per question
    assert 0 <= r["single"]["delta1"] <= 1 and r["speedup"] > 0


def test_bench_fov_reports_degrees_and_delta1():
    res = runner.invoke(app, ["bench", "fov", "--images", "2", "--json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(r["delta1"]) == {"true_focal", "estimated", "default"}
    assert 25 < r["constant_fov"] < 95  # the synthetic world's 28°–90° views


@pytest.mark.slow
def test_bench_serve_runs_every_phase():
    args = ["bench", "serve", "--clients", "2", "--requests", "6", "--duration", "10",
            "--queue-size", "2", "--json"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout.strip().splitlines()[-1])
    assert r["batch1"]["ok"] == r["batched"]["ok"] == 6 and r["batched"]["errors"] == 0
    assert r["overload_run"]["requests"] > 0 and r["speedup"] > 0
    assert r["memory_mb"]["after_start"] is None or r["memory_mb"]["after_start"] > 0
