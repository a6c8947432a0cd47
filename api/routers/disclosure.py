"""Clare's Law (Domestic Violence Disclosure Scheme): cases, checks, the subject's disclosable
history with provenance, decisions, case clocks and right-to-know candidates.

The system finds and lays out; a person decides and is recorded as deciding (DPA 2018 s.49–50).
Disclosure answers never carry a previous victim's identity or a confidential address: the graph's
disclosure view leaves them out and :class:`api.safety.LeakGuard` checks every answer again, and
a decision whose disclosed text names a previous victim or a confidential address is refused.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from api.deps import (
    AuditContext,
    Audited,
    PageParams,
    Paging,
    RateLimited,
    SearchPaging,
    app_state,
    graph,
    paginate,
    require_roles,
)
from api.models import ForceCount, Page
from api.performance.changes import version
from api.performance.graphcache import GraphCache
from api.policy.clocks import case_clocks
from api.policy.frames import rows, split, visible_person
from api.policy.leakguard import LeakGuard
from api.policy.roles import Operation, Role
from api.policy.routing import AuditedRoute
from api.policy.scope import Scope, held_by
from api.problems import ProblemError, problem_responses
from api.store import graphq
from api.store.db import Case, CaseCheck, CaseDecision, utcnow
from linkage.search import current_stamp
from reference.forces import force_name

router = APIRouter(
    prefix="/disclosure",
    tags=["disclosure"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.disclosure_officer))],
    responses=problem_responses(400, 401, 403, 503),
)

Consult = Annotated[AuditContext, Depends(Audited(Operation.consultation))]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="case number", examples=[12])]
SYSTEMS = ("PNC", "PND", "LOCAL", "VISOR", "MARAC", "OTHER_FORCE", "PARTNER_AGENCY", "DOTS")
Text = Annotated[str, Field(min_length=1, max_length=200)]
NOTE = "Decision support: what may be disclosed is decided by the officer and the forum."


class Applicant(BaseModel):
    name: Text
    contact: str | None = Field(None, max_length=200, description="how to reach them safely")
    is_person_at_risk: bool = Field(True, description="right to ask by A herself/himself, or by a third party")


class PersonAtRisk(BaseModel):
    name: Text
    dob: dt.date | None = None
    person_id: str | None = Field(None, max_length=64, description="resolved id, when known (right to know)")


class Subject(BaseModel):
    name: Text
    dob: dt.date | None = None
    age: int | None = Field(None, ge=16, le=110)
    place: str | None = Field(None, max_length=100, description="where they live or are known, as said")
    person_id: str | None = Field(None, max_length=64)


class CaseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "route": "ask",
                    "force": "Northumbria",
                    "reference": "NO/0012345/24",
                    "applicant": {
                        "name": "Jane Doe",
                        "contact": "mobile, after 6pm",
                        "is_person_at_risk": True,
                    },
                    "person_at_risk": {"name": "Jane Doe"},
                    "subject": {"name": "Dave Smith", "age": 40, "place": "Sunderland"},
                    "relationship": "current_partner",
                }
            ]
        }
    )

    route: Literal["ask", "know"] = Field(description="right to ask (applicant) or right to know (police)")
    force: str | None = Field(None, max_length=60, description="handling force (default: the account's only force)")
    reference: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._:-]*$")
    applicant: Applicant | None = Field(None, description="required for right to ask")
    person_at_risk: PersonAtRisk
    subject: Subject
    relationship: Literal["current_partner", "former_partner", "new_partner"]


class CaseChange(BaseModel):
    initial_contact_at: dt.datetime | None = None
    meeting_at: dt.datetime | None = None
    exceptional_circumstances: str | None = Field(None, max_length=2000)
    close: bool = False


class Clock(BaseModel):
    clock: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    state: Literal["running", "overdue", "met", "met_late"]
    hours_left: float | None


class CheckIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"system": "PNC", "searched_for": "David SMITH b. 1984, Sunderland", "result": "no_trace"}]
        }
    )

    system: Literal[SYSTEMS]  # type: ignore[valid-type]
    searched_for: str = Field(min_length=1, max_length=500)
    result: Literal["trace", "no_trace"]
    details: str | None = Field(None, max_length=4000)
    checked_at: dt.datetime | None = Field(None, description="when the check was made (default now)")


class CheckOut(CheckIn):
    id: int
    case_id: int
    checked_by: str
    checked_at: dt.datetime


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "disclose",
                    "forum": "DVDS decision forum 2024-06-20",
                    "rationale": "Pressing need: two previous partners assaulted; lawful, necessary, proportionate.",
                    "disclosed_info": "He has convictions for violence against two previous partners (2019, 2022).",
                    "disclosed_to": "Jane Doe (person at risk), in person, with safety plan",
                }
            ]
        }
    )

    decision: Literal["disclose", "no_disclosure"]
    rationale: str = Field(min_length=1, max_length=4000)
    forum: str | None = Field(None, max_length=500)
    disclosed_info: str | None = Field(None, max_length=4000, description="the exact words disclosed")
    disclosed_to: str | None = Field(None, max_length=200)
    disclosed_at: dt.datetime | None = None


class DecisionOut(DecisionIn):
    id: int
    case_id: int
    decided_by: str
    decided_at: dt.datetime
    disclosed_by: str | None


class CaseOut(BaseModel):
    id: int
    case_ref: str
    route: str
    force_code: str
    force: str | None
    reference: str | None
    status: str
    applicant: dict | None
    person_at_risk: dict
    subject: dict
    relationship: str
    subject_person_id: str | None
    opened_at: dt.datetime
    opened_by: str
    initial_contact_at: dt.datetime | None
    meeting_at: dt.datetime | None
    closed_at: dt.datetime | None
    exceptional_circumstances: str | None
    clocks: list[Clock]
    checks: list[CheckOut] | None = None
    decisions: list[DecisionOut] | None = None


def _case_out(c: Case, full: bool = False, checks: list | None = None, decisions: list | None = None) -> dict:
    out = {
        k: getattr(c, k)
        for k in (
            "id",
            "route",
            "force_code",
            "reference",
            "status",
            "applicant",
            "person_at_risk",
            "subject",
            "relationship",
            "subject_person_id",
            "opened_at",
            "opened_by",
            "initial_contact_at",
            "meeting_at",
            "closed_at",
            "exceptional_circumstances",
        )
    }
    out["case_ref"] = f"DVDS-{c.id}"
    out["force"] = force_name(c.force_code)
    out["applicant"] = c.applicant or None
    out["clocks"] = case_clocks(c.opened_at, c.initial_contact_at, c.meeting_at, c.closed_at)
    if full:
        out["checks"] = [_check_out(x) for x in checks or []]
        out["decisions"] = [_decision_out(x) for x in decisions or []]
    return out


def _check_out(x: CaseCheck) -> dict:
    return {
        k: getattr(x, k)
        for k in ("id", "case_id", "system", "searched_for", "result", "details", "checked_by", "checked_at")
    }


def _decision_out(x: CaseDecision) -> dict:
    return {
        k: getattr(x, k)
        for k in (
            "id",
            "case_id",
            "decision",
            "rationale",
            "forum",
            "disclosed_info",
            "disclosed_to",
            "disclosed_by",
            "disclosed_at",
            "decided_by",
            "decided_at",
        )
    }


def _scope(audit: AuditContext) -> Scope:
    assert audit.principal is not None
    return audit.principal.scope


def _load_case(session: Any, audit: AuditContext, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise ProblemError(404, "no such case", "not-found")
    if not _scope(audit).sees(case.force_code):
        raise ProblemError(403, f"case held by {force_name(case.force_code)}", "forbidden-force")
    return case


def _case_people(case: Case) -> list[str]:
    return [p for p in (case.subject_person_id, (case.person_at_risk or {}).get("person_id")) if p]


def _handling_force(audit: AuditContext, force: str | None) -> str:
    from reference.forces import lookup_force

    scope = _scope(audit)
    if force:
        found = lookup_force(force)
        if found is None:
            raise ProblemError(400, "unknown force", "bad-parameter")
        if not scope.sees(found.code):
            raise ProblemError(403, "cases may be opened only for your account's forces", "forbidden-force")
        return found.code
    if len(scope.forces) == 1:
        return next(iter(scope.forces))
    raise ProblemError(400, "name the handling force", "bad-parameter")


# -- cases ------------------------------------------------------------------------------------------


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseOut,
    summary="Open a right-to-ask or right-to-know case (starts the clocks)",
)
def open_case(
    request: Request, body: CaseIn, audit: Annotated[AuditContext, Depends(Audited(Operation.collection))]
) -> dict:
    if body.route == "ask" and body.applicant is None:
        raise ProblemError(400, "a right-to-ask case needs the applicant", "bad-parameter")
    code = _handling_force(audit, body.force)
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
        out = _case_out(case)
    audit.returned(_case_people(case), 1)
    return out


@router.get("/cases", response_model=Page[CaseOut], summary="Cases of the account's forces, newest first")
def list_cases(
    request: Request,
    audit: Consult,
    paging: Paging,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
) -> dict:
    scope = _scope(audit)
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
        items = [_case_out(c) for c in found]
    audit.returned([p for c in found for p in _case_people(c)], len(items))
    return paginate(items, paging, request, total)


@router.get(
    "/cases/{case_id}",
    response_model=CaseOut,
    responses=problem_responses(404),
    summary="One case with its clocks, checks and decisions",
)
def get_case(request: Request, case_id: CaseId, audit: Consult) -> dict:
    with app_state(request).sessions() as session:
        case = _load_case(session, audit, case_id)
        checks = session.execute(select(CaseCheck).where(CaseCheck.case_id == case_id).order_by(CaseCheck.id)).scalars()
        decisions = session.execute(
            select(CaseDecision).where(CaseDecision.case_id == case_id).order_by(CaseDecision.id)
        ).scalars()
        out = _case_out(case, True, list(checks), list(decisions))
    audit.returned(_case_people(case), 1)
    return out


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
    audit: Annotated[AuditContext, Depends(Audited(Operation.alteration))],
) -> dict:
    now = utcnow()
    with app_state(request).sessions.begin() as session:
        case = _load_case(session, audit, case_id)
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
        out = _case_out(case)
    audit.returned(_case_people(case), 1)
    return out


class SubjectChoice(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)


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
    audit: Annotated[AuditContext, Depends(Audited(Operation.combination))],
) -> dict:
    g = graph(request)
    if body.person_id not in graphq.people(g, [body.person_id]):
        raise ProblemError(404, "no such person", "not-found")
    with app_state(request).sessions.begin() as session:
        case = _load_case(session, audit, case_id)
        if case.status == "closed":
            raise ProblemError(409, "the case is closed", "case-closed")
        case.subject_person_id = body.person_id
        out = _case_out(case)
    audit.returned(_case_people(case), 1)
    return out


# -- candidate search -------------------------------------------------------------------------------


class Candidate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rank": 1,
                    "person_id": "P000123",
                    "name": "David John HALL",
                    "dob": "1984-03-12",
                    "record_key": "Northumbria/NOR00018472",
                    "probability": 0.97,
                    "match_weight": 5.1,
                    "match_key": "+NAME~ +AGE +PLACE",
                    "fields": [{"comparison": "forename", "level": "nickname", "weight": 4.6}],
                    "held_by": [{"force_code": "E23000007", "force": "Northumbria Police"}],
                    "restricted": False,
                },
                {
                    "rank": 2,
                    "restricted": True,
                    "probability": 0.41,
                    "match_key": "+NAME -AGE",
                    "held_by": [{"force_code": "E23000008", "force": "Durham Constabulary"}],
                },
            ]
        }
    )

    rank: int
    restricted: bool = False
    person_id: str | None = None
    name: str | None = None
    dob: str | None = None
    record_key: str | None = None
    probability: float
    match_weight: float | None = None
    match_key: str | None = None
    fields: list[dict[str, Any]] = Field(default_factory=list, description="evidence for and against, per field")
    held_by: list[dict[str, Any]] = Field(default_factory=list)


class CandidatePage(Page[Candidate]):
    searched_for: dict[str, Any]
    note: str = "Candidates are assessments: the officer decides who the subject is (POST …/subject)."


@router.get(
    "/cases/{case_id}/candidates",
    response_model=CandidatePage,
    responses=problem_responses(404, 429),
    dependencies=[Depends(RateLimited("search"))],
    summary="Search candidate identities for the subject, ranked, with confidence and why",
)
async def candidates(
    request: Request,
    case_id: CaseId,
    audit: Consult,
    paging: SearchPaging,
    name: Annotated[str | None, Query(min_length=2, max_length=100, description="default: as the case says")] = None,
    dob: Annotated[dt.date | None, Query()] = None,
    age: Annotated[int | None, Query(ge=16, le=110)] = None,
    place: Annotated[str | None, Query(max_length=100, description="town, postcode or district")] = None,
) -> dict:
    """Linkage's single-record search over every person record. The search is itself a check
    (system DOTS) and is recorded on the case, with "no trace" when nothing is found.

    This runs on every search, so it runs on the event loop: the state store and the graph are
    read on a worker thread only when what the answer needs is not already in memory, and the
    ranking waits on a ranker process (``api.ranker``)."""
    state = app_state(request)
    case = state.cases.get(case_id)
    if case is None:
        case = await run_in_threadpool(_read_case, state, case_id)
    if not _scope(audit).sees(case.force_code):
        raise ProblemError(403, f"case held by {force_name(case.force_code)}", "forbidden-force")
    given = {"name": name, "dob": dob, "age": age, "place": place}
    if any(v is not None for v in given.values()):
        query = given  # the officer's own search: only what was typed
    else:
        subject = case.subject or {}
        query = {
            "name": subject.get("name"),
            "dob": _date(subject.get("dob")),
            "age": subject.get("age"),
            "place": subject.get("place"),
        }
    if not query["name"]:
        raise ProblemError(400, "give the subject's name", "bad-parameter")
    try:
        found = await _search(state, query, paging.offset + paging.limit)
    except FileNotFoundError as exc:
        raise ProblemError(503, "no resolution output yet: run resolution first", "not-resolved") from exc
    ids = [c["person_id"] for c in found]
    facts = _facts_in_memory(state, case, ids)
    if facts is None:
        facts = await run_in_threadpool(_facts_from_graph, state, case, ids)
    return _answer(request, audit, case, case_id, query, found, paging, *facts)


def _read_case(state: Any, case_id: int) -> Any:
    """What a search needs of its case (one Core select), kept in ``state.cases`` until it changes."""
    seen = version("cases")
    t = Case.__table__
    with state.sessions() as session:
        case = session.execute(
            select(t.c.force_code, t.c.subject, t.c.subject_person_id, t.c.person_at_risk).where(t.c.id == case_id)
        ).first()
    if case is None:
        raise ProblemError(404, "no such case", "not-found")
    state.cases.put(case_id, case, seen)
    return case


# (people to withhold, forces holding each candidate, leak guard)
Facts = tuple[set[str], dict[str, frozenset[str | None]], LeakGuard]


def _facts_from_graph(state: Any, case: Any, ids: list[str]) -> Facts:
    g = state.graph()
    withheld = set(graphq.victims_of(g, case.subject_person_id)) if case.subject_person_id else set()
    return withheld, person_forces(state.cache, g, ids), LeakGuard.for_subject(g, case.subject_person_id)


def _facts_in_memory(state: Any, case: Any, ids: list[str]) -> Facts | None:
    """The same facts when no graph read is needed: no subject chosen yet (whose victims would be
    read), the confidential addresses recently read, every candidate's forces cached."""
    g = state.graph_if_open()
    guard = LeakGuard.confidential_only(g) if g is not None and not case.subject_person_id else None
    if guard is None:
        return None
    forces = {}
    for pid in dict.fromkeys(ids):
        held = _forces_cached(state.cache, pid)
        if held is None:
            return None
        forces[pid] = held
    return set(), forces, guard


