"""Where a run keeps its state: one data directory holds staging, linkage, graph and state store."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``--data-dir``, else ``DOTS_HOME``, else ``./.dots`` (per the CLI contract)."""
    chosen = explicit or os.environ.get("DOTS_HOME") or ".dots"
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
