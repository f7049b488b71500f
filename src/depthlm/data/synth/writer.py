"""``synthesize``: scenes → PNG images, optional dense maps and DepthLM records.

Scene ``i`` of seed ``s`` draws everything from generators seeded with ``(s, i, stream)``, so a
scene is the same whatever order, process or run renders it, and the output is byte-identical
for a given seed with any number of workers.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from depthlm.data.records import Record, write_records
from depthlm.data.synth.cameras import sample_views
from depthlm.data.synth.indoor import indoor_scene
from depthlm.data.synth.outdoor import outdoor_scene
from depthlm.data.synth.raycast import cast
from depthlm.data.synth.render import View, pixel_rays, render_view
from depthlm.data.synth.sampling import sample_points
from depthlm.data.synth.scene import Scene
from depthlm.geometry.camera import Camera
from depthlm.tasks.geometry import distance, principal_axis
from depthlm.utils.io import atomic_write_bytes

WORLDS = ("indoor", "outdoor", "mixed")
DATASET = "synth"


def _rng(seed: int, scene: int, stream: int, *more: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(scene), stream, *more])


def scene_kind(seed: int, index: int, world: str) -> str:
    """``indoor`` or ``outdoor``; ``mixed`` flips a fair coin per scene."""
    if world not in WORLDS:
        raise ValueError(f"world must be one of {WORLDS}, got {world!r}")
    if world != "mixed":
        return world
    return "indoor" if _rng(seed, index, 0).random() < 0.5 else "outdoor"


def make_scene(seed: int, index: int, kind: str) -> Scene:
    """Scene ``index`` of ``seed`` (``kind`` is ``indoor`` or ``outdoor``)."""
    rng = _rng(seed, index, 1)
    return indoor_scene(rng) if kind == "indoor" else outdoor_scene(rng)


def render_frame(
    seed: int, index: int, kind: str, size: int = 256, frame: int = 0
) -> tuple[Camera, np.ndarray, View]:
    """Re-render view ``frame`` of scene ``index`` exactly as :func:`synthesize` did:
    ``(camera, camera_to_world, view)`` (earlier views' camera draws do not depend on how
    many views the sequence has)."""
    scene = make_scene(seed, index, kind)
    cam, c2w = sample_views(scene, _rng(seed, index, 2), frame + 1, size)[frame]
    return cam, c2w, render_view(scene, cam, c2w)


def exact_labels(
    scene: Scene, camera: Camera, c2w: np.ndarray, pixels: np.ndarray, prim: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euclidean distance and z-depth of ``pixels`` from a float64 re-cast of their rays (the
    image is rendered in float32), and which of them hit the same primitive as the image."""
    rays, _ = pixel_rays(camera, c2w, pixels)
    t, hit = cast(scene.prims, rays)
    keep = (hit == prim[pixels[:, 1], pixels[:, 0]]) & np.isfinite(t)
    cam_rays = np.stack(
        [(pixels[:, 0] - camera.cx) / camera.fx, (pixels[:, 1] - camera.cy) / camera.fy],
        axis=1,
    )
    points = np.concatenate([cam_rays, np.ones((len(pixels), 1))], axis=1) * t[:, None]
    return distance(points), principal_axis(points), keep


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr.astype(np.float32), allow_pickle=False)
    return buf.getvalue()


def _scene_job(job: tuple) -> list[dict[str, Any]]:
    out, seed, index, world, size, views, points, dense = job
    kind = scene_kind(seed, index, world)
    scene = make_scene(seed, index, kind)
    records = []
    for frame, (cam, c2w) in enumerate(sample_views(scene, _rng(seed, index, 2), views, size)):
        view = render_view(scene, cam, c2w)
        stem = f"s{index:06d}_v{frame}"
        atomic_write_bytes(out / "images" / f"{stem}.png", _png(view.rgb))
        if dense:
            atomic_write_bytes(out / "depth" / f"{stem}.npy", _npy(view.depth))
            atomic_write_bytes(out / "depth_z" / f"{stem}.npy", _npy(view.z))
        px = sample_points(view.depth, view.prim, points, _rng(seed, index, 3, frame))
        dist, z, keep = exact_labels(scene, cam, c2w, px, view.prim)
        px, dist, z = px[keep], dist[keep], z[keep]
        record = Record(
            image=f"images/{stem}.png",
            intrinsics=cam.to_list(),
            pixel_coords=[[int(x), int(y)] for x, y in px],
            depth=[round(float(d), 4) for d in dist],
            depth_type="euclidean",
            z_depth=[round(float(d), 4) for d in z],
            camera_to_world=[[float(v) for v in row] for row in c2w],
            sequence=f"synth-{seed}-{index:06d}",
            frame=frame,
            dataset=DATASET,
            id=f"synth-{seed}-{index:06d}-{frame}",
            extra={"world": kind, "synth": {"seed": int(seed), "scene": index, "size": size}},
        )
        records.append(record.to_dict())
    return records


def _default_workers(scenes: int) -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8, scenes // 4))


def synthesize(
    out_dir: str | Path,
    images: int = 100,
    seed: int = 0,
    world: str = "mixed",
    size: int = 256,
    points: int = 100,
    views: int = 2,
    dense: bool = False,
    progress: bool = True,
    workers: int | None = None,
) -> Path:
    """Render ``images`` views (sequences of ``views`` views per scene; the last sequence may
    be shorter) into ``out_dir``: ``images/*.png``, ``records.jsonl`` (DepthLM records with
    Euclidean ``depth``, ``z_depth``, ``camera_to_world``, ``sequence``, ``frame``) and, with
    ``dense``, ``depth/*.npy`` and ``depth_z/*.npy`` (float32 metres, 0 where the sky is).

    ``points`` labelled pixels per view are balanced over log-depth and kept 6 px from the
    border and off object boundaries. ``workers`` processes render in parallel (default: one
    per core for larger runs); the output does not depend on it. Returns the records path.
    """
    if images < 1 or views < 1 or points < 0:
        raise ValueError(
            f"need images >= 1, views >= 1, points >= 0; got {images}, {views}, {points}"
        )
    if size < 16:
        raise ValueError(f"size must be at least 16 px, got {size}")
    scene_kind(seed, 0, world)  # validates world
    out = Path(out_dir)
    n_scenes = -(-images // views)
    jobs = [
        (out, seed, i, world, size, min(views, images - i * views), points, dense)
        for i in range(n_scenes)
    ]
    workers = _default_workers(n_scenes) if workers is None else max(1, int(workers))
    records: list[dict[str, Any]] = []
    bar = tqdm(total=images, desc="synth", unit="img", disable=not progress)
    try:
        if workers == 1:
            results = map(_scene_job, jobs)
            for recs in results:
                records.extend(recs)
                bar.update(len(recs))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for recs in pool.map(_scene_job, jobs, chunksize=1):
                    records.extend(recs)
                    bar.update(len(recs))
    finally:
        bar.close()
    path = out / "records.jsonl"
    write_records(path, records)
    return path
