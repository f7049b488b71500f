"""Match files of two folders (RGB ↔ depth, RGB ↔ pose) that belong to the same frame.

Captures name their streams differently (``rgb_00050.jpg`` beside ``sync_depth_00050.png``), so
an exact stem match is tried first and the last number in the name second. Anything left over
is an error naming the files: silently dropping a frame would shift sequence indices.
"""

from __future__ import annotations

import re
from pathlib import Path

RGB_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEPTH_SUFFIXES = (".png", ".npy")
POSE_SUFFIXES = (".txt",)

_NUMBER = re.compile(r"\d+")


def list_files(folder: Path, suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Sorted files of ``folder`` with one of ``suffixes`` (hidden files ignored)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} folder not found: {folder}")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes
    )
    if not files:
        raise ValueError(f"{folder}: no {what} files ({', '.join(suffixes)})")
    return files


def last_number(path: Path) -> int | None:
    """The last run of digits in the file stem, as an integer (``00050`` == ``50``)."""
    found = _NUMBER.findall(path.stem)
    return int(found[-1]) if found else None


def _by_number(files: list[Path], side: str) -> dict[int, Path]:
    table: dict[int, Path] = {}
    for p in files:
        n = last_number(p)
        if n is None:
            continue
        if n in table:
            raise ValueError(
                f"cannot pair {side} files by number: {table[n]} and {p} both end in {n}"
            )
        table[n] = p
    return table


def _names(files: list[Path], limit: int = 5) -> str:
    shown = ", ".join(str(p) for p in files[:limit])
    return shown + (f" (and {len(files) - limit} more)" if len(files) > limit else "")


def pair_files(left: list[Path], right: list[Path], what: str) -> list[tuple[Path, Path]]:
    """Pair every ``left`` file with one ``right`` file, in ``left`` order.

    Stems first, then the last number among the files still unpaired. Raises ``ValueError``
    naming the unpaired files of either side (``what`` names the right side, e.g. "depth").
    """
    right_by_stem = {p.stem: p for p in right}
    pairs: dict[Path, Path] = {}
    for p in left:
        if p.stem in right_by_stem:
            pairs[p] = right_by_stem.pop(p.stem)
    rest_left = [p for p in left if p not in pairs]
    if rest_left:
        numbers = _by_number(list(right_by_stem.values()), what)
        for p in rest_left:
            n = last_number(p)
            if n is not None and n in numbers:
                pairs[p] = numbers.pop(n)
    unpaired_left = [p for p in left if p not in pairs]
    used = set(pairs.values())
    unpaired_right = [p for p in right if p not in used]
    if unpaired_left:
        raise ValueError(f"no {what} file for: {_names(unpaired_left)}")
    if unpaired_right:
        raise ValueError(f"{what} file(s) without an RGB image: {_names(unpaired_right)}")
    return [(p, pairs[p]) for p in left]
