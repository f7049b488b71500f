import json

import numpy as np
import pytest

from depthlm.data.records import read_records
from depthlm.evaluation.runner import evaluate
from depthlm.prompting.presets import load_preset
from depthlm.prompting.query import QuerySpec
from depthlm.tasks import TASKS, Probe, get_task
from depthlm.tasks.inputs import InputBuilder, input_at
from tests.conftest import make_dataset


@pytest.fixture
def posed_jsonl(tmp_path):
    """Toy records in two sequences of two frames each, with known camera positions."""
    path = make_dataset(tmp_path, n_images=4, points=6)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    for i, rec in enumerate(lines):
        c2w = np.eye(4)
        c2w[:3, 3] = [0.5 * i, 0.0, 1.0 * (i % 2)]
        rec.update(
            sequence=f"s{i // 2}", frame=i % 2, camera_to_world=c2w.tolist(), depth_type="euclidean"
        )
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_registry_and_unknown():
    assert set(TASKS) == {"distance", "principal_axis", "speed", "time", "two_point", "pose"}
    with pytest.raises(ValueError, match="unknown task"):
        get_task("nope")


def test_labels_follow_geometry(posed_jsonl):
    recs = read_records(posed_jsonl)
    d = get_task("distance").label(recs, Probe((1,), (2,)))
    assert d == recs[1].depth[2]
    z = get_task("principal_axis").label(recs, Probe((1,), (2,)))
    assert z == pytest.approx(recs[1].camera.euclidean_to_z(np.array(recs[1].pixel_coords[2]), d))
    assert get_task("speed").label(recs, Probe((1,), (2,), (("T", 4.0),))) == pytest.approx(d / 4)
    assert get_task("time").label(recs, Probe((1,), (2,), (("V", 0.5),))) == pytest.approx(d * 2)
    cam = recs[1].camera
    a = cam.unproject(np.array(recs[1].pixel_coords[0], float), recs[1].depth[0], "euclidean")
    b = cam.unproject(np.array(recs[1].pixel_coords[3], float), recs[1].depth[3], "euclidean")
    two = get_task("two_point").label(recs, Probe((1,), (0, 3)))
    assert two == pytest.approx(np.linalg.norm(a - b))
    assert get_task("pose").label(recs, Probe((0, 1))) == pytest.approx(np.hypot(0.5, 1.0))


def test_probes(posed_jsonl):
    recs = read_records(posed_jsonl)
    rng = np.random.default_rng(0)
    assert len(get_task("distance").probes(recs, None, rng)) == 24
    assert len(get_task("speed").probes(recs, 2, rng)) == 8
    pairs = get_task("two_point").probes(recs, None, rng)
    assert [p.points for p in pairs[:3]] == [(0, 1), (2, 3), (4, 5)]
    assert [p.records for p in get_task("pose").probes(recs, 1, rng)] == [(0, 1), (2, 3)]
    a = get_task("time").probes(recs, 3, np.random.default_rng(5))
    assert a == get_task("time").probes(recs, 3, np.random.default_rng(5))


def test_pose_needs_sequences(toy_jsonl):
    with pytest.raises(ValueError, match="sequence"):
        get_task("pose").probes(read_records(toy_jsonl), None, np.random.default_rng(0))


@pytest.mark.parametrize("name", sorted(TASKS))
def test_build_marks_points_and_targets_parse_back(name, posed_jsonl):
    recs = read_records(posed_jsonl)
    task = get_task(name)
    spec = QuerySpec(focal=90.0, task=name, preset="official")
    builder = InputBuilder(recs, spec)
    probe = task.sample(recs, np.random.default_rng(1))
    built = builder.build(probe)
    assert built is not None
    assert len(built.images) == task.n_views and len(built.pixels) == task.n_points
    for image, cam in zip(built.images, built.cameras, strict=True):
        assert list(image.size) == cam[4:] and cam[0] == 90.0
    for x, y in built.pixels:
        assert built.image.getpixel((x - 1, y)) == (255, 0, 0)
    assert task.parse(built.target) == pytest.approx(round(built.label, 2))
    assert built.system == "You are a helpful assistant."


def test_question_snapshots():
    preset = load_preset("official")
    speed = get_task("speed").question(preset, "arrow", {"T": 2.0})
    assert speed.startswith(
        "Given this image, how many meters per second should we move in order to reach the "
        "point pointed by the red arrow in exactly 2 seconds?"
    )
    two = get_task("two_point").question(preset, "arrow", {})
    assert two.startswith("Given this image, how far are the 2 points pointed by the red arrows")
    target = preset.target(3.0, "speed", distance=6.0, T="2")
    assert (
        "The point is around 6.00 meters away. Hence, the speed should be around 6.00 / 2 = "
        in target
    )
    assert target.endswith("<answer> 3.00 </answer>")


def test_inspect_pose_question(posed_jsonl):
    built, probe = input_at(read_records(posed_jsonl), 1, QuerySpec(focal=90.0, task="pose"))
    assert probe.records == (2, 3) and len(built.images) == 2 and built.pixels == []


class Oracle:
    """Answers each question's label, through the real input-building path."""

    name = "oracle"
    uses_images = True

    def answer(self, items):
        return [f"<answer> {it.label:.3f} </answer>" for it in items]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_eval_every_task(name, posed_jsonl, tmp_path):
    spec = QuerySpec(focal=90.0, task=name)
    res = evaluate(Oracle(), [posed_jsonl], tmp_path / "r.json", spec=spec, progress=False)
    d = res["datasets"][posed_jsonl.stem]
    assert d["n"] + d["skipped"] > 0 and d["unparsed"] == 0
    assert d["delta1"] == 1.0 and d["abs_rel"] < 1e-3


def test_pose_samples_follow_the_record_list(posed_jsonl, tmp_path):
    """Pairs are memoised per record list; another list gets its own pairs, not stale ones."""
    recs = read_records(posed_jsonl)
    pose, rng = get_task("pose"), np.random.default_rng(0)
    drawn = {tuple(sorted(pose.sample(recs, rng).records)) for _ in range(20)}
    assert drawn == {(0, 1), (2, 3)}
    fewer = recs[2:]
    assert {tuple(sorted(pose.sample(fewer, rng).records)) for _ in range(5)} == {(0, 1)}


def test_training_draws_skip_records_without_enough_points(tmp_path):
    """A rendered view facing a wall inside the depth range's minimum has no labels (one in
    24,000 of the mixed world): training draws must skip it, and a dataset where nothing
    qualifies must say so instead of crashing in numpy or looping forever."""
    empty = read_records(make_dataset(tmp_path / "e", n_images=2, points=0, name="e"))
    one = read_records(make_dataset(tmp_path / "o", n_images=2, points=1, name="o"))
    rng = np.random.default_rng(0)
    mixed = empty + one
    assert {get_task("distance").sample(mixed, rng).records[0] for _ in range(30)} == {2, 3}
    with pytest.raises(ValueError, match="two_point: no record has 2 or more labelled"):
        get_task("two_point").sample(mixed, rng)
    with pytest.raises(ValueError, match="principal_axis: no record has 1 or more"):
        get_task("principal_axis").sample(empty, rng)


def test_draws_on_complete_datasets_keep_their_random_stream(tmp_path):
    """Skipping empty records must not change the training stream of datasets without them
    (shipped recipes reproduce their weights)."""
    recs = read_records(make_dataset(tmp_path, n_images=5, points=3))
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    for _ in range(20):
        assert get_task("distance").sample(recs, a).records[0] == int(b.integers(5))
        b.integers(3)  # the point
