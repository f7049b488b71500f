"""eth3d: raw float32 depth of the distorted image, resampled into the undistorted camera."""

import math

import numpy as np
import pytest

from depthlm.data.curate.datasets import _indoor, eth3d
from tests.data.curate.datasets import H, W, curate, write_rgb, z_at

PINHOLE = f"1 PINHOLE {W} {H} 30 30 16 12"
FISHEYE = f"1 THIN_PRISM_FISHEYE {W} {H} 30 30 16 12 0 0 0 0 0 0 0 0"
S = math.sin(math.pi / 4)
IMAGE_LINE = f"1 {S} 0 0 {S} 1 2 3 1 {{folder}}/DSC_0001.JPG\n10.5 4.5 -1 3.0 2.0 17\n"


def _scene(root, distorted=PINHOLE, depth=None):
    scene = root / "office"
    write_rgb(scene / "images" / "dslr_images_undistorted" / "DSC_0001.JPG")
    for cal, cameras, folder in (("undistorted", PINHOLE, "dslr_images_undistorted"),
                                 ("jpg", distorted, "dslr_images")):  # fmt: skip
        (scene / f"dslr_calibration_{cal}").mkdir(parents=True)
        (scene / f"dslr_calibration_{cal}" / "cameras.txt").write_text(f"# COLMAP\n{cameras}\n")
        (scene / f"dslr_calibration_{cal}" / "images.txt").write_text(
            "# Image list\n# IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
            + IMAGE_LINE.format(folder=folder)
        )
    if depth is None:
        ys, xs = np.mgrid[0:H, 0:W]
        depth = 1.0 + 0.1 * xs + 0.01 * ys
        depth[:, :8] = np.inf  # no laser point
    path = scene / "ground_truth_depth" / "dslr_images" / "DSC_0001.JPG"
    path.parent.mkdir(parents=True)
    np.asarray(depth, dtype="<f4").tofile(path)
    return scene, depth


def test_units_inf_intrinsics_and_pose(tmp_path):
    _, depth = _scene(tmp_path)
    (record,) = curate(eth3d.frames(tmp_path), tmp_path / "out", points=50)
    assert np.allclose(record.z_depth, z_at(record, depth), atol=1e-5)  # same camera: identity
    assert all(x >= 8 for x, _ in record.pixel_coords)  # inf = no depth
    assert record.intrinsics == [30.0, 30.0, 15.5, 11.5, W, H]  # COLMAP corner → centre
    rotation = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]])  # world→camera, 90° about z
    expected = np.eye(4)
    expected[:3, :3], expected[:3, 3] = rotation.T, -rotation.T @ [1, 2, 3]
    assert np.allclose(record.camera_to_world, expected)
    assert record.sequence == "office" and record.image == "images/office_DSC_0001.JPG"


def test_resampled_through_the_fisheye_model(tmp_path):
    _scene(tmp_path, distorted=FISHEYE, depth=np.full((H, W), 2.5))
    (record,) = curate(eth3d.frames(tmp_path), tmp_path / "out")
    assert np.allclose(record.z_depth, 2.5)
    cams = _indoor.read_colmap_cameras(tmp_path / "office/dslr_calibration_jpg/cameras.txt")
    index = eth3d._source_index(_indoor.read_colmap_cameras(
        tmp_path / "office/dslr_calibration_undistorted/cameras.txt")[1], cams[1])  # fmt: skip
    x, y = (0.5 - 16) / 30, (0.5 - 12) / 30  # undistorted pixel (0, 0) in COLMAP coordinates
    f = math.atan(math.hypot(x, y)) / math.hypot(x, y)  # equidistant fisheye
    col, row = math.floor(30 * x * f + 16), math.floor(30 * y * f + 12)
    assert index[0] == row * W + col and (col, row) != (0, 0)
    assert index[12 * W + 16] == 12 * W + 16  # the principal point maps to itself


def test_thin_prism_parameter_order():
    k1, k2, p1, p2, k3, k4, sx1, sy1 = 0.1, 0.02, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008
    params = np.array([100, 110, 50, 40, k1, k2, p1, p2, k3, k4, sx1, sy1])
    u, v = _indoor.colmap_project("THIN_PRISM_FISHEYE", params, np.array(0.3), np.array(-0.2))
    r = math.hypot(0.3, -0.2)
    a, b = 0.3 * math.atan(r) / r, -0.2 * math.atan(r) / r
    r2 = a * a + b * b
    radial = k1 * r2 + k2 * r2**2 + k3 * r2**3 + k4 * r2**4
    du = a * radial + 2 * p1 * a * b + p2 * (r2 + 2 * a * a) + sx1 * r2
    dv = b * radial + 2 * p2 * a * b + p1 * (r2 + 2 * b * b) + sy1 * r2
    assert np.allclose([u, v], [100 * (a + du) + 50, 110 * (b + dv) + 40])


def test_errors_name_the_file(tmp_path):
    scene, _ = _scene(tmp_path)
    depth = scene / "ground_truth_depth" / "dslr_images" / "DSC_0001.JPG"
    depth.write_bytes(b"\0" * 100)
    with pytest.raises(ValueError, match=r"dslr_images/DSC_0001\.JPG: 100 bytes"):
        list(eth3d.frames(tmp_path))
    depth.unlink()
    with pytest.raises(ValueError, match=r"ground_truth_depth/dslr_images/DSC_0001\.JPG"):
        list(eth3d.frames(scene))
    (scene / "dslr_calibration_jpg" / "cameras.txt").write_text("1 RADIAL 32 24 30 16 12 0 0\n")
    with pytest.raises(ValueError, match=r"dslr_calibration_jpg/cameras\.txt:1"):
        list(eth3d.frames(tmp_path))
