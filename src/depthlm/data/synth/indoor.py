"""Procedural rooms: walls, floor and ceiling, doors (2 m) and windows, a ceiling lamp, and
furniture of known size (see :mod:`depthlm.data.synth.furniture`)."""

from __future__ import annotations

import numpy as np

from depthlm.data.synth.furniture import (
    FABRICS,
    MAKERS,
    PAINTS,
    WOODS,
    local_xy,
    on_wall,
    wood_material,
)
from depthlm.data.synth.scene import Box, Cylinder, Scene, Sphere, jitter, overlaps, pick
from depthlm.data.synth.textures import Material


def _wall(rng) -> Material:
    paint = jitter(rng, pick(rng, PAINTS), 0.04)
    r = rng.random()
    if r < 0.5:
        return Material("plain", paint, scale=0.5, seed=int(rng.integers(1 << 20)))
    if r < 0.7:
        other = jitter(rng, tuple(c * 0.85 for c in paint), 0.03)
        return Material("stripes", paint, other, scale=float(rng.uniform(0.06, 0.25)))
    if r < 0.85:
        brick = jitter(rng, (0.6, 0.4, 0.3), 0.06)
        return Material(
            "bricks", brick, (0.78, 0.76, 0.72), 0.225, 0.075, seed=int(rng.integers(99))
        )
    tile = jitter(rng, (0.85, 0.86, 0.85), 0.05)
    return Material("checker", tile, tuple(c * 0.9 for c in tile), float(rng.uniform(0.15, 0.3)))


def _floor(rng) -> Material:
    r = rng.random()
    if r < 0.45:
        c1, c2 = pick(rng, WOODS)
        return Material("wood", jitter(rng, c1, 0.04), c2, float(rng.uniform(0.09, 0.2)))
    if r < 0.75:
        a = jitter(rng, pick(rng, [(0.85, 0.85, 0.82), (0.7, 0.68, 0.62), (0.5, 0.5, 0.52)]))
        b = jitter(rng, pick(rng, [(0.25, 0.25, 0.27), (0.6, 0.58, 0.55), (0.4, 0.42, 0.48)]))
        return Material("checker", a, b, float(rng.uniform(0.25, 0.6)))
    c = jitter(rng, pick(rng, FABRICS))
    return Material("noise", c, tuple(v * 0.75 for v in c), 0.25)


def indoor_scene(rng: np.random.Generator) -> Scene:
    """A room 3–8 m × 4–12 m (a quarter are halls up to 16 × 30 m) with furniture."""
    hall = rng.random() < 0.25
    W = rng.uniform(8, 16) if hall else rng.uniform(3, 8)
    D = rng.uniform(12, 30) if hall else rng.uniform(4, 12)
    H = rng.uniform(3.2, 5.5) if hall else rng.uniform(2.4, 3.2)
    s = Scene("indoor", ambient=float(rng.uniform(0.4, 0.55)))
    wall = s.add_material(_wall(rng))
    accent = s.add_material(_wall(rng)) if rng.random() < 0.4 else wall
    floor = s.add_material(_floor(rng))
    ceil_c = jitter(rng, (0.9, 0.9, 0.88), 0.03)
    ceiling = s.add_material(
        Material("checker", ceil_c, tuple(c * 0.93 for c in ceil_c), 0.6)
        if rng.random() < 0.4
        else Material("plain", ceil_c, scale=1.0)
    )
    walls = [wall, wall, wall, wall]
    walls[int(rng.integers(4))] = accent
    s.add(Box((W / 2, D / 2, H / 2), (W / 2, D / 2, H / 2), (*walls, floor, ceiling), inside=True))
    s.region = (0.4, W - 0.4, 0.4, D - 0.4, 0.7, min(2.0, H - 0.3))
    lamp = s.add_material(Material("plain", (0.98, 0.97, 0.92), emissive=True))
    lx, ly = rng.uniform(1, W - 1), rng.uniform(1, D - 1)
    s.add(Box((lx, ly, H - 0.01), (0.3, 0.3, 0.01), lamp))
    s.light, s.point_light = (float(lx), float(ly), float(H - 0.3)), True

    for _ in range(int(rng.integers(1, 4))):
        _door(s, rng, W, D)
    for _ in range(int(rng.integers(0, 3))):
        _window(s, rng, W, D)
    placed: list[tuple[float, float, float, float]] = []
    n_items = int(rng.integers(5, 11)) + (5 if hall else 0)
    for _ in range(n_items):
        pick(rng, MAKERS)(s, rng, W, D, placed)
    if hall:
        for _ in range(int(rng.integers(1, 5))):
            x, y = rng.uniform(1.5, W - 1.5), rng.uniform(1.5, D - 1.5)
            if not overlaps((x - 0.5, x + 0.5, y - 0.5, y + 0.5), placed):
                m = s.add_material(Material("plain", jitter(rng, (0.8, 0.8, 0.78)), scale=0.5))
                s.add(Cylinder(x, y, rng.uniform(0.2, 0.4), 0, H, m), obstacle=True)
                placed.append((x - 0.5, x + 0.5, y - 0.5, y + 0.5))
    return s


def _door(s, rng, W, D):
    w, h = rng.uniform(0.8, 1.0), rng.uniform(2.0, 2.1)
    spot = on_wall(rng, W, D, w + 0.2, 0.06)
    if spot is None:
        return
    x, y, yaw = spot
    frame = s.add_material(Material("plain", jitter(rng, (0.9, 0.9, 0.88), 0.03), scale=0.3))
    leaf = (
        wood_material(s, rng)
        if rng.random() < 0.5
        else s.add_material(Material("plain", jitter(rng, pick(rng, PAINTS), 0.08), scale=0.3))
    )
    fx, fy = local_xy(x, y, yaw, 0, -0.02)
    s.add(Box((fx, fy, (h + 0.06) / 2), (w / 2 + 0.06, 0.02, (h + 0.06) / 2), frame, yaw))
    s.add(Box((x, y, h / 2), (w / 2, 0.03, h / 2), leaf, yaw))
    kx, ky = local_xy(x, y, yaw, w / 2 - 0.1, 0.07)
    knob = s.add_material(Material("plain", (0.7, 0.66, 0.5), scale=0.05))
    s.add(Sphere((kx, ky, 1.0), 0.035, knob))


def _window(s, rng, W, D):
    w, h = rng.uniform(0.8, 2.0), rng.uniform(1.0, 1.6)
    spot = on_wall(rng, W, D, w + 0.2, 0.04)
    if spot is None:
        return
    x, y, yaw = spot
    bottom = rng.uniform(0.8, 1.0)
    frame = s.add_material(Material("plain", (0.92, 0.92, 0.9), scale=0.3))
    glass = s.add_material(
        Material("glass", (0.75, 0.85, 0.95), (0.55, 0.65, 0.7), 1.0, emissive=True)
    )
    fx, fy = local_xy(x, y, yaw, 0, -0.01)
    s.add(Box((fx, fy, bottom + h / 2), (w / 2 + 0.06, 0.02, h / 2 + 0.06), frame, yaw))
    s.add(Box((x, y, bottom + h / 2), (w / 2, 0.02, h / 2), glass, yaw))
