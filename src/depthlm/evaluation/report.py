"""Tables in the paper's layout: one column per dataset plus the average over datasets."""

from __future__ import annotations

import csv
import io
from typing import Any

ROWS = (
    ("delta1", "δ1 ↑"),
    ("delta2", "δ2 ↑"),
    ("delta3", "δ3 ↑"),
    ("abs_rel", "AbsRel ↓"),
    ("sq_rel", "SqRel ↓"),
    ("rmse", "RMSE ↓"),
    ("rmse_log", "RMSE log ↓"),
    ("log10", "log10 ↓"),
    ("silog", "SILog ↓"),
    ("n", "answered"),
    ("unparsed", "unparsed"),
    ("skipped", "skipped"),
)
FORMATS = ("text", "markdown", "csv")


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def table(results: dict[str, Any], fmt: str = "text") -> str:
    """Render ``results`` (from :func:`~depthlm.evaluation.runner.evaluate`)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}, got {fmt!r}")
    names = list(results["datasets"])
    columns = [*names, "avg"]
    header = [f"{results['model']} ({results['task']})", *columns]
    keys, body = [], []
    for key, label in ROWS:
        values = [results["datasets"][n].get(key) for n in names] + [results["average"].get(key)]
        if all(v is None for v in values):
            continue
        keys.append(key)
        body.append([label, *(_cell(v) for v in values)])
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["metric", *columns])
        writer.writerows([[key, *row[1:]] for key, row in zip(keys, body, strict=True)])
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def fmt_row(r: list[str]) -> str:
        cells = zip(r, widths, strict=True)
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells))

    sep = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fmt_row(header), sep, *map(fmt_row, body)]) + "\n"
