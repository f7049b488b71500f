"""Readers shared by the indoor dataset modules (private: the leading ``_`` keeps it off the
dataset list).

Every error is a ``ValueError`` naming the file it is about: the user only gave a dataset root,
so "which file" is the one thing they need to fix it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from depthlm.data.curate.files import image_size, need
from depthlm.data.curate.poses import read_pose

Intrinsics = tuple[float, float, float, float]


# ---------------------------------------------------------------- options (CLI gives strings)
def as_int(value: Any, name: str, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"option {name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ValueError(f"option {name} must be at least {minimum}, got {number}")
    return number


def as_float(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"option {name} must be a number, got {value!r}") from None
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"option {name} must be positive, got {number}")
    return number


def as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"option {name} must be true or false, got {value!r}")


def as_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ValueError(f"option {name} must be one of {', '.join(choices)}, got {value!r}")
    return text


def cache_dir(root: Path, cache: str | Path | None) -> Path:
    """Where converted images go: ``cache`` or ``ROOT/_depthlm_rgb``."""
    return Path(cache) if cache else root / "_depthlm_rgb"


# ---------------------------------------------------------------------------- files and text
def read_numbers(path: Path, what: str) -> np.ndarray:
    """Every number of a text file (spaces, tabs, commas or new lines between them)."""
    text = need(path, what).read_text(encoding="utf-8", errors="replace")
    try:
        return np.array([float(t) for t in text.replace(",", " ").split()], dtype=np.float64)
    except ValueError as e:
        raise ValueError(f"{path}: malformed {what} ({e})") from None


def read_matrix(path: Path, rows: int, cols: int, what: str) -> np.ndarray:
    values = read_numbers(path, what)
    if values.size != rows * cols:
        raise ValueError(f"{path}: expected a {rows}x{cols} {what}, got {values.size} numbers")
    return values.reshape(rows, cols)


def pinhole(k: np.ndarray, path: Path) -> Intrinsics:
    """``(fx, fy, cx, cy)`` of a 3×3 or 4×4 camera matrix read from ``path``."""
    fx, fy, cx, cy = (float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]))
    if not (np.isfinite([fx, fy, cx, cy]).all() and fx > 0 and fy > 0):
        raise ValueError(f"{path}: not a camera matrix (fx={fx}, fy={fy}, cx={cx}, cy={cy})")
    return fx, fy, cx, cy


def pose_or_none(path: Path) -> list[list[float]] | None:
    """A 4×4 camera-to-world matrix, or ``None`` where tracking failed (ScanNet writes -inf)."""
    if not np.isfinite(read_matrix(path, 4, 4, "4x4 pose")).all():
        return None
    return read_pose(path)


# ------------------------------------------------------------------------------------ images
def save_image(img: Image.Image, dst: Path) -> None:
    """Write via a temporary name so an interrupted run never leaves half an image."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    if dst.suffix.lower() in (".jpg", ".jpeg"):
        img.convert("RGB").save(tmp, format="JPEG", quality=95)
    else:
        img.save(tmp, format="PNG")
    os.replace(tmp, dst)


def resized_copy(src: Path, dst: Path, size: tuple[int, int]) -> tuple[float, float]:
    """``src`` resized to ``size`` (w, h) at ``dst`` (kept if already there); ``(sx, sy)``."""
    width, height = image_size(src)
    if not (dst.is_file() and image_size(dst) == size):
        try:
            with Image.open(src) as img:
                small = img.convert("RGB").resize(size, Image.Resampling.LANCZOS)
        except OSError as e:
            raise ValueError(f"{src}: cannot read image ({e})") from None
        save_image(small, dst)
    return size[0] / width, size[1] / height


def scale_intrinsics(k: Intrinsics, sx: float, sy: float) -> Intrinsics:
    """Intrinsics after resizing by ``(sx, sy)``, pixel centres at integer indices."""
    fx, fy, cx, cy = k
    return fx * sx, fy * sy, (cx + 0.5) * sx - 0.5, (cy + 0.5) * sy - 0.5


# ------------------------------------------------------------------------------------- depth
def read_png16(path: Path) -> np.ndarray:
    """The raw values of a 16-bit single-channel PNG."""
    need(path, "depth PNG")
    try:
        with Image.open(path) as img:
            mode, raw = img.mode, np.array(img)
    except OSError as e:
        raise ValueError(f"{path}: cannot read depth PNG ({e})") from None
    if raw.ndim != 2 or mode not in ("I;16", "I;16B", "I;16L", "I") or raw.min(initial=0) < 0:
        raise ValueError(f"{path}: expected a 16-bit single-channel depth PNG, got mode {mode}")
    if raw.max(initial=0) > 65535:
        raise ValueError(f"{path}: values above 65535 in a 16-bit depth PNG")
    return raw.astype(np.uint16)


