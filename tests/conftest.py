"""Shared fixtures: the real iBims-1 sample from ../shared and small synthetic records."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
IBIMS = REPO.parent / "shared" / "data" / "ibims1"


@pytest.fixture(scope="session")
def ibims_jsonl() -> Path:
    """The iBims-1 sample; CI sets DEPTHLM_REQUIRE_SHARED=1 so its absence fails, not skips."""
    path = IBIMS / "ibims1_val.jsonl"
    if not path.is_file():
        if os.environ.get("DEPTHLM_REQUIRE_SHARED") == "1":
            pytest.fail(f"shared data missing: {path}")
        pytest.skip(f"shared data not found at {path}")
    return path


def make_dataset(
    folder: Path,
    n_images: int = 3,
    size: tuple[int, int] = (64, 48),
    points: int = 5,
    seed: int = 0,
    name: str = "toy",
) -> Path:
    """A tiny valid dataset: random images, centred intrinsics, points away from borders."""
    rng = np.random.default_rng(seed)
    (folder / "rgb").mkdir(parents=True, exist_ok=True)
    w, h = size
    lines = []
    for i in range(n_images):
        img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        Image.fromarray(img).save(folder / "rgb" / f"{name}_{i}.png")
        xs = rng.integers(8, w - 8, points)
        ys = rng.integers(8, h - 8, points)
        lines.append(
            {
                "image": f"rgb/{name}_{i}.png",
                "intrinsics": [60.0, 60.0, w / 2, h / 2, w, h],
                "pixel_coords": [[int(x), int(y)] for x, y in zip(xs, ys, strict=True)],
                "depth": [float(d) for d in rng.uniform(0.5, 10.0, points)],
            }
        )
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


@pytest.fixture
def toy_jsonl(tmp_path: Path) -> Path:
    return make_dataset(tmp_path)
