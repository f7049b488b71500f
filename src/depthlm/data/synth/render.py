"""Render one view: ray cast, texture, light (lambert + ambient + hard shadows), fog, sky.

Output per view: RGB (uint8), Euclidean distance and z-depth (float32 metres, 0 where the ray
sees sky) and the index of the primitive seen at each pixel. Pure NumPy on the CPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from depthlm.data.synth.lighting import light_factor
from depthlm.data.synth.raycast import Rays, cast, surface
from depthlm.data.synth.scene import Box, Scene
from depthlm.data.synth.textures import albedo, noise
from depthlm.geometry.camera import Camera

#: a rendered pixel may never look like a marker: R > 200 with G, B < 60 is reserved
RED_HEADROOM = 0.54  # R <= max(G, B) + RED_HEADROOM (in [0, 1])


@dataclass
class View:
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 Euclidean metres, 0 = sky
    z: np.ndarray  # (H, W) float32 z-depth metres, 0 = sky
    prim: np.ndarray  # (H, W) int16 primitive index, -1 = sky


def camera_rays(camera: Camera, c2w: np.ndarray, dtype=np.float32) -> tuple[Rays, np.ndarray]:
    """World rays through every pixel (x = column index, no +0.5) with unit camera-frame z,
    and each ray's length ``|(x', y', 1)|`` (Euclidean distance = t · length)."""
    xs = ((np.arange(camera.width) - camera.cx) / camera.fx).astype(dtype)
    ys = ((np.arange(camera.height) - camera.cy) / camera.fy).astype(dtype)
    r = c2w[:3, :3]
    d = tuple(
        (r[i, 0] * xs[None, :] + r[i, 1] * ys[:, None] + r[i, 2]).astype(dtype) for i in range(3)
    )
    length = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2 + 1).astype(dtype)
    origin = tuple(float(v) for v in c2w[:3, 3])
    return Rays(origin, d), length


def pixel_rays(camera: Camera, c2w: np.ndarray, pixels: np.ndarray) -> tuple[Rays, np.ndarray]:
    """Float64 rays through selected pixels ``(N, 2)`` (for exact labels) and their lengths."""
    p = np.asarray(pixels, dtype=np.float64)
    cam = np.stack(
        [(p[:, 0] - camera.cx) / camera.fx, (p[:, 1] - camera.cy) / camera.fy, np.ones(len(p))]
    )
    d = c2w[:3, :3] @ cam
    return Rays(tuple(float(v) for v in c2w[:3, 3]), tuple(d)), np.linalg.norm(cam, axis=0)


def screen_rects(scene: Scene, camera: Camera, c2w: np.ndarray) -> list:
    """Per primitive, the image rectangle its bounding box projects to (``None`` = whole
    image, ``False`` = off screen), so small far objects cost only their own pixels."""
    w2c = np.linalg.inv(c2w)
    rects: list = []
    for prim in scene.prims:
        b = prim.bounds()
        if b is None or (isinstance(prim, Box) and prim.inside):
            rects.append(None)
            continue
        lo, hi = b
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        cam = corners @ w2c[:3, :3].T + w2c[:3, 3]
        if cam[:, 2].max() <= 1e-3:
            rects.append(False)
            continue
        if cam[:, 2].min() <= 1e-3:
            rects.append(None)
            continue
        px = camera.project(cam)
        x0, y0 = np.floor(px.min(axis=0)).astype(int) - 1
        x1, y1 = np.ceil(px.max(axis=0)).astype(int) + 2
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, camera.width), min(y1, camera.height)
        rects.append((slice(y0, y1), slice(x0, x1)) if x0 < x1 and y0 < y1 else False)
    return rects