def png_metres(path: Path, per_metre: float, invalid: tuple[int, ...] = ()) -> np.ndarray:
    """``raw / per_metre`` as float metres; 0 and the ``invalid`` codes become NaN."""
    raw = read_png16(path)
    depth = raw.astype(np.float64) / per_metre
    depth[(raw == 0) | np.isin(raw, invalid)] = np.nan
    return depth


def reproject_depth(depth: np.ndarray, src: Intrinsics, src_to_dst: np.ndarray, dst: Intrinsics,
                    shape: tuple[int, int]) -> np.ndarray:  # fmt: skip
    """Splat a z-depth map into another camera (nearest pixel, nearest surface wins)."""
    ys, xs = np.nonzero(np.isfinite(depth) & (depth > 0))
    z = depth[ys, xs]
    pts = np.stack([(xs - src[2]) * z / src[0], (ys - src[3]) * z / src[1], z, np.ones_like(z)])
    x, y, zd = (src_to_dst @ pts)[:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.round(dst[0] * x / zd + dst[2])
        v = np.round(dst[1] * y / zd + dst[3])
    h, w = shape
    ok = (zd > 0) & (u >= 0) & (u < w) & (v >= 0) & (v < h)
    out = np.full(h * w, np.inf)
    np.minimum.at(out, (v[ok] * w + u[ok]).astype(np.int64), zd[ok])
    out[np.isinf(out)] = np.nan
    return out.reshape(h, w)


# ---------------------------------------------------------------------------------- geometry
def quat_matrix(qw: float, qx: float, qy: float, qz: float) -> np.ndarray:
    """Rotation matrix of a (normalised) Hamilton quaternion."""
    q = np.array([qw, qx, qy, qz], dtype=np.float64)
    norm = np.linalg.norm(q)
    if not (np.isfinite(norm) and norm > 0):
        raise ValueError(f"not a rotation quaternion: {q.tolist()}")
    w, x, y, z = q / norm
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])  # fmt: skip


def rigid(rotation: np.ndarray, translation: np.ndarray) -> list[list[float]]:
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rotation, translation
    return m.tolist()


# ------------------------------------------------------------------------- COLMAP text model
COLMAP_PARAMS = {"SIMPLE_PINHOLE": 3, "PINHOLE": 4, "THIN_PRISM_FISHEYE": 12}


def read_colmap_cameras(path: Path) -> dict[int, tuple[str, int, int, np.ndarray]]:
    """``cameras.txt``: id → (model, width, height, params)."""
    cameras = {}
    lines = need(path, "COLMAP cameras.txt").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        try:
            model, params = tokens[1], np.array([float(t) for t in tokens[4:]])
            cameras[int(tokens[0])] = (model, int(tokens[2]), int(tokens[3]), params)
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{n}: malformed camera line {line.strip()!r}") from None
        if COLMAP_PARAMS.get(model) != params.size:
            raise ValueError(f"{path}:{n}: camera model {model} with {params.size} parameters "
                             f"is not supported ({', '.join(COLMAP_PARAMS)})")  # fmt: skip
    return cameras


def read_colmap_images(path: Path) -> dict[str, tuple[int, np.ndarray, np.ndarray]]:
    """``images.txt``: image file name → (camera id, qvec (w, x, y, z), tvec), world→camera.

    A pose line has exactly 10 fields; the 2-D point lines that follow have multiples of 3.
    """
    images = {}
    lines = need(path, "COLMAP images.txt").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, start=1):
        tokens = line.split()
        if len(tokens) != 10 or tokens[0].startswith("#"):
            continue
        try:
            qt = np.array([float(t) for t in tokens[1:8]])
            images[Path(tokens[9]).name] = (int(tokens[8]), qt[:4], qt[4:])
        except ValueError:
            raise ValueError(f"{path}:{n}: malformed image line {line.strip()!r}") from None
    return images


def colmap_project(model: str, params: np.ndarray, x: np.ndarray, y: np.ndarray):
    """Normalised image-plane coordinates → COLMAP pixel coordinates (pixel centres at +0.5),
    following COLMAP's ``WorldToImage`` for the models ETH3D uses."""
    if model == "SIMPLE_PINHOLE":
        return params[0] * x + params[1], params[0] * y + params[2]
    fx, fy, cx, cy = params[:4]
    if model == "THIN_PRISM_FISHEYE":
        k1, k2, p1, p2, k3, k4, sx1, sy1 = params[4:]
        r = np.hypot(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(r > 1e-12, np.arctan(r) / r, 1.0)
        x, y = x * f, y * f
        r2 = x * x + y * y
        radial = k1 * r2 + k2 * r2**2 + k3 * r2**3 + k4 * r2**4
        dx = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x) + sx1 * r2
        dy = y * radial + 2 * p2 * x * y + p1 * (r2 + 2 * y * y) + sy1 * r2
        x, y = x + dx, y + dy
    return fx * x + cx, fy * y + cy
