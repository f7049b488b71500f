"""ScanNet v2 (Dai et al., CVPR 2017): Structure-sensor RGB-D scans with BundleFusion poses.

Layout: each ``<scanId>.sens`` exported with the official SensReader (``reader.py
--export_color_images --export_depth_images --export_poses --export_intrinsics``)::

    ROOT/scene0000_00/color/0.jpg             # 1296×968 colour
    ROOT/scene0000_00/depth/0.png             # 640×480 uint16 millimetres, 0 = no depth
    ROOT/scene0000_00/pose/0.txt              # 4×4 camera-to-world (-inf where tracking failed)
    ROOT/scene0000_00/intrinsic/intrinsic_color.txt   # 4×4, for the 1296×968 colour image

``ROOT`` may also be one scene folder. Depth is z, ``value / 1000`` metres.

Colour and depth differ in size, so each colour image is resized to the depth map's size
(written to ``cache``) and the colour intrinsics are scaled with it, separately in x and y
(1296×968 → 640×480 is not a uniform scale). The depth frames are registered to the colour
camera by the capture pipeline; ``intrinsic_depth.txt`` agrees with the scaled colour
intrinsics to about a pixel and is not used. A pose holding -inf is dropped (the frame is kept
without one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from depthlm.data.curate.datasets._indoor import (
    as_bool,
    as_int,
    cache_dir,
    pinhole,
    png_metres,
    pose_or_none,
    read_matrix,
    resized_copy,
    scale_intrinsics,
)
from depthlm.data.curate.frames import Frame

NAME = "scannet"
TITLE = "ScanNet v2 (SensReader export)"
URL = "http://www.scan-net.org/"
LICENSE = "ScanNet Terms of Use: non-commercial research, signed agreement required"
UNITS = "16-bit PNG millimetres (/1000), SensReader depth shift 1000 (SensorData.py)"
OPTIONS = {
    "stride": "keep every N-th frame of a scan (default 1; ScanNet is 30 fps)",
    "poses": "attach camera-to-world poses: true (default) or false",
    "cache": "folder for the resized colour images (default ROOT/_depthlm_rgb)",
}


def frames(root: Path, stride: int | str = 1, poses: bool | str = True,
           cache: str | Path | None = None) -> Iterator[Frame]:  # fmt: skip
    root = Path(root)
    step = as_int(stride, "stride")
    with_poses = as_bool(poses, "poses")
    out = cache_dir(root, cache)
    scenes = [root] if (root / "color").is_dir() else sorted(
        p for p in root.iterdir() if (p / "color").is_dir()
    )  # fmt: skip
    if not scenes:
        raise ValueError(f"{root}: no ScanNet export (a scene folder with color/) found")
    for scene in scenes:
        k_path = scene / "intrinsic" / "intrinsic_color.txt"
        colour_k = pinhole(read_matrix(k_path, 4, 4, "4x4 intrinsic matrix"), k_path)
        images = sorted((p for p in (scene / "color").glob("*.jpg") if p.stem.isdigit()),
                        key=lambda p: int(p.stem))  # fmt: skip
        if not images:
            raise ValueError(f"{scene / 'color'}: no <n>.jpg colour frames")
        for rgb in images[::step]:
            n = int(rgb.stem)
            depth = png_metres(scene / "depth" / f"{n}.png", 1000.0)
            height, width = depth.shape
            small = out / scene.name / f"{n}.jpg"
            sx, sy = resized_copy(rgb, small, (width, height))
            pose = pose_or_none(scene / "pose" / f"{n}.txt") if with_poses else None
            yield Frame(
                rgb=small,
                depth=depth,
                intrinsics=scale_intrinsics(colour_k, sx, sy),
                camera_to_world=pose,
                sequence=scene.name,
                frame=n,
                id=f"{scene.name}/{n}",
                name=f"{scene.name}_{n:06d}.jpg",
            )
