"""Candidate ranking for the disclosure search, in worker processes of its own.

Ranking is linkage's arithmetic over a few hundred candidate records (3-4 ms of CPU a search at
100k people). In the server's process it holds the GIL every other request needs; in a worker
process (``DOTS_SEARCH_WORKERS``, default one fewer than the machine's cores; 0 ranks in the
server's own process) it runs on another core while the server only waits. A worker loads the
saved search index once and checks the resolve outputs' stamp on every search (a few ``stat``
calls, in the worker); each answer carries the stamp it was ranked from, so the server never keeps
an answer under a newer stamp than its own.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

from linkage.search import get_index, stamped_search


def _load(data_dir: Path) -> None:
    """A new worker loads the index before its first search (none yet: the first search says so)."""
    try:
        get_index(data_dir, ttl=0)
    except FileNotFoundError:
        pass


class Ranker:
    """``linkage.search.stamped_search`` over one data directory, in ``workers`` processes."""

    def __init__(self, data_dir: Path, workers: int):
        self.data_dir = Path(data_dir)
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def search(
        self, name: str, dob: date | None, age: int | None, place: str | None, limit: int
    ) -> tuple[str, list[dict]]:
        """(stamp of the outputs ranked, candidates): blocks the calling thread, not the GIL."""
        args = (self.data_dir, name, dob, age, place, limit)
        if self.workers <= 0:
            return stamped_search(*args)
        try:
            return self._executor().submit(stamped_search, *args).result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): start afresh once
            self._drop()
            return self._executor().submit(stamped_search, *args).result()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("forkserver"),  # the server has threads: no fork
                    initializer=_load,
                    initargs=(self.data_dir,),
                )
            return self._pool

    def _drop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
