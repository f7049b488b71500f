"""`depthlm demo` end to end on a tiny random model (the embedded model has its own test)."""

from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.inference.pointcloud import read_ply
from depthlm.models.contract import save_contract
from depthlm.prompting.query import QuerySpec
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture

runner = CliRunner()


def test_demo_writes_panel_cloud_and_tables(tmp_path, tmp_path_factory, toy_jsonl):
    model = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    save_contract(model, QuerySpec(focal=96.0, preset="short"))
    out = tmp_path / "demo"
    args = ["demo", "--model", str(model), "--out", str(out), "--scenes", "1", "--points", "3",
            "--queries", "12", "--data", str(toy_jsonl)]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "scene 0: distance to the marked point" in res.stdout
    assert "depth map from 12 questions" in res.stdout
    assert "| constant:2.0 (distance) | toy | avg |" in res.stdout
    assert (out / "scene0" / "depth.png").is_file()
    points, colors = read_ply(out / "scene0" / "cloud.ply")
    assert len(points) > 1000 and colors is not None
