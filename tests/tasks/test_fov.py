"""The fov task: label math, views that are not focal-normalised, samples, eval, parsing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlm.data.records import read_records
from depthlm.data.synth import synthesize
from depthlm.data.transforms import CropRange, center_crop
from depthlm.evaluation.runner import evaluate
from depthlm.geometry.camera import Camera
from depthlm.inference.focal import default_focal
from depthlm.prompting.parsing import parse_angle
from depthlm.prompting.presets import available_presets, load_preset
from depthlm.prompting.query import QuerySpec, View
from depthlm.tasks import get_task
from depthlm.tasks.base import Probe
from depthlm.tasks.fov import camera_fov, fov_view
from depthlm.tasks.geometry import focal_from_fov, horizontal_fov
from depthlm.tasks.inputs import InputBuilder
from depthlm.training.samples import Augment, DataSource, SampleBuilder
from tests.conftest import make_dataset

FAST = settings(max_examples=150, deadline=None, database=None)


def test_label_math():
    assert horizontal_fov(200, 100) == pytest.approx(90.0)
    assert horizontal_fov(640, default_focal(640)) == pytest.approx(60.0)
    assert camera_fov(Camera(100, 90, 50, 40, 200, 80)) == pytest.approx(90.0)
    assert camera_fov([100, 90, 50, 40, 200, 80]) == pytest.approx(90.0)
    with pytest.raises(ValueError, match="positive"):
        horizontal_fov(0, 100)
    with pytest.raises(ValueError, match=r"\(0, 180\)"):
        focal_from_fov(100, 180.0)


@FAST
@given(st.integers(8, 8000), st.floats(1.0, 179.0))
def test_focal_and_fov_invert_each_other(width, fov):
    f = float(focal_from_fov(width, fov))
    assert horizontal_fov(width, f) == pytest.approx(fov, rel=1e-9)
    # a uniform resize changes W and f alike: the field of view is unchanged
    cam = Camera(f, f, width / 2, 10, width, 20).resize(width * 3, 60)
    assert camera_fov(cam) == pytest.approx(fov, rel=1e-9)


def records_with_focals(tmp_path, focals):
    """Same-size toy images whose cameras differ only in focal."""
    path = make_dataset(tmp_path, n_images=len(focals), size=(120, 90))
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    for rec, f in zip(lines, focals, strict=True):
        rec["intrinsics"][:2] = [f, f]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_views_are_not_focal_normalised(tmp_path):
    """Focal normalisation would make the width give the answer away; a fixed width does not."""
    path = records_with_focals(tmp_path, [60.0, 120.0, 240.0])
    recs = read_records(path)
    builder = InputBuilder(recs, QuerySpec(focal=100.0, preset="short", task="fov"))
    built = [builder.build(Probe((r,))) for r in range(3)]
    # one size for every camera (the height within the pixel the normalised view truncated)
    assert {b.image.width for b in built} == {100} and {b.image.height for b in built} <= {74, 75}
    labels = [b.label for b in built]
    assert labels == sorted(labels, reverse=True) and labels[0] - labels[2] > 50
    for r, b in enumerate(built):
        assert b.label == pytest.approx(camera_fov(b.cameras[0]))
        # evaluation scores against the record's own field of view: the same up to rounding
        assert get_task("fov").label(recs, Probe((r,))) == camera_fov(recs[r].camera)
        assert b.label == pytest.approx(camera_fov(recs[r].camera), abs=0.5)
        assert b.pixels == [] and b.text.endswith("as a number only.")
        assert get_task("fov").parse(b.target) == pytest.approx(round(b.label, 2))
    native = InputBuilder(recs, QuerySpec(focal=None, task="fov")).build(Probe((1,)))
    assert native.image.size == (120, 90) and native.label == pytest.approx(2 * math.degrees(
        math.atan(120 / 240)))  # fmt: skip


def test_a_crop_narrows_the_label(tmp_path):
    recs = read_records(records_with_focals(tmp_path, [60.0]))
    spec = QuerySpec(focal=100.0, preset="short", task="fov")
    view = InputBuilder(recs, spec).view(0)
    image, cam = center_crop(view.image, view.camera, (30, 10, 40, 50))
    built = get_task("fov").build([View(image, cam, view.source, spec)], recs, Probe((0,)),
                                  spec.prompt, spec.marker)  # fmt: skip
    assert built.image.width == 100
    assert built.label == pytest.approx(2 * math.degrees(math.atan(40 / (2 * cam.fx))))
    assert built.label < camera_fov(view.camera)
    assert fov_view(fov_view(view)).image.size == fov_view(view).image.size  # idempotent


@pytest.mark.parametrize("preset", available_presets())
def test_training_samples_with_crops(tmp_path, preset):
    path = synthesize(tmp_path / "synth", images=4, seed=5, size=128, points=8, progress=False)
    builder = SampleBuilder(
        [DataSource(path)],
        QuerySpec(focal=100.0, preset=preset),
        tasks={"fov": 1.0, "multi_point": 1.0},
        augment=Augment(crop=CropRange((60, 120), (60, 120))),
    )
    labels = []
    for i in range(20):
        built, probe, k = builder.draw(i)
        if built.task != "fov":
            continue
        rec = builder._records[k][probe.records[0]]
        assert built.image.width == 100 and built.label == pytest.approx(
            camera_fov(built.cameras[0]))  # fmt: skip
        assert built.label <= camera_fov(rec.camera) + 0.5  # a crop only narrows
        p = load_preset(preset)
        assert builder.task_of(built).parse(built.target) == pytest.approx(
            float(p.number(built.label)))  # fmt: skip
        labels.append(built.label)
    assert len(labels) >= 4 and len({round(v, 3) for v in labels}) >= 3  # crops vary it


class Oracle:
    """Answers each question's (record) label in degrees."""

    name = "oracle"
    uses_images = True

    def answer(self, items):
        return [f"<answer> {it.label:.3f}° </answer>" for it in items]


