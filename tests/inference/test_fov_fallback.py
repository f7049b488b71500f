"""A model trained on ``fov`` estimates the focal of a photo that has none, instead of the
60° default; given a focal (or EXIF) it never asks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from depthlm.inference.base import ChatQuery
from depthlm.inference.depthlm import DepthLM
from depthlm.inference.focal import DefaultFocalWarning
from depthlm.prompting.query import QuerySpec
from depthlm.tasks.geometry import focal_from_fov


class Scripted:
    """Answers the field-of-view question with ``fov`` and distances with 2.0."""

    name = "scripted"

    def __init__(self, fov: str) -> None:
        self.fov = fov
        self.asked: list[str] = []

    def generate(self, queries: list[ChatQuery]) -> list[str]:
        self.asked += [q.text for q in queries]
        return [self.fov if "field of view" in q.text else "2.0" for q in queries]


def _model(fov: str, tasks: tuple[str, ...]) -> tuple[DepthLM, Scripted]:
    gen = Scripted(fov)
    return DepthLM(gen, QuerySpec(focal=112, preset="compact"), tasks), gen


def test_no_focal_and_a_model_that_knows_fov_gives_an_estimate() -> None:
    model, gen = _model("45", ("distance", "fov"))
    image = np.zeros((120, 160, 3), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DefaultFocalWarning)  # no default assumed
        out = model.measure(image, [[80, 60]])
    assert out["focal_source"] == "estimated"
    assert out["focal"] == pytest.approx(focal_from_fov(160, 45.0))
    assert any("field of view" in t for t in gen.asked)


def test_a_given_focal_is_never_replaced() -> None:
    model, gen = _model("45", ("distance", "fov"))
    out = model.measure(np.zeros((120, 160, 3), np.uint8), [[80, 60]], focal=300)
    assert out["focal_source"] == "focal" and out["focal"] == 300
    assert not any("field of view" in t for t in gen.asked)


def test_models_without_fov_and_unusable_answers_fall_back_to_the_default() -> None:
    image = np.zeros((120, 160, 3), np.uint8)
    for fov, tasks in (("45", ("distance",)), ("no idea", ("distance", "fov"))):
        model, _ = _model(fov, tasks)
        with pytest.warns(DefaultFocalWarning):
            out = model.measure(image, [[80, 60]])
        assert out["focal_source"] == "default"


def test_a_contract_can_turn_the_estimate_off(tmp_path, monkeypatch) -> None:
    """A checkpoint whose estimates measured worse than the default says so."""
    import json

    from depthlm.inference import depthlm as module

    (tmp_path / "depthlm.json").write_text(json.dumps(
        {"focal": 112, "preset": "compact", "tasks": {"distance": 1, "fov": 1},
         "focal_fallback": "default"}))  # fmt: skip
    monkeypatch.setattr(module, "load_generator", lambda *a, **k: Scripted("45"))
    monkeypatch.setattr(module, "model_dir", lambda m: tmp_path)
    model = DepthLM.from_pretrained(str(tmp_path))
    assert "fov" in model.tasks and not model.estimate_focal
    (tmp_path / "depthlm.json").write_text(json.dumps(
        {"focal": 112, "preset": "compact", "tasks": {"distance": 1, "fov": 1}}))  # fmt: skip
    assert DepthLM.from_pretrained(str(tmp_path)).estimate_focal


def test_the_default_focal_warning_names_the_callers_line() -> None:
    """However deep inside depthlm the focal is resolved, the warning points at the user's call
    (so a ``-W`` filter or a traceback under ``-W error`` names the user's code)."""
    image = np.zeros((120, 160, 3), np.uint8)
    for fov, tasks in (("45", ("distance",)), ("no idea", ("distance", "fov"))):
        model, _ = _model(fov, tasks)
        with pytest.warns(DefaultFocalWarning) as caught:
            model.measure(image, [[80, 60]])
        assert {w.filename for w in caught} == {__file__}
        with pytest.warns(DefaultFocalWarning) as caught:
            model.depth_map(image, queries=4)
        assert {w.filename for w in caught} == {__file__}
