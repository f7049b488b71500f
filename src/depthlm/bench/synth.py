"""Synthetic-world throughput: images per second at a given size, with per-stage timing.

Run: ``depthlm bench synth [--images N] [--size PX]`` (default 40 images at 256 px), or
``python benchmarks/bench_synth.py [N] [SIZE]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def bench_synth(n: int = 40, size: int = 256, seed: int = 0, workers: int | None = None) -> dict:
    """Time ``synthesize`` end to end (scenes, rendering, sampling, PNG + JSONL writing) and,
    single-process, the render stages of the same views. Returns a dict of figures."""
    from depthlm.data.synth.cameras import sample_views
    from depthlm.data.synth.render import render_view
    from depthlm.data.synth.writer import _default_workers, _rng, make_scene, scene_kind, synthesize

    with tempfile.TemporaryDirectory() as tmp:
        views = 2
        scenes = -(-n // views)
        used = _default_workers(scenes) if workers is None else workers
        start = time.perf_counter()
        synthesize(Path(tmp) / "out", images=n, seed=seed, size=size, progress=False, workers=used)
        wall = time.perf_counter() - start

    stages: dict[str, float] = {}
    t_scene = 0.0
    done = 0
    start = time.perf_counter()
    for i in range(scenes):
        t0 = time.perf_counter()
        scene = make_scene(seed, i, scene_kind(seed, i, "mixed"))
        t_scene += time.perf_counter() - t0
        for cam, c2w in sample_views(scene, _rng(seed, i, 2), min(views, n - done), size):
            render_view(scene, cam, c2w, timings=stages)
            done += 1
    single = time.perf_counter() - start
    return {
        "images": n,
        "size": size,
        "workers": used,
        "seconds": wall,
        "images_per_s": n / wall,
        "render_only_images_per_s_1proc": n / single,
        "ms_per_image_1proc": {"scene": 1000 * t_scene / n}
        | {k: 1000 * v / n for k, v in stages.items()},
    }


def report(r: dict) -> None:
    """Print the figures of :func:`bench_synth`."""
    print(f"synth: {r['images']} images at {r['size']} px, {r['workers']} worker(s)")
    print(f"  end to end : {r['images_per_s']:.1f} images/s ({r['seconds']:.2f} s)")
    print(f"  render only: {r['render_only_images_per_s_1proc']:.1f} images/s (1 process)")
    for stage, ms in r["ms_per_image_1proc"].items():
        print(f"    {stage:<8} {ms:6.1f} ms/image")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    report(bench_synth(int(args[0]) if args else 40, int(args[1]) if len(args) > 1 else 256))
