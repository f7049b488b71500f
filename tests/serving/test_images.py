"""Request images are refused before they can hurt: bad encodings, non-images, truncated
files, tiny images, and headers declaring too many pixels (refused without decoding)."""

from __future__ import annotations

import base64
import time

import pytest

from depthlm.serving.config import ServeConfig
from depthlm.serving.errors import ServeError
from depthlm.serving.images import load_request_image
from tests.serving.images_util import data_url, png_bytes, png_header_only

CFG = ServeConfig(max_pixels=1_000_000, max_body_bytes=2_000_000)


def _refused(value: str, status: int, config: ServeConfig = CFG) -> ServeError:
    with pytest.raises(ServeError) as info:
        load_request_image(value, config)
    assert info.value.status == status, info.value.message
    assert info.value.param == "image"
    return info.value


def test_data_url_and_bare_base64_decode_to_rgb() -> None:
    raw = png_bytes(40, 30)
    for value in (
        data_url(raw),
        base64.b64encode(raw).decode(),
        data_url(raw)[:-2] + "\n" + data_url(raw)[-2:],
    ):
        im = load_request_image(value, CFG)
        assert im.size == (40, 30) and im.mode == "RGB"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "no image"),
        ("data:image/png,abcd", "not base64"),
        ("data:image/png;base64,@@@@", "not valid base64"),
        ("not base64 at all!", "not valid base64"),
        (base64.b64encode(b"hello, I am text").decode(), "not an image"),
    ],
)
def test_malformed_inputs_are_400_with_a_reason(value: str, words: str) -> None:
    assert words in _refused(value, 400).message


def test_truncated_file_is_refused_on_load() -> None:
    raw = png_bytes(200, 150)
    err = _refused(data_url(raw[: len(raw) // 2]), 400)
    assert "truncated" in err.message or "corrupt" in err.message


def test_tiny_image_is_refused() -> None:
    assert "at least 16" in _refused(data_url(png_bytes(1, 1)), 400).message


@pytest.mark.parametrize("size", [(2000, 1000), (60_000, 60_000)])
def test_pixel_limit_is_checked_on_the_header(size: tuple[int, int]) -> None:
    # 60k×60k would be 10.8 GB decoded; refusing it must not decode anything.
    t0 = time.perf_counter()
    err = _refused(data_url(png_header_only(*size)), 413)
    assert time.perf_counter() - t0 < 1.0
    assert err.code == "image_too_large"


def test_default_limit_is_40_megapixels() -> None:
    assert ServeConfig().max_pixels == 40_000_000
    _refused(data_url(png_header_only(8000, 5001)), 413, ServeConfig())


def test_oversized_payload_is_refused_before_decoding() -> None:
    big = "A" * 3_000_000
    assert _refused(big, 413).status == 413


def test_remote_urls_are_refused_by_default() -> None:
    err = _refused("http://169.254.169.254/latest/meta-data", 400)
    assert err.code == "remote_image_refused" and "--allow-remote-images" in err.message
    assert _refused("file:///etc/passwd", 400).code == "remote_image_refused"
