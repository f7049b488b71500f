"""The files of ``depthlm depth``: each reloads with its standard reader; all agree."""

import json

import numpy as np
import pytest
import trimesh
from PIL import Image
from plyfile import PlyData

from depthlm.geometry.camera import Camera
from depthlm.inference.outputs import pixel_grid, write_depth_outputs
from depthlm.inference.pointcloud import read_ply, write_ply

CAMERA = Camera(90.0, 95.0, 41.5, 29.0, 80, 60)


def synthetic_result(kind: str = "euclidean") -> tuple[dict, Image.Image]:
    """A slanted plane at 1.5–4 m with holes (NaN, 0, negative) and one far pixel (> 65.5 m)."""
    h, w = CAMERA.height, CAMERA.width
    depth = 1.5 + 2.5 * np.linspace(0, 1, w)[None, :] * np.ones((h, 1))
    depth[0, 0], depth[1, 1], depth[2, 2] = np.nan, 0.0, -1.0
    depth[3, 3] = 80.0
    rgb = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    grid = np.array([[10, 10], [40, 30], [70, 50]])
    result = {"depth": depth, "intrinsics": CAMERA.to_list(), "focal": CAMERA.fx,
              "focal_source": "exif", "grid": grid, "image": "/photos/desk.jpg"}  # fmt: skip
    if kind != "euclidean":
        result["depth_type"] = kind
    return result, Image.fromarray(rgb)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    result, image = synthetic_result()
    out = tmp_path_factory.mktemp("outputs") / "desk"
    return result, image, write_depth_outputs(result, image, out)


def test_writes_every_file_and_no_temporaries(written):
    _, _, paths = written
    names = {p.name for p in paths.values()}
    assert names == {"depth.npy", "distance.npy", "depth.png", "depth_preview.png",
                     "points.ply", "scene.glb", "intrinsics.json"}  # fmt: skip
    folder = paths["depth"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)


def test_depth_npy_is_float32_z_depth_of_the_euclidean_answers(written):
    result, _, paths = written
    z = np.load(paths["depth"])
    assert z.dtype == np.float32 and z.shape == (60, 80)
    invalid = np.zeros_like(z, bool)
    invalid[0, 0] = invalid[1, 1] = invalid[2, 2] = True
    assert np.isnan(z[invalid]).all() and np.isfinite(z[~invalid]).all()
    # z·|ray| is the distance to the camera centre that the model answered
    rays = CAMERA.rays(pixel_grid(80, 60))
    dist = z * np.linalg.norm(rays, axis=-1)
    np.testing.assert_allclose(dist[~invalid], result["depth"][~invalid], rtol=1e-6)
    answered = np.load(paths["distance"])  # the Euclidean answers themselves, beside it
    np.testing.assert_allclose(answered[~invalid], result["depth"][~invalid], rtol=1e-6)


def test_depth_png_is_16_bit_millimetres(written):
    _, _, paths = written
    z = np.load(paths["depth"])
    with Image.open(paths["depth_png"]) as im:
        assert im.mode.startswith("I;16") or im.mode == "I"
        mm = np.asarray(im).astype(np.int64)
    expected = np.clip(np.round(np.nan_to_num(z, nan=0.0).astype(np.float64) * 1000), 0, 65535)
    np.testing.assert_array_equal(mm, expected)
    assert mm[3, 3] == 65535 and mm[0, 0] == mm[1, 1] == 0


