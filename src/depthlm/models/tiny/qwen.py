"""The Qwen-VL families (Qwen2-VL, Qwen2.5-VL, Qwen3-VL) in miniature: one builder each, over
the Qwen chat format, M-RoPE sections scaled to a small head and the real Qwen image
processor."""

from __future__ import annotations

from typing import Any

from transformers import (
    PreTrainedTokenizerFast,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen2VLConfig,
    Qwen2VLForConditionalGeneration,
    Qwen2VLImageProcessor,
    Qwen2VLProcessor,
    Qwen2VLVideoProcessor,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
    Qwen3VLVideoProcessor,
)

from depthlm.models.chat_formats import QWEN_NAMED, QWEN_SPECIALS, qwen_template
from depthlm.models.tiny.shared import TEXT, Built, split_overrides
from depthlm.models.tokenizer import train_tokenizer


def _qwen_tokenizer(default_system: str) -> PreTrainedTokenizerFast:
    """Qwen chat format: no BOS, ``<|im_end|>`` ends a turn (EOS), ``<|endoftext|>`` pads."""
    return train_tokenizer(
        QWEN_SPECIALS,
        qwen_template(default_system),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        named_special_tokens=QWEN_NAMED,
    )


def _mrope_section(head_dim: int, official: tuple[int, int, int]) -> list[int]:
    """Scale the official (temporal, height, width) M-RoPE split (of 64 frequencies) to a
    smaller head: the sections must sum to ``head_dim // 2``."""
    half = head_dim // 2
    h = w = max(1, round(official[1] * half / 64))
    return [half - h - w, h, w]


def _qwen_ids(tok: PreTrainedTokenizerFast) -> dict:
    """Token ids the Qwen-VL configs need, read back from the tokenizer (never hard-coded)."""
    ids = tok.convert_tokens_to_ids
    return dict(
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )


def _qwen_text(
    tok: PreTrainedTokenizerFast,
    official_mrope: tuple[int, int, int],
    overrides: dict,
    *,
    head_dim_from_width: str = "",
    **rope,
) -> dict:
    """Text-config kwargs: the shared tiny size, M-RoPE sections scaled to the head size, and
    the Qwen token ids (``<|endoftext|>`` is BOS and pad, ``<|im_end|>`` EOS, as released).

    ``head_dim_from_width`` (the family's name, for the error): Qwen2-VL and Qwen2.5-VL size
    each head as ``hidden_size / num_attention_heads`` and read ``head_dim`` only for the
    rotary table, so the two must agree: derive it, and refuse a contradicting override (the
    model would build, then fail or rotate part of each head)."""
    text = {**TEXT, **overrides}
    if head_dim_from_width:
        derived = text["hidden_size"] // text["num_attention_heads"]
        if "head_dim" in overrides and overrides["head_dim"] != derived:
            raise ValueError(
                f"{head_dim_from_width}: head_dim {overrides['head_dim']} must equal "
                f"hidden_size / num_attention_heads ({derived}); leave head_dim out, it is "
                "derived"
            )
        text["head_dim"] = derived
    text["rope_parameters"] = {
        "rope_type": "default",
        "rope_theta": 1_000_000.0,
        "mrope_section": _mrope_section(text["head_dim"], official_mrope),
        **rope,
        **text.get("rope_parameters", {}),
    }
    text.update(
        vocab_size=len(tok),
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.convert_tokens_to_ids("<|endoftext|>"),
    )
    return text


def _qwen_image_processor(
    vision: Any, overrides: dict | None = None, **extra
) -> Qwen2VLImageProcessor:
    """Real Qwen-VL image processor matching ``vision`` (the vision config: its patch and merge
    sizes), with pixel limits that keep images at 4..16 merged tokens: a 112x112 image becomes
    an 8x8 patch grid, i.e. 16 image tokens after the 2x2 merge. ``min_pixels``/``max_pixels``
    in ``overrides`` widen the limits: a model that relies on focal normalisation needs images
    shown at their own size, not rescaled by the processor."""
    patch, merge = int(vision.patch_size), int(vision.spatial_merge_size)
    factor = patch * merge
    limits = {"min_pixels": factor * factor * 4, "max_pixels": factor * factor * 16}
    limits.update({k: v for k, v in (overrides or {}).items() if k in limits})
    return Qwen2VLImageProcessor(
        patch_size=patch, merge_size=merge, temporal_patch_size=2, **limits, **extra
    )


