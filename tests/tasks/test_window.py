"""An inference window: a view larger than the training crops is cropped, per question, to a
window of the largest crop that holds the marked pixels — the centred crop training would
take, moved only as far as the points need."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from depthlm.data.transforms import window_around
from depthlm.geometry.camera import Camera
from depthlm.prompting.query import QuerySpec, prepare_view
from depthlm.tasks import get_task
from depthlm.training.config import TrainConfig

CAM = Camera(100.0, 100.0, 100.0, 60.0, 200, 120)


def test_centre_window_when_the_point_is_inside_it() -> None:
    assert window_around(CAM, [[100, 60]], (80, 60), margin=5) == (60, 30, 80, 60)


def test_window_moves_just_enough_to_hold_the_point() -> None:
    left, top, w, h = window_around(CAM, [[190, 10]], (80, 60), margin=5)
    assert (w, h) == (80, 60)
    assert (left, top) == (116, 5)  # from the centred (60, 30): just far enough for 195 and 5


def test_small_images_are_not_cropped_and_far_apart_points_do_not_fit() -> None:
    assert window_around(CAM, [[10, 10]], (400, 300)) == (0, 0, 200, 120)
    assert window_around(CAM, [[10, 60], [190, 60]], (80, 60), margin=5) is None


def test_a_question_through_a_window_marks_the_same_scene_pixel() -> None:
    rng = np.random.default_rng(0)
    image = Image.fromarray((rng.random((120, 200, 3)) * 255).astype(np.uint8))
    spec = QuerySpec(focal=None, preset="compact", window=(80, 60))
    view = prepare_view(image, CAM, spec)
    task = get_task("distance")
    q = task.ask([view], [[150, 40]], {}, spec.prompt, spec.marker)
    assert q is not None and q.images[0].size == (80, 60)
    x, y = q.pixels[0]
    left, top = 150 - x, 40 - y
    crop = np.asarray(image)[top : top + 60, left : left + 80]
    assert np.array_equal(np.asarray(q.images[0])[y, x], crop[y, x])  # the pixel itself unmarked
    cx, cy = q.cameras[0][2:4]
    assert (cx, cy) == (100.0 - left, 60.0 - top)  # the crop's intrinsics


def test_spec_and_training_config_carry_the_window() -> None:
    assert QuerySpec(focal=112, window=[154, 126]).window == (154, 126)
    with pytest.raises(ValueError, match="window"):
        QuerySpec(window=(0, 10))
    cfg = TrainConfig().update({"crop_width": [112, 154], "crop_height": [84, 126], "window": True})
    assert cfg.spec().window == (154, 126)
    assert TrainConfig().spec().window is None


def test_the_window_travels_in_the_checkpoint_contract(tmp_path) -> None:
    from depthlm.models.contract import resolve_spec, save_contract

    save_contract(tmp_path, QuerySpec(focal=160, preset="compact", window=(154, 126)))
    assert resolve_spec(tmp_path).window == (154, 126)
    save_contract(tmp_path, QuerySpec(focal=160, preset="compact"))
    assert resolve_spec(tmp_path).window is None


def test_multi_point_questions_go_through_the_window_too() -> None:
    image = Image.new("RGB", (200, 120), (90, 90, 90))
    spec = QuerySpec(focal=None, preset="compact", window=(80, 60))
    view = prepare_view(image, CAM, spec)
    q = get_task("multi_point").ask([view], [[110, 50], [140, 70]], {}, spec.prompt, spec.marker)
    assert q is not None and q.images[0].size == (80, 60) and "labelled 1 to 2" in q.text
    assert (
        get_task("multi_point").ask([view], [[10, 60], [190, 60]], {}, spec.prompt, spec.marker)
        is None
    )  # no window holds both


def test_multi_point_questions_are_planned_per_window() -> None:
    """Points spread over a view wider than the window are split so that every question fits
    one window and lays out inside it: each planned question can then be asked (found when
    the shipped model gained a window: `bench multipoint` hit a plan it could not ask)."""
    from depthlm.tasks.multi_point import plan_queries

    rng = np.random.default_rng(1)
    image = Image.fromarray((rng.random((120, 200, 3)) * 255).astype(np.uint8))
    spec = QuerySpec(focal=None, preset="compact", window=(80, 60))
    view = prepare_view(image, CAM, spec)
    pts = [[int(x), int(y)] for x, y in rng.integers([8, 8], [192, 112], size=(40, 2))]
    groups, skipped = plan_queries(pts, view.image.size, spec.marker, 16, window=spec.window)
    assert len(groups) > 1
    assert sorted([i for g in groups for i in g] + skipped) == list(range(40))
    task = get_task("multi_point")
    for group in groups:
        q = task.ask([view], [pts[i] for i in group], {}, spec.prompt, spec.marker)
        assert q is not None and q.images[0].size == (80, 60)
    whole, _ = plan_queries(pts, view.image.size, spec.marker, 16)  # no window: any spread
    assert any(task.ask([view], [pts[i] for i in g], {}, spec.prompt, spec.marker) is None
               for g in whole)  # fmt: skip  # what the window-blind plan produced


def test_multi_point_build_lays_out_in_the_window_it_is_asked_through() -> None:
    """The scored question keeps every point plan_queries grouped: build lays the candidates
    out in the window crop, not in the whole view (whose borders place labels differently)."""
    from depthlm.data.records import Record
    from depthlm.tasks.base import Probe
    from depthlm.tasks.multi_point import MultiPoint, plan_queries

    rng = np.random.default_rng(28)  # a draw where the whole-view layout drops a point
    pts = [[int(x), int(y)] for x, y in rng.integers([8, 8], [192, 112], size=(40, 2))]
    image = Image.fromarray((rng.random((120, 200, 3)) * 255).astype(np.uint8))
    spec = QuerySpec(focal=None, preset="compact", window=(80, 60))
    view = prepare_view(image, CAM, spec)
    rec = Record(image="x.png", intrinsics=CAM.to_list(), pixel_coords=pts, depth=[2.0] * 40)
    groups, _ = plan_queries(pts, view.image.size, spec.marker, 16, window=spec.window)
    task = MultiPoint()
    for group in groups:
        probe = Probe((0,), tuple(group), (("K", float(len(group))),))
        built = task.build([view], [rec], probe, spec.prompt, spec.marker, with_target=False)
        assert built is not None and built.indices == group
