"""Contact sheet: each view with a few red arrow markers and its colourised depth, labelled."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from depthlm.data.records import Record, read_records
from depthlm.prompting.markers import _label_font, draw_markers, fits
from depthlm.utils.io import atomic_write_bytes

#: a perceptually ordered map, dark blue (near) → cyan → green → yellow → red (far)
_ANCHORS = np.array(
    [
        [0.19, 0.07, 0.23],
        [0.26, 0.35, 0.85],
        [0.16, 0.68, 0.93],
        [0.1, 0.9, 0.62],
        [0.55, 0.98, 0.26],
        [0.9, 0.82, 0.18],
        [0.98, 0.5, 0.1],
        [0.8, 0.2, 0.04],
        [0.48, 0.02, 0.01],
    ]
)
DEPTH_RANGE = (0.5, 80.0)
TILE = 192


def colormap(x: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 (…, 3) by piecewise-linear interpolation."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0, 1) * (len(_ANCHORS) - 1)
    i = np.minimum(np.floor(x).astype(int), len(_ANCHORS) - 2)
    f = (x - i)[..., None]
    rgb = _ANCHORS[i] * (1 - f) + _ANCHORS[i + 1] * f
    return (rgb * 255 + 0.5).astype(np.uint8)


def colorize_depth(depth: np.ndarray, depth_range: tuple[float, float] = DEPTH_RANGE) -> np.ndarray:
    """Log-scale colours over ``depth_range`` metres; invalid (<= 0) pixels are black."""
    d = np.asarray(depth, dtype=np.float64)
    lo, hi = np.log(depth_range[0]), np.log(depth_range[1])
    x = (np.log(np.maximum(d, 1e-6)) - lo) / (hi - lo)
    rgb = colormap(x)
    rgb[~(d > 0)] = 0
    return rgb


def _depth_map(record: Record, root: Path) -> np.ndarray | None:
    """The view's dense Euclidean map: saved ``depth/<stem>.npy``, else a re-render from the
    record's ``synth`` metadata, else ``None``."""
    stem = Path(record.image).stem
    saved = root / "depth" / f"{stem}.npy"
    if saved.is_file():
        return np.load(saved)
    meta = record.extra.get("synth")
    if isinstance(meta, dict) and record.frame is not None and "world" in record.extra:
        from depthlm.data.synth.writer import render_frame

        _, _, view = render_frame(
            meta["seed"], meta["scene"], record.extra["world"], meta["size"], record.frame
        )
        return view.depth
    return None


def _sparse(record: Record) -> np.ndarray:
    """Fallback depth panel: the labelled points as coloured dots on black."""
    w, h = record.camera.width, record.camera.height
    d = np.zeros((h, w))
    for (x, y), v in zip(record.pixel_coords, record.depth, strict=True):
        d[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2] = v
    return d


def _pick_points(record: Record, k: int) -> list[int]:
    """Up to ``k`` labelled points spread over the depth range (near, middle, far)."""
    ok = [i for i, p in enumerate(record.pixel_coords) if fits("arrow", p, record.camera.size)]
    ok.sort(key=lambda i: record.depth[i])
    if len(ok) <= k:
        return ok
    return [ok[round(j * (len(ok) - 1) / (k - 1))] for j in range(k)] if k > 1 else ok[:1]


def _fit(img: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = min(box[0] / img.width, box[1] / img.height)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    canvas = Image.new("RGB", box, (32, 32, 32))
    canvas.paste(img.resize(size, Image.NEAREST), (0, 0))
    return canvas


def preview_sheet(
    records_path: str | Path, out_png: str | Path, n: int = 12, points: int = 3
) -> Path:
    """Write a contact sheet of ``n`` views spread over ``records_path``: the image with
    ``points`` red arrows (labelled with their distance in metres) beside its log-scale depth
    (0.5–80 m, dark blue = near, dark red = far, black = sky), captioned with the world, the
    focal length as a multiple of the width and the view's depth range."""
    records_path = Path(records_path)
    records = read_records(records_path)
    if not records:
        raise ValueError(f"{records_path} holds no records")
    n = max(1, min(n, len(records)))
    chosen = [records[round(i * (len(records) - 1) / max(n - 1, 1))] for i in range(n)]
    tall = max(r.camera.height / r.camera.width for r in chosen)
    box = (TILE, max(1, round(TILE * tall)))
    tiles = [_tile(r, records_path.parent, box, points) for r in chosen]
    cols = 3 if n >= 3 else n
    rows = -(-n // cols)
    tw, th = tiles[0].size
    sheet = Image.new("RGB", (cols * tw, rows * th), (16, 16, 16))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * tw, (i // cols) * th))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    atomic_write_bytes(out_png, buf.getvalue())
    return Path(out_png)


def _tile(record: Record, root: Path, box: tuple[int, int], points: int) -> Image.Image:
    image = Image.open(record.image_path).convert("RGB")
    idx = _pick_points(record, points)
    pts = [record.pixel_coords[i] for i in idx]
    labels = [f"{record.depth[i]:.1f}" for i in idx]
    marked = draw_markers(image, pts, "arrow", labels=labels) if pts else image
    depth = _depth_map(record, root)
    if depth is None:
        depth = _sparse(record)
    panel = Image.fromarray(colorize_depth(depth))
    out = Image.new("RGB", (2 * box[0] + 6, box[1] + 30), (16, 16, 16))
    out.paste(_fit(marked, box), (0, 0))
    out.paste(_fit(panel, box), (box[0] + 4, 0))
    cam = record.camera
    rng_txt = f"labels {min(record.depth):.1f}-{max(record.depth):.1f} m" if record.depth else ""
    world = record.extra.get("world", record.dataset or "")
    line1 = f"{world} {Path(record.image).stem}  f={cam.fx / cam.width:.2f}W"
    if cam.fx != cam.fy:
        line1 += f" fy/fx={cam.fy / cam.fx:.2f}"
    line2 = f"{cam.width}x{cam.height}  {len(record.depth)} pts  {rng_txt}"
    draw = ImageDraw.Draw(out)
    draw.text((2, box[1] + 2), line1, fill=(230, 230, 230), font=_label_font())
    draw.text((2, box[1] + 15), line2, fill=(180, 180, 180), font=_label_font())
    return out
