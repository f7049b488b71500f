"""The vision warm-start's readout: the model's own vision tower, a temporary linear head on
each merged token, the losses that train them, and the direct-readout score.

Why a head on the *merged* tokens: they are what the language model receives, so a tower that
reads the arrow's distance out of them hands SFT a signal it can copy into text. The head is
never saved; only the tower's weights carry over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from depthlm.training.vision_data import Targets


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


def losses(out: torch.Tensor, targets: Sequence[Targets]) -> dict[str, torch.Tensor]:
    """Marker cross-entropy, marked-pixel log-L1 and dense log-L1 of a batch; ``out`` is the
    head's ``(tokens, 2)`` output: column 0 the marker logit, column 1 the log distance."""
    ce, marked, dense_idx, dense_val, offset = [], [], [], [], 0
    for t in targets:
        logits = out[offset : offset + t.tokens, 0]
        ce.append(nn.functional.cross_entropy(logits[None], torch.tensor([t.marked])))
        marked.append((out[offset + t.marked, 1] - t.marked_log).abs())
        dense_idx.append(torch.as_tensor(t.dense_cells, dtype=torch.long) + offset)
        dense_val.append(torch.as_tensor(t.dense_log, dtype=out.dtype))
        offset += t.tokens
    parts = {"marker_ce": torch.stack(ce).mean(), "marked_l1": torch.stack(marked).mean()}
    idx = torch.cat(dense_idx) if dense_idx else torch.zeros(0, dtype=torch.long)
    if len(idx):
        parts["dense_l1"] = (out[idx, 1] - torch.cat(dense_val)).abs().mean()
    else:
        parts["dense_l1"] = out.sum() * 0.0
    return parts


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
