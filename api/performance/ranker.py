"""Candidate ranking for the disclosure search, in worker processes of its own.

Ranking is linkage's arithmetic over a few hundred candidate records (2-4 ms of CPU a search at
100k people). In the server's process it holds the GIL every other request needs; in a worker
process (``DOTS_SEARCH_WORKERS``, default one fewer than the machine's cores; 0 ranks on a thread
of the server's own process) it runs on another core while the server only waits. A worker loads
the saved search index once; a search carries the server's stamp of the resolve outputs, and a
worker whose index is for other outputs reads the stamp itself (a few ``stat`` calls). Each answer
carries the stamp it was ranked from, so the server never keeps an answer under another stamp
than its own.

Each worker is one process and one pipe, driven by the event loop, which reads a worker's answers
when its pipe is readable. A worker has up to ``DEPTH`` queries in its pipe: the next one is
already there when it sends an answer, so it never idles while the server's loop is busy with other
requests (with one query at a time, a loaded server left its ranker idle about 40 % of the time:
4.4 ms between queries for 2.5 ms of ranking; see ``benchmarks/api.md``). Queries beyond that
wait in the server, first come first served, and go to the least busy worker. Answers come back
in the order asked. No thread sits between them, as this runs on every search.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from linkage.search import get_index, stamped_search


def _serve(conn: Connection, data_dir: Path) -> None:
    """A worker: load the index, then answer queries until the server closes the pipe."""
    try:
        get_index(data_dir, ttl=0)
    except FileNotFoundError:  # no resolution yet: each search says so
        pass
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, Any] = (True, stamped_search(*args))
        except Exception as exc:  # noqa: BLE001 - raised again in the server (FileNotFoundError: not resolved)
            answer = (False, exc)
        try:
            conn.send(answer)
        except OSError:  # the server closed the pipe (shutting down)
            return


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    pending: deque[asyncio.Future | None] = field(default_factory=deque)  # asked, in order (None: nobody waits)
    loop: asyncio.AbstractEventLoop | None = None  # reading its pipe while it has queries


class Ranker:
    """``linkage.search.stamped_search`` over one data directory, in ``workers`` processes; used
    from one event loop at a time (a worker's pipe is watched by the loop that asked, only while
    it has queries in it)."""

    DEPTH = 2  # queries in one worker's pipe at once: one being ranked, the next waiting

    def __init__(self, data_dir: Path, workers: int):
        self.data_dir = Path(data_dir)
        self.workers = workers
        self._all: list[_Worker] = []
        self._backlog: deque[tuple[tuple, asyncio.Future]] = deque()

    async def search(
        self,
        name: str,
        dob: date | None,
        age: int | None,
        place: str | None,
        limit: int,
        seen: str | None = None,
        sees: frozenset[str] | None = None,
    ) -> tuple[str, list[dict]]:
        """(stamp of the outputs ranked, candidates); ``seen`` and ``sees`` as for ``stamped_search``."""
        args = (self.data_dir, name, dob, age, place, limit, seen, sees)
        if self.workers <= 0:
            return await run_in_threadpool(stamped_search, *args)
        self.start()
        loop = asyncio.get_running_loop()
        for tries_left in range(self.workers, -1, -1):
            answer: asyncio.Future = loop.create_future()
            if tries_left == self.workers:
                self._backlog.append((args, answer))
            else:  # asked again after its worker died: it keeps its place
                self._backlog.appendleft((args, answer))
            self._feed(loop)
            try:
                ok, value = await answer
                break
            except (EOFError, OSError):  # its worker died (killed, out of memory): now replaced
                if not tries_left:  # each worker was found dead and replaced, and still no answer
                    raise
        if not ok:
            raise value
        return value

    def _feed(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send waiting queries, oldest first, to the least busy workers with room (on ``loop``'s
        thread). A caller that has left is skipped; one whose query was sent has its answer read
        and dropped."""
        while self._backlog:
            free = [w for w in self._all if w.loop is None or w.loop is loop or w.loop.is_closed()]
            worker = min(free, key=lambda w: len(w.pending)) if free else None
            if worker is None or len(worker.pending) >= self.DEPTH:
                return
            args, answer = self._backlog.popleft()
            if answer.done():
                continue
            try:
                worker.conn.send(args)
            except OSError as exc:
                self._lost(worker, exc, answer)
                continue
            if worker.loop is not loop:
                if worker.loop is not None:  # its loop closed while it ranked: those answers go unread
                    worker.pending = deque(None for _ in worker.pending)
                loop.add_reader(worker.conn.fileno(), self._read, worker)
                worker.loop = loop
            worker.pending.append(answer)

    def _read(self, worker: _Worker) -> None:
        """The worker's answers that have arrived, to their callers in the order asked."""
        loop = worker.loop
        assert loop is not None
        while True:
            try:
                got = worker.conn.recv()
            except (EOFError, OSError) as exc:
                self._lost(worker, exc)
                break
            answer = worker.pending.popleft()
            if answer is not None and not answer.done():
                answer.set_result(got)
            if not worker.pending:
                self._unwatch(worker)
                break
            if not worker.conn.poll():
                break
        self._feed(loop)

    @staticmethod
    def _unwatch(worker: _Worker) -> None:
        if worker.loop is not None:
            if not worker.loop.is_closed():
                worker.loop.remove_reader(worker.conn.fileno())
            worker.loop = None

    def _lost(self, dead: _Worker, exc: BaseException, *also: asyncio.Future) -> None:
        """A worker found dead: replaced, and everyone waiting on it told (they ask again)."""
        self._unwatch(dead)
        dead.conn.close()
        dead.process.join(timeout=1)
        if dead in self._all:
            self._all[self._all.index(dead)] = self._spawn()
        for answer in (*dead.pending, *also):
            if answer is not None and not answer.done():
                answer.set_exception(exc)
        dead.pending.clear()

    def start(self) -> None:
        """Start the workers (they load the index) if not yet started."""
        while len(self._all) < self.workers:
            self._all.append(self._spawn())

    def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("forkserver")  # the server runs threads: never fork it
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(child, self.data_dir), name="dots-ranker", daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def close(self) -> None:
        workers, self._all = self._all, []
        for worker in workers:
            self._unwatch(worker)
            worker.conn.close()  # the worker's recv ends: it returns
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
