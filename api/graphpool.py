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
from typing import Any

from graph import dialect
from graph.backend import GraphBackend

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
            result = conn.execute(cypher, params or {})
            if isinstance(result, list):
                result = result[-1]
            if not result.get_column_names():
                return []
            rows = result.get_as_arrow().to_pylist()
        finally:
            self._free.put(conn)
        return [{k: dialect.native(v) for k, v in row.items()} for row in rows]

    def ensure_schema(self) -> None:
        self.backend.ensure_schema()

    def close(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()
