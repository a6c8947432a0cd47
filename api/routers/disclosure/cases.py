"""Clare's Law cases: open, list, read and change a case, choose its subject, record its checks,
and the cases whose clocks are overdue. Every answer passes the case's leak guard: what officers
type on a case may not name a previous victim or any address either."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query, Request
from sqlalchemy import func, select

from api.deps import (
    Alter,
    Collect,
    Combine,
    Consult,
    Paging,
    app_state,
    graph,
    paginate,
)
from api.models import Page
from api.problems import ProblemError, problem_responses
from api.routers.disclosure.common import (
    CaseId,
    case_out,
    case_people,
    check_out,
    guarded,
    handling_force,
    load_case,
    router,
    scope_of,
)
from api.routers.disclosure.models import CaseChange, CaseIn, CaseOut, CheckIn, CheckOut, SubjectChoice
from api.store import graphq
from api.store.db import Case, CaseCheck, CaseDecision, utcnow

# -- cases ------------------------------------------------------------------------------------------


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseOut,
    summary="Open a right-to-ask or right-to-know case (starts the clocks)",
)
def open_case(
    request: Request, body: CaseIn, audit: Collect
) -> dict:
    if body.route == "ask" and body.applicant is None:
        raise ProblemError(400, "a right-to-ask case needs the applicant", "bad-parameter")
    code = handling_force(audit, body.force)
    assert audit.principal is not None
    with app_state(request).sessions.begin() as session:
        case = Case(
            route=body.route,
            force_code=code,
            reference=body.reference,
            applicant=body.applicant.model_dump(mode="json") if body.applicant else {},
            person_at_risk=body.person_at_risk.model_dump(mode="json"),
            subject=body.subject.model_dump(mode="json"),
            relationship=body.relationship,
            subject_person_id=body.subject.person_id,
            status="open",
            opened_at=utcnow(),
            opened_by=audit.principal.name,
        )
        session.add(case)
        session.flush()
        out = case_out(case)
    audit.returned(case_people(case), 1)
    return guarded(request, case, out)


@router.get("/cases", response_model=Page[CaseOut], summary="Cases of the account's forces, newest first")
def list_cases(
    request: Request,
    audit: Consult,
    paging: Paging,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> dict:
    scope = scope_of(audit)
    q = select(Case)
    if not scope.national:
        q = q.where(Case.force_code.in_(sorted(scope.forces) or [""]))
    if status:
        q = q.where(Case.status == status)
    with app_state(request).sessions() as session:
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        found = (
            session.execute(q.order_by(Case.opened_at.desc(), Case.id.desc()).offset(paging.offset).limit(paging.limit))
            .scalars()
            .all()
        )
        items = [guarded(request, c, case_out(c)) for c in found]
    audit.returned([p for c in found for p in case_people(c)], len(items))
    return paginate(items, paging, request, total)


@router.get(
    "/cases/{case_id}",
    response_model=CaseOut,
    responses=problem_responses(404),
    summary="One case with its clocks, checks and decisions",
)
def get_case(request: Request, case_id: CaseId, audit: Consult) -> dict:
    with app_state(request).sessions() as session:
        case = load_case(session, audit, case_id)
        checks = session.execute(select(CaseCheck).where(CaseCheck.case_id == case_id).order_by(CaseCheck.id)).scalars()
        decisions = session.execute(
            select(CaseDecision).where(CaseDecision.case_id == case_id).order_by(CaseDecision.id)
        ).scalars()
        out = case_out(case, True, list(checks), list(decisions))
    audit.returned(case_people(case), 1)
    return guarded(request, case, out)


@router.patch(
    "/cases/{case_id}",
    response_model=CaseOut,
    responses=problem_responses(404, 409),
    summary="Record initial contact, the meeting, exceptional circumstances, or close the case",
)
def change_case(
    request: Request,
    case_id: CaseId,
    body: CaseChange,
    audit: Alter,
) -> dict:
    now = utcnow()
    with app_state(request).sessions.begin() as session:
        case = load_case(session, audit, case_id)
        if case.status == "closed":
            raise ProblemError(409, "the case is closed", "case-closed")
        for name in ("initial_contact_at", "meeting_at"):
            value = getattr(body, name)
            if value is not None:
                value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
                if value > now + dt.timedelta(minutes=5) or value < case.opened_at - dt.timedelta(days=1):
                    raise ProblemError(400, f"{name} must lie between the case's opening and now", "bad-parameter")
                setattr(case, name, value)
        if body.exceptional_circumstances is not None:
            case.exceptional_circumstances = body.exceptional_circumstances
        if body.close:
            has_decision = session.scalar(
                select(func.count()).select_from(CaseDecision).where(CaseDecision.case_id == case_id)
            )
            if not has_decision:
                raise ProblemError(409, "record the decision before closing the case", "no-decision")
            case.status, case.closed_at = "closed", now
        out = case_out(case)
    audit.returned(case_people(case), 1)
    return guarded(request, case, out)


@router.post(
    "/cases/{case_id}/subject",
    response_model=CaseOut,
    responses=problem_responses(404, 409),
    summary="Record which resolved person the officer judged the subject to be",
)
def choose_subject(
    request: Request,
    case_id: CaseId,
    body: SubjectChoice,
    audit: Combine,
) -> dict:
    g = graph(request)
    if body.person_id not in graphq.people(g, [body.person_id]):
        raise ProblemError(404, "no such person", "not-found")
    with app_state(request).sessions.begin() as session:
        case = load_case(session, audit, case_id)
        if case.status == "closed":
            raise ProblemError(409, "the case is closed", "case-closed")
        case.subject_person_id = body.person_id
        out = case_out(case)
    audit.returned(case_people(case), 1)
    return guarded(request, case, out)


# -- checks ------------------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/checks",
    status_code=201,
    response_model=CheckOut,
    responses=problem_responses(404, 409),
    summary="Record a check: system, what was searched, by whom, when, result ('no trace' is a result)",
)
def add_check(
    request: Request,
    case_id: CaseId,
    body: CheckIn,
    audit: Alter,
) -> dict:
    assert audit.principal is not None
    with app_state(request).sessions.begin() as session:
        case = load_case(session, audit, case_id)
        if case.status == "closed":
            raise ProblemError(409, "the case is closed", "case-closed")
        at = body.checked_at or utcnow()
        check = CaseCheck(
            case_id=case_id,
            system=body.system,
            searched_for=body.searched_for,
            result=body.result,
            details=body.details,
            checked_by=audit.principal.name,
            checked_at=at if at.tzinfo else at.replace(tzinfo=dt.UTC),
        )
        session.add(check)
        session.flush()
        out = check_out(check)
    audit.returned(case_people(case), 1)
    return guarded(request, case, out)


@router.get(
    "/cases/{case_id}/checks",
    response_model=Page[CheckOut],
    responses=problem_responses(404),
    summary="The checks recorded on a case",
)
def list_checks(request: Request, case_id: CaseId, audit: Consult, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        case = load_case(session, audit, case_id)
        q = select(CaseCheck).where(CaseCheck.case_id == case_id)
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        items = [
            check_out(x)
            for x in session.execute(q.order_by(CaseCheck.id).offset(paging.offset).limit(paging.limit)).scalars()
        ]
    audit.returned(case_people(case), len(items))
    return paginate(guarded(request, case, items), paging, request, total)


# -- clocks ------------------------------------------------------------------------------------------


@router.get("/overdue", response_model=Page[CaseOut], summary="Open cases with a clock past its target")
def overdue(request: Request, audit: Consult, paging: Paging) -> dict:
    scope = scope_of(audit)
    q = select(Case).where(Case.status == "open")
    if not scope.national:
        q = q.where(Case.force_code.in_(sorted(scope.forces) or [""]))
    with app_state(request).sessions() as session:
        found = [c for c in session.execute(q.order_by(Case.opened_at, Case.id)).scalars()]
    late = [c for c in found if any(k["state"] == "overdue" for k in case_out(c)["clocks"])]
    out = paginate(late, paging, request)
    audit.returned([p for c in out["items"] for p in case_people(c)], len(out["items"]))
    return {**out, "items": [guarded(request, c, case_out(c)) for c in out["items"]]}
