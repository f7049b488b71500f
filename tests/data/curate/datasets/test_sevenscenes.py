"""sevenscenes: millimetre PNGs with 65535 = invalid, 4×4 poses, optional depth→RGB registration."""

import numpy as np
import pytest

from depthlm.data.curate.datasets import sevenscenes
from tests.data.curate.datasets import H, W, curate, write_png16, write_rgb


def _scene(root, size=(W, H), seqs=(1, 2), frames=2):
    depth = np.full(size[::-1], 2500)  # 2.5 m
    depth[: size[1] // 2] = 65535  # top half: the invalid code
    for s in seqs:
        seq = root / "chess" / f"seq-{s:02d}"
        for i in range(frames):
            write_rgb(seq / f"frame-{i:06d}.color.png", size, shade=i)
            write_png16(seq / f"frame-{i:06d}.depth.png", depth)
            np.savetxt(seq / f"frame-{i:06d}.pose.txt", np.eye(4))
    (root / "chess" / "TrainSplit.txt").write_text("sequence1\n")
    (root / "chess" / "TestSplit.txt").write_text("sequence2\n")
    return depth


def test_raw_depth_units_invalid_code_and_split(tmp_path):
    _scene(tmp_path)
    records = curate(sevenscenes.frames(tmp_path, register="false", split="test"), tmp_path / "o")
    assert [r.id for r in records] == ["chess/seq-02/frame-000000", "chess/seq-02/frame-000001"]
    for r in records:
        assert np.allclose(r.z_depth, 2.5)  # 2500 mm
        assert all(y >= H // 2 for _, y in r.pixel_coords)  # 65535 never sampled
        assert r.intrinsics[:4] == [585.0, 585.0, 320.0, 240.0]  # the depth camera
        assert np.allclose(r.camera_to_world, np.eye(4))
        assert r.sequence == "chess/seq-02"


def test_registered_into_colour_camera(tmp_path):
    _scene(tmp_path, size=(640, 480), seqs=(1,), frames=1)
    (record,) = curate(sevenscenes.frames(tmp_path), tmp_path / "o", points=50)
    assert record.intrinsics[:4] == [525.0, 525.0, 320.0, 240.0]  # the colour camera
    assert np.allclose(record.z_depth, 2.5, atol=0.03)  # ~2.5 m after the 2.6 cm baseline
    # colour focal < depth focal: the depth camera's field of view lands inside the image
    xs = np.array(record.pixel_coords)[:, 0]
    assert xs.min() >= 25 and xs.max() <= 614
    expected = np.linalg.inv(sevenscenes.DEPTH_TO_RGB)  # identity pose of the depth camera
    assert np.allclose(record.camera_to_world, expected)


def test_errors_name_the_file(tmp_path):
    _scene(tmp_path, seqs=(1,))
    bad = tmp_path / "chess" / "seq-01" / "frame-000001.pose.txt"
    bad.write_text("1 0 0\n")
    with pytest.raises(ValueError, match=r"frame-000001\.pose\.txt"):
        list(sevenscenes.frames(tmp_path))
    bad.unlink()
    with pytest.raises(ValueError, match=r"frame-000001\.pose\.txt"):
        list(sevenscenes.frames(tmp_path))
    (tmp_path / "chess" / "seq-01" / "frame-000000.depth.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"frame-000000\.depth\.png"):
        list(sevenscenes.frames(tmp_path, register=False))
