from pathlib import Path

import pytest

from depthlm.data.curate.pairing import last_number, pair_files


def _touch(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / n for n in names]
    for p in paths:
        p.touch()
    return sorted(paths)


def test_pairs_by_stem(tmp_path):
    rgb = _touch(tmp_path / "a", "x.png", "y.png")
    dep = _touch(tmp_path / "b", "y.npy", "x.npy")
    assert [(r.stem, d.stem) for r, d in pair_files(rgb, dep, "depth")] == [("x", "x"), ("y", "y")]


def test_pairs_by_last_number(tmp_path):
    rgb = _touch(tmp_path / "a", "rgb_00050.jpg", "rgb_00051.jpg")
    dep = _touch(tmp_path / "b", "sync_depth_00051.png", "sync_depth_50.png")
    pairs = pair_files(rgb, dep, "depth")
    assert [d.name for _, d in pairs] == ["sync_depth_50.png", "sync_depth_00051.png"]
    assert last_number(Path("cam2_frame_007.png")) == 7


def test_unpaired_rgb_is_named(tmp_path):
    rgb = _touch(tmp_path / "a", "rgb_1.png", "rgb_2.png")
    dep = _touch(tmp_path / "b", "d_1.png")
    with pytest.raises(ValueError, match=r"no depth file for: .*rgb_2\.png"):
        pair_files(rgb, dep, "depth")


def test_unpaired_depth_is_named(tmp_path):
    rgb = _touch(tmp_path / "a", "rgb_1.png")
    dep = _touch(tmp_path / "b", "d_1.png", "d_9.png")
    with pytest.raises(ValueError, match=r"without an RGB image: .*d_9\.png"):
        pair_files(rgb, dep, "depth")


def test_ambiguous_numbers_are_an_error(tmp_path):
    rgb = _touch(tmp_path / "a", "rgb_1.png")
    dep = _touch(tmp_path / "b", "d_1.png", "e_001.png")
    with pytest.raises(ValueError, match="both end in 1"):
        pair_files(rgb, dep, "depth")