def _answer(
    request: Request,
    audit: AuditContext,
    case: Any,
    case_id: int,
    query: dict[str, Any],
    found: list[dict],
    paging: PageParams,
    withheld: set[str],
    pf: dict[str, frozenset[str | None]],
    guard: LeakGuard,
) -> dict:
    """The ranked candidates as this officer may see them, and the check recorded on the case."""
    scope = _scope(audit)
    at_risk = (case.person_at_risk or {}).get("person_id")
    withheld = withheld - {case.subject_person_id}
    if at_risk:
        withheld.add(at_risk)
    shown = [c for c in found if c["person_id"] not in withheld]
    if len(shown) < len(found):  # for the auditor only: the officer must not learn who was withheld
        audit.detail = f"{len(found) - len(shown)} candidate(s) withheld: the subject's victims or partners"
    items = []
    for i, c in enumerate(shown, start=1):
        base = {
            "rank": i,
            "probability": round(float(c["probability"]), 4),
            "match_key": c.get("match_key"),
            "held_by": held_by(pf.get(c["person_id"], set())),
        }
        if visible_person(scope, pf.get(c["person_id"])):
            items.append(
                {
                    **base,
                    "person_id": c["person_id"],
                    "name": c.get("preferred_name"),
                    "dob": c.get("dob"),
                    "record_key": c.get("record_key"),
                    "match_weight": c.get("match_weight"),
                    "fields": c.get("fields", []),
                    "restricted": False,
                }
            )
        else:
            items.append({**base, "restricted": True})
    out = paginate(items, paging, request)
    out["items"] = guard.scrub(out["items"])
    searched = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in query.items() if v is not None}
    assert audit.principal is not None
    audit.record(  # committed with the request's audit record, before the answer leaves
        CaseCheck.__table__,
        case_id=case_id,
        system="DOTS",
        searched_for=_describe(searched),
        result="trace" if items else "no_trace",
        details=f"{len(items)} candidate(s); best p={items[0]['probability']}" if items else None,
        checked_by=audit.principal.name,
        checked_at=utcnow(),
    )
    audit.returned([c["person_id"] for c in out["items"] if c.get("person_id")], len(out["items"]))
    return {**out, "searched_for": searched}


