"""Scene description: analytic primitives, materials, light and where a camera may stand.

World frame: metres, z up, ground at z = 0. Primitives are plain values; ray casting lives in
:mod:`depthlm.data.synth.raycast`, looks in :mod:`depthlm.data.synth.textures`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from depthlm.data.synth.textures import Material

Vec3 = tuple[float, float, float]


def _floats(obj: object, *names: str) -> None:
    """Store parameters as Python floats: NumPy float64 scalars would silently promote the
    float32 ray arrays to float64 and halve the speed."""
    for name in names:
        v = getattr(obj, name)
        v = tuple(float(x) for x in v) if isinstance(v, tuple | list | np.ndarray) else float(v)
        object.__setattr__(obj, name, v)


@dataclass(frozen=True)
class Box:
    """A box of half-extents ``half`` around ``center``, turned by ``yaw`` radians about z.

    ``materials`` gives one material index per face (-x, +x, -y, +y, -z, +z) or one for all.
    ``inside=True`` makes it a room: rays start inside and hit its walls, floor and ceiling.
    """

    center: Vec3
    half: Vec3
    materials: int | tuple[int, ...]
    yaw: float = 0.0
    inside: bool = False

    def __post_init__(self) -> None:
        _floats(self, "center", "half", "yaw")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        c, s = abs(math.cos(self.yaw)), abs(math.sin(self.yaw))
        hx, hy, hz = self.half
        ext = np.array([c * hx + s * hy, s * hx + c * hy, hz])
        center = np.asarray(self.center, dtype=np.float64)
        return center - ext, center + ext

    def material(self, face: int) -> int:
        m = self.materials
        return m if isinstance(m, int) else m[face]


@dataclass(frozen=True)
class Cylinder:
    """Vertical cylinder of ``radius`` at ``(x, y)`` from ``z0`` to ``z1``; ``cap`` is the
    material of its top and bottom discs (default: the side's)."""

    x: float
    y: float
    radius: float
    z0: float
    z1: float
    materials: int
    cap: int | None = None

    def __post_init__(self) -> None:
        _floats(self, "x", "y", "radius", "z0", "z1")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        r = self.radius
        return np.array([self.x - r, self.y - r, self.z0]), np.array(
            [self.x + r, self.y + r, self.z1]
        )


@dataclass(frozen=True)
class Sphere:
    center: Vec3
    radius: float
    materials: int

    def __post_init__(self) -> None:
        _floats(self, "center", "radius")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        c = np.asarray(self.center, dtype=np.float64)
        return c - self.radius, c + self.radius


@dataclass(frozen=True)
class Plane:
    """The infinite horizontal plane ``z = height``, seen from above (the ground)."""

    height: float
    materials: int

    def __post_init__(self) -> None:
        _floats(self, "height")

    def bounds(self) -> None:
        return None


Primitive = Box | Cylinder | Sphere | Plane


@dataclass(frozen=True)
class Obstacle:
    """A footprint a camera may not stand in (unless it is above ``top``)."""

    xmin: float
    xmax: float
    ymin: float
    ymax: float
    top: float

    def blocks(self, p: np.ndarray, margin: float) -> bool:
        return (
            self.xmin - margin <= p[0] <= self.xmax + margin
            and self.ymin - margin <= p[1] <= self.ymax + margin
            and p[2] <= self.top + margin
        )


@dataclass
class Scene:
    """Everything the renderer and the camera sampler need about one world instance."""

    kind: str  # "indoor" | "outdoor"
    prims: list[Primitive] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    #: unit vector towards the sun (outdoor) or the point light position (indoor)
    light: Vec3 = (0.3, 0.2, 0.9)
    point_light: bool = False
    ambient: float = 0.4
    fog: float | None = None  # metres; None = no fog
    sky: tuple[Vec3, Vec3] = ((0.8, 0.85, 0.92), (0.4, 0.6, 0.9))  # horizon, zenith
    #: camera region: (xmin, xmax, ymin, ymax, zmin, zmax)
    region: tuple[float, float, float, float, float, float] = (0, 1, 0, 1, 1, 2)
    obstacles: list[Obstacle] = field(default_factory=list)
    #: heading range (radians) cameras mostly look along, and the chance of a free heading
    heading: tuple[float, float] = (0.0, 2 * math.pi)
    free_heading: float = 1.0
    #: how far (metres) a camera keeps from obstacles
    clearance: float = 0.4
    #: per-scene derived data (e.g. shadow casters in light space), filled lazily
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def add_material(self, mat: Material) -> int:
        self.materials.append(mat)
        return len(self.materials) - 1

    def add(self, prim: Primitive, obstacle: bool = False) -> Primitive:
        self.prims.append(prim)
        if obstacle and (b := prim.bounds()) is not None:
            lo, hi = b
            self.obstacles.append(Obstacle(lo[0], hi[0], lo[1], hi[1], hi[2]))
        return prim

    def free(self, p: np.ndarray) -> bool:
        """Whether a camera may stand at ``p``: inside the region, clear of obstacles."""
        margin = self.clearance
        x0, x1, y0, y1, z0, z1 = self.region
        if not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1 and z0 <= p[2] <= z1):
            return False
        return not any(o.blocks(p, margin) for o in self.obstacles)


def jitter(rng: np.random.Generator, color: Vec3, amount: float = 0.06) -> Vec3:
    """A colour near ``color`` (kept in [0.02, 0.95])."""
    c = np.clip(np.asarray(color) + rng.uniform(-amount, amount, 3), 0.02, 0.95)
    return (float(c[0]), float(c[1]), float(c[2]))


def pick(rng: np.random.Generator, options: list) -> object:
    return options[int(rng.integers(len(options)))]


def overlaps(
    rect: tuple[float, float, float, float], placed: list[tuple[float, float, float, float]]
) -> bool:
    """Axis-aligned 2D overlap of ``(xmin, xmax, ymin, ymax)`` with any placed footprint."""
    x0, x1, y0, y1 = rect
    return any(x0 < b[1] and b[0] < x1 and y0 < b[3] and b[2] < y1 for b in placed)
