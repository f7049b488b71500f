"""Sharded evaluation: two torchrun ranks (gloo, CPU) give the one-process results."""

import json
import subprocess
import sys

import pytest

from depthlm.evaluation.shard import Shard
from tests.conftest import make_dataset


def test_shards_are_disjoint_and_cover_everything(monkeypatch):
    items = list(range(11))
    parts = [Shard(r, 3).take(items) for r in range(3)]
    assert sorted(x for part in parts for x in part) == items
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(ValueError, match="RANK=2 WORLD_SIZE=2"):
        Shard.from_env()


def _strip(results: dict) -> dict:
    return {k: v for k, v in results.items() if k != "predictions"}


def _rows(path):
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "latency_s"} for r in lines]


@pytest.mark.slow
def test_torchrun_two_ranks_equal_one_process(tmp_path):
    data = make_dataset(tmp_path / "data", n_images=5, size=(128, 96), points=4)
    base = [sys.executable, "-m", "depthlm.cli.main", "eval", "--model", "embedded",
            "--data", str(data), "--points", "all", "--batch-size", "4", "--quiet"]  # fmt: skip
    one = subprocess.run([*base, "--output", str(tmp_path / "one.json")], capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert one.returncode == 0, one.stderr[-2000:]
    dist = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
            "--master_port", "29563", *base[1:],
            "--output", str(tmp_path / "two.json")]  # fmt: skip
    two = subprocess.run(dist, capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-3000:]
    r1 = json.loads((tmp_path / "one.json").read_text())
    r2 = json.loads((tmp_path / "two.json").read_text())
    assert _strip(r1) == _strip(r2)
    assert r1["average"]["n"] + r1["average"]["skipped"] == 20
    assert _rows(tmp_path / "one.predictions.jsonl") == _rows(tmp_path / "two.predictions.jsonl")
    assert sorted(p.name for p in tmp_path.glob("two.predictions.rank*")) == [
        "two.predictions.rank0of2.jsonl",
        "two.predictions.rank1of2.jsonl",
    ]