async def _search(state: Any, query: dict[str, Any], limit: int) -> list[dict]:
    """Linkage's ranked candidates for a query (``api.ranker``), kept while the resolution output
    (the search index) and the day (ages count from today) stay the same: the same search asked
    again, by this officer or another, is answered without ranking again. Scoping, withholding and
    the leak guard still run on every request."""
    stamp = current_stamp(state.settings.data_dir)
    key = ("search", stamp, dt.date.today(), query["name"], query["dob"], query["age"], query["place"], limit)
    kept = state.searches.peek(key)
    if kept is not None:
        return pickle.loads(kept)  # noqa: S301 - made below, in this process
    state.searches.missed()
    generation = state.searches.generation
    used, found = await state.ranker.search(query["name"], query["dob"], query["age"], query["place"], limit, stamp)
    if used == stamp:  # never kept under a newer stamp than the outputs ranked
        # kept as one flat object: thousands of kept searches as dicts and lists would be millions
        # of objects for every full garbage collection to walk (about 120 per answer; see benchmarks/api.md)
        state.searches.fill(generation, {key: pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)})
    return found


def person_forces(cache: GraphCache, g: Any, ids: list[str]) -> dict[str, frozenset[str | None]]:
    """Forces holding each person's records (None: a court record, as ``graphq.person_forces``
    says), kept per graph load: from the person's cached profile when there is one, else read."""

    def read(missing: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        unknown = []
        for pid in missing:
            facts = cache.peek(("profile", pid))
            if facts is None:
                unknown.append(pid)
            else:
                out[pid] = _forces_of(facts)
        if unknown:
            out.update({pid: frozenset(f) for pid, f in graphq.person_forces(g, unknown).items()})
        return out

    return cache.many("forces", ids, read, frozenset())


def _forces_of(facts: dict[str, Any]) -> frozenset[str | None]:
    forces: set[str | None] = {r["force"] for r in facts["records"] if r["force"]}
    if any(r["source_system"] == "court" for r in facts["records"]):
        forces.add(None)
    return frozenset(forces)


def _forces_cached(cache: GraphCache, pid: str) -> frozenset[str | None] | None:
    """``person_forces`` of one person when it needs no graph read, else None."""
    held = cache.peek(("forces", pid))
    if held is not None:
        return held
    facts = cache.peek(("profile", pid))
    return None if facts is None else _forces_of(facts)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _describe(query: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in query.items())[:500]


# -- the subject's history --------------------------------------------------------------------------


class History(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": 12,
                    "as_of": "2024-06-30",
                    "subject": {
                        "person_id": "P000123",
                        "name": "David Smith",
                        "dob": "1984-03-12",
                        "sex": "M",
                    },
                    "history": [
                        {
                            "event_id": "E23000007/NO/0003714/19",
                            "occurred_on": "2019-04-05",
                            "force_code": "E23000007",
                            "force": "Northumbria Police",
                            "ho_code": "8/1",
                            "offence": "Assault occasioning ABH",
                            "offence_group": "violence_with_injury",
                            "is_crime": True,
                            "outcome": None,
                            "provenance": [
                                {
                                    "record_key": "Northumbria/NOR00018472",
                                    "source_system": "E23000007",
                                    "force_code": "E23000007",
                                    "source_file": "northumbria-rms.csv",
                                    "source_line": 17,
                                }
                            ],
                        }
                    ],
                    "orders": [],
                    "previous_partners": 2,
                    "victims": 2,
                    "addresses": [],
                    "elsewhere": [],
                    "note": NOTE,
                }
            ]
        }
    )

    case_id: int
    as_of: dt.date
    subject: dict[str, Any] | None
    restricted: bool = False
    held_by: list[dict[str, Any]] = Field(default_factory=list)
    history: list[dict[str, Any]] = Field(default_factory=list)
    orders: list[dict[str, Any]] = Field(default_factory=list)
    previous_partners: int | None = None
    victims: int | None = None
    addresses: list[dict[str, Any]] = Field(default_factory=list)
    elsewhere: list[ForceCount] = Field(default_factory=list)
    note: str = NOTE