def test_depthlm_eval_scores_fov(tmp_path):
    path = records_with_focals(tmp_path, [60.0, 90.0, 150.0])
    spec = QuerySpec(focal=80.0, task="fov")
    res = evaluate(Oracle(), [path], tmp_path / "r.json", spec=spec, progress=False)
    d = res["datasets"][path.stem]
    assert d["n"] == 3 and d["skipped"] == 0 and d["unparsed"] == 0
    assert d["delta1"] == 1.0 and d["abs_rel"] < 1e-4
    probes = get_task("fov").probes(read_records(path), 2, np.random.default_rng(0))
    assert [p.key for p in probes] == ["0", "1", "2"]  # one per image, whatever --points says


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60", 60.0),
        ("60°", 60.0),
        ("60 °", 60.0),
        ("63.5 degrees", 63.5),
        ("63.5deg", 63.5),
        ("<think>maybe 90</think><answer> 72 </answer>", 72.0),
        ("The field of view is about 1.2e2°.", 120.0),
        ("60 m", None),  # a length is no angle
        ("3 s", None),
        ("-5", None),
        ("180", None),
        ("0", None),
        ("no idea", None),
        (None, None),
    ],
)
def test_parse_angle(text, expected):
    got = parse_angle(text)
    assert (got is None and expected is None) or got == pytest.approx(expected)


@FAST
@given(st.text(max_size=200))
def test_parse_angle_never_raises(text):
    got = parse_angle(text)
    assert got is None or 0 < got < 180


@FAST
@given(st.floats(0.5, 170.0))  # (two significant digits write 175° as 180, no pinhole angle)
def test_targets_parse_back(fov):
    for name in available_presets():
        p = load_preset(name)
        assert get_task("fov").parse(p.target(fov, "fov")) == pytest.approx(float(p.number(fov)))


def test_rejects_points(tmp_path):
    recs = read_records(records_with_focals(tmp_path, [60.0]))
    view = InputBuilder(recs, QuerySpec(focal=100.0, task="fov")).view(0)
    with pytest.raises(ValueError, match="marks no points"):
        get_task("fov").ask([view], [[1, 1]], {}, load_preset("short"), "arrow")
