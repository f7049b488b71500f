"""Vision warm-start: targets sit where the marker is, only the vision tower trains, a killed run
resumes to the same weights, and the output is a whole model SFT can start from."""

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from depthlm.data.synth import synthesize
from depthlm.geometry.camera import Camera
from depthlm.training import vision
from depthlm.training.config import TrainConfig
from depthlm.training.samples import SampleBuilder
from depthlm.training.vision import pretrain_vision
from depthlm.training.vision_data import Targets, VisionSamples, cell_of, cells_of, grid_depths
from depthlm.training.vision_readout import CellHead, losses, vision_tower
from tests.models.conftest import _hf_offline, tiny_model_dir  # noqa: F401 - fixture


def test_a_one_cell_split_is_the_row_major_token_clamped_to_the_image():
    assert cell_of((0, 0), (112, 84), (3, 4)) == 0
    assert cell_of((111, 83), (112, 84), (3, 4)) == 11
    assert cell_of((28, 28), (112, 84), (3, 4)) == 1 * 4 + 1
    assert cell_of((500, -3), (112, 84), (3, 4)) == 3  # outside: the nearest edge token


def test_cells_split_each_token_row_major_and_one_cell_is_the_token():
    size, grid = (56, 28), (1, 2)  # two merged tokens side by side, 28 px each
    for xy, token in [((0, 0), 0), ((27, 27), 0), ((28, 0), 1), ((55, 27), 1), ((70, 40), 1)]:
        assert cell_of(xy, size, grid, 1) == token
    assert [cell_of(xy, size, grid, 2) for xy in [(0, 0), (14, 0), (0, 14), (14, 14)]] \
        == [0, 1, 2, 3]  # fmt: skip
    assert cell_of((42, 20), size, grid, 2) == 4 + 3  # token 1, lower right
    xy = np.array([(0, 0), (14, 0), (0, 14), (14, 14), (42, 20), (70, 40), (-5, 3)])
    for k in (1, 2):  # the array form agrees with the one-pixel form everywhere
        assert cells_of(xy, size, grid, k).tolist() == [cell_of(p, size, grid, k) for p in xy]
    assert cells_of(np.zeros((0, 2)), size, grid).shape == (0,)
    head = CellHead(8, 2)
    assert head(torch.zeros(3, 8)).shape == (12, 2)  # a [logit, log distance] row per cell
    with pytest.raises(ValueError, match="vision_cells"):
        CellHead(8, 0)


def test_losses_reward_the_marked_token_and_its_distance():
    t = [
        Targets(tokens=4, marked=2, marked_log=math.log(5.0), dense_cells=np.array([0, 3]),
                dense_log=np.array([0.0, 1.0]))
    ]  # fmt: skip
    good = torch.tensor([[-9.0, 0.0], [-9.0, 0.5], [9.0, math.log(5.0)], [-9.0, 1.0]])
    bad = good.clone()
    bad[:, 0] = torch.tensor([9.0, -9.0, -9.0, -9.0])
    bad[2, 1] = 0.0
    g, b = losses(good, t), losses(bad, t)
    assert g["marked_l1"] < 1e-6 and g["dense_l1"] < 1e-6 and g["marker_ce"] < 1e-3
    assert b["marker_ce"] > 10 and b["marked_l1"] == pytest.approx(math.log(5.0))
    # the second image's dense labels index its own tokens, after the first image's four
    second = Targets(tokens=2, marked=0, marked_log=0.0, dense_cells=np.array([1]),
                     dense_log=np.array([2.0]))  # fmt: skip
    two = [*t, second]
    out = torch.cat([good, torch.tensor([[9.0, 0.0], [-9.0, 2.0]])])
    assert losses(out, two)["dense_l1"] < 1e-6
    out[5, 1] = 0.0
    assert losses(out, two)["dense_l1"] == pytest.approx(2.0 / 3)
    none = [Targets(tokens=4, marked=2, marked_log=0.0, dense_cells=np.zeros(0, dtype=int),
                    dense_log=np.zeros(0))]  # fmt: skip
    assert losses(good, none)["dense_l1"] == 0.0


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("vision-data")
    return synthesize(out, images=4, seed=21, size=96, points=30, progress=False)


