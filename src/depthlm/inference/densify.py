"""Dense depth from a few answered pixels: where to ask, and how to fill in between.

A VLM answers one pixel per question, so a depth map costs one generation per query and the
queries are the budget. Two things make a small budget go far:

* **How to fill in** (:func:`densify`), the larger gain. Each pixel gets a weighted
  least-squares plane through the answers around it, the weights coming from the
  domain-transform recursive filter (Gastal & Oliveira, 2011), which makes the distance
  between neighbouring pixels grow with their colour difference: an answer reaches far across
  a flat wall but hardly across the edge of the table in front of it, where a bilinear
  upsampling of a grid smears every boundary over a grid cell. The plane is fitted in
  inverse depth, in which a planar surface (floor, wall, ceiling, most of a man-made scene)
  is exactly affine in the pixel coordinates; how freely it may tilt is chosen by
  cross-validation on the answers, since exact answers want the free plane and a model's
  noisy ones want averaging.
* **Where to ask** (:func:`adaptive_queries`). Most of the budget is a regular grid, which
  covers the image evenly out to its margins; the rest goes where the image's edges fence a
  region off from every grid question (the fill would otherwise guess it from across the
  edge). Each query is then nudged off the edge itself, because a marker drawn on a boundary
  is ambiguous (which side does it point at?) and the models are trained on points away
  from boundaries.

``depthlm bench dense`` measures both against exact dense depth (``docs/speed.md``). Pure
NumPy and OpenCV's core filters: ``cv2.ximgproc`` is not assumed.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["adaptive_queries", "densify", "domain_transform", "edge_strength", "regular_grid"]


def _grey(image_rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(image_rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 image, got shape {rgb.shape}")
    return cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


def edge_strength(image_rgb: np.ndarray, blur: float = 1.5) -> np.ndarray:
    """Gradient magnitude of the blurred grey image (H×W, ≥ 0): where boundaries may be."""
    grey = cv2.GaussianBlur(_grey(image_rgb), (0, 0), blur)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return np.sqrt(gx * gx + gy * gy)


# ---------------------------------------------------------------------------------- sampling
#: How far an answer reaches on a flat surface, in mean query spacings.
SIGMA_S = 1.5
#: The colour step (summed over R, G, B in [0, 1]) that fences answers in.
SIGMA_R = 0.12
#: Guide blur, in mean query spacings: texture finer than the answers does not fence them.
BLUR = 0.15


def regular_grid(width: int, height: int, n: int, margin: int) -> tuple[np.ndarray, tuple]:
    """About ``n`` ``[x, y]`` pixels on a regular grid with the image's aspect, from ``margin``
    px inside one border to ``margin`` px inside the other, and the grid's ``(rows, cols)``."""
    w, h = width - 2 * margin, height - 2 * margin
    if w <= 1 or h <= 1:
        raise ValueError(f"image too small for a {margin}-px marker margin: {(width, height)}")
    gw = max(2, round(math.sqrt(n * w / h)))
    gh = max(2, round(n / gw))
    xs = np.linspace(margin, width - 1 - margin, gw).round().astype(int)
    ys = np.linspace(margin, height - 1 - margin, gh).round().astype(int)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1), (gh, gw)


def _guide(image_rgb: np.ndarray, blur: float) -> np.ndarray:
    guide = np.asarray(image_rgb).astype(np.float32) / 255.0
    return cv2.GaussianBlur(guide, (0, 0), blur) if blur > 0 else guide


