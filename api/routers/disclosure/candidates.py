"""Candidate identities for a case's subject: linkage's single-record search, ranked, with
confidence and per-field evidence. Once the case has a subject, that subject's victims, protected
people and partners are never returned; every answer passes the case's leak guard; every search
is recorded on the case as a check (system DOTS), in the same transaction as its audit record."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.deps import (
    AuditContext,
    Consult,
    Day,
    PageParams,
    RateLimited,
    SearchPaging,
    app_state,
    linkage_outputs,
    paginate,
)
from api.performance.changes import version
from api.performance.graphcache import GraphCache
from api.policy.leakguard import LeakGuard
from api.problems import ProblemError, problem_responses
from api.routers.disclosure.common import CaseId, case_guard, router, scope_of
from api.routers.disclosure.models import CandidatePage
from api.store import graphq
from api.store.db import Case, CaseCheck, utcnow
from api.views.search import candidate_items, confidential_ids, placed
from reference.forces import force_name


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
    dob: Annotated[Day | None, Query()] = None,
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
    if not scope_of(audit).sees(case.force_code):
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
        # scoping and the guard run below, every time
        found = await placed(
            state, query, paging.offset + paging.limit, confidential_ids(linkage_outputs(request)), scope_of(audit)
        )
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
    return withheld, person_forces(state.cache, g, ids), case_guard(g, case, state.cache.generation)


def _facts_in_memory(state: Any, case: Any, ids: list[str]) -> Facts | None:
    """The same facts when no graph read is needed: no subject chosen yet (whose victims would be
    read), the confidential addresses recently read, every candidate's forces cached. Only while
    the graph cache is on: this process then holds the graph alone (embedded), so its own load
    count tells whether the graph changed; over a shared graph the load stamp must be read."""
    g = state.graph_if_open()
    guard = None
    if g is not None and not case.subject_person_id and state.cache.enabled:
        guard = LeakGuard.confidential_only(g, state.cache.generation)
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
    scope = scope_of(audit)
    at_risk = (case.person_at_risk or {}).get("person_id")
    withheld = withheld - {case.subject_person_id}
    if at_risk:
        withheld.add(at_risk)
    shown = [c for c in found if c["person_id"] not in withheld]
    if len(shown) < len(found):  # for the auditor only: the officer must not learn who was withheld
        audit.detail = f"{len(found) - len(shown)} candidate(s) withheld: the subject's victims or partners"
    items = candidate_items(shown, scope, pf)
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
