"""Where a rules file is found and how it is read: the one path every YAML rule set takes (the
caller's file, else an environment variable naming a force's own, else the shipped default), and
one error for a file that cannot be read, naming it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"


def rules_source(path: Path | str | None, env: str, default: str) -> str:
    """``path``, else the file ``env`` names, else ``data/<default>``, as a string (a cache key)."""
    chosen = path if path is not None else os.environ.get(env) or None
    return str(Path(chosen) if chosen is not None else DATA / default)


def read_yaml(source: str, what: str) -> Any:
    """The YAML document in ``source``; ValueError naming the file when it cannot be read."""
    try:
        return yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{source}: cannot read the {what}: {exc}") from exc
