"""``depthlm curate dataset`` / ``curate datasets`` with a fake module put in the registry."""

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.data.curate import Frame, curate_dataset
from depthlm.data.curate.datasets import DATASETS
from depthlm.data.records import read_records

runner = CliRunner()
W, H = 40, 30


def _frames(root: Path, split: str = "train", stride: str = "1") -> Iterator[Frame]:
    """The fake layout: ``root/<split>/*.png``, constant 3 m z-depth."""
    files = sorted((root / split).glob("*.png"))
    if not files:
        raise ValueError(f"{root / split}: no images")
    for i, path in enumerate(files[:: int(stride)]):
        yield Frame(rgb=path, depth=np.full((H, W), 3.0), intrinsics=(30.0, 30.0, 20.0, 15.0),
                    sequence=split, frame=i)  # fmt: skip


@pytest.fixture
def fake_dataset(monkeypatch, tmp_path) -> Path:
    """Register module ``fakeset`` (NAME ``fake-set``) and build its layout; returns root."""
    module = types.ModuleType("fake_dataset_module")
    module.NAME, module.TITLE = "fake-set", "A Fake Dataset"
    module.URL, module.LICENSE = "https://example.org/fake", "CC0"
    module.UNITS = "float metres, z-depth"
    module.OPTIONS = {"split": "train | val", "stride": "keep every N-th frame"}
    module.frames = _frames
    monkeypatch.setitem(sys.modules, "fake_dataset_module", module)
    monkeypatch.setitem(DATASETS, "fakeset", "fake_dataset_module")
    root = tmp_path / "fake"
    for split in ("train", "val"):
        (root / split).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (W, H), (30 * i, 90, 140)).save(root / split / f"{split}_{i}.png")
    return root


def test_listing_shows_every_field(fake_dataset):
    for args in (["curate", "datasets"], ["curate", "dataset", "--list"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        for text in ("fake-set", "A Fake Dataset", "https://example.org/fake", "CC0",
                     "float metres, z-depth", "split: train | val"):  # fmt: skip
            assert text in res.stdout


def test_curate_with_options_then_eval(fake_dataset, tmp_path):
    out = tmp_path / "out"
    args = ["curate", "dataset", "fakeset", "--root", str(fake_dataset), "--out", str(out),
            "--points", "7", "--option", "split=val", "--option", "stride=2", "--seed", "1",
            "--balance", "depth", "--quiet"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 images, 14 points" in res.stdout
    records = read_records(out / "records.jsonl")
    assert [r.image for r in records] == ["images/val_0.png", "images/val_2.png"]
    assert {r.dataset for r in records} == {"fake-set"} and records[1].frame == 1
    res = runner.invoke(app, ["eval", "--model", "constant:2.0", "--data",
                              str(out / "records.jsonl"), "--output", str(tmp_path / "r.json"),
                              "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "r.json").read_text())["datasets"]["records"]["n"] == 14


def test_unknown_option_lists_the_options(fake_dataset, tmp_path):
    res = runner.invoke(app, ["curate", "dataset", "fakeset", "--root", str(fake_dataset),
                              "--out", str(tmp_path / "o"), "--option", "splt=val"])  # fmt: skip
    assert res.exit_code == 2
    assert "no option 'splt'" in res.output and "split: train | val" in res.output
    assert "stride: keep every N-th frame" in res.output
    res = runner.invoke(app, ["curate", "dataset", "fakeset", "--root", str(fake_dataset),
                              "--out", str(tmp_path / "o"), "--option", "split"])  # fmt: skip
    assert res.exit_code == 2 and "--option expects KEY=VALUE" in res.output


def test_errors(fake_dataset, tmp_path):
    res = runner.invoke(app, ["curate", "dataset", "nosuch", "--root", str(fake_dataset),
                              "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and "unknown dataset 'nosuch'" in res.output
    assert "fakeset" in res.output
    res = runner.invoke(app, ["curate", "dataset", "fakeset", "--root", str(tmp_path / "gone"),
                              "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2 and "dataset root not found" in res.output
    res = runner.invoke(app, ["curate", "dataset", "fakeset"])
    assert res.exit_code == 2 and "--root and --out" in res.output


def test_python_api(fake_dataset, tmp_path):
    res = curate_dataset("fakeset", fake_dataset, tmp_path / "o", options={"split": "train"},
                         progress=False)  # fmt: skip
    assert res.records == 3 and res.points == 3 * 100
