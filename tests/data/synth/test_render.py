"""Ray casting and rendering against hand-computed geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlm.data.synth.cameras import look_pose, sample_intrinsics
from depthlm.data.synth.raycast import Rays, intersect, surface
from depthlm.data.synth.render import clamp_red, render_view
from depthlm.data.synth.scene import Box, Cylinder, Plane, Scene, Sphere
from depthlm.data.synth.textures import PATTERNS, Material, albedo
from depthlm.geometry.camera import Camera


def _ray(o, d):
    return Rays(tuple(float(v) for v in o), tuple(np.array([float(v)]) for v in d))


def test_primitive_intersections():
    along_y = _ray((0, 0, 1), (0, 1, 0))
    assert intersect(Cylinder(0, 5, 1, 0, 2, 0), along_y)[0] == pytest.approx(4)
    yawed = Box((0, 5, 1), (1, 1, 1), 0, yaw=math.pi / 4)
    assert intersect(yawed, along_y)[0] == pytest.approx(5 - math.sqrt(2))
    assert intersect(Sphere((0, 5, 1), 0.5, 0), along_y)[0] == pytest.approx(4.5)
    room = Box((0, 0, 1), (3, 2, 1.5), 0, inside=True)
    assert intersect(room, along_y)[0] == pytest.approx(2)
    down = _ray((0, 0, 1.5), (0, 1, -0.5))
    assert intersect(Plane(0, 0), down)[0] == pytest.approx(3)
    assert np.isinf(intersect(Sphere((0, -5, 1), 0.5, 0), along_y)[0])  # behind the origin
    assert np.isinf(intersect(Cylinder(0, 5, 1, 0, 0.5, 0), along_y)[0])  # passes over it
    top = _ray((0, 5, 3), (0, 0, -1))
    assert intersect(Cylinder(0, 5, 1, 0, 2, 0), top)[0] == pytest.approx(1)  # the cap


def test_surface_normals_and_materials():
    p = np.array([[0.0, 4.0, 1.0]])
    n, uv, m = surface(Cylinder(0, 5, 1, 0, 2, 7, cap=8), p)
    np.testing.assert_allclose(n, [[0, -1, 0]], atol=1e-12)
    assert m.tolist() == [7] and uv[0, 1] == 1.0
    n, _, m = surface(Cylinder(0, 5, 1, 0, 2, 7, cap=8), np.array([[0.2, 5.1, 2.0]]))
    assert m.tolist() == [8] and n[0, 2] == 1
    box = Box((0, 5, 1), (1, 1, 1), tuple(range(10, 16)))
    n, _, m = surface(box, np.array([[0.0, 4.0, 1.0], [0.3, 5.2, 2.0]]))
    np.testing.assert_allclose(n, [[0, -1, 0], [0, 0, 1]], atol=1e-12)
    assert m.tolist() == [12, 15]
    room = Box((0, 0, 1), (3, 2, 1), 0, inside=True)
    n, _, _ = surface(room, np.array([[0.0, 2.0, 1.0]]))
    np.testing.assert_allclose(n, [[0, -1, 0]], atol=1e-12)  # faces into the room


def _wall_scene() -> Scene:
    s = Scene("outdoor", fog=None)
    mat = s.add_material(Material("checker", (0.6, 0.6, 0.6), (0.3, 0.3, 0.3), 0.5))
    s.add(Plane(0.0, mat))
    s.add(Box((0, 10.5, 5), (50, 0.5, 5), mat))
    return s


@pytest.mark.parametrize(
    "cam", [Camera(100, 100, 32, 24, 64, 48), Camera(90, 75, 20.5, 30.25, 64, 48)]
)
def test_render_wall_and_ground_depths_are_exact(cam):
    """Camera at 1.5 m looking along +y at a wall 10 m ahead: z = 10 on the wall, and on the
    ground z = 1.5·fy / (y − cy); the Euclidean map is z times the ray length."""
    view = render_view(_wall_scene(), cam, look_pose((0, 0, 1.5), math.pi / 2, 0.0))
    ys = np.arange(cam.height)[:, None] + np.zeros((1, cam.width))
    below = ys - cam.cy
    ground_z = np.where(below > 0, 1.5 * cam.fy / np.where(below > 0, below, 1), np.inf)
    expect = np.minimum(ground_z, 10.0)
    np.testing.assert_allclose(view.z, expect, rtol=1e-5)
    xs = np.arange(cam.width)[None, :]
    length = np.sqrt(((xs - cam.cx) / cam.fx) ** 2 + (below / cam.fy) ** 2 + 1)
    np.testing.assert_allclose(view.depth, expect * length, rtol=1e-5)
    assert view.rgb.shape == (cam.height, cam.width, 3) and view.rgb.dtype == np.uint8


def test_sphere_centre_projects_to_its_pixel_with_roll_and_pitch():
    s = Scene("outdoor")
    m = s.add_material(Material("plain", (0.5, 0.5, 0.5)))
    cam = Camera(100, 100, 31.5, 24, 64, 48)
    c2w = look_pose((1.0, 2.0, 1.6), 0.7, -0.2, 0.1)
    centre_cam = np.array([(42 - cam.cx) / cam.fx * 8.0, -0.4, 8.0])  # pixel (42, 19)
    world = c2w[:3, :3] @ centre_cam + c2w[:3, 3]
    s.add(Sphere(tuple(world), 0.5, m))
    view = render_view(s, cam, c2w)
    assert view.prim[19, 42] == 0
    assert view.depth[19, 42] == pytest.approx(np.linalg.norm(centre_cam) - 0.5, rel=1e-5)
    assert (view.prim[:, :20] == -1).all()  # sky elsewhere, depth 0
    assert (view.depth[view.prim < 0] == 0).all()


def test_look_pose_is_a_rotation_with_up_up():
    m = look_pose((1, 2, 3), 1.0, -0.3, 0.05)
    r = m[:3, :3]
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    assert r[2, 1] < 0  # camera y (down) points down in the world
    assert m[:3, 3].tolist() == [1, 2, 3]


def test_intrinsics_ranges():
    rng = np.random.default_rng(0)
    cams = [sample_intrinsics(rng, 128) for _ in range(300)]
    f = np.array([c.fx / c.width for c in cams])
    assert f.min() >= 0.5 and f.max() <= 2.0 and f.std() / f.mean() > 0.3
    assert {c.width for c in cams} == {128} and len({c.height for c in cams}) > 1
    assert 0.1 < np.mean([c.fx != c.fy for c in cams]) < 0.4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_clamp_red_never_leaves_marker_red(c):
    rgb = np.array([[c]], dtype=np.float32)
    out = (np.clip(clamp_red(rgb.copy()), 0, 1) * 255 + 0.5).astype(np.uint8)[0, 0]
    assert not (out[0] > 200 and out[1] < 60 and out[2] < 60)
    if c[0] <= max(c[1], c[2]):
        assert out[0] == int(c[0] * 255 + 0.5)  # colours that are not red-dominant are kept


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_gives_valid_colours(pattern):
    rng = np.random.default_rng(0)
    u, v = rng.uniform(-50, 50, 500).astype(np.float32), rng.uniform(0, 30, 500).astype(np.float32)
    fp = rng.uniform(0.001, 2, 500).astype(np.float32)
    mat = Material(pattern, (0.6, 0.5, 0.4), (0.2, 0.3, 0.4), 0.5, 3.0, seed=4)
    col = albedo(mat, u, v, fp)
    assert col.shape == (500, 3) and np.isfinite(col).all()
    assert col.min() >= 0 and col.max() <= 1.2
