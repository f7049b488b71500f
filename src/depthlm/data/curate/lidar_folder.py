"""``curate_lidar``: a folder of camera images plus LiDAR sweeps → DepthLM records.

Each image is paired with one point cloud (by stem, then by the last number in the name, as
for RGB-D folders); the cloud is moved into the camera with a LiDAR→camera extrinsic matrix
(one for the whole run, or one file per frame for a moving rig) and projected with
:func:`~depthlm.data.curate.lidar.project_lidar`, which keeps the nearest return per pixel.
The resulting sparse z-depth map is labelled by
:func:`~depthlm.data.curate.frames.curate_frames` like every other source.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from depthlm.data.curate.files import image_size
from depthlm.data.curate.frames import CurationResult, Frame, curate_frames
from depthlm.data.curate.intrinsics import Intrinsics
from depthlm.data.curate.lidar import project_lidar, read_points
from depthlm.data.curate.pairing import RGB_SUFFIXES, list_files, pair_files
from depthlm.data.curate.rgbd import (
    default_sequence,
    make_sampling,
    pose_fields,
    pose_table,
    resolve_intrinsics,
)

POINT_SUFFIXES = (".npy", ".npz", ".bin")
EXTRINSICS_SUFFIXES = (".txt", ".json")
#: how far a rotation may be from orthonormal before the matrix is refused (calibration
#: files print ~6 digits; a projection matrix or a transposed layout is far beyond this)
ROTATION_TOLERANCE = 1e-3


def _matrix_values(path: Path) -> np.ndarray:
    """The numbers of a matrix file as a float array: JSON (nested or flat list) or text
    rows of whitespace- or comma-separated numbers (``#`` comments allowed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read extrinsics ({exc})") from None
    if path.suffix.lower() == ".json" or text.lstrip()[:1] == "[":
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    else:
        rows = [line.split("#", 1)[0].replace(",", " ").split() for line in text.splitlines()]
        values = [row for row in rows if row]
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: extrinsics must be rows of numbers (a 4x4 matrix)") from None


def read_extrinsics(path: str | Path) -> np.ndarray:
    """A 4×4 LiDAR→camera matrix from ``path``.

    Accepts 4 rows of 4 numbers (3 rows are completed with ``0 0 0 1``, as KITTI's
    ``Tr_velo_to_cam`` is printed) or the same as JSON. The rotation must be orthonormal: a
    wrong matrix would not fail later, it would quietly label every pixel with wrong depths.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"extrinsics file not found: {path}")
    m = _matrix_values(path)
    if m.shape == (16,) or m.shape == (12,):
        m = m.reshape(-1, 4)
    if m.shape == (3, 4):
        m = np.vstack([m, [0.0, 0.0, 0.0, 1.0]])
    if m.shape != (4, 4):
        raise ValueError(f"{path}: expected a 4x4 LiDAR-to-camera matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{path}: extrinsics hold non-finite values")
    if not np.allclose(m[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        raise ValueError(f"{path}: last extrinsics row must be 0 0 0 1, got {m[3].tolist()}")
    rot = m[:3, :3]
    if not np.allclose(rot @ rot.T, np.eye(3), atol=ROTATION_TOLERANCE):
        raise ValueError(f"{path}: the 3x3 rotation part is not orthonormal (a projection "
                         "matrix, not a rigid LiDAR-to-camera transform?)")  # fmt: skip
    return m


class Extrinsics:
    """The LiDAR→camera matrix of each image: one shared file, or a folder paired by name."""

    def __init__(self, source: str | Path, images: list[Path]) -> None:
        source = Path(source)
        self.shared: np.ndarray | None = None
        self.files: dict[Path, Path] = {}
        if source.is_dir():
            files = list_files(source, EXTRINSICS_SUFFIXES, "extrinsics")
            self.files = dict(pair_files(images, files, "extrinsics"))
        else:
            self.shared = read_extrinsics(source)

    def lookup(self, image: Path) -> np.ndarray:
        """The matrix for ``image`` (per-frame files are read when needed)."""
        if self.shared is not None:
            return self.shared
        return read_extrinsics(self.files[image])


def lidar_depth(
    image: Path, cloud: Path, lidar_to_camera: np.ndarray, intrinsics: list[float]
) -> np.ndarray:
    """The sparse z-depth map of ``cloud`` in ``image``'s camera (NaN where no return)."""
    return project_lidar(read_points(cloud), lidar_to_camera, intrinsics, image_size(image))


def _lidar_frames(
    pairs: list[tuple[Path, Path]],
    cams: Intrinsics,
    extrinsics: Extrinsics,
    pose_of: dict[Path, Path],
    sequence: str | None,
    warn: Callable[[str], None],
) -> Iterator[Frame]:
    """One z-depth frame per (image, cloud) pair, projected lazily (one cloud in memory)."""
    for index, (image, cloud) in enumerate(pairs):
        intr = cams.lookup(image.stem, cloud.stem)
        depth = lidar_depth(image, cloud, extrinsics.lookup(image), intr)
        if not np.isfinite(depth).any():
            warn(f"{cloud}: no LiDAR point lands in {image} (check --extrinsics)")
        yield Frame(
            rgb=image,
            depth=depth,
            intrinsics=(intr[0], intr[1], intr[2], intr[3]),
            depth_type="z",
            **pose_fields(pose_of.get(image), sequence, index),
        )


def curate_lidar(
    images: str | Path,
    points: str | Path,
    out: str | Path,
    *,
    extrinsics: str | Path,
    intrinsics: str | list[float] | None = None,
    intrinsics_file: str | Path | None = None,
    poses: str | Path | None = None,
    sequence: str | None = None,
    points_per_image: int = 100,
    min_depth: float = 0.0,
    max_depth: float = float("inf"),
    exclude_edges: bool = False,
    balance: str = "uniform",
    seed: int = 0,
    link: bool = False,
    progress: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> CurationResult:
    """Write ``OUT/records.jsonl`` and ``OUT/images/`` from images and LiDAR sweeps.

    ``points`` holds one cloud per image (``.npy``/``.npz`` N×3+, KITTI ``.bin`` stride 4,
    nuScenes ``.pcd.bin`` stride 5); ``extrinsics`` is a 4×4 LiDAR→camera matrix file, or a
    folder of one such file per image. Pixel ``i`` of a record is labelled with the nearest
    return landing in it; frames where no return survives the filters are skipped with a
    warning naming them. With ``poses`` the records carry ``camera_to_world``, ``sequence``
    and ``frame``.
    """
    images, points = Path(images), Path(points)
    sampling = make_sampling(points_per_image, min_depth, max_depth, exclude_edges, balance)
    cams = resolve_intrinsics(intrinsics, intrinsics_file)
    image_files = list_files(images, RGB_SUFFIXES, "image")
    pairs = pair_files(image_files, list_files(points, POINT_SUFFIXES, "point-cloud"),
                       "point-cloud")  # fmt: skip
    extr = Extrinsics(extrinsics, image_files)
    pose_of = pose_table(image_files, poses)
    if pose_of:
        sequence = sequence or default_sequence(images, points)
    warn = on_warning or (lambda msg: warnings.warn(msg, stacklevel=2))
    frames = _lidar_frames(pairs, cams, extr, pose_of, sequence, warn)
    return curate_frames(frames, out, sampling=sampling, seed=seed, link=link,
                         progress=progress, total=len(pairs), on_warning=warn)  # fmt: skip
