"""Microsoft 7-Scenes (Shotton et al., CVPR 2013): Kinect v1 sequences with KinectFusion poses.

Layout: the scene zips and the ``seq-XX.zip`` inside them extracted in place::

    ROOT/chess/TrainSplit.txt, TestSplit.txt      # "sequence1" lines
    ROOT/chess/seq-01/frame-000000.color.png      # 640×480 RGB
                      frame-000000.depth.png      # uint16 millimetres, 0 / 65535 = invalid
                      frame-000000.pose.txt       # 4×4 camera-to-world

``ROOT`` may also be one scene folder or one ``seq-XX`` folder.

Caveat (the dataset page says so): the RGB and depth cameras were never calibrated to each
other and the release holds the raw, unregistered images; the only intrinsics given are the
KinectFusion defaults of the *depth* camera, focal 585, principal point (320, 240), and the
poses are those of the depth camera. With ``register=true`` (default) each depth map is
reprojected into the colour camera the way the DSAC*/ACE ``setup_7scenes.py`` does: colour
focal 525, principal point (320, 240), the Kinect depth→RGB extrinsics of the LIRIS
calibration, nearest pixel with the nearer surface winning; the pose is moved to the colour
camera too. With ``register=false`` the raw depth keeps the depth camera's 585 intrinsics and
the RGB image is used as if aligned (it is not: ~33 px off at the left and right borders).
Depth is z (Kinect), ``value / 1000`` metres.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._indoor import (
    as_bool,
    as_choice,
    as_int,
    need,
    png_metres,
    pose_or_none,
    reproject_depth,
)
from depthlm.data.curate.frames import Frame

NAME = "sevenscenes"
TITLE = "Microsoft 7-Scenes (RGB-D relocalisation)"
URL = "https://www.microsoft.com/en-us/research/project/rgb-d-dataset-7-scenes/"
LICENSE = "Microsoft Research licence agreement: non-commercial use only"
UNITS = ("16-bit PNG millimetres (/1000), 65535 = invalid (dataset page; DSAC*/ACE "
         "setup_7scenes.py)")  # fmt: skip
OPTIONS = {
    "register": "reproject depth into the colour camera (true, default) or keep it raw (false)",
    "split": "all (default), train or test (the scene's TrainSplit.txt / TestSplit.txt)",
    "stride": "keep every N-th frame of a sequence (default 1)",
}

DEPTH_K = (585.0, 585.0, 320.0, 240.0)
COLOUR_K = (525.0, 525.0, 320.0, 240.0)
DEPTH_TO_RGB = np.array([
    [0.99996518012567637, 0.0026765126468950343, -0.0079041012313000904, -0.025558943178152542],
    [-0.0027409311281316700, 0.99996302803027592, -0.0081504520778013286, 0.00010109636268061706],
    [0.0078819942130445332, 0.0081718328771890631, 0.99993554558014031, 0.0020318321729487039],
    [0.0, 0.0, 0.0, 1.0],
])  # fmt: skip


def frames(root: Path, register: bool | str = True, split: str = "all",
           stride: int | str = 1) -> Iterator[Frame]:  # fmt: skip
    root = Path(root)
    register = as_bool(register, "register")
    split = as_choice(split, "split", ("all", "train", "test"))
    step = as_int(stride, "stride")
    sequences = sorted({p.parent for p in root.rglob("frame-*.color.png")})
    if not sequences:
        raise ValueError(f"{root}: no 7-Scenes frames (seq-XX/frame-*.color.png) found")
    for seq in sequences:
        if split != "all" and seq.name not in _split(seq.parent, split):
            continue
        scene = seq.parent.name
        for index, rgb in enumerate(sorted(seq.glob("frame-*.color.png"))[::step]):
            stem = rgb.name.removesuffix(".color.png")
            depth = png_metres(rgb.with_name(f"{stem}.depth.png"), 1000.0, invalid=(65535,))
            pose = pose_or_none(need(rgb.with_name(f"{stem}.pose.txt"), "pose"))
            intr = DEPTH_K
            if register:
                depth = reproject_depth(depth, DEPTH_K, DEPTH_TO_RGB, COLOUR_K, depth.shape)
                intr = COLOUR_K
                if pose is not None:
                    pose = (np.asarray(pose) @ np.linalg.inv(DEPTH_TO_RGB)).tolist()
            yield Frame(
                rgb=rgb,
                depth=depth,
                intrinsics=intr,
                camera_to_world=pose,
                sequence=f"{scene}/{seq.name}",
                frame=index * step,
                id=f"{scene}/{seq.name}/{stem}",
                name=f"{scene}_{seq.name}_{stem}.png",
            )


def _split(scene: Path, split: str) -> set[str]:
    """``TrainSplit.txt`` / ``TestSplit.txt`` lines ("sequence1") → {"seq-01"}."""
    path = need(scene / f"{split.capitalize()}Split.txt", f"{split} split list")
    names = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        digits = text.removeprefix("sequence")
        if not digits.isdigit():
            raise ValueError(f"{path}:{n}: expected 'sequenceN', got {text!r}")
        names.add(f"seq-{int(digits):02d}")
    return names
