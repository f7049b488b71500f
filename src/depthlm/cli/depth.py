"""``depthlm depth``: a metric depth map, point cloud and preview of your own photos.

For each image: ``depth.npy``/``depth.png`` (z-depth, metres/millimetres), ``points.ply`` and
``scene.glb`` (coloured point clouds), ``depth_preview.png`` and ``intrinsics.json`` (what the
depth was computed with, including where the focal came from); see
:mod:`depthlm.inference.outputs`. A folder is mirrored: ``OUT/<image stem>/...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.measure import (
    FOCAL_HELP,
    INTRINSICS_HELP,
    MODEL_HELP,
    check_camera_options,
    default_focal_note,
    describe_source,
    input_images,
)
from depthlm.cli.options import Beams, Samples, Temperature


def output_dirs(files: list[Path], out: Path) -> dict[str, Path]:
    """``OUT/<stem>`` per image; images sharing a stem (``a.jpg``, ``a.png``) get
    ``OUT/a_jpg``, ``OUT/a_png`` instead, so one never overwrites the other."""
    stems = [f.stem for f in files]
    return {
        str(f): out / (f.stem if stems.count(f.stem) == 1 else f.name.replace(".", "_"))
        for f in files
    }


def depth_command(
    image: Annotated[Path, typer.Argument(help="Image file, or a folder of images.")],
    out: Annotated[
        Path,
        typer.Option(help="Output folder (for a folder input: one subfolder per image stem)."),
    ],
    focal: Annotated[float | None, typer.Option(help=FOCAL_HELP)] = None,
    intrinsics: Annotated[str | None, typer.Option(help=INTRINSICS_HELP)] = None,
    queries: Annotated[
        int, typer.Option(help="Questions per image (the map is interpolated between them).")
    ] = 256,
    sampling: Annotated[
        str,
        typer.Option(
            help="adaptive: a grid plus questions where image edges fence regions off, "
            "filled edge-aware; grid: a regular grid, upsampled bilinearly."
        ),
    ] = "adaptive",
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = "embedded",
    samples: Samples = 1,
    temperature: Temperature = None,
    beams: Beams = 1,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Write a metric depth map, point cloud (PLY, GLB) and preview for each image."""
    with user_errors():
        from tqdm.auto import tqdm

        from depthlm.inference.depthlm import SAMPLINGS, DepthLM
        from depthlm.inference.outputs import write_depth_outputs

        intr = check_camera_options(focal, intrinsics)
        if queries < 1:
            raise ValueError(f"--queries must be >= 1, got {queries}")
        if sampling not in SAMPLINGS:
            raise ValueError(f"--sampling must be one of {', '.join(SAMPLINGS)}, got {sampling}")
        files, folder = input_images(image)
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} exists and is not a folder")
        dirs = output_dirs(files, out) if folder else {str(files[0]): out}

        vlm = DepthLM.from_pretrained(model, samples=samples, temperature=temperature, beams=beams)
        sources: list[str] = []
        done: list[tuple[str, float, str, Path]] = []
        written: list[Path] = []
        with default_focal_note(sources):
            maps = vlm.iter_depth_maps(files, intrinsics=intr, focal=focal, queries=queries,
                                       sampling=sampling)  # fmt: skip
            bar = tqdm(maps, total=len(files), desc="depth", unit="img", disable=quiet)
            for result, rgb in bar:
                target = dirs[str(result["image"])]
                written = sorted(write_depth_outputs(result, rgb, target).values())
                sources.append(result["focal_source"])
                done.append((str(result["image"]), result["focal"], result["focal_source"],
                             target))  # fmt: skip
        for name, fx, source, target in done:
            typer.echo(f"{name}: focal {fx:.1f} px ({describe_source(source)}) -> {target}")
        if not folder:
            typer.echo(f"wrote {', '.join(p.name for p in written)}")
