"""The ``synth`` command and the contact sheet."""

from __future__ import annotations

import numpy as np
import typer
from PIL import Image
from typer.testing import CliRunner

from depthlm.cli.synth import synth_command
from depthlm.data.records import read_records
from depthlm.data.synth.preview import colorize_depth, colormap, preview_sheet

app = typer.Typer()
app.command()(synth_command)
runner = CliRunner()


def test_cli_tiny_run_with_preview(tmp_path):
    out, sheet = tmp_path / "run", tmp_path / "sheet.png"
    args = [
        "--out",
        str(out),
        "--images",
        "3",
        "--size",
        "48",
        "--points",
        "8",
        "--seed",
        "2",
        "--world",
        "indoor",
        "--preview",
        str(sheet),
        "--quiet",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    records = read_records(out / "records.jsonl")
    assert len(records) == 3 and [r.frame for r in records] == [0, 1, 0]
    assert all(r.extra["world"] == "indoor" for r in records)
    assert Image.open(sheet).size[0] > 200
    assert "records:" in res.output and not (out / "depth").exists()


def test_cli_rejects_unknown_world(tmp_path):
    res = runner.invoke(app, ["--out", str(tmp_path / "x"), "--world", "moon", "--quiet"])
    assert res.exit_code == 2
    assert "world must be one of" in res.output


def test_preview_uses_dense_maps_or_rerenders(synth_run, tmp_path):
    a = preview_sheet(synth_run / "records.jsonl", tmp_path / "a.png", n=4)
    img = np.asarray(Image.open(a))
    assert img.shape[1] == 3 * (2 * 192 + 6)  # three views per row: image + depth each
    # without the saved maps the depth panels are re-rendered identically
    (tmp_path / "copy").mkdir()
    for p in synth_run.rglob("*"):
        if p.is_file() and "depth" not in p.parts[-2]:
            dst = tmp_path / "copy" / p.relative_to(synth_run)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(p.read_bytes())
    b = preview_sheet(tmp_path / "copy" / "records.jsonl", tmp_path / "b.png", n=4)
    np.testing.assert_array_equal(img, np.asarray(Image.open(b)))


def test_colormap_is_ordered_and_sky_black():
    rgb = colormap(np.linspace(0, 1, 9))
    assert rgb.shape == (9, 3) and rgb[0, 2] > rgb[0, 0] and rgb[-1, 0] > rgb[-1, 2]
    d = np.array([[0.0, 0.5, 5.0, 80.0]])
    c = colorize_depth(d)
    assert c[0, 0].tolist() == [0, 0, 0] and len({tuple(v) for v in c[0, 1:]}) == 3
