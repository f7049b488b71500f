"""Furniture of known size for the procedural rooms: tables (0.75 m), cabinets, shelves,
beds, sofas, chairs, stacked boxes, balls, plants, bins and rugs, placed without overlap
against a wall or free-standing (optionally turned)."""

from __future__ import annotations

import math

from depthlm.data.synth.scene import Box, Cylinder, Sphere, jitter, overlaps, pick
from depthlm.data.synth.textures import Material

PAINTS = [
    (0.86, 0.84, 0.78), (0.78, 0.78, 0.78), (0.72, 0.78, 0.85), (0.76, 0.81, 0.68),
    (0.88, 0.8, 0.62), (0.68, 0.64, 0.6), (0.58, 0.66, 0.7), (0.84, 0.74, 0.68),
]  # fmt: skip
WOODS = [((0.62, 0.45, 0.28), (0.45, 0.3, 0.17)), ((0.45, 0.3, 0.2), (0.3, 0.2, 0.12)),
         ((0.78, 0.66, 0.5), (0.62, 0.5, 0.36))]  # fmt: skip
FABRICS = [(0.3, 0.36, 0.5), (0.5, 0.48, 0.42), (0.35, 0.45, 0.35), (0.6, 0.55, 0.5),
           (0.25, 0.25, 0.28), (0.55, 0.4, 0.3), (0.45, 0.3, 0.38)]  # fmt: skip


def on_wall(rng, W, D, width, depth):
    """A spot against a random wall: centre (x, y), yaw so local +y faces the room, and the
    footprint. Returns None when the wall is too short."""
    side = int(rng.integers(4))
    length = D if side < 2 else W
    if length < width + 0.4:
        return None
    a = rng.uniform(0.2 + width / 2, length - 0.2 - width / 2)
    if side == 0:
        return (depth / 2, a, -math.pi / 2)
    if side == 1:
        return (W - depth / 2, a, math.pi / 2)
    if side == 2:
        return (a, depth / 2, 0.0)
    return (a, D - depth / 2, math.pi)


def _footprint(x, y, yaw, w, d):
    c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
    ex, ey = (c * w + s * d) / 2, (s * w + c * d) / 2
    return (x - ex, x + ex, y - ey, y + ey)


def _try_place(s, rng, W, D, placed, w, d, wall: bool):
    for _ in range(15):
        if wall:
            spot = on_wall(rng, W, D, w, d)
            if spot is None:
                continue
            x, y, yaw = spot
        else:
            if w + 1.3 > W or d + 1.3 > D:
                return None
            x = rng.uniform(0.6 + w / 2, W - 0.6 - w / 2)
            y = rng.uniform(0.6 + d / 2, D - 0.6 - d / 2)
            yaw = float(rng.uniform(-0.6, 0.6)) if rng.random() < 0.6 else 0.0
        fp = _footprint(x, y, yaw, w + 0.1, d + 0.1)
        if fp[0] > 0 and fp[1] < W and fp[2] > 0 and fp[3] < D and not overlaps(fp, placed):
            placed.append(fp)
            return x, y, yaw
    return None


