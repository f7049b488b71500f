"""Load test of ``depthlm serve``: throughput and latency with batching on and off, behaviour
at overload, and memory over the run.

The server runs as a separate process (``depthlm serve`` on a free port), as it would in use,
and local client threads drive ``/v1/measure`` with one image and random points:

* **unloaded**: one client, one request at a time — the latency floor;
* **batch-1 / batched**: ``clients`` closed-loop clients against a server with
  ``--max-batch 1`` and against the default dynamic batching (throughput, p50/p95/p99, errors);
* **overload**: open-loop arrivals at ``overload ×`` the batched throughput, so the queue
  fills: refused requests must be 429s, and admitted ones should stay fast;
* **memory**: the server's resident set after start-up, after the phases and, with
  ``long_s``, sampled over a longer batched run (it should stay flat).
"""

from __future__ import annotations

import base64
import io
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

GOALS = {
    "speedup": "batched >= 2x batch-1 throughput at 16 clients",
    "errors": "no failed request below the queue limit",
    "overload_p99": "p99 of admitted requests at 2x overload within 2x of unloaded",
    "memory": "resident memory flat over a long run",
}

EXTRA_GOALS = {
    "overload_p99_vs_full_load": "p99 of admitted requests at overload within 2x of full load",
    "overload_refusals_are_429": "refusals at overload are 429, not errors",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float | None:
    """Resident set of ``pid`` in MB (Linux ``/proc``; ``None`` elsewhere)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextmanager
def serve_process(model: str, **options: Any) -> Iterator[tuple[str, subprocess.Popen]]:
    """``depthlm serve`` in a child process; yields ``(base_url, process)`` once healthy."""
    import httpx

    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "depthlm.cli.main",
        "serve",
        "--model",
        model,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    for k, v in options.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"depthlm serve exited: {proc.stderr.read()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("depthlm serve did not become healthy in 300 s")
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _image(width: int = 256, height: int = 192) -> str:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    arr = np.stack([x % 64 * 4, y % 48 * 5, (x + y) % 256], -1) + rng.integers(
        0, 20, (height, width, 3)
    )
    buf = io.BytesIO()
    Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


class _Load:
    """Builds request bodies and records ``(latency_s, status)`` per request."""

    def __init__(self, base: str, points: int, seed: int = 0) -> None:
        self.url = f"{base}/v1/measure"
        self.image = _image()
        self.points = points
        self.rng = np.random.default_rng(seed)
        self.lock = threading.Lock()

    def body(self) -> dict[str, Any]:
        with self.lock:
            pts = np.stack(
                [self.rng.integers(12, 244, self.points), self.rng.integers(12, 180, self.points)],
                1,
            )
        return {"image": self.image, "points": pts.tolist(), "focal": 220.0}

    def one(self, client: Any) -> tuple[float, int]:
        t0 = time.perf_counter()
        try:
            status = client.post(self.url, json=self.body(), timeout=300).status_code
        except Exception:  # a dropped connection is a failed request, not a crash of the bench
            status = 0
        return time.perf_counter() - t0, status


def _stats(records: list[tuple[float, int]], wall: float) -> dict[str, Any]:
    ok = np.array([lat for lat, s in records if s == 200])
    codes: dict[str, int] = {}
    for _, s in records:
        codes[str(s)] = codes.get(str(s), 0) + 1
    pct = (lambda q: round(float(np.percentile(ok, q)) * 1000, 1)) if ok.size else (lambda q: None)
    return {
        "requests": len(records),
        "ok": int(ok.size),
        "status": codes,
        "errors": sum(n for c, n in codes.items() if c not in ("200", "429")),
        "rejected_429": codes.get("429", 0),
        "seconds": round(wall, 2),
        "throughput_rps": round(ok.size / max(wall, 1e-9), 2),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
    }


def closed_loop(
    load: _Load, clients: int, requests: int, duration: float, label: str
) -> dict[str, Any]:
    """``clients`` threads, each sending its next request when the last one is answered."""
    import httpx

    records: list[tuple[float, int]] = []
    count = iter(range(requests))
    lock = threading.Lock()
    t0 = time.perf_counter()
    bar = tqdm(total=requests if requests < 10**6 else None, desc=label, unit="req", leave=False)

    def worker() -> None:
        with httpx.Client() as client:
            while time.perf_counter() - t0 < duration:
                with lock:
                    if next(count, None) is None:
                        return
                rec = load.one(client)
                with lock:
                    records.append(rec)
                    bar.update()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bar.close()
    return _stats(records, time.perf_counter() - t0)


def open_loop(load: _Load, rate: float, duration: float, label: str) -> dict[str, Any]:
    """Requests sent at ``rate`` per second whatever the server's pace (Poisson arrivals)."""
    import httpx

    client = httpx.Client(limits=httpx.Limits(max_connections=512, max_keepalive_connections=512))
    rng = np.random.default_rng(1)
    futures = []
    t0 = time.perf_counter()
    with (
        ThreadPoolExecutor(max_workers=256) as pool,
        tqdm(desc=label, unit="req", leave=False) as bar,
    ):
        next_at = 0.0
        while next_at < duration:
            wait = next_at - (time.perf_counter() - t0)
            if wait > 0:
                time.sleep(wait)
            futures.append(pool.submit(load.one, client))
            bar.update()
            next_at += float(rng.exponential(1.0 / rate))
        records = [f.result() for f in futures]
    client.close()
    return _stats(records, time.perf_counter() - t0) | {"offered_rps": round(rate, 2)}


def bench_serve(
    model: str = "embedded",
    *,
    clients: int = 16,
    requests: int = 400,
    duration: float = 60.0,
    points: int = 1,
    queue_size: int = 16,
    overload: float = 2.0,
    long_s: float = 0.0,
) -> dict[str, Any]:
    """The figures of the module docstring, as a dict (``report`` prints them)."""
    out: dict[str, Any] = {
        "model": model,
        "clients": clients,
        "points_per_request": points,
        "queue_size": queue_size,
        "overload": overload,
        "goals": GOALS,
    }
    unloaded_n = max(10, min(60, requests // 4))
    with serve_process(model, max_batch=1, queue_size=max(queue_size, clients)) as (base, proc):
        load = _Load(base, points)
        closed_loop(load, 1, 5, 5.0, "warm-up")
        out["batch1"] = closed_loop(load, clients, requests, duration, "batch-1")
    with serve_process(model, queue_size=queue_size) as (base, proc):
        load = _Load(base, points)
        closed_loop(load, 1, 5, 5.0, "warm-up")
        rss_start = _rss_mb(proc.pid)
        out["unloaded"] = closed_loop(load, 1, unloaded_n, duration, "unloaded")
        out["batched"] = closed_loop(load, clients, requests, duration, "batched")
        rate = overload * max(out["batched"]["throughput_rps"], 0.1)
        out["overload_run"] = open_loop(load, rate, min(duration, 20.0), f"{overload:g}x overload")
        samples = [(0.0, _rss_mb(proc.pid))]
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < long_s:
            closed_loop(load, clients, 10**9, min(15.0, long_s), "long run")
            samples.append((round(time.perf_counter() - t0, 1), _rss_mb(proc.pid)))
        out["memory_mb"] = {
            "after_start": rss_start,
            "after_phases": samples[0][1],
            "long_run": samples[1:],
            "end": _rss_mb(proc.pid),
        }
    b1, bt, un, ov = out["batch1"], out["batched"], out["unloaded"], out["overload_run"]
    out["speedup"] = round(bt["throughput_rps"] / max(b1["throughput_rps"], 1e-9), 2)
    out["overload_p99_ratio"] = (
        round(ov["p99_ms"] / un["p99_ms"], 2) if ov["p99_ms"] and un["p99_ms"] else None
    )
    # The same admitted-request p99 against the full (not overloaded) load of ``clients``: what
    # the bounded queue protects. Against one client it also carries the cost of batching.
    out["overload_p99_vs_batched"] = (
        round(ov["p99_ms"] / bt["p99_ms"], 2) if ov["p99_ms"] and bt["p99_ms"] else None
    )
    mem = out["memory_mb"]
    first = mem["after_phases"]
    last = mem["long_run"][-1][1] if mem["long_run"] else mem["end"]
    out["memory_growth_mb"] = round(last - first, 1) if first and last else None
    out["met"] = {
        "speedup": out["speedup"] >= 2.0,
        "errors": b1["errors"] == 0
        and bt["errors"] == 0
        and b1["rejected_429"] == 0
        and bt["rejected_429"] == 0,
        "overload_p99": out["overload_p99_ratio"] is not None and out["overload_p99_ratio"] <= 2.0,
        "overload_p99_vs_full_load": out["overload_p99_vs_batched"] is not None
        and out["overload_p99_vs_batched"] <= 2.0,
        "overload_refusals_are_429": ov["errors"] == 0,
        "memory": out["memory_growth_mb"] is not None
        and abs(out["memory_growth_mb"]) < 0.05 * first,
    }
    return out


def report(r: dict[str, Any]) -> None:
    """Print the figures of :func:`bench_serve` as a table, with the goals."""
    print(
        f"serve: {r['model']}, {r['clients']} clients, {r['points_per_request']} point(s) per "
        f"request, queue {r['queue_size']}"
    )
    print(
        f"  {'phase':<12} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'ok':>5} {'429':>5} {'errors':>6}"
    )
    for name in ("unloaded", "batch1", "batched", "overload_run"):
        p = r[name]
        fmt = lambda v: f"{v:8.1f}" if v is not None else f"{'-':>8}"  # noqa: E731
        print(
            f"  {name:<12} {p['throughput_rps']:8.2f} {fmt(p['p50_ms'])} {fmt(p['p95_ms'])} "
            f"{fmt(p['p99_ms'])} {p['ok']:5d} {p['rejected_429']:5d} {p['errors']:6d}"
        )
    print(f"  overload offered {r['overload_run']['offered_rps']} req/s")
    m = r["memory_mb"]
    print(
        f"  memory (MB): after start {m['after_start']}, after phases {m['after_phases']}, "
        f"long run {m['long_run']}, end {m['end']}"
    )
    print(
        f"  speedup (batched / batch-1): {r['speedup']}x; admitted p99 at overload / "
        f"unloaded p99: {r['overload_p99_ratio']}x, / p99 at {r['clients']} clients: "
        f"{r['overload_p99_vs_batched']}x; memory growth {r['memory_growth_mb']} MB"
    )
    for key, met in r["met"].items():
        print(
            f"  goal {key:<26} {'met' if met else 'NOT met'}  "
            f"({GOALS.get(key, EXTRA_GOALS.get(key, ''))})"
        )
