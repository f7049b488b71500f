"""File checks every curator shares, so a missing or unreadable input is reported the same
way (a ``ValueError`` naming the file) whatever dataset it belongs to."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def need(path: Path, what: str = "file") -> Path:
    """``path`` if it is a file, else ``ValueError`` naming it."""
    if not path.is_file():
        raise ValueError(f"{path}: {what} not found")
    return path


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` without decoding the pixels; a missing or unreadable image is a
    ``ValueError`` naming it."""
    need(path, "image")
    try:
        with Image.open(path) as img:
            return img.size
    except OSError as exc:
        raise ValueError(f"{path}: cannot read image ({exc})") from None