def small_config(model, data, out, steps=4):
    return TrainConfig(
        model=str(model), data=[str(data)], output=str(out), focal=64.0, preset="short",
        crop_height=(48, 72), crop_width=(64, 96), max_steps=steps, batch_size=4,
        learning_rate=3e-3, warmup_ratio=0.25, max_grad_norm=1.0, save_steps=2,
        logging_steps=1, report_to=[],
    )  # fmt: skip


def test_samples_put_the_marked_target_under_the_arrow(data, tmp_path):
    cfg = small_config("unused", data, tmp_path)
    builder = SampleBuilder(cfg.sources(), cfg.spec(), augment=cfg.augment(), seed=3)
    samples = VisionSamples(builder, 10)
    for i in range(10):
        image, (x, y), marked_log, (xy, logs) = samples[i]
        built, _, _ = builder.draw(i)  # the same draw as SFT's distance question i
        assert (x, y) == tuple(built.pixels[0]) and marked_log == pytest.approx(
            math.log(built.label)
        )
        rgb = np.asarray(image)
        assert tuple(rgb[y, x - 1]) == (255, 0, 0)  # the arrow's tip, one pixel left
        assert len(xy) == len(logs) > 0 and xy.shape[1] == 2
        assert ((xy >= 0) & (xy < [image.width, image.height])).all()
        assert np.isfinite(logs).all()
    assert len(list(samples)) == 10  # iteration stops at the end (no endless stream)


@pytest.fixture(scope="module")
def dense_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("vision-dense")
    return synthesize(out, images=4, seed=21, size=96, points=30, dense=True, progress=False)


def test_grid_targets_agree_with_the_records_own_labels(dense_data, tmp_path):
    # The grid reads the depth map at the pixel each training-image pixel comes from, so at a
    # labelled pixel it must give that record's label: the crop/resize mapping is the same.
    cfg = small_config("unused", dense_data, tmp_path)
    builder = SampleBuilder(cfg.sources(), cfg.spec(), augment=cfg.augment(), seed=3)
    errors = []
    for i in range(8):
        built, probe, source = builder.draw(i)
        record = builder.record(source, probe.records[0])
        camera = Camera.from_intrinsics(built.cameras[0])
        xy, logs = grid_depths(record, camera, 1)  # every pixel of the training image
        at = {(int(x), int(y)): v for (x, y), v in zip(xy, logs, strict=True)}
        w, h = camera.size
        assert len(xy) > 0.5 * w * h  # the sky is the only gap
        for j, (x, y) in enumerate(camera.remap_pixels(record.camera, record.pixel_coords)):
            if (int(x), int(y)) in at:  # downscaled: a neighbour of the labelled pixel
                errors.append(abs(at[(int(x), int(y))] - math.log(record.depth[j])))
    errors = np.array(errors)
    assert len(errors) > 50
    assert np.median(errors) < 0.05 and (errors < 0.1).mean() > 0.8  # resized: edges differ
    coarse = VisionSamples(builder, 4, dense_spacing=4)
    labelled = VisionSamples(builder, 4)
    for i in range(4):
        assert len(coarse[i][3][0]) > len(labelled[i][3][0])  # one per 4x4 px, not ~30 labels


def test_grid_targets_without_depth_maps_name_the_file_and_the_fix(data, tmp_path):
    cfg = small_config("unused", data, tmp_path)
    builder = SampleBuilder(cfg.sources(), cfg.spec(), augment=cfg.augment(), seed=3)
    with pytest.raises(FileNotFoundError, match=r"depth/.*\.npy.*synth --dense"):
        VisionSamples(builder, 2, dense_spacing=7)[0]
    with pytest.raises(ValueError, match="vision_dense_spacing"):
        VisionSamples(builder, 2, dense_spacing=-1)


