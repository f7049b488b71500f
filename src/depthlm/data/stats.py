"""What a records file holds, at a glance: counts, depth and focal spread, and a contact sheet.

Curation mistakes rarely crash anything: a wrong depth scale shifts every label by 1000×, a
wrong extrinsic puts LiDAR points on the sky, a missing ``--poses`` silently drops the
multi-frame tasks. :func:`record_stats` makes such mistakes visible as numbers (log-depth
histogram, focal histogram, shares) and :func:`draw_contact_sheet` as pictures (labelled points
drawn on their images, coloured by depth).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from depthlm.data.records import Record

#: histogram bar width in characters for :func:`format_stats`
BAR = 40


def _log2_bins(values: np.ndarray) -> list[dict[str, float]]:
    """Counts in power-of-two bins (…, 0.5–1, 1–2, 2–4 m, …): depth spans decades, and equal
    ratios per bin show a scale error as a shifted block rather than one crowded bar."""
    lo = math.floor(math.log2(values.min()))
    hi = max(math.ceil(math.log2(values.max())), lo + 1)
    if 2.0**hi == values.max():  # numpy closes the top bin; keep every bin [lo, hi)
        hi += 1
    edges = 2.0 ** np.arange(lo, hi + 1)
    counts, _ = np.histogram(values, bins=edges)
    return [{"lo": float(a), "hi": float(b), "count": int(c)}
            for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]  # fmt: skip


def _value_bins(values: np.ndarray, max_bins: int = 10) -> list[dict[str, float]]:
    """Counts per distinct value when there are few (curated sets share a handful of
    cameras), else ``max_bins`` equal-width bins."""
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) <= max_bins:
        return [{"lo": float(v), "hi": float(v), "count": int(c)}
                for v, c in zip(distinct, counts, strict=True)]  # fmt: skip
    hist, edges = np.histogram(values, bins=max_bins)
    return [{"lo": float(a), "hi": float(b), "count": int(c)}
            for a, b, c in zip(edges[:-1], edges[1:], hist, strict=True)]  # fmt: skip


def _shares(labels: Sequence[str | None], missing: str) -> dict[str, int]:
    """Counts per label, most common first (``missing`` stands for an unset field)."""
    return dict(Counter(label if label is not None else missing for label in labels).most_common())


def _summary(values: np.ndarray) -> dict[str, float]:
    return {"min": float(values.min()), "median": float(np.median(values)),
            "max": float(values.max())}  # fmt: skip


def record_stats(records: Sequence[Record]) -> dict[str, Any]:
    """A JSON-ready summary of ``records``: counts, depth/focal histograms, image sizes,
    depth-type and dataset shares, poses and sequences."""
    if not records:
        raise ValueError("no records to summarise")
    depths = np.concatenate([np.asarray(r.depth, dtype=np.float64) for r in records])
    per_record = np.array([len(r.depth) for r in records])
    fx = np.array([float(r.intrinsics[0]) for r in records])
    sizes = [f"{int(r.intrinsics[4])}x{int(r.intrinsics[5])}" for r in records]
    widths = np.array([int(r.intrinsics[4]) for r in records])
    heights = np.array([int(r.intrinsics[5]) for r in records])
    stats: dict[str, Any] = {
        "records": len(records),
        "points": int(per_record.sum()),
        "points_per_record": _summary(per_record),
        "depth": {**_summary(depths), "histogram": _log2_bins(depths)} if len(depths) else {},
        "focal_fx": {**_summary(fx), "histogram": _value_bins(fx)},
        "image_size": {
            "sizes": dict(Counter(sizes).most_common()),
            "width": _summary(widths),
            "height": _summary(heights),
        },
        "depth_type": _shares([r.depth_type for r in records], "unset (euclidean)"),
        "dataset": _shares([r.dataset for r in records], "unset"),
        "with_pose": sum(r.camera_to_world is not None for r in records),
        "with_sequence": sum(r.sequence is not None for r in records),
        "sequences": len({r.sequence for r in records if r.sequence is not None}),
    }
    return stats


def _bars(bins: list[dict[str, float]], unit: str, total: int) -> list[str]:
    """Text histogram rows: range, count, share and a bar scaled to the largest bin."""
    top = max(b["count"] for b in bins) or 1
    rows = []
    for b in bins:
        label = f"{b['lo']:g}" if b["lo"] == b["hi"] else f"{b['lo']:g}-{b['hi']:g}"
        bar = "#" * round(BAR * b["count"] / top)
        rows.append(f"  {label + ' ' + unit:>16} {b['count']:>8} {100 * b['count'] / total:5.1f}% "
                    f"{bar}")  # fmt: skip
    return rows


def _share_lines(title: str, shares: dict[str, int], total: int) -> list[str]:
    return [f"{title}:"] + [f"  {k:<24} {v:>8} {100 * v / total:5.1f}%" for k, v in shares.items()]


def format_stats(stats: dict[str, Any]) -> str:
    """The summary of :func:`record_stats` as aligned text with histogram bars."""
    n, pts = stats["records"], stats["points"]
    ppr = stats["points_per_record"]
    lines = [f"records: {n}", f"points:  {pts} (per record {ppr['min']:g} / "
             f"{ppr['median']:g} / {ppr['max']:g} min/median/max)"]  # fmt: skip
    if stats["depth"]:
        d = stats["depth"]
        lines.append(f"depth (m): min {d['min']:.3g}, median {d['median']:.3g}, "
                     f"max {d['max']:.3g}")  # fmt: skip
        lines += _bars(d["histogram"], "m", pts)
    f = stats["focal_fx"]
    lines.append(f"focal fx (px): min {f['min']:.4g}, median {f['median']:.4g}, "
                 f"max {f['max']:.4g}")  # fmt: skip
    lines += _bars(f["histogram"], "px", n)
    lines += _share_lines("image size", stats["image_size"]["sizes"], n)
    lines += _share_lines("depth_type", stats["depth_type"], n)
    lines += _share_lines("dataset", stats["dataset"], n)
    lines.append(f"with camera_to_world: {stats['with_pose']} of {n}")
    lines.append(f"with sequence: {stats['with_sequence']} of {n} "
                 f"({stats['sequences']} sequences)")  # fmt: skip
    return "\n".join(lines)


def _pick(n: int, k: int) -> list[int]:
    """``k`` indices spread evenly over ``n`` records, so a sheet of a concatenated file
    shows every part of it rather than the first dataset only."""
    if n <= k:
        return list(range(n))
    return sorted({round(float(i)) for i in np.linspace(0, n - 1, k)})


def _thumbnail(path: Path, max_side: int) -> np.ndarray:
    """The image at most ``max_side`` pixels on its long side, mostly desaturated and dimmed
    (float RGB in 0–1): the depth colours of the dots must not drown in a colourful scene."""
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        img.thumbnail((max_side, max_side))
        rgb = np.asarray(img, dtype=np.float64) / 255.0
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    return 0.25 + 0.6 * (0.3 * rgb + 0.7 * grey[..., None])


def draw_contact_sheet(
    records: Sequence[Record],
    path: str | Path,
    *,
    max_images: int = 24,
    columns: int = 6,
    thumb: int = 320,
) -> Path:
    """Write a PNG grid of up to ``max_images`` records, each image with its labelled points
    drawn as dots coloured by depth (one log colour scale and colour bar for the sheet).

    Drawn with a private :class:`matplotlib.figure.Figure`, so it is safe in a server or a
    test run (no pyplot global state).
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    if not records:
        raise ValueError("no records to draw")
    if max_images < 1:
        raise ValueError(f"--max-images must be at least 1, got {max_images}")
    chosen = [records[i] for i in _pick(len(records), max_images)]
    depths = np.concatenate([np.asarray(r.depth, dtype=np.float64) for r in chosen])
    lo, hi = (float(depths.min()), float(depths.max())) if depths.size else (1.0, 2.0)
    norm = LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 1.01)
    cmap = colormaps["turbo"]
    cols = min(columns, len(chosen))
    rows = math.ceil(len(chosen) / cols)
    aspect = float(np.median([r.intrinsics[5] / r.intrinsics[4] for r in chosen]))
    fig = Figure(figsize=(3.0 * cols + 1.0, (3.0 * aspect + 0.35) * rows + 0.2),
                 layout="constrained")  # fmt: skip
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, record in zip(axes.ravel(), chosen, strict=False):
        _draw_record(ax, record, cmap, norm, thumb)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes.ravel().tolist(),
                       shrink=0.9, label="depth (m)")  # fmt: skip
    bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    bar.ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    bar.ax.yaxis.set_minor_formatter(NullFormatter())
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    return out


def _draw_record(ax: Any, record: Record, cmap: Any, norm: Any, thumb: int) -> None:
    """One panel: the image in its own pixel coordinates, so the dots land where labelled."""
    w, h = int(record.intrinsics[4]), int(record.intrinsics[5])
    ax.imshow(_thumbnail(record.image_path, thumb), extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    pix = np.asarray(record.pixel_coords, dtype=np.float64).reshape(-1, 2)
    ax.scatter(pix[:, 0], pix[:, 1], c=np.asarray(record.depth), cmap=cmap, norm=norm, s=18,
               edgecolors="white", linewidths=0.5)  # fmt: skip
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    name = Path(record.image).name
    name = name if len(name) <= 28 else "…" + name[-27:]
    ax.set_title(f"{name} ({len(record.depth)} pts)", fontsize=8)
