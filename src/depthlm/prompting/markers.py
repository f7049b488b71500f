"""Markers drawn into the image to say *which* pixel a question is about.

DepthLM's first finding: a VLM localises a pixel far better when it is marked in the image than
when its coordinates are written in the text. A marker is a fixed set of pixel offsets painted
pure red after every resize (so it stays crisp), with the queried pixel itself left untouched.
Styles are data (offset tables), so adding one is adding a table, not a code path.

The reference ``arrow`` is "-->" with its tip one pixel left of the target: shaft ``(x−k, y)``
for k = 1..5, head ``(x−d−1, y±d)`` for d = 1..2. A point closer than 5 px to the border cannot
carry it; callers must skip such points *and record the skip* (see :func:`fits`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RED = (255, 0, 0)


@dataclass(frozen=True)
class MarkerStyle:
    """A marker: painted offsets ``(dx, dy)`` from the target and the border margin it needs."""

    name: str
    offsets: tuple[tuple[int, int], ...]
    margin: int
    phrase: str  # how a question refers to the marked point, e.g. "pointed by the red arrow"
    phrase_plural: str = ""  # the same for several points, e.g. "pointed by the red arrows"

    @property
    def in_text(self) -> bool:
        """A style that paints nothing and writes the coordinates into the question instead
        (the paper's text-coordinate baseline)."""
        return not self.offsets

    def describe(self, points: Sequence[Sequence[int]] = (), plural: bool = False) -> str:
        """The phrase a question uses for ``points`` (model-input pixels). Drawn styles ignore
        the points; the text style spells them out: ``at pixel (412, 230)``."""
        phrase = self.phrase_plural if plural else self.phrase
        if not self.in_text:
            return phrase
        if not points:
            raise ValueError(f"marker '{self.name}' writes coordinates: give the points")
        coords = " and ".join(f"({int(x)}, {int(y)})" for x, y in points)
        return phrase.format(coords=coords)


def _arrow() -> tuple[tuple[int, int], ...]:
    shaft = [(-k, 0) for k in range(1, 6)]
    head = [(-d - 1, s * d) for d in range(1, 3) for s in (1, -1)]
    return tuple(shaft + head)


def _ring(radius: int) -> tuple[tuple[int, int], ...]:
    """Pixels whose distance to the centre rounds to ``radius`` (a one-pixel circle)."""
    r = radius
    return tuple(
        (dx, dy)
        for dy in range(-r - 1, r + 2)
        for dx in range(-r - 1, r + 2)
        if round(float(np.hypot(dx, dy))) == r
    )


def _cross(arm: int) -> tuple[tuple[int, int], ...]:
    """A '+' with a one-pixel gap at the centre so the target pixel stays visible."""
    return tuple((s * k, 0) for k in range(2, arm + 2) for s in (1, -1)) + tuple(
        (0, s * k) for k in range(2, arm + 2) for s in (1, -1)
    )


MARKERS: dict[str, MarkerStyle] = {
    "arrow": MarkerStyle(
        "arrow", _arrow(), 5, "pointed by the red arrow", "pointed by the red arrows"
    ),
    "circle": MarkerStyle(
        "circle", _ring(4), 5, "marked by the red circle", "marked by the red circles"
    ),
    "cross": MarkerStyle(
        "cross", _cross(4), 6, "marked by the red cross", "marked by the red crosses"
    ),
    # Nothing drawn; the same border margin as the arrow so both ask about the same points.
    "text": MarkerStyle("text", (), 5, "at pixel {coords}", "at pixels {coords}"),
}


def get_marker(name: str) -> MarkerStyle:
    try:
        return MARKERS[name]
    except KeyError:
        raise ValueError(f"unknown marker style {name!r}; choose from {sorted(MARKERS)}") from None


def fits(style: str | MarkerStyle, xy: Sequence[int], size: tuple[int, int]) -> bool:
    """Whether the marker can be drawn at ``xy`` in an image of ``size = (w, h)``.

    Uses the reference rule ``margin <= x < w - margin`` (same for y)."""
    m = (get_marker(style) if isinstance(style, str) else style).margin
    x, y = int(xy[0]), int(xy[1])
    return m <= x < size[0] - m and m <= y < size[1] - m


def marker_pixels(style: str | MarkerStyle, xy: Sequence[int]) -> np.ndarray:
    """Absolute ``(x, y)`` pixels the marker paints at ``xy`` (k × 2 int array)."""
    s = get_marker(style) if isinstance(style, str) else style
    offsets = np.asarray(s.offsets, dtype=np.int64).reshape(-1, 2)
    return offsets + np.asarray([int(xy[0]), int(xy[1])])


def draw_marker(
    image: Image.Image,
    xy: Sequence[int],
    style: str = "arrow",
    *,
    label: str | None = None,
    color: tuple[int, int, int] = RED,
) -> Image.Image:
    """Return a copy of ``image`` (RGB) with the marker at ``xy`` and an optional text label.

    Raises ``ValueError`` when the marker does not fit: a silently moved marker would ask about
    a different pixel than the one scored.
    """
    return draw_markers(image, [xy], style, labels=[label] if label else None, color=color)


def draw_markers(
    image: Image.Image,
    points: Sequence[Sequence[int]],
    style: str = "arrow",
    *,
    labels: Sequence[str] | None = None,
    color: tuple[int, int, int] = RED,
) -> Image.Image:
    """Several markers in one image (two-point questions, many points per query).

    Labels ("A", "B", "1", ...) are drawn up-right of each marker, so they never cover a target.
    """
    s = get_marker(style)
    out = image.convert("RGB").copy()
    px = out.load()
    for xy in points:
        if not fits(s, xy, out.size):
            raise ValueError(
                f"marker '{s.name}' does not fit at pixel {list(map(int, xy))} "
                f"of a {out.width}x{out.height} image (needs {s.margin} px from the border)"
            )
        for x, y in marker_pixels(s, xy):
            px[int(x), int(y)] = color
    if labels:
        draw = ImageDraw.Draw(out)
        font = _label_font()
        for xy, text in zip(points, labels, strict=True):
            tx = min(int(xy[0]) + s.margin + 1, out.width - 8 * len(text) - 1)
            ty = max(int(xy[1]) - s.margin - 11, 0)
            draw.text((tx, ty), text, fill=color, font=font)
    return out


@cache
def _label_font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=11)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()
