"""Where the focal of a user's photo comes from: intrinsics, focal, EXIF 35 mm, or a default."""

import math
import warnings

import numpy as np
import pytest
from PIL import Image

from depthlm.inference.depthlm import as_image
from depthlm.inference.focal import (
    DEFAULT_HFOV_DEG,
    DefaultFocalWarning,
    default_focal,
    exif_focal_35mm,
    focal_from_35mm,
    read_exif,
    resolve_camera,
)

W, H = 160, 120  # diagonal 200 px


def exif_35mm(f35: float, *, ifd0: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Acme"  # Make: a top-level tag, so every writer stores the block
    if ifd0:
        exif[0xA405] = f35
    else:
        exif.get_ifd(0x8769)[0xA405] = f35  # FocalLengthIn35mmFilm in the Exif sub-IFD
    return exif


def photo(tmp_path, f35: float | None, fmt: str = "JPEG", name: str = "photo") -> str:
    path = tmp_path / f"{name}.{fmt.lower()}"
    image = Image.fromarray(np.full((H, W, 3), 90, np.uint8))
    kwargs = {} if f35 is None else {"exif": exif_35mm(f35).tobytes()}
    image.save(path, format=fmt, **kwargs)
    return str(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP"])
def test_exif_35mm_focal_is_converted_by_the_diagonal(tmp_path, fmt):
    path = photo(tmp_path, 26, fmt)
    expected = 26 * 200 / 43.27
    # read from the file, and from the RGB image as_image made (TIFF loses it in convert)
    for image, source in ((as_image(path), path), (as_image(path), None)):
        camera, src = resolve_camera(image, exif_source=source)
        assert src == "exif"
        assert camera.fx == pytest.approx(expected) and camera.fy == pytest.approx(expected)
        assert (camera.cx, camera.cy, camera.width, camera.height) == (W / 2, H / 2, W, H)


def test_exif_of_an_in_memory_pil_image_survives_as_image():
    image = Image.new("L", (W, H))
    image.getexif().get_ifd(0x8769)[0xA405] = 50
    camera, src = resolve_camera(as_image(image))
    assert src == "exif" and camera.fx == pytest.approx(50 * 200 / 43.27)


def test_tag_in_ifd0_is_read_and_zero_means_unknown():
    assert exif_focal_35mm(exif_35mm(35, ifd0=True)) == 35.0
    assert exif_focal_35mm(exif_35mm(0)) is None  # EXIF: 0 = unknown
    assert exif_focal_35mm(None) is None
    assert exif_focal_35mm(Image.Exif()) is None


def test_conversion_helpers():
    assert focal_from_35mm(43.27, 30, 40) == pytest.approx(50.0)  # f35 = diagonal → f = diag
    assert default_focal(200) == pytest.approx(100 / math.tan(math.radians(30)))
    assert DEFAULT_HFOV_DEG == 60.0


def test_unreadable_exif_is_only_a_missing_hint(tmp_path):
    assert read_exif(tmp_path / "missing.jpg") is None
    bad = tmp_path / "not-an-image.jpg"
    bad.write_text("hello")
    assert read_exif(bad) is None


def test_no_focal_anywhere_warns_and_assumes_60_degrees(tmp_path):
    path = photo(tmp_path, None, "PNG")
    with pytest.warns(DefaultFocalWarning, match="60° horizontal field of view") as caught:
        camera, src = resolve_camera(as_image(path), exif_source=path)
    message = str(caught[0].message)
    assert "focal=" in message and "photo.png" in message
    assert src == "default"
    assert camera.fx == pytest.approx(default_focal(W)) and camera.cx == W / 2


def test_explicit_camera_beats_exif_and_does_not_warn(tmp_path):
    image = as_image(photo(tmp_path, 26))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        camera, src = resolve_camera(image, focal=300)
        assert src == "focal" and camera.to_list() == [300.0, 300.0, 80.0, 60.0, W, H]
        camera, src = resolve_camera(image, intrinsics=[310, 320, 70, 50])
        assert src == "intrinsics" and camera.to_list() == [310.0, 320.0, 70.0, 50.0, W, H]
        camera, _ = resolve_camera(image, intrinsics=[310, 320, 70, 50, W, H])
        assert camera.fy == 320.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"focal": 0}, "focal must be a positive"),
        ({"focal": -5.0}, "focal must be a positive"),
        ({"focal": float("nan")}, "focal must be a positive"),
        ({"focal": float("inf")}, "focal must be a positive"),
        ({"focal": "wide"}, "focal must be a positive"),
        ({"intrinsics": [0, 100, 80, 60]}, "intrinsics fx"),
        ({"intrinsics": [100, float("inf"), 80, 60]}, "intrinsics fy"),
        ({"intrinsics": [100, 100, float("nan"), 60]}, "intrinsics cx"),
        ({"intrinsics": [100, 100, 80, None]}, "intrinsics cy"),
        ({"intrinsics": [100, 100, 80]}, r"\[fx, fy, cx, cy\]"),
        ({"intrinsics": [100, 100, 80, 60, 640, 480]}, "640x480 image"),
        ({"intrinsics": [100, 100, 80, 60], "focal": 100}, "not both"),
    ],
)
def test_bad_camera_values_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        resolve_camera(Image.new("RGB", (W, H)), **kwargs)
