"""The preprocessing contract that travels with a checkpoint (``depthlm.json``).

A DepthLM checkpoint only works on inputs built the way it was trained: the reference code
trains Qwen2.5-VL at a 1000 px focal and hard-codes 750 px in evaluation, which silently costs
accuracy. Writing the contract beside the weights and restoring it on load removes the guess.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from depthlm.prompting.query import QuerySpec
from depthlm.utils.io import atomic_write_json

CONTRACT_FILE = "depthlm.json"
SPEC_FIELDS = ("focal", "preset", "marker", "fxfy", "task", "window")


def save_contract(model_dir: str | Path, spec: QuerySpec, **extra: Any) -> Path:
    """Write ``depthlm.json`` (the spec plus any extra facts, e.g. ``tasks``)."""
    path = Path(model_dir) / CONTRACT_FILE
    atomic_write_json(path, {**spec.to_dict(), **extra})
    return path


def load_contract(model_dir: str | Path | None) -> dict[str, Any]:
    """The contract of a local checkpoint, or ``{}`` when it has none."""
    if model_dir is None:
        return {}
    path = Path(model_dir) / CONTRACT_FILE
    if not path.is_file():
        return {}
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON ({e.msg})") from None
    return obj if isinstance(obj, dict) else {}


def resolve_spec(model_dir: str | Path | None = None, **overrides: Any) -> QuerySpec:
    """Flags given by the user (non-``None``) win over the checkpoint's contract, which wins
    over depthlm's defaults."""
    values = {k: v for k, v in load_contract(model_dir).items() if k in SPEC_FIELDS}
    values.update({k: v for k, v in overrides.items() if v is not None and k in SPEC_FIELDS})
    return QuerySpec(**values)
