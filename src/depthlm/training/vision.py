"""Vision warm-start: teach a from-scratch vision tower where the marker is and how far things
are, before the language model learns to say it.

Why: a released VLM comes with a vision encoder pretrained on billions of images; a tiny model
built from a config has none, and SFT on one text answer per image must then teach the vision
tower, the projector and the language model at once through a few answer tokens. Measured on
the mixed synthetic world (``docs/embedded.md``), that is the bottleneck: the VLM sat in the
answer-distribution plateau for 200k+ samples, while the same vision tower trained directly on
the marked point's distance reached the VLM's accuracy in 32k images.

So this stage trains the model's *own* vision tower (``model.model.visual``, the merger
included; no layer is added to the saved model) with a temporary linear head on each merged
image token, on three targets drawn from the same focal-normalised, cropped, arrow-marked
images SFT uses:

- which token holds the marked pixel (cross-entropy over the image's tokens),
- log distance of the marked pixel, read from that token,
- log distance of every other labelled pixel of the record that falls in the crop, read from
  its token (dense supervision: ~30 labels per image instead of one), or, with
  ``vision_dense_spacing`` and the depth maps ``depthlm synth --dense`` writes, of a regular
  grid of pixels over the whole crop (~400 labels per image at 7 px).

The head is discarded; the output folder is the whole model, loadable by ``from_pretrained``,
and SFT continues from it with plain text answers. Qwen-VL families only (their vision tower
returns merged tokens in row-major order).
"""

from __future__ import annotations

import io
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from depthlm.geometry.camera import Camera
from depthlm.models.patch_embed import linear_patch_embed
from depthlm.tasks.labels import point_label
from depthlm.training.config import TrainConfig
from depthlm.training.samples import DataSource, SampleBuilder
from depthlm.utils.io import atomic_write_bytes

log = logging.getLogger(__name__)

CHECKPOINT = "vision-checkpoint.pt"
REPORT = "vision.json"


@dataclass
class Targets:
    """One image's targets, in merged-token indices of that image (cell indices, see
    :func:`cell_of`, when the head splits each token into cells)."""

    tokens: int  # merged tokens of the image (times the cells per token)
    marked: int  # token (cell) holding the marked pixel
    marked_log: float  # log distance of the marked pixel
    dense: list[tuple[int, float]]  # (token or cell, log distance) of the record's other labels


class CellHead(nn.Linear):
    """The temporary readout: per merged token, a marker logit and a log distance for each of
    ``cells × cells`` cells (rows of the output: one per cell, ``[logit, log distance]``).

    Why cells: a 28-px merged token at the recipe's 160 px focal spans about 10°, and the
    median depth of the arrow's token is within δ1 of the arrow's own depth for only ~81 % of
    the training crops (14-px cells: ~91 %; docs/embedded.md). ``cells = 2`` asks each merged
    token to carry its four patches' depths and the arrow's patch, not one average. ``cells
    = 1`` is a plain linear head on the token."""

    def __init__(self, hidden: int, cells: int = 1) -> None:
        if cells < 1:
            raise ValueError(f"vision_cells must be >= 1, got {cells}")
        super().__init__(hidden, 2 * cells * cells)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return super().forward(features).reshape(-1, 2)


def vision_tower(model: Any) -> nn.Module:
    """The model's vision tower (with its merger), or a clear error for other families."""
    inner = getattr(model, "model", model)
    visual = getattr(inner, "visual", None)
    if visual is None:
        name = type(model).__name__
        raise ValueError(
            f"vision warm-start needs a Qwen-VL model (model.model.visual); {name} has none"
        )
    return visual


def merged_features(visual: nn.Module, pixel_values: torch.Tensor, grid: torch.Tensor):
    """Merged image tokens ``(sum of tokens, hidden)``, as the language model receives them."""
    out = visual(pixel_values, grid_thw=grid)
    if hasattr(out, "pooler_output") and out.pooler_output is not None:
        return out.pooler_output
    return out[0] if isinstance(out, tuple) else out


