import random

import numpy as np
import pytest
from PIL import Image

from depthlm.data.transforms import (
    CropRange,
    aspect_jitter,
    center_crop,
    prepare_view,
    sample_center_crop,
)
from depthlm.geometry.camera import Camera


def image_for(cam: Camera) -> Image.Image:
    return Image.new("RGB", cam.size, (10, 20, 30))


def test_prepare_view_normalises_focal_and_size():
    cam = Camera(500, 500, 320, 240, 640, 480)
    img, new = prepare_view(image_for(cam), cam, focal=1000)
    assert img.size == new.size == (1280, 960) and new.fx == 1000


def test_prepare_view_square_pixels_and_none():
    cam = Camera(500, 450, 320, 240, 640, 480)
    img, new = prepare_view(image_for(cam), cam, focal=None, fxfy="square")
    assert new.fx == new.fy == 500 and img.size == new.size == (640, 533)
    img, new = prepare_view(image_for(cam), cam, focal=None, fxfy="none")
    assert new == cam
    with pytest.raises(ValueError, match="fxfy"):
        prepare_view(image_for(cam), cam, focal=None, fxfy="bogus")


def test_prepare_view_rejects_size_mismatch():
    cam = Camera(500, 500, 320, 240, 640, 480)
    with pytest.raises(ValueError, match="intrinsics say 640x480"):
        prepare_view(Image.new("RGB", (100, 100)), cam, focal=1000)


def test_reference_rectification_keeps_fx_fy_slightly_different():
    cam = Camera(559.62, 558.14, 361.87, 241.99, 640, 480)
    _, new = prepare_view(image_for(cam), cam, focal=None)
    assert new.fx != new.fy and abs(new.fx - cam.fx) < 2 and abs(new.fy - cam.fy) < 2


def test_center_crop_is_centred_clipped_and_moves_principal_point():
    cam = Camera(1000, 1000, 700, 500, 1400, 1000)
    rng = random.Random(0)
    for _ in range(50):
        box = sample_center_crop(cam, CropRange(), rng)
        left, top, w, h = box
        assert 700 <= h <= 1000 and 1000 <= w <= 1400
        assert left == (1400 - w) // 2 and top == (1000 - h) // 2
        img, new = center_crop(image_for(cam), cam, box)
        assert img.size == new.size == (w, h)
        assert (new.cx, new.cy) == (cam.cx - left, cam.cy - top)
        # a point that was inside the crop keeps its ray
        pt = np.array([[0.3, -0.2, 4.0]])
        np.testing.assert_allclose(new.project(pt), cam.project(pt) - [left, top])


def test_aspect_jitter_sets_ratio_and_scales_fy():
    cam = Camera(1000, 1000, 700, 500, 1400, 1000)
    img, new = aspect_jitter(image_for(cam), cam, (1.0, 1.3), random.Random(1))
    ratio = new.width / new.height
    assert 1.0 <= ratio <= 1.31 and img.size == new.size
    assert new.fy == pytest.approx(cam.fy * new.height / cam.height)
    assert new.fx == cam.fx


def test_random_crop_stays_inside():
    from depthlm.data.transforms import sample_random_crop

    cam = Camera(1000, 1000, 700, 500, 1400, 1000)
    rng = random.Random(3)
    lefts = set()
    for _ in range(50):
        left, top, w, h = sample_random_crop(cam, CropRange(), rng)
        assert left >= 0 and left + w <= 1400 and top >= 0 and top + h <= 1000
        lefts.add(left)
    assert len(lefts) > 10


def test_load_rgb_names_bad_files(tmp_path):
    from depthlm.data.transforms import load_rgb

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ValueError, match=r"broken\.png: cannot read image"):
        load_rgb(bad)
    with pytest.raises(FileNotFoundError, match=r"gone\.png"):
        load_rgb(tmp_path / "gone.png")
    Image.new("L", (4, 4)).save(tmp_path / "grey.png")
    assert load_rgb(tmp_path / "grey.png").mode == "RGB"


def test_normalize_focal_refuses_a_focal_that_shrinks_the_image_to_nothing():
    import pytest
    from PIL import Image

    from depthlm.data.transforms import normalize_focal
    from depthlm.geometry.camera import Camera

    with pytest.raises(ValueError, match="is the focal length right"):
        normalize_focal(Image.new("RGB", (64, 48)), Camera(1e6, 1e6, 32, 24, 64, 48), 112)
