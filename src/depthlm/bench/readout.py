"""How well can distance be read from the crops a training config makes? A small CNN answers.

A VLM fine-tuned on these images can only say what its vision side reads from them. Before
spending hours on SFT, this benchmark trains a plain convolutional network (about 0.75 M
parameters at ``width`` 32, no VLM) on exactly the images SFT and ``depthlm train vision``
draw — focal-normalised, cropped or windowed, arrow-marked, from the recipe's ``train``
section — to predict a log-distance map, supervised at every labelled pixel in the crop. It
prints the held-out δ1 at the marked pixel as it learns. It is a reference learner, not an
upper bound: a curve far below the issue's target says the crops or the budget are the
limit, not the language model; a curve far above the VLM's says the vision tower is.

It also prints two priors of the held-out set: answering the training set's median distance,
and the median for the marked pixel's position in the crop (8 × 8 cells), i.e. what knowing
only *where* the arrow is gives.
"""

from __future__ import annotations

import math
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from depthlm.bench.accuracy import EVAL_SEED

LOG_125 = math.log(1.25)


def _block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ReadoutCNN(nn.Module):
    """Image (+ ray-direction and valid-pixel channels) → log distance on a stride-8 grid.

    Dilated blocks and a global-context term give each cell the whole crop's context (horizon,
    room size), which a depth reading needs; the ray channels say where each pixel looks,
    relative to the crop centre, in units of the canonical focal."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        c = width
        self.body = nn.Sequential(
            _block(6, c, 2), _block(c, c), _block(c, 2 * c, 2), _block(2 * c, 2 * c),
            _block(2 * c, 4 * c, 2), _block(4 * c, 4 * c), _block(4 * c, 4 * c, 1, 2),
            _block(4 * c, 4 * c, 1, 4),
        )  # fmt: skip
        self.context = nn.Linear(4 * c, 4 * c)
        self.head = nn.Sequential(_block(4 * c, 4 * c), nn.Conv2d(4 * c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.body(x)
        g = self.context(f.mean((2, 3)))[:, :, None, None]
        return self.head(F.relu(f + g))[:, 0] + 1.5  # log metres; 1.5 ≈ the data's mean


class Batch:
    """Crops padded to one size, with the channels :class:`ReadoutCNN` reads and the labels
    (marked pixel first) of each image."""

    def __init__(self, items: list, focal: float) -> None:
        w = max(im.size[0] for im, *_ in items)
        h = max(im.size[1] for im, *_ in items)
        x = torch.zeros(len(items), 6, h, w)
        self.points, self.logs = [], []
        for i, (image, marked, marked_log, (xy, logs)) in enumerate(items):
            iw, ih = image.size
            rgb = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32))
            x[i, :3, :ih, :iw] = rgb.permute(2, 0, 1) / 255.0 - 0.5
            x[i, 3, :ih, :iw] = ((torch.arange(iw) - iw / 2) / focal)[None, :]
            x[i, 4, :ih, :iw] = ((torch.arange(ih) - ih / 2) / focal)[:, None]
            x[i, 5, :ih, :iw] = 1.0
            points = np.concatenate([np.asarray([marked], dtype=np.float64), xy], axis=0)
            self.points.append(torch.from_numpy(points).float())
            self.logs.append(torch.from_numpy(np.concatenate([[marked_log], logs])).float())
        self.x = x

    def read(self, pred: torch.Tensor) -> list[torch.Tensor]:
        """``pred`` sampled (bilinear) at each image's labelled pixels."""
        h, w = self.x.shape[2:]
        out = []
        for p, pts in zip(pred, self.points, strict=True):
            grid = torch.stack([(pts[:, 0] + 0.5) / w * 2 - 1, (pts[:, 1] + 0.5) / h * 2 - 1], -1)
            out.append(F.grid_sample(p[None, None], grid[None, None], align_corners=False)[0, 0, 0])
        return out


def _delta1_marked(net: ReadoutCNN, batches: list[Batch]) -> float:
    net.eval()
    hits = total = 0
    with torch.no_grad():
        for b in batches:
            for values, logs in zip(b.read(net(b.x)), b.logs, strict=True):
                hits += int(abs(float(values[0]) - float(logs[0])) < LOG_125)
                total += 1
    net.train()
    return hits / max(total, 1)


