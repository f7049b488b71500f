"""vision_lr_scale: the vision side trains slower, or not at all, during SFT."""

import dataclasses

import pytest
import torch
from transformers import AutoModelForImageTextToText, TrainerCallback

from depthlm.data.synth import synthesize
from depthlm.training.config import TrainConfig
from depthlm.training.sft import train_sft
from depthlm.training.vision_lr import is_vision, split_groups, vision_parameters
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


@pytest.mark.parametrize(
    ("arch", "prefixes"),
    [("qwen2_5_vl", ("model.visual.",)), ("llava", ("model.vision_tower.", "model.multi_modal_"))],
)
def test_vision_side_is_encoder_and_projector(arch, prefixes, tmp_path_factory):
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_dir(arch, tmp_path_factory))
    names = [n for n, _ in model.named_parameters()]
    vision = {n for n in names if is_vision(n)}
    assert vision == {n for n in names if n.startswith(prefixes)}
    assert any(p.startswith(prefixes[-1]) for p in vision)  # the projector/merger is included
    assert len(vision) < len(names)  # the language model is not


def test_split_groups_keeps_decay_groups_and_scales_vision(tmp_path_factory):
    model = AutoModelForImageTextToText.from_pretrained(
        tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    )
    params = list(model.parameters())
    opt = torch.optim.AdamW(
        [{"params": params[::2], "weight_decay": 0.1}, {"params": params[1::2], "weight_decay": 0}],
        lr=1e-3,
        betas=(0.8, 0.9),
    )
    new = split_groups(opt, model, 0.25)
    assert new is opt and {g["betas"] for g in new.param_groups} == {(0.8, 0.9)}
    vision = {id(p) for _, p in vision_parameters(model)}
    seen = [id(p) for g in new.param_groups for p in g["params"]]
    assert sorted(seen) == sorted(id(p) for p in params)  # every tensor exactly once
    for g in new.param_groups:
        kinds = {id(p) in vision for p in g["params"]}
        assert len(kinds) == 1
        assert g["lr"] == (2.5e-4 if kinds == {True} else 1e-3)
    assert {g["weight_decay"] for g in new.param_groups} == {0.1, 0}


def test_lora_has_no_vision_parameters_to_scale(tmp_path_factory):
    model = AutoModelForImageTextToText.from_pretrained(
        tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    )
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable vision parameters"):
        vision_parameters(model)


class LastLR(TrainerCallback):
    """The optimizer's per-group LRs at the last step, by whether a group is vision."""

    def __init__(self):
        self.lrs = {}

    def on_step_end(self, args, state, control, model=None, optimizer=None, **kwargs):
        vision = {id(p) for n, p in model.named_parameters() if is_vision(n)}
        for g in optimizer.param_groups:
            self.lrs[id(g["params"][0]) in vision] = g["lr"]


@pytest.fixture
def run_config(tmp_path, tmp_path_factory):
    data = synthesize(tmp_path / "data", images=4, seed=3, size=96, points=10, progress=False)
    return TrainConfig(
        model=str(tiny_model_dir("qwen2_5_vl", tmp_path_factory)), data=[str(data)],
        output=str(tmp_path / "run"), focal=64.0, preset="short", crop_height=(48, 72),
        crop_width=(64, 96), max_steps=3, batch_size=2, learning_rate=1e-2, warmup_ratio=0.0,
        lr_scheduler="constant", gradient_checkpointing=False, save_steps=100, report_to=[],
    )  # fmt: skip


def _changed(before, out):
    after = AutoModelForImageTextToText.from_pretrained(out).state_dict()
    return {k for k in before if not torch.equal(before[k], after[k])}


def test_scale_zero_freezes_the_vision_side(run_config):
    before = AutoModelForImageTextToText.from_pretrained(run_config.model).state_dict()
    out = train_sft(dataclasses.replace(run_config, vision_lr_scale=0.0))
    changed = _changed(before, out)
    assert changed and not any(is_vision(k) for k in changed)


def test_scale_sets_the_vision_groups_lr(run_config):
    before = AutoModelForImageTextToText.from_pretrained(run_config.model).state_dict()
    seen = LastLR()
    out = train_sft(dataclasses.replace(run_config, vision_lr_scale=0.1), callbacks=[seen])
    assert seen.lrs[False] == pytest.approx(1e-2) and seen.lrs[True] == pytest.approx(1e-3)
    assert any(is_vision(k) for k in _changed(before, out))  # slower, not frozen


@pytest.mark.parametrize(
    "change", [{"vision_lr_scale": -1.0}, {"vision_lr_scale": 0.5, "lora": True}]
)
def test_bad_scale_is_refused_before_loading(run_config, change):
    with pytest.raises(ValueError, match="vision_lr_scale"):
        train_sft(dataclasses.replace(run_config, model="/nonexistent", **change))
