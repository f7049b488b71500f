"""A procedural 3D world with exact metric labels (rooms and streets, ray cast on the CPU).

- :func:`synthesize` writes DepthLM records (Euclidean ``depth``, ``z_depth``,
  ``camera_to_world``, ``sequence``/``frame``) and PNG images, optionally dense depth maps;
- :func:`preview_sheet` draws a contact sheet (markers + colourised depth);
- :func:`render_frame` re-renders one view of a run; :func:`make_scene`,
  :func:`sample_views` and :func:`render_view` are the pieces, for tests and notebooks.

Labels for the six tasks come from :mod:`depthlm.tasks.geometry`.
"""

from depthlm.data.synth.cameras import sample_intrinsics, sample_views
from depthlm.data.synth.preview import colorize_depth, preview_sheet
from depthlm.data.synth.render import View, render_view
from depthlm.data.synth.writer import WORLDS, make_scene, render_frame, scene_kind, synthesize

__all__ = [
    "WORLDS",
    "View",
    "colorize_depth",
    "make_scene",
    "preview_sheet",
    "render_frame",
    "render_view",
    "sample_intrinsics",
    "sample_views",
    "scene_kind",
    "synthesize",
]
