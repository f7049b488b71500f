"""What every tiny family shares: the text model's size and the split of ``build_tiny``
overrides into text- and vision-config updates."""

from __future__ import annotations

from transformers import PreTrainedConfig, PreTrainedModel, ProcessorMixin

#: A family builder's result: (config, processor, model class).
Built = tuple[PreTrainedConfig, ProcessorMixin, type[PreTrainedModel]]

# Shared text-model size: 2 layers, hidden 64, 2 heads of 32, 1 KV head (grouped-query attention
# like the real models). head_dim 32 leaves 16 rotary frequencies to split into M-RoPE sections.
TEXT = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    head_dim=32,
    max_position_embeddings=4096,
)

# Overrides that are not config fields: image-processor pixel limits, and the system turn the
# chat template inserts when a conversation has none ("" drops it: fewer tokens per sample).
NOT_CONFIG = ("min_pixels", "max_pixels", "default_system")


def split_overrides(overrides: dict) -> tuple[dict, dict]:
    """Split ``build_tiny`` overrides into (text-config, vision-config) updates; ``min_pixels``
    and ``max_pixels`` (image-processor limits) and ``default_system`` are taken out by the
    Qwen builders."""
    vision = {k.removeprefix("vision_"): v for k, v in overrides.items() if k.startswith("vision_")}
    text = {
        k: v for k, v in overrides.items() if not k.startswith("vision_") and k not in NOT_CONFIG
    }
    return text, vision
