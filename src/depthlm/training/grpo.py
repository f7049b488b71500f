"""``depthlm train grpo``: TRL's GRPOTrainer with DepthLM rewards, for SFT-vs-GRPO studies.

Same samples as SFT (the prompt without the answer), plus the ``label`` and ``unit`` columns the
rewards read. GRPO generates ``num_generations`` answers per prompt, which is why the paper
found it 8–16× costlier per sample than SFT at similar accuracy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from depthlm.training.config import TrainConfig
from depthlm.training.rewards import get_rewards
from depthlm.training.samples import SampleBuilder, to_trl
from depthlm.training.sft import (
    finish,
    prepare,
    resume_point,
    sample_dataset,
    stream_length,
    trainer_args,
)
from depthlm.training.vision_lr import with_vision_lr


class PromptRenderer:
    """Sample ``i`` as a GRPO prompt: images, prompt messages, label and unit."""

    def __init__(self, builder: SampleBuilder) -> None:
        self.builder = builder

    def __call__(self, index: int) -> dict[str, Any]:
        built, _, _ = self.builder.draw(index)
        row = to_trl(built, system=self.builder.system)
        del row["completion"]
        task = self.builder.task_of(built)
        return {**row, "label": built.label, "unit": task.unit, "task": task.name}


def suppressed_tokens(processor: Any, model: Any) -> list[int]:
    """Special tokens a completion must never contain, i.e. all but end-of-turn ones.

    A young model samples anything; an ``<|image_pad|>`` in a completion makes the model's
    multimodal position ids count an image that is not there, and the step crashes."""
    tok = getattr(processor, "tokenizer", processor)
    eos = model.generation_config.eos_token_id
    keep = set(eos if isinstance(eos, list) else [eos]) | {tok.pad_token_id}
    special = [i for i, t in tok.added_tokens_decoder.items() if t.special]
    return sorted(i for i in special if i not in keep)


def train_grpo(
    config: TrainConfig, *, resume: bool = False, callbacks: list[Any] | None = None
) -> Path:
    """GRPO fine-tuning of ``config.model``; returns the output folder."""
    from trl import GRPOConfig, GRPOTrainer

    checkpoint = resume_point(config, resume)
    model, processor, builder = prepare(config, weights=checkpoint)
    # TRL pads prompts on the left for generation; the processor it re-runs for the loss must
    # pad the same way, or a batch of differently sized images misaligns the image tokens.
    processor.tokenizer.padding_side = "left"
    dataset = sample_dataset(builder, stream_length(config), render=PromptRenderer(builder))
    args = trainer_args(
        config,
        GRPOConfig,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        log_completions=False,
        generation_kwargs={"suppress_tokens": suppressed_tokens(processor, model)},
    )
    trainer = with_vision_lr(GRPOTrainer, config.vision_lr_scale)(
        model=model,
        reward_funcs=get_rewards(config.rewards),
        args=args,
        train_dataset=dataset,
        processing_class=processor,
        callbacks=callbacks,
    )
    trainer.train(resume_from_checkpoint=checkpoint)
    return finish(trainer, config, processor)
