"""``depthlm curate``: turn captures and public datasets into DepthLM records (thin API
wrappers over :mod:`depthlm.data.curate`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.options import key_values

if TYPE_CHECKING:
    from depthlm.data.curate import CurationResult

INF = float("inf")

app = typer.Typer(help="Build DepthLM records from your own data.", no_args_is_help=True)

# Options every curator shares; declared once so the commands describe them identically.
MinDepth = Annotated[float, typer.Option(help="Ignore pixels nearer than this (m).")]
MaxDepth = Annotated[float, typer.Option(help="Ignore pixels farther than this (m).")]
Balance = Annotated[
    str, typer.Option(help="uniform (as the reference) | depth (equal shares of log-depth bins).")
]
ExcludeEdges = Annotated[
    bool, typer.Option(help="Drop pixels at depth discontinuities (flying pixels).")
]
Seed = Annotated[int, typer.Option(help="Same seed, same pixels.")]
Link = Annotated[bool, typer.Option(help="Hard-link (else symlink) images instead of copying.")]
Quiet = Annotated[bool, typer.Option(help="No progress bar.")]
IntrinsicsFlag = Annotated[
    str | None, typer.Option(help="FX,FY,CX,CY in pixels, shared by all images.")
]
IntrinsicsFile = Annotated[
    Path | None, typer.Option(help="JSON (stem -> fx fy cx cy) or lines 'stem fx fy cx cy'.")
]
Poses = Annotated[
    Path | None, typer.Option(help="Folder of 4x4 camera-to-world .txt files per frame.")
]
Sequence = Annotated[
    str | None, typer.Option(help="Sequence name with --poses (default: the folder name).")
]


def _warn(msg: str) -> None:
    typer.echo(f"warning: {msg}", err=True)


def _summary(result: CurationResult) -> None:
    assert result.skipped is not None
    typer.echo(
        f"records: {result.records_path} ({result.records} images, {result.points} points, "
        f"{len(result.skipped)} skipped)"
    )


@app.command("rgbd")
def rgbd_command(
    rgb: Annotated[Path, typer.Option(help="Folder of RGB images.")],
    depth: Annotated[Path, typer.Option(help="Folder of depth maps (16-bit .png or .npy metres).")],
    out: Annotated[Path, typer.Option(help="Output folder: records.jsonl and images/.")],
    intrinsics: IntrinsicsFlag = None,
    intrinsics_file: IntrinsicsFile = None,
    depth_scale: Annotated[
        float | None,
        typer.Option(help="16-bit PNG: metres = value / scale (1000 for mm); .npy ignores it."),
    ] = None,
    depth_type: Annotated[
        str, typer.Option(help="What the maps hold: z (optical axis) | euclidean (ray length).")
    ] = "z",
    poses: Poses = None,
    sequence: Sequence = None,
    points: Annotated[int, typer.Option(help="Labelled pixels per image.")] = 100,
    min_depth: MinDepth = 0.0,
    max_depth: MaxDepth = INF,
    balance: Balance = "uniform",
    exclude_edges: ExcludeEdges = False,
    seed: Seed = 0,
    link: Link = False,
    quiet: Quiet = False,
) -> None:
    """Sample labelled pixels from an RGB-D folder pair into OUT/records.jsonl."""
    with user_errors():
        from depthlm.data.curate import curate_rgbd

        result = curate_rgbd(
            rgb, depth, out, intrinsics=intrinsics, intrinsics_file=intrinsics_file,
            depth_scale=depth_scale, depth_type=depth_type, poses=poses, sequence=sequence,
            points=points, min_depth=min_depth, max_depth=max_depth, balance=balance,
            exclude_edges=exclude_edges, seed=seed, link=link, progress=not quiet,
            on_warning=_warn,
        )  # fmt: skip
        _summary(result)


@app.command("lidar")
def lidar_command(
    images: Annotated[Path, typer.Option(help="Folder of camera images.")],
    points: Annotated[
        Path, typer.Option(help="Folder of point clouds (.npy/.npz x,y,z; .bin; .pcd.bin).")
    ],
    out: Annotated[Path, typer.Option(help="Output folder: records.jsonl and images/.")],
    extrinsics: Annotated[
        Path,
        typer.Option(help="4x4 LiDAR-to-camera matrix (text or JSON), or a folder, one per image."),
    ],
    intrinsics: IntrinsicsFlag = None,
    intrinsics_file: IntrinsicsFile = None,
    poses: Poses = None,
    sequence: Sequence = None,
    points_per_image: Annotated[int, typer.Option(help="Labelled pixels per image.")] = 100,
    min_depth: MinDepth = 0.0,
    max_depth: MaxDepth = INF,
    balance: Balance = "uniform",
    exclude_edges: ExcludeEdges = False,
    seed: Seed = 0,
    link: Link = False,
    quiet: Quiet = False,
) -> None:
    """Project LiDAR sweeps into their images (nearest return per pixel) and sample labels."""
    with user_errors():
        from depthlm.data.curate import curate_lidar

        result = curate_lidar(
            images, points, out, extrinsics=extrinsics, intrinsics=intrinsics,
            intrinsics_file=intrinsics_file, poses=poses, sequence=sequence,
            points_per_image=points_per_image, min_depth=min_depth, max_depth=max_depth,
            balance=balance, exclude_edges=exclude_edges, seed=seed, link=link,
            progress=not quiet, on_warning=_warn,
        )  # fmt: skip
        _summary(result)


def _describe(name: str, import_path: str) -> list[str]:
    """Listing lines for one dataset module; a module that fails to import is reported, not
    fatal, so one broken reader does not hide the others."""
    import importlib

    try:
        module = importlib.import_module(import_path)
    except Exception as exc:  # any import failure is reported the same way
        return [f"{name}", f"  (cannot import {import_path}: {exc})"]
    lines = [f"{getattr(module, 'NAME', name)}  {getattr(module, 'TITLE', '')}".rstrip()]
    for field in ("UNITS", "URL", "LICENSE"):
        lines.append(f"  {field.lower() + ':':9}{getattr(module, field, '?')}")
    options = getattr(module, "OPTIONS", None) or {}
    for key, help_text in options.items():
        lines.append(f"  option   {key}: {help_text}")
    return lines


def list_datasets() -> None:
    """Print every registered dataset module: NAME, TITLE, UNITS, URL, LICENSE, options."""
    from depthlm.data.curate.datasets import DATASETS

    if not DATASETS:
        typer.echo("no dataset modules registered")
        return
    for name in sorted(DATASETS):
        typer.echo("\n".join(_describe(name, DATASETS[name])))


@app.command("datasets")
def datasets_command() -> None:
    """List the public datasets `depthlm curate dataset` can read."""
    list_datasets()


@app.command("dataset")
def dataset_command(
    name: Annotated[
        str | None, typer.Argument(help="Dataset name (see `depthlm curate datasets`).")
    ] = None,
    root: Annotated[
        Path | None, typer.Option(help="The dataset as downloaded (its own layout).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder: records.jsonl and images/.")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", help="KEY=VALUE passed to the dataset reader (repeatable)."),
    ] = None,
    points: Annotated[int, typer.Option(help="Labelled pixels per image.")] = 100,
    min_depth: MinDepth = 0.0,
    max_depth: MaxDepth = INF,
    balance: Balance = "uniform",
    exclude_edges: ExcludeEdges = False,
    seed: Seed = 0,
    link: Link = False,
    list_: Annotated[bool, typer.Option("--list", help="List the datasets and exit.")] = False,
    quiet: Quiet = False,
) -> None:
    """Curate a public dataset from its distributed layout into OUT/records.jsonl."""
    with user_errors():
        if list_:
            list_datasets()
            return
        if name is None or root is None or out is None:
            raise ValueError("give NAME, --root and --out (or --list to see the datasets)")
        from depthlm.data.curate import curate_dataset
        from depthlm.data.curate.rgbd import make_sampling

        result = curate_dataset(
            name, root, out, options=key_values(option or [], "--option"),
            sampling=make_sampling(points, min_depth, max_depth, exclude_edges, balance),
            seed=seed, link=link, progress=not quiet, on_warning=_warn,
        )  # fmt: skip
        _summary(result)
