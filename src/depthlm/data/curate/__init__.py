"""Turn captures and public datasets into DepthLM records (issue #10).

Every source is read into :class:`Frame` objects and written by :func:`curate_frames`, so all
records are labelled the same way and pass :func:`depthlm.data.records.validate_record`:

* :func:`curate_rgbd`: a user's RGB folder plus aligned depth maps;
* :func:`curate_lidar`: a user's images plus LiDAR sweeps and LiDAR→camera extrinsics;
* :func:`curate_dataset`: a public dataset in its own layout, read by a module of
  :mod:`depthlm.data.curate.datasets`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from depthlm.data.curate.frames import CurationResult, Frame, Sampling, curate_frames
from depthlm.data.curate.lidar_folder import curate_lidar
from depthlm.data.curate.rgbd import curate_rgbd

__all__ = [
    "CurationResult",
    "Frame",
    "Sampling",
    "curate_dataset",
    "curate_frames",
    "curate_lidar",
    "curate_rgbd",
    "dataset_options",
]


def dataset_options(module: ModuleType, options: dict[str, str]) -> dict[str, str]:
    """``options`` checked against the module's ``OPTIONS`` (``max-frames`` also matches
    ``max_frames``): a misspelt option would otherwise be dropped or crash deep in a reader."""
    known: dict[str, str] = dict(getattr(module, "OPTIONS", {}) or {})
    checked: dict[str, str] = {}
    for key, value in options.items():
        name = key if key in known else key.replace("-", "_")
        if name not in known:
            listed = "; ".join(f"{k}: {v}" for k, v in known.items()) or "none"
            raise ValueError(f"dataset {getattr(module, 'NAME', module.__name__)!r} has no "
                             f"option {key!r} (options: {listed})")  # fmt: skip
        checked[name] = value
    return checked


def curate_dataset(
    name: str,
    root: str | Path,
    out: str | Path,
    *,
    options: dict[str, str] | None = None,
    sampling: Sampling | None = None,
    seed: int = 0,
    link: bool = False,
    progress: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> CurationResult:
    """Curate public dataset ``name`` found under ``root`` into ``out``; records carry
    ``dataset`` = the module's ``NAME`` so mixed training files stay attributable."""
    from depthlm.data.curate.datasets import get_dataset

    module = get_dataset(name)
    checked = dataset_options(module, options or {})
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset root not found: {root}")
    frames = module.frames(root, **checked)
    return curate_frames(frames, out, sampling=sampling, seed=seed, link=link,
                         dataset=getattr(module, "NAME", name), progress=progress,
                         on_warning=on_warning)  # fmt: skip
