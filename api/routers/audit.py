"""Audit: the s.62 log, readable by auditors only, and the chain check behind ``dots audit verify``.

Reading the log is itself a consultation of personal data (it names people), so it carries a
purpose and reference and is logged like any other read.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from api.deps import Consult, Day, Paging, app_state, paginate, require_roles
from api.models import Page
from api.policy.audit import audit_key, record_dict, verify_session
from api.policy.roles import Operation, Role
from api.problems import problem_responses
from api.routing import AuditedRoute
from api.store.db import AuditRecord

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.auditor))],
    responses=problem_responses(400, 401, 403),
)


class AuditOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 42,
                    "at": "2024-11-25T10:00:00.000000+00:00",
                    "user_id": 3,
                    "user_name": "a.khan",
                    "role": "analyst",
                    "forces": "E23000007",
                    "operation": "consultation",
                    "purpose": "intelligence",
                    "reference": "NO/0003714/19",
                    "method": "GET",
                    "route": "/analyst/persons/{person_id}",
                    "path": "/analyst/persons/P000123?purpose=…",
                    "person_ids": ["P000123"],
                    "count": 1,
                    "outcome": "ok",
                    "status": 200,
                    "detail": None,
                    "recipients": None,
                    "prev_hash": "9c1f…",
                    "hash": "52ab…",
                }
            ]
        }
    )

    seq: int
    at: str
    user_id: int | None
    user_name: str | None
    role: str | None
    forces: str | None
    operation: str
    purpose: str | None
    reference: str | None
    method: str
    route: str
    path: str
    person_ids: list[str]
    count: int | None
    outcome: str
    status: int
    detail: str | None
    recipients: str | None
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    records: int
    first_bad: dict[str, Any] | None


@router.get("/records", response_model=Page[AuditOut], summary="Search the s.62 log (newest first)")
def records(
    request: Request,
    paging: Paging,
    audit: Consult,
    user: Annotated[str | None, Query(max_length=100, description="user name")] = None,
    person_id: Annotated[str | None, Query(max_length=64, description="records naming this person")] = None,
    operation: Annotated[Operation | None, Query()] = None,
    outcome: Annotated[Literal["ok", "restricted", "refused", "error"] | None, Query()] = None,
    since: Annotated[Day | None, Query(description="from this day (UTC)")] = None,
    until: Annotated[Day | None, Query(description="up to and including this day (UTC)")] = None,
) -> dict:
    q = select(AuditRecord)
    if user:
        q = q.where(AuditRecord.user_name == user)
    if person_id:
        q = q.where(AuditRecord.person_ids.contains(f'"{person_id}"'))
    if operation:
        q = q.where(AuditRecord.operation == operation.value)
    if outcome:
        q = q.where(AuditRecord.outcome == outcome)
    if since:
        q = q.where(AuditRecord.at >= since.isoformat())
    if until:
        q = q.where(AuditRecord.at < (until + dt.timedelta(days=1)).isoformat())
    with app_state(request).sessions() as session:
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = session.execute(q.order_by(AuditRecord.seq.desc()).offset(paging.offset).limit(paging.limit)).scalars()
        items = [record_dict(r) for r in rows]
    audit.returned(count=len(items))
    return paginate(items, paging, request, total)


@router.get("/verify", response_model=VerifyOut, summary="Check the log's hash chain")
def verify(request: Request, audit: Consult) -> VerifyOut:
    state = app_state(request)
    with state.sessions() as session:
        ok, bad = verify_session(session, audit_key(state.settings.data_dir))
        n = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
    audit.returned(count=0)
    return VerifyOut(ok=ok, records=n, first_bad=bad)
