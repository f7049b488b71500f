import json
import math

import pytest

from depthlm.data.records import Record, RecordError, read_records, write_records
from tests.conftest import make_dataset

GOOD = {
    "image": "rgb/toy_0.png",
    "intrinsics": [60.0, 60.0, 32.0, 24.0, 64, 48],
    "pixel_coords": [[10, 10], [20, 30]],
    "depth": [1.5, 2.5],
}


def write_lines(path, objs):
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs))


def test_reads_ibims(ibims_jsonl):
    records = read_records(ibims_jsonl)
    assert len(records) == 100
    assert records[0].camera.width == 640
    assert all(len(r.depth) == len(r.pixel_coords) == 100 for r in records)


def test_roundtrip_keeps_optional_and_unknown_fields(tmp_path):
    make_dataset(tmp_path)
    obj = {
        **GOOD,
        "depth_type": "z",
        "z_depth": [1.5, 2.5],
        "sequence": "s1",
        "frame": 3,
        "camera_to_world": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        "task": "distance",
        "dataset": "toy",
        "id": "a",
        "my_note": {"x": 1},
    }
    write_records(tmp_path / "a.jsonl", [Record.from_dict(obj)])
    (rec,) = read_records(tmp_path / "a.jsonl")
    assert rec.to_dict() == obj
    assert rec.extra == {"my_note": {"x": 1}}
    assert rec.image_path == tmp_path / "rgb/toy_0.png"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"intrinsics": [60, 60, 32, 24, 64]}, "intrinsics", "6 numbers"),
        ({"intrinsics": [-1, 60, 32, 24, 64, 48]}, "intrinsics", "positive"),
        ({"intrinsics": [0, 0, 32, 24, 64, 48]}, "intrinsics", "positive"),
        ({"image": "rgb/missing.png"}, "image", "not found"),
        ({"pixel_coords": [[10, 10], [64, 30]]}, "pixel_coords", "outside"),
        ({"pixel_coords": [[10, 10], [5]]}, "pixel_coords", r"\[1\]"),
        ({"depth": [1.0, math.nan]}, "depth", "finite positive"),
        ({"depth": [1.0, 0.0]}, "depth", "finite positive"),
        ({"depth": [1.0]}, "depth", "has 1 values"),
        ({"z_depth": [1.0, 2.0, 3.0]}, "z_depth", "has 3 values"),
        ({"depth_type": "disparity"}, "depth_type", "euclidean"),
        ({"camera_to_world": [[1, 0]]}, "camera_to_world", "4x4"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path, change, field, message):
    make_dataset(tmp_path)
    bad = {**GOOD, **change}
    path = tmp_path / "bad.jsonl"
    write_lines(path, [GOOD, "", bad])
    with pytest.raises(RecordError, match=message) as err:
        read_records(path)
    text = str(err.value)
    assert f"{path}:3:" in text and f"'{field}'" in text
    assert err.value.line == 3 and err.value.field == field


def test_missing_field_and_bad_json(tmp_path):
    make_dataset(tmp_path)
    path = tmp_path / "bad.jsonl"
    write_lines(path, [{k: v for k, v in GOOD.items() if k != "depth"}])
    with pytest.raises(RecordError, match=r"bad.jsonl:1: field 'depth' is missing"):
        read_records(path)
    write_lines(path, [GOOD, '{"image": '])
    with pytest.raises(RecordError, match=r"bad.jsonl:2: invalid JSON"):
        read_records(path)


def test_image_check_can_be_skipped(tmp_path):
    path = tmp_path / "a.jsonl"
    write_lines(path, [{**GOOD, "image": "nowhere.png"}])
    assert read_records(path, check_images=False)[0].image == "nowhere.png"


def test_nan_literal_in_json_is_rejected(tmp_path):
    make_dataset(tmp_path)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(GOOD).replace("2.5", "NaN") + "\n")
    with pytest.raises(RecordError, match="depth"):
        read_records(path)
