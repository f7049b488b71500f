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

import math
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
            draw.text(_label_origin(s, xy, text, out.size), text, fill=color, font=font)
    return out


def _label_origin(
    style: MarkerStyle, xy: Sequence[int], text: str, size: tuple[int, int]
) -> tuple[int, int]:
    """Where :func:`draw_markers` anchors a label: up-right of the marker, pushed back inside
    the image at the right and top borders (the layout rule reads the same numbers)."""
    tx = min(int(xy[0]) + style.margin + 1, size[0] - 8 * len(text) - 1)
    ty = max(int(xy[1]) - style.margin - 11, 0)
    return tx, ty


# ---------------------------------------------------------------------------------------- layout
#: A pixel rectangle ``(x0, y0, x1, y1)``, half-open: columns x0..x1-1, rows y0..y1-1.
Box = tuple[int, int, int, int]


def _style(style: str | MarkerStyle) -> MarkerStyle:
    return get_marker(style) if isinstance(style, str) else style


def marker_box(style: str | MarkerStyle, xy: Sequence[int]) -> Box:
    """The rectangle a marker occupies: its painted pixels *and* the target pixel, which must
    stay visible (another marker or a label on it would hide what is asked about)."""
    pts = np.vstack([marker_pixels(style, xy), [[int(xy[0]), int(xy[1])]]])
    return (int(pts[:, 0].min()), int(pts[:, 1].min()),
            int(pts[:, 0].max()) + 1, int(pts[:, 1].max()) + 1)  # fmt: skip


def label_box(style: str | MarkerStyle, xy: Sequence[int], text: str, size: tuple[int, int]) -> Box:
    """The rectangle :func:`draw_markers` can ink for label ``text`` of the marker at ``xy`` in
    an image of ``size`` (the font's box of the text at the drawn position)."""
    tx, ty = _label_origin(_style(style), xy, text, size)
    x0, y0, x1, y1 = _label_font().getbbox(text)
    return (tx + math.floor(x0), ty + math.floor(y0), tx + math.ceil(x1), ty + math.ceil(y1))


def box_gap(a: Box, b: Box) -> int:
    """Free pixels between two rectangles along the axis where they are farther apart
    (0 when they touch or overlap): a rectangle's Chebyshev distance."""
    return max(0, b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])


def _inside(box: Box, size: tuple[int, int]) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= size[0] and box[3] <= size[1]


@dataclass(frozen=True)
class Layout:
    """Which of several points can be marked together (indices into the points given).

    ``kept`` is in label order: the i-th kept point is drawn with label ``str(i + 1)``.
    ``clashes`` could be drawn alone but come too close to a kept marker or label (another
    question can ask about them); ``unplaceable`` cannot be drawn with the label they would get
    here (the marker or the label leaves the image, or the label, pushed back inside at a
    border, covers its own marker). Points after ``limit`` kept ones are not examined.
    """

    kept: tuple[int, ...]
    clashes: tuple[int, ...] = ()
    unplaceable: tuple[int, ...] = ()


def layout_markers(
    points: Sequence[Sequence[int]],
    image_size: tuple[int, int],
    style: str | MarkerStyle = "arrow",
    min_gap: int = 2,
    *,
    limit: int | None = None,
    labels: bool = True,
) -> Layout:
    """Greedily choose, in the given order, points whose numbered markers can share one image.

    The rule, in model-input pixels (gaps as :func:`box_gap`): every marker fits its border
    margin (:func:`fits`); every label lies wholly inside the image, off its own marker; any two
    markers, and any two labels, are at least ``min_gap`` apart; and every label is at least
    ``min_gap`` (and at least 1 px) nearer its own marker than any other marker, so no label
    covers or sits beside another point's marker and which number names which marker is never
    in doubt. Marker boxes
    include the target pixel, so every target stays visible. Nothing is moved: a point is kept
    where it is or not at all, because a moved marker would ask about another pixel than the
    one scored. A style that draws nothing (``text``) only needs the border margin;
    ``labels=False`` lays out unlabelled markers.
    """
    s = _style(style)
    size = (int(image_size[0]), int(image_size[1]))
    kept: list[int] = []
    placed: list[tuple[Box, Box | None, int]] = []  # marker, label, label-to-own-marker gap
    clashes: list[int] = []
    unplaceable: list[int] = []
    for i, xy in enumerate(points):
        if limit is not None and len(kept) >= limit:
            break
        if not fits(s, xy, size):
            unplaceable.append(i)
            continue
        if s.in_text:
            kept.append(i)
            continue
        box = marker_box(s, xy)
        lab, own = None, 0
        if labels:
            lab = label_box(s, xy, str(len(kept) + 1), size)
            own = box_gap(lab, box)
            if not _inside(lab, size) or _overlap(lab, box):
                unplaceable.append(i)
                continue
        if any(_clash((box, lab, own), other, min_gap) for other in placed):
            clashes.append(i)
            continue
        kept.append(i)
        placed.append((box, lab, own))
    return Layout(tuple(kept), tuple(clashes), tuple(unplaceable))


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _clash(a: tuple[Box, Box | None, int], b: tuple[Box, Box | None, int], gap: int) -> bool:
    """Whether two laid-out points break the rule of :func:`layout_markers` together."""
    (ma, la, own_a), (mb, lb, own_b) = a, b
    nearer = max(gap, 1)  # strictly nearer its own marker, even with no gap asked: no ties
    if box_gap(ma, mb) < gap:
        return True
    if la is not None and (box_gap(la, mb) < own_a + nearer or (lb and box_gap(la, lb) < gap)):
        return True
    return lb is not None and box_gap(lb, ma) < own_b + nearer


@cache
def _label_font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=11)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()