@router.get(
    "/cases/{case_id}/history",
    response_model=History,
    responses=problem_responses(404, 409),
    summary="The chosen subject's disclosable history, each fact with its source records",
)
def history(
    request: Request,
    case_id: CaseId,
    audit: Consult,
    as_of: Annotated[dt.date | None, Query(description="default today")] = None,
) -> dict:
    from graph.queries import disclosure_view

    with app_state(request).sessions() as session:
        case = _load_case(session, audit, case_id)
    if not case.subject_person_id:
        raise ProblemError(409, "choose the subject first (POST …/subject)", "no-subject")
    g = graph(request)
    scope = _scope(audit)
    pid = case.subject_person_id
    day = as_of or dt.date.today()
    pf = graphq.person_forces(g, [pid])
    audit.returned([pid], 1)
    if not visible_person(scope, pf.get(pid)):
        audit.outcome = "restricted"
        return {
            "case_id": case_id,
            "as_of": day,
            "subject": {"person_id": pid},
            "restricted": True,
            "held_by": held_by(pf.get(pid, set())),
        }
    view = disclosure_view(g, pid, day)
    events = rows(view["history"])
    shown = [e for e in events if scope.sees(e.get("force"))]
    hidden = [[e.get("force")] for e in events if not scope.sees(e.get("force"))]
    prov = graphq.provenance(g, [k for e in shown for k in split(e.get("subject_records"))])
    hist = [
        {
            "event_id": e["event_id"],
            "occurred_on": e.get("occurred_on"),
            "force_code": e.get("force"),
            "force": force_name(e.get("force")),
            "ho_code": e.get("ho_code"),
            "offence": e.get("offence"),
            "offence_group": e.get("offence_group"),
            "is_crime": e.get("is_crime"),
            "outcome": e.get("outcome"),
            "event_record_keys": split(e.get("event_record_keys")),
            "provenance": [prov[k] for k in split(e.get("subject_records")) if k in prov],
        }
        for e in shown
    ]
    orders = []
    for o in rows(view["orders"]):
        breach_events, _ = [b for b in split(o.get("breach_event_ids"))], None
        forces = graphq.event_forces(g, breach_events) if breach_events and not scope.national else {}
        orders.append(
            {
                **{
                    k: o.get(k)
                    for k in (
                        "order_id",
                        "order_type",
                        "court",
                        "issued_by",
                        "made_on",
                        "expires_on",
                        "until_further_order",
                        "power_of_arrest",
                        "conditions",
                        "active",
                        "breaches",
                    )
                },
                "breach_event_ids": [b for b in breach_events if scope.national or scope.sees(forces.get(b))],
                "record_keys": split(o.get("record_keys")),
            }
        )
    addresses = [
        {k: a.get(k) for k in ("address", "postcode", "first_seen", "last_seen")} for a in rows(view["addresses"])
    ]
    subject = view["subject"] or {"person_id": pid}
    out = {
        "case_id": case_id,
        "as_of": day,
        "subject": subject,
        "history": hist,
        "orders": orders,
        "previous_partners": view["previous_partners"],
        "victims": view["victims"],
        "addresses": addresses,
        "elsewhere": _elsewhere(hidden),
    }
    guard = LeakGuard.for_subject(g, pid)
    out = guard.scrub(out)
    if guard.hits:
        audit.detail = f"leak guard withheld {guard.hits} value(s)"
    return out


