"""The decision on a case: who decided, why, what was disclosed, to whom and by whom.

Every text of a decision (rationale, forum, the exact words disclosed, the recipient) passes the
case's leak guard before it is recorded: one that mentions a previous victim, protected person
or partner of the subject, a confidential address, or any address, is refused with a 400 that
does not echo it. The decision is the officer's (DPA 2018 s.49-50); the system records it.
"""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from api.deps import Disclose, app_state, graph
from api.problems import ProblemError, problem_responses
from api.routers.disclosure.common import CaseId, case_guard, case_people, decision_out, load_case, router
from api.routers.disclosure.models import DecisionIn, DecisionOut
from api.store.db import CaseDecision, utcnow

DECISION_TEXTS = ("rationale", "forum", "disclosed_info", "disclosed_to")


@router.post(
    "/cases/{case_id}/decision",
    status_code=201,
    response_model=DecisionOut,
    responses=problem_responses(404, 409),
    summary="Record the decision, rationale, what was disclosed, to whom and by whom",
)
def decide(
    request: Request,
    case_id: CaseId,
    body: DecisionIn,
    audit: Disclose,
) -> dict:
    assert audit.principal is not None
    if body.decision == "disclose" and not (body.disclosed_info and body.disclosed_to):
        raise ProblemError(400, "a disclosure records the exact information disclosed and to whom", "bad-parameter")
    with app_state(request).sessions() as session:
        case = load_case(session, audit, case_id)
    if case.status == "closed":
        raise ProblemError(409, "the case is closed", "case-closed")
    guard = case_guard(graph(request), case, app_state(request).cache.generation)
    named = [field for field in DECISION_TEXTS if guard.mentions(getattr(body, field))]
    if named:
        raise ProblemError(
            400,
            "the decision's text names a previous victim, a partner, a protected person or an address: remove it",
            "victim-identity",
        )
    name = audit.principal.name
    with app_state(request).sessions.begin() as session:
        at = body.disclosed_at
        decision = CaseDecision(
            case_id=case_id,
            decision=body.decision,
            rationale=body.rationale,
            forum=body.forum,
            disclosed_info=body.disclosed_info if body.decision == "disclose" else None,
            disclosed_to=body.disclosed_to if body.decision == "disclose" else None,
            disclosed_by=name if body.decision == "disclose" else None,
            disclosed_at=(at if at is None or at.tzinfo else at.replace(tzinfo=dt.UTC))
            if body.decision == "disclose"
            else None,
            decided_by=name,
            decided_at=utcnow(),
        )
        session.add(decision)
        session.flush()
        out = decision_out(decision)
    audit.recipients = body.disclosed_to if body.decision == "disclose" else None
    audit.detail = f"decision: {body.decision}"
    audit.returned(case_people(case), 1)
    return out
