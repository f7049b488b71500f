"""``/v1/depth``'s body: the files ``depthlm depth`` writes (base64) and what the page draws."""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

#: Points kept for the page's 3D view (the PLY has them all).
CLOUD_POINTS = 20_000


def depth_payload(
    result: dict[str, Any], image: Image.Image, queries: int, model: str
) -> dict[str, Any]:
    """``/v1/depth``'s JSON: the files ``depthlm depth`` writes, base64, plus what the page
    draws (a colour overlay, its range, a subsampled cloud)."""
    from depthlm.geometry.camera import Camera
    from depthlm.inference.outputs import write_depth_outputs, z_depth
    from depthlm.inference.pointcloud import read_ply

    fx, fy, cx, cy, w, h = (float(v) for v in result["intrinsics"])
    camera = Camera(fx, fy, cx, cy, int(w), int(h))
    z = z_depth(result, camera)
    with tempfile.TemporaryDirectory(prefix="depthlm-serve-") as tmp:
        paths = write_depth_outputs(result, image, tmp)
        files = {k: Path(p).read_bytes() for k, p in paths.items()}
        xyz, rgb = read_ply(paths["points"])
    colour, lo, hi = colourise(z)
    if len(xyz) > CLOUD_POINTS:  # a random subset: a stride would keep whole columns (stripes)
        keep = np.sort(np.random.default_rng(0).choice(len(xyz), CLOUD_POINTS, replace=False))
        xyz, rgb = xyz[keep], (rgb[keep] if rgb is not None else None)
    if rgb is None:
        rgb = np.zeros_like(xyz, np.uint8)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return {
        "width": int(w),
        "height": int(h),
        "intrinsics": [fx, fy, cx, cy, w, h],
        "focal": fx,
        "focal_source": str(result.get("focal_source", "")),
        "depth_range": [lo, hi],
        "colour_png": b64(colour),
        "depth_png": b64(files["depth_png"]),
        "depth_npy": b64(files["depth"]),
        "ply": b64(files["points"]),
        "glb": b64(files["scene"]),
        "cloud": {
            "xyz": np.round(xyz.astype(np.float64), 4).ravel().tolist(),
            "rgb": np.asarray(rgb, dtype=np.int64).ravel().tolist(),
        },
        "queries": queries,
        "model": model,
    }


def colourise(z: np.ndarray) -> tuple[bytes, float, float]:
    """RGBA PNG of ``z`` in turbo over its 1st–99th percentile (transparent where none)."""
    from matplotlib import colormaps

    finite = z[np.isfinite(z)]
    lo, hi = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    lo, hi = float(lo), float(hi)
    if hi - lo < 1e-3:
        lo, hi = lo - 0.05 * max(lo, 1.0), hi + 0.05 * max(hi, 1.0)
    t = np.clip((np.nan_to_num(z, nan=lo) - lo) / (hi - lo), 0, 1)
    rgba = (colormaps["turbo"](t) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(np.isfinite(z), 255, 0)
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue(), round(lo, 4), round(hi, 4)
