"""Vectorised ray casting against analytic primitives.

A bundle of rays has one origin per ray or one for all, and a direction per ray; every
intersection routine works on whole arrays (or an image-space sub-rectangle of them) and
returns the ray parameter ``t`` (``inf`` on a miss). Camera rays are built with a unit z
component in the camera frame, so ``t`` *is* the z-depth. Surface attributes (normal, material,
texture coordinates in metres) are computed afterwards, only for the pixels a primitive won.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from depthlm.data.synth.scene import Box, Cylinder, Plane, Primitive, Sphere

EPS = 1e-4


class Rays:
    """Origin ``o`` (3 scalars or 3 arrays) and directions ``d`` (3 arrays of equal shape)."""

    def __init__(self, o, d) -> None:
        self.o = tuple(o)
        self.d = tuple(d)

    @cached_property
    def inv(self) -> tuple:
        return tuple(_safe_inv(c) for c in self.d)

    @cached_property
    def a_xy(self):
        return self.d[0] * self.d[0] + self.d[1] * self.d[1]

    @cached_property
    def a_xyz(self):
        return self.a_xy + self.d[2] * self.d[2]

    def sub(self, rect: tuple[slice, slice] | None) -> Rays:
        """Rays of an image sub-rectangle (views, no copies); cached arrays follow."""
        if rect is None:
            return self
        out = Rays(tuple(_cut(c, rect) for c in self.o), tuple(c[rect] for c in self.d))
        for name in ("inv", "a_xy", "a_xyz"):
            if name in self.__dict__:
                out.__dict__[name] = _cut(self.__dict__[name], rect)
        return out


def _cut(c, rect):
    if isinstance(c, tuple):
        return tuple(_cut(x, rect) for x in c)
    return c[rect] if isinstance(c, np.ndarray) and c.ndim == 2 else c


def _safe_inv(c):
    c = np.asarray(c)
    tiny = np.asarray(1e-12, dtype=c.dtype)
    return 1.0 / np.where(np.abs(c) < tiny, np.copysign(tiny, c), c)


def intersect(prim: Primitive, rays: Rays):
    """Ray parameter of the nearest hit in front of the origin, ``inf`` where it misses."""
    if isinstance(prim, Box):
        return _box(prim, rays)
    if isinstance(prim, Cylinder):
        return _cylinder(prim, rays)
    if isinstance(prim, Sphere):
        return _sphere(prim, rays)
    if isinstance(prim, Plane):
        t = (prim.height - rays.o[2]) * rays.inv[2]
        return np.where(t > EPS, t, np.inf)
    raise TypeError(f"unknown primitive {type(prim).__name__}")


def _box(b: Box, rays: Rays):
    px, py, pz = (rays.o[i] - b.center[i] for i in range(3))
    if b.yaw:
        c, s = math.cos(b.yaw), math.sin(b.yaw)
        px, py = c * px + s * py, -s * px + c * py
        dx, dy = rays.d[0], rays.d[1]
        inv = (_safe_inv(c * dx + s * dy), _safe_inv(-s * dx + c * dy), rays.inv[2])
    else:
        inv = rays.inv
    hx, hy, hz = b.half
    ax, bx = (-hx - px) * inv[0], (hx - px) * inv[0]
    ay, by = (-hy - py) * inv[1], (hy - py) * inv[1]
    az, bz = (-hz - pz) * inv[2], (hz - pz) * inv[2]
    if b.inside:
        far = np.minimum(np.minimum(np.maximum(ax, bx), np.maximum(ay, by)), np.maximum(az, bz))
        return np.where(far > EPS, far, np.inf)
    near = np.maximum(np.maximum(np.minimum(ax, bx), np.minimum(ay, by)), np.minimum(az, bz))
    far = np.minimum(np.minimum(np.maximum(ax, bx), np.maximum(ay, by)), np.maximum(az, bz))
    return np.where((near <= far) & (near > EPS), near, np.inf)


def _cylinder(c: Cylinder, rays: Rays):
    px, py, pz = rays.o[0] - c.x, rays.o[1] - c.y, rays.o[2]
    dx, dy, dz = rays.d
    a = rays.a_xy
    half_b = px * dx + py * dy
    cc = px * px + py * py - c.radius * c.radius
    disc = half_b * half_b - a * cc
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-half_b - np.sqrt(np.maximum(disc, 0))) / a
    z = pz + t * dz
    t = np.where((disc >= 0) & (t > EPS) & (z >= c.z0) & (z <= c.z1), t, np.inf)
    caps = [c.z1] if c.z0 < 0.01 else [c.z0, c.z1]
    r2 = c.radius * c.radius
    for zc in caps:
        tc = (zc - pz) * rays.inv[2]
        qx, qy = px + tc * dx, py + tc * dy
        ok = (tc > EPS) & (qx * qx + qy * qy <= r2) & (tc < t)
        t = np.where(ok, tc, t)
    return t


def _sphere(s: Sphere, rays: Rays):
    px, py, pz = (rays.o[i] - s.center[i] for i in range(3))
    dx, dy, dz = rays.d
    half_b = px * dx + py * dy + pz * dz
    cc = px * px + py * py + pz * pz - s.radius * s.radius
    disc = half_b * half_b - rays.a_xyz * cc
    t = (-half_b - np.sqrt(np.maximum(disc, 0))) / rays.a_xyz
    return np.where((disc >= 0) & (t > EPS), t, np.inf)


def cast(prims: list[Primitive], rays: Rays, rects: list | None = None):
    """Nearest hit over ``prims``: ``(t, index)`` with ``inf`` / ``-1`` where nothing is hit.

    ``rects[i]`` (image rays only) limits primitive ``i`` to a sub-rectangle of the image, or
    is ``False`` to skip it (off screen); ``None`` means the whole image.
    """
    shape = np.broadcast_shapes(*(np.shape(c) for c in rays.d + rays.o))
    dtype = np.result_type(*rays.d)
    best = np.full(shape, np.inf, dtype=dtype)
    index = np.full(shape, -1, dtype=np.int16)
    for i, prim in enumerate(prims):
        rect = rects[i] if rects is not None else None
        if rect is False:
            continue
        t = intersect(prim, rays.sub(rect))
        view_best = best[rect] if rect is not None else best
        view_index = index[rect] if rect is not None else index
        closer = t < view_best
        np.copyto(view_best, t, where=closer)
        np.copyto(view_index, i, where=closer)
    return best, index


def surface(prim: Primitive, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At hit points ``p`` (N, 3): outward normals (N, 3), texture coordinates (N, 2) in metres
    (``v`` = height for vertical faces) and material indices (N,)."""
    n = len(p)
    if isinstance(prim, Plane):
        normal = np.broadcast_to(np.array([0, 0, 1], p.dtype), (n, 3))
        return normal, p[:, :2], np.full(n, prim.materials)
    if isinstance(prim, Sphere):
        q = (p - np.asarray(prim.center, p.dtype)) / prim.radius
        u = np.arctan2(q[:, 1], q[:, 0]) * prim.radius
        return q, np.stack([u, p[:, 2]], axis=1), np.full(n, prim.materials)
    if isinstance(prim, Cylinder):
        qx, qy = p[:, 0] - prim.x, p[:, 1] - prim.y
        rr = np.sqrt(qx * qx + qy * qy)
        dz = np.minimum(np.abs(p[:, 2] - prim.z1), np.abs(p[:, 2] - prim.z0))
        cap = (dz < np.abs(rr - prim.radius)) & (rr < prim.radius * 0.999)
        side = np.stack([qx / prim.radius, qy / prim.radius, np.zeros_like(qx)], axis=1)
        up = np.where(p[:, 2] > (prim.z0 + prim.z1) / 2, 1.0, -1.0).astype(p.dtype)
        top = np.stack([np.zeros_like(qx), np.zeros_like(qx), up], axis=1)
        normal = np.where(cap[:, None], top, side)
        u = np.where(cap, qx, np.arctan2(qy, qx) * prim.radius)
        v = np.where(cap, qy, p[:, 2])
        capmat = prim.materials if prim.cap is None else prim.cap
        return normal, np.stack([u, v], axis=1), np.where(cap, capmat, prim.materials)
    return _box_surface(prim, p)


