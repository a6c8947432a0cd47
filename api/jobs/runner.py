"""Background jobs: ingest, resolution and graph load run one at a time off the request path.

A job is a row in the state store (queued → running → succeeded / failed, with progress and a
message) and a task on a single worker thread: the pipeline stages share the data directory and
the embedded graph, so running two at once would only make them wait for each other's locks.
A server stopped mid-job leaves the row ``running``; the next start marks it failed
("interrupted"), and since every stage is idempotent it can simply be run again.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from api.store.db import Job, utcnow

log = logging.getLogger("dots.api.jobs")
KINDS = ("ingest", "resolve", "graph_load", "pipeline")

Progress = Callable[[float, str], None]


class JobRunner:
    """Queues jobs and runs them on one worker thread."""

    def __init__(self, sessions: sessionmaker, stages: dict[str, Callable[[dict, Progress], dict]]):
        self.sessions = sessions
        self.stages = stages
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dots-job")
        with sessions.begin() as session:
            session.execute(
                update(Job)
                .where(Job.status.in_(["queued", "running"]))
                .values(status="failed", message="interrupted: the server stopped", finished_at=utcnow())
            )

    def submit(self, kind: str, params: dict, user: str) -> Job:
        if kind not in self.stages:
            raise ValueError(f"unknown job kind {kind!r}")
        job = Job(
            id=str(uuid.uuid4()),
            kind=kind,
            status="queued",
            progress=0.0,
            params=params,
            created_by=user,
            created_at=utcnow(),
        )
        with self.sessions.begin() as session:
            session.add(job)
        self.pool.submit(self._run, job.id, kind, params)
        return job

    def _set(self, job_id: str, **values: Any) -> None:
        with self.sessions.begin() as session:
            session.execute(update(Job).where(Job.id == job_id).values(**values))

    def _run(self, job_id: str, kind: str, params: dict) -> None:
        self._set(job_id, status="running", started_at=utcnow(), message="started")

        def progress(fraction: float, message: str) -> None:
            self._set(job_id, progress=round(max(0.0, min(1.0, fraction)), 4), message=message[:2000])

        try:
            result = self.stages[kind](params, progress)
            self._set(
                job_id,
                status="succeeded",
                progress=1.0,
                result=_jsonable(result),
                finished_at=utcnow(),
                message="done",
            )
        except Exception as exc:  # a job's failure is its status, not the server's
            log.error("job %s (%s) failed: %s", job_id, kind, traceback.format_exc())
            self._set(job_id, status="failed", finished_at=utcnow(), message=f"{type(exc).__name__}: {exc}"[:2000])

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    return str(value)