def render_view(
    scene: Scene, camera: Camera, c2w: np.ndarray, timings: dict[str, float] | None = None
) -> View:
    """Render ``scene`` through ``camera`` posed by ``c2w`` (camera-to-world 4×4)."""
    clock = _Clock(timings)
    rays, length = camera_rays(camera, c2w)
    rects = screen_rects(scene, camera, c2w)
    t, prim = cast(scene.prims, rays, rects)
    clock("cast")

    hit = prim >= 0
    idx = np.flatnonzero(hit)
    th = t.reshape(-1).take(idx)
    dirs = np.stack([c.reshape(-1).take(idx) for c in rays.d], axis=1)
    origin = np.asarray(rays.o, dtype=np.float32)
    points = origin + th[:, None] * dirs
    pid = prim.reshape(-1).take(idx)
    normal = np.empty_like(points)
    uv = np.empty((len(idx), 2), np.float32)
    mat = np.empty(len(idx), np.int16)
    order = np.argsort(pid, kind="stable")
    bounds = np.searchsorted(pid[order], np.arange(len(scene.prims) + 1))
    for i in range(len(scene.prims)):
        sel = order[bounds[i] : bounds[i + 1]]
        if len(sel):
            normal[sel], uv[sel], mat[sel] = surface(scene.prims[i], points[sel])
    dist = th * length.reshape(-1).take(idx)
    clock("surface")

    unit = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    cos = np.abs(np.einsum("ij,ij->i", normal, unit))
    # metres per pixel on the surface; the geometric mean of the footprint's two axes, so
    # lines running away from the camera survive while sub-pixel detail fades
    fp = dist / (0.5 * (camera.fx + camera.fy)) / np.sqrt(np.maximum(cos, 0.05))
    color = np.empty_like(points)
    emissive = np.zeros(len(idx), bool)
    order = np.argsort(mat, kind="stable")
    mats, starts = np.unique(mat[order], return_index=True)
    for m, a, b in zip(mats, starts, [*starts[1:], len(order)], strict=True):
        sel = order[a:b]
        material = scene.materials[m]
        color[sel] = albedo(material, uv[sel, 0], uv[sel, 1], fp[sel])
        emissive[sel] = material.emissive
    clock("texture")

    light = light_factor(scene, points, normal)
    color = np.where(emissive[:, None], color, color * light[:, None])
    if scene.fog:
        f = (1 - np.exp(-dist / scene.fog))[:, None]
        color = color * (1 - f) + np.asarray(scene.sky[0], np.float32) * f
    clock("light")

    rgb = np.empty((t.size, 3), np.float32)
    rgb[idx] = color
    if len(idx) < t.size:
        miss = np.flatnonzero(~hit)
        rgb[miss] = _sky(scene, rays, miss)
    rgb = rgb.reshape((*t.shape, 3))
    rgb = clamp_red(rgb)
    out = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    z = np.where(hit, t, 0).astype(np.float32)
    depth = (z * length).astype(np.float32)
    clock("compose")
    return View(out, depth, z, prim)


def _sky(scene: Scene, rays: Rays, miss: np.ndarray) -> np.ndarray:
    """Colours (M, 3) of the rays that miss everything: a horizon-to-zenith gradient with soft
    clouds (indoor rays never get here)."""
    dx, dy, dz = (c.reshape(-1).take(miss) for c in rays.d)
    el = dz / np.sqrt(dx * dx + dy * dy + dz * dz)
    horizon = np.asarray(scene.sky[0], np.float32)
    zenith = np.asarray(scene.sky[1], np.float32)
    rgb = horizon + (zenith - horizon) * np.sqrt(np.clip(el * 1.6, 0, 1))[:, None]
    up = np.maximum(dz, 1e-3)
    clouds = noise(dx / up * 0.5, dy / up * 0.5, np.full(dx.shape, 0.01, np.float32), 1.0)
    clouds = (np.clip(clouds - 0.55, 0, 1) * 2 * (el > 0.02))[:, None]
    return (rgb + (0.95 - rgb) * clouds).astype(np.float32)


def clamp_red(rgb: np.ndarray) -> np.ndarray:
    """Desaturate red-dominant colours so no pixel can pass for a marker (R > 200, G, B < 60
    in 8 bits): R is capped at ``max(G, B) + RED_HEADROOM``."""
    cap = np.maximum(rgb[..., 1], rgb[..., 2]) + RED_HEADROOM
    rgb[..., 0] = np.minimum(rgb[..., 0], cap)
    return rgb


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        if self.timings is None:
            return
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now
