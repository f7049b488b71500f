"""One small synthetic run shared by the synth tests (rendering is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthlm.data.records import read_records
from depthlm.data.synth import synthesize


@pytest.fixture(scope="session")
def synth_run(tmp_path_factory) -> Path:
    """40 views (20 two-view sequences) of the mixed world at 72 px, with dense maps."""
    out = tmp_path_factory.mktemp("synth") / "run"
    synthesize(
        out,
        images=40,
        seed=11,
        world="mixed",
        size=72,
        points=20,
        dense=True,
        progress=False,
        workers=1,
    )
    return out


@pytest.fixture(scope="session")
def synth_records(synth_run):
    return read_records(synth_run / "records.jsonl")