def _qwen2_processor(
    cls: type[Qwen2VLProcessor | Qwen2_5_VLProcessor],
    config: Qwen2VLConfig | Qwen2_5_VLConfig,
    tok: PreTrainedTokenizerFast,
    overrides: dict,
) -> Qwen2VLProcessor | Qwen2_5_VLProcessor:
    """The processor Qwen2-VL and Qwen2.5-VL share but for its class: their image and video
    processors are the same (Qwen2.5-VL kept Qwen2-VL's)."""
    return cls(
        image_processor=_qwen_image_processor(config.vision_config, overrides),
        tokenizer=tok,
        video_processor=Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16),
        chat_template=tok.chat_template,
    )


def build_qwen2_vl(overrides: dict) -> Built:
    """Qwen2-VL: ViT with patch 14, 2x2 patch merger, M-RoPE sections (16, 24, 24)."""
    tok = _qwen_tokenizer(overrides.get("default_system", "You are a helpful assistant."))
    text, vision = split_overrides(overrides)
    config = Qwen2VLConfig(
        text_config=_qwen_text(tok, (16, 24, 24), text, head_dim_from_width="qwen2_vl"),
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "hidden_size": text.get("hidden_size", TEXT["hidden_size"]),
            **vision,
        },
        **_qwen_ids(tok),
    )
    processor = _qwen2_processor(Qwen2VLProcessor, config, tok, overrides)
    return config, processor, Qwen2VLForConditionalGeneration


def build_qwen2_5_vl(overrides: dict) -> Built:
    """Qwen2.5-VL: like Qwen2-VL but a SwiGLU/RMSNorm ViT with window attention. The window
    (56 px = 2x2 merged tokens) is smaller than a test image so windowing really happens; the
    last of the 2 blocks is a full-attention block, like every 8th block of the release."""
    tok = _qwen_tokenizer(overrides.get("default_system", "You are a helpful assistant."))
    text, vision = split_overrides(overrides)
    config = Qwen2_5_VLConfig(
        text_config=_qwen_text(tok, (16, 24, 24), text, head_dim_from_width="qwen2_5_vl"),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [1],
            "out_hidden_size": text.get("hidden_size", TEXT["hidden_size"]),
            **vision,
        },
        **_qwen_ids(tok),
    )
    processor = _qwen2_processor(Qwen2_5_VLProcessor, config, tok, overrides)
    return config, processor, Qwen2_5_VLForConditionalGeneration


def build_qwen3_vl(overrides: dict) -> Built:
    """Qwen3-VL: patch 16, learned (interpolated) position embeddings, DeepStack features from
    vision block 0, interleaved M-RoPE (24, 20, 20); no default system prompt, SigLIP norm."""
    tok = _qwen_tokenizer("")
    text, vision = split_overrides(overrides)
    config = Qwen3VLConfig(
        text_config=_qwen_text(tok, (24, 20, 20), text, mrope_interleaved=True),
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [0],
            "out_hidden_size": text.get("hidden_size", TEXT["hidden_size"]),
            **vision,
        },
        **_qwen_ids(tok),
    )
    processor = Qwen3VLProcessor(
        image_processor=_qwen_image_processor(
            config.vision_config, overrides, image_mean=[0.5] * 3, image_std=[0.5] * 3
        ),
        tokenizer=tok,
        video_processor=Qwen3VLVideoProcessor(
            size={"shortest_edge": 32 * 32 * 4, "longest_edge": 32 * 32 * 64}
        ),
        chat_template=tok.chat_template,
    )
    return config, processor, Qwen3VLForConditionalGeneration
