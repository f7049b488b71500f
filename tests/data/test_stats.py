"""``depthlm data stats``: the summary of a small synthetic file and its contact sheet."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.data.records import RecordError, read_records
from depthlm.data.stats import draw_contact_sheet, format_stats, record_stats
from tests.conftest import make_dataset

runner = CliRunner()


def _mixed(tmp_path: Path) -> Path:
    """Two toy files merged: the second with poses, a sequence, z labels and a dataset."""
    a = make_dataset(tmp_path, n_images=3, points=5, name="indoor")
    b = make_dataset(tmp_path, n_images=2, size=(80, 40), points=4, seed=1, name="drive")
    lines = a.read_text().splitlines()
    for i, text in enumerate(b.read_text().splitlines()):
        r = json.loads(text)
        r["intrinsics"][0] = r["intrinsics"][1] = 100.0
        r.update(depth=[40.0] * 4, depth_type="z", dataset="drive", sequence="d0", frame=i,
                 camera_to_world=np.eye(4).tolist())  # fmt: skip
        lines.append(json.dumps(r))
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_record_stats_counts(tmp_path):
    stats = record_stats(read_records(_mixed(tmp_path)))
    assert stats["records"] == 5 and stats["points"] == 3 * 5 + 2 * 4
    hist = stats["depth"]["histogram"]
    assert sum(b["count"] for b in hist) == 23
    assert all(b["hi"] == 2 * b["lo"] for b in hist)  # log2 bins
    assert [b["count"] for b in hist if b["lo"] == 32.0] == [8]  # the 40 m labels
    focal = {(b["lo"], b["count"]) for b in stats["focal_fx"]["histogram"]}
    assert focal == {(60.0, 3), (100.0, 2)}
    assert stats["image_size"]["sizes"] == {"64x48": 3, "80x40": 2}
    assert stats["depth_type"] == {"unset (euclidean)": 3, "z": 2}
    assert stats["dataset"] == {"unset": 3, "drive": 2}
    assert (stats["with_pose"], stats["with_sequence"], stats["sequences"]) == (2, 2, 1)
    text = format_stats(stats)
    assert "records: 5" in text and "32-64 m" in text and "#" in text


def test_cli_text_json_and_sheet(tmp_path):
    data = _mixed(tmp_path)
    sheet = tmp_path / "sheet.png"
    res = runner.invoke(app, ["data", "stats", str(data), "--sheet", str(sheet)])
    assert res.exit_code == 0, res.output
    assert "points:  23" in res.stdout and "with camera_to_world: 2 of 5" in res.stdout
    with Image.open(sheet) as img:
        assert img.width > 600 and img.height > 150
    res = runner.invoke(app, ["data", "stats", str(data), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["dataset"]["drive"] == 2


def test_sheet_picks_evenly(tmp_path):
    records = read_records(make_dataset(tmp_path, n_images=9, points=3))
    out = draw_contact_sheet(records, tmp_path / "s" / "sheet.png", max_images=3)
    assert out.is_file()
    with pytest.raises(ValueError, match="--max-images"):
        draw_contact_sheet(records, tmp_path / "x.png", max_images=0)


def test_bad_file_names_file_and_line(tmp_path):
    data = _mixed(tmp_path)
    lines = data.read_text().splitlines()
    lines[3] = lines[3].replace('"depth": [', '"depth": [-1.0, ', 1)
    data.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["data", "stats", str(data)])
    assert res.exit_code == 2 and "mixed.jsonl:4" in res.output
    with pytest.raises(RecordError, match=r"mixed\.jsonl:4: field 'depth'"):
        read_records(data)
    res = runner.invoke(app, ["data", "stats", str(tmp_path / "missing.jsonl")])
    assert res.exit_code == 2 and "missing.jsonl" in res.output
