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

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

log = logging.getLogger("dots.api.graphcache")
T = TypeVar("T")
V = TypeVar("V")
DEFAULT_ENTRIES = 200_000
FREEZE_FROM = 10_000  # people filled at once above which the garbage collector is told to skip them


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

    def peek(self, key: tuple) -> Any | None:
        """The cached value of ``key`` (a hit), or None (not counted: the caller then uses ``get``)."""
        with self._lock:
            if self.enabled and not self._loading and key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        return None

    def missed(self) -> None:
        """Count a miss of a caller that peeked, computed elsewhere and will ``fill``."""
        with self._lock:
            self.misses += 1

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

    def fill(self, generation: int, values: dict[tuple, Any]) -> bool:
        """Keep ``values`` read in ``generation`` (False, keeping nothing, if a load began since)."""
        return self._keep(generation, values)

    def _keep(self, generation: int, values: dict[tuple, Any]) -> bool:
        with self._lock:
            if not (self.enabled and not self._loading and self.generation == generation):
                return False
            self._data.update(values)
            for key in values:
                self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
            return True

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


class Prefiller:
    """Fills a :class:`GraphCache` with every person's profile rows from a few whole-graph
    statements (``graph.queries.profile.all_profile_rows``), in a background thread, when the
    server opens the graph and after each load; requests meanwhile read the graph as usual. Skipped
    when the graph holds more people than the cache may keep."""

    def __init__(self, cache: GraphCache, graph: Callable[[], Any], enabled: bool = True):
        self.cache = cache
        self.graph = graph
        self.enabled = enabled
        self.last: dict[str, Any] = {}
        self._wanted = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Fill the cache now (again, once the running fill ends, if one is running)."""
        if not self.enabled:
            return
        with self._lock:
            self._wanted = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dots-graph-prefill", daemon=True)
                self._thread.start()

    def wait(self) -> None:
        """Until no fill is running (before the graph is closed)."""
        while True:
            with self._lock:
                thread = self._thread
            if thread is None or not thread.is_alive():
                return
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            try:
                self.last = self._fill()
            except Exception:  # the graph may be missing or mid-load: requests read it themselves
                log.exception("graph cache prefill failed")
                self.last = {"filled": 0, "error": True}

    def _fill(self) -> dict[str, Any]:
        from graph.queries.profile import Q_ALL_PERSONS_COUNT, all_profile_rows

        started = time.perf_counter()
        g = self.graph()
        if not self.cache.enabled:
            return {"filled": 0}
        generation = self.cache.generation
        people = g.run(Q_ALL_PERSONS_COUNT, {})[0]["n"]
        if people > self.cache.max_entries:
            return {"filled": 0, "people": people, "skipped": "more people than DOTS_GRAPH_CACHE"}
        rows = all_profile_rows(g)
        kept = self.cache.fill(generation, {("profile", pid): prof for pid, prof in rows.items()})
        if kept and len(rows) >= FREEZE_FROM:
            # Millions of long-lived objects would make every full garbage collection walk them all
            # (pauses of about half a second at 100k people): keep them out of its sight. They
            # hold no cycles, so they are still freed when the next load empties the cache.
            gc.freeze()
        seconds = round(time.perf_counter() - started, 1)
        return {"filled": len(rows) if kept else 0, "people": people, "seconds": seconds}
