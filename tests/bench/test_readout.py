"""bench readout: the CNN reads labels where they are, and the benchmark runs end to end."""

import json

import numpy as np
import torch
from PIL import Image
from typer.testing import CliRunner

from depthlm.bench.readout import Batch, ReadoutCNN
from depthlm.cli.main import app
from depthlm.data.synth import synthesize


def test_batch_reads_each_label_at_its_pixel():
    """A map equal to x + 100·y, read at the labelled pixels, returns exactly x + 100·y: the
    loss and δ1 look at the pixel under the arrow, not a neighbour."""
    items = [
        (
            Image.new("RGB", (40, 30)),
            (7, 21),
            0.5,
            (np.array([[0, 0], [39, 29]]), np.array([1.0, 2.0])),
        ),
        (Image.new("RGB", (24, 30)), (23, 3), 0.1, (np.zeros((0, 2), dtype=int), np.zeros(0))),
    ]
    b = Batch(items, focal=20.0)
    assert b.x.shape == (2, 6, 30, 40)  # padded to the largest crop
    assert b.x[1, 5, :, 24:].sum() == 0 and b.x[1, 5, :, :24].all()  # valid-pixel channel
    assert torch.allclose(b.x[0, 3, 0, [0, 20]], torch.tensor([-1.0, 0.0]))  # ray x / focal
    ys, xs = torch.meshgrid(torch.arange(30.0), torch.arange(40.0), indexing="ij")
    pred = (xs + 100 * ys).expand(2, 30, 40)
    read = b.read(pred)
    assert torch.allclose(read[0], torch.tensor([2107.0, 0.0, 2939.0]), atol=1e-3)
    assert torch.allclose(read[1], torch.tensor([323.0]), atol=1e-3)
    assert torch.allclose(torch.cat(b.logs), torch.tensor([0.5, 1.0, 2.0, 0.1]))
    assert ReadoutCNN(8)(b.x).shape == (2, 4, 5)  # stride 8


def test_bench_readout_prints_a_curve(tmp_path):
    train = synthesize(tmp_path / "t", images=4, seed=1, size=128, points=20, progress=False)
    held = synthesize(tmp_path / "h", images=3, seed=2, size=128, points=20, progress=False)
    args = ["bench", "readout", "--data", str(train), "--eval-data", str(held), "--steps", "4",
            "--width", "8", "--eval-every", "2", "--eval-images", "12", "--json"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout.strip().splitlines()[-1])
    assert [row["step"] for row in r["curve"]] == [2, 4]
    assert all(0 <= row["delta1"] <= 1 and row["loss"] > 0 for row in r["curve"])
    assert 0 <= r["priors"]["median"] <= 1 and r["focal"] == 160 and r["eval_images"] == 12
