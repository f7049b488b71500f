"""SFT end to end on the tiny Qwen2.5-VL: loss falls, checkpoints reload and evaluate, resume."""

import json

import pytest
import torch
from transformers import AutoModelForImageTextToText, TrainerCallback

from depthlm.data.synth import synthesize
from depthlm.evaluation.answerers import load_answerer
from depthlm.evaluation.runner import evaluate
from depthlm.models.contract import resolve_spec
from depthlm.training.config import TrainConfig
from depthlm.training.sft import train_sft
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


@pytest.fixture
def small_run(tmp_path, tmp_path_factory):
    data = synthesize(tmp_path / "data", images=6, seed=11, size=96, points=20, progress=False)
    model = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    cfg = TrainConfig(
        model=str(model), data=[str(data)], output=str(tmp_path / "run"), focal=64.0,
        preset="short", crop_height=(48, 72), crop_width=(64, 96), max_steps=40,
        batch_size=8, learning_rate=3e-3, warmup_ratio=0.1, max_grad_norm=1.0,
        gradient_checkpointing=False, save_steps=20, logging_steps=5, report_to=[],
    )  # fmt: skip
    return cfg, data


def losses(run_dir):
    state = json.loads((run_dir / "checkpoint-40" / "trainer_state.json").read_text())
    return [h["loss"] for h in state["log_history"] if "loss" in h]


@pytest.mark.slow
def test_sft_cuts_loss_saves_contract_and_evaluates(small_run, tmp_path):
    cfg, data = small_run
    out = train_sft(cfg)
    curve = losses(out)
    assert curve[-1] <= 0.8 * curve[0], curve
    contract = json.loads((out / "depthlm.json").read_text())
    assert contract["focal"] == 64.0 and contract["preset"] == "short"
    spec = resolve_spec(out)
    assert spec.focal == 64.0 and spec.preset == "short"
    answerer = load_answerer(f"hf:{out}", max_new_tokens=8)
    res = evaluate(answerer, [data], tmp_path / "r.json", spec=spec, progress=False)
    d = res["datasets"]["records"]
    assert d["n"] + d["skipped"] == 120  # every answer is scored, parsed or counted unparsed
    assert d["unparsed"] <= d["n"]


class StopAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt  # a kill between two checkpoints


class FirstStep(TrainerCallback):
    """Records the step a run starts at and the weights it starts from."""

    def __init__(self):
        self.first = None
        self.weights = None

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        if self.first is None:
            self.first = state.global_step
            self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.slow
def test_killed_run_resumes_from_last_checkpoint(small_run):
    cfg, _ = small_run
    with pytest.raises(KeyboardInterrupt):
        train_sft(cfg, callbacks=[StopAt(27)])
    first = FirstStep()
    out = train_sft(cfg, resume=True, callbacks=[first])
    assert first.first == 20  # continued after checkpoint-20, not from scratch
    # ...and from its weights: Transformers 5's Trainer alone misses every Qwen-VL key
    saved = AutoModelForImageTextToText.from_pretrained(out / "checkpoint-20").state_dict()
    assert saved.keys() == first.weights.keys()
    assert all(torch.equal(saved[k], first.weights[k]) for k in saved)
    state = json.loads((out / "checkpoint-40" / "trainer_state.json").read_text())
    assert state["global_step"] == 40
