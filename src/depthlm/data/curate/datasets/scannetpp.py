"""ScanNet++ (Yeshwanth et al., ICCV 2023), iPhone stream: ARKit LiDAR depth with poses.

Layout: the release's ``data/<scene_id>/iphone/`` after the toolkit's
``python -m iphone.prepare_iphone_data`` (scannetpp/scannetpp, ``iphone/prepare_iphone_data.py``)
has extracted the frames from ``rgb.mkv`` / ``depth.bin``::

    ROOT/data/<scene_id>/iphone/rgb/frame_000000.jpg      # 1920×1440 colour
    ROOT/data/<scene_id>/iphone/depth/frame_000000.png    # 256×192 uint16 millimetres, 0 = none
    ROOT/data/<scene_id>/iphone/pose_intrinsic_imu.json   # per frame: "intrinsic" 3×3 (colour),
                                                          # "aligned_pose" / "pose" 4×4 c2w

``ROOT`` may also be ``data/``, one scene folder or one ``iphone`` folder. Frames with a colour
image are read (``extract_only_rgb_in_colmap`` extracts a subset). Depth is z (ARKit depth;
the toolkit's ``arkit_pcl.py`` back-projects it as z), ``value / 1000`` metres.

As ``arkit_pcl.py`` does, the colour image is resized to the depth map's size (written to
``cache``) and its intrinsics scaled by the same factor; the pose is ``aligned_pose`` (the laser
scan's frame, as the toolkit uses) or else ``pose``. Caveats: iPhone LiDAR depth is coarse
(256×192, upsampled by ARKit) and smooths edges; the DSLR images with depth rendered from the
laser mesh (``common/render.py``, uint16 mm, z) are the high-quality alternative and are not
read here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.datasets._indoor import (
    as_int,
    cache_dir,
    need,
    pinhole,
    png_metres,
    resized_copy,
    scale_intrinsics,
)
from depthlm.data.curate.frames import Frame

NAME = "scannetpp"
TITLE = "ScanNet++ iPhone frames (toolkit prepare_iphone_data export)"
URL = "https://kaldir.vc.in.tum.de/scannetpp/"
LICENSE = "ScanNet++ Terms of Use: non-commercial research, application required"
UNITS = "16-bit PNG millimetres (/1000), as written by iphone/prepare_iphone_data.py"
OPTIONS = {
    "stride": "keep every N-th frame of a scene (default 1; the iPhone stream is 60 fps)",
    "cache": "folder for the resized colour images (default ROOT/_depthlm_rgb)",
}


def frames(root: Path, stride: int | str = 1, cache: str | Path | None = None) -> Iterator[Frame]:
    root = Path(root)
    step = as_int(stride, "stride")
    out = cache_dir(root, cache)
    found = [root] if root.name == "iphone" else [
        p for pattern in ("iphone", "*/iphone", "data/*/iphone") for p in sorted(root.glob(pattern))
    ]  # fmt: skip
    phones = [p for p in dict.fromkeys(found) if (p / "rgb").is_dir()]
    if not phones:
        raise ValueError(f"{root}: no ScanNet++ iphone/rgb folder found (run the toolkit's "
                         f"iphone.prepare_iphone_data first)")  # fmt: skip
    for phone in phones:
        scene = phone.parent.name
        meta_path = need(phone / "pose_intrinsic_imu.json", "pose/intrinsics file")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{meta_path}: invalid JSON ({e})") from None
        for rgb in sorted((phone / "rgb").glob("frame_[0-9]*.jpg"))[::step]:
            entry = meta.get(rgb.stem) if isinstance(meta, dict) else None
            if not isinstance(entry, dict) or "intrinsic" not in entry:
                raise ValueError(f"{meta_path}: no intrinsics for frame {rgb.stem!r}")
            try:
                k = pinhole(np.asarray(entry["intrinsic"], dtype=np.float64).reshape(3, 3),
                            meta_path)  # fmt: skip
                pose = entry.get("aligned_pose", entry.get("pose"))
                pose = None if pose is None else _c2w(pose)
            except (TypeError, ValueError) as e:
                raise ValueError(f"{meta_path}: frame {rgb.stem!r}: {e}") from None
            depth = png_metres(phone / "depth" / f"{rgb.stem}.png", 1000.0)
            height, width = depth.shape
            sx, sy = resized_copy(rgb, out / scene / rgb.name, (width, height))
            yield Frame(
                rgb=out / scene / rgb.name,
                depth=depth,
                intrinsics=scale_intrinsics(k, sx, sy),
                camera_to_world=pose,
                sequence=scene,
                frame=int(n) if (n := rgb.stem.removeprefix("frame_")).isdigit() else None,
                id=f"{scene}/{rgb.stem}",
                name=f"{scene}_{rgb.name}",
            )


def _c2w(pose: object) -> list[list[float]] | None:
    m = np.asarray(pose, dtype=np.float64).reshape(4, 4)
    if not np.isfinite(m).all():
        return None
    if not np.allclose(m[3], [0, 0, 0, 1], atol=1e-6):
        raise ValueError(f"pose's last row must be 0 0 0 1, got {m[3].tolist()}")
    return m.tolist()
