"""Why a command failed, in one line for the person who ran it (never a traceback).

The product's own errors carry a message written for a person; a few errors of the libraries
beneath (a graph another process holds, an unreachable Neo4j, a missing optional package) are
turned into one. Anything else is a fault in the code: it is reported as an internal error in
one line too, and ``DOTS_DEBUG=1`` shows its traceback.
"""

from __future__ import annotations

import os
import traceback

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
    return _flat(f"internal error ({type(exc).__name__}: {exc}); DOTS_DEBUG=1 shows where"), False


def _expected(exc: BaseException) -> str | None:
    from api.auth.users import UserError
    from api.config import KeyPlacementError
    from graph.backend import GraphError
    from linkage.errors import LinkageError
    from loaders.mapping import MappingError
    from pipeline import IngestError

    if isinstance(exc, CommandError | LinkageError | GraphError | IngestError | MappingError | UserError
                  | KeyPlacementError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}" if exc.filename else str(exc)
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename}" if exc.filename else str(exc)
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
