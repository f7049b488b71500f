"""Label functions of the six tasks: examples, batching, consistency with the Camera value."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlm.geometry.camera import Camera
from depthlm.tasks import geometry
from depthlm.tasks.geometry import (
    LABELS,
    TASKS,
    camera_centre,
    camera_motion,
    distance,
    principal_axis,
    speed,
    travel_time,
    two_point,
    unproject,
)


def test_docstring_examples():
    assert doctest.testmod(geometry).failed == 0


def test_every_task_has_a_label_function():
    assert set(LABELS) == set(TASKS)
    assert LABELS["time"] is travel_time and LABELS["pose"] is camera_motion


def test_point_labels_batched():
    pts = np.array([[0.0, 0.0, 2.0], [1.0, 2.0, 2.0]])
    np.testing.assert_allclose(distance(pts), [2.0, 3.0])
    np.testing.assert_allclose(principal_axis(pts), [2.0, 2.0])


def test_speed_and_time_are_inverse():
    d = np.array([3.0, 40.0])
    np.testing.assert_allclose(travel_time(d, speed(d, [2.0, 8.0])), [2.0, 8.0])
    with pytest.raises(ValueError):
        speed(1.0, 0.0)
    with pytest.raises(ValueError):
        travel_time(1.0, -2.0)


def test_two_point_same_for_both_depth_kinds():
    intr = [500.0, 480.0, 310.0, 250.0, 640, 480]
    cam = Camera.from_intrinsics(intr)
    pa, pb = np.array([100, 50]), np.array([600, 400])
    za, zb = 3.0, 12.0
    ea, eb = (
        cam.z_to_euclidean(pa[None], np.array([za]))[0],
        cam.z_to_euclidean(pb[None], np.array([zb]))[0],
    )
    by_z = two_point(pa, za, pb, zb, intr, "z")
    by_e = two_point(pa, ea, pb, eb, intr, "euclidean")
    assert by_z == pytest.approx(by_e, rel=1e-12)
    assert two_point(pa, za, pa, za, intr, "z") == 0.0
    with pytest.raises(ValueError):
        unproject(pa, 1.0, intr, "disparity")


@settings(max_examples=60, deadline=None)
@given(
    x=st.integers(0, 639),
    y=st.integers(0, 479),
    d=st.floats(0.1, 200.0),
    f=st.floats(100, 2000),
    fy_ratio=st.floats(0.8, 1.2),
)
def test_unproject_agrees_with_camera(x, y, d, f, fy_ratio):
    intr = [f, f * fy_ratio, 300.5, 241.0, 640, 480]
    cam = Camera.from_intrinsics(intr)
    for kind in ("z", "euclidean"):
        ours = unproject([x, y], d, intr, kind)
        np.testing.assert_allclose(ours, cam.unproject(np.array([x, y]), np.array(d), kind))
    assert float(distance(unproject([x, y], d, intr, "euclidean"))) == pytest.approx(d)
    assert float(principal_axis(unproject([x, y], d, intr, "z"))) == pytest.approx(d)


@settings(max_examples=40, deadline=None)
@given(
    a=st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    b=st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    yaw=st.floats(-3.2, 3.2),
)
def test_camera_motion_is_centre_distance_regardless_of_rotation(a, b, yaw):
    rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    ma, mb = np.eye(4), np.eye(4)
    ma[:3, 3], mb[:3, :3], mb[:3, 3] = a, rot, b
    assert float(camera_motion(ma, mb)) == pytest.approx(float(np.linalg.norm(np.subtract(b, a))))
    assert float(camera_motion(ma[:3], mb[:3])) == float(camera_motion(ma, mb))  # 3x4 accepted
    np.testing.assert_array_equal(camera_centre(mb), b)
