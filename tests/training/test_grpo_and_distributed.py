"""GRPO a few steps, and the SFT entry point under torchrun with 2 CPU processes (gloo)."""

import json
import subprocess
import sys

import pytest
from transformers import AutoModelForImageTextToText

from depthlm.training.config import TrainConfig
from depthlm.training.grpo import train_grpo
from tests.conftest import make_dataset
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


@pytest.mark.slow
def test_grpo_runs_and_logs_rewards(tmp_path, tmp_path_factory):
    data = make_dataset(tmp_path / "data", n_images=4, size=(96, 72), points=10)
    cfg = TrainConfig(
        model=str(tiny_model_dir("qwen2_5_vl", tmp_path_factory)), data=[str(data)],
        output=str(tmp_path / "run"), focal=80.0, preset="short", crop_height=None,
        crop_width=None, max_steps=3, batch_size=4, learning_rate=1e-3, num_generations=4,
        max_completion_length=12, gradient_checkpointing=False, save_steps=100, logging_steps=1,
        report_to=[], rewards=["delta1", "log_l1", "format"],
    )  # fmt: skip
    out = train_grpo(cfg)
    state = json.loads(next(out.glob("checkpoint-*/trainer_state.json")).read_text())
    logged = {k for h in state["log_history"] for k in h}
    for name in ("delta1_reward", "log_l1_reward", "format_reward"):
        assert f"rewards/{name}/mean" in logged
    AutoModelForImageTextToText.from_pretrained(out)


@pytest.mark.slow
def test_two_cpu_processes_train_and_save_one_model(tmp_path, tmp_path_factory):
    data = make_dataset(tmp_path / "data", n_images=4, size=(96, 72), points=10)
    model = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    out = tmp_path / "run"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--master_port", "29561", "-m", "depthlm.cli.main", "train", "sft",
        "--model", str(model), "--data", str(data), "--output", str(out), "--focal", "80",
        "--preset", "short", "--max-steps", "4", "--batch-size", "2", "--save-steps", "100",
        "--no-crop", "--seed", "3",
    ]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.count("saved") == 2  # both ranks ran the entry point
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    assert [p.name for p in out.glob("model*.safetensors")] == ["model.safetensors"]
    AutoModelForImageTextToText.from_pretrained(out)
