"""The multi_point task: answers listing K distances, training samples, and the eval refusal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlm.data.records import read_records
from depthlm.data.synth import synthesize
from depthlm.data.transforms import CropRange
from depthlm.evaluation.runner import evaluate
from depthlm.prompting.markers import layout_markers
from depthlm.prompting.parsing import parse_answers
from depthlm.prompting.presets import available_presets, load_preset
from depthlm.prompting.query import QuerySpec
from depthlm.tasks import get_task
from depthlm.tasks.base import Probe
from depthlm.tasks.inputs import InputBuilder
from depthlm.tasks.labels import point_label
from depthlm.tasks.multi_point import K_RANGE, format_answers, target_text
from depthlm.training.samples import Augment, DataSource, SampleBuilder
from tests.conftest import make_dataset

FAST = settings(max_examples=150, deadline=None, database=None)


# ---------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "k", "expected"),
    [
        ("1: 3.2, 2: 5.1, 3: 4.0", 3, [3.2, 5.1, 4.0]),
        ("1: 3.2, 2: 5.1", 3, [3.2, 5.1, None]),  # partial: the rest is unparsed
        ("2: 4, 1: 3", 2, [3.0, 4.0]),  # any order
        ("1: 3.2, 3: 4.0", 3, [3.2, None, 4.0]),  # a skipped item loses only itself
        ("1: 320 cm, 2: 1,200 mm, 3: 10 ft", 3, [3.2, 1.2, 3.048]),
        ("1: 3 s, 2: ?, 3: 2 m", 3, [None, None, 2.0]),
        ("1) 2.5 m 2) 3 m", 2, [2.5, 3.0]),
        ("#1: 3,5; #2: 0.9", 2, [3.5, 0.9]),
        ("Point 1: 2.0, Point 2: 3.0", 2, [2.0, 3.0]),
        ("1: 2, 1: 3", 1, [3.0]),  # a label given twice keeps its last value
        ("1: 2, 7: 3", 2, [2.0, None]),  # labels beyond k are ignored
        ("<think>1: 9, 2: 9</think><answer> 1: 3.20, 2: 5.10 </answer>", 2, [3.2, 5.1]),
        ("3.2, 5.1, 4.0", 3, [3.2, 5.1, 4.0]),  # a bare list, in order
        ("3.2, 5.1, 4.0, 7.0", 2, [3.2, 5.1]),
        ("", 2, [None, None]),
        ("no idea", 0, []),
    ],
)
def test_parse_answers(text, k, expected):
    got = parse_answers(text, k)
    assert len(got) == k
    for g, e in zip(got, expected, strict=True):
        assert (g is None and e is None) or g == pytest.approx(e, rel=1e-12)


@pytest.mark.parametrize("bad", [None, 3, b"1: 2", ["1: 2"]])
def test_parse_answers_of_non_text(bad):
    assert parse_answers(bad, 2) == [None, None]
    assert parse_answers("1: 2", -1) == [] and parse_answers("1: 2", True) == []


@FAST
@given(st.text(max_size=200), st.integers(-3, 20))
def test_parse_answers_never_raises(text, k):
    got = parse_answers(text, k)
    assert len(got) == max(k, 0)
    assert all(v is None or (v > 0 and np.isfinite(v)) for v in got)


@FAST
@given(
    st.lists(st.one_of(st.none(), st.floats(0.01, 500.0)), min_size=1, max_size=16),
    st.sampled_from(["m", "cm"]),
    st.randoms(use_true_random=False),
)
def test_labelled_answers_round_trip_with_holes(values, unit, rnd):
    items = [(i + 1, v) for i, v in enumerate(values) if v is not None]
    rnd.shuffle(items)
    text = ", ".join(f"{i}: {v:.2f} {unit}" for i, v in items)
    got = parse_answers(f"<answer> {text} </answer>", len(values))
    scale = 0.01 if unit == "cm" else 1.0
    for v, g in zip(values, got, strict=True):
        assert (v is None and g is None) or g == pytest.approx(float(f"{v:.2f}") * scale)


@pytest.mark.parametrize("preset", available_presets())
@FAST
@given(st.lists(st.floats(0.05, 80.0), min_size=1, max_size=16))
def test_every_preset_target_parses_back(preset, values):
    p = load_preset(preset)
    target = target_text(p, values)
    got = get_task("multi_point").parse_all(target, len(values))
    assert got == [pytest.approx(float(p.number(v))) for v in values]
    assert format_answers(values, p) in target


@pytest.mark.parametrize("preset", available_presets())
def test_questions_say_how_the_points_are_numbered(preset):
    text = get_task("multi_point").question(load_preset(preset), "arrow", {"K": 7.0})
    assert "pointed by the red arrows, labelled 1 to 7" in text
    coords = get_task("multi_point").question(load_preset(preset), "text", {}, [(3, 4), (5, 6)])
    assert "at pixels (3, 4) and (5, 6), labelled 1 to 2" in coords


# ---------------------------------------------------------------------------------- samples
def check_sample(builder, i):
    built, probe, k = builder.draw(i)
    assert built.task == "multi_point"
    rec = builder._records[k][probe.records[0]]
    n = len(built.labels)
    assert min(K_RANGE[0], len(rec.pixel_coords)) <= n <= probe.kwargs["K"] <= K_RANGE[1]
    assert set(built.indices) <= set(probe.points) and len(set(built.indices)) == n
    assert built.labels == [point_label(rec, j) for j in built.indices]
    assert built.label == pytest.approx(np.mean(built.labels))
    assert len(built.pixels) == n
    assert layout_markers(built.pixels, built.image.size, builder.spec.marker).kept == tuple(
        range(n)
    )
    preset = builder.spec.prompt
    task = builder.task_of(built)
    assert task.parse_all(built.target, n) == [
        pytest.approx(float(preset.number(v))) for v in built.labels
    ]
    assert f"1 to {n}" in built.text
    image = np.asarray(built.image)
    for x, y in built.pixels:
        assert tuple(image[y, x - 1]) == (255, 0, 0)  # the arrow's tip, left of the target
    return built


@pytest.mark.parametrize("preset", ["official", "compact"])
def test_training_samples_on_toy_records(tmp_path, preset):
    path = make_dataset(tmp_path, n_images=3, size=(160, 120), points=20)
    builder = SampleBuilder(
        [DataSource(path)],
        QuerySpec(focal=90.0, preset=preset),
        tasks={"multi_point": 1.0},
        augment=Augment(crop=CropRange((80, 120), (100, 160))),
    )
    sizes = {len(check_sample(builder, i).labels) for i in range(25)}
    assert len(sizes) > 2  # K varies per sample
    sample = builder(3)  # TRL's prompt-completion format, loss on the answer list
    assert sample["completion"][0]["content"][0]["text"] == builder.draw(3)[0].target


def test_training_samples_on_the_synthetic_world(tmp_path):
    path = synthesize(tmp_path / "synth", images=4, seed=3, size=192, points=40, progress=False)
    builder = SampleBuilder(
        [DataSource(path)],
        QuerySpec(focal=160.0, preset="short"),
        tasks={"multi_point": 1.0, "distance": 1.0},
        augment=Augment(crop=CropRange((120, 200), (150, 240))),
    )
    tasks = [builder.draw(i)[0].task for i in range(40)]
    assert set(tasks) == {"multi_point", "distance"}
    counts = [
        len(check_sample(builder, i).labels) for i, t in enumerate(tasks) if t == "multi_point"
    ]
    assert max(counts) >= 6


def test_sample_needs_two_points(tmp_path):
    one = read_records(make_dataset(tmp_path / "a", points=1))
    with pytest.raises(ValueError, match="multi_point: no record has 2 or more"):
        get_task("multi_point").sample(one, np.random.default_rng(0))
    mixed = one + read_records(make_dataset(tmp_path / "b", points=4, name="b"))
    rng = np.random.default_rng(0)
    assert {get_task("multi_point").sample(mixed, rng).records[0] for _ in range(20)} == {3, 4, 5}


def test_build_keeps_points_that_fit_and_drops_the_rest(tmp_path):
    recs = read_records(make_dataset(tmp_path, size=(160, 120), points=6))
    spec = QuerySpec(focal=60.0, preset="short", task="multi_point")
    task = get_task("multi_point")
    builder = InputBuilder(recs, spec)
    view = builder.view(0)
    marked = view.remap(recs[0].pixel_coords).tolist()
    lay = layout_markers(marked, view.image.size, "arrow", limit=3)
    built = builder.build(Probe((0,), tuple(range(6)), (("K", 3.0),)))
    assert built.indices == list(lay.kept) and built.pixels == [tuple(marked[i]) for i in lay.kept]
    ask = task.ask([view], [recs[0].pixel_coords[i] for i in lay.kept], {}, spec.prompt, "arrow")
    assert ask.text == built.text and ask.pixels == built.pixels
    assert np.array_equal(np.asarray(ask.image), np.asarray(built.image))
    assert np.isnan(ask.label) and ask.labels == []
    with pytest.raises(ValueError, match="at least one point"):
        task.ask([view], [], {}, spec.prompt, "arrow")


def test_ask_refuses_points_that_clash(tmp_path):
    recs = read_records(make_dataset(tmp_path, size=(160, 120), points=2))
    spec = QuerySpec(focal=60.0, preset="short", task="multi_point")
    view = InputBuilder(recs, spec).view(0)
    task = get_task("multi_point")
    x, y = recs[0].pixel_coords[0]
    assert task.ask([view], [[x, y], [x + 1, y]], {}, spec.prompt, "arrow") is None


def test_text_style_lists_the_coordinates(tmp_path):
    recs = read_records(make_dataset(tmp_path, size=(160, 120), points=4))
    spec = QuerySpec(focal=60.0, preset="short", marker="text", task="multi_point")
    builder = InputBuilder(recs, spec)
    built = builder.build(Probe((0,), (0, 1, 2, 3), (("K", 4.0),)))
    assert np.array_equal(np.asarray(built.image), np.asarray(builder.view(0).image))  # no ink
    assert "at pixels (" in built.text and "1 to 4" in built.text


def test_scalar_stand_ins_and_per_point_score(tmp_path):
    recs = read_records(make_dataset(tmp_path, size=(160, 120), points=5))
    task = get_task("multi_point")
    probe = Probe((0,), (4, 1, 2), (("K", 2.0),))
    assert task.label(recs, probe) == pytest.approx(np.mean([recs[0].depth[4], recs[0].depth[1]]))
    assert task.parse("1: 2.0, 2: 4.0") == 3.0 and task.parse("nothing") is None
    built = InputBuilder(recs, QuerySpec(focal=60.0, task="multi_point")).build(probe)
    truth, preds = task.score(built, "2: 1.5")
    assert truth == built.labels and preds == [None, 1.5]


class Oracle:
    name = "oracle"
    uses_images = True

    def answer(self, items):
        return [f"{it.label:.3f}" for it in items]


def test_depthlm_eval_refuses_and_points_to_the_per_point_helper(tmp_path):
    path = make_dataset(tmp_path, points=4)
    spec = QuerySpec(focal=60.0, task="multi_point")
    with pytest.raises(ValueError, match="evaluate_many"):
        evaluate(Oracle(), [path], tmp_path / "r.json", spec=spec, progress=False)
