"""bench ceiling: the cell-median reading, and the benchmark end to end on real depth maps."""

import json
import math

import numpy as np
from typer.testing import CliRunner

from depthlm.bench.ceiling import cell_median_hits, depth_image
from depthlm.cli.main import app
from depthlm.data.synth import synthesize


def test_the_arrows_cell_answers_its_median_depth():
    # A 4-px cell, left half at 2 m, right half at 4 m: the median of two 2s and two 4s is
    # their midpoint in log, √8 ≈ 2.83 m.
    labels = {(0, 0): math.log(2), (0, 1): math.log(2), (3, 0): math.log(4), (3, 1): math.log(4)}
    labels[(5, 0)] = math.log(50)  # the next cell's depth is never read
    labels = depth_image(np.array(list(labels)), np.array(list(labels.values())), (8, 4))
    assert cell_median_hits(labels, (1, 1), math.log(2.5), 4)  # 2.83 / 2.5 < 1.25
    assert not cell_median_hits(labels, (1, 1), math.log(4.0), 4)  # 4 / 2.83 > 1.25
    assert cell_median_hits(labels, (0, 0), math.log(2.0), 1)  # a 1-px cell: the pixel itself
    assert cell_median_hits(labels, (9, 9), math.log(2.0), 4) is None  # no depth: sky


def test_bench_ceiling_rises_as_cells_shrink(tmp_path):
    data = synthesize(tmp_path / "d", images=6, seed=3, size=128, points=20, dense=True,
                      progress=False)  # fmt: skip
    res = CliRunner().invoke(
        app, ["bench", "ceiling", "--data", str(data), "--questions", "40", "--json"]
    )
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout.strip().splitlines()[-1])
    cells = {c["size"]: c for c in r["cells"]}
    assert r["focal"] == 160 and set(cells) == {56, 28, 20, 14, 7}
    assert cells[7]["delta1"] >= cells[56]["delta1"] and cells[7]["delta1"] > 0.8
    assert cells[28]["degrees"] == math.degrees(2 * math.atan(14 / 160))


def test_bench_ceiling_without_depth_maps_says_how_to_make_them(tmp_path):
    data = synthesize(tmp_path / "d", images=2, seed=3, size=96, points=10, progress=False)
    res = CliRunner().invoke(app, ["bench", "ceiling", "--data", str(data), "--questions", "2"])
    assert res.exit_code != 0 and "synth --dense" in res.output
