"""Starting a job and describing one, for every router that does (admin's job routes, the
steward's "apply decisions"): routers call this service, never each other."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.models import JobOut
from api.problems import ProblemError
from api.store.db import Job, Upload


def job_out(job: Job) -> JobOut:
    """What the API says about a job."""
    return JobOut(**{k: getattr(job, k) for k in JobOut.model_fields})


def submit(state: Any, kind: str, params: dict, user: str) -> JobOut:
    """Queue a job of ``kind`` for ``user``; 404 when it names uploads the store does not hold."""
    if params.get("upload_ids"):
        with state.sessions() as session:
            known = set(session.execute(select(Upload.id).where(Upload.id.in_(params["upload_ids"]))).scalars())
        unknown = sorted(set(params["upload_ids"]) - known)
        if unknown:
            raise ProblemError(404, f"no such upload: {', '.join(unknown)[:200]}", "not-found")
    return job_out(state.jobs.submit(kind, params, user))
