import numpy as np
import pytest
import yaml

from depthlm.data.transforms import CropRange
from depthlm.prompting.query import QuerySpec
from depthlm.training.config import TrainConfig
from depthlm.training.samples import Augment, DataSource, SampleBuilder
from tests.conftest import make_dataset


@pytest.fixture
def two_sources(tmp_path):
    a = make_dataset(tmp_path / "a", n_images=3, size=(96, 72), points=10, name="alpha")
    b = make_dataset(tmp_path / "b", n_images=3, size=(96, 72), points=10, seed=1, name="beta")
    return [DataSource(a, 3.0), DataSource(b, 1.0)]


def builder(sources, **kw):
    kw.setdefault("augment", Augment(crop=CropRange((60, 90), (80, 120))))
    return SampleBuilder(sources, QuerySpec(focal=80.0, preset="short"), **kw)


def test_sample_is_a_pure_function_of_seed_and_index(two_sources):
    b1, b2 = builder(two_sources), builder(two_sources)
    for i in (0, 5, 123):
        s1, s2 = b1(i), b2(i)
        assert s1["prompt"] == s2["prompt"] and s1["completion"] == s2["completion"]
        assert np.array_equal(np.asarray(s1["images"][0]), np.asarray(s2["images"][0]))
    other = builder(two_sources, seed=1)
    assert [other(i)["completion"] for i in range(5)] != [b1(i)["completion"] for i in range(5)]


def test_trl_format_one_marker_and_crop(two_sources):
    sample = builder(two_sources)(7)
    assert set(sample) == {"images", "prompt", "completion"}
    assert [m["role"] for m in sample["prompt"]] == ["system", "user"]
    assert sample["prompt"][1]["content"][0] == {"type": "image"}
    assert sample["completion"][0]["role"] == "assistant"
    image = np.asarray(sample["images"][0])
    assert image.shape[0] <= 90 and image.shape[1] <= 120  # cropped from 128x96
    red = (image[..., 0] == 255) & (image[..., 1] == 0) & (image[..., 2] == 0)
    assert red.sum() == 9  # exactly one arrow


def test_dataset_weights_are_respected(two_sources):
    b = builder(two_sources)
    picks = [b.draw(i)[2] for i in range(400)]
    share = picks.count(0) / len(picks)
    assert 0.68 < share < 0.82  # weight 3:1


def test_label_matches_target(two_sources):
    b = builder(two_sources)
    for i in range(20):
        built, probe, k = b.draw(i)
        rec = b._records[k][probe.records[0]]
        assert built.label == rec.depth[probe.points[0]]
        assert built.target == f"{built.label:.2f}"


def test_task_mix_and_no_system(two_sources):
    b = builder(two_sources, tasks={"distance": 1.0, "speed": 1.0}, system=False)
    names = {b.draw(i)[0].task for i in range(40)}
    assert names == {"distance", "speed"}
    assert [m["role"] for m in b(0)["prompt"]] == ["user"]


@pytest.mark.parametrize(
    ("text", "path", "weight"),
    [
        ("a.jsonl", "a.jsonl", 1.0),
        ("a.jsonl:3", "a.jsonl", 3.0),
        ("C:/x/a.jsonl", "C:/x/a.jsonl", 1.0),
    ],
)
def test_data_source_parse(text, path, weight):
    src = DataSource.parse(text)
    assert str(src.path) == path and src.weight == weight


def test_data_source_rejects_bad_weight():
    with pytest.raises(ValueError, match="weight must be positive"):
        DataSource.parse("a.jsonl:0")


def test_train_config_yaml(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump({"max_steps": 7, "crop_height": [10, 20], "tasks": {"pose": 1}}))
    cfg = TrainConfig.from_yaml(path)
    assert cfg.max_steps == 7 and cfg.crop_height == (10, 20) and cfg.tasks == {"pose": 1}
    path.write_text(yaml.safe_dump({"max_stepz": 7}))
    with pytest.raises(ValueError, match=r"cfg.yaml: unknown training option\(s\) \['max_stepz'\]"):
        TrainConfig.from_yaml(path)
