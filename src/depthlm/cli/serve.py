"""``depthlm serve``: the model behind an OpenAI-compatible API and a click-to-measure page.

Binds 127.0.0.1 unless told otherwise: a model server is not something to expose by accident.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.measure import MODEL_HELP
from depthlm.cli.options import Beams, Samples, Temperature


def serve_command(
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = "embedded",
    host: Annotated[str, typer.Option(help="Interface to bind (0.0.0.0: every one).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Environment variable holding the API key every route but /health "
            "then requires (Authorization: Bearer KEY)."
        ),
    ] = None,
    served_name: Annotated[
        str | None, typer.Option(help="Model id clients send (default: from --model).")
    ] = None,
    device: Annotated[str | None, typer.Option(help="cpu | cuda | mps (default: best).")] = None,
    batch_size: Annotated[int, typer.Option(help="Questions per forward pass.")] = 32,
    samples: Samples = 1,
    temperature: Temperature = None,
    beams: Beams = 1,
    max_batch: Annotated[
        int, typer.Option(help="Questions per model call across requests (1: no batching).")
    ] = 64,
    max_wait_ms: Annotated[
        float, typer.Option(help="How long a request waits for others to share its call.")
    ] = 10.0,
    queue_size: Annotated[
        int, typer.Option(help="Requests admitted at once; beyond: 429 with Retry-After.")
    ] = 64,
    timeout: Annotated[float, typer.Option(help="Seconds a request may wait (then 504).")] = 120.0,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body (MB).")] = 32.0,
    max_megapixels: Annotated[float, typer.Option(help="Largest image (MP).")] = 40.0,
    allow_remote_images: Annotated[
        bool,
        typer.Option(
            help="Fetch http(s) image URLs (off: only inline images, no server-side requests)."
        ),
    ] = False,
    upstream_api_base: Annotated[
        str | None, typer.Option(help="With --model openai:MODEL: the upstream API's base URL.")
    ] = None,
    upstream_key_env: Annotated[
        str, typer.Option(help="With --model openai:MODEL: variable holding the upstream key.")
    ] = "OPENAI_API_KEY",
    tensor_parallel_size: Annotated[int, typer.Option(help="vllm: GPUs per model copy.")] = 1,
    log_level: Annotated[str, typer.Option(help="debug | info | warning")] = "info",
) -> None:
    """Serve a DepthLM model: /v1/chat/completions (OpenAI), /v1/measure, /v1/depth, /health,
    /metrics, /docs, and a web page at /."""
    import uvicorn

    from depthlm.serving.app import create_app
    from depthlm.serving.config import ServeConfig

    with user_errors():
        config = ServeConfig(model=model, host=host, port=port, api_key_env=api_key_env,
                             served_name=served_name, device=device, batch_size=batch_size,
                             samples=samples, temperature=temperature, beams=beams,
                             max_batch=max_batch, max_wait_ms=max_wait_ms, queue_size=queue_size,
                             timeout_s=timeout, max_body_bytes=int(max_body_mb * 2**20),
                             max_pixels=int(max_megapixels * 1e6),
                             allow_remote_images=allow_remote_images,
                             upstream_api_base=upstream_api_base,
                             upstream_api_key_env=upstream_key_env,
                             tensor_parallel_size=tensor_parallel_size)  # fmt: skip
        app = create_app(config)
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s: %(message)s")
    key = f", API key from ${api_key_env}" if api_key_env else ""
    typer.echo(f"depthlm serve: {config.model_id} on http://{host}:{port}/ (page), "
               f"http://{host}:{port}/v1 (OpenAI-compatible){key}", err=True)  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(),
                timeout_graceful_shutdown=int(timeout))  # fmt: skip
