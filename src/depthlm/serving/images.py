"""Turning a request's image field into a checked RGB image, refusing what could hurt the
server before it is decoded: a bad data URL, too many bytes, a remote URL (unless allowed),
a file whose *header* already declares too many pixels (a decompression bomb is refused
before one pixel is inflated), bytes that are not an image, a truncated file, a tiny image."""

from __future__ import annotations

import base64
import binascii
import io
import re
import urllib.request
import warnings

from PIL import Image, UnidentifiedImageError

from depthlm.inference.focal import attach_exif, read_exif
from depthlm.serving.config import ServeConfig
from depthlm.serving.errors import ServeError

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[^;,]*)*)"
    r"(?P<b64>;base64)?,",
    re.IGNORECASE,
)


def image_bytes(value: str, config: ServeConfig, param: str = "image") -> bytes:
    """The raw file bytes of an ``image`` field: a ``data:`` URL, bare base64, or (only with
    ``--allow-remote-images``) an ``http(s)://`` URL."""
    if not isinstance(value, str) or not value.strip():
        raise ServeError(400, "no image: give a data URL or base64 bytes", param=param)
    text = value.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        return _remote(text, config, param)
    payload = text
    if text[:5].lower() == "data:":
        m = _DATA_URL.match(text)
        if m is None:
            raise ServeError(
                400, "malformed data URL (expected data:image/...;base64,...)", param=param
            )
        if not m.group("b64"):
            raise ServeError(400, "data URL is not base64-encoded (missing ';base64')", param=param)
        payload = text[m.end() :]
    # 4 base64 characters carry 3 bytes: refuse an oversized image before decoding it.
    if len(payload) * 3 // 4 > config.max_body_bytes:
        raise ServeError(413, f"image is larger than {config.max_body_bytes} bytes", param=param)
    compact = "".join(payload.split())
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ServeError(400, f"image is not valid base64 ({exc})", param=param) from None
    if not raw:
        raise ServeError(400, "image is empty", param=param)
    return raw


def _remote(url: str, config: ServeConfig, param: str) -> bytes:
    if not config.allow_remote_images:
        raise ServeError(
            400,
            "remote image URLs are refused by this server (send the image as "
            "a base64 data URL; the operator can allow URLs with "
            "--allow-remote-images)",
            param=param,
            code="remote_image_refused",
        )
    if not url.lower().startswith(("http://", "https://")):
        raise ServeError(400, "only http(s) image URLs can be fetched", param=param)
    try:
        with urllib.request.urlopen(url, timeout=config.remote_timeout_s) as resp:
            raw = resp.read(config.max_body_bytes + 1)
    except OSError as exc:
        raise ServeError(400, f"could not fetch the image URL ({exc})", param=param) from None
    if len(raw) > config.max_body_bytes:
        raise ServeError(
            413, f"remote image is larger than {config.max_body_bytes} bytes", param=param
        )
    return raw


def decode_image(raw: bytes, config: ServeConfig, param: str = "image") -> Image.Image:
    """Checked RGB image (EXIF kept in ``info`` for the focal) from file bytes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw))  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ServeError(
            413,
            f"image declares too many pixels ({exc}); this server accepts at "
            f"most {config.max_pixels}",
            param=param,
            code="image_too_large",
        ) from None
    except UnidentifiedImageError:
        raise ServeError(
            400, "the bytes are not an image Pillow can read", param=param, code="not_an_image"
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ServeError(
            400, f"unreadable image ({exc})", param=param, code="not_an_image"
        ) from None
    w, h = im.size
    if w * h > config.max_pixels:
        raise ServeError(
            413,
            f"image is {w}x{h} = {w * h} pixels; this server accepts at most {config.max_pixels}",
            param=param,
            code="image_too_large",
        )
    if min(w, h) < config.min_side:
        raise ServeError(
            400,
            f"image is {w}x{h}; each side must be at least {config.min_side} "
            "pixels to hold a marker",
            param=param,
            code="image_too_small",
        )
    exif = read_exif(im)  # before convert(), which drops it for some formats
    try:
        im.load()  # a truncated or corrupt file fails here, not later in the model
        rgb = im.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ServeError(
            400, f"image data is truncated or corrupt ({exc})", param=param, code="corrupt_image"
        ) from None
    return attach_exif(rgb, exif)


def load_request_image(value: str, config: ServeConfig, param: str = "image") -> Image.Image:
    return decode_image(image_bytes(value, config, param), config, param)
