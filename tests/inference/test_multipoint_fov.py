"""measure_many, evaluate_many and estimate_focal on the embedded model: plumbing, not accuracy."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from depthlm.inference.depthlm import DepthLM
from depthlm.inference.focal import default_focal, resolve_camera
from depthlm.inference.fov import estimate_focal, fov_question, measure_estimated
from depthlm.inference.multipoint import evaluate_many, measure_many
from depthlm.prompting.query import prepare_view
from depthlm.tasks import get_task
from depthlm.tasks.geometry import focal_from_fov
from tests.conftest import make_dataset
from tests.models.conftest import _hf_offline  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def model():
    return DepthLM.from_pretrained("embedded", batch_size=8)


class Recorder:
    """Wraps a generator: records every query and the token budget of every call; answers
    field-of-view questions with ``fov`` (when set) instead of asking the model."""

    def __init__(self, inner, fov=None):
        self.inner, self.name, self.fov = inner, inner.name, fov
        self.queries, self.budgets = [], []

    @property
    def max_new_tokens(self):
        return self.inner.max_new_tokens

    @max_new_tokens.setter
    def max_new_tokens(self, value):
        self.inner.max_new_tokens = value

    def generate(self, queries):
        self.queries += list(queries)
        self.budgets.append(self.max_new_tokens)
        if self.fov is not None and all("field of view" in q.text for q in queries):
            return [self.fov] * len(queries)
        return self.inner.generate(queries)


@pytest.fixture
def recorded(model):
    inner = model.generator
    model.generator = Recorder(inner)
    yield model
    model.generator = inner


def image(w=128, h=96, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


POINTS = [[20, 30], [21, 31], [60, 40], [100, 70], [1, 1], [64, 48], [30, 80], [90, 20], [45, 60]]


def test_measure_many_groups_asks_and_reports(recorded):
    before = recorded.generator.max_new_tokens
    out = measure_many(recorded, image(), POINTS, k=3, focal=100.0)
    single = recorded.measure(image(), POINTS[:1], focal=100.0)
    for key in ("intrinsics", "focal", "focal_source", "image"):
        assert out[key] == single[key]
    assert out["metres"].shape == (9,) and np.array_equal(out["points"], POINTS)
    assert out["skipped"] == [4] and np.isnan(out["metres"][4]) and out["text"][4] is None
    flat = sorted(i for g in out["groups"] for i in g)
    assert flat == [i for i in range(9) if i != 4]
    assert all(len(g) <= 3 for g in out["groups"]) and out["queries"] == len(out["groups"])
    assert not any({0, 1} <= set(g) for g in out["groups"])  # clashing neighbours split up
    asked = recorded.generator.queries[: out["queries"]]
    for group, q in zip(out["groups"], asked, strict=True):
        assert f"labelled 1 to {len(group)}" in q.text
        assert q.images[0].size == single_image_size(recorded)
        for i in group:
            value = get_task("multi_point").parse_all(out["text"][i], len(group))[group.index(i)]
            assert (value is None and np.isnan(out["metres"][i])) or value == out["metres"][i]
    budget = recorded.generator.budgets[0]
    assert budget >= recorded.spec.prompt.max_new_tokens + 8 * 3 > before
    assert recorded.generator.max_new_tokens == before  # restored


def single_image_size(model):
    """The focal-normalised size of ``image()`` at focal 100 for the model's spec, cut to its
    inference window when the contract has one."""
    camera, _ = resolve_camera(image_pil(), focal=100.0)
    w, h = prepare_view(image_pil(), camera, model.spec).image.size
    window = model.spec.window or (w, h)
    return min(w, window[0]), min(h, window[1])


def image_pil():
    from PIL import Image

    return Image.fromarray(image())


def test_measure_many_batches_questions_per_call(recorded):
    recorded.questions_per_call = 2
    try:
        out = measure_many(recorded, image(), POINTS, k=1, focal=100.0)
    finally:
        del recorded.questions_per_call
    assert out["queries"] == 8 and out["groups"] == [[i] for i in range(9) if i != 4]
    assert len(recorded.generator.budgets) == 4


def test_measure_many_rejects_points_outside(model):
    with pytest.raises(ValueError, match="outside"):
        measure_many(model, image(), [[500, 10]], focal=100.0)


def test_estimate_focal_asks_an_unnormalised_view(recorded):
    focal, fov, text = estimate_focal(recorded, image())
    q = recorded.generator.queries[-1]
    width = round(recorded.spec.focal)
    size = (width, round(96 * width / 128))
    # the image itself, resized once to the fixed width: no focal normalisation, no marker
    assert np.array_equal(np.asarray(q.images[0]), np.asarray(image_pil().resize(size)))
    assert q.text == fov_question(recorded, image()).text and isinstance(text, str)
    if fov is None:
        assert focal is None
    else:
        assert 0 < fov < 180 and focal == pytest.approx(float(focal_from_fov(128, fov)))


def test_estimate_focal_converts_to_input_pixels(recorded):
    recorded.generator.fov = "<answer> 60 </answer>"
    for w in (128, 256):
        focal, fov, _ = estimate_focal(recorded, image(w=w, h=64))
        assert fov == 60.0 and focal == pytest.approx(default_focal(w))
    recorded.generator.fov = "no idea"
    assert estimate_focal(recorded, image())[:2] == (None, None)
    with pytest.raises(ValueError, match="no field of view"):
        measure_estimated(recorded, image(), POINTS)


def test_estimated_focal_gives_the_inputs_of_a_given_focal(recorded):
    """The estimate feeds the same normalisation as a focal the caller knew: byte for byte."""
    recorded.generator.fov = "<answer> 65 </answer>"
    focal, fov, _ = estimate_focal(recorded, image())
    assert fov == 65.0
    n = len(recorded.generator.queries)
    estimated = measure_estimated(recorded, image(), POINTS)
    via_estimate = recorded.generator.queries[n + 1 :]  # after its field-of-view question
    n = len(recorded.generator.queries)
    given = recorded.measure(image(), POINTS, focal=focal)
    via_focal = recorded.generator.queries[n:]
    assert estimated["focal_source"] == "estimated" and estimated["fov"] == 65.0
    assert estimated["focal"] == given["focal"] == pytest.approx(default_focal(128) * math.tan(
        math.radians(30)) / math.tan(math.radians(32.5)))  # fmt: skip
    assert len(via_estimate) == len(via_focal) > 0
    for a, b in zip(via_estimate, via_focal, strict=True):
        assert a.text == b.text and a.system == b.system
        assert a.images[0].size == b.images[0].size
        assert np.array_equal(np.asarray(a.images[0]), np.asarray(b.images[0]))
    # and both are the focal's ordinary view: resolve the camera, normalise, mark
    camera, _ = resolve_camera(image_pil(), focal=focal)
    view = prepare_view(image_pil(), camera, recorded.spec)
    first = get_task("distance").ask([view], [POINTS[0]], {}, recorded.spec.prompt, "arrow")
    assert np.array_equal(np.asarray(first.images[0]), np.asarray(via_focal[0].images[0]))
    with pytest.raises(ValueError, match="one image"):
        measure_estimated(recorded, [image(), image()], POINTS)


class ListAnswers:
    """Answers every multi-point question with 2.0 m for each label it asks about."""

    name = "two-metres"
    max_new_tokens = 20

    def __init__(self):
        self.calls = 0

    def generate(self, queries):
        self.calls += 1
        out = []
        for q in queries:
            k = int(re.search(r"labelled 1 to (\d+)", q.text).group(1))
            out.append(", ".join(f"{i}: 2.0" for i in range(1, k + 1)))
        return out


def test_evaluate_many_scores_each_point(model, tmp_path):
    path = make_dataset(tmp_path, n_images=2, size=(128, 96), points=12)
    inner = model.generator
    model.generator = ListAnswers()
    try:
        res = evaluate_many(model, path, k=5)
        some = evaluate_many(model, path, k=16, points=4, seed=1)
    finally:
        model.generator = inner
    assert res["n"] == len(res["rows"]) == 24 - res["skipped"] and res["unparsed"] == 0
    assert res["queries"] >= math.ceil(len(res["rows"]) / 5)
    assert all(r["pred"] == 2.0 for r in res["rows"]) and len({r["query"] for r in res["rows"]}) \
        == res["queries"]  # fmt: skip
    assert some["n"] + some["skipped"] == 8
    real = evaluate_many(model, path, k=8, points=3)  # the embedded model itself: runs end to end
    assert real["n"] + real["skipped"] == 6 and real["queries"] >= 1
