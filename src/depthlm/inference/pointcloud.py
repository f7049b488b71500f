"""Point clouds as PLY files, the format every 3D viewer opens (MeshLab, Open3D, Blender)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from depthlm.utils.io import atomic_write_bytes


def write_ply(path: str | Path, points: np.ndarray, colors: np.ndarray | None = None) -> Path:
    """Write ``points`` (N×3 or H×W×3 metres) with optional uint8 ``colors`` as binary PLY.

    Non-finite points are dropped (with their colours).
    """
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    keep = np.isfinite(pts).all(axis=1)
    pts = pts[keep]
    fields = [("x", "f4"), ("y", "f4"), ("z", "f4")]
    if colors is not None:
        col = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)[keep]
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    rows = np.empty(len(pts), dtype=[(n, "<" + t) for n, t in fields])
    rows["x"], rows["y"], rows["z"] = pts[:, 0], pts[:, 1], pts[:, 2]
    if colors is not None:
        rows["red"], rows["green"], rows["blue"] = col[:, 0], col[:, 1], col[:, 2]
    kinds = {"f4": "float", "u1": "uchar"}
    header = ["ply", "format binary_little_endian 1.0", f"element vertex {len(pts)}"]
    header += [f"property {kinds[t]} {n}" for n, t in fields] + ["end_header", ""]
    atomic_write_bytes(path, "\n".join(header).encode("ascii") + rows.tobytes())
    return Path(path)


def read_ply(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a PLY written by :func:`write_ply` (points, colours or ``None``)."""
    data = Path(path).read_bytes()
    head, _, body = data.partition(b"end_header\n")
    lines = head.decode("ascii").splitlines()
    n = int(next(line for line in lines if line.startswith("element vertex")).split()[-1])
    props = [line.split()[-1] for line in lines if line.startswith("property")]
    types = {"x": "<f4", "y": "<f4", "z": "<f4", "red": "u1", "green": "u1", "blue": "u1"}
    rows = np.frombuffer(body, dtype=[(p, types[p]) for p in props], count=n)
    pts = np.stack([rows["x"], rows["y"], rows["z"]], axis=1)
    cols = np.stack([rows["red"], rows["green"], rows["blue"]], axis=1) if "red" in props else None
    return pts, cols
