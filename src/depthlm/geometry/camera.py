"""A pinhole camera as an immutable value.

Every model-input transform (resize, crop, focal normalisation, rectification) changes the
image *and* the intrinsics; keeping both in one value that each step returns anew is what makes
the remapped pixel and the metric answer agree. Pixel convention everywhere: integer ``[x, y]``
with x = column, y = row, origin at the top-left pixel, and a pixel index is used as-is in the
projection (no +0.5), as in the DepthLM curation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

DEPTH_TYPES = ("euclidean", "z")


@dataclass(frozen=True)
class Camera:
    """Pinhole intrinsics in pixels plus the image size they belong to."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_intrinsics(cls, intrinsics: Sequence[float]) -> Camera:
        """Build from the record layout ``[fx, fy, cx, cy, width, height]``.

        A zero focal on one axis is replaced by the other one, as the reference loader does
        (some curated datasets store ``fy = 0``).

        >>> Camera.from_intrinsics([500, 0, 320, 240, 640, 480]).fy
        500.0
        """
        if len(intrinsics) != 6:
            raise ValueError(
                f"intrinsics must be [fx, fy, cx, cy, width, height], got {list(intrinsics)}"
            )
        fx, fy, cx, cy, w, h = (float(v) for v in intrinsics)
        if fx == 0.0:
            fx = fy
        if fy == 0.0:
            fy = fx
        return cls(fx, fy, cx, cy, int(w), int(h))

    def to_list(self) -> list[float]:
        """The record layout ``[fx, fy, cx, cy, width, height]``."""
        return [self.fx, self.fy, self.cx, self.cy, self.width, self.height]

    @property
    def K(self) -> np.ndarray:
        """3×3 intrinsic matrix (float64)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` as Pillow orders it."""
        return (self.width, self.height)

    # ------------------------------------------------------------------ transforms
    def scale(self, s: float) -> Camera:
        """Uniform resize by ``s``: the image becomes ``(int(w·s), int(h·s))`` and fx, fy, cx, cy
        are multiplied by ``s`` exactly (the reference keeps the unrounded factor, so the new
        focal is exactly the target even though the size is truncated)."""
        if not (s > 0 and math.isfinite(s)):
            raise ValueError(f"scale factor must be positive and finite, got {s}")
        return Camera(
            self.fx * s,
            self.fy * s,
            self.cx * s,
            self.cy * s,
            int(self.width * s),
            int(self.height * s),
        )

    def normalize_focal(self, focal: float) -> Camera:
        """Rescale so that ``fx == focal`` (DepthLM's cure for camera ambiguity).

        >>> Camera(500, 500, 320, 240, 640, 480).normalize_focal(1000).to_list()
        [1000.0, 1000.0, 640.0, 480.0, 1280, 960]
        """
        if not (focal > 0 and math.isfinite(focal)):
            raise ValueError(f"target focal must be positive and finite, got {focal}")
        return self.scale(focal / self.fx)

    def resize(self, width: int, height: int) -> Camera:
        """Resize to an explicit size; each axis scales by its own factor (aspect may change)."""
        if width <= 0 or height <= 0:
            raise ValueError(f"size must be positive, got {width}x{height}")
        sx, sy = width / self.width, height / self.height
        return Camera(
            self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy, int(width), int(height)
        )

    def stretch_height(self, height: int) -> Camera:
        """Aspect jitter: change only the height (fy, cy follow), as the reference does for
        datasets with noisy intrinsics."""
        return self.resize(self.width, height)

    def crop(self, left: int, top: int, width: int, height: int) -> Camera:
        """Crop box ``[left, left+width) × [top, top+height)``; the principal point moves."""
        if width <= 0 or height <= 0:
            raise ValueError(f"crop size must be positive, got {width}x{height}")
        return replace(
            self, cx=self.cx - left, cy=self.cy - top, width=int(width), height=int(height)
        )

    def with_square_pixels(self) -> Camera:
        """Resample the y axis so that ``fy == fx`` (an alternative to OpenCV rectification
        that keeps a single focal length for training)."""
        if self.fx == self.fy:
            return self
        height = max(1, round(self.height * self.fx / self.fy))
        return replace(self, fy=self.fx, cy=self.cy * self.fx / self.fy, height=height)

    # ------------------------------------------------------------------ projection
    def remap_pixels(
        self, src: Camera, pixels: np.ndarray | Sequence[Sequence[float]]
    ) -> np.ndarray:
        """Move integer pixels of ``src`` to this camera's image, as the reference does:
        ``x' = int((x − cx)·fx'/fx + cx')`` (truncation toward zero), likewise for y.

        Only valid when this camera is ``src`` resized/cropped/rectified (same rays).
        """
        p = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
        x = (p[:, 0] - src.cx) * (self.fx / src.fx) + self.cx
        y = (p[:, 1] - src.cy) * (self.fy / src.fy) + self.cy
        return np.stack([np.trunc(x), np.trunc(y)], axis=1).astype(np.int64)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Camera-frame points ``(..., 3)`` → pixels ``(..., 2)``.

        Axes: x right, y down, z forward, in metres."""
        p = np.asarray(points, dtype=np.float64)
        z = p[..., 2]
        return np.stack(
            [self.fx * p[..., 0] / z + self.cx, self.fy * p[..., 1] / z + self.cy], axis=-1
        )

    def rays(self, pixels: np.ndarray) -> np.ndarray:
        """Un-normalised rays ``(X/Z, Y/Z, 1)`` through pixels ``(..., 2)``."""
        p = np.asarray(pixels, dtype=np.float64)
        return np.stack(
            [
                (p[..., 0] - self.cx) / self.fx,
                (p[..., 1] - self.cy) / self.fy,
                np.ones(p.shape[:-1]),
            ],
            axis=-1,
        )

    def unproject(self, pixels: np.ndarray, depth: np.ndarray, depth_type: str = "z") -> np.ndarray:
        """Pixels ``(..., 2)`` and their depth → camera-frame points ``(..., 3)`` in metres.

        ``depth_type`` says what the depth is: ``"z"`` (along the optical axis) or
        ``"euclidean"`` (distance to the camera centre, DepthLM's question).
        """
        r = self.rays(pixels)
        d = np.asarray(depth, dtype=np.float64)[..., None]
        if depth_type == "z":
            return r * d
        if depth_type == "euclidean":
            return r / np.linalg.norm(r, axis=-1, keepdims=True) * d
        raise ValueError(f"depth_type must be one of {DEPTH_TYPES}, got {depth_type!r}")

    def z_to_euclidean(self, pixels: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Principal-axis depth → Euclidean distance, ``sqrt(X² + Y² + Z²)``."""
        return np.linalg.norm(self.unproject(pixels, z, "z"), axis=-1)

    def euclidean_to_z(self, pixels: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """Euclidean distance → principal-axis depth."""
        return self.unproject(pixels, dist, "euclidean")[..., 2]

    def contains(self, pixels: np.ndarray, margin: int = 0) -> np.ndarray:
        """Whether integer pixels lie at least ``margin`` pixels inside the image."""
        p = np.asarray(pixels).reshape(-1, 2)
        return (
            (p[:, 0] >= margin)
            & (p[:, 0] < self.width - margin)
            & (p[:, 1] >= margin)
            & (p[:, 1] < self.height - margin)
        )
