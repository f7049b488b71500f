"""Image + camera transforms that make model inputs; each returns the new image *and* camera.

The evaluation view is :func:`prepare_view` (rectify fx ≠ fy, then normalise the focal length,
DepthLM's cure for camera ambiguity). Training adds :func:`center_crop` with sizes drawn from
ranges and :func:`aspect_jitter` for datasets with noisy intrinsics. Resizing uses Pillow's
default filter on purpose: it is what the reference code used, so released checkpoints see the
same pixels.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from depthlm.geometry.camera import Camera
from depthlm.geometry.rectify import rectify

FXFY_MODES = ("reference", "square", "none")


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image as 8-bit RGB (palette, grey and alpha images are converted).

    A missing, truncated or non-image file raises ``ValueError`` naming the file."""
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except FileNotFoundError:
        raise FileNotFoundError(f"image not found: {path}") from None
    except (OSError, SyntaxError, ValueError) as e:  # Pillow's errors for corrupt files
        raise ValueError(f"{path}: cannot read image ({e})") from None


def resize_to(image: Image.Image, camera: Camera) -> Image.Image:
    """Resize ``image`` to ``camera.size`` with Pillow's default filter (reference parity)."""
    return image if image.size == camera.size else image.resize(camera.size)


def normalize_focal(image: Image.Image, camera: Camera, focal: float) -> tuple[Image.Image, Camera]:
    """Scale so that ``fx == focal``; size becomes ``(int(w·s), int(h·s))``."""
    new = camera.normalize_focal(focal)
    if min(new.size) < 1:
        raise ValueError(
            f"a focal of {camera.fx:g} px scales the {camera.width}x{camera.height} image to "
            f"{new.width}x{new.height} at the canonical {focal:g} px: is the focal length right?"
        )
    return resize_to(image, new), new


def prepare_view(
    image: Image.Image, camera: Camera, *, focal: float | None, fxfy: str = "reference"
) -> tuple[Image.Image, Camera]:
    """The evaluation-time model view of an image.

    ``fxfy`` chooses how unequal focal lengths are handled: ``reference`` (OpenCV
    rectification as in the DepthLM code; fx and fy stay slightly different), ``square``
    (resample rows so that fy = fx exactly) or ``none``. ``focal=None`` keeps the native focal.
    """
    if image.size != camera.size:
        raise ValueError(
            f"image is {image.width}x{image.height} but its intrinsics say "
            f"{camera.width}x{camera.height}"
        )
    if fxfy == "reference":
        image, camera = rectify(image, camera)
    elif fxfy == "square":
        new = camera.with_square_pixels()
        image, camera = resize_to(image, new), new
    elif fxfy != "none":
        raise ValueError(f"fxfy must be one of {FXFY_MODES}, got {fxfy!r}")
    if focal is not None:
        image, camera = normalize_focal(image, camera, focal)
    return image, camera


@dataclass(frozen=True)
class CropRange:
    """Crop sizes drawn uniformly from ranges (pixels, after focal normalisation).

    The reference trains Qwen2.5-VL at 1000 px focal with heights in [700, 1200] and widths in
    [1000, 1400], clipped to the image.
    """

    height: tuple[int, int] = (700, 1200)
    width: tuple[int, int] = (1000, 1400)


def sample_center_crop(
    camera: Camera, crop: CropRange, rng: random.Random
) -> tuple[int, int, int, int]:
    """A crop box ``(left, top, width, height)`` centred on the image centre."""
    h = int(min(camera.height, rng.uniform(*crop.height)))
    w = int(min(camera.width, rng.uniform(*crop.width)))
    left = max(0, (camera.width - w) // 2)
    top = max(0, (camera.height - h) // 2)
    return left, top, w, h


def sample_random_crop(
    camera: Camera, crop: CropRange, rng: random.Random
) -> tuple[int, int, int, int]:
    """A crop box with sizes drawn as in :func:`sample_center_crop` at a uniform position."""
    h = int(min(camera.height, rng.uniform(*crop.height)))
    w = int(min(camera.width, rng.uniform(*crop.width)))
    return rng.randint(0, camera.width - w), rng.randint(0, camera.height - h), w, h


def window_around(
    camera: Camera, pixels: Sequence[Sequence[int]], window: tuple[int, int], margin: int = 0
) -> tuple[int, int, int, int] | None:
    """The crop box ``(left, top, width, height)`` of at most ``window = (w, h)`` that a
    question about ``pixels`` sees: the centred window a training crop of that size would be,
    moved as little as possible to hold every pixel ``margin`` px inside its border. The whole
    image when it already fits; ``None`` when the pixels are too far apart for one window."""
    w, h = min(camera.width, int(window[0])), min(camera.height, int(window[1]))
    pts = np.asarray(pixels, dtype=np.int64).reshape(-1, 2)
    box = []
    for size, full, coords in ((w, camera.width, pts[:, 0]), (h, camera.height, pts[:, 1])):
        start = (full - size) // 2
        if len(coords):
            lo, hi = int(coords.min()) - margin, int(coords.max()) + margin
            if hi - lo + 1 > size:
                return None
            start = min(max(start, hi - size + 1), lo)  # shift just enough to hold [lo, hi]
        box.append(int(np.clip(start, 0, full - size)))
    return box[0], box[1], w, h


def center_crop(
    image: Image.Image, camera: Camera, box: tuple[int, int, int, int]
) -> tuple[Image.Image, Camera]:
    """Apply a crop box; pixels move by ``(−left, −top)``."""
    left, top, w, h = box
    return image.crop((left, top, left + w, top + h)), camera.crop(left, top, w, h)


def aspect_jitter(
    image: Image.Image, camera: Camera, ratio: tuple[float, float], rng: random.Random
) -> tuple[Image.Image, Camera]:
    """Resample the height so that width/height is drawn from ``ratio`` (fy and cy follow).

    The reference uses this on Taskonomy, whose intrinsics are noisy, so the model does not
    overfit one aspect ratio.
    """
    new_h = max(1, int(camera.width / rng.uniform(*ratio)))
    new = camera.stretch_height(new_h)
    return resize_to(image, new), new
