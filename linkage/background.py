"""Run one step of a resolve in a forked process, so the two cores of a small server share the work.

Golden records need the staged mentions (known at the start) and the final record -> person
map (known only after clustering). The child is forked at the start, while the process is still
small (a cheap fork), prepares everything that needs only the mentions while the parent
resolves, then receives the person map, finishes and writes while the parent writes the other
outputs. Fork shares the parent's memory copy-on-write, so the mentions are not copied; the
child reports its wall time, CPU time and peak memory at the end. Where fork is unavailable
(or for small inputs, where it does not pay) the step runs in-process when its input is sent.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
import traceback
from collections.abc import Callable
from typing import Any

Job = Callable[[Callable[[], Any]], Any]  # job(receive): receive() returns what the parent sends


def _child(job: Job, out, inbox) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        result = job(inbox.recv)
    except EOFError:  # the parent gave up (its resolve failed): nothing to do
        return
    except BaseException:  # report it to the parent, which raises
        out.send({"error": traceback.format_exc()})
        raise
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    stats["peak_gb"] = usage.ru_maxrss * 1024 / 1e9
    out.send(stats)
    out.send(result)


class Background:
    """``job`` running in a forked child that waits for one message (``send``) from the parent.

    Without fork, ``job`` runs in-process inside ``send``. ``join`` returns the timings and
    leaves the job's return value in ``result``.
    """

    def __init__(self, job: Job, fork: bool = True):
        self.stats: dict = {"forked": False}
        self.result: Any = None
        self._job = job
        self._proc = None
        if fork and "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
            self._from_child, child_out = ctx.Pipe(duplex=False)
            child_in, self._to_child = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(job, child_out, child_in), daemon=True)
            self._proc.start()
            child_out.close()
            child_in.close()
            self.stats["forked"] = True

    def send(self, message: Any) -> None:
        """Give the job its input (in-process: run it now)."""
        if self._proc is None:
            wall, cpu = time.perf_counter(), time.process_time()
            self.result = self._job(lambda: message)
            self.stats.update(wall=round(time.perf_counter() - wall, 3), cpu=round(time.process_time() - cpu, 3))
            return
        try:
            self._to_child.send(message)
        except (BrokenPipeError, OSError):
            pass  # the child failed: join reports why

    def join(self) -> dict:
        """Wait for the child; raise if it failed. Returns its wall/CPU seconds and peak memory."""
        if self._proc is None:
            return self.stats
        report: dict = {}
        try:
            report = self._from_child.recv()
            if "error" not in report:
                self.result = self._from_child.recv()
        except EOFError:  # died without a word (killed)
            pass
        self._proc.join()
        self._close_pipes()
        if self._proc.exitcode != 0 or "error" in report or not report:
            raise RuntimeError(f"background step failed (exit {self._proc.exitcode}): {report.get('error', '')}")
        self.stats.update({k: round(v, 3) for k, v in report.items()})
        return self.stats

    def close(self) -> None:
        """Stop a child that was never joined (the parent's step failed)."""
        if self._proc is not None and self._proc.is_alive():
            self._close_pipes()  # the child's receive ends with EOFError and it exits
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join()

    def _close_pipes(self) -> None:
        for conn in (self._to_child, self._from_child):
            conn.close()
