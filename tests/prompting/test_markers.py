import numpy as np
import pytest
from PIL import Image

from depthlm.prompting.markers import (
    MARKERS,
    draw_marker,
    draw_markers,
    fits,
    get_marker,
    marker_pixels,
)

# Snapshot of the reference arrow "-->" (offsets from the target pixel).
ARROW = {(-1, 0), (-2, 0), (-3, 0), (-4, 0), (-5, 0), (-2, 1), (-2, -1), (-3, 2), (-3, -2)}


def test_arrow_matches_reference_offsets():
    assert set(MARKERS["arrow"].offsets) == ARROW
    assert MARKERS["arrow"].margin == 5


@pytest.mark.parametrize("style", sorted(MARKERS))
def test_marker_is_pure_red_and_leaves_target_untouched(style):
    img = Image.new("RGB", (40, 30), (7, 8, 9))
    out = draw_marker(img, (20, 15), style)
    a = np.asarray(out)
    painted = {(int(x), int(y)) for y, x in zip(*np.nonzero((a != [7, 8, 9]).any(-1)), strict=True)}
    assert painted == {tuple(p) for p in marker_pixels(style, (20, 15)).tolist()}
    assert all(tuple(a[y, x]) == (255, 0, 0) for x, y in painted)
    assert tuple(a[15, 20]) == (7, 8, 9)
    assert np.asarray(img).max() == 9  # the input is not modified


@pytest.mark.parametrize("style", sorted(MARKERS))
def test_every_pixel_of_a_fitting_marker_is_inside(style):
    m = MARKERS[style].margin
    for xy in [(m, m), (39 - m, 29 - m)]:
        assert fits(style, xy, (40, 30))
        px = marker_pixels(style, xy)
        assert (px >= 0).all() and (px[:, 0] < 40).all() and (px[:, 1] < 30).all()
    assert not fits(style, (m - 1, 15), (40, 30))
    assert not fits(style, (40 - m, 15), (40, 30))


def test_marker_that_does_not_fit_raises():
    with pytest.raises(ValueError, match="does not fit at pixel"):
        draw_marker(Image.new("RGB", (40, 30)), (2, 2))


def test_labelled_markers_for_two_points():
    img = Image.new("RGB", (120, 80), (0, 0, 0))
    out = np.asarray(draw_markers(img, [(30, 40), (90, 40)], "circle", labels=["A", "B"]))
    red = (out[..., 0] > 100) & (out[..., 1] < 80)
    plain = np.asarray(draw_markers(img, [(30, 40), (90, 40)], "circle"))
    plain_red = (plain[..., 0] > 100) & (plain[..., 1] < 80)
    assert red.sum() > plain_red.sum() + 10  # the labels add red text
    assert tuple(out[40, 30]) == (0, 0, 0) and tuple(out[40, 90]) == (0, 0, 0)


def test_unknown_style():
    with pytest.raises(ValueError, match="unknown marker style"):
        fits("star", (10, 10), (40, 40))


def test_text_style_writes_coordinates_and_paints_nothing():
    """The paper's text-coordinate baseline: same points (same margin as the arrow), no paint."""
    from depthlm.prompting.presets import load_preset

    image = Image.new("RGB", (40, 30), (9, 9, 9))
    assert np.array_equal(np.asarray(draw_markers(image, [(5, 5)], "text")), np.asarray(image))
    assert get_marker("text").margin == get_marker("arrow").margin
    preset = load_preset("compact")
    assert preset.question("distance", "text", [(12, 7)]) == (
        "How far is the point at pixel (12, 7) from the camera?"
    )
    two = preset.question("two_point", "text", [(1, 2), (3, 4)])
    assert "at pixels (1, 2) and (3, 4)" in two
    with pytest.raises(ValueError, match="give the points"):
        preset.question("distance", "text")
