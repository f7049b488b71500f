"""fx ≠ fy handling.

The reference preprocessing calls OpenCV's ``getOptimalNewCameraMatrix`` (zero distortion,
``alpha=1``) and ``undistort`` whenever ``|fx − fy| > 1e-3``. With zero distortion this is a
near-identity resampling whose new matrix keeps fx and fy slightly different; we call the same
two functions so that a released checkpoint sees the very pixels it was trained on.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from depthlm.geometry.camera import Camera

FXFY_TOLERANCE = 1e-3


def needs_rectification(camera: Camera) -> bool:
    """The reference's test: rectify only when the focal lengths differ by more than 1e-3 px."""
    return abs(camera.fx - camera.fy) > FXFY_TOLERANCE


def rectified_camera(camera: Camera) -> Camera:
    """The camera after the reference rectification (unchanged when fx ≈ fy)."""
    if not needs_rectification(camera):
        return camera
    import cv2

    new_k, _ = cv2.getOptimalNewCameraMatrix(
        camera.K, np.zeros((4, 1)), camera.size, 1, camera.size
    )
    return Camera(
        float(new_k[0, 0]),
        float(new_k[1, 1]),
        float(new_k[0, 2]),
        float(new_k[1, 2]),
        camera.width,
        camera.height,
    )


def rectify(image: Image.Image, camera: Camera) -> tuple[Image.Image, Camera]:
    """Resample ``image`` to the rectified camera; a no-op when fx ≈ fy."""
    new = rectified_camera(camera)
    if new is camera:
        return image, camera
    import cv2

    out = cv2.undistort(np.asarray(image), camera.K, np.zeros((4, 1)), None, new.K)
    return Image.fromarray(out), new
