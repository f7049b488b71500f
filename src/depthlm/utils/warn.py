"""Warnings that name the caller's line, not depthlm's.

A fixed ``stacklevel`` points at the right frame only for one call path: the same focal
warning is raised under ``measure``, ``depth_map``, the evaluator and the server, at different
depths. :func:`warn_caller` counts the frames instead, as Python 3.12's
``skip_file_prefixes`` does, so the warning shows the user's own call (and ``-W error`` or a
filter by module applies to the user's code).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# With the separator, so a sibling folder such as depthlm_extras/ is not taken for the package.
_PACKAGE = str(Path(__file__).resolve().parent.parent) + os.sep


def warn_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first frame outside the depthlm package."""
    frame = sys._getframe(1)
    level = 2  # stacklevel 2 is warn_caller's caller
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