def adaptive_queries(
    image_rgb: np.ndarray,
    n: int,
    margin: int = 6,
    *,
    extra: float = 0.15,
    rounds: int = 2,
    nudge: int = 1,
) -> np.ndarray:
    """About ``n`` distinct ``[x, y]`` pixels, ``margin`` px inside the border, that cover the
    image and add questions where image edges fence a region off; deterministic.

    ``1 - extra`` of the budget is a regular grid reaching the margins, so every part of the
    image is asked about: sampling from a density proportional to the image gradient (even
    with a uniform floor and stratification) did worse than a plain grid on the synthetic
    benchmark, because most image edges there are texture, not depth boundaries, and a grid
    alone reaches the corners. The rest goes, in ``rounds``, to the pixels the grid supports
    least *through the image's edges*: the domain-transform filter of the asked pixels'
    indicator — the very weight :func:`densify` divides by — is lowest in regions an edge
    separates from every question (a table top between grid rows, a door, a far building),
    which is where a boundary would otherwise be guessed. A suppression disk of 0.7 spacing
    keeps the extra points apart. ``extra`` trades the two regimes: more helps exact answers,
    less helps noisy ones, which average best on an even layout (0.15 was the balance on the
    benchmark). Finally each point moves within ``nudge`` px to the flattest pixel, off the
    boundary itself (see the module docstring).
    """
    rgb = np.asarray(image_rgb)
    h, w = rgb.shape[:2]
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    box = (margin, w - 1 - margin, margin, h - 1 - margin)
    pts = regular_grid(w, h, max(4, round(n * (1.0 - extra))), margin)[0]
    spacing = math.sqrt((w - 2 * margin) * (h - 2 * margin) / n)
    edges = edge_strength(rgb, blur=1.0)
    guide = _guide(rgb, BLUR * spacing)
    inside = np.full((h, w), np.inf)
    inside[margin : h - margin, margin : w - margin] = 0.0
    todo = max(0, n - len(pts))
    for r in range(rounds):
        k = todo // rounds + (1 if r < todo % rounds else 0)
        if k == 0:
            continue
        indicator = np.zeros((h, w, 1))
        indicator[pts[:, 1], pts[:, 0], 0] = 1.0
        support = domain_transform(indicator, guide, SIGMA_S * spacing, SIGMA_R)[..., 0]
        pts = np.concatenate([pts, _least(support + inside, k, 0.7 * spacing)])
    if nudge > 0:
        pts = _nudge(pts, edges, nudge, box)
    _, first = np.unique(pts[:, 1] * w + pts[:, 0], return_index=True)
    return pts[np.sort(first)].astype(np.int64)


def _least(score: np.ndarray, k: int, radius: float) -> np.ndarray:
    """``k`` ``[x, y]`` pixels of least ``score``, greedily, each at least ``radius`` from the
    ones before (fewer if the finite part of ``score`` runs out)."""
    score = score.copy()
    h, w = score.shape
    r = max(1, math.ceil(radius))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    disk = dx * dx + dy * dy < radius * radius
    out = []
    for _ in range(k):
        i = int(np.argmin(score))
        y, x = divmod(i, w)
        if not np.isfinite(score[y, x]):
            break
        out.append((x, y))
        y0, y1, x0, x1 = max(0, y - r), min(h, y + r + 1), max(0, x - r), min(w, x + r + 1)
        window = disk[y0 - y + r : y1 - y + r, x0 - x + r : x1 - x + r]
        score[y0:y1, x0:x1][window] = np.inf
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def _nudge(pts: np.ndarray, edges: np.ndarray, radius: int, box: tuple[int, ...]) -> np.ndarray:
    """Move each point to the pixel of least ``edges`` within ``radius`` (staying in ``box``;
    ties keep the point where it is)."""
    x0, x1, y0, y1 = box
    best = pts.copy()
    best_val = edges[pts[:, 1], pts[:, 0]]
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            cx = np.clip(pts[:, 0] + dx, x0, x1)
            cy = np.clip(pts[:, 1] + dy, y0, y1)
            val = edges[cy, cx]
            better = val < best_val - 1e-6
            best[better] = np.stack([cx, cy], axis=1)[better]
            best_val = np.where(better, val, best_val)
    return best


