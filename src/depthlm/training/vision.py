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

The pieces live beside this loop: ``vision_data`` (the images and their targets on the merged
grid) and ``vision_readout`` (the tower, the temporary head, the losses and the readout score).
The head is discarded; the output folder is the whole model, loadable by ``from_pretrained``,
and SFT continues from it with plain text answers. Qwen-VL families only (their vision tower
returns merged tokens in row-major order).
"""

from __future__ import annotations

import io
import json
import logging
import math
from pathlib import Path
from typing import Any

import torch
from torch import nn

from depthlm.models.patch_embed import linear_patch_embed
from depthlm.training.config import TrainConfig
from depthlm.training.samples import DataSource
from depthlm.training.vision_data import Collate, distance_samples, eval_loader
from depthlm.training.vision_readout import (
    CellHead,
    evaluate,
    losses,
    merged_features,
    vision_tower,
)
from depthlm.utils.io import atomic_write_bytes

log = logging.getLogger(__name__)

CHECKPOINT = "vision-checkpoint.pt"
REPORT = "vision.json"


def warmup_cosine(steps: int, warmup_ratio: float):
    """LR factor of step ``k``: linear warm-up over ``warmup_ratio`` of ``steps``, then cosine
    decay to zero (the schedule EMBEDDED.md found to matter)."""
    warm = max(1, math.ceil(warmup_ratio * steps))

    def factor(k: int) -> float:
        if k < warm:
            return (k + 1) / warm
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (k - warm) / max(1, steps - warm))))

    return factor


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
    opt = torch.optim.AdamW(
        [*visual.parameters(), *head.parameters()],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, warmup_cosine(config.max_steps, config.warmup_ratio)
    )
    ckpt = out_dir / CHECKPOINT
    start, history = _restore(ckpt, visual, head, opt, sched) if resume else (0, [])

    collate = Collate(processor, merge, config.vision_cells)
    loader = _train_loader(config, collate, start)
    held = trained_on = None
    if eval_data:  # held-out scenes, and fresh crops of the training scenes beside them
        held = eval_loader(config, [DataSource(Path(eval_data))], 1, eval_images, collate)
        trained_on = eval_loader(config, config.sources(), 2, eval_images, collate)

    visual.train()
    bar = tqdm(total=config.max_steps, initial=start, desc="vision warm-start", unit="step")
    step = start
    running: list[dict[str, float]] = []  # loss parts of the steps since the last log row
    for batch in loader:
        running.append(_step(visual, head, opt, sched, batch, config.max_grad_norm))
        step += 1
        bar.update(1)
        if step % config.logging_steps == 0 or step == config.max_steps:
            row: dict[str, float] = {"step": step}
            row.update({k: sum(r[k] for r in running) / len(running) for k in running[0]})
            if held is not None and (step % eval_every == 0 or step == config.max_steps):
                row.update(_readouts(visual, head, held, trained_on))
            history.append(row)
            bar.set_postfix({k: round(v, 3) for k, v in row.items() if k != "step"})
            running = []
        if step % config.save_steps == 0 and step < config.max_steps:
            _save_checkpoint(ckpt, visual, head, opt, sched, step, history)
    bar.close()

    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    report = {"config": config.to_dict(), "steps": step, "history": history}
    atomic_write_bytes(out_dir / REPORT, json.dumps(report, indent=1).encode())
    ckpt.unlink(missing_ok=True)
    return out_dir


def _step(
    visual: nn.Module, head: nn.Module, opt: Any, sched: Any, batch: Any, max_norm: float
) -> dict[str, float]:
    """One optimiser step of tower and head on ``batch``; its loss parts, for the log. The
    three losses are summed unweighted, as every figure in docs/embedded.md was measured:
    each is of order one (nats, or log metres)."""
    enc, targets = batch
    out = head(merged_features(visual, enc["pixel_values"], enc["image_grid_thw"]))
    parts = losses(out, targets)
    loss = parts["marker_ce"] + parts["marked_l1"] + parts["dense_l1"]
    opt.zero_grad(set_to_none=True)
    loss.backward()
    params = [p for group in opt.param_groups for p in group["params"]]
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    opt.step()
    sched.step()
    return {k: v.item() for k, v in parts.items()}


def _train_loader(config: TrainConfig, collate: Collate, start: int) -> Any:
    """The training stream from step ``start`` on: the images of steps already taken are
    skipped by index, so a resumed run sees exactly the images an unbroken one would."""
    n = config.max_steps * config.batch_size
    samples = distance_samples(config, config.sources(), config.seed, n)
    stream = torch.utils.data.Subset(samples, range(start * config.batch_size, n))
    return torch.utils.data.DataLoader(
        stream,
        batch_size=config.batch_size,
        collate_fn=collate,
        num_workers=config.num_workers,
        persistent_workers=False,
    )


def _readouts(visual: nn.Module, head: nn.Module, held: Any, trained_on: Any) -> dict:
    """The report's readout columns: held-out scenes (``eval_*``) and fresh crops of the
    training scenes (``eval_seen_*``); their gap is what the tower memorised of its scenes."""
    row = {f"eval_{k}": v for k, v in evaluate(visual, head, held).items()}
    seen = evaluate(visual, head, trained_on)
    row.update({f"eval_seen_{k}": seen[k] for k in ("delta1", "located")})
    return row


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
