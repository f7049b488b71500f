"""Point clouds as PLY files, the format every 3D viewer opens (MeshLab, Open3D, Blender).

Written and read with :mod:`plyfile`, a maintained reader/writer, so files from other tools
(ASCII, big-endian, double precision, extra properties) load too. Coordinates are whatever the
caller passes; DepthLM writes the OpenCV camera frame (x right, y down, z forward, metres).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from plyfile import PlyData, PlyElement

from depthlm.utils.io import atomic_write_bytes

#: Header comment of clouds in the camera frame, so a reader knows the axes without the docs.
OPENCV_FRAME = "depthlm: OpenCV camera frame (x right, y down, z forward), metres"


def write_ply(
    path: str | Path,
    points: np.ndarray,
    colors: np.ndarray | None = None,
    *,
    comments: list[str] | None = None,
) -> Path:
    """Write ``points`` (N×3 or H×W×3 metres) with optional uint8 ``colors`` as binary
    little-endian PLY: float32 ``x, y, z`` and uchar ``red, green, blue``.

    Non-finite points are dropped (with their colours). The file is replaced atomically, so a
    viewer never opens half a cloud.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    keep = np.isfinite(pts).all(axis=1)
    pts = pts[keep]
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if colors is not None:
        col = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        if len(col) != len(keep):
            raise ValueError(f"got {len(col)} colours for {len(keep)} points")
        col = col[keep]
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    rows = np.empty(len(pts), dtype=fields)
    rows["x"], rows["y"], rows["z"] = pts[:, 0], pts[:, 1], pts[:, 2]
    if colors is not None:
        rows["red"], rows["green"], rows["blue"] = col[:, 0], col[:, 1], col[:, 2]
    ply = PlyData(
        [PlyElement.describe(rows, "vertex")],
        text=False,
        byte_order="<",
        comments=list(comments or []),
    )
    buf = io.BytesIO()
    ply.write(buf)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def read_ply(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """The vertices of a PLY file: ``(N×3 float32 points, N×3 uint8 colours or None)``.

    Any PLY with ``x, y, z`` vertex properties is read (faces and other elements are
    ignored); colours are returned when ``red, green, blue`` are present."""
    ply = PlyData.read(str(path))
    if "vertex" not in ply:
        raise ValueError(f"{path}: no vertex element in the PLY file")
    v = ply["vertex"].data
    names = set(v.dtype.names or ())
    if not {"x", "y", "z"} <= names:
        raise ValueError(f"{path}: PLY vertices have no x, y, z properties")
    pts = np.stack([v["x"], v["y"], v["z"]], axis=1).astype(np.float32)
    if {"red", "green", "blue"} <= names:
        return pts, np.stack([v["red"], v["green"], v["blue"]], axis=1).astype(np.uint8)
    return pts, None
