"""What the API keeps from one graph load: the unmasked, unscoped graph facts of the people it was
asked about (profile rows, the forces holding related people and events), so a second request
for the same person skips the graph. Masking, force scoping and the audit record still run on
every request; only the graph reads are saved.

Never stale: the graph changes only through a load, and a load in this process (the admin
``graph_load`` job) opens a new generation when it starts and again when it ends, emptying the
cache each time; an answer computed from an older generation is not kept, and nothing is kept
while a load runs. The cache is used only over the embedded graph, which the server process
holds exclusively (another process cannot open it for writing); a Neo4j server can be loaded by
other processes, so over Neo4j every request reads the graph.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
V = TypeVar("V")
DEFAULT_ENTRIES = 50_000


class GraphCache:
    """A bounded least-recently-used map per graph generation, with hit and miss counts."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, enabled: bool = True):
        self.max_entries = max_entries
        self.enabled = enabled and max_entries > 0
        self.generation = 0
        self.hits = 0
        self.misses = 0
        self._loading = 0
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], T], valid: Callable[[], bool] | None = None) -> T:
        """The cached value of ``key`` in this generation, else ``compute()`` (kept when no load
        started or ended meanwhile and ``valid()``, if given, still holds)."""
        with self._lock:
            if self.enabled and not self._loading and key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            generation = self.generation
        value = compute()
        if valid is None or valid():
            self._keep(generation, {key: value})
        return value

    def many(
        self, kind: str, ids: Iterable[str], read: Callable[[list[str]], dict[str, V]], default: V
    ) -> dict[str, V]:
        """``read(missing ids)`` for the ids not cached (one batched read), cached ones as they are;
        ids that ``read`` does not answer get ``default``."""
        out: dict[str, V] = {}
        missing: list[str] = []
        with self._lock:
            serve = self.enabled and not self._loading
            for i in dict.fromkeys(ids):
                key = (kind, i)
                if serve and key in self._data:
                    self._data.move_to_end(key)
                    out[i] = self._data[key]
                else:
                    missing.append(i)
            self.hits += len(out)
            self.misses += len(missing)
            generation = self.generation
        if missing:
            found = read(missing)
            fresh = {i: found.get(i, default) for i in missing}
            out.update(fresh)
            self._keep(generation, {(kind, i): v for i, v in fresh.items()})
        return out

    def _keep(self, generation: int, values: dict[tuple, Any]) -> None:
        with self._lock:
            if self.enabled and not self._loading and self.generation == generation:
                self._data.update(values)
                for key in values:
                    self._data.move_to_end(key)
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)

    def invalidate(self) -> None:
        """Start a new generation: forget everything read so far."""
        with self._lock:
            self.generation += 1
            self._data.clear()

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Around a graph load: nothing is served from or kept in the cache until it ends."""
        with self._lock:
            self._loading += 1
        self.invalidate()
        try:
            yield
        finally:
            self.invalidate()
            with self._lock:
                self._loading -= 1

    def stats(self) -> dict[str, int | float | bool]:
        with self._lock:
            asked = self.hits + self.misses
            return {
                "enabled": self.enabled,
                "generation": self.generation,
                "entries": len(self._data),
                "hits": self.hits,
                "misses": self.misses,
                "hit_ratio": round(self.hits / asked, 4) if asked else 0.0,
            }
