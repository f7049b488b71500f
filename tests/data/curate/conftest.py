"""Tiny RGB-D folders built on the fly (never real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

W, H = 32, 24
INTR = [30.0, 30.0, 16.0, 12.0]


def make_rgbd(
    root: Path,
    n: int = 2,
    *,
    depth_fmt: str = "png",
    depth_m: float | np.ndarray = 2.0,
    rgb_name: str = "frame_{i:05d}",
    depth_name: str = "frame_{i:05d}",
    scale: float = 1000.0,
) -> tuple[Path, Path]:
    """``root/rgb`` and ``root/depth`` with ``n`` frames of constant (or given) depth."""
    rgb, depth = root / "rgb", root / "depth"
    rgb.mkdir(parents=True, exist_ok=True)
    depth.mkdir(parents=True, exist_ok=True)
    dmap = np.broadcast_to(np.asarray(depth_m, dtype=np.float64), (H, W))
    for i in range(n):
        Image.new("RGB", (W, H), (i * 40 % 255, 80, 120)).save(rgb / f"{rgb_name.format(i=i)}.png")
        stem = depth_name.format(i=i)
        if depth_fmt == "png":
            Image.fromarray(np.round(dmap * scale).astype(np.uint16)).save(depth / f"{stem}.png")
        else:
            np.save(depth / f"{stem}.npy", dmap.astype(np.float32))
    return rgb, depth
