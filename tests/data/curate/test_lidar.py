"""LiDAR folders → records: a wall with a box in front, seen by a LiDAR offset from the camera.

The scene is built in the camera frame and moved into the LiDAR frame, so the expected label of
every pixel (nearest return's z, as a Euclidean distance) is known independently of the
converter; the offset creates parallax, so wall points behind the box land in box pixels.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from depthlm.cli.main import app
from depthlm.data.curate import curate_lidar
from depthlm.data.curate.lidar import read_points
from depthlm.data.curate.lidar_folder import read_extrinsics
from depthlm.data.records import read_records

W, H = 64, 48
INTR = [40.0, 40.0, 32.0, 24.0]
WALL_Z, BOX_Z = 8.0, 3.0
# LiDAR axes (x forward, y left, z up) → camera axes (x right, y down, z forward)
R_LIDAR_TO_CAM = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
runner = CliRunner()


def lidar_to_camera(offset: tuple[float, float, float] = (0.3, -0.4, -0.5)) -> np.ndarray:
    """LiDAR→camera 4×4; ``offset`` is the LiDAR origin in camera coordinates (right of,
    above and behind the camera by default)."""
    T = np.eye(4)
    T[:3, :3] = R_LIDAR_TO_CAM
    T[:3, 3] = offset
    return T


def _grid(x: tuple[float, float], y: tuple[float, float], z: float, step: float) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(*x, step), np.arange(*y, step))
    return np.stack([xs.ravel(), ys.ravel(), np.full(xs.size, z)], axis=1)


def scene_camera_points(seed: int = 0, behind: bool = False) -> np.ndarray:
    """Wall at 8 m, box face at 3 m, jittered so no point sits on a pixel boundary;
    ``behind`` adds points behind the camera that would land inside the image if kept."""
    rng = np.random.default_rng(seed)
    wall = _grid((-6.0, 6.0), (-5.0, 5.0), WALL_Z, 0.1)
    box = _grid((-0.6, 0.6), (-0.5, 0.5), BOX_Z, 0.03)
    pts = np.vstack([wall, box])
    if behind:
        pts = np.vstack([pts, _grid((-1.0, 1.0), (-1.0, 1.0), -2.0, 0.05)])
    return pts + rng.normal(scale=1e-4, size=pts.shape)


def to_lidar(cam_points: np.ndarray, T: np.ndarray) -> np.ndarray:
    return (cam_points - T[:3, 3]) @ T[:3, :3]  # inverse of x_cam = R x_lidar + t


def expected_z(lidar_points: np.ndarray, T: np.ndarray) -> dict[tuple[int, int], float]:
    """Nearest camera z of the points landing in each pixel, computed without the converter."""
    cam = lidar_points @ T[:3, :3].T + T[:3, 3]
    cam = cam[cam[:, 2] > 0.5]
    u = np.floor(INTR[0] * cam[:, 0] / cam[:, 2] + INTR[2]).astype(int)
    v = np.floor(INTR[1] * cam[:, 1] / cam[:, 2] + INTR[3]).astype(int)
    best: dict[tuple[int, int], float] = {}
    for x, y, z in zip(u, v, cam[:, 2], strict=True):
        if 0 <= x < W and 0 <= y < H and z < best.get((x, y), np.inf):
            best[(x, y)] = z
    return best


def make_lidar_folder(
    root: Path, n: int = 2, *, behind: bool = False, per_frame: bool = False,
    fmt: str = "npy",
) -> dict[str, Path]:  # fmt: skip
    """``root/images``, ``root/clouds`` and the extrinsics (one file, or a folder when
    ``per_frame``: frame i's LiDAR sits 0.1·i m further right)."""
    images, clouds = root / "images", root / "clouds"
    images.mkdir(parents=True)
    clouds.mkdir()
    extr_dir = root / "extrinsics"
    if per_frame:
        extr_dir.mkdir()
    else:
        np.savetxt(root / "lidar_to_cam.txt", lidar_to_camera())
    for i in range(n):
        Image.new("RGB", (W, H), (90, 60 + 40 * i, 120)).save(images / f"frame_{i:05d}.png")
        T = lidar_to_camera((0.3 + 0.1 * i, -0.4, -0.5)) if per_frame else lidar_to_camera()
        pts = to_lidar(scene_camera_points(seed=i, behind=behind), T)
        if fmt == "npy":
            np.save(clouds / f"frame_{i:05d}.npy", pts)
        else:  # nuScenes-style: float32 x y z intensity ring
            extra = np.zeros((len(pts), 2))
            np.hstack([pts, extra]).astype(np.float32).tofile(clouds / f"sweep_{i}.pcd.bin")
        if per_frame:
            (extr_dir / f"frame_{i:05d}.json").write_text(json.dumps(T.tolist()))
    extr = extr_dir if per_frame else root / "lidar_to_cam.txt"
    return {"images": images, "points": clouds, "extrinsics": extr}


def _curate(folder: dict[str, Path], out: Path, **kw):
    kw.setdefault("intrinsics", INTR)
    kw.setdefault("points_per_image", 100_000)
    kw.setdefault("progress", False)
    return curate_lidar(folder["images"], folder["points"], out,
                        extrinsics=folder["extrinsics"], **kw)  # fmt: skip


def _euclidean(x: int, y: int, z: float) -> float:
    fx, fy, cx, cy = INTR
    return z * np.sqrt(1 + ((x - cx) / fx) ** 2 + ((y - cy) / fy) ** 2)


@pytest.mark.parametrize("per_frame", [False, True])
def test_labels_are_the_nearest_return(tmp_path, per_frame):
    folder = make_lidar_folder(tmp_path, per_frame=per_frame)
    res = _curate(folder, tmp_path / "out")
    records = read_records(res.records_path)
    assert res.records == 2 and [r.depth_type for r in records] == ["euclidean"] * 2
    for i, r in enumerate(records):
        T = read_extrinsics(folder["extrinsics"] / f"frame_{i:05d}.json") if per_frame else (
            read_extrinsics(folder["extrinsics"]))  # fmt: skip
        cloud = read_points(folder["points"] / f"frame_{i:05d}.npy")
        best = expected_z(cloud, T)
        inner = {p for p in best if 5 <= p[0] < W - 5 and 5 <= p[1] < H - 5}
        assert {tuple(p) for p in r.pixel_coords} == inner  # every eligible pixel, no other
        for (x, y), d, z in zip(r.pixel_coords, r.depth, r.z_depth, strict=True):
            assert z == pytest.approx(best[(x, y)], abs=1e-9)
            assert d == pytest.approx(_euclidean(x, y, best[(x, y)]), rel=1e-9)


def test_occluded_wall_never_labels_box_pixels(tmp_path):
    folder = make_lidar_folder(tmp_path, n=1)
    (r,) = read_records(_curate(folder, tmp_path / "out").records_path)
    T = lidar_to_camera()
    cam = read_points(folder["points"] / "frame_00000.npy") @ T[:3, :3].T + T[:3, 3]
    wall = cam[cam[:, 2] > 5.0]
    wall_px = {(int(np.floor(40 * x / z + 32)), int(np.floor(40 * y / z + 24)))
               for x, y, z in wall}  # fmt: skip
    z_at = dict(zip(map(tuple, r.pixel_coords), r.z_depth, strict=True))
    box_px = {p for p, z in z_at.items() if z < 5.0}
    shared = box_px & wall_px
    assert len(box_px) > 100 and len(shared) > 100  # the test scene really has parallax
    assert all(abs(z_at[p] - BOX_Z) < 0.01 for p in shared)


def test_points_behind_the_camera_are_ignored(tmp_path):
    plain = make_lidar_folder(tmp_path / "a", n=1)
    behind = make_lidar_folder(tmp_path / "b", n=1, behind=True)
    a = _curate(plain, tmp_path / "a/out", points_per_image=300).records_path.read_text()
    b = _curate(behind, tmp_path / "b/out", points_per_image=300).records_path.read_text()
    assert len(read_points(behind["points"] / "frame_00000.npy")) > len(
        read_points(plain["points"] / "frame_00000.npy"))  # fmt: skip
    assert a == b


def test_bin_strides(tmp_path):
    pts = np.arange(24, dtype=np.float32).reshape(-1, 4)  # x y z intensity
    pts.tofile(tmp_path / "000001.bin")
    assert read_points(tmp_path / "000001.bin").tolist() == pts[:, :3].tolist()
    pts5 = np.arange(30, dtype=np.float32).reshape(-1, 5)  # x y z intensity ring
    pts5.tofile(tmp_path / "n008__LIDAR_TOP__1.pcd.bin")
    got = read_points(tmp_path / "n008__LIDAR_TOP__1.pcd.bin")
    assert got.tolist() == pts5[:, :3].tolist()
    np.arange(7, dtype=np.float32).tofile(tmp_path / "bad.bin")
    with pytest.raises(ValueError, match=r"bad\.bin: cannot read points"):
        read_points(tmp_path / "bad.bin")


def test_pcd_bin_folder_pairs_by_number(tmp_path):
    folder = make_lidar_folder(tmp_path, fmt="pcd.bin")
    records = read_records(_curate(folder, tmp_path / "out", points_per_image=50).records_path)
    assert [r.image for r in records] == ["images/frame_00000.png", "images/frame_00001.png"]
    assert all(len(r.depth) == 50 and min(r.z_depth) > 2.9 for r in records)


def test_seeded_twice_identical_and_balance(tmp_path):
    folder = make_lidar_folder(tmp_path)
    kw = {"points_per_image": 40, "seed": 7}
    a = _curate(folder, tmp_path / "o1", **kw).records_path.read_text()
    b = _curate(folder, tmp_path / "o2", **kw).records_path.read_text()
    c = _curate(folder, tmp_path / "o3", balance="depth", **kw).records_path.read_text()
    assert a == b and a != c
    with pytest.raises(ValueError, match="--balance must be one of uniform, depth"):
        _curate(folder, tmp_path / "o4", balance="far")


def test_poses_carried(tmp_path):
    folder = make_lidar_folder(tmp_path / "drive3")
    poses = tmp_path / "drive3" / "poses"
    poses.mkdir()
    for i in range(2):
        m = np.eye(4)
        m[2, 3] = 1.5 * i
        np.savetxt(poses / f"{i:06d}.txt", m)
    records = read_records(_curate(folder, tmp_path / "out", poses=poses).records_path)
    assert [(r.sequence, r.frame) for r in records] == [("drive3", 0), ("drive3", 1)]
    assert records[1].camera_to_world[2][3] == 1.5


def test_errors_name_the_files(tmp_path):
    folder = make_lidar_folder(tmp_path)
    out = tmp_path / "out"
    extr = folder["extrinsics"]
    extr.write_text("1 0 0\n0 1 0\n")
    with pytest.raises(ValueError, match=r"lidar_to_cam\.txt: expected a 4x4"):
        _curate(folder, out)
    extr.write_text("1 0 0 0\n0 1 0 0\n0 0 1 x\n0 0 0 1\n")
    with pytest.raises(ValueError, match=r"lidar_to_cam\.txt: extrinsics must be rows"):
        _curate(folder, out)
    np.savetxt(extr, np.diag([2.0, 2.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"lidar_to_cam\.txt: the 3x3 rotation part"):
        _curate(folder, out)
    np.savetxt(extr, lidar_to_camera())
    (folder["points"] / "frame_00001.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=r"frame_00001\.npy: cannot read points"):
        _curate(folder, out)
    (folder["points"] / "frame_00001.npy").unlink()
    with pytest.raises(ValueError, match=r"no point-cloud file for: .*frame_00001\.png"):
        _curate(folder, out)
    np.save(folder["points"] / "frame_00001.npy", np.zeros((5, 3)))
    (folder["points"] / "frame_00007.npy").write_bytes(b"")
    with pytest.raises(ValueError, match=r"without an RGB image: .*frame_00007\.npy"):
        _curate(folder, out)
    assert not (out / "records.jsonl").exists()


def test_per_frame_extrinsics_must_pair(tmp_path):
    folder = make_lidar_folder(tmp_path, per_frame=True)
    (folder["extrinsics"] / "frame_00001.json").unlink()
    with pytest.raises(ValueError, match=r"no extrinsics file for: .*frame_00001\.png"):
        _curate(folder, tmp_path / "out")


def test_cli_then_eval(tmp_path):
    folder = make_lidar_folder(tmp_path)
    out = tmp_path / "out"
    args = ["curate", "lidar", "--images", str(folder["images"]), "--points",
            str(folder["points"]), "--out", str(out), "--extrinsics", str(folder["extrinsics"]),
            "--intrinsics", "40,40,32,24", "--points-per-image", "30", "--balance", "depth",
            "--exclude-edges", "--max-depth", "20", "--quiet"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "2 images, 60 points, 0 skipped" in res.stdout
    results = tmp_path / "r.json"
    data = str(out / "records.jsonl")
    args_eval = ["eval", "--model", "constant:2.0", "--data", data, "--output", str(results)]
    res = runner.invoke(app, [*args_eval, "--quiet"])
    assert res.exit_code == 0, res.output
    assert json.loads(results.read_text())["datasets"]["records"]["n"] == 60
    bad = runner.invoke(app, [*args[:8], "--extrinsics", str(tmp_path / "nope.txt"),
                              "--intrinsics", "40,40,32,24", "--quiet"])  # fmt: skip
    assert bad.exit_code == 2 and "extrinsics file not found" in bad.output
