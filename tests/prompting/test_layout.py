"""The layout rule for numbered markers: checked on the boxes and on the drawn pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from depthlm.prompting.markers import (
    _label_font,
    box_gap,
    draw_markers,
    fits,
    label_box,
    layout_markers,
    marker_box,
)
from depthlm.tasks.multi_point import plan_queries

FAST = settings(max_examples=120, deadline=None, database=None)
DRAWN = ("arrow", "circle", "cross")


@st.composite
def scenes(draw):
    """An image size, a style, a gap and points anywhere in the image (borders included)."""
    w = draw(st.integers(12, 160))
    h = draw(st.integers(12, 120))
    n = draw(st.integers(0, 30))
    xs = draw(st.lists(st.integers(0, w - 1), min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, h - 1), min_size=n, max_size=n))
    style = draw(st.sampled_from(DRAWN))
    gap = draw(st.integers(0, 4))
    limit = draw(st.one_of(st.none(), st.integers(1, 16)))
    return (w, h), list(zip(xs, ys, strict=True)), style, gap, limit


def ink(size, xy, text, style):
    """Pixels one numbered marker paints, drawn alone on a black image."""
    out = draw_markers(Image.new("RGB", size), [xy], style, labels=[text] if text else None)
    return np.asarray(out).any(-1)


@FAST
@given(scenes())
def test_kept_markers_and_labels_keep_their_distance(scene):
    size, points, style, gap, limit = scene
    lay = layout_markers(points, size, style, gap, limit=limit)
    examined = sorted(lay.kept + lay.clashes + lay.unplaceable)
    assert examined == list(range(len(examined)))  # disjoint, in order, a prefix
    assert limit is None or len(lay.kept) <= limit
    if limit is None or len(lay.kept) < limit:
        assert len(examined) == len(points)
    kept = [points[i] for i in lay.kept]
    marks = [marker_box(style, xy) for xy in kept]
    labels = [label_box(style, xy, str(n + 1), size) for n, xy in enumerate(kept)]
    for n, (m, lab) in enumerate(zip(marks, labels, strict=True)):
        assert fits(style, kept[n], size)
        assert lab[0] >= 0 and lab[1] >= 0 and lab[2] <= size[0] and lab[3] <= size[1]
        own = box_gap(lab, m)
        for j in range(len(kept)):
            if j != n:
                assert box_gap(m, marks[j]) >= gap
                assert box_gap(lab, labels[j]) >= gap
                assert box_gap(lab, marks[j]) >= own + gap  # nearer its own marker
                assert box_gap(lab, marks[j]) > 0


@FAST
@given(scenes())
def test_drawn_points_never_touch_and_targets_stay_visible(scene):
    """Independent of the boxes: what draw_markers paints for each point, drawn alone, never
    meets what it paints for another, and no target pixel is painted."""
    size, points, style, _, limit = scene
    lay = layout_markers(points, size, style, 1, limit=limit)
    kept = [points[i] for i in lay.kept]
    layers = [ink(size, xy, str(n + 1), style) for n, xy in enumerate(kept)]
    total = np.sum(layers, axis=0) if layers else np.zeros(size[::-1])
    assert total.max(initial=0) <= 1
    together = draw_markers(Image.new("RGB", size), kept, style,
                            labels=[str(n + 1) for n in range(len(kept))])  # fmt: skip
    a = np.asarray(together)
    for x, y in kept:
        assert tuple(a[y, x]) == (0, 0, 0)


@pytest.mark.parametrize("text", ["1", "7", "12", "16"])
@pytest.mark.parametrize("xy", [(30, 30), (5, 5), (90, 5), (94, 40), (50, 58)])
def test_label_box_holds_every_inked_pixel(text, xy):
    """The box is the font's, at the position draw_markers uses; drawing on a padded canvas
    shows no ink falls outside it, even where the image would clip it."""
    size, pad = (100, 64), 20
    box = label_box("arrow", xy, text, size)
    canvas = Image.new("L", (size[0] + 2 * pad, size[1] + 2 * pad))
    ImageDraw.Draw(canvas).text((box[0] - _label_font().getbbox(text)[0] + pad,
                                 box[1] - _label_font().getbbox(text)[1] + pad), text,
                                fill=255, font=_label_font())  # fmt: skip
    ys, xs = np.nonzero(np.asarray(canvas))
    assert xs.min() - pad >= box[0] and xs.max() - pad < box[2]
    assert ys.min() - pad >= box[1] and ys.max() - pad < box[3]
    drawn = ink(size, xy, text, "arrow") & ~ink(size, xy, None, "arrow")
    ys, xs = np.nonzero(drawn)
    assert xs.min() >= box[0] and xs.max() < box[2] and ys.min() >= box[1] and ys.max() < box[3]


def test_nothing_is_moved_and_corner_labels_are_refused():
    # top-right corner: the label pushed back inside would cover its own marker
    lay = layout_markers([(94, 6), (40, 30), (41, 31)], (100, 64))
    assert lay.kept == (1,) and lay.unplaceable == (0,) and lay.clashes == (2,)
    assert layout_markers([(2, 30)], (100, 64)).unplaceable == (0,)  # marker off the image


def test_label_width_follows_the_count():
    """Near the top-right corner a label is pushed back inside: "1" still clears its marker,
    the wider "10" would cover it. So the point is refused as the 10th and asked next time."""
    far = [(10 + 30 * (i % 3), 30 + 25 * (i // 3)) for i in range(9)]
    corner = (388, 8)
    assert layout_markers([corner], (400, 240)).kept == (0,)
    lay = layout_markers([*far, corner], (400, 240))
    assert lay.kept == tuple(range(9)) and lay.unplaceable == (9,)
    groups, skipped = plan_queries([*far, corner], (400, 240), "arrow", 16)
    assert groups == [list(range(9)), [9]] and skipped == []


def test_text_style_only_needs_the_margin():
    lay = layout_markers([(10, 10), (10, 10), (2, 2)], (40, 30), "text")
    assert lay.kept == (0, 1) and lay.unplaceable == (2,)


def test_limit_stops_examining():
    pts = [(10 + 30 * i, 40) for i in range(6)]
    lay = layout_markers(pts, (200, 80), limit=3)
    assert lay.kept == (0, 1, 2) and not lay.clashes and not lay.unplaceable


@FAST
@given(scenes(), st.integers(1, 16))
def test_plan_queries_partitions_the_points(scene, k):
    size, points, style, gap, _ = scene
    groups, skipped = plan_queries(points, size, style, k, gap)
    flat = sorted([i for g in groups for i in g] + skipped)
    assert flat == list(range(len(points)))
    for g in groups:
        assert 1 <= len(g) <= k and g == sorted(g)
        assert layout_markers([points[i] for i in g], size, style, gap).kept == tuple(range(len(g)))
    for i in skipped:
        assert not layout_markers([points[i]], size, style, gap).kept


def test_plan_queries_moves_clashing_points_to_another_question():
    groups, skipped = plan_queries([(40, 30), (41, 31), (80, 30), (1, 1)], (120, 64), "arrow", 16)
    assert groups == [[0, 2], [1]] and skipped == [3]
    with pytest.raises(ValueError, match="k must be"):
        plan_queries([(40, 30)], (120, 64), "arrow", 0)


def test_with_no_gap_asked_a_label_still_never_touches_another_marker():
    # Found by hypothesis in CI: with min_gap=0 a label touching its own marker (gap 0) could
    # also touch a neighbour's marker — a tie in which marker its number names.
    from depthlm.prompting.markers import _clash

    own_marker, label = (95, 3, 104, 12), (83, 3, 95, 11)  # the label touches its own marker
    other = (74, 1, 83, 10)  # and, edge to edge, another point's marker
    assert box_gap(label, own_marker) == 0 and box_gap(label, other) == 0
    assert _clash((own_marker, label, 0), (other, None, 0), 0)
    assert not _clash((own_marker, label, 0), ((60, 1, 69, 10), None, 0), 0)  # 14 px away