# ---------------------------------------------------------------------------------- filling
def _transform_steps(guide: np.ndarray, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Domain-transform distances between horizontal and vertical neighbours:
    ``1 + ratio · Σ_c |ΔI_c|`` (``ratio`` = σ_s / σ_r)."""
    dx = 1.0 + ratio * np.abs(np.diff(guide, axis=1)).sum(axis=2)
    dy = 1.0 + ratio * np.abs(np.diff(guide, axis=0)).sum(axis=2)
    return dx, dy


def _recursive_pass(f: np.ndarray, a: np.ndarray) -> None:
    """In place, along axis 0: a causal then an anti-causal first-order recursive filter whose
    feedback between rows ``i`` and ``i+1`` is ``a[i]`` (shape ``(rows - 1, cols)``)."""
    a = a[..., None]
    for i in range(1, f.shape[0]):
        f[i] += a[i - 1] * (f[i - 1] - f[i])
    for i in range(f.shape[0] - 2, -1, -1):
        f[i] += a[i] * (f[i + 1] - f[i])


def domain_transform(
    channels: np.ndarray, guide: np.ndarray, sigma_s: float, sigma_r: float, iterations: int = 3
) -> np.ndarray:
    """Edge-aware smoothing of ``channels`` (H×W×K) guided by ``guide`` (H×W×C in [0, 1]):
    the recursive-filter domain transform (Gastal & Oliveira 2011), horizontal then vertical
    passes, ``iterations`` times with a shrinking spatial sigma so the separable passes'
    streaks fade. A recursive filter costs the same for any ``sigma_s``, which matters when
    a few answers must reach across a whole image."""
    dx, dy = _transform_steps(guide.astype(np.float64), sigma_s / sigma_r)
    out = np.array(channels, dtype=np.float64, copy=True)  # image rows along axis 0
    for i in range(iterations):
        sigma = sigma_s * math.sqrt(3.0) * 2 ** (iterations - i - 1) / math.sqrt(4**iterations - 1)
        feedback = math.exp(-math.sqrt(2.0) / sigma)
        across = np.ascontiguousarray(out.transpose(1, 0, 2))  # image columns along axis 0
        _recursive_pass(across, (feedback**dx).T)
        out = np.ascontiguousarray(across.transpose(1, 0, 2))
        _recursive_pass(out, feedback**dy)
    return out


#: Value spaces: (forward, inverse) maps. Depth is filled in ``"inverse"`` space (a plane's
#: inverse z-depth is affine in the pixel coordinates) or ``"log"`` (relative errors weigh
#: the same near and far); bounded scores such as a confidence in ``"linear"``.
SPACES = {
    "inverse": (np.reciprocal, np.reciprocal),
    "log": (np.log, np.exp),
    "linear": (np.asarray, np.asarray),
}


#: Slope ridges (spacing² units) :func:`densify` chooses from: from a nearly free plane (exact
#: answers: follow every slope) to, in effect, a weighted mean (noisy answers: average them).
RIDGES = (0.02, 0.2, 2.0, 20.0)


def densify(
    image_rgb: np.ndarray,
    pixels: np.ndarray,
    values: np.ndarray,
    *,
    space: str = "inverse",
    order: int = 1,
    ridge: float | None = None,
    sigma_s: float | None = None,
    sigma_r: float = SIGMA_R,
    blur: float | None = None,
) -> np.ndarray:
    """An H×W map from ``values`` at ``pixels`` (``[x, y]`` in ``image_rgb``), filled
    edge-aware (module docstring). Non-finite values, and non-positive ones outside the
    ``"linear"`` space, are ignored; with no usable value the map is NaN.

    Each pixel gets a weighted least-squares fit to the answers around it, the weights being
    the domain-transform filter's: ``order=1`` fits a plane in ``space`` (so a receding floor
    is a ramp, not a staircase of flat patches), ``order=0`` a constant (a weighted mean,
    which never leaves the answers' range). ``ridge`` damps the plane's slope; by default it
    is chosen from :data:`RIDGES` by two-fold cross-validation on the answers themselves
    (each half predicts the other), because the right amount depends on how noisy they are:
    exact answers want the free plane, a model's noisy answers want averaging (with 0.5
    log-noise the free plane doubled the error of the mean). ``sigma_s`` (px; default 1.5 ×
    the mean spacing of the answers) is how far an answer reaches across a flat surface;
    ``sigma_r`` (colour difference in [0, 1], summed over R, G, B) is the step that acts as a
    boundary; ``blur`` (px; default 0.15 × the spacing) smooths the guide image so texture
    finer than the answers' spacing does not fence them in. Pixels no answer reaches through
    the edges fall back to a plain Gaussian average.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {sorted(SPACES)}, got {space!r}")
    if order not in (0, 1):
        raise ValueError(f"order must be 0 or 1, got {order}")
    rgb = np.asarray(image_rgb)
    h, w = rgb.shape[:2]
    px = np.asarray(pixels, dtype=np.int64).reshape(-1, 2)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(px) != len(v):
        raise ValueError(f"{len(px)} pixels but {len(v)} values")
    ok = np.isfinite(v) & ((v > 0) | (space == "linear"))
    ok &= (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
    px, v = px[ok], v[ok]
    if not len(v):
        return np.full((h, w), np.nan)
    t = np.asarray(SPACES[space][0](v), dtype=np.float64)
    spacing = math.sqrt(h * w / len(v))
    fit = _Fit(
        _guide(rgb, BLUR * spacing if blur is None else float(blur)),
        spacing,
        SIGMA_S * spacing if sigma_s is None else float(sigma_s),
        sigma_r,
        space,
        floor=0.5 * float(t.min()),
    )
    m, reached = fit.moments(px, t, order)
    if order == 0:
        out = m[..., 1]
    else:
        if ridge is None:
            ridge = fit.choose_ridge(px, t)
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        out = fit.plane(m, gx, gy, ridge)
    out = np.where(reached, out, float(np.median(t)))
    return np.asarray(SPACES[space][1](out), dtype=np.float64)


def _box_gauss(a: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of width ``sigma`` approximated by three box filters: its cost does not
    grow with ``sigma`` (an exact kernel of σ = 40 px over nine channels took 0.1 s)."""
    k = 2 * round(math.sqrt(4 * sigma * sigma + 1) / 2) + 1
    out = np.ascontiguousarray(a, dtype=np.float64)
    for _ in range(3):
        out = cv2.boxFilter(out, -1, (k, k), normalize=True, borderType=cv2.BORDER_CONSTANT)
    return out.reshape(a.shape)


class _Fit:
    """The edge-aware weighted fits of :func:`densify` on one guide image."""

    def __init__(self, guide: np.ndarray, spacing: float, sigma_s: float, sigma_r: float,
                 space: str, floor: float) -> None:  # fmt: skip
        self.guide, self.spacing, self.sigma_s, self.sigma_r = guide, spacing, sigma_s, sigma_r
        self.space, self.floor = space, floor

    def _coords(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels in units of the spacing, centred: the moments stay well conditioned."""
        h, w = self.guide.shape[:2]
        return (x - w / 2) / self.spacing, (y - h / 2) / self.spacing

    def moments(self, px: np.ndarray, t: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
        """Per pixel, the filter-weighted means of (1, t) or (1, x, y, x², xy, y², t, tx, ty)
        over the answers, and where any answer reaches."""
        h, w = self.guide.shape[:2]
        x, y = self._coords(px[:, 0], px[:, 1])
        one = np.ones_like(t)
        feats = [one, t] if order == 0 else [one, x, y, x * x, x * y, y * y, t, t * x, t * y]
        sparse = np.zeros((h, w, len(feats)))
        for c, f in enumerate(feats):
            np.add.at(sparse[..., c], (px[:, 1], px[:, 0]), f)
        out = domain_transform(sparse, self.guide, self.sigma_s, self.sigma_r)
        plain = _box_gauss(sparse, self.sigma_s)
        out += 1e-6 * max(float(plain[..., 0].max()), 1e-300) * plain
        reached = out[..., 0] > 0
        return out / np.where(reached, out[..., 0], 1.0)[..., None], reached

    def plane(self, m: np.ndarray, px: np.ndarray, py: np.ndarray, ridge: float) -> np.ndarray:
        """The weighted least-squares plane at pixels ``(px, py)`` from their moments ``m``.
        ``ridge`` pulls the slope to 0, most where the answers around a pixel lie on a line
        or a point, so the fit falls back to their weighted mean instead of extrapolating."""
        gx, gy = self._coords(px, py)
        ex, ey, mean = m[..., 1], m[..., 2], m[..., 6]
        cxx = m[..., 3] - ex * ex + ridge
        cxy = m[..., 4] - ex * ey
        cyy = m[..., 5] - ey * ey + ridge
        cxt = m[..., 7] - ex * mean
        cyt = m[..., 8] - ey * mean
        det = cxx * cyy - cxy * cxy
        a = (cyy * cxt - cxy * cyt) / det
        b = (cxx * cyt - cxy * cxt) / det
        out = mean + a * (gx - ex) + b * (gy - ey)
        if self.space == "inverse":  # a plane may reach 0 (the horizon): keep depths finite
            out = np.maximum(out, self.floor)
        return out

    def choose_ridge(self, px: np.ndarray, t: np.ndarray) -> float:
        """The ridge of :data:`RIDGES` whose fit from every other answer best predicts the
        rest (relative error of the values), over both halves."""
        if len(t) < 8:
            return RIDGES[-1]  # too few answers to trust any slope
        back = SPACES[self.space][1]
        truth = np.asarray(back(t), dtype=np.float64)
        errors = np.zeros(len(RIDGES))
        for fold in (0, 1):
            held = np.arange(len(t)) % 2 == fold
            m, _ = self.moments(px[~held], t[~held], 1)
            at = m[px[held, 1], px[held, 0]]
            for j, ridge in enumerate(RIDGES):
                pred = np.asarray(back(self.plane(at, px[held, 0], px[held, 1], ridge)))
                scale = np.maximum(np.abs(truth[held]), 1e-12)
                errors[j] += float(np.sum(np.abs(pred - truth[held]) / scale))
        return RIDGES[int(np.argmin(errors))]
