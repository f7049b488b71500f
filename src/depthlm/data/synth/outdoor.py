"""Procedural streets along +y: road with lane markings, kerbs and pavements, buildings with
3 m storeys of windows, cars (1.5 m high), vans, street lamps, trees, signs and people (1.7 m),
under a sky with sun and distance fog."""

from __future__ import annotations

import math

import numpy as np

from depthlm.data.synth.scene import Box, Cylinder, Plane, Scene, Sphere, jitter, pick
from depthlm.data.synth.textures import Material

FACADES = [
    (0.82, 0.78, 0.7), (0.7, 0.7, 0.7), (0.85, 0.8, 0.62), (0.62, 0.5, 0.42),
    (0.55, 0.6, 0.66), (0.78, 0.72, 0.66), (0.5, 0.48, 0.46), (0.74, 0.8, 0.76),
]  # fmt: skip
CARS = [
    (0.75, 0.75, 0.77), (0.92, 0.92, 0.9), (0.12, 0.12, 0.13), (0.18, 0.26, 0.45),
    (0.2, 0.35, 0.25), (0.45, 0.2, 0.18), (0.85, 0.75, 0.3), (0.4, 0.42, 0.45),
]  # fmt: skip
CLOTHES = [(0.2, 0.22, 0.3), (0.6, 0.55, 0.45), (0.3, 0.3, 0.3), (0.45, 0.25, 0.22),
           (0.25, 0.4, 0.55), (0.75, 0.72, 0.65)]  # fmt: skip


def outdoor_scene(rng: np.random.Generator) -> Scene:
    """A street 6–14 m wide with 1.5–3.5 m pavements, 60–150 m of buildings each side."""
    rw, sw = rng.uniform(6, 14), rng.uniform(1.5, 3.5)
    length = rng.uniform(60, 150)
    s = Scene("outdoor", ambient=float(rng.uniform(0.35, 0.5)))
    overcast = rng.random() < 0.3
    s.sky = (
        ((0.8, 0.8, 0.82), (0.6, 0.62, 0.66))
        if overcast
        else (jitter(rng, (0.78, 0.85, 0.92), 0.03), jitter(rng, (0.38, 0.56, 0.86), 0.05))
    )
    if overcast:
        s.ambient = float(rng.uniform(0.55, 0.7))
    s.fog = float(rng.uniform(150, 600))
    az, el = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(20, 65))
    s.light = (math.cos(az) * math.cos(el), math.sin(az) * math.cos(el), math.sin(el))

    asphalt = jitter(rng, (0.3, 0.3, 0.32), 0.04)
    zebra = int(rng.uniform(8, 60)) if rng.random() < 0.5 else 0  # y of a zebra crossing
    paving = jitter(rng, (0.6, 0.58, 0.55))
    road = s.add_material(Material("road", asphalt, paving, 1.0, rw, seed=zebra))
    s.add(Plane(0.0, road))
    pave_c = jitter(rng, (0.66, 0.64, 0.6), 0.05)
    pave = s.add_material(
        Material("checker", pave_c, tuple(c * 0.9 for c in pave_c), float(rng.uniform(0.3, 0.6)))
    )
    y0 = -25.0
    for side in (-1, 1):
        x = side * (rw / 2 + sw / 2)
        s.add(Box((x, (y0 + length) / 2, 0.075), (sw / 2, (length - y0) / 2, 0.075), pave))
    s.region = (-(rw / 2 + sw - 0.4), rw / 2 + sw - 0.4, -5.0, 25.0, 1.2, 8.0)
    s.heading, s.free_heading = (math.pi / 2 - 0.6, math.pi / 2 + 0.6), 0.25
    s.clearance = 1.0

    for side in (-1, 1):
        _buildings(s, rng, side, rw / 2 + sw, y0, length)
    if rng.random() < 0.6:  # a building closing the street
        yb = length + rng.uniform(5, 20)
        m = _facade(s, rng)
        h = rng.uniform(8, 30)
        s.add(Box((0, yb + 8, h / 2), (60, 8, h / 2), (m, m, m, m, m, m)))
    _cars(s, rng, rw, length)
    _lamps(s, rng, rw, length)
    if rng.random() < 0.6:
        _trees(s, rng, rw, sw, length)
    _people(s, rng, rw, sw)
    _signs(s, rng, rw)
    return s


def _facade(s, rng) -> int:
    wall = jitter(rng, pick(rng, FACADES), 0.04)
    frame = pick(rng, [(0.9, 0.9, 0.88), (0.2, 0.2, 0.22), tuple(c * 0.7 for c in wall)])
    spacing, storey = float(rng.uniform(2.4, 4.0)), float(rng.uniform(2.9, 3.4))
    return s.add_material(
        Material("facade", wall, frame, spacing, storey, seed=int(rng.integers(999)))
    )


def _buildings(s, rng, side, x_in, y0, length):
    y = y0
    roof = s.add_material(Material("plain", jitter(rng, (0.4, 0.4, 0.42)), scale=1.0))
    while y < length:
        w = rng.uniform(12, 30)
        if rng.random() < 0.15:
            y += rng.uniform(4, 12)  # a gap between buildings
            continue
        setback = rng.uniform(0, 2.5) if rng.random() < 0.4 else 0.0
        depth = rng.uniform(8, 16)
        storey_m = _facade(s, rng)
        floors = int(rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8]))
        h = floors * s.materials[storey_m].param + rng.uniform(0.3, 1.5)
        xc = side * (x_in + setback + depth / 2)
        f = storey_m
        s.add(Box((xc, y + w / 2, h / 2), (depth / 2, w / 2, h / 2), (f, f, f, f, f, roof)))
        y += w


