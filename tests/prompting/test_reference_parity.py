"""Parity with the reference preprocessing (REFERENCE.md, steps 1–6), restated independently
here with OpenCV and Pillow, on the real iBims-1 sample at the released Pixtral focal (750 px)."""

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from depthlm.data.records import read_records
from depthlm.prompting.query import QuerySpec
from depthlm.tasks.inputs import input_at

OFFICIAL_QUESTION = (
    "Given this image, how far is the point pointed by the red arrow from the camera? Output the "
    "thinking process in <think> </think> and final answer (the meter number only, without the "
    "unit) in <answer> </answer> tags."
)


def reference_input(root, obj, point, focal):
    image = Image.open(root / obj["image"]).convert("RGB")
    fx, fy, cx, cy = obj["intrinsics"][:4]
    fx, fy = (fy if fx == 0 else fx), (fx if fy == 0 else fy)
    k = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dtype=np.float64)
    if abs(fx - fy) > 1e-3:
        size = (image.width, image.height)
        new_k, _ = cv2.getOptimalNewCameraMatrix(k, np.zeros((4, 1)), size, 1, size)
        image = Image.fromarray(cv2.undistort(np.array(image), k, np.zeros((4, 1)), None, new_k))
        k2 = [float(new_k[0, 0]), float(new_k[1, 1]), float(new_k[0, 2]), float(new_k[1, 2])]
    else:
        k2 = [fx, fy, cx, cy]
    s = focal / k2[0]
    width, height = int(image.width * s), int(image.height * s)
    k3 = [v * s for v in k2]
    image = image.resize((width, height))
    px, py = obj["pixel_coords"][point]
    x = int((px - cx) * (k3[0] / fx) + k3[2])
    y = int((py - cy) * (k3[1] / fy) + k3[3])
    if not (5 <= x < width - 5 and 5 <= y < height - 5):
        return None
    for dx in range(1, 6):
        image.putpixel((x - dx, y), (255, 0, 0))
    for d in range(1, 3):
        image.putpixel((x - d - 1, y + d), (255, 0, 0))
        image.putpixel((x - d - 1, y - d), (255, 0, 0))
    return image, [x, y], [*k3, width, height]


def check_images(ibims_jsonl, image_indices, points=(0, 37, 99)):
    raw = [json.loads(line) for line in ibims_jsonl.read_text().splitlines()]
    records = read_records(ibims_jsonl)
    spec = QuerySpec(focal=750.0, preset="official", marker="arrow")
    checked = 0
    for i in image_indices:
        for p in points:
            ref = reference_input(ibims_jsonl.parent, raw[i], p, 750.0)
            if ref is None:
                continue
            ours, probe = input_at(records, i * 100 + p, spec)
            assert probe.records == (i,) and probe.points == (p,)
            ref_image, ref_pixel, ref_intr = ref
            assert list(ours.pixels[0]) == ref_pixel
            assert ours.cameras[0] == pytest.approx(ref_intr, abs=0, rel=0)
            assert ours.text == OFFICIAL_QUESTION
            assert ours.system == "You are a helpful assistant."
            assert np.array_equal(np.asarray(ours.image), np.asarray(ref_image)), (i, p)
            checked += 1
    assert checked >= len(image_indices) * 2


def test_parity_on_ten_images(ibims_jsonl):
    check_images(ibims_jsonl, range(0, 100, 10))


@pytest.mark.slow
def test_parity_on_all_images(ibims_jsonl):
    check_images(ibims_jsonl, range(100))


def test_official_target_format():
    from depthlm.prompting.presets import load_preset

    assert load_preset("official").target(2.417792) == (
        "<think> The point is around 2.42 meters away from the camera. </think>\n\n"
        "<answer> 2.42 </answer>"
    )
