"""Turn user errors into one clear line and exit code 2, instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer


@contextmanager
def user_errors() -> Iterator[None]:
    """Report bad input (``ValueError``, missing files) and backend refusals (bad key,
    exhausted retries) as ``error: ...`` and exit 2."""
    from depthlm.inference.base import BackendError

    try:
        yield
    except (ValueError, FileNotFoundError, IndexError, BackendError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(2) from None
