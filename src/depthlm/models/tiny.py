"""Tiny random-init copies of the real VLM architectures DepthLM fine-tunes, built offline.

Tests and smoke runs need models of the *exact* classes the real checkpoints load into (same
config class, processor, image processor, chat format and special-token ids), but no hub access
and no gigabytes. :func:`build_tiny` builds one from nothing: a locally trained tokenizer
(:func:`depthlm.models.tokenizer.train_tokenizer`), the family's config shrunk to a few hundred
thousand parameters, the real processor classes with small pixel limits, and a chat template
that renders the same text layout as the official one. Everything is written with
``save_pretrained``, so ``AutoModelForImageTextToText.from_pretrained(out_dir)`` and
``AutoProcessor.from_pretrained(out_dir)`` work with ``HF_HUB_OFFLINE=1``.

Overrides: ``build_tiny(arch, d, hidden_size=128, vision_depth=1)`` -- plain keys update the text
config, keys prefixed ``vision_`` update the vision config; a key neither config has is an
error (``depthlm init-tiny --set KEY=VALUE`` passes them from the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from transformers import (
    GenerationConfig,
    LlavaConfig,
    LlavaForConditionalGeneration,
    PixtralImageProcessor,
    PixtralProcessor,
    PreTrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    ProcessorMixin,
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

from depthlm.models.chat_formats import (
    PIXTRAL_SPECIALS,
    PIXTRAL_TEMPLATE,
    QWEN_NAMED,
    QWEN_SPECIALS,
    qwen_template,
)
from depthlm.models.tokenizer import train_tokenizer

__all__ = ["TINY_ARCHS", "build_tiny"]

TINY_ARCHS = ("qwen2_5_vl", "qwen2_vl", "qwen3_vl", "llava")

# Shared text-model size: 2 layers, hidden 64, 2 heads of 32, 1 KV head (grouped-query attention
# like the real models). head_dim 32 leaves 16 rotary frequencies to split into M-RoPE sections.
_TEXT = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    head_dim=32,
    max_position_embeddings=4096,
)


def _qwen_tokenizer(default_system: str) -> PreTrainedTokenizerFast:
    """Qwen chat format: no BOS, ``<|im_end|>`` ends a turn (EOS), ``<|endoftext|>`` pads."""
    return train_tokenizer(
        QWEN_SPECIALS,
        qwen_template(default_system),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        named_special_tokens=QWEN_NAMED,
    )


# Overrides that are not config fields: image-processor pixel limits, and the system turn the
# chat template inserts when a conversation has none ("" drops it: fewer tokens per sample).
_NOT_CONFIG = ("min_pixels", "max_pixels", "default_system")


def _split(overrides: dict) -> tuple[dict, dict]:
    """Split ``build_tiny`` overrides into (text-config, vision-config) updates; ``min_pixels``
    and ``max_pixels`` (image-processor limits) and ``default_system`` are taken out by the
    Qwen builders."""
    vision = {k.removeprefix("vision_"): v for k, v in overrides.items() if k.startswith("vision_")}
    text = {
        k: v for k, v in overrides.items() if not k.startswith("vision_") and k not in _NOT_CONFIG
    }
    return text, vision


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
    text = {**_TEXT, **overrides}
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


# ---------------------------------------------------------------------------------------------
# One builder per family: returns (config, processor, model class).
# ---------------------------------------------------------------------------------------------

_Built = tuple[PreTrainedConfig, ProcessorMixin, type[PreTrainedModel]]


def _build_qwen2_vl(overrides: dict) -> _Built:
    """Qwen2-VL: ViT with patch 14, 2x2 patch merger, M-RoPE sections (16, 24, 24)."""
    tok = _qwen_tokenizer(overrides.get("default_system", "You are a helpful assistant."))
    text, vision = _split(overrides)
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
            "hidden_size": text.get("hidden_size", _TEXT["hidden_size"]),
            **vision,
        },
        **_qwen_ids(tok),
    )
    processor = Qwen2VLProcessor(
        image_processor=_qwen_image_processor(config.vision_config, overrides),
        tokenizer=tok,
        video_processor=Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16),
        chat_template=tok.chat_template,
    )
    return config, processor, Qwen2VLForConditionalGeneration


def _build_qwen2_5_vl(overrides: dict) -> _Built:
    """Qwen2.5-VL: like Qwen2-VL but a SwiGLU/RMSNorm ViT with window attention. The window
    (56 px = 2x2 merged tokens) is smaller than a test image so windowing really happens; the
    last of the 2 blocks is a full-attention block, like every 8th block of the release."""
    tok = _qwen_tokenizer(overrides.get("default_system", "You are a helpful assistant."))
    text, vision = _split(overrides)
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
            "out_hidden_size": text.get("hidden_size", _TEXT["hidden_size"]),
            **vision,
        },
        **_qwen_ids(tok),
    )
    processor = Qwen2_5_VLProcessor(
        image_processor=_qwen_image_processor(config.vision_config, overrides),
        tokenizer=tok,
        video_processor=Qwen2VLVideoProcessor(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16),
        chat_template=tok.chat_template,
    )
    return config, processor, Qwen2_5_VLForConditionalGeneration


def _build_qwen3_vl(overrides: dict) -> _Built:
    """Qwen3-VL: patch 16, learned (interpolated) position embeddings, DeepStack features from
    vision block 0, interleaved M-RoPE (24, 20, 20); no default system prompt, SigLIP norm."""
    tok = _qwen_tokenizer("")
    text, vision = _split(overrides)
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
            "out_hidden_size": text.get("hidden_size", _TEXT["hidden_size"]),
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


def _build_llava(overrides: dict) -> _Built:
    """Pixtral-12B as released for Transformers: ``LlavaForConditionalGeneration`` with a
    Pixtral vision tower (patch 16, 2D RoPE, no spatial merge), all-layer features
    (``vision_feature_layer=-1``, strategy ``full``) and a Mistral text model. Images become
    rows of ``[IMG]`` separated by ``[IMG_BREAK]`` and closed by ``[IMG_END]``; with
    ``longest_edge=64`` a 112x112 image is 4x4 patches = 20 tokens."""
    tok = train_tokenizer(
        PIXTRAL_SPECIALS,
        PIXTRAL_TEMPLATE,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        named_special_tokens={
            "image_token": "[IMG]",
            "image_break_token": "[IMG_BREAK]",
            "image_end_token": "[IMG_END]",
        },
    )
    text, vision = _split(overrides)
    text = {
        "model_type": "mistral",
        **_TEXT,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1_000_000_000.0},
        "sliding_window": None,
        "vocab_size": len(tok),
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "pad_token_id": tok.pad_token_id,
        **text,
    }
    config = LlavaConfig(
        text_config=text,
        vision_config={
            "model_type": "pixtral",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "head_dim": 16,
            "hidden_act": "silu",
            "image_size": 128,
            "patch_size": 16,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10_000.0},
            **vision,
        },
        image_token_index=tok.convert_tokens_to_ids("[IMG]"),
        projector_hidden_act="gelu",
        vision_feature_layer=-1,
        vision_feature_select_strategy="full",
        multimodal_projector_bias=True,
    )
    processor = PixtralProcessor(
        image_processor=PixtralImageProcessor(
            size={"longest_edge": 64}, patch_size={"height": 16, "width": 16}
        ),
        tokenizer=tok,
        patch_size=16,
        spatial_merge_size=1,
        chat_template=tok.chat_template,
    )
    return config, processor, LlavaForConditionalGeneration


_BUILDERS: dict[str, Callable[[dict], _Built]] = {
    "qwen2_5_vl": _build_qwen2_5_vl,
    "qwen2_vl": _build_qwen2_vl,
    "qwen3_vl": _build_qwen3_vl,
    "llava": _build_llava,
}


def _check_overrides(arch: str, config: PreTrainedConfig, overrides: dict) -> None:
    """Refuse keys the family's configs do not have. Why: a config class keeps any unknown
    keyword as an attribute, so a misspelt ``vision_windw_size`` would build the default
    shape silently and a shape experiment would measure nothing."""
    text, vision = _split(overrides)
    for sub, keys, prefix in (
        (config.text_config, text, ""),
        (config.vision_config, vision, "vision_"),
    ):
        # The builders' own text keys count too: Qwen2(.5)-VL read ``head_dim`` with getattr
        # although their text configs do not declare it.
        known = set(type(sub)().to_dict()) | (set() if prefix else set(_TEXT))
        unknown = sorted(prefix + k for k in keys if k not in known)
        if unknown:
            own = sorted(known - set(PreTrainedConfig().to_dict()))  # not the generic fields
            valid = ", ".join([prefix + k for k in own] + ([] if prefix else list(_NOT_CONFIG)))
            raise ValueError(f"{arch}: unknown override(s) {', '.join(unknown)}; valid: {valid}")


def build_tiny(arch: str, out_dir: str | Path, *, seed: int = 0, **overrides) -> Path:
    """Build a random-init tiny ``arch`` model with its tokenizer and processor in ``out_dir``.

    Weights come from the model's own initialiser under ``torch.manual_seed(seed)`` (in a forked
    RNG, so the caller's random state is untouched): the same seed gives identical weights.
    The generation config is greedy and carries the family's EOS and pad ids, so ``generate``
    stops at the end of the assistant turn. Returns ``out_dir``.
    """
    if arch not in _BUILDERS:
        raise ValueError(f"unknown tiny arch {arch!r}; valid: {', '.join(TINY_ARCHS)}")
    config, processor, model_cls = _BUILDERS[arch](overrides)
    _check_overrides(arch, config, overrides)
    tok = processor.tokenizer

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_cls(config).eval()

    # Qwen releases stop on <|im_end|> and on <|endoftext|>; Pixtral on </s> only.
    eos = tok.eos_token_id if arch == "llava" else [tok.eos_token_id, tok.pad_token_id]
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id,
        eos_token_id=eos,
        pad_token_id=tok.pad_token_id,
        do_sample=False,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    return out
