"""Why a command failed, in one line for the person who ran it (never a traceback).

The product's own errors carry a message written for a person; a few errors of the libraries
beneath (a graph another process holds, an unreachable Neo4j, a missing optional package) are
turned into one. A data directory the command cannot use (a file where a folder belongs, a full
or read-only disk, a Parquet, JSON, SQLite or graph file that is damaged) is not a fault in the
code either: the line names the file and what to do, where "internal error (ArrowInvalid: …)"
told the operator nothing. Anything else is a fault in the code: it is reported as an internal
error in one line too, and ``DOTS_DEBUG=1`` shows its traceback.
"""

from __future__ import annotations

import json
import os
import re
import traceback
from pathlib import Path

from dots.terminal import shown


class CommandError(Exception):
    """A failure to report as one line on stderr."""


def explain(exc: BaseException) -> tuple[str, bool]:
    """(the one-line reason, whether it is an expected refusal rather than a fault)."""
    expected = _expected(exc)
    if expected is not None:
        return _flat(expected), True
    if os.environ.get("DOTS_DEBUG", "") not in ("", "0"):
        traceback.print_exception(exc)
    damaged = _unusable(exc)
    if damaged is not None:  # not a refusal (logged as an error), but not a fault in the code either
        return _flat(damaged), False
    return _flat(f"internal error ({type(exc).__name__}: {exc}); DOTS_DEBUG=1 shows where"), False


def _expected(exc: BaseException) -> str | None:
    from api.auth.users import UserError
    from api.config import KeyPlacementError
    from graph.backend import GraphError
    from linkage.errors import LinkageError
    from loaders.mapping import MappingError
    from pipeline import ErasureError, IngestError

    if isinstance(exc, CommandError | LinkageError | GraphError | IngestError | MappingError | UserError
                  | KeyPlacementError | ErasureError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}" if exc.filename else str(exc)
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename}" if exc.filename else str(exc)
    if isinstance(exc, FileExistsError | NotADirectoryError) and exc.filename:
        return f"not a folder: {_blocking(Path(exc.filename))} (a file stands where a folder is needed)"
    if isinstance(exc, OSError) and exc.strerror:  # a full disk, a read-only file system, ...
        return f"{exc.strerror.lower()}: {exc.filename}" if exc.filename else exc.strerror.lower()
    if isinstance(exc, ModuleNotFoundError) and str(exc.name).startswith("psycopg"):
        return "DOTS_DATABASE_URL names a PostgreSQL store, whose driver is not installed (pip install psycopg)"
    if isinstance(exc, ModuleNotFoundError):
        return f"{exc.name} is not installed: dots serve needs the api extra (pip install 'dots[api]')"
    if isinstance(exc, ValueError) and str(exc).startswith("unknown force"):
        return str(exc)
    if isinstance(exc, RuntimeError) and "Could not set lock on file" in str(exc):
        return (
            "the embedded graph is in use by another process (a running dots serve holds it): stop that "
            "process, ask the API instead, or run the command on Neo4j with --graph"
        )
    return _neo4j(exc)


def _blocking(path: Path) -> Path:
    """The file on ``path``'s way (``path`` itself, or the first of its folders that is a file)."""
    for part in [*reversed(path.parents), path]:
        if part.exists() and not part.is_dir():
            return part
    return path


def _unusable(exc: BaseException) -> str | None:
    """A data directory file the command could not use, named with what to do about it."""
    import sqlite3

    import pyarrow as pa
    from sqlalchemy import exc as sql

    restore = "restore it from a backup, or move it aside and run the command that writes it again"
    if isinstance(exc, pa.ArrowException):
        return f"a data file cannot be read: {_file(exc)}: {_first(exc)}; {restore}"
    if isinstance(exc, json.JSONDecodeError):
        return f"a data file cannot be read: {_file(exc)}: not valid JSON ({exc.msg}); {restore}"
    if isinstance(exc, sql.ArgumentError) and os.environ.get("DOTS_DATABASE_URL"):
        return f"DOTS_DATABASE_URL is not a database URL: {exc}"
    if isinstance(exc, sql.DatabaseError | sqlite3.DatabaseError):
        store = ("the DOTS_DATABASE_URL database" if os.environ.get("DOTS_DATABASE_URL")
                 else "state/dots.sqlite in the data directory")
        cause = getattr(exc, "orig", None) or exc
        return f"the state store ({store}) cannot be used: {_first(cause)}; {restore}"
    if isinstance(exc, RuntimeError) and "not a valid Lbug database" in str(exc):
        return ("the embedded graph (graph/pole.lbdb in the data directory) is damaged: move it aside and run "
                "'dots graph load' again")
    return None


def _first(exc: BaseException) -> str:
    """The first sentence of a library's message (Arrow's run on with advice that misleads here)."""
    text = re.sub(r"^Could not open Parquet input source '[^']*': ", "", str(exc).strip())
    return re.split(r"(?<=[.!])\s", text, maxsplit=1)[0].rstrip(".")


def _file(exc: BaseException) -> str:
    """The file an exception was raised reading: named in its message, else the innermost
    ``path``/``file`` variable of the frames it passed through (a library's message rarely names it)."""
    quoted = re.search(r"'(/[^']+)'", str(exc))
    if quoted:
        return quoted.group(1)
    for frame, _ in reversed(list(traceback.walk_tb(exc.__traceback__))):
        for name in ("path", "file", "source", "where"):
            value = frame.f_locals.get(name)
            if isinstance(value, str | os.PathLike) and Path(value).is_file():
                return str(value)
    return "(a file in the data directory)"


def _neo4j(exc: BaseException) -> str | None:
    from neo4j import exceptions as n

    if isinstance(exc, n.AuthError):
        return "Neo4j refused the credentials: check NEO4J_USER and NEO4J_PASSWORD"
    if isinstance(exc, n.ServiceUnavailable):
        return f"Neo4j cannot be reached: {exc}"
    if isinstance(exc, n.ConfigurationError | n.ClientError | n.DriverError):
        return f"Neo4j: {exc}"
    return None


def _flat(text: str, limit: int = 400) -> str:
    """One line, of a readable length."""
    line = shown(" ".join(str(text).split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"
