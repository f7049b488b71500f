"""scannet: SensReader export, colour resized to the depth size with scaled intrinsics."""

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.datasets import scannet
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb

COLOUR = (66, 50)  # like 1296×968 → 640×480: not a uniform scale
K = [[60.0, 0, 33.0, 0], [0, 62.0, 25.0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]


def _scene(root, n=3):
    scene = root / "scene0000_00"
    (scene / "intrinsic").mkdir(parents=True)
    np.savetxt(scene / "intrinsic" / "intrinsic_color.txt", np.array(K))
    (scene / "pose").mkdir()
    for i in range(n):
        write_rgb(scene / "color" / f"{i}.jpg", COLOUR, shade=i)
        write_png16(scene / "depth" / f"{i}.png", np.full((H, W), 2500))
        pose = np.eye(4) if i != 1 else np.full((4, 4), -np.inf)  # frame 1: tracking lost
        np.savetxt(scene / "pose" / f"{i}.txt", pose)
    return scene


def test_units_resize_intrinsics_and_invalid_pose(tmp_path):
    _scene(tmp_path)
    records = curate(scannet.frames(tmp_path), tmp_path / "out")
    assert [r.frame for r in records] == [0, 1, 2]
    sx, sy = W / COLOUR[0], H / COLOUR[1]
    expected = [60 * sx, 62 * sy, 33.5 * sx - 0.5, 25.5 * sy - 0.5, W, H]
    for r in records:
        assert np.allclose(r.z_depth, 2.5)  # 2500 mm
        assert np.allclose(r.intrinsics, expected)
        assert Image.open(r.image_path).size == (W, H)
    assert records[1].camera_to_world is None
    assert np.allclose(records[0].camera_to_world, np.eye(4))
    cached = tmp_path / "_depthlm_rgb" / "scene0000_00" / "0.jpg"
    assert cached.is_file()


def test_stride_and_scene_root(tmp_path):
    scene = _scene(tmp_path, n=5)
    records = curate(scannet.frames(scene, stride="2", poses="false", cache=tmp_path / "c"),
                     tmp_path / "out")  # fmt: skip
    assert [r.frame for r in records] == [0, 2, 4]
    assert all(r.camera_to_world is None for r in records)


def test_errors_name_the_file(tmp_path):
    scene = _scene(tmp_path)
    (scene / "depth" / "2.png").unlink()
    with pytest.raises(ValueError, match=r"depth/2\.png"):
        list(scannet.frames(tmp_path))
    (scene / "intrinsic" / "intrinsic_color.txt").write_text("1 2 3\n")
    with pytest.raises(ValueError, match=r"intrinsic_color\.txt"):
        list(scannet.frames(tmp_path))
