"""TUM RGB-D benchmark (Sturm et al., IROS 2012): Kinect sequences with motion-capture poses.

Layout: the extracted ``.tgz`` of one or more sequences (``ROOT`` may be one of them)::

    ROOT/rgbd_dataset_freiburg1_desk/
        rgb.txt  depth.txt            # "timestamp filename" lines, '#' comments
        groundtruth.txt               # "timestamp tx ty tz qx qy qz qw" (optional)
        rgb/1305031102.175304.png
        depth/1305031102.160407.png   # uint16, 5000 per metre, 0 = no depth

Depth images are registered to the RGB camera by the OpenNI driver (1:1 pixels), z-depth,
``value / 5000`` metres. RGB and depth are paired like the benchmark's ``associate.py``: closest
timestamps first, each used once, at most ``max_difference`` (0.02 s) apart; unpaired RGB frames
are skipped. The pose is the ground-truth line nearest in time (within the same limit; else
none): position and orientation of the RGB camera's optical centre in the mocap world, i.e.
camera-to-world.

Intrinsics come from the sequence name (the benchmark's calibrated RGB cameras): freiburg1
517.3 516.5 318.6 255.3, freiburg2 520.9 521.0 325.1 249.7, freiburg3 535.4 539.2 320.1 247.6.
Caveat: fr1/fr2 images are not undistorted (d0 ≈ 0.26 / 0.23) and the distortion is ignored;
TUM's own point-cloud tools use the ROS default 525, 525, 319.5, 239.5 (``camera=ros``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._indoor import (
    as_choice,
    as_float,
    as_int,
    need,
    png_metres,
    quat_matrix,
    rigid,
)
from depthlm.data.curate.frames import Frame

NAME = "tum"
TITLE = "TUM RGB-D benchmark sequences"
URL = "https://cvg.cit.tum.de/data/datasets/rgbd-dataset"
LICENSE = "CC BY 4.0"
UNITS = "16-bit PNG, 5000 per metre (TUM file-format page); 0.02 s pairing as in associate.py"
OPTIONS = {
    "camera": "auto (from the sequence name, default), fr1, fr2, fr3 or ros (525/319.5/239.5)",
    "max_difference": "largest RGB↔depth / RGB↔pose timestamp gap in seconds (default 0.02)",
    "stride": "keep every N-th paired frame (default 1)",
}

CAMERAS = {
    "fr1": (517.3, 516.5, 318.6, 255.3),
    "fr2": (520.9, 521.0, 325.1, 249.7),
    "fr3": (535.4, 539.2, 320.1, 247.6),
    "ros": (525.0, 525.0, 319.5, 239.5),
}


def frames(root: Path, camera: str = "auto", max_difference: float | str = 0.02,
           stride: int | str = 1) -> Iterator[Frame]:  # fmt: skip
    root = Path(root)
    camera = as_choice(camera, "camera", ("auto", *CAMERAS))
    step = as_int(stride, "stride")
    limit = as_float(max_difference, "max_difference")
    sequences = sorted(p.parent for p in root.rglob("rgb.txt"))
    if not sequences:
        raise ValueError(f"{root}: no TUM sequence (a folder with rgb.txt) found")
    for seq in sequences:
        intr = CAMERAS[camera] if camera != "auto" else _camera_from_name(seq)
        rgb = _read_list(seq / "rgb.txt", 1)
        depth = _read_list(need(seq / "depth.txt", "depth list"), 1)
        gt_path = seq / "groundtruth.txt"
        truth = _read_list(gt_path, 7) if gt_path.is_file() else {}
        pairs = _associate(list(rgb), list(depth), limit)
        gt_times = np.array(sorted(truth))
        for index, t in enumerate(sorted(pairs)[::step]):
            rgb_path = seq / rgb[t][0]
            need(rgb_path, "RGB image")
            yield Frame(
                rgb=rgb_path,
                depth=png_metres(seq / depth[pairs[t]][0], 5000.0),
                intrinsics=intr,
                camera_to_world=_pose(truth, gt_times, t, limit, gt_path),
                sequence=seq.name,
                frame=index * step,
                id=f"{seq.name}/{rgb_path.stem}",
                name=f"{seq.name}_{rgb_path.stem}{rgb_path.suffix}",
            )


def _camera_from_name(seq: Path) -> tuple[float, float, float, float]:
    found = re.search(r"freiburg([123])", seq.name)
    if not found:
        raise ValueError(f"{seq}: cannot tell the camera from the folder name (expected "
                         f"'freiburg1/2/3'); pass camera=fr1|fr2|fr3|ros")  # fmt: skip
    return CAMERAS[f"fr{found.group(1)}"]


def _read_list(path: Path, fields: int) -> dict[float, list[str]]:
    """``timestamp field...`` lines → {timestamp: fields}; '#' lines are comments."""
    table: dict[float, list[str]] = {}
    for n, line in enumerate(need(path, "TUM list").read_text(encoding="utf-8").splitlines(), 1):
        tokens = line.split("#", 1)[0].replace(",", " ").split()
        if not tokens:
            continue
        try:
            if len(tokens) != fields + 1:
                raise ValueError(f"{len(tokens)} fields")
            table[float(tokens[0])] = tokens[1:]
        except ValueError as e:
            raise ValueError(f"{path}:{n}: malformed line {line.strip()!r} ({e})") from None
    if not table:
        raise ValueError(f"{path}: no entries")
    return table


def _associate(first: list[float], second: list[float], limit: float) -> dict[float, float]:
    """associate.py's rule: closest pairs first, each timestamp used at most once."""
    others = sorted(second)
    candidates = []
    for a in first:
        lo, hi = bisect_left(others, a - limit), bisect_right(others, a + limit)
        candidates += [(abs(a - b), a, b) for b in others[lo:hi] if abs(a - b) < limit]
    candidates.sort()
    pairs: dict[float, float] = {}
    used: set[float] = set()
    for _, a, b in candidates:
        if a not in pairs and b not in used:
            pairs[a] = b
            used.add(b)
    return pairs


def _pose(truth: dict[float, list[str]], times: np.ndarray, t: float, limit: float,
          path: Path) -> list[list[float]] | None:  # fmt: skip
    if times.size == 0:
        return None
    nearest = float(times[np.abs(times - t).argmin()])
    if abs(nearest - t) >= limit:
        return None
    try:
        tx, ty, tz, qx, qy, qz, qw = (float(v) for v in truth[nearest])
        return rigid(quat_matrix(qw, qx, qy, qz), np.array([tx, ty, tz]))
    except ValueError as e:
        raise ValueError(f"{path}: bad pose at {nearest} ({e})") from None
