"""The per-sample predictions file, which is also the resume cache.

One JSON line per answered question (dataset, probe), appended and fsync'ed batch by batch, after
a header line that fingerprints the run (model and preprocessing). A killed run leaves at most
one torn last line; on restart it is dropped, every complete line is kept, and only the missing
pairs are asked. A header that does not match refuses to mix two different runs in one file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from depthlm.utils.io import atomic_write_text

Key = tuple[str, str]


class PredictionCache:
    """Append-only JSONL of predictions keyed by ``(dataset, probe key)``."""

    def __init__(self, path: str | Path, header: dict[str, Any]) -> None:
        self.path = Path(path)
        # As it reads back from the file: a tuple (a contract's window) comes back a list, and
        # comparing the two would refuse to resume every run of a windowed model.
        self.header = json.loads(json.dumps(header))
        self.rows: dict[Key, dict[str, Any]] = {}
        self._load()

    @staticmethod
    def key(row: dict[str, Any]) -> Key:
        return (row["dataset"], str(row["probe"]))

    def _load(self) -> None:
        if not self.path.exists():
            atomic_write_text(self.path, json.dumps({"header": self.header}) + "\n")
            return
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        good: list[str] = []
        for i, line in enumerate(lines, start=1):
            try:
                obj = json.loads(line)
                if not line.endswith("\n"):
                    raise ValueError("torn line")
            except (json.JSONDecodeError, ValueError):
                if i == len(lines):  # the write a kill interrupted: drop it
                    break
                raise ValueError(
                    f"{self.path}:{i}: corrupt predictions line; delete the file to start over"
                ) from None
            if i == 1:
                if obj.get("header") != self.header:
                    raise ValueError(
                        f"{self.path} was written by a different run "
                        f"({obj.get('header')}); use another --output or --overwrite"
                    )
            else:
                self.rows[self.key(obj)] = obj
            good.append(line)
        if len(good) != len(lines):
            atomic_write_text(self.path, "".join(good))

    def __contains__(self, key: Key) -> bool:
        return key in self.rows

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        """Durably add rows (one write and fsync per call, i.e. per batch)."""
        rows = list(rows)
        if not rows:
            return
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        for r in rows:
            self.rows[self.key(r)] = r