def test_ply_reloads_with_plyfile_and_is_the_unprojected_depth(written):
    _, image, paths = written
    assert paths["points"].read_bytes().startswith(b"ply\nformat binary_little_endian 1.0\n")
    vertex = PlyData.read(str(paths["points"]))["vertex"].data
    assert vertex.dtype == np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"),
                                     ("green", "u1"), ("blue", "u1")])  # fmt: skip
    z = np.load(paths["depth"])
    valid = np.isfinite(z)
    assert len(vertex) == valid.sum() == 80 * 60 - 3
    expected = CAMERA.unproject(pixel_grid(80, 60)[valid], z[valid])  # "z" depth, OpenCV frame
    got = np.stack([vertex["x"], vertex["y"], vertex["z"]], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    colours = np.stack([vertex["red"], vertex["green"], vertex["blue"]], axis=1)
    np.testing.assert_array_equal(colours, np.asarray(image)[valid])
    # OpenCV frame: top-left pixel → x < 0, y < 0; bottom-right → x > 0, y > 0; z forward
    assert (got[:, 2] > 0).all()
    assert got[0, 0] < 0 and got[0, 1] < 0 and got[-1, 0] > 0 and got[-1, 1] > 0


def test_glb_loads_with_trimesh_as_a_coloured_cloud_in_gltf_axes(written):
    _, _, paths = written
    scene = trimesh.load(paths["scene"])
    (cloud,) = scene.geometry.values()
    ply_points, ply_colours = read_ply(paths["points"])
    np.testing.assert_allclose(cloud.vertices, ply_points * [1, -1, -1], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(cloud.colors)[:, :3], ply_colours)


def test_intrinsics_json_says_where_the_focal_came_from(written):
    _, _, paths = written
    data = json.loads(paths["intrinsics"].read_text())
    assert data == {"fx": 90.0, "fy": 95.0, "cx": 41.5, "cy": 29.0, "width": 80, "height": 60,
                    "focal_source": "exif"}  # fmt: skip


def test_preview_is_a_readable_png(written):
    _, _, paths = written
    with Image.open(paths["preview"]) as im:
        assert im.format == "PNG" and im.width > 600 and im.height > 200
        assert len(np.unique(np.asarray(im.convert("L")))) > 20  # not blank


def test_z_depth_input_is_written_as_is(tmp_path):
    result, image = synthetic_result("z")
    paths = write_depth_outputs(result, image, tmp_path)
    z = np.load(paths["depth"])
    np.testing.assert_allclose(z[5:, 5:], result["depth"][5:, 5:].astype(np.float32))


def test_mismatched_sizes_are_rejected(tmp_path):
    result, image = synthetic_result()
    with pytest.raises(ValueError, match="intrinsics say 80x60"):
        write_depth_outputs(result, image.resize((40, 30)), tmp_path)
    result["depth"] = result["depth"][:30]
    with pytest.raises(ValueError, match="depth map"):
        write_depth_outputs(result, image, tmp_path)
    result, image = synthetic_result("disparity")
    with pytest.raises(ValueError, match="depth_type"):
        write_depth_outputs(result, image, tmp_path)


def test_write_ply_without_colours_and_with_comments(tmp_path):
    pts = np.arange(12, dtype=np.float64).reshape(4, 3)
    path = write_ply(tmp_path / "p.ply", pts, comments=["hello"])
    ply = PlyData.read(str(path))
    assert ply.comments == ["hello"]
    got, colours = read_ply(path)
    assert colours is None and got.dtype == np.float32
    np.testing.assert_array_equal(got, pts)
    with pytest.raises(ValueError, match="colours"):
        write_ply(tmp_path / "q.ply", pts, np.zeros((3, 3), np.uint8))


def test_read_ply_reads_ascii_files_of_other_tools(tmp_path):
    path = tmp_path / "ascii.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 2\nproperty double x\n"
                    "property double y\nproperty double z\nend_header\n1 2 3\n4 5 6\n")  # fmt: skip
    got, colours = read_ply(path)
    np.testing.assert_array_equal(got, [[1, 2, 3], [4, 5, 6]])
    assert colours is None


def test_confidence_map_is_written_when_present(tmp_path):
    result, image = synthetic_result()
    result["confidence"] = np.full((CAMERA.height, CAMERA.width), 0.25)
    paths = write_depth_outputs(result, image, tmp_path / "c")
    saved = np.load(paths["confidence"])
    assert saved.dtype == np.float32 and saved.shape == (60, 80) and np.allclose(saved, 0.25)
    result["confidence"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match="confidence"):
        write_depth_outputs(result, image, tmp_path / "bad")
