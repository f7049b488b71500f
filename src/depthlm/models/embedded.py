"""depthlm-tiny, the embedded model: a small Qwen2.5-VL trained by depthlm's own SFT on the
synthetic world, shipped inside the package so the demo and tests need no download.

``--model embedded`` (or ``DepthLM.from_pretrained("embedded")``) anywhere a model is accepted
resolves to its folder; it loads with ``from_pretrained`` like any checkpoint.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

EMBEDDED = "embedded"


def embedded_dir() -> Path:
    """Folder of the shipped weights (``save_pretrained`` layout plus ``depthlm.json``)."""
    return Path(str(resources.files("depthlm") / "weights" / "depthlm-tiny"))


def resolve_model_path(model: str) -> str:
    """``"embedded"`` → the shipped folder; anything else is returned unchanged."""
    if model != EMBEDDED:
        return model
    path = embedded_dir()
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"the embedded model is missing from this install: {path}")
    return str(path)
