"""Procedural materials: albedo from surface coordinates in metres, anti-aliased by footprint.

Patterns are defined in metres on the surface (``u`` along it, ``v`` up for vertical faces), so
their image-space size is a real monocular cue: a 0.3 m tile or a 0.065 m brick course shrinks
with distance exactly as perspective says. Detail smaller than a pixel's footprint (``fp``,
metres per pixel) fades to its mean colour instead of aliasing into noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

NOISE_SIZE = 128
PATTERNS = ("plain", "checker", "stripes", "bricks", "wood", "noise", "facade", "road", "glass")


@dataclass(frozen=True)
class Material:
    """A surface look. ``scale`` is the pattern's main period in metres; ``param`` is
    pattern-specific (brick height, stripe axis, floor height, road width, ...)."""

    pattern: str
    color: tuple[float, float, float]
    color2: tuple[float, float, float] = (0.5, 0.5, 0.5)
    scale: float = 1.0
    param: float = 0.0
    emissive: bool = False
    seed: int = 0


@cache
def _noise_tables() -> tuple[np.ndarray, np.ndarray]:
    """Two periodic fractal value-noise tables (low and high octaves), built once from a fixed
    seed so every process draws the same textures."""
    rng = np.random.default_rng(20240607)
    n = NOISE_SIZE
    lo = np.zeros((n, n), np.float64)
    hi = np.zeros((n, n), np.float64)
    for freq, amp, target in ((2, 0.5, lo), (4, 0.3, lo), (8, 0.2, lo), (16, 0.5, hi)):
        lattice = rng.random((freq, freq))
        coords = np.arange(n) * freq / n
        i0 = np.floor(coords).astype(int)
        f = coords - i0
        f = f * f * (3 - 2 * f)
        i1 = (i0 + 1) % freq
        rows = lattice[i0] * (1 - f)[:, None] + lattice[i1] * f[:, None]
        grid = rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]
        target += amp * grid
    for freq, amp in ((32, 0.3), (64, 0.2)):
        lattice = rng.random((freq, freq))
        rep = n // freq
        hi += amp * np.kron(lattice, np.ones((rep, rep)))  # crisp fine grain
    lo = (lo - lo.min()) / (lo.max() - lo.min())
    hi = hi - hi.mean()
    hi /= np.abs(hi).max()
    return lo.astype(np.float32), hi.astype(np.float32)


@cache
def _noise_pair() -> np.ndarray:
    """Both tables as one complex64 table (low + i·high): one gather serves both bands."""
    lo, hi = _noise_tables()
    return (lo + 1j * hi).astype(np.complex64)


def _lookup(table: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bilinear, wrapping lookup of an (n, n) table; one unit = one table width."""
    n = table.shape[0]  # a power of two: wrap with a bit mask
    x = np.asarray(u, np.float32) * np.float32(n)
    y = np.asarray(v, np.float32) * np.float32(n)
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = x - x0
    fy = y - y0
    i0 = x0.astype(np.intp) & (n - 1)  # intp: NumPy gathers are ~3x slower with int32
    j0 = (y0.astype(np.intp) & (n - 1)) * n
    i1 = (i0 + 1) & (n - 1)
    j1 = (j0 + n) & (n * n - 1)
    flat = table.reshape(-1)
    top = flat.take(j0 + i0) * (1 - fx) + flat.take(j0 + i1) * fx
    bot = flat.take(j1 + i0) * (1 - fx) + flat.take(j1 + i1) * fx
    return top * (1 - fy) + bot * fy


def noise(u: np.ndarray, v: np.ndarray, fp: np.ndarray, scale: float) -> np.ndarray:
    """Fractal noise in [0, 1] with features ~``scale``/2 metres; fine octaves fade with
    footprint."""
    both = _lookup(_noise_pair(), u / (4 * scale), v / (4 * scale))
    return both.real + 0.25 * both.imag * fade(fp, scale / 8)


