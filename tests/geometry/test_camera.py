import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthlm.geometry.camera import Camera


def random_camera(rng: np.random.Generator) -> Camera:
    w, h = int(rng.integers(200, 1200)), int(rng.integers(200, 900))
    f = rng.uniform(0.5, 2.0) * w
    return Camera(
        f, f * rng.uniform(0.95, 1.05), w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.7), w, h
    )


def points_in_view(cam: Camera, rng: np.random.Generator, n: int = 50) -> np.ndarray:
    px = np.stack([rng.uniform(0, cam.width - 1, n), rng.uniform(0, cam.height - 1, n)], -1)
    return cam.unproject(px, rng.uniform(0.5, 80, n), "z")


def test_from_intrinsics_fills_zero_focal():
    assert Camera.from_intrinsics([0, 500, 1, 2, 10, 20]).fx == 500
    with pytest.raises(ValueError, match="fx, fy, cx, cy"):
        Camera.from_intrinsics([1, 2, 3])


def test_normalize_focal_matches_reference_rounding():
    cam = Camera(559.62, 558.14, 361.87, 241.99, 640, 480).normalize_focal(750)
    s = 750 / 559.62
    assert cam.fx == pytest.approx(750)
    assert cam.size == (int(640 * s), int(480 * s)) == (857, 643)
    assert cam.cy == pytest.approx(241.99 * s)


@pytest.mark.parametrize("op", ["normalize", "crop", "resize", "square", "stretch"])
def test_transformed_camera_projects_3d_points_to_remapped_pixels(op):
    """Geometry invariant: a 3D point projects to the remapped pixel of its original pixel."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        cam = random_camera(rng)
        new = {
            "normalize": lambda c: c.normalize_focal(1000.0),
            "crop": lambda c: c.crop(13, 7, c.width - 20, c.height - 30),
            "resize": lambda c: c.resize(c.width // 2 + 3, c.height // 3 + 5),
            "square": lambda c: c.with_square_pixels(),
            "stretch": lambda c: c.stretch_height(int(c.height * 1.2)),
        }[op](cam)
        pts = points_in_view(cam, rng)
        src_px = cam.project(pts)
        # continuous remap (without the reference's integer truncation) is exact ...
        exact = (src_px - [cam.cx, cam.cy]) * [new.fx / cam.fx, new.fy / cam.fy] + [new.cx, new.cy]
        np.testing.assert_allclose(new.project(pts), exact, atol=1e-6)
        # ... and the integer remap is within one pixel of it
        remapped = new.remap_pixels(cam, np.floor(src_px))
        assert np.all(
            np.abs(remapped - new.project(pts)) <= 1.0 + max(new.fx / cam.fx, new.fy / cam.fy)
        )


def test_unproject_roundtrip_and_depth_kinds():
    cam = Camera(500, 480, 320, 240, 640, 480)
    px = np.array([[0, 0], [320, 240], [639, 479], [100.0, 400.0]])
    z = np.array([1.0, 2.0, 3.0, 4.0])
    pts = cam.unproject(px, z, "z")
    np.testing.assert_allclose(cam.project(pts), px, atol=1e-9)
    dist = cam.z_to_euclidean(px, z)
    np.testing.assert_allclose(dist, np.linalg.norm(pts, axis=-1))
    np.testing.assert_allclose(cam.euclidean_to_z(px, dist), z)
    assert dist[1] == pytest.approx(2.0)  # on the optical axis both agree
    with pytest.raises(ValueError, match="depth_type"):
        cam.unproject(px, z, "disparity")


def test_euclidean_formula_matches_reference_curation():
    """sqrt(X²+Y²+Z²) with X = (x − cx)·Z/fx on the integer pixel index (no +0.5)."""
    cam = Camera(500, 480, 320.5, 240.25, 640, 480)
    x, y, z = 10, 400, 3.0
    expected = np.sqrt(((x - cam.cx) * z / cam.fx) ** 2 + ((y - cam.cy) * z / cam.fy) ** 2 + z**2)
    assert cam.z_to_euclidean(np.array([[x, y]]), np.array([z]))[0] == pytest.approx(expected)


@settings(max_examples=50, deadline=None)
@given(st.floats(100, 3000), st.floats(-500, 500), st.floats(-500, 500))
def test_remap_identity_and_truncation(f, dx, dy):
    cam = Camera(f, f, 400.0, 300.0, 800, 600)
    px = np.array([[400 + dx, 300 + dy]])
    assert (cam.remap_pixels(cam, px) == np.trunc(px)).all()


def test_contains_margin():
    cam = Camera(1, 1, 0, 0, 20, 20)
    inside = cam.contains(np.array([[5, 5], [4, 5], [14, 14], [15, 5]]), margin=5)
    assert inside.tolist() == [True, False, True, False]