def local_xy(x, y, yaw, dx, dy):
    """World xy of offset (dx along the piece's width, dy along its depth)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return x + c * dx - s * dy, y + s * dx + c * dy


def wood_material(s, rng) -> int:
    c1, c2 = pick(rng, WOODS)
    return s.add_material(
        Material("wood", jitter(rng, c1, 0.04), c2, float(rng.uniform(0.08, 0.15)))
    )


def _table(s, rng, W, D, placed):
    w, d, h = rng.uniform(0.9, 1.8), rng.uniform(0.6, 1.0), rng.uniform(0.72, 0.77)
    spot = _try_place(s, rng, W, D, placed, w, d, wall=False)
    if spot is None:
        return
    x, y, yaw = spot
    m = wood_material(s, rng)
    s.add(Box((x, y, h - 0.02), (w / 2, d / 2, 0.02), m, yaw), obstacle=True)
    for sx in (-1, 1):
        for sy in (-1, 1):
            lx, ly = local_xy(x, y, yaw, sx * (w / 2 - 0.06), sy * (d / 2 - 0.06))
            s.add(Box((lx, ly, (h - 0.04) / 2), (0.025, 0.025, (h - 0.04) / 2), m, yaw))
    if rng.random() < 0.5:  # something on the table
        m2 = s.add_material(Material("plain", jitter(rng, pick(rng, FABRICS)), scale=0.1))
        r = rng.uniform(0.06, 0.15)
        s.add(Sphere((x, y, h + r), r, m2))


def _cabinet(s, rng, W, D, placed):
    w, d, h = rng.uniform(0.6, 1.6), rng.uniform(0.35, 0.6), rng.uniform(0.75, 2.0)
    spot = _try_place(s, rng, W, D, placed, w, d, wall=True)
    if spot is None:
        return
    x, y, yaw = spot
    body = (
        wood_material(s, rng)
        if rng.random() < 0.5
        else s.add_material(Material("plain", jitter(rng, pick(rng, PAINTS)), scale=0.3))
    )
    col = s.materials[body].color
    front = s.add_material(Material("stripes", col, tuple(c * 0.7 for c in col), 0.3, param=1))
    s.add(
        Box((x, y, h / 2), (w / 2, d / 2, h / 2), (body, body, body, front, body, body), yaw),
        obstacle=True,
    )


def _shelf(s, rng, W, D, placed):
    w, d, h = rng.uniform(0.8, 2.0), rng.uniform(0.3, 0.4), rng.uniform(1.6, 2.2)
    spot = _try_place(s, rng, W, D, placed, w, d, wall=True)
    if spot is None:
        return
    x, y, yaw = spot
    body = wood_material(s, rng)
    a, b = jitter(rng, pick(rng, FABRICS), 0.1), jitter(rng, pick(rng, PAINTS), 0.1)
    books = s.add_material(Material("checker", a, b, float(rng.uniform(0.03, 0.06))))
    s.add(
        Box((x, y, h / 2), (w / 2, d / 2, h / 2), (body, body, body, books, body, body), yaw),
        obstacle=True,
    )


def _bed(s, rng, W, D, placed):
    w, d = rng.uniform(0.9, 1.8), 2.05
    spot = _try_place(s, rng, W, D, placed, w, d, wall=True)
    if spot is None:
        return
    x, y, yaw = spot
    frame = wood_material(s, rng)
    cover = s.add_material(
        Material("noise", jitter(rng, pick(rng, FABRICS)), (0.8, 0.8, 0.78), 0.3)
    )
    s.add(Box((x, y, 0.2), (w / 2, d / 2, 0.2), frame, yaw), obstacle=True)
    s.add(Box((x, y, 0.5), (w / 2 - 0.03, d / 2 - 0.05, 0.1), cover, yaw))
    hx, hy = local_xy(x, y, yaw, 0, -d / 2 + 0.04)
    s.add(Box((hx, hy, 0.5), (w / 2, 0.04, 0.5), frame, yaw))


def _sofa(s, rng, W, D, placed):
    w, d = rng.uniform(1.6, 2.4), 0.9
    spot = _try_place(s, rng, W, D, placed, w, d, wall=rng.random() < 0.7)
    if spot is None:
        return
    x, y, yaw = spot
    fab = s.add_material(Material("noise", jitter(rng, pick(rng, FABRICS)), (0.2, 0.2, 0.22), 0.2))
    s.add(Box((x, y, 0.22), (w / 2, d / 2, 0.22), fab, yaw), obstacle=True)
    bx, by = local_xy(x, y, yaw, 0, -d / 2 + 0.1)
    s.add(Box((bx, by, 0.43), (w / 2, 0.1, 0.43), fab, yaw))
    for sx in (-1, 1):
        ax, ay = local_xy(x, y, yaw, sx * (w / 2 - 0.1), 0)
        s.add(Box((ax, ay, 0.32), (0.1, d / 2, 0.32), fab, yaw))


def _chair(s, rng, W, D, placed):
    spot = _try_place(s, rng, W, D, placed, 0.5, 0.5, wall=False)
    if spot is None:
        return
    x, y, yaw = spot
    m = (
        wood_material(s, rng)
        if rng.random() < 0.5
        else s.add_material(Material("plain", jitter(rng, pick(rng, FABRICS)), scale=0.2))
    )
    s.add(Box((x, y, 0.46), (0.23, 0.23, 0.025), m, yaw), obstacle=True)
    bx, by = local_xy(x, y, yaw, 0, -0.21)
    s.add(Box((bx, by, 0.72), (0.23, 0.025, 0.24), m, yaw))
    metal = s.add_material(Material("plain", (0.25, 0.25, 0.27), scale=0.2))
    s.add(Cylinder(x, y, 0.03, 0.05, 0.44, metal))
    s.add(Cylinder(x, y, 0.28, 0.0, 0.05, metal))


def _boxes(s, rng, W, D, placed):
    a = rng.uniform(0.3, 0.6)
    spot = _try_place(s, rng, W, D, placed, a, a, wall=False)
    if spot is None:
        return
    x, y, yaw = spot
    m = s.add_material(
        Material("noise", jitter(rng, (0.62, 0.48, 0.32), 0.04), (0.5, 0.38, 0.25), 0.2)
    )
    z = 0.0
    for _ in range(int(rng.integers(1, 4))):
        s.add(
            Box((x, y, z + a / 2), (a / 2, a / 2, a / 2), m, yaw + rng.uniform(-0.2, 0.2)),
            obstacle=True,
        )
        z += a
        a *= rng.uniform(0.6, 0.95)


def _ball(s, rng, W, D, placed):
    r = rng.uniform(0.1, 0.35)
    spot = _try_place(s, rng, W, D, placed, 2 * r, 2 * r, wall=False)
    if spot is None:
        return
    a, b = jitter(rng, pick(rng, PAINTS), 0.1), jitter(rng, pick(rng, FABRICS), 0.1)
    m = s.add_material(Material("stripes", a, b, float(r / 2)))
    s.add(Sphere((spot[0], spot[1], r), r, m), obstacle=True)


def _plant(s, rng, W, D, placed):
    r, h = rng.uniform(0.15, 0.25), rng.uniform(0.3, 0.55)
    spot = _try_place(s, rng, W, D, placed, 2 * r, 2 * r, wall=rng.random() < 0.5)
    if spot is None:
        return
    x, y, _ = spot
    pot = s.add_material(Material("plain", jitter(rng, (0.55, 0.4, 0.3)), scale=0.2))
    leaves = s.add_material(
        Material("noise", jitter(rng, (0.2, 0.42, 0.18)), (0.1, 0.25, 0.08), 0.08)
    )
    s.add(Cylinder(x, y, r, 0, h, pot), obstacle=True)
    crown = rng.uniform(0.18, 0.35)
    s.add(Sphere((x, y, h + crown * 0.8), crown, leaves))


def _bin(s, rng, W, D, placed):
    spot = _try_place(s, rng, W, D, placed, 0.3, 0.3, wall=rng.random() < 0.5)
    if spot is None:
        return
    m = s.add_material(Material("plain", jitter(rng, pick(rng, PAINTS), 0.1), scale=0.2))
    s.add(Cylinder(spot[0], spot[1], 0.15, 0, rng.uniform(0.3, 0.45), m), obstacle=True)


def _rug(s, rng, W, D, placed):
    """A thin rug (no obstacle: furniture may stand on it, cameras above it)."""
    w, d = rng.uniform(1.2, 3.0), rng.uniform(0.8, 2.0)
    if w + 1.0 > W or d + 1.0 > D:
        return
    x, y = rng.uniform(0.5 + w / 2, W - 0.5 - w / 2), rng.uniform(0.5 + d / 2, D - 0.5 - d / 2)
    a, b = jitter(rng, pick(rng, FABRICS), 0.08), jitter(rng, pick(rng, PAINTS), 0.05)
    pattern = pick(rng, ["stripes", "checker", "noise"])
    m = s.add_material(Material(pattern, a, b, float(rng.uniform(0.1, 0.3))))
    s.add(Box((x, y, 0.006), (w / 2, d / 2, 0.006), m, float(rng.uniform(-0.3, 0.3))))


#: every furniture maker: ``maker(scene, rng, room_w, room_d, placed_footprints)``
MAKERS = [_table, _cabinet, _shelf, _bed, _sofa, _chair, _boxes, _ball, _plant, _bin, _rug]
