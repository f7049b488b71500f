"""The files ``depthlm depth`` writes for one image, in the formats other tools read.

======================  =====================================================================
``depth.npy``           float32 metres, H×W at the input size, **z-depth** (along the optical
                        axis, the convention of depth models, Open3D and ``depthlm eval
                        --predictions``); NaN where there is no depth
``distance.npy``        float32 metres, H×W: Euclidean distance to the camera centre, the
                        quantity DepthLM answers (before the z conversion)
``confidence.npy``      float32 in [0, 1], H×W: the answers' confidence (from their tokens'
                        probabilities), filled in like the depth; only when the result has one
``depth.png``           the z-depth as 16-bit PNG in millimetres (clipped to 65535, 0 = invalid)
``depth_preview.png``   the image beside the colourised depth, with a colour bar in metres
``points.ply``          binary little-endian PLY, float32 x, y, z and uint8 red, green, blue;
                        OpenCV camera frame (x right, y down, z forward), metres; one vertex
                        per pixel with a finite depth
``scene.glb``           the same coloured points for web/AR viewers, in glTF's frame (x right,
                        y up, the camera looking down −z), i.e. ``(x, −y, −z)`` of the PLY
``intrinsics.json``     ``fx, fy, cx, cy, width, height`` in pixels and ``focal_source``
======================  =====================================================================

``DepthLM.depth_map`` answers Euclidean distances (DepthLM's question); they are converted to
z-depth here with the intrinsics, exactly. Each file is written to a temporary name in the
output folder and renamed over the target, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.geometry.camera import DEPTH_TYPES, Camera
from depthlm.inference.pointcloud import OPENCV_FRAME, write_ply
from depthlm.utils.io import atomic_write_bytes, atomic_write_json

#: What ``depth.png`` stores per metre (millimetres; 65535 is 65.5 m).
PNG_SCALE = 1000.0

#: OpenCV camera frame → glTF frame (y up, looking down −z).
_CV_TO_GLTF = np.array([1.0, -1.0, -1.0], dtype=np.float32)


def pixel_grid(width: int, height: int) -> np.ndarray:
    """``H×W×2`` integer ``[x, y]`` pixel coordinates (float64), as the camera expects."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs, ys], axis=-1).astype(np.float64)


def z_depth(result: dict[str, Any], camera: Camera) -> np.ndarray:
    """``result["depth"]`` as float32 z-depth, NaN where it is not a positive finite number.

    ``result["depth_type"]`` says what the map holds (default ``"euclidean"``, as
    ``DepthLM.depth_map`` returns)."""
    depth = np.asarray(result["depth"], dtype=np.float64)
    if depth.shape != (camera.height, camera.width):
        raise ValueError(
            f"depth map is {depth.shape[1] if depth.ndim == 2 else depth.shape} but the "
            f"intrinsics say {camera.width}x{camera.height}"
        )
    kind = result.get("depth_type", "euclidean")
    if kind not in DEPTH_TYPES:
        raise ValueError(f"depth_type must be one of {DEPTH_TYPES}, got {kind!r}")
    valid = np.isfinite(depth) & (depth > 0)
    if kind == "euclidean":
        depth = camera.euclidean_to_z(pixel_grid(camera.width, camera.height), depth)
    return np.where(valid, depth, np.nan).astype(np.float32)


def depth_png_bytes(z: np.ndarray) -> bytes:
    """16-bit PNG of ``z`` in millimetres: ``round(z·1000)``, clipped to 65535, 0 = invalid."""
    mm = np.where(np.isfinite(z), np.round(z.astype(np.float64) * PNG_SCALE), 0)
    buf = io.BytesIO()
    Image.fromarray(np.clip(mm, 0, 65535).astype(np.uint16)).save(buf, format="PNG")
    return buf.getvalue()