def _cars(s, rng, rw, length):
    # kerbside parking and, on wide roads, a driving lane each way; narrow roads: one per way
    lanes = [s_ * (rw / 2 - 1.1) for s_ in (-1, 1)] + [s_ * (rw / 2 - 3.7) for s_ in (-1, 1)]
    if rw < 9.4:
        lanes = [-rw / 4, rw / 4]
    taken: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(lanes))}
    glass = s.add_material(Material("plain", (0.14, 0.17, 0.21), scale=0.5))
    tyre = s.add_material(Material("plain", (0.08, 0.08, 0.09), scale=0.5))
    for _ in range(int(rng.integers(2, 9))):
        lane = int(rng.integers(len(lanes)))
        van = rng.random() < 0.15
        L = rng.uniform(5.0, 7.0) if van else rng.uniform(3.8, 4.8)
        W = rng.uniform(1.95, 2.3) if van else rng.uniform(1.7, 1.9)
        y = rng.uniform(-8, length * 0.7)
        if any(abs(y - o) < (L + ol) / 2 + 1.0 for o, ol in taken[lane]):
            continue
        taken[lane].append((y, L))
        x, yaw = lanes[lane] + rng.uniform(-0.2, 0.2), float(rng.uniform(-0.05, 0.05))
        paint = s.add_material(Material("plain", jitter(rng, pick(rng, CARS), 0.03), scale=0.5))
        s.add(Box((x, y, 0.17), (W / 2 - 0.08, L / 2 - 0.5, 0.17), tyre, yaw))
        if van:
            top = rng.uniform(2.2, 2.8)
            s.add(
                Box((x, y, (top + 0.3) / 2), (W / 2, L / 2, (top - 0.3) / 2), paint, yaw),
                obstacle=True,
            )
            continue
        body_top, roof = rng.uniform(0.92, 1.02), rng.uniform(1.42, 1.55)
        s.add(
            Box((x, y, (body_top + 0.3) / 2), (W / 2, L / 2, (body_top - 0.3) / 2), paint, yaw),
            obstacle=True,
        )
        cy = y - math.cos(yaw) * L * 0.05
        cab = (glass, glass, glass, glass, paint, paint)
        s.add(
            Box(
                (x, cy, (body_top + roof) / 2),
                (W / 2 - 0.08, L * 0.27, (roof - body_top) / 2),
                cab,
                yaw,
            )
        )


def _lamps(s, rng, rw, length):
    metal = s.add_material(Material("plain", jitter(rng, (0.3, 0.32, 0.3)), scale=0.5))
    bulb = s.add_material(Material("plain", (0.95, 0.93, 0.85), scale=0.2, emissive=True))
    spacing = rng.uniform(20, 35)
    sides = (-1, 1) if rng.random() < 0.5 else (pick(rng, [-1, 1]),)
    h = rng.uniform(5, 8)
    for side in sides:
        y = rng.uniform(-5, 10)
        while y < min(length, 80):
            x = side * (rw / 2 + 0.4)
            s.add(Cylinder(x, y, 0.09, 0, h, metal), obstacle=True)
            s.add(Sphere((x - side * 0.35, y, h + 0.05), 0.22, bulb))
            y += spacing


def _trees(s, rng, rw, sw, length):
    bark = s.add_material(Material("noise", (0.35, 0.27, 0.2), (0.22, 0.16, 0.12), 0.1))
    side = pick(rng, [-1, 1])
    y = rng.uniform(-3, 8)
    while y < min(length, 70):
        leaves = s.add_material(
            Material("noise", jitter(rng, (0.25, 0.45, 0.2), 0.05), (0.1, 0.24, 0.08), 0.3)
        )
        x = side * (rw / 2 + sw * 0.6)
        trunk, crown = rng.uniform(2.0, 3.2), rng.uniform(1.2, 2.2)
        s.add(Cylinder(x, y, rng.uniform(0.12, 0.2), 0, trunk + 0.3, bark), obstacle=True)
        s.add(Sphere((x, y, trunk + crown * 0.8), crown, leaves))
        y += rng.uniform(9, 16)


def _people(s, rng, rw, sw):
    skin = s.add_material(Material("plain", jitter(rng, (0.7, 0.56, 0.45), 0.08), scale=0.1))
    for _ in range(int(rng.integers(0, 5))):
        side = pick(rng, [-1, 1])
        x = side * (rw / 2 + rng.uniform(0.4, sw - 0.3))
        y = rng.uniform(0, 45)
        h = rng.uniform(1.6, 1.85)  # standing height, on the 0.15 m kerb
        cloth = s.add_material(Material("plain", jitter(rng, pick(rng, CLOTHES), 0.05), scale=0.2))
        s.add(Cylinder(x, y, 0.2, 0.15, 0.15 + h - 0.24, cloth), obstacle=True)
        s.add(Sphere((x, y, 0.15 + h - 0.12), 0.11, skin))


def _signs(s, rng, rw):
    metal = s.add_material(Material("plain", (0.55, 0.56, 0.58), scale=0.2))
    for _ in range(int(rng.integers(0, 3))):
        side = pick(rng, [-1, 1])
        x, y = side * (rw / 2 + 0.3), rng.uniform(5, 60)
        face = pick(rng, [(0.15, 0.3, 0.65), (0.92, 0.8, 0.2), (0.92, 0.92, 0.9)])
        m = s.add_material(Material("plain", face, scale=0.2))
        s.add(Cylinder(x, y, 0.04, 0, 2.3, metal), obstacle=True)
        s.add(Box((x, y, 2.55), (0.03, 0.3, 0.3), m))
