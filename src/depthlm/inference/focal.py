"""The camera of a user's image, and where its focal length came from.

DepthLM answers in metres only because the image is rescaled to a canonical focal length
before the question is asked; a wrong focal scales every answer by the same wrong factor. So
the focal is taken, in this order, from what the caller says (``intrinsics``, then ``focal``),
from the photo's EXIF (``FocalLengthIn35mmFilm``), and only then from an assumed field of view,
with a warning, and every result says which one was used.

>>> from PIL import Image
>>> camera, source = resolve_camera(Image.new("RGB", (640, 480)), focal=500)
>>> camera.to_list(), source
([500.0, 500.0, 320.0, 240.0, 640, 480], 'focal')
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from depthlm.geometry.camera import Camera
from depthlm.utils.warn import warn_caller

__all__ = [
    "DEFAULT_HFOV_DEG",
    "FOCAL_SOURCES",
    "FULL_FRAME_DIAGONAL_MM",
    "DefaultFocalWarning",
    "attach_exif",
    "default_focal",
    "exif_focal_35mm",
    "focal_from_35mm",
    "read_exif",
    "resolve_camera",
]

#: Where a focal length can come from, most trusted first.
FOCAL_SOURCES = ("intrinsics", "focal", "exif", "estimated", "default")

#: Diagonal of a 36×24 mm full-frame negative, sqrt(36² + 24²). A 35 mm-equivalent focal is
#: defined against this frame; scaling by the diagonal (not the width) is the usual convention,
#: and works for any aspect ratio and for any resize of the photo (but not for a crop).
FULL_FRAME_DIAGONAL_MM = 43.27

#: Horizontal field of view assumed when nothing else is known. Phone main cameras are about
#: 65–70° and webcams about 60° (landscape); 60° sits at the narrow end, so a wrong guess tends
#: to over- rather than under-estimate the focal, i.e. distances come out somewhat too large.
DEFAULT_HFOV_DEG = 60.0

_EXIF_IFD = 0x8769  # pointer to the Exif sub-IFD, where the camera-setting tags live
_FOCAL_35MM = 0xA405  # FocalLengthIn35mmFilm (0 means "unknown" per the EXIF spec)


class DefaultFocalWarning(UserWarning):
    """No focal was given or found: a default field of view was assumed (filterable)."""


# ---------------------------------------------------------------------------------------- EXIF
def read_exif(source: str | Path | Image.Image | None) -> Image.Exif | None:
    """The EXIF block of a file (read lazily: only the header, not the pixels) or PIL image.

    EXIF is a hint, never a reason to fail: a missing file, an unreadable or corrupt block gives
    ``None`` (Pillow's parser raises many different types on damaged metadata).
    """
    if source is None:
        return None
    try:
        if isinstance(source, str | Path):
            with Image.open(source) as im:
                exif = im.getexif()
                sub = exif.get_ifd(_EXIF_IFD)  # sub-IFDs are read lazily: load it while open
        else:
            exif = source.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
    except Exception:
        return None
    return exif if len(exif) or len(sub) else None


def attach_exif(image: Image.Image, exif: Image.Exif | None) -> Image.Image:
    """Store ``exif`` in ``image.info`` so that ``image.getexif()`` returns it.

    Pillow's ``convert`` keeps the raw block only for some formats (JPEG, WebP, PNG) and drops
    TIFF tags and in-memory edits, so RGB conversion must carry the EXIF over explicitly.
    """
    if exif is not None:
        # An unserialisable tag only loses the EXIF focal; the default then applies.
        with contextlib.suppress(Exception):
            image.info["exif"] = exif.tobytes()
    return image


def exif_focal_35mm(exif: Image.Exif | None) -> float | None:
    """``FocalLengthIn35mmFilm`` in millimetres, or ``None`` when absent, 0 or invalid.

    The tag belongs in the Exif sub-IFD; some writers put it in IFD0, so both are looked at.
    """
    if exif is None:
        return None
    try:
        value = exif.get_ifd(_EXIF_IFD).get(_FOCAL_35MM, exif.get(_FOCAL_35MM))
        f35 = float(value[0] if isinstance(value, tuple | list) else value)
    except Exception:
        return None
    return f35 if math.isfinite(f35) and f35 > 0 else None


def focal_from_35mm(f35_mm: float, width: int, height: int) -> float:
    """35 mm-equivalent focal → pixels, by the diagonal rule ``f35 · diag_px / 43.27``.

    >>> round(focal_from_35mm(26, 4032, 3024), 1)  # a phone main camera
    3028.4
    """
    return f35_mm * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM


def default_focal(width: int, hfov_deg: float = DEFAULT_HFOV_DEG) -> float:
    """The focal in pixels giving a horizontal field of view of ``hfov_deg`` to ``width``.

    >>> round(default_focal(640), 1)
    554.3
    """
    return width / 2 / math.tan(math.radians(hfov_deg) / 2)


# ---------------------------------------------------------------------------------------- camera
def _positive(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number of pixels, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive, finite number of pixels, got {value!r}")
    return v


def _finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number of pixels, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number of pixels, got {value!r}")
    return v


def _from_intrinsics(intrinsics: Sequence[float], width: int, height: int) -> Camera:
    values = list(intrinsics)
    if len(values) not in (4, 6):
        raise ValueError(f"intrinsics must be [fx, fy, cx, cy] (pixels), got {values}")
    fx = _positive("intrinsics fx", values[0])
    fy = _positive("intrinsics fy", values[1])
    # The principal point may lie anywhere (a crop moves it), but it must be a number.
    cx = _finite("intrinsics cx", values[2])
    cy = _finite("intrinsics cy", values[3])
    if len(values) == 6 and (int(values[4]), int(values[5])) != (width, height):
        raise ValueError(
            f"intrinsics are for a {int(values[4])}x{int(values[5])} image, "
            f"but the image is {width}x{height}"
        )
    return Camera(fx, fy, cx, cy, width, height)


def resolve_camera(
    image_pil: Image.Image,
    intrinsics: Sequence[float] | None = None,
    focal: float | None = None,
    *,
    exif_source: str | Path | Image.Image | None = None,
    warn: bool = True,
) -> tuple[Camera, str]:
    """The camera of ``image_pil`` and where its focal came from (one of :data:`FOCAL_SOURCES`).

    ``intrinsics=[fx, fy, cx, cy]`` (or with ``width, height``, which must match) or
    ``focal=F`` (principal point at the centre) are in pixels of the image as passed; giving
    both is an error, since they could disagree. Otherwise the EXIF of ``exif_source`` (the
    original file or PIL image; default ``image_pil``) is read for a 35 mm-equivalent focal.
    Failing that, a :data:`DEFAULT_HFOV_DEG` horizontal field of view is assumed and a
    :class:`DefaultFocalWarning` says so (``warn=False``: a caller with a better fallback of its
    own decides).
    """
    w, h = image_pil.size
    if intrinsics is not None and focal is not None:
        raise ValueError("give intrinsics=[fx, fy, cx, cy] or focal=F, not both")
    if intrinsics is not None:
        return _from_intrinsics(intrinsics, w, h), "intrinsics"
    if focal is not None:
        f = _positive("focal", focal)
        return Camera(f, f, w / 2, h / 2, w, h), "focal"
    f35 = exif_focal_35mm(read_exif(image_pil if exif_source is None else exif_source))
    if f35 is not None:
        f = focal_from_35mm(f35, w, h)
        return Camera(f, f, w / 2, h / 2, w, h), "exif"
    f = default_focal(w)
    if not warn:
        return Camera(f, f, w / 2, h / 2, w, h), "default"
    name = f" of {exif_source}" if isinstance(exif_source, str | Path) else ""
    warn_caller(
        f"no focal length given and no FocalLengthIn35mmFilm in the EXIF{name}: assuming a "
        f"{DEFAULT_HFOV_DEG:g}° horizontal field of view (focal {f:.1f} px for {w} px width). "
        "Metric answers scale with the focal; pass focal=F or intrinsics=[fx, fy, cx, cy] "
        "in pixels (CLI: --focal / --intrinsics).",
        DefaultFocalWarning,
    )
    return Camera(f, f, w / 2, h / 2, w, h), "default"