def preview_png_bytes(
    rgb: np.ndarray, z: np.ndarray, title: str, grid: np.ndarray | None = None
) -> bytes:
    """The image (with the queried pixels) beside the colourised depth and a colour bar in
    metres. Drawn on a private Agg canvas: no display needed and no global pyplot state."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    h, w = z.shape
    panel = 4.0  # inches per panel width
    fig = Figure(figsize=(2 * panel + 1.2, panel * h / w + 0.9), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax_img, ax_depth = fig.subplots(1, 2)
    ax_img.imshow(rgb)
    if grid is not None and len(grid):
        g = np.asarray(grid).reshape(-1, 2)
        ax_img.scatter(g[:, 0], g[:, 1], s=4, c="white", edgecolors="black", linewidths=0.3,
                       label="queried pixels")  # fmt: skip
        ax_img.legend(loc="lower right", fontsize=7, markerscale=2, framealpha=0.7)
    ax_img.set_title("image", fontsize=10)
    finite = z[np.isfinite(z)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-3:  # a flat map: widen the range so the colour bar still has ticks
        lo, hi = lo - 0.05 * max(lo, 1.0), hi + 0.05 * max(hi, 1.0)
    cmap = colormaps["turbo"].with_extremes(bad="0.5")
    shown = ax_depth.imshow(np.ma.masked_invalid(z), cmap=cmap, vmin=lo, vmax=hi)
    ax_depth.set_title("depth (grey: none)", fontsize=10)
    bar = fig.colorbar(shown, ax=ax_depth, fraction=0.046, pad=0.03)
    bar.set_label("depth along the optical axis z (m)")
    for ax in (ax_img, ax_depth):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_depth_outputs(
    result: dict[str, Any], image_pil: Image.Image, out_dir: str | Path
) -> dict[str, Path]:
    """Write the files of the module table for one ``DepthLM.depth_map`` ``result`` of
    ``image_pil`` into ``out_dir``; returns ``{"depth", "distance", "depth_png", "preview",
    "points", "scene", "intrinsics"}`` → path.

    ``result`` needs ``"depth"`` (H×W metres) and ``"intrinsics"`` (``[fx, fy, cx, cy, w,
    h]``); ``"focal_source"``, ``"grid"`` and ``"image"`` are used when present, and
    ``"confidence"`` (H×W) adds ``"confidence"`` → ``confidence.npy``.
    """
    import trimesh

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    intr = [float(v) for v in result["intrinsics"]]
    if len(intr) != 6:
        raise ValueError(f"intrinsics must be [fx, fy, cx, cy, width, height], got {intr}")
    camera = Camera(intr[0], intr[1], intr[2], intr[3], int(intr[4]), int(intr[5]))
    rgb = np.asarray(image_pil.convert("RGB"))
    if rgb.shape[:2] != (camera.height, camera.width):
        raise ValueError(
            f"image is {rgb.shape[1]}x{rgb.shape[0]} but the intrinsics say "
            f"{camera.width}x{camera.height}"
        )
    z = z_depth(result, camera)
    source = str(result.get("focal_source", "unknown"))
    paths = {
        "depth": out / "depth.npy",
        "distance": out / "distance.npy",
        "depth_png": out / "depth.png",
        "preview": out / "depth_preview.png",
        "points": out / "points.ply",
        "scene": out / "scene.glb",
        "intrinsics": out / "intrinsics.json",
    }

    buf = io.BytesIO()
    np.save(buf, z)
    atomic_write_bytes(paths["depth"], buf.getvalue())
    buf = io.BytesIO()
    np.save(buf, np.asarray(result["depth"], dtype=np.float32))
    atomic_write_bytes(paths["distance"], buf.getvalue())
    atomic_write_bytes(paths["depth_png"], depth_png_bytes(z))
    if result.get("confidence") is not None:
        confidence = np.asarray(result["confidence"], dtype=np.float32)
        if confidence.shape != z.shape:
            raise ValueError(f"confidence map is {confidence.shape} but the depth is {z.shape}")
        paths["confidence"] = out / "confidence.npy"
        buf = io.BytesIO()
        np.save(buf, confidence)
        atomic_write_bytes(paths["confidence"], buf.getvalue())

    valid = np.isfinite(z)
    pixels = pixel_grid(camera.width, camera.height)[valid]
    points = camera.unproject(pixels, z[valid], "z").astype(np.float32)
    colors = rgb[valid]
    write_ply(paths["points"], points, colors, comments=[OPENCV_FRAME])
    cloud = trimesh.PointCloud(points * _CV_TO_GLTF, colors=colors)
    atomic_write_bytes(paths["scene"], cloud.export(file_type="glb"))

    atomic_write_json(paths["intrinsics"], {
        "fx": camera.fx, "fy": camera.fy, "cx": camera.cx, "cy": camera.cy,
        "width": camera.width, "height": camera.height, "focal_source": source,
    })  # fmt: skip

    name = result.get("image")
    label = Path(name).name if isinstance(name, str) else "image"
    title = f"{label}: {camera.width}x{camera.height}, focal {camera.fx:.1f} px ({source})"
    grid = result.get("grid")
    atomic_write_bytes(paths["preview"], preview_png_bytes(rgb, z, title, grid))
    return paths
