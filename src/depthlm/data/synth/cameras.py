"""Camera sampling: varied intrinsics (the camera-ambiguity problem), poses and sequences.

Camera frame as in :mod:`depthlm.geometry.camera`: x right, y down, z forward. World: z up.
``camera_to_world`` is the 4×4 matrix taking camera-frame points to world points; its last
column is the camera centre.
"""

from __future__ import annotations

import math

import numpy as np

from depthlm.data.synth.scene import Scene
from depthlm.geometry.camera import Camera

ASPECTS = (1.0, 4 / 3, 16 / 10)  # width / height
FOCAL_RANGE = (0.5, 2.0)  # focal as a multiple of the image width


def sample_intrinsics(rng: np.random.Generator, size: int) -> Camera:
    """Width ``size``; aspect from :data:`ASPECTS`; focal log-uniform in 0.5–2× the width
    (90°–28° horizontal field of view); principal point up to 8 % off centre; 25 % of cameras
    have fx ≠ fy (up to ±10 %). Values are rounded to 0.01 px so records store them exactly."""
    w = int(size)
    h = round(size / ASPECTS[int(rng.integers(len(ASPECTS)))])
    lo, hi = (math.log(f) for f in FOCAL_RANGE)
    fx = round(w * math.exp(rng.uniform(lo, hi)), 2)
    fy = round(fx * rng.uniform(0.9, 1.1), 2) if rng.random() < 0.25 else fx
    cx = round(w / 2 + rng.uniform(-0.08, 0.08) * w, 2)
    cy = round(h / 2 + rng.uniform(-0.08, 0.08) * h, 2)
    return Camera(fx, fy, cx, cy, w, h)


def _zoom(cam: Camera, rng: np.random.Generator) -> Camera:
    """The same camera with a new focal length (same range, same fy/fx ratio)."""
    lo, hi = (math.log(f) for f in FOCAL_RANGE)
    fx = round(cam.width * math.exp(rng.uniform(lo, hi)), 2)
    return Camera(fx, round(cam.fy * fx / cam.fx, 2), cam.cx, cam.cy, cam.width, cam.height)


def look_pose(position, yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """``camera_to_world`` for a camera at ``position`` heading ``yaw`` (radians from +x towards
    +y), tilted up by ``pitch`` and rolled clockwise by ``roll``."""
    cp, sp = math.cos(pitch), math.sin(pitch)
    forward = np.array([math.cos(yaw) * cp, math.sin(yaw) * cp, sp])
    right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
    down = np.cross(forward, right)
    cr, sr = math.cos(roll), math.sin(roll)
    right, down = cr * right + sr * down, -sr * right + cr * down
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, down, forward, position
    return m


def _heading(scene: Scene, rng: np.random.Generator) -> float:
    if rng.random() < scene.free_heading:
        return rng.uniform(0, 2 * math.pi)
    return rng.uniform(*scene.heading)


def _position(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    x0, x1, y0, y1, z0, z1 = scene.region
    for _ in range(200):
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1), rng.uniform(z0, z1)])
        if scene.kind == "outdoor" and rng.random() < 0.8:  # mostly eye or dashboard height
            p[2] = rng.uniform(z0, min(z1, 2.0))
        if scene.free(p):
            return p
    raise RuntimeError("no free camera position in this scene")


def _indoor_target(scene: Scene, rng: np.random.Generator, p: np.ndarray) -> np.ndarray | None:
    """A point to look at: a piece of furniture (60 %) or a far spot of the floor or walls."""
    x0, x1, y0, y1, _, _ = scene.region
    centres = [((o.xmin + o.xmax) / 2, (o.ymin + o.ymax) / 2) for o in scene.obstacles]
    items = [o for o, c in zip(scene.obstacles, centres, strict=True) if math.dist(c, p[:2]) > 1.5]
    if items and rng.random() < 0.6:
        o = items[int(rng.integers(len(items)))]
        return np.array([(o.xmin + o.xmax) / 2, (o.ymin + o.ymax) / 2, o.top * 0.6])
    for _ in range(20):
        target = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1), rng.uniform(0.0, 1.4)])
        if np.hypot(*(target[:2] - p[:2])) > 2.5:
            return target
    return None


def sample_pose(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """A first view: free position, heading per the scene's preference, pitch −25°…+8°
    (looking down more from high up), roll up to ±6°."""
    p = _position(scene, rng)
    yaw = _heading(scene, rng)
    high = p[2] > 2.5
    pitch = math.radians(rng.uniform(-35, -5) if high else rng.uniform(-25, 8))
    if scene.kind == "indoor":  # aim at furniture or across the room, not at a wall 0.5 m away
        target = _indoor_target(scene, rng, p)
        if target is not None:
            flat = float(np.hypot(*(target[:2] - p[:2])))
            yaw = math.atan2(target[1] - p[1], target[0] - p[0]) + math.radians(rng.normal(0, 8))
            pitch = math.atan2(target[2] - p[2], flat) + math.radians(rng.uniform(-6, 10))
    roll = math.radians(rng.uniform(-6, 6)) if rng.random() < 0.7 else 0.0
    return look_pose(p, yaw, pitch, roll)


def next_pose(scene: Scene, rng: np.random.Generator, c2w: np.ndarray) -> np.ndarray:
    """Another view of the same scene: a step of known metric length (0.2–1.5 m indoors,
    0.5–6 m outdoors, mostly forward) and a small turn."""
    forward = c2w[:3, 2]
    yaw0 = math.atan2(forward[1], forward[0])
    pitch0 = math.asin(float(np.clip(forward[2], -1, 1)))
    roll0 = math.atan2(-c2w[2, 0], -c2w[2, 1])
    lo, hi = (0.2, 1.5) if scene.kind == "indoor" else (0.5, 6.0)
    for attempt in range(60):
        step = rng.uniform(lo, hi) * (0.97**attempt)
        heading = yaw0 + rng.normal(0, 0.9)
        move = np.array([math.cos(heading), math.sin(heading), rng.uniform(-0.15, 0.15)]) * step
        p = c2w[:3, 3] + move
        if scene.free(p):
            yaw = yaw0 + math.radians(rng.uniform(-15, 15))
            pitch = float(np.clip(pitch0 + math.radians(rng.uniform(-5, 5)), -0.7, 0.3))
            roll = roll0 + math.radians(rng.uniform(-2, 2))
            return look_pose(p, yaw, pitch, roll)
    return look_pose(c2w[:3, 3], yaw0 + math.radians(rng.uniform(-25, 25)), pitch0, roll0)


def sample_views(
    scene: Scene, rng: np.random.Generator, views: int, size: int
) -> list[tuple[Camera, np.ndarray]]:
    """``views`` cameras of one scene. Half of the sequences keep one camera; the others zoom
    (a new focal length per view), so the same place is seen at different focal lengths."""
    cam = sample_intrinsics(rng, size)
    zoom = rng.random() < 0.5
    out = []
    c2w = sample_pose(scene, rng)
    for k in range(views):
        if k:
            c2w = next_pose(scene, rng, c2w)
            if zoom:
                cam = _zoom(cam, rng)
        out.append((cam, c2w))
    return out