def _box_surface(b: Box, p: np.ndarray):
    c, s = math.cos(b.yaw), math.sin(b.yaw)
    rx, ry = p[:, 0] - b.center[0], p[:, 1] - b.center[1]
    qx, qy, qz = c * rx + s * ry, -s * rx + c * ry, p[:, 2] - b.center[2]
    hx, hy, hz = b.half
    ax, ay, az = np.abs(qx) / hx, np.abs(qy) / hy, np.abs(qz) / hz
    on_x = (ax >= ay) & (ax >= az)  # the face whose slab the point is at the edge of
    on_y = ~on_x & (ay >= az)
    on_z = ~on_x & ~on_y
    out = -1.0 if b.inside else 1.0
    lx = np.where(on_x, out * np.copysign(1.0, qx), 0).astype(p.dtype)
    ly = np.where(on_y, out * np.copysign(1.0, qy), 0).astype(p.dtype)
    lz = np.where(on_z, out * np.copysign(1.0, qz), 0).astype(p.dtype)
    normal = np.stack([c * lx - s * ly, s * lx + c * ly, lz], axis=1)
    u = np.where(on_x, qy + hy, qx + hx)  # from the min corner: facades line up with corners
    v = np.where(on_z, qy + hy, p[:, 2])
    if isinstance(b.materials, int):
        mats = np.full(len(p), b.materials, dtype=np.int16)
    else:
        face = np.where(on_x, 0, np.where(on_y, 2, 4)) + (
            np.where(on_x, qx, np.where(on_y, qy, qz)) > 0
        )
        mats = np.asarray(b.materials, dtype=np.int16)[face]
    return normal, np.stack([u, v], axis=1), mats
