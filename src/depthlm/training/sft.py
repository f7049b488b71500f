"""``depthlm train sft``: TRL's SFTTrainer on DepthLM samples drawn on the fly.

depthlm writes no training loop: it hands TRL a map-style dataset of sample indices whose
transform renders each sample (:class:`~depthlm.training.samples.SampleBuilder`) in TRL's
vision prompt-completion format, and TRL's collator masks the prompt so the loss covers the
answer tokens only. Everything TRL/Transformers offer (accelerate, FSDP, DeepSpeed, logging,
checkpoints, ``resume_from_checkpoint``) applies unchanged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

from depthlm.models.contract import save_contract
from depthlm.models.families import family_for
from depthlm.models.patch_embed import linear_patch_embed
from depthlm.training.config import TrainConfig
from depthlm.training.samples import SampleBuilder
from depthlm.training.vision_lr import freeze_vision, with_vision_lr

log = logging.getLogger(__name__)


def sample_dataset(builder: SampleBuilder, n: int, render: Any = None):
    """A ``datasets.Dataset`` of ``n`` indices that renders sample ``i`` when accessed."""
    from datasets import Dataset

    render = render or builder
    ds = Dataset.from_dict({"index": list(range(n))})

    def transform(batch: dict[str, list]) -> dict[str, list]:
        rows = [render(int(i)) for i in batch["index"]]
        return {k: [r[k] for r in rows] for k in rows[0]}

    ds.set_transform(transform)
    return ds


def use_bf16(setting: str) -> bool:
    """``auto``: bf16 on a GPU that supports it (as the paper trains), fp32 elsewhere."""
    if setting == "auto":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return str(setting).lower() in ("true", "1", "yes")


def load_model_and_processor(config: TrainConfig, weights: str | None = None) -> tuple[Any, Any]:
    """Model and processor of ``config.model``; full fine-tuning resumed from a checkpoint
    loads its weights from ``weights`` (see :func:`train_sft`)."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    dtype = torch.bfloat16 if use_bf16(config.bf16) else torch.float32
    source = weights if weights is not None and not config.lora else config.model
    model = AutoModelForImageTextToText.from_pretrained(source, dtype=dtype)
    linear_patch_embed(model)  # CPU only; same weights and checkpoint, a faster backward
    processor = AutoProcessor.from_pretrained(config.model)
    if config.lora:
        from peft import LoraConfig, get_peft_model

        family = family_for(model.config)
        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=family.lora_targets,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    return model, processor


def trainer_args(config: TrainConfig, cls: Any, **extra: Any) -> Any:
    """TRL config (``SFTConfig`` or ``GRPOConfig``) from ours."""
    bf16 = use_bf16(config.bf16)
    return cls(
        output_dir=config.output,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,  # a float < 1 is a ratio in Transformers 5
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        seed=config.seed,
        bf16=bf16,
        activation_checkpointing=config.gradient_checkpointing,
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        dataloader_num_workers=config.num_workers,
        report_to=config.report_to,
        remove_unused_columns=False,  # the transform needs the "index" column
        use_cpu=not torch.cuda.is_available(),
        **extra,
    )


def last_checkpoint(output: str | Path) -> str | None:
    """The newest ``checkpoint-N`` folder of a run, for ``--resume``."""
    from transformers.trainer_utils import get_last_checkpoint

    out = Path(output)
    return get_last_checkpoint(str(out)) if out.is_dir() else None


def finish(trainer: Any, config: TrainConfig, processor: Any) -> Path:
    """Save final weights, processor and the preprocessing contract (main process only)."""
    out = Path(config.output)
    model = trainer.model
    if config.lora and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    trainer.accelerator.wait_for_everyone()
    if trainer.accelerator.is_main_process:
        model.save_pretrained(out)
        processor.save_pretrained(out)
        save_contract(out, config.spec(), tasks=config.tasks, focal_fallback=config.focal_fallback)
    return out


def train_sft(
    config: TrainConfig, *, resume: bool = False, callbacks: list[Any] | None = None
) -> Path:
    """Fine-tune ``config.model`` on ``config.data`` and return the output folder.

    ``resume=True`` continues from the newest checkpoint in ``config.output`` (model, optimizer,
    scheduler, RNG and data position), so a killed run loses at most ``save_steps`` steps.
    ``callbacks`` are Transformers ``TrainerCallback`` objects.
    """
    from trl import SFTConfig, SFTTrainer

    checkpoint = resume_point(config, resume)
    model, processor, builder = prepare(config, weights=checkpoint)
    dataset = sample_dataset(builder, stream_length(config))
    args = trainer_args(config, SFTConfig, max_length=None)
    trainer = with_vision_lr(SFTTrainer, config.vision_lr_scale)(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=processor,
        callbacks=callbacks,
    )
    trainer.train(resume_from_checkpoint=checkpoint)
    return finish(trainer, config, processor)


def prepare(config: TrainConfig, weights: str | None = None) -> tuple[Any, Any, SampleBuilder]:
    """Model, processor and the sample stream's builder (shared by SFT and GRPO).

    ``weights``: the checkpoint a run resumes from. Its weights are loaded here, through
    ``from_pretrained``, because Transformers 5's Trainer restores a checkpoint's state dict
    without the key conversion ``save_pretrained`` applied to Qwen-VL checkpoints: every key
    misses, only a warning is logged, and the run silently resumes from the initial weights
    with the trained optimizer state. (The Trainer still restores optimizer, scheduler, RNG
    and data position.)"""
    if not config.model:
        raise ValueError("no model: give --model PATH (e.g. from `depthlm init-tiny`)")
    if config.vision_lr_scale < 0:
        raise ValueError(f"vision_lr_scale must be >= 0, got {config.vision_lr_scale}")
    if config.lora and config.vision_lr_scale != 1:
        raise ValueError("vision_lr_scale: with lora only the language model trains; use 1")
    model, processor = load_model_and_processor(config, weights)
    if config.vision_lr_scale == 0:
        freeze_vision(model)
    builder = SampleBuilder(
        config.sources(),
        config.spec(),
        tasks=config.tasks,
        augment=config.augment(),
        seed=config.seed,
        cache_size=config.view_cache,
        system=family_for(getattr(model, "config", None)).system_prompt,
    )
    return model, processor, builder


def stream_length(config: TrainConfig) -> int:
    """Samples in one pass of ``max_steps`` over every process (one epoch = the whole run)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return config.max_steps * config.batch_size * config.grad_accum * world


def resume_point(config: TrainConfig, resume: bool) -> str | None:
    """The checkpoint ``--resume`` continues from (``None``: start afresh, with a warning)."""
    checkpoint = last_checkpoint(config.output) if resume else None
    if resume and checkpoint is None:
        log.warning("--resume: no checkpoint in %s, starting from scratch", config.output)
    return checkpoint
