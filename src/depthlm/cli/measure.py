"""``depthlm measure``: ask a model how far away marked pixels of your own photo are.

The focal length decides the scale of every answer, so the output always says which focal was
used and where it came from (``--focal``/``--intrinsics``, the photo's EXIF, or an assumed
field of view). Inputs are checked (file, image, points inside it) before the model loads, so a
typo costs a second, not a model load.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from depthlm.cli.errors import user_errors
from depthlm.cli.options import Beams, Samples, Temperature

#: Tasks ``measure`` can ask: one marked point, one image.
MEASURE_TASKS = ("distance", "principal_axis", "speed", "time")

MODEL_HELP = "embedded | model folder | hf:PATH | vllm:PATH | openai:MODEL"
FOCAL_HELP = (
    "Focal length in pixels of the image as given (principal point at the centre). "
    "Default: from the EXIF 35 mm-equivalent focal, else a 60° horizontal field of view."
)
INTRINSICS_HELP = "FX,FY,CX,CY in pixels, instead of --focal."


# ------------------------------------------------------------------------- shared with `depth`
def parse_pixel(text: str) -> tuple[int, int]:
    """``"X,Y"`` → ``(x, y)`` integer pixel (column, row from the top-left)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        return int(parts[0]), int(parts[1])
    except ValueError:
        raise ValueError(
            f"malformed --point {text!r}: expected X,Y in integer pixels, e.g. --point 320,240"
        ) from None


def parse_intrinsics(text: str | None) -> list[float] | None:
    """``"FX,FY,CX,CY"`` → four floats (validated further by ``resolve_camera``)."""
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ValueError(f"malformed --intrinsics {text!r}: expected FX,FY,CX,CY in pixels")
    return values


def input_images(image: Path) -> tuple[list[Path], bool]:
    """The image files of ``image`` (a file, or a folder's images) and whether it is a folder.

    Each file's header is opened (cheap, no decoding) so that a missing file or a non-image
    fails here, named, rather than after the model has loaded."""
    from PIL import Image, UnidentifiedImageError

    from depthlm.inference.depthlm import list_images

    if not image.exists():
        raise FileNotFoundError(f"image not found: {image}")
    folder = image.is_dir()
    files = list_images(image) if folder else [image]
    for f in files:
        try:
            with Image.open(f):
                pass
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise ValueError(f"{f}: not a readable image ({e})") from None
    return files, folder


def check_points(files: list[Path], points: list[tuple[int, int]]) -> None:
    """Every point lies inside every image; the error names the point and the image."""
    from PIL import Image

    for f in files:
        with Image.open(f) as im:
            w, h = im.size
        for x, y in points:
            if not (0 <= x < w and 0 <= y < h):
                raise ValueError(f"--point {x},{y} is outside {f} ({w}x{h}: x must be in "
                                 f"0..{w - 1}, y in 0..{h - 1})")  # fmt: skip


@contextmanager
def default_focal_note(sources: list[str]) -> Iterator[None]:
    """Silence the per-image default-focal warning; afterwards print one line for the run."""
    from depthlm.inference.focal import DEFAULT_HFOV_DEG, DefaultFocalWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DefaultFocalWarning)
        yield
    n = sources.count("default")
    if n:
        print(f"warning: no --focal and no EXIF focal for {n} image(s): assumed a "
              f"{DEFAULT_HFOV_DEG:g}° horizontal field of view. Answers scale with the focal: "
              "pass --focal F or --intrinsics FX,FY,CX,CY (pixels)", file=sys.stderr)  # fmt: skip


def describe_source(source: str) -> str:
    """What a ``focal_source`` means, for people."""
    from depthlm.inference.focal import DEFAULT_HFOV_DEG

    return {
        "intrinsics": "from --intrinsics",
        "focal": "from --focal",
        "exif": "from the EXIF 35 mm-equivalent focal",
        "estimated": "estimated by the model (its field-of-view answer; no --focal, no EXIF)",
        "default": f"assumed: {DEFAULT_HFOV_DEG:g}° horizontal field of view (no --focal, no EXIF)",
    }.get(source, source)


def check_camera_options(focal: float | None, intrinsics: str | None) -> list[float] | None:
    if focal is not None and intrinsics is not None:
        raise ValueError("give --focal or --intrinsics, not both")
    if focal is not None and not (math.isfinite(focal) and focal > 0):
        raise ValueError(f"--focal must be a positive number of pixels, got {focal:g}")
    return parse_intrinsics(intrinsics)


