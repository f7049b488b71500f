"""The embedded model's recipe runs end to end (shortened), and resumes stage by stage."""

import json

import pytest
import yaml

from depthlm.training.recipe import describe_times, load_recipe, run_recipe
from tests.models.conftest import _hf_offline  # noqa: F401 - fixture


def test_shipped_recipe_is_complete():
    recipe = load_recipe()
    assert recipe["model"]["arch"] == "qwen2_5_vl"
    assert set(recipe["train"]["tasks"]) == {
        "distance", "principal_axis", "speed", "time", "two_point", "pose"
    }  # fmt: skip
    (stage2,) = recipe["then"]  # the shipped weights: stage 2 adds the two extra tasks
    assert {"multi_point", "fov"} <= set(stage2["tasks"])
    assert recipe["train"]["focal_fallback"] == "default" and recipe["train"]["window"] is True
    assert recipe["vision"]["max_steps"] > 0  # the vision warm-start stage comes first


def test_hour_recipe_is_the_shipped_one_with_fewer_steps():
    """depthlm_tiny_hour measures what the ~60-minute budget buys: it must differ from the
    shipped recipe in step counts only, or its figures compare two recipes, not two budgets."""
    full, hour = load_recipe(), load_recipe("depthlm_tiny_hour")
    assert hour["world"] == full["world"] and hour["model"] == full["model"]
    assert "then" not in hour  # no stage 2: six tasks
    budget = {"max_steps", "save_steps"}
    assert {k: v for k, v in hour["vision"].items() if k not in budget} == {
        k: v for k, v in full["vision"].items() if k not in budget
    }
    assert {k: v for k, v in hour["train"].items() if k not in budget} == {
        k: v for k, v in full["train"].items() if k not in budget
    }
    assert hour["vision"]["max_steps"] < full["vision"]["max_steps"]
    assert hour["train"]["max_steps"] < full["train"]["max_steps"]


def test_stage_times_read_as_one_line(tmp_path):
    assert describe_times(tmp_path) == ""  # nothing has run yet
    (tmp_path / "recipe_times.json").write_text(
        json.dumps({"data": 204.0, "vision": 1963.1, "run": 698.6, "total": 2865.7})
    )
    assert describe_times(tmp_path) == (
        "data 3.4 min, vision 32.7 min, run 11.6 min; total 47.8 min"
    )


def test_bad_recipe(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"world": {}}))
    with pytest.raises(ValueError, match=r"needs sections \['model', 'train'\]"):
        load_recipe(str(path))
    with pytest.raises(ValueError, match="no recipe"):
        load_recipe("nope")
    recipe = {"world": {}, "model": {}, "train": {}, "vision": [{"max_steps": 2}, 3]}
    path.write_text(yaml.safe_dump(recipe))
    with pytest.raises(ValueError, match=r"r\.yaml: vision section: expected a mapping"):
        load_recipe(str(path))


@pytest.mark.slow
def test_small_recipe_runs_and_resumes(tmp_path, monkeypatch):
    from depthlm.training import sft

    starts, real = [], sft.train_sft
    monkeypatch.setattr(
        sft, "train_sft", lambda cfg, **kw: starts.append(cfg.model) or real(cfg, **kw)
    )
    recipe = load_recipe()
    recipe["world"] = {"images": 4, "seed": 5, "size": 64, "points": 10, "views": 2}
    recipe["model"] = {"arch": "qwen2_5_vl", "seed": 0}
    recipe["train"].update(focal=32, crop_height=None, crop_width=None, batch_size=4,
                           save_steps=2, num_workers=0)  # fmt: skip
    recipe["train"].update(tasks={"distance": 1, "pose": 1}, window=False)
    recipe["vision"] = [{"learning_rate": 1e-3}, {"learning_rate": 5e-4, "seed": 1}]
    recipe["then"] = [{"tasks": {"distance": 1, "multi_point": 1}, "learning_rate": 1e-4}]
    out = run_recipe(recipe, tmp_path, max_steps=2)
    assert out == tmp_path / "run-2"  # the second stage, started from the first one's weights
    first = json.loads((tmp_path / "vision" / "vision.json").read_text())
    second = json.loads((tmp_path / "vision-2" / "vision.json").read_text())
    assert first["steps"] == second["steps"] == 2
    assert second["config"]["model"] == str(tmp_path / "vision")  # a restart from the first
    assert second["config"]["learning_rate"] == 5e-4 and second["config"]["seed"] == 1
    assert starts == [str(tmp_path / "vision-2"), str(tmp_path / "run")]  # SFT from the last
    contract = json.loads((out / "depthlm.json").read_text())
    assert contract["focal"] == 32 and "multi_point" in json.dumps(contract)
    times = json.loads((tmp_path / "recipe_times.json").read_text())  # what each stage cost
    assert set(times) == {"data", "init", "vision", "vision-2", "run", "run-2", "total"}
    line = describe_times(tmp_path)
    assert line.startswith("data ") and "vision-2 " in line and "; total " in line
    assert times["total"] == pytest.approx(sum(times.values()) - times["total"], abs=0.2)
    stamp = (tmp_path / "data" / "records.jsonl").stat().st_mtime_ns
    warm = (tmp_path / "vision-2" / "model.safetensors").stat().st_mtime_ns
    run_recipe(recipe, tmp_path, max_steps=2)  # finished stages are kept
    assert (tmp_path / "data" / "records.jsonl").stat().st_mtime_ns == stamp
    assert (tmp_path / "vision-2" / "model.safetensors").stat().st_mtime_ns == warm
    again = json.loads((tmp_path / "recipe_times.json").read_text())
    assert {k: again[k] for k in ("data", "init", "vision", "vision-2")} == {
        k: times[k] for k in ("data", "init", "vision", "vision-2")
    }  # skipped stages add no time