def _priors(train: list, held: list) -> dict[str, float]:
    """δ1 of the median answer and of the per-position median (8 × 8 cells of the crop)."""

    def cell(item: Any) -> int:
        (x, y), (w, h) = item[1], item[0].size
        return min(7, int(8 * y / h)) * 8 + min(7, int(8 * x / w))

    logs = np.array([it[2] for it in train])
    cells = np.array([cell(it) for it in train])
    median = float(np.median(logs))
    by_cell = {c: float(np.median(logs[cells == c])) for c in set(cells.tolist())}
    gt = np.array([it[2] for it in held])
    pos = np.array([by_cell.get(cell(it), median) for it in held])
    return {
        "median": float(np.mean(np.abs(median - gt) < LOG_125)),
        "position_median": float(np.mean(np.abs(pos - gt) < LOG_125)),
    }


def bench_readout(
    data: Path | None = None, eval_data: Path | None = None, recipe: str = "depthlm_tiny",
    steps: int = 3000, batch_size: int = 32, width: int = 32, lr: float = 2e-3,
    eval_images: int = 1000, eval_every: int = 250, train_views: int = 1000, seed: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Learning curve of :class:`ReadoutCNN` on ``recipe``'s crops (see the module doc).

    ``data``: training records (default: render ``train_views`` views, seed 1000, as the recipe
    does); ``eval_data``: held-out records (default: 200 unseen views, seed 777)."""
    from tqdm.auto import tqdm

    from depthlm.data.synth import synthesize
    from depthlm.training.config import TrainConfig
    from depthlm.training.recipe import load_recipe
    from depthlm.training.samples import DataSource
    from depthlm.training.vision_data import distance_samples

    cfg = TrainConfig().update(load_recipe(recipe)["train"], where=f"recipe {recipe} train")
    focal = float(cfg.focal or 1000.0)
    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        if data is None:
            data = synthesize(Path(tmp) / "train", images=train_views, seed=1000, points=100)
        if eval_data is None:
            eval_data = synthesize(Path(tmp) / "held", images=200, seed=EVAL_SEED, points=20)
        cfg.data = [str(data)]
        train = distance_samples(cfg, cfg.sources(), seed, steps * batch_size)
        held_items = list(
            distance_samples(cfg, [DataSource(Path(eval_data))], seed + 1, eval_images)
        )
        held = [Batch(held_items[i : i + 100], focal) for i in range(0, len(held_items), 100)]
        prior_items = [train[i] for i in range(min(len(train), 4 * eval_images))]
        priors = _priors(prior_items, held_items)
        loader = torch.utils.data.DataLoader(
            train, batch_size=batch_size, num_workers=1, collate_fn=partial(Batch, focal=focal)
        )
        net = ReadoutCNN(width)
        opt = torch.optim.AdamW(net.parameters(), lr, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.05)
        curve, running, seen = [], 0.0, 0
        bar = tqdm(total=steps, desc="readout CNN", unit="step")
        for step, b in enumerate(loader, start=1):
            loss = (torch.cat(b.read(net(b.x))) - torch.cat(b.logs)).abs().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            running, seen = running + loss.item(), seen + 1
            bar.update(1)
            if step % eval_every == 0 or step == steps:
                row = {"step": step, "images": step * batch_size, "loss": running / seen,
                       "delta1": _delta1_marked(net, held)}  # fmt: skip
                curve.append(row)
                bar.set_postfix(loss=round(row["loss"], 3), delta1=row["delta1"])
                running, seen = 0.0, 0
        bar.close()
    return {
        "recipe": recipe,
        "focal": focal,
        "parameters": sum(p.numel() for p in net.parameters()),
        "eval_images": len(held_items),
        "priors": priors,
        "curve": curve,
    }


def report(r: dict[str, Any]) -> None:
    print(
        f"readout: a {r['parameters'] / 1e6:.2f} M-parameter CNN on recipe {r['recipe']}'s crops "
        f"(focal {r['focal']:g} px), δ1 at the marked pixel of {r['eval_images']} held-out crops"
    )
    p = r["priors"]
    print(
        f"  priors: median answer {p['median']:.3f}, per-position median {p['position_median']:.3f}"
    )
    for row in r["curve"]:
        print(f"  {row['images']:7d} images  loss {row['loss']:.3f}  δ1 {row['delta1']:.3f}")
