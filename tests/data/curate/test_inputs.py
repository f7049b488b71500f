"""Intrinsics files, pose files and depth-map formats: bad input names the file and line."""

import json

import numpy as np
import pytest
from PIL import Image

from depthlm.data.curate.depth_maps import read_depth
from depthlm.data.curate.intrinsics import parse_intrinsics, read_intrinsics_file
from depthlm.data.curate.poses import read_pose


def test_intrinsics_flag():
    assert parse_intrinsics("500, 510,320,240").lookup("any") == [500.0, 510.0, 320.0, 240.0]
    with pytest.raises(ValueError, match="--intrinsics: expected 4 numbers"):
        parse_intrinsics("500,500,320")


def test_intrinsics_json_per_frame_and_shared(tmp_path):
    p = tmp_path / "k.json"
    p.write_text(json.dumps({"a": [1, 2, 3, 4]}))
    cams = read_intrinsics_file(p)
    assert cams.lookup("a") == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match=r"k\.json: no intrinsics for frame 'b'"):
        cams.lookup("b")
    p.write_text("[5, 5, 1, 1]")
    assert read_intrinsics_file(p).lookup("zzz") == [5.0, 5.0, 1.0, 1.0]


def test_intrinsics_text_malformed_line_names_file_and_line(tmp_path):
    p = tmp_path / "k.txt"
    p.write_text("# stem fx fy cx cy\na 1 1 0 0\n\nb 1 1 0\n")
    with pytest.raises(ValueError, match=r"k\.txt:4: expected 'stem fx fy cx cy'"):
        read_intrinsics_file(p)
    p.write_text("a 1 x 0 0\n")
    with pytest.raises(ValueError, match=r"k\.txt:1: not a number: 'x'"):
        read_intrinsics_file(p)


def test_pose_reading(tmp_path):
    p = tmp_path / "000.txt"
    np.savetxt(p, np.eye(4))
    assert read_pose(p) == np.eye(4).tolist()
    p.write_text("1 0 0\n0 1 0\n")
    with pytest.raises(ValueError, match=r"000\.txt: expected a 4x4"):
        read_pose(p)
    p.write_text("1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1 oops\n")
    with pytest.raises(ValueError, match=r"000\.txt"):
        read_pose(p)


def test_png_scale_and_invalid_zero(tmp_path):
    p = tmp_path / "d.png"
    Image.fromarray(np.array([[0, 5000]], dtype=np.uint16)).save(p)
    d = read_depth(p, 5000.0)
    assert np.isnan(d[0, 0]) and d[0, 1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="needs --depth-scale"):
        read_depth(p, None)
    Image.new("RGB", (2, 2)).save(p)
    with pytest.raises(ValueError, match=r"d\.png: expected a 16-bit"):
        read_depth(p, 1000.0)


def test_npy_invalid_values(tmp_path):
    p = tmp_path / "d.npy"
    np.save(p, np.array([[np.inf, -1.0, 0.0, 2.5]], dtype=np.float32))
    d = read_depth(p, None)
    assert np.isnan(d[0, :3]).all() and d[0, 3] == 2.5
