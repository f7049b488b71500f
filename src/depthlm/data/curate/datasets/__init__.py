"""Public datasets in their distributed layouts → :class:`~depthlm.data.curate.frames.Frame`.

Each module here reads one dataset and defines:

* ``NAME`` (the CLI name), ``TITLE``, ``URL`` (where to get it), ``LICENSE``, ``UNITS`` (how
  its depth files encode metres, with the devkit it was checked against);
* ``frames(root: Path, **options) -> Iterator[Frame]``: every frame under ``root`` (a missing
  or malformed file raises ``ValueError`` naming it);
* ``OPTIONS``: ``{option: help}`` for the options ``frames`` takes (e.g. ``split``).

:func:`get_dataset` finds a module by name; :data:`DATASETS` lists them (modules are
discovered, so adding a dataset is adding a file).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def _discover() -> dict[str, str]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            found[info.name] = f"{__name__}.{info.name}"
    return found


#: module name → import path; the CLI name is the module's ``NAME`` (usually the same).
DATASETS: dict[str, str] = _discover()


def get_dataset(name: str) -> ModuleType:
    """The module reading dataset ``name`` (``nyuv2``, ``kitti``, ...)."""
    key = name.lower().replace("-", "_")
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(sorted(DATASETS))}")
    return importlib.import_module(DATASETS[key])
