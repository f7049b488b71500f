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

import torch
from transformers import GenerationConfig, PreTrainedConfig

from depthlm.models.tiny.pixtral import build_llava
from depthlm.models.tiny.qwen import build_qwen2_5_vl, build_qwen2_vl, build_qwen3_vl
from depthlm.models.tiny.shared import NOT_CONFIG, TEXT, Built, split_overrides

__all__ = ["TINY_ARCHS", "build_tiny"]

TINY_ARCHS = ("qwen2_5_vl", "qwen2_vl", "qwen3_vl", "llava")


_BUILDERS: dict[str, Callable[[dict], Built]] = {
    "qwen2_5_vl": build_qwen2_5_vl,
    "qwen2_vl": build_qwen2_vl,
    "qwen3_vl": build_qwen3_vl,
    "llava": build_llava,
}


def _check_overrides(arch: str, config: PreTrainedConfig, overrides: dict) -> None:
    """Refuse keys the family's configs do not have. Why: a config class keeps any unknown
    keyword as an attribute, so a misspelt ``vision_windw_size`` would build the default
    shape silently and a shape experiment would measure nothing."""
    text, vision = split_overrides(overrides)
    for sub, keys, prefix in (
        (config.text_config, text, ""),
        (config.vision_config, vision, "vision_"),
    ):
        # The builders' own text keys count too: Qwen2(.5)-VL read ``head_dim`` with getattr
        # although their text configs do not declare it.
        known = set(type(sub)().to_dict()) | (set() if prefix else set(TEXT))
        unknown = sorted(prefix + k for k in keys if k not in known)
        if unknown:
            own = sorted(known - set(PreTrainedConfig().to_dict()))  # not the generic fields
            valid = ", ".join([prefix + k for k in own] + ([] if prefix else list(NOT_CONFIG)))
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
