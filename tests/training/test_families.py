"""Every model family trains through the same entry point; LoRA and checkpointing work."""

import json

import pytest
from transformers import AutoConfig, AutoModelForImageTextToText

from depthlm.models.families import GENERIC, family_for
from depthlm.models.tiny import TINY_ARCHS
from depthlm.training.config import TrainConfig
from depthlm.training.sft import train_sft
from tests.conftest import make_dataset
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


def test_family_lookup(tmp_path_factory):
    names = {family_for(AutoConfig.from_pretrained(tiny_model_dir(a, tmp_path_factory))).name
             for a in TINY_ARCHS}  # fmt: skip
    assert names == {"qwen2_5_vl", "qwen2_vl", "qwen3_vl", "pixtral"}
    assert family_for(object()) is GENERIC
    pixtral = family_for(AutoConfig.from_pretrained(tiny_model_dir("llava", tmp_path_factory)))
    assert not pixtral.system_prompt and pixtral.focal == 750.0


@pytest.mark.slow
@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_each_family_trains_a_few_steps(arch, tmp_path, tmp_path_factory):
    data = make_dataset(tmp_path / "data", n_images=3, size=(96, 72), points=6)
    cfg = TrainConfig(
        model=str(tiny_model_dir(arch, tmp_path_factory)), data=[str(data)],
        output=str(tmp_path / "run"), focal=80.0, preset="official", crop_height=None,
        crop_width=None, max_steps=3, batch_size=2, learning_rate=1e-3, save_steps=100,
        logging_steps=1, report_to=[], gradient_checkpointing=True,
        lora=arch == "qwen2_5_vl", tasks={"distance": 1.0, "two_point": 1.0},
    )  # fmt: skip
    out = train_sft(cfg)
    state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
    assert all(h["loss"] > 0 for h in state["log_history"] if "loss" in h)
    model = AutoModelForImageTextToText.from_pretrained(out)
    if cfg.lora:  # adapters were merged into plain weights
        assert not any("lora" in n for n, _ in model.named_parameters())
