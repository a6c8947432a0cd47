"""Candidate ranking for the disclosure search, in worker processes of its own.

Ranking is linkage's arithmetic over a few hundred candidate records (2-4 ms of CPU a search at
100k people). In the server's process it holds the GIL every other request needs; in a worker
process (``DOTS_SEARCH_WORKERS``, default one fewer than the machine's cores; 0 ranks on a thread
of the server's own process) it runs on another core while the server only waits. A worker loads
the saved search index once and checks the resolve outputs' stamp on every search (a few ``stat``
calls, in the worker); each answer carries the stamp it was ranked from, so the server never keeps
an answer under a newer stamp than its own.

Each worker is one process and one pipe, driven by the event loop: a search takes an idle worker
(or waits its turn, first come first served), writes the query, and the loop reads the answer when
the pipe is readable. No thread sits between them, as this runs on every search.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections import deque
from dataclasses import dataclass
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


class Ranker:
    """``linkage.search.stamped_search`` over one data directory, in ``workers`` processes; used
    from one event loop."""

    def __init__(self, data_dir: Path, workers: int):
        self.data_dir = Path(data_dir)
        self.workers = workers
        self._all: list[_Worker] = []
        self._idle: deque[_Worker] = deque()
        self._waiting: deque[asyncio.Future] = deque()

    async def search(
        self, name: str, dob: date | None, age: int | None, place: str | None, limit: int
    ) -> tuple[str, list[dict]]:
        """(stamp of the outputs ranked, candidates)."""
        args = (self.data_dir, name, dob, age, place, limit)
        if self.workers <= 0:
            return await run_in_threadpool(stamped_search, *args)
        self.start()
        for tries_left in range(self.workers, -1, -1):
            try:
                ok, value = await self._ask(await self._acquire(), args)
                break
            except (EOFError, OSError):  # that worker had died (killed, out of memory): now replaced
                if not tries_left:  # each worker was found dead and replaced, and still no answer
                    raise
        if not ok:
            raise value
        return value

    async def _ask(self, worker: _Worker, args: tuple) -> tuple[bool, Any]:
        """Send, and wait for the answer without a thread. The worker goes back to the pool once its
        answer is read, whoever is still waiting for it; a worker found dead goes back replaced."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future = loop.create_future()
        fd = worker.conn.fileno()
        pending = True  # the answer is still in the pipe (all of this runs on the loop's thread)

        def ready() -> None:
            nonlocal pending
            pending = False
            loop.remove_reader(fd)
            try:
                got = worker.conn.recv()
            except (EOFError, OSError) as exc:
                self._release(self._replace(worker))
                if not answer.done():
                    answer.set_exception(exc)
                return
            self._release(worker)
            if not answer.done():
                answer.set_result(got)

        try:
            worker.conn.send(args)
        except OSError:
            self._release(self._replace(worker))
            raise
        loop.add_reader(fd, ready)
        try:
            return await answer
        except asyncio.CancelledError:  # the caller went away before the answer came
            if pending:  # read it on a thread; the worker is free after that
                loop.remove_reader(fd)
                threading.Thread(target=self._drain, args=(worker, loop), daemon=True).start()
            raise

    async def _acquire(self) -> _Worker:
        if self._idle:
            return self._idle.popleft()
        turn: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed a worker just as the caller left
                self._release(turn.result())
            raise

    def _release(self, worker: _Worker) -> None:
        """The worker to the first caller still waiting, else back to the idle ones (loop thread)."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(worker)
                return
        self._idle.append(worker)

    def _drain(self, worker: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        try:
            worker.conn.recv()
        except (EOFError, OSError):
            worker = self._replace(worker)
        loop.call_soon_threadsafe(self._release, worker)

    def start(self) -> None:
        """Start the workers (they load the index) if not yet started."""
        while len(self._all) < self.workers:
            worker = self._spawn()
            self._all.append(worker)
            self._idle.append(worker)

    def _spawn(self) -> _Worker:
        ctx = multiprocessing.get_context("forkserver")  # the server runs threads: never fork it
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(child, self.data_dir), name="dots-ranker", daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, dead: _Worker) -> _Worker:
        dead.conn.close()
        dead.process.join(timeout=1)
        worker = self._spawn()
        if dead in self._all:
            self._all[self._all.index(dead)] = worker
        return worker

    def close(self) -> None:
        workers, self._all = self._all, []
        self._idle.clear()
        for worker in workers:
            worker.conn.close()  # the worker's recv ends: it returns
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
