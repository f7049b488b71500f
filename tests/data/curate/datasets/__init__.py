"""Public-dataset readers, each tested on a tiny fixture built in the dataset's own layout
(never real data): records validate, a label equals the metric depth written into the
fixture, and a missing or malformed file is a ValueError naming it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from depthlm.data.curate import Frame, Sampling, curate_frames
from depthlm.data.records import Record, read_records

W, H = 32, 24


def write_rgb(path: Path, size: tuple[int, int] = (W, H), shade: int = 0) -> Path:
    """A small coloured image (format from the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade % 256, 90, 140)).save(path)
    return path


def write_png16(path: Path, values: np.ndarray) -> Path:
    """A 16-bit single-channel PNG holding ``values`` exactly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(values, dtype=np.uint16)).save(path)
    return path


def curate(frames: Iterable[Frame], out: Path, points: int = 20) -> list[Record]:
    """Run the shared writer and read the records back (both validate every record)."""
    result = curate_frames(frames, out, sampling=Sampling(points=points), progress=False)
    return read_records(result.records_path)


def z_at(record: Record, dmap: np.ndarray) -> np.ndarray:
    """``dmap`` at the record's pixels (the z each label must equal)."""
    pix = np.asarray(record.pixel_coords)
    return dmap[pix[:, 1], pix[:, 0]]