def test_non_qwen_models_get_a_clear_error():
    with pytest.raises(ValueError, match="needs a Qwen-VL model"):
        vision_tower(torch.nn.Linear(2, 2))


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["qwen2_5_vl", "qwen2_vl", "qwen3_vl"])
def test_only_the_vision_tower_trains(arch, data, tmp_path, tmp_path_factory):
    model = tiny_model_dir(arch, tmp_path_factory)
    out = pretrain_vision(
        small_config(model, data, tmp_path / "v"), eval_data=str(data), eval_images=8
    )
    before, after = load_file(model / "model.safetensors"), load_file(out / "model.safetensors")
    assert before.keys() == after.keys()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(".visual." in k or k.startswith("visual.") for k in changed), changed
    report = json.loads((out / "vision.json").read_text())
    last = report["history"][-1]
    assert report["steps"] == 4 and 0 <= last["eval_delta1"] <= 1
    assert 0 <= last["eval_seen_delta1"] <= 1 and 0 <= last["eval_seen_located"] <= 1
    assert not (out / vision.CHECKPOINT).exists()  # finished: no stale checkpoint
    from transformers import AutoModelForImageTextToText

    AutoModelForImageTextToText.from_pretrained(out)  # a whole model


@pytest.mark.slow
def test_dense_warm_start_trains_and_reads_out_held_out_data_without_maps(
    dense_data, data, tmp_path, tmp_path_factory
):
    model = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    cfg = small_config(model, dense_data, tmp_path / "v")
    cfg.vision_dense_spacing = 7
    out = pretrain_vision(cfg, eval_data=str(data), eval_images=8)  # held out: no depth maps
    last = json.loads((out / "vision.json").read_text())["history"][-1]
    assert math.isfinite(last["dense_l1"]) and 0 <= last["eval_delta1"] <= 1


@pytest.mark.slow
def test_a_cell_head_trains_and_reads_out(data, tmp_path, tmp_path_factory):
    model = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    cfg = small_config(model, data, tmp_path / "v")
    cfg.vision_cells = 2
    out = pretrain_vision(cfg, eval_data=str(data), eval_images=8)
    last = json.loads((out / "vision.json").read_text())["history"][-1]
    assert math.isfinite(last["marked_l1"]) and 0 <= last["eval_located"] <= 1


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_weights(data, tmp_path, tmp_path_factory, monkeypatch):
    model = tiny_model_dir("qwen2_5_vl", tmp_path_factory)
    straight = pretrain_vision(small_config(model, data, tmp_path / "a"))

    calls = {"n": 0}
    real = vision.losses

    def dying(out, targets):
        calls["n"] += 1
        if calls["n"] == 4:  # after the step-2 checkpoint, before step 4 finishes
            raise KeyboardInterrupt
        return real(out, targets)

    monkeypatch.setattr(vision, "losses", dying)
    with pytest.raises(KeyboardInterrupt):
        pretrain_vision(small_config(model, data, tmp_path / "b"))
    assert (tmp_path / "b" / vision.CHECKPOINT).is_file()
    monkeypatch.setattr(vision, "losses", real)
    resumed = pretrain_vision(small_config(model, data, tmp_path / "b"))
    a, b = load_file(straight / "model.safetensors"), load_file(resumed / "model.safetensors")
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    steps = [h["step"] for h in json.loads((resumed / "vision.json").read_text())["history"]]
    assert steps == [1, 2, 3, 4]


def test_cli_passes_the_readout_size_and_refuses_zero(data, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from depthlm.cli.main import app

    seen = {}

    def fake(cfg, **kwargs):
        seen.update(kwargs)
        return tmp_path

    monkeypatch.setattr(vision, "pretrain_vision", fake)
    args = ["train", "vision", "--model", "m", "--data", str(data), "--output", str(tmp_path)]
    res = CliRunner().invoke(app, [*args, "--eval-data", str(data), "--eval-images", "400"])
    assert res.exit_code == 0, res.output
    assert seen["eval_images"] == 400 and seen["eval_data"] == str(data)
    res = CliRunner().invoke(app, [*args, "--eval-images", "0"])
    assert res.exit_code == 2 and "--eval-images must be at least 1" in res.output
