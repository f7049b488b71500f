"""The patch embedding as a matrix product: same outputs, same gradients, same saved files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn
from transformers import AutoModelForImageTextToText

from depthlm.models.patch_embed import linear_patch_embed
from depthlm.training.vision_readout import merged_features, vision_tower


def _pixels(model: nn.Module, rows: int = 4, cols: int = 6, seed: int = 0):
    """Random flattened patches of one ``rows × cols`` patch image, as the processor makes."""
    vc = model.config.vision_config
    per_patch = vc.in_channels * vc.temporal_patch_size * vc.patch_size**2
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows * cols, per_patch, generator=g), torch.tensor([[1, rows, cols]])


@pytest.mark.parametrize("arch", ["qwen2_5_vl", "qwen2_vl", "qwen3_vl"])
def test_same_features_and_gradients(arch: str, tmp_path_factory) -> None:
    from tests.models.conftest import tiny_model_dir

    path = tiny_model_dir(arch, tmp_path_factory)
    conv = AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32)
    fast = copy.deepcopy(conv)
    assert linear_patch_embed(fast) == 1
    assert linear_patch_embed(fast) == 0  # already switched: a second call is a no-op

    pixels, grid = _pixels(conv)
    outs = []
    for model in (conv, fast):
        visual = vision_tower(model)
        visual.zero_grad()
        feats = merged_features(visual, pixels, grid)
        (feats**2).sum().backward()
        outs.append((feats.detach(), visual.patch_embed.proj.weight.grad.clone()))
    torch.testing.assert_close(outs[1][0], outs[0][0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(outs[1][1], outs[0][1], rtol=1e-4, atol=1e-5)
    patch = vision_tower(fast).patch_embed
    assert patch.proj.weight.dim() == 5  # the conv's parameter itself, untouched


def test_saved_files_unchanged(tmp_path: Path, tmp_path_factory) -> None:
    from tests.models.conftest import tiny_model_dir

    path = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    model = AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32)
    linear_patch_embed(model)
    model.save_pretrained(tmp_path)
    saved = load_file(tmp_path / "model.safetensors")
    original = load_file(path / "model.safetensors")
    assert saved.keys() == original.keys()
    name = next(k for k in saved if "patch_embed.proj.weight" in k)
    assert saved[name].shape == original[name].shape and torch.equal(saved[name], original[name])


def test_other_modules_left_alone() -> None:
    class Padded(nn.Module):  # a conv that does not tile its input is not a patch embed
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Conv3d(3, 4, kernel_size=2, stride=1)
            self.temporal_patch_size, self.patch_size, self.embed_dim = 2, 2, 4

    net = nn.Sequential(Padded(), nn.Linear(3, 3))
    assert linear_patch_embed(net) == 0
    assert linear_patch_embed("not a module") == 0
