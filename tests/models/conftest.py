"""Tiny random-init VLMs, each built once per test session and shared by every test module.

``tiny_model_dir`` caches by arch at module level, so ``tests/inference`` (which imports it from
here) reuses the same directories instead of building its own copies.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from depthlm.models.tiny import TINY_ARCHS, build_tiny

_BUILT: dict[str, Path] = {}


def tiny_model_dir(arch: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of the session's tiny ``arch`` model (seed 0), building it on first use."""
    if arch not in _BUILT:
        _BUILT[arch] = build_tiny(arch, tmp_path_factory.mktemp(f"tiny-{arch}"), seed=0)
    return _BUILT[arch]


@pytest.fixture(scope="session", autouse=True)
def _hf_offline() -> Iterator[None]:
    """Hub offline mode for the whole session (env var and the already-imported constant)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        yield


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert os.environ["HF_HUB_OFFLINE"] == "1"


@pytest.fixture(scope="session", params=TINY_ARCHS)
def tiny_arch(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def tiny_dir(tiny_arch: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model_dir(tiny_arch, tmp_path_factory)
