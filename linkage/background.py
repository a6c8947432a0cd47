"""Run one step of a resolve in a forked process, so the two cores of a small server share the work.

The golden records need only the staged mentions and the final record -> person map, and the
parent still has the pairs output and five other files to write: forking after clustering lets
both run at once. Fork shares the parent's memory copy-on-write, so nothing is pickled on the
way in; the child reports its wall time, CPU time and peak memory on the way out. Where fork is
unavailable (or for small inputs, where it does not pay) the step runs in-process.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
import traceback
from collections.abc import Callable


def _child(func: Callable[[], None], conn) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        func()
    except BaseException:  # report it to the parent, which raises
        conn.send({"error": traceback.format_exc()})
        raise
    usage = resource.getrusage(resource.RUSAGE_SELF)
    conn.send(
        {
            "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "peak_gb": usage.ru_maxrss * 1024 / 1e9,
        }
    )


class Background:
    """``func`` running in a forked child (or run at once, in-process, when ``fork`` is False)."""

    def __init__(self, func: Callable[[], None], fork: bool = True):
        self.stats: dict = {"forked": False}
        self._proc = None
        if fork and "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_child, args=(func, send), daemon=True)
            self._proc.start()
            send.close()
            self.stats["forked"] = True
        else:
            wall, cpu = time.perf_counter(), time.process_time()
            func()
            self.stats.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)

    def join(self) -> dict:
        """Wait for the child; raise if it failed. Returns its wall/CPU seconds and peak memory."""
        if self._proc is None:
            return self.stats
        report: dict = {}
        try:
            report = self._recv.recv()
        except EOFError:  # died without a word (killed)
            pass
        self._proc.join()
        if self._proc.exitcode != 0 or "error" in report:
            raise RuntimeError(f"background step failed (exit {self._proc.exitcode}): {report.get('error', '')}")
        self.stats.update({k: round(v, 3) for k, v in report.items()})
        return self.stats
