"""One small adapter per model family: what differs between VLMs for training and inference.

Chosen by ``config.model_type`` (never by a substring of a path, the reference's habit), with a
generic fallback for anything ``AutoModelForImageTextToText`` loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# PEFT regex: attention and MLP projections of the language model only (the vision towers of
# Qwen-VL reuse the MLP names, and adapting them is not what the paper's recipe changes).
LANGUAGE_ATTN_MLP = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


@dataclass(frozen=True)
class Family:
    """Facts about a model family.

    ``wrap``: module classes FSDP shards one by one (decoder layers, vision blocks).
    ``lora_targets``: linear layers LoRA adapts (the language model's by default).
    ``system_prompt``: whether the family is trained with a system turn (Pixtral is not).
    ``focal``: the canonical focal of the released DepthLM checkpoint of this family.
    """

    name: str
    model_types: tuple[str, ...]
    wrap: tuple[str, ...]
    lora_targets: str = LANGUAGE_ATTN_MLP
    system_prompt: bool = True
    focal: float = 1000.0


FAMILIES: tuple[Family, ...] = (
    Family("qwen2_5_vl", ("qwen2_5_vl",), ("Qwen2_5_VLDecoderLayer", "Qwen2_5_VLVisionBlock")),
    Family("qwen2_vl", ("qwen2_vl",), ("Qwen2VLDecoderLayer", "Qwen2VLVisionBlock")),
    Family("qwen3_vl", ("qwen3_vl",), ("Qwen3VLTextDecoderLayer", "Qwen3VLVisionBlock")),
    Family(
        "pixtral",
        ("llava", "mistral3"),
        ("MistralDecoderLayer", "PixtralAttentionLayer"),
        system_prompt=False,
        focal=750.0,
    ),
)
GENERIC = Family("generic", (), ())


def family_for(config: Any) -> Family:
    """The family of a model config (``GENERIC`` when unknown)."""
    model_type = getattr(config, "model_type", None)
    for family in FAMILIES:
        if model_type in family.model_types:
            return family
    return GENERIC
