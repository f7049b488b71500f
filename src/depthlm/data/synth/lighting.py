"""Direct light with hard shadows: a sun (outdoor) or a ceiling lamp (indoor), plus ambient.

Shadow rays are culled in light space: every shaded point and every caster's bounding box are
projected onto a plane facing the light (orthographic for the sun, perspective from the lamp),
points are sorted along one axis once, and each caster only tests the points whose projection
falls inside its own projected box and lie beyond it. A caster thus costs the area of its
shadow, not the whole image.
"""

from __future__ import annotations

import numpy as np

from depthlm.data.synth.raycast import Rays, intersect
from depthlm.data.synth.scene import Box, Plane, Primitive, Scene

SHADOW = 0.15  # fraction of direct light left in shadow
LAMP_RANGE = 6.0  # metres at which the lamp's light has halved


def is_shell(prim: Primitive) -> bool:
    """Rooms and the ground enclose the scene and never cast shadows inside it."""
    return isinstance(prim, Plane) or (isinstance(prim, Box) and prim.inside)


def light_factor(scene: Scene, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Light reaching hit points ``p`` (N, 3) with normals ``n``: ambient (hemisphere tinted)
    plus lambert from the scene's light, times the shadow term."""
    if scene.point_light:
        amb = scene.ambient * (0.9 + 0.1 * np.abs(n[:, 2]))
        to = np.asarray(scene.light, np.float32) - p
        r = np.linalg.norm(to, axis=1)
        lam = np.maximum(np.einsum("ij,ij->i", n, to) / r, 0) / (1 + (r / LAMP_RANGE) ** 2) * 1.3
        lam = lam + 0.25 * np.maximum(n @ np.array([0.6, 0.3, 0.74], np.float32), 0)
    else:
        amb = scene.ambient * (0.85 + 0.15 * n[:, 2])
        lam = np.maximum(n @ np.asarray(scene.light, np.float32), 0)
    lit = np.flatnonzero(lam > 0)
    if len(lit):
        start = p[lit] + n[lit] * np.float32(0.01)
        lam[lit[shadowed(scene, start)]] *= SHADOW
    return (amb + (1 - scene.ambient) * lam).astype(np.float32)


def _basis(scene: Scene) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.asarray(scene.light, dtype=np.float64)
    a = np.cross(s, [0.0, 0.0, 1.0])
    a = a / np.linalg.norm(a) if np.linalg.norm(a) > 1e-6 else np.array([1.0, 0.0, 0.0])
    return tuple(x.astype(np.float32) for x in (s, a, np.cross(s, a)))


def _light_space(scene: Scene, q: np.ndarray, basis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points (M, 3) → 2D light-space coordinates, a key that grows away from the light, and
    whether the mapping is valid (below the lamp plane for a point light)."""
    if scene.point_light:
        light = np.asarray(scene.light, dtype=q.dtype)
        below = light[2] - q[:, 2]
        ok = below > 0.05
        safe = np.where(ok, below, 1.0)
        uv = (q[:, :2] - light[:2]) / safe[:, None]
        return uv, below, ok
    s, a, b = basis
    return np.stack([q @ a, q @ b], axis=1), -(q @ s), np.ones(len(q), bool)


def _casters(scene: Scene) -> list[tuple[Primitive, tuple[float, ...] | None]]:
    """Shadow casters with their light-space box ``(umin, umax, vmin, vmax, keymin)`` (None:
    unbounded, test every point); depends on the scene only, so computed once per scene."""
    if "casters" in scene.cache:
        return scene.cache["casters"]
    basis = _basis(scene)
    out = []
    for prim in scene.prims:
        if is_shell(prim):
            continue
        lo, hi = prim.bounds()
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        cuv, ckey, cok = _light_space(scene, corners, basis)
        box = None
        if cok.all():
            box = (*cuv.min(axis=0), *cuv.max(axis=0), ckey.min())
            box = tuple(float(v) for v in (box[0], box[2], box[1], box[3], box[4]))
        out.append((prim, box))
    scene.cache["casters"] = out
    scene.cache["basis"] = basis
    return out


def shadowed(scene: Scene, start: np.ndarray) -> np.ndarray:
    """Whether the light is blocked for each point of ``start`` (N, 3)."""
    casters = _casters(scene)
    out = np.zeros(len(start), bool)
    if not casters or not len(start):
        return out
    uv, key, ok = _light_space(scene, start, scene.cache["basis"])
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(uv[idx, 0])]
    # everything in sorted order, one contiguous array per coordinate: a caster's candidates
    # are then a slice, filtered by a mask, and only the survivors are gathered
    u = np.ascontiguousarray(uv[order, 0])
    v = np.ascontiguousarray(uv[order, 1])
    k = np.ascontiguousarray(key[order])
    px, py, pz = (np.ascontiguousarray(start[order, i]) for i in range(3))
    hit = np.zeros(len(order), bool)
    light = tuple(np.float32(c) for c in scene.light)  # float32 scalars keep arrays float32
    tmax = 1.0 if scene.point_light else np.inf
    for prim, box in casters:
        if box is None:
            out |= _unbounded(scene, prim, start, light, tmax)
            continue
        umin, umax, vmin, vmax, kmin = box
        i0, i1 = np.searchsorted(u, [umin, umax])
        if i1 <= i0:
            continue
        m = (v[i0:i1] >= vmin) & (v[i0:i1] <= vmax) & (k[i0:i1] > kmin) & ~hit[i0:i1]
        sel = np.flatnonzero(m) + i0
        if not len(sel):
            continue
        o = (px.take(sel), py.take(sel), pz.take(sel))
        d = tuple(lc - oc for lc, oc in zip(light, o, strict=True)) if scene.point_light else light
        t = intersect(prim, Rays(o, d))
        hit[sel[t < tmax]] = True
    out[order[hit]] = True
    return out


def _unbounded(scene, prim, start, light, tmax) -> np.ndarray:
    """Shadow test of every point against a caster with no light-space box."""
    o = tuple(start.T)
    d = tuple(lc - oc for lc, oc in zip(light, o, strict=True)) if scene.point_light else light
    return intersect(prim, Rays(o, d)) < tmax
