"""Every endpoint driven from its OpenAPI schema with generated inputs (schemathesis: valid
and schema-violating cases): no input may produce a 5xx, and the server must still answer
afterwards."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from depthlm.serving.app import create_app
from depthlm.serving.config import ServeConfig
from tests.serving.live import running

pytestmark = pytest.mark.slow

EXAMPLES = 20  # per operation and mode; ~1 s each with the embedded model


@pytest.fixture(scope="module")
def live():
    # The embedded model, not a fake: generated inputs must reach the real model code.
    with running(create_app(ServeConfig(max_queries=64, max_points=16))) as (base, _):
        yield base


def _operations(base: str) -> list:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(op, mode: GenerationMode, base: str, seen: list[tuple[str, int]]):
    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    def check(case) -> None:
        response = case.call(base_url=base, timeout=60)
        seen.append((op.path, response.status_code))
        assert response.status_code < 500, (op.path, case.body, response.text[:300])

    return check


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_input_gives_a_server_error(live: str, mode: GenerationMode) -> None:
    ops = _operations(live)
    posts = {"/v1/measure", "/v1/depth", "/v1/chat/completions"}
    assert {op.path for op in ops} >= posts
    seen: list[tuple[str, int]] = []
    for op in ops:
        try:
            _fuzz(op, mode, live, seen)()
        except Unsatisfiable:  # nothing in a parameterless GET can violate its schema
            assert mode is GenerationMode.NEGATIVE and op.method.upper() == "GET", op.path
    assert httpx.get(f"{live}/health").status_code == 200
    assert {path for path, _ in seen} >= posts
    if mode is GenerationMode.NEGATIVE:  # schema violations are refused as bad requests
        assert all(400 <= code < 500 for path, code in seen if path in posts)


def test_the_schema_examples_reach_the_model(live: str) -> None:
    """The documented example of each DepthLM route is a valid request the model answers.

    (Generated cases rarely hold a decodable image, and schemathesis uses the examples only in
    some runs, so this is asked directly rather than hoped for among the generated cases.)"""
    schemas = httpx.get(f"{live}/openapi.json").json()["components"]["schemas"]
    for path, name in (("/v1/measure", "MeasureRequest"), ("/v1/depth", "DepthRequest")):
        (example,) = schemas[name]["examples"]
        response = httpx.post(f"{live}{path}", json=example, timeout=60)
        assert response.status_code == 200, (path, response.text[:300])