def _elsewhere(hidden: list[list[str | None]]) -> list[dict]:
    from api.policy.frames import elsewhere

    return elsewhere(hidden)


# -- checks and decisions ---------------------------------------------------------------------------


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
    audit: Annotated[AuditContext, Depends(Audited(Operation.alteration))],
) -> dict:
    assert audit.principal is not None
    with app_state(request).sessions.begin() as session:
        case = _load_case(session, audit, case_id)
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
        out = _check_out(check)
    audit.returned(_case_people(case), 1)
    return out


@router.get(
    "/cases/{case_id}/checks",
    response_model=Page[CheckOut],
    responses=problem_responses(404),
    summary="The checks recorded on a case",
)
def list_checks(request: Request, case_id: CaseId, audit: Consult, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        case = _load_case(session, audit, case_id)
        q = select(CaseCheck).where(CaseCheck.case_id == case_id)
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        items = [
            _check_out(x)
            for x in session.execute(q.order_by(CaseCheck.id).offset(paging.offset).limit(paging.limit)).scalars()
        ]
    audit.returned(_case_people(case), len(items))
    return paginate(items, paging, request, total)


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
    audit: Annotated[AuditContext, Depends(Audited(Operation.disclosure))],
) -> dict:
    assert audit.principal is not None
    if body.decision == "disclose" and not (body.disclosed_info and body.disclosed_to):
        raise ProblemError(400, "a disclosure records the exact information disclosed and to whom", "bad-parameter")
    with app_state(request).sessions() as session:
        case = _load_case(session, audit, case_id)
    if case.status == "closed":
        raise ProblemError(409, "the case is closed", "case-closed")
    if body.decision == "disclose" and case.subject_person_id:
        guard = LeakGuard.for_subject(graph(request), case.subject_person_id)
        if guard.mentions(body.disclosed_info) or guard.mentions(body.disclosed_to):
            raise ProblemError(
                400,
                "the disclosed text names a previous victim or a confidential address: remove it",
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
        out = _decision_out(decision)
    audit.recipients = body.disclosed_to if body.decision == "disclose" else None
    audit.detail = f"decision: {body.decision}"
    audit.returned(_case_people(case), 1)
    return out


# -- clocks and right to know -----------------------------------------------------------------------


@router.get("/overdue", response_model=Page[CaseOut], summary="Open cases with a clock past its target")
def overdue(request: Request, audit: Consult, paging: Paging) -> dict:
    scope = _scope(audit)
    q = select(Case).where(Case.status == "open")
    if not scope.national:
        q = q.where(Case.force_code.in_(sorted(scope.forces) or [""]))
    with app_state(request).sessions() as session:
        found = [c for c in session.execute(q.order_by(Case.opened_at, Case.id)).scalars()]
    late = [_case_out(c) for c in found]
    late = [c for c in late if any(k["state"] == "overdue" for k in c["clocks"])]
    out = paginate(late, paging, request)
    audit.returned(
        [p for c in out["items"] for p in (c["subject_person_id"], (c["person_at_risk"] or {}).get("person_id")) if p],
        len(out["items"]),
    )
    return out


class RtkCandidate(BaseModel):
    candidate_id: str = Field(description="the person who may be at risk")
    candidate_name: str | None
    perpetrator_id: str
    perpetrator_name: str | None
    basis: list[str] = Field(description="recent_event_as_partner, protected_by_new_order, shared_address")
    evidence: list[str] = Field(description="event, order or address ids behind the basis")
    serial: bool
    high_harm: bool
    partners_harmed: int
    harm: float


@router.get(
    "/right-to-know",
    response_model=Page[RtkCandidate],
    summary="People who may be at risk from a serial or high-harm perpetrator: for an officer to review",
)
def right_to_know(
    request: Request,
    audit: Consult,
    paging: Paging,
    as_of: Annotated[dt.date | None, Query()] = None,
    recent_days: Annotated[int, Query(ge=1, le=3650)] = 365,
) -> dict:
    from graph.queries import right_to_know_candidates

    g = graph(request)
    scope = _scope(audit)
    found = rows(right_to_know_candidates(g, as_of or dt.date.today(), recent_days=recent_days))
    ids = {r["candidate_id"] for r in found} | {r["perpetrator_id"] for r in found}
    pf = graphq.person_forces(g, ids) if not scope.national else {}
    shown = [
        r
        for r in found
        if scope.national
        or (visible_person(scope, pf.get(r["candidate_id"])) and visible_person(scope, pf.get(r["perpetrator_id"])))
    ]
    out = paginate(shown, paging, request)
    names = graphq.people(g, [r[k] for r in out["items"] for k in ("candidate_id", "perpetrator_id")])
    items = [
        {
            "candidate_id": r["candidate_id"],
            "candidate_name": names.get(r["candidate_id"], {}).get("name"),
            "perpetrator_id": r["perpetrator_id"],
            "perpetrator_name": names.get(r["perpetrator_id"], {}).get("name"),
            "basis": split(r["basis"]),
            "evidence": split(r["evidence"]),
            "serial": bool(r["serial"]),
            "high_harm": bool(r["high_harm"]),
            "partners_harmed": int(r["partners_harmed"]),
            "harm": float(r["harm"]),
        }
        for r in out["items"]
    ]
    audit.returned([r[k] for r in items for k in ("candidate_id", "perpetrator_id")], len(items))
    return {**out, "items": items}
