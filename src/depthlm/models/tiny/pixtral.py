"""Pixtral-12B as released for Transformers (``LlavaForConditionalGeneration``), in miniature."""

from __future__ import annotations

from transformers import (
    LlavaConfig,
    LlavaForConditionalGeneration,
    PixtralImageProcessor,
    PixtralProcessor,
)

from depthlm.models.chat_formats import PIXTRAL_SPECIALS, PIXTRAL_TEMPLATE
from depthlm.models.tiny.shared import TEXT, Built, split_overrides
from depthlm.models.tokenizer import train_tokenizer


def build_llava(overrides: dict) -> Built:
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
    text, vision = split_overrides(overrides)
    text = {
        "model_type": "mistral",
        **TEXT,
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
