"""What the inference object accepts as images (paths, PIL images, arrays, lists, folders) and
how points are given per image."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.data.transforms import load_rgb
from depthlm.geometry.camera import Camera
from depthlm.inference.focal import attach_exif, read_exif, resolve_camera

ImageLike = str | Path | Image.Image | np.ndarray
#: Image files a folder input is made of (lower-case suffixes; other files are ignored).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def as_image(image: ImageLike) -> Image.Image:
    """Path, PIL image or ``H×W×3`` uint8 array → RGB PIL image, keeping its EXIF.

    The EXIF travels along (Pillow's ``convert`` drops it for some formats) because it is
    where a photo's focal length is found."""
    if isinstance(image, str | Path):
        rgb = load_rgb(image)
        return rgb if "exif" in rgb.info else attach_exif(rgb, read_exif(image))
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an H×W×3 uint8 array, got {image.shape} {image.dtype}")
        return Image.fromarray(image)
    if not isinstance(image, Image.Image):
        raise ValueError(f"expected an image path, PIL image or array, got {type(image).__name__}")
    return attach_exif(image.convert("RGB"), read_exif(image))


def camera_for(
    image: Image.Image, intrinsics: Sequence[float] | None, focal: float | None
) -> Camera:
    """The camera of ``image`` (see :func:`~depthlm.inference.focal.resolve_camera`)."""
    return resolve_camera(image, intrinsics, focal)[0]


def list_images(folder: str | Path) -> list[Path]:
    """The image files directly in ``folder`` (:data:`IMAGE_SUFFIXES`), sorted by name.

    Not recursive, and hidden files are skipped, so an output folder placed inside the input
    folder, or editor/OS droppings, are never read as inputs."""
    folder = Path(folder)
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise ValueError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in folder {folder}")
    return files


def image_inputs(
    images: ImageLike | Sequence[ImageLike],
) -> tuple[list[tuple[str | int, ImageLike]], bool]:
    """``(key, image)`` pairs and whether the input was a batch (a list or a folder).

    The key names an image in results and errors: its path when it has one, else its index.
    """
    if isinstance(images, str | Path) and Path(images).is_dir():
        return [(str(p), p) for p in list_images(images)], True
    if isinstance(images, list | tuple):
        if not images:
            raise ValueError("no images given (an empty list)")
        return [
            (str(im) if isinstance(im, str | Path) else i, im) for i, im in enumerate(images)
        ], True
    single: ImageLike = images  # type: ignore[assignment]
    return [(str(single) if isinstance(single, str | Path) else 0, single)], False


def split_points(points: Any, n_images: int) -> list[np.ndarray]:
    """One ``(N, 2)`` int array per image: ``points`` shared by all (``[[x, y], ...]``) or
    given per image (``[[[x, y], ...], ...]``, one list per image, lengths may differ)."""
    try:
        arr = np.asarray(points, dtype=np.int64)
    except (ValueError, TypeError):  # ragged: necessarily per image
        arr = None
    if arr is not None and arr.ndim <= 2:
        return [arr.reshape(-1, 2)] * n_images
    per = list(points)
    if len(per) != n_images:
        raise ValueError(f"got point lists for {len(per)} images but {n_images} images")
    return [np.asarray(p, dtype=np.int64).reshape(-1, 2) for p in per]
