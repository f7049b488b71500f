"""Prometheus metrics of one server (``GET /metrics``), in a registry of its own so several
apps in one process (tests, benchmarks) never share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class Metrics:
    """Requests by route and status, latency, queue depth, and how full model calls are."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "depthlm_requests", "HTTP requests answered.", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "depthlm_request_latency_seconds",
            "Request latency.",
            ["route"],
            buckets=_LATENCY,
            registry=r,
        )
        self.rejected = Counter(
            "depthlm_rejected",
            "Requests refused before the model (queue full, timeout).",
            ["reason"],
            registry=r,
        )
        self.in_flight = Gauge(
            "depthlm_requests_in_flight", "Admitted model requests not yet answered.", registry=r
        )
        self.queue_depth = Gauge(
            "depthlm_queue_depth", "Requests waiting for a model call.", registry=r
        )
        self.batch_questions = Histogram(
            "depthlm_batch_questions", "Questions per model call.", buckets=_SIZES, registry=r
        )
        self.batch_requests = Histogram(
            "depthlm_batch_requests", "Requests per model call.", buckets=_SIZES, registry=r
        )
        self.model_seconds = Histogram(
            "depthlm_model_call_seconds", "Model call wall time.", buckets=_LATENCY, registry=r
        )
        self.ready = Gauge("depthlm_model_ready", "1 once the model is loaded.", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
