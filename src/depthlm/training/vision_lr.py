"""A separate learning rate for the vision side of a VLM during SFT/GRPO (0 freezes it).

Why: fine-tuning recipes for Qwen-VL and LLaVA-style models commonly train the vision encoder
slower than the language model, or not at all: its pretrained features are what the language
model learns to read, and the large, noisy gradients that reach it through a few answer tokens
can wear them down. depthlm's embedded model has the same question in miniature (its vision
tower is warm-started on distances before SFT, ``training/vision.py``). The paper fine-tunes
everything at one rate, so the default scale is 1.

"Vision" means everything between the pixels and the language model: the encoder and the
projector/merger that feeds it (``model.visual`` in Qwen-VL, ``vision_tower`` and
``multi_modal_projector`` in LLaVA/Pixtral). Parameters are matched by name, so this also works
on models wrapped by DDP/FSDP or PEFT.
"""

from __future__ import annotations

import re
from typing import Any

from torch import nn

VISION = re.compile(r"(^|\.)(visual|vision_tower|vision_model|multi_modal_projector)\.")


def is_vision(name: str) -> bool:
    """Whether parameter ``name`` belongs to the vision encoder or its projector."""
    return VISION.search(name) is not None


def vision_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """The trainable vision parameters of ``model``; a clear error when there are none."""
    found = [(n, p) for n, p in model.named_parameters() if p.requires_grad and is_vision(n)]
    if not found:
        name = type(model).__name__
        raise ValueError(
            f"vision_lr_scale: {name} has no trainable vision parameters (looked for "
            "visual / vision_tower / vision_model / multi_modal_projector; with lora only the "
            "language model is trained)"
        )
    return found


def freeze_vision(model: nn.Module) -> int:
    """Stop training the vision side (``vision_lr_scale: 0``); returns how many tensors."""
    params = vision_parameters(model)
    for _, p in params:
        p.requires_grad_(False)
    return len(params)


def split_groups(optimizer: Any, model: nn.Module, scale: float) -> Any:
    """Split every param group of ``optimizer`` in two, in place: the language side at the
    group's LR, the vision side at ``scale`` × it; other group options (weight decay, betas)
    are kept. Done before the first step (no optimizer state yet) and before the LR scheduler
    is built, which then scales each group's own base LR. Returns ``optimizer``."""
    vision = {id(p) for _, p in vision_parameters(model)}
    groups = []
    for group in optimizer.param_groups:
        options = {k: v for k, v in group.items() if k != "params"}
        for in_vision in (False, True):
            params = [p for p in group["params"] if (id(p) in vision) == in_vision]
            if params:
                lr = options["lr"] * (scale if in_vision else 1.0)
                groups.append({**options, "params": params, "lr": lr})
    optimizer.param_groups.clear()
    for group in groups:
        optimizer.add_param_group(group)
    return optimizer


def with_vision_lr(trainer_cls: type, scale: float) -> type:
    """``trainer_cls`` (a Transformers/TRL Trainer) whose optimizer trains the vision side at
    ``scale`` × the learning rate: the Trainer's own optimizer (decay groups, class, betas),
    regrouped. The class itself when ``scale`` is 1; ``0`` is handled by :func:`freeze_vision`
    before the trainer is built (frozen weights need no optimizer state at all), so the class is
    returned unchanged for it too."""
    if scale in (0.0, 1.0):
        return trainer_cls

    class VisionLRTrainer(trainer_cls):  # type: ignore[misc, valid-type]
        def create_optimizer(self, model: Any = None) -> Any:
            if self.optimizer is None:
                super().create_optimizer(model)
                split_groups(self.optimizer, self.model if model is None else model, scale)
            return self.optimizer

    VisionLRTrainer.__name__ = VisionLRTrainer.__qualname__ = f"VisionLR{trainer_cls.__name__}"
    return VisionLRTrainer