def cell_of(xy: Sequence[float], size: tuple[int, int], grid: tuple[int, int], k: int = 1) -> int:
    """Index of the cell holding pixel ``xy`` of an image of ``size`` (w, h) whose merged grid
    is ``grid`` (rows, cols), when each merged token is split into ``k × k`` cells: ``token ·
    k² + row-major cell within the token`` (``k = 1``: the row-major token; pixels outside
    go to the nearest edge). The processor may resize by a few pixels to a multiple of the
    patch, so the position is scaled, not divided."""
    rows, cols = grid
    w, h = size
    r = min(rows * k - 1, max(0, int(xy[1] * rows * k / h)))
    c = min(cols * k - 1, max(0, int(xy[0] * cols * k / w)))
    return ((r // k) * cols + c // k) * k * k + (r % k) * k + c % k


def depth_map_path(record: Any) -> Path:
    """Where ``depthlm synth --dense`` put the Euclidean depth map of ``record``'s image:
    ``images/<stem>.png`` → ``depth/<stem>.npy`` (float32 metres, 0 where the sky is)."""
    image = record.image_path
    return image.parent.parent / "depth" / f"{image.stem}.npy"


def grid_labels(record: Any, camera: Camera, spacing: int) -> list[tuple[tuple[int, int], float]]:
    """``((x, y), log distance)`` at the centres of a ``spacing``-px grid over the training
    image seen through ``camera`` (the record's camera resized and cropped: same rays), read
    from the record's depth map at the pixel each centre comes from. Sky is skipped."""
    path = depth_map_path(record)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: vision_dense_spacing needs the depth maps of {record.image_path.name}; "
            "render the data with `depthlm synth --dense` or set vision_dense_spacing: 0"
        )
    depth = np.load(path, mmap_mode="r")
    w, h = camera.size
    xs = np.arange(spacing // 2, w, spacing)
    ys = np.arange(spacing // 2, h, spacing)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    src = record.camera.remap_pixels(camera, grid)
    rows, cols = depth.shape
    inside = (src[:, 0] >= 0) & (src[:, 0] < cols) & (src[:, 1] >= 0) & (src[:, 1] < rows)
    grid, src = grid[inside], src[inside]
    d = np.asarray(depth[src[:, 1], src[:, 0]], dtype=np.float64)
    keep = (d > 0) & np.isfinite(d)
    return [((int(x), int(y)), math.log(v)) for (x, y), v in zip(grid[keep], d[keep], strict=True)]


class VisionSamples(torch.utils.data.Dataset):
    """Image ``i`` of the warm-start stream: SFT's distance question ``i`` (same crops, same
    arrow), its image and its targets (the other labelled pixels, or a ``dense_spacing`` grid
    read from the depth maps)."""

    def __init__(self, builder: SampleBuilder, length: int, dense_spacing: int = 0) -> None:
        if dense_spacing < 0:
            raise ValueError(f"vision_dense_spacing must be >= 0, got {dense_spacing}")
        self.builder = builder
        self.length = length
        self.dense_spacing = dense_spacing

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[Any, tuple[int, int], float, list]:
        if not 0 <= index < self.length:  # the sequence protocol: list() and for-loops stop
            raise IndexError(f"sample {index} of {self.length}")
        built, probe, source = self.builder.draw(index)
        record = self.builder.record(source, probe.records[0])
        camera = Camera.from_intrinsics(built.cameras[0])
        if self.dense_spacing:
            dense = grid_labels(record, camera, self.dense_spacing)
            return built.images[0], tuple(built.pixels[0]), math.log(built.label), dense
        pixels = camera.remap_pixels(record.camera, record.pixel_coords)
        w, h = camera.size
        dense = []
        for j, (x, y) in enumerate(pixels):
            if j != probe.points[0] and 0 <= x < w and 0 <= y < h:
                d = point_label(record, j, "distance")
                if d > 0 and math.isfinite(d):
                    dense.append(((int(x), int(y)), math.log(d)))
        return built.images[0], tuple(built.pixels[0]), math.log(built.label), dense


class Collate:
    """Images → processor tensors; pixel targets → :class:`Targets` on the merged grid."""

    def __init__(self, processor: Any, merge: int, cells: int = 1) -> None:
        self.image_processor = getattr(processor, "image_processor", processor)
        self.merge = merge
        self.cells = cells  # k: targets on a k × k grid of cells per merged token

    def __call__(self, items: list) -> tuple[dict[str, torch.Tensor], list[Targets]]:
        enc = self.image_processor([it[0] for it in items], return_tensors="pt")
        targets = []
        for (image, marked, marked_log, dense), g in zip(items, enc["image_grid_thw"], strict=True):
            grid = (int(g[1]) // self.merge, int(g[2]) // self.merge)
            targets.append(
                Targets(
                    tokens=grid[0] * grid[1] * self.cells**2,
                    marked=cell_of(marked, image.size, grid, self.cells),
                    marked_log=marked_log,
                    dense=[(cell_of(xy, image.size, grid, self.cells), v) for xy, v in dense],
                )
            )
        return dict(enc), targets


def losses(out: torch.Tensor, targets: Sequence[Targets]) -> dict[str, torch.Tensor]:
    """Marker cross-entropy, marked-pixel log-L1 and dense log-L1 of a batch; ``out`` is the
    head's ``(tokens, 2)`` output: column 0 the marker logit, column 1 the log distance."""
    ce, marked, dense_idx, dense_val, offset = [], [], [], [], 0
    for t in targets:
        logits = out[offset : offset + t.tokens, 0]
        ce.append(nn.functional.cross_entropy(logits[None], torch.tensor([t.marked])))
        marked.append((out[offset + t.marked, 1] - t.marked_log).abs())
        dense_idx += [offset + k for k, _ in t.dense]
        dense_val += [v for _, v in t.dense]
        offset += t.tokens
    parts = {"marker_ce": torch.stack(ce).mean(), "marked_l1": torch.stack(marked).mean()}
    if dense_idx:
        pred = out[torch.tensor(dense_idx), 1]
        parts["dense_l1"] = (pred - torch.tensor(dense_val, dtype=pred.dtype)).abs().mean()
    else:
        parts["dense_l1"] = out.sum() * 0.0
    return parts


def warmup_cosine(steps: int, warmup_ratio: float):
    """LR factor of step ``k``: linear warm-up over ``warmup_ratio`` of ``steps``, then cosine
    decay to zero (the schedule EMBEDDED.md found to matter)."""
    warm = max(1, math.ceil(warmup_ratio * steps))

    def factor(k: int) -> float:
        if k < warm:
            return (k + 1) / warm
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (k - warm) / max(1, steps - warm))))

    return factor


def evaluate(visual: nn.Module, head: nn.Module, loader: Any) -> dict[str, float]:
    """Direct-readout accuracy on held-out images: δ1 of the log distance at the token the
    head picks as the marker's, and how often that token is the right one. The bound SFT can
    reach from this vision tower without the language model adding anything."""
    hits = located = total = 0
    visual.eval()
    with torch.no_grad():
        for enc, targets in loader:
            out = head(merged_features(visual, enc["pixel_values"], enc["image_grid_thw"]))
            offset = 0
            for t in targets:
                k = int(out[offset : offset + t.tokens, 0].argmax())
                located += k == t.marked
                hits += abs(float(out[offset + k, 1]) - t.marked_log) < math.log(1.25)
                total += 1
                offset += t.tokens
    visual.train()
    return {"delta1": hits / max(total, 1), "located": located / max(total, 1), "n": total}


def pretrain_vision(
    config: TrainConfig,
    *,
    eval_data: str | None = None,
    eval_images: int = 200,
    eval_every: int = 500,
    resume: bool = True,
) -> Path:
    """Warm-start ``config.model``'s vision tower into ``config.output`` (see the module doc).

    Uses ``config``'s data, focal, crops, marker, seed, steps, batch size, learning rate
    (linear warm-up over ``warmup_ratio``, then cosine decay), weight decay, grad clip,
    ``save_steps`` and ``view_cache``. A killed run resumes from ``vision-checkpoint.pt``
    (written atomically). Returns the output folder, a complete model.

    With ``eval_data``, every ``eval_every`` steps the report (``vision.json``) logs the direct
    readout on ``eval_images`` held-out questions (``eval_delta1``, ``eval_located``) and on as
    many fresh crops of the training scenes (``eval_seen_delta1``, ``eval_seen_located``).
    """
    from tqdm.auto import tqdm
    from transformers import AutoModelForImageTextToText, AutoProcessor

    if not config.model:
        raise ValueError("no model: give --model PATH (e.g. from `depthlm init-tiny`)")
    out_dir = Path(config.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    model = AutoModelForImageTextToText.from_pretrained(config.model, dtype=torch.float32)
    linear_patch_embed(model)  # CPU: the same weights, ~11 % less time per step
    processor = AutoProcessor.from_pretrained(config.model)
    visual = vision_tower(model)
    merge = int(getattr(model.config.vision_config, "spatial_merge_size", 2))
    hidden = int(model.config.text_config.hidden_size)  # the merger projects to the LM width
    head = CellHead(hidden, config.vision_cells)
    params = list(visual.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, warmup_cosine(config.max_steps, config.warmup_ratio)
    )
    ckpt = out_dir / CHECKPOINT
    start, history = _restore(ckpt, visual, head, opt, sched) if resume else (0, [])

    collate = Collate(processor, merge, config.vision_cells)
    n = config.max_steps * config.batch_size
    samples = distance_samples(config, config.sources(), config.seed, n)
    stream = torch.utils.data.Subset(samples, range(start * config.batch_size, n))
    loader = torch.utils.data.DataLoader(
        stream,
        batch_size=config.batch_size,
        collate_fn=collate,
        num_workers=config.num_workers,
        persistent_workers=False,
    )
    held = trained_on = None
    if eval_data:  # held-out scenes, and fresh crops of the training scenes beside them
        held = _eval_loader(config, [DataSource(Path(eval_data))], 1, eval_images, collate)
        trained_on = _eval_loader(config, config.sources(), 2, eval_images, collate)

    visual.train()
    bar = tqdm(total=config.max_steps, initial=start, desc="vision warm-start", unit="step")
    step = start
    running: dict[str, float] = {}
    batches = 0
    for enc, targets in loader:
        out = head(merged_features(visual, enc["pixel_values"], enc["image_grid_thw"]))
        parts = losses(out, targets)
        loss = parts["marker_ce"] + parts["marked_l1"] + parts["dense_l1"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
        opt.step()
        sched.step()
        step += 1
        for k, v in parts.items():
            running[k] = running.get(k, 0.0) + v.item()
        batches += 1
        bar.update(1)
        if step % config.logging_steps == 0 or step == config.max_steps:
            row: dict[str, float] = {"step": step}
            row.update({k: v / batches for k, v in running.items()})
            if held is not None and (step % eval_every == 0 or step == config.max_steps):
                row.update({f"eval_{k}": v for k, v in evaluate(visual, head, held).items()})
                if trained_on is not None:
                    seen_row = evaluate(visual, head, trained_on)
                    row.update({f"eval_seen_{k}": seen_row[k] for k in ("delta1", "located")})
            history.append(row)
            bar.set_postfix({k: round(v, 3) for k, v in row.items() if k != "step"})
            running, batches = {}, 0
        if step % config.save_steps == 0 and step < config.max_steps:
            _save_checkpoint(ckpt, visual, head, opt, sched, step, history)
    bar.close()

    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    report = {"config": config.to_dict(), "steps": step, "history": history}
    atomic_write_bytes(out_dir / REPORT, json.dumps(report, indent=1).encode())
    ckpt.unlink(missing_ok=True)
    return out_dir


def _restore(path: Path, visual: nn.Module, head: nn.Module, opt: Any, sched: Any):
    """``(step, history)`` of a killed run's checkpoint, its state loaded; ``(0, [])`` if none."""
    if not path.is_file():
        return 0, []
    state = torch.load(path, weights_only=True)
    visual.load_state_dict(state["visual"])
    head.load_state_dict(state["head"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    log.info("vision warm-start: resumed at step %d", state["step"])
    return int(state["step"]), list(state["history"])


def distance_samples(
    config: TrainConfig, sources: list[DataSource], seed: int, length: int, *, dense: bool = True
) -> VisionSamples:
    """``length`` distance questions of ``sources``, cropped and marked as SFT draws them;
    ``dense=False`` leaves out the grid targets (a readout scores the marked pixel only, so
    held-out data needs no depth maps)."""
    builder = SampleBuilder(
        sources,
        config.spec(),
        tasks={"distance": 1.0},
        augment=config.augment(),
        seed=seed,
        cache_size=config.view_cache,
    )
    return VisionSamples(builder, length, config.vision_dense_spacing if dense else 0)


def _eval_loader(
    config: TrainConfig, sources: list[DataSource], seed_offset: int, images: int, collate: Collate
) -> Any:
    """Loader of ``images`` distance questions of ``sources``, cropped and marked as in
    training but drawn with another seed, so even on the training data they are fresh crops and
    points (``eval_seen_*``): the gap between those and held-out scenes is what the tower has
    memorised of its scenes, i.e. whether more distinct scenes would help."""
    samples = distance_samples(config, sources, config.seed + seed_offset, images, dense=False)
    return torch.utils.data.DataLoader(samples, batch_size=50, collate_fn=collate)


def _save_checkpoint(
    path: Path, visual: nn.Module, head: nn.Module, opt: Any, sched: Any, step: int, history: list
) -> None:
    """Everything a resumed run needs, written atomically (a kill never leaves half a file)."""
    buf = io.BytesIO()
    torch.save(
        {
            "visual": visual.state_dict(),
            "head": head.state_dict(),
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(),
            "step": step,
            "history": history,
        },
        buf,
    )
    atomic_write_bytes(path, buf.getvalue())
