"""Tiny random-init VLMs: real classes, offline reload, tokenizer, chat format, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from transformers import AutoModelForImageTextToText, AutoProcessor

from depthlm.models.tiny import TINY_ARCHS, build_tiny
from depthlm.models.tokenizer import CORPUS, train_tokenizer

EXPECTED = {
    "qwen2_5_vl": ("Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLProcessor"),
    "qwen2_vl": ("Qwen2VLForConditionalGeneration", "Qwen2VLProcessor"),
    "qwen3_vl": ("Qwen3VLForConditionalGeneration", "Qwen3VLProcessor"),
    "llava": ("LlavaForConditionalGeneration", "PixtralProcessor"),
}

QWEN_TURNS = (
    "<|im_start|>system\nSYS<|im_end|>\n"
    "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Q<|im_end|>\n"
    "<|im_start|>assistant\nA<|im_end|>\n"
)
RENDERED = {
    "qwen2_5_vl": QWEN_TURNS,
    "qwen2_vl": QWEN_TURNS,
    "qwen3_vl": QWEN_TURNS,
    "llava": "<s>[INST]SYS\n\n[IMG]Q[/INST]A</s>",
}
# Without a system turn: Qwen2/2.5-VL inject their default one, Qwen3-VL and Pixtral do not.
GENERATION_PROMPT = {
    "qwen2_5_vl": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
    "qwen2_vl": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
    "qwen3_vl": "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
    "llava": "<s>[INST]Q[/INST]",
}


def _conversation(image: Image.Image) -> list[dict]:
    user = [{"type": "image", "image": image}, {"type": "text", "text": "Q"}]
    return [
        {"role": "system", "content": [{"type": "text", "text": "SYS"}]},
        {"role": "user", "content": user},
        {"role": "assistant", "content": [{"type": "text", "text": "A"}]},
    ]


def test_archs_listed() -> None:
    assert set(TINY_ARCHS) == set(EXPECTED)


def test_unknown_arch_lists_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"qwen2_5_vl.*llava"):
        build_tiny("gpt5_vl", tmp_path)


def test_reload_offline_with_real_classes(tiny_arch: str, tiny_dir: Path, no_network) -> None:
    model = AutoModelForImageTextToText.from_pretrained(tiny_dir)
    processor = AutoProcessor.from_pretrained(tiny_dir)
    model_cls, processor_cls = EXPECTED[tiny_arch]
    assert type(model).__name__ == model_cls
    assert type(processor).__name__ == processor_cls
    assert (tiny_dir / "model.safetensors").is_file()
    if tiny_arch == "llava":
        assert type(processor.image_processor).__name__ == "PixtralImageProcessor"
        assert model.config.vision_config.model_type == "pixtral"
    else:
        assert type(processor.image_processor).__name__ == "Qwen2VLImageProcessor"
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params < 10_000_000


def test_config_ids_match_tokenizer(tiny_arch: str, tiny_dir: Path) -> None:
    model = AutoModelForImageTextToText.from_pretrained(tiny_dir)
    tok = AutoProcessor.from_pretrained(tiny_dir).tokenizer
    cfg, gen = model.config, model.generation_config
    assert cfg.text_config.vocab_size == len(tok)
    if tiny_arch == "llava":
        assert cfg.image_token_id == tok.convert_tokens_to_ids("[IMG]") == 10  # as in Pixtral-12B
        assert (gen.bos_token_id, gen.eos_token_id) == (tok.bos_token_id, tok.eos_token_id)
    else:
        assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
        assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
        assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
        assert gen.eos_token_id == [tok.eos_token_id, tok.pad_token_id]
    assert gen.pad_token_id == tok.pad_token_id
    assert gen.do_sample is False


def test_forward_with_image(tiny_dir: Path) -> None:
    model = AutoModelForImageTextToText.from_pretrained(tiny_dir)
    processor = AutoProcessor.from_pretrained(tiny_dir)
    messages = _conversation(Image.new("RGB", (112, 112), (200, 30, 30)))[:2]
    inputs = processor.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
    )
    n_image_tokens = int((inputs["input_ids"] == model.config.image_token_id).sum())
    assert 4 <= n_image_tokens <= 64
    with torch.inference_mode():
        logits = model(**inputs).logits
    assert logits.shape == (*inputs["input_ids"].shape, model.config.text_config.vocab_size)
    assert torch.isfinite(logits).all()


def test_digits_are_single_tokens(tiny_dir: Path) -> None:
    tok = AutoProcessor.from_pretrained(tiny_dir).tokenizer
    assert tok.tokenize("12.34") == ["1", "2", ".", "3", "4"]
    ids = tok("The point is around 3.25 meters away.", add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == "The point is around 3.25 meters away."


def test_chat_template_layout(tiny_arch: str, tiny_dir: Path) -> None:
    processor = AutoProcessor.from_pretrained(tiny_dir)
    image = Image.new("RGB", (112, 112))
    assert processor.apply_chat_template(_conversation(image)) == RENDERED[tiny_arch]
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "text", "text": "Q"}]}], add_generation_prompt=True
    )
    assert prompt == GENERATION_PROMPT[tiny_arch]


@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_same_seed_same_weights(arch: str, tmp_path: Path) -> None:
    a = load_file(build_tiny(arch, tmp_path / "a", seed=3) / "model.safetensors")
    b = load_file(build_tiny(arch, tmp_path / "b", seed=3) / "model.safetensors")
    c = load_file(build_tiny(arch, tmp_path / "c", seed=4) / "model.safetensors")
    assert a.keys() == b.keys() == c.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_overrides_reach_text_and_vision_configs(tmp_path: Path) -> None:
    out = build_tiny("qwen2_5_vl", tmp_path, num_hidden_layers=3, vision_depth=1)
    model = AutoModelForImageTextToText.from_pretrained(out)
    assert model.config.text_config.num_hidden_layers == 3
    assert model.config.vision_config.depth == 1


def test_a_misspelt_override_is_refused_with_the_valid_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"vision_windw_size; valid: .*vision_window_size"):
        build_tiny("qwen2_5_vl", tmp_path / "v", vision_windw_size=56)
    with pytest.raises(ValueError, match=r"hiden_size; valid: .*hidden_size.*default_system"):
        build_tiny("qwen2_5_vl", tmp_path / "t", hiden_size=64)
    assert not (tmp_path / "v").exists() and not (tmp_path / "t").exists()  # nothing written


@pytest.mark.parametrize("arch", ["qwen2_vl", "qwen2_5_vl"])
def test_qwen2_head_dim_follows_the_width(arch: str, tmp_path: Path) -> None:
    """These families size heads as hidden / heads and read head_dim only for the rotary
    table: a wider model gets a matching head_dim, a contradicting one is refused."""
    out = build_tiny(arch, tmp_path / "w", hidden_size=128)  # 2 heads: 64 each
    model = AutoModelForImageTextToText.from_pretrained(out)
    assert model.config.text_config.head_dim == 64
    inputs = AutoProcessor.from_pretrained(out).apply_chat_template(
        _conversation(Image.new("RGB", (112, 112)))[:2], tokenize=True, return_dict=True,
        return_tensors="pt",
    )  # fmt: skip
    assert model(**inputs).logits.shape[-1] == model.config.text_config.vocab_size
    with pytest.raises(ValueError, match="head_dim 16 must equal"):
        build_tiny(arch, tmp_path / "h", head_dim=16)


def test_tokenizer_training_is_deterministic() -> None:
    specials = ["<|endoftext|>", "<|im_end|>"]
    a = train_tokenizer(specials, "{{ messages }}", eos_token="<|im_end|>")
    b = train_tokenizer(specials, "{{ messages }}", eos_token="<|im_end|>")
    assert a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()
    assert 300 <= len(a) <= 600
    assert a.convert_tokens_to_ids(specials) == [0, 1]
    assert a.tokenize("2025.0") == ["2", "0", "2", "5", ".", "0"]
    assert len(a.tokenize(CORPUS[0])) < len(CORPUS[0]) / 3  # the prompts are compressed


def test_embedded_shape_options(tmp_path: Path) -> None:
    """``default_system=""`` drops the inserted system turn; the vision patch size reaches the
    image processor, so its resize factor matches the tower."""
    out = build_tiny("qwen2_5_vl", tmp_path, default_system="", vision_patch_size=7)
    processor = AutoProcessor.from_pretrained(out)
    text = processor.apply_chat_template([{"role": "user", "content": "Q"}])
    assert text == "<|im_start|>user\nQ<|im_end|>\n"
    assert processor.image_processor.patch_size == 7
    batch = processor(
        text="<|vision_start|><|image_pad|><|vision_end|>", images=Image.new("RGB", (56, 56))
    )
    assert batch["image_grid_thw"].tolist() == [[1, 8, 8]]


@pytest.mark.parametrize("arch", ["qwen2_vl", "qwen2_5_vl", "qwen3_vl"])
def test_vision_merge_size_reaches_processor(arch: str, tmp_path: Path) -> None:
    """A 4x4 merge (smaller patches, same merged-token size) must reach the image processor:
    with the processor left at 2x2, the image-token count would not match the tower's output
    and the forward pass would fail."""
    out = build_tiny(arch, tmp_path, vision_patch_size=8, vision_spatial_merge_size=4)
    model = AutoModelForImageTextToText.from_pretrained(out)
    processor = AutoProcessor.from_pretrained(out)
    assert processor.image_processor.merge_size == 4
    inputs = processor.apply_chat_template(
        _conversation(Image.new("RGB", (128, 128)))[:2],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
        return_tensors="pt",
    )
    n_image_tokens = int((inputs["input_ids"] == model.config.image_token_id).sum())
    assert n_image_tokens == 16  # 128 px / (8 px x 4) = 4 x 4 merged tokens
    with torch.inference_mode():
        assert torch.isfinite(model(**inputs).logits).all()