def fade(fp: np.ndarray, size: float) -> np.ndarray:
    """Contrast kept for detail of ``size`` metres at footprint ``fp``: 1 when it spans a
    pixel or more, 0 at half a pixel or less (where it would only alias)."""
    return np.clip(2.0 * size / np.maximum(fp, 1e-6) - 1.0, 0.0, 1.0).astype(np.float32)


def cell_hash(i: np.ndarray, j: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic pseudo-random value in [0, 1) per integer cell."""
    h = (i.astype(np.int64) * 73856093) ^ (j.astype(np.int64) * 19349663) ^ (seed * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return ((h >> 8) & 0xFFFF).astype(np.float32) / 65536.0


def _mix(c1: np.ndarray, c2: np.ndarray, m: np.ndarray) -> np.ndarray:
    return c1 + (c2 - c1) * m[:, None]


def albedo(mat: Material, u: np.ndarray, v: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Colour (N, 3) in [0, 1] of ``mat`` at surface coordinates ``u, v`` (metres)."""
    c1 = np.asarray(mat.color, np.float32)
    c2 = np.asarray(mat.color2, np.float32)
    s = mat.scale
    off = (mat.seed % 997) * 0.137
    u = u + off
    grain = noise(u, v, fp, max(s, 0.05))
    if mat.pattern == "plain":
        return c1 * (0.95 + 0.1 * grain)[:, None]
    if mat.pattern == "noise":
        return _mix(c1, c2, grain)
    if mat.pattern == "checker":
        m = ((np.floor(u / s) + np.floor(v / s)) % 2).astype(np.float32)
        m = 0.5 + (m - 0.5) * fade(fp, s)
        return _mix(c1, c2, m) * (0.94 + 0.12 * grain)[:, None]
    if mat.pattern == "stripes":
        w = v if mat.param >= 1 else u
        m = (np.floor(w / s) % 2).astype(np.float32)
        m = 0.5 + (m - 0.5) * fade(fp, s)
        return _mix(c1, c2, m) * (0.94 + 0.12 * grain)[:, None]
    if mat.pattern == "bricks":
        return _bricks(mat, u, v, fp, c1, c2, grain)
    if mat.pattern == "wood":
        return _wood(mat, u, v, fp, c1, c2)
    if mat.pattern == "facade":
        return _facade(mat, u - off, v, fp, c1, c2, grain)
    if mat.pattern == "road":
        return _road(mat, u - off, v, fp, c1, c2, grain)
    if mat.pattern == "glass":
        sky = np.clip(0.35 + 0.15 * v - 0.2 * grain, 0, 1)
        return _mix(c1, c2, sky.astype(np.float32))
    raise ValueError(f"unknown pattern {mat.pattern!r}; choose from {PATTERNS}")


def _bricks(mat, u, v, fp, c1, c2, grain):
    """Running bond (``param`` = course height; scale = brick length); tiles when the colours
    are close. Mortar lines are 1 cm; brick tones vary per brick."""
    bh = mat.param or mat.scale * 0.3
    row = np.floor(v / bh)
    uu = u / mat.scale + 0.5 * (row % 2)
    col = np.floor(uu)
    tone = cell_hash(col, row, mat.seed) - 0.5
    fu = (uu - col) * mat.scale
    fv = v - row * bh
    mortar = ((fu < 0.012) | (fv < 0.012)).astype(np.float32)
    brick = c1[None, :] * (1.0 + 0.3 * tone * fade(fp, mat.scale))[:, None]
    out = _mix(brick, np.broadcast_to(c2, brick.shape), mortar * fade(fp, 0.04))
    mean = c1 * 0.8 + c2 * 0.2
    w = fade(fp, bh)
    out = out * w[:, None] + mean * (1 - w)[:, None]
    return out * (0.9 + 0.2 * grain)[:, None]


def _wood(mat, u, v, fp, c1, c2):
    """Planks ``scale`` wide running along ``u``, a dark joint between them, and grain."""
    s = mat.scale
    row = np.floor(v / s)
    tone = cell_hash(row, row * 7 + 3, mat.seed)
    shift = cell_hash(row, row, mat.seed + 1) * 10
    lo, _ = _noise_tables()
    warp = _lookup(lo, (u + shift) * 0.05, v * 0.4)
    ring = 0.5 + 0.5 * np.sin((v * 40.0 + warp * 12.0) * np.pi)
    m = np.clip(0.35 * tone + 0.4 * ring * fade(fp, 0.02), 0, 1)
    out = _mix(c1, c2, m)
    along = (u + shift) % 1.8
    joint = ((v - row * s < 0.006) | (along < 0.006)).astype(np.float32) * fade(fp, 0.03)
    return out * (1 - 0.45 * joint)[:, None]


def _facade(mat, u, v, fp, c1, c2, grain):
    """Building wall (``color``) with a window grid: floors every ``param`` metres (3 m by
    default), windows every ``scale`` metres, a taller shop front on the ground floor."""
    floor_h = mat.param or 3.0
    sx = mat.scale
    fu = u / sx - np.floor(u / sx)
    level = np.floor(v / floor_h)
    fz = v / floor_h - level
    ground = level < 1
    win = (fu > 0.22) & (fu < 0.78) & np.where(ground, (fz > 0.1) & (fz < 0.8), fz > 0.32)
    win &= np.where(ground, True, fz < 0.8)
    frame = (
        ((fu > 0.19) & (fu < 0.81) & np.where(ground, (fz > 0.07) & (fz < 0.83), fz > 0.29))
        & ~win
        & np.where(ground, True, fz < 0.83)
    )
    lit = cell_hash(np.floor(u / sx), level, mat.seed)
    glass = np.stack([0.18 + 0.2 * lit, 0.22 + 0.2 * lit, 0.3 + 0.15 * lit], axis=1)
    glass = glass * (0.8 + 0.4 * grain)[:, None]
    wall = c1[None, :] * (0.88 + 0.24 * grain)[:, None]
    out = np.where(win[:, None], glass, wall)
    out = np.where(frame[:, None], c2[None, :], out)
    w = fade(fp, sx * 0.25)
    mean = 0.55 * c1 + 0.45 * np.asarray([0.26, 0.3, 0.36], np.float32)
    return (out * w[:, None] + mean * (1 - w)[:, None]).astype(np.float32)


def _road(mat, u, v, fp, c1, c2, grain):
    """Ground of a street along +y: asphalt (``color``) for ``|x| < param/2`` with a dashed
    centre line (3 m dash, 9 m period), edge lines and, when ``seed`` > 0, a zebra crossing
    (0.5 m stripes, 4 m deep) at ``y = seed``; paving (``color2``) outside."""
    half = mat.param / 2
    ax = np.abs(u)
    asphalt = c1[None, :] * (0.85 + 0.3 * grain)[:, None]
    tile = np.floor(u / 0.5) + np.floor(v / 0.5)
    paving = c2[None, :] * (0.9 + 0.1 * (tile % 2) * fade(fp, 0.5) + 0.1 * grain)[:, None]
    dash = (ax < 0.07) & ((v % 9.0) < 3.0)
    edge = np.abs(ax - (half - 0.35)) < 0.07
    zebra = (np.abs(v - mat.seed - 2.0) < 2.0) & ((u + 0.25) % 1.0 < 0.5) & (mat.seed > 0)
    paint = (((dash | edge) & (np.abs(v - mat.seed - 2.0) >= 2.0)) | zebra).astype(np.float32)
    paint *= np.where(zebra, fade(fp, 0.5), fade(fp, 0.14))
    road = asphalt + (np.float32(0.85) - asphalt) * paint[:, None]
    return np.where((ax < half)[:, None], road, paving).astype(np.float32)
