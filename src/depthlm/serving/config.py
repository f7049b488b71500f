"""Settings of ``depthlm serve``: one dataclass, so the CLI, tests and benchmarks build the same
server (``create_app(ServeConfig(...))``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Largest image accepted by default (pixels). Pillow refuses > 179 MP only after a warning at
#: 89 MP; a depth server answering one photo at a time has no use for more than a 40 MP camera.
DEFAULT_MAX_PIXELS = 40_000_000
#: Largest request body by default (bytes): a 40 MP JPEG is ~15 MB, ~20 MB as base64.
DEFAULT_MAX_BODY = 32 * 1024 * 1024


@dataclass
class ServeConfig:
    """What to serve and how much to accept.

    ``max_batch`` counts questions (one per point) per model call and ``max_wait_ms`` how long
    the first queued request waits for others to join its call; ``queue_size`` bounds the
    requests waiting for the model (beyond it: 429 with ``Retry-After``), ``timeout_s`` each
    request's wait for its answers (beyond it: 504).
    """

    model: str = "embedded"
    host: str = "127.0.0.1"
    port: int = 8000
    api_key_env: str | None = None
    served_name: str | None = None  # the id clients send as "model"; default from ``model``
    device: str | None = None
    batch_size: int = 32  # the backend's own batch (questions per forward pass)
    samples: int = 1  # > 1: every answer is the median of this many sampled replies
    temperature: float | None = None  # their sampling temperature (default 0.7)
    beams: int = 1  # > 1: every answer is the best bet among this many beam-search replies
    max_batch: int = 64
    max_wait_ms: float = 10.0
    queue_size: int = 64
    timeout_s: float = 120.0
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_pixels: int = DEFAULT_MAX_PIXELS
    min_side: int = 16  # smaller images cannot hold a marker with its margin
    max_points: int = 1024  # points per /v1/measure request
    max_queries: int = 4096  # queries per /v1/depth request
    allow_remote_images: bool = False
    # Serving another backend (``openai:MODEL`` through an upstream API, ``vllm:PATH``):
    upstream_api_base: str | None = None
    upstream_api_key_env: str = "OPENAI_API_KEY"
    tensor_parallel_size: int = 1
    remote_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        for name in (
            "max_batch",
            "queue_size",
            "max_body_bytes",
            "max_pixels",
            "min_side",
            "max_points",
            "max_queries",
            "batch_size",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        from depthlm.inference.consensus import check_decoding

        check_decoding(self.samples, self.temperature, self.beams)
        if self.max_wait_ms < 0 or self.timeout_s <= 0:
            raise ValueError("max_wait_ms must be >= 0 and timeout_s > 0")

    @property
    def model_id(self) -> str:
        """The name ``/v1/models`` lists and chat requests must use."""
        if self.served_name:
            return self.served_name
        if self.model == "embedded":
            return "depthlm-tiny"
        return self.model.rstrip("/").split("/")[-1].split(":")[-1] or self.model

    def api_key(self) -> str | None:
        """The key from ``api_key_env`` (read once at start-up, never logged)."""
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ValueError(f"--api-key-env {self.api_key_env}: that variable is not set or empty")
        return key
