"""Where a run keeps its state: one data directory holds staging, linkage, graph and state store."""

from __future__ import annotations

import os
from pathlib import Path

from dots.failures import CommandError


def data_dir(explicit: str | os.PathLike | None = None, create: bool = True) -> Path:
    """``--data-dir``, else ``DOTS_HOME``, else ``./.dots`` (per the CLI contract).

    Commands that write (ingest, synth's state, user add) create it; commands that only read
    (``create=False``) raise :class:`FileNotFoundError` for a directory that is not there, rather
    than make an empty one and answer from it as if nothing were wrong."""
    chosen = explicit or os.environ.get("DOTS_HOME") or ".dots"
    path = Path(chosen).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise CommandError(f"{path} is a file, not a data directory (give --data-dir or set DOTS_HOME)")
    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif not path.is_dir():
        raise FileNotFoundError(f"no data directory at {path} (give --data-dir or set DOTS_HOME)")
    return path