# ------------------------------------------------------------------------- command
def measure_command(
    image: Annotated[
        Path, typer.Argument(help="Image file, or a folder of images (same points in each).")
    ],
    point: Annotated[
        list[str],
        typer.Option(
            "--point", "-p", help="Pixel X,Y to ask about (column, row; 0,0 = top-left). Repeat."
        ),
    ],
    focal: Annotated[float | None, typer.Option(help=FOCAL_HELP)] = None,
    intrinsics: Annotated[str | None, typer.Option(help=INTRINSICS_HELP)] = None,
    task: Annotated[str, typer.Option(help=" | ".join(MEASURE_TASKS))] = "distance",
    seconds: Annotated[
        float, typer.Option(help="speed: the time T (s) to reach the point in.")
    ] = 1.0,
    velocity: Annotated[
        float, typer.Option(help="time: the speed V (m/s) moving towards the point.")
    ] = 1.0,
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = "embedded",
    samples: Samples = 1,
    temperature: Temperature = None,
    beams: Beams = 1,
    points_per_query: Annotated[
        int,
        typer.Option(help="Numbered points per question (multi_point task; 1 = one each)."),
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Ask how far away (or how fast/long to reach) marked pixels of an image are."""
    with user_errors():
        from depthlm.inference.depthlm import DepthLM
        from depthlm.tasks import get_task

        if task not in MEASURE_TASKS:
            raise ValueError(f"--task must be one of {', '.join(MEASURE_TASKS)}, got {task!r}")
        intr = check_camera_options(focal, intrinsics)
        points = [parse_pixel(p) for p in point]
        files, folder = input_images(image)
        check_points(files, points)
        params = {"speed": {"T": seconds}, "time": {"V": velocity}}.get(task, {})
        for key, value in params.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{key} must be positive, got {value:g}")

        vlm = DepthLM.from_pretrained(model, samples=samples, temperature=temperature, beams=beams)
        sources: list[str] = []
        with default_focal_note(sources):
            if points_per_query < 1:
                raise ValueError(f"--points-per-query must be >= 1, got {points_per_query}")
            if points_per_query > 1:  # one image at a time: numbered markers share an image
                results = [vlm.measure(f, points, intrinsics=intr, focal=focal, task=task,
                                       points_per_query=points_per_query, **params)
                           for f in files]  # fmt: skip
            else:
                out = vlm.measure(files if folder else files[0], points, intrinsics=intr,
                                  focal=focal, task=task, **params)  # fmt: skip
                results = out if isinstance(out, list) else [out]
            sources += [r["focal_source"] for r in results]
        unit = get_task(task).unit
        rows = [_summary(r, task, unit) for r in results]
        if as_json:
            typer.echo(json.dumps(rows if folder else rows[0], indent=2))
        else:
            for row in rows:
                _print_table(row)


def _summary(result: dict[str, Any], task: str, unit: str) -> dict[str, Any]:
    """One image's answers as plain JSON types (NaN → null)."""
    skipped = set(result["skipped"])
    answers = []
    for i, ((x, y), value, text) in enumerate(
        zip(result["points"].tolist(), result["metres"].tolist(), result["text"], strict=True)
    ):
        answers.append({
            "pixel": [x, y],
            "value": value if math.isfinite(value) else None,
            "text": text,
            "skipped": i in skipped,
        })  # fmt: skip
    w, h = result["intrinsics"][4:6]
    return {
        "image": str(result["image"]),
        "width": int(w),
        "height": int(h),
        "task": task,
        "unit": unit,
        "focal": result["focal"],
        "focal_source": result["focal_source"],
        "intrinsics": result["intrinsics"][:4],
        "answers": answers,
    }


def _print_table(row: dict[str, Any]) -> None:
    typer.echo(f"image: {row['image']} ({row['width']}x{row['height']})")
    typer.echo(f"focal: {row['focal']:.1f} px ({describe_source(row['focal_source'])})")
    typer.echo(f"task:  {row['task']} ({row['unit']})")
    typer.echo(f"  {'pixel':>12}  {'answer':>10}  raw text")
    for a in row["answers"]:
        pixel = f"{a['pixel'][0]},{a['pixel'][1]}"
        if a["skipped"]:
            typer.echo(f"  {pixel:>12}  {'-':>10}  (skipped: too close to the border to mark)")
            continue
        value = "?" if a["value"] is None else f"{a['value']:.2f} {row['unit']}"
        text = (a["text"] or "").replace("\n", " ")
        typer.echo(f"  {pixel:>12}  {value:>10}  {text}")
