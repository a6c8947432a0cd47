"""Concurrent reads on the embedded graph for the API.

``graph.backend.LadybugBackend`` runs every statement on one connection behind a lock: right for
loads, but a server answering many users would queue all reads behind each other. The embedded
engine allows several connections to one database, and releases the GIL while a query runs, so
the API reads through a small pool of connections (one per core, one execution thread each) and
leaves writes (graph load jobs) to the owning backend. Neo4j needs none of this: its driver pools.
"""

from __future__ import annotations

import os
import queue
import warnings
from typing import Any

import pandas as pd

from graph.backend import GraphBackend, result_frame, result_rows

WRITE_WORDS = {"MERGE", "CREATE", "DELETE", "SET", "COPY", "DROP", "ALTER"}


def _is_write(cypher: str) -> bool:
    return bool(set(cypher.upper().replace("(", " ").split()) & WRITE_WORDS)


class ReadPool(GraphBackend):
    """Reads on pooled connections of an embedded backend's database; writes on the backend."""

    name = "ladybug-pool"

    def __init__(self, backend: GraphBackend, size: int | None = None):
        import ladybug

        self.backend = backend
        self._free: queue.Queue = queue.Queue()
        self._conns = []
        self._statements: dict[int, dict[str, Any]] = {}  # per connection: text -> prepared statement
        for _ in range(size or max(2, os.cpu_count() or 2)):
            conn = ladybug.Connection(backend._db)  # type: ignore[attr-defined]
            try:
                conn.set_max_threads_for_exec(1)  # parallelism comes from the pool, not within a query
            except AttributeError:  # pragma: no cover - older engine
                pass
            self._conns.append(conn)
            self._free.put(conn)

    @classmethod
    def wrap(cls, backend: GraphBackend) -> GraphBackend:
        """A pool over an embedded backend; any other backend unchanged."""
        if getattr(backend, "name", "") == "ladybug" and getattr(backend, "_db", None) is not None:
            return cls(backend)
        return backend

    def run(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict]:
        if _is_write(cypher):
            return self.backend.run(cypher, params)
        conn = self._free.get()
        try:
            return result_rows(self._execute(conn, cypher, params))
        finally:
            self._free.put(conn)

    def frame(self, cypher: str, params: dict[str, Any] | None = None, columns: list[str] | None = None
              ) -> pd.DataFrame:
        if _is_write(cypher):
            return self.backend.frame(cypher, params, columns)
        conn = self._free.get()
        try:
            return result_frame(self._execute(conn, cypher, params), columns)
        finally:
            self._free.put(conn)

    def _execute(self, conn: Any, cypher: str, params: dict[str, Any] | None) -> Any:
        """Parameterised reads run prepared statements cached per connection (compiling costs more
        than a point query); a statement that fails is prepared again once (e.g. after a schema change)."""
        if not params:
            return conn.execute(cypher)
        cache = self._statements.setdefault(id(conn), {})
        for attempt in (0, 1):
            stmt = cache.get(cypher)
            if stmt is None:
                with warnings.catch_warnings():  # prepare() is deprecated upstream but still the fast path
                    warnings.simplefilter("ignore", DeprecationWarning)
                    stmt = cache[cypher] = conn.prepare(cypher)
            try:
                return conn.execute(stmt, params)
            except RuntimeError:
                cache.pop(cypher, None)
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def ensure_schema(self) -> None:
        self.backend.ensure_schema()
        self._statements.clear()

    def clear(self) -> None:
        self.backend.clear()

    def close(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()
