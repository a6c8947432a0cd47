"""DA problem-solving teams: the weekly target list per force (Recency, Frequency, Gravity,
Victims, each part returned), movement since last week, lists as issued, CSV and XLSX export.

A list names perpetrators only: victims appear as counts, never as ids, names or addresses. It
is decision support; the tasking meeting decides, and the list it was shown is kept as issued.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.deps import (
    AuditContext,
    Consult,
    Day,
    Disclose,
    ExportFormat,
    Paging,
    app_state,
    graph,
    paginate,
    require_roles,
)
from api.downloads import LIST_FILE, table_response
from api.models import SAFEGUARDING, Page, Profile, SafeguardingPage
from api.policy.frames import rows, split
from api.policy.roles import Role
from api.problems import ProblemError, problem_responses
from api.routing import AuditedRoute
from api.store import graphq
from api.store.db import TargetList, utcnow
from api.views.person import person_view, suspect_of, target_view
from api.views.safeguarding import people_in, safeguarding_rows, safeguarding_table
from exports.tables import Table
from reference.forces import force_name, lookup_force

router = APIRouter(
    prefix="/targets",
    tags=["targets"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.da_team))],
    responses=problem_responses(400, 401, 403, 404, 503),
)

ForceParam = Annotated[
    str,
    Path(
        min_length=1,
        max_length=60,
        description="force name or ONS code",
        examples=["Northumbria", "E23000007"],
    ),
]
AsOf = Annotated[Day | None, Query(description="list as of this day (default today)")]
EXPORT_COLUMNS = [
    "rank",
    "person_id",
    "name",
    "dob",
    "score",
    "recency",
    "frequency",
    "gravity",
    "victims",
    "recency_days",
    "events",
    "recency_part",
    "frequency_part",
    "gravity_part",
    "victims_part",
    "serial",
    "active_orders",
    "recent_breaches",
    "active_bail",
    "open_rui",
    "notices",
    "last_event_on",
    "event_ids",
]
NOTES = {
    "score": "Recency, Frequency, Gravity and Victims parts added: an assessment; the tasking meeting decides",
    "victims": "distinct victims in the window, a count only: a target list never names a victim",
}


class Target(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rank": 1,
                    "person_id": "P000123",
                    "name": "David Hall",
                    "dob": "1984-03-12",
                    "score": 3.75,
                    "recency": 4,
                    "frequency": 6,
                    "gravity": 740.0,
                    "victims": 2,
                    "recency_days": 12,
                    "events": 6,
                    "recency_part": 1.0,
                    "frequency_part": 0.95,
                    "gravity_part": 0.9,
                    "victims_part": 0.9,
                    "serial": True,
                    "active_orders": 1,
                    "recent_breaches": 0,
                    "last_event_on": "2024-06-18",
                    "event_ids": ["E23000007/NO/0003714/19"],
                    "record_keys": ["Northumbria/NOR00018472"],
                }
            ]
        }
    )

    rank: int
    person_id: str
    name: str | None = None
    dob: dt.date | None = None
    score: float
    recency: int = Field(description="R points from days since the last event")
    frequency: int = Field(description="F: DA events as suspect in the window (capped)")
    gravity: float = Field(description="G: summed crime harm days")
    victims: int = Field(description="V: distinct victims in the window (count only)")
    recency_days: int
    events: int
    recency_part: float
    frequency_part: float
    gravity_part: float
    victims_part: float
    serial: bool
    active_orders: int
    recent_breaches: int
    active_bail: int = Field(0, description="bail periods with conditions running on the day")
    open_rui: int = Field(0, description="investigations with the suspect released under investigation")
    notices: int = Field(0, description="DVPNs/DAPNs served on the person in the window")
    last_event_on: dt.date | None = None
    event_ids: list[str]
    record_keys: list[str]


class TargetPage(Page[Target]):
    force_code: str
    force: str | None
    as_of: dt.date


class Movement(BaseModel):
    person_id: str
    name: str | None = None
    rank_now: int | None
    rank_before: int | None
    score_now: float | None
    score_before: float | None
    movement: str = Field(description="new, up, down, same or left")
    rank_change: int | None = Field(description="positive = moved up")


class MovementPage(Page[Movement]):
    force_code: str
    as_of: dt.date
    previous_as_of: dt.date


class IssuedList(BaseModel):
    id: int
    force_code: str
    as_of: str
    issued_by: str
    issued_at: dt.datetime
    size: int
    rows: list[Target] | None = None


def _force(audit: AuditContext, force: str) -> str:
    """The ONS code of a force the caller may see (403 for another force's list)."""
    found = lookup_force(force)
    if found is None:
        raise ProblemError(404, "unknown force", "not-found")
    assert audit.principal is not None
    if not audit.principal.scope.sees(found.code):
        raise ProblemError(403, f"the list of {found.name} is not within your account's forces", "forbidden-force")
    return found.code


def _targets(request: Request, code: str, as_of: dt.date, limit: int | None = None) -> list[dict]:
    from graph.queries import targets

    g = graph(request)
    try:
        found = rows(targets(g, code, as_of, limit=limit))
    except ValueError:  # the graph holds nothing from this force yet
        found = []
    info = graphq.people(g, [r["person_id"] for r in found])
    out = []
    for r in found:
        person = info.get(r["person_id"], {})
        out.append(
            {
                **{k: r.get(k) for k in Target.model_fields if k in r},
                "name": person.get("name"),
                "dob": person.get("dob"),
                "event_ids": split(r.get("event_ids")),
                "record_keys": split(r.get("record_keys")),
            }
        )
    return out


@router.get("/{force}", response_model=TargetPage, summary="This week's target list for a force, with each part")
def current(request: Request, force: ForceParam, audit: Consult, paging: Paging, as_of: AsOf = None) -> dict:
    code = _force(audit, force)
    day = as_of or dt.date.today()
    found = _targets(request, code, day)
    out = paginate(found, paging, request)
    audit.returned([r["person_id"] for r in out["items"]], len(out["items"]))
    return {**out, "force_code": code, "force": force_name(code), "as_of": day}


@router.get(
    "/{force}/movement",
    response_model=MovementPage,
    summary="Movement since last week: new entrants, risers, fallers, leavers",
)
def movement(
    request: Request,
    force: ForceParam,
    audit: Consult,
    paging: Paging,
    as_of: AsOf = None,
    previous_as_of: Annotated[Day | None, Query(description="default: 7 days before as_of")] = None,
) -> dict:
    from graph.queries import target_movement

    code = _force(audit, force)
    day = as_of or dt.date.today()
    before = previous_as_of or day - dt.timedelta(days=7)
    g = graph(request)
    try:
        found = rows(target_movement(g, code, day, previous_as_of=before))
    except ValueError:  # the graph holds nothing from this force yet (a fresh data directory)
        found = []
    out = paginate(found, paging, request)
    info = graphq.people(g, [r["person_id"] for r in out["items"]])
    items = [
        {
            "person_id": r["person_id"],
            "name": info.get(r["person_id"], {}).get("name"),
            "rank_now": _int(r.get("rank_now")),
            "rank_before": _int(r.get("rank_before")),
            "score_now": r.get("score_now"),
            "score_before": r.get("score_before"),
            "movement": r["movement"],
            "rank_change": _int(r.get("rank_change")),
        }
        for r in out["items"]
    ]
    audit.returned([r["person_id"] for r in items], len(items))
    return {**out, "items": items, "force_code": code, "as_of": day, "previous_as_of": before}


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


@router.get(
    "/{force}/persons/{person_id}",
    response_model=Profile,
    summary="A person on the list: their records, events, orders and addresses; the people around them as counts",
)
def person(
    request: Request,
    force: ForceParam,
    audit: Consult,
    person_id: Annotated[str, Path(min_length=1, max_length=64, description="resolved person id")],
) -> dict:
    code = _force(audit, force)
    assert audit.principal is not None
    view = person_view(graph(request), audit.principal.scope, person_id, app_state(request).cache,
                       confidential_text=False)
    if view is None:
        raise ProblemError(404, "no such person", "not-found")
    if view["restricted"]:
        audit.outcome = "restricted"
    elif not suspect_of(view, code):  # the same answer as no such person: a victim is not looked up here
        raise ProblemError(404, "no such person", "not-found")
    audit.returned([person_id], 1)
    return target_view(view)


def _safeguarding_route(name: str) -> None:
    """``GET /targets/{force}/safeguarding/{name}`` (one list, scoped to the force, audited) and
    ``.../export.{csv,xlsx}`` (the whole list as a file, audited as an export)."""

    def found(request: Request, force: ForceParam, audit: AuditContext, as_of: dt.date | None) -> tuple:
        code = _force(audit, force)
        day = as_of or dt.date.today()
        assert audit.principal is not None
        return code, day, safeguarding_rows(graph(request), audit.principal.scope, name, day, force_code=code)

    def route(request: Request, force: ForceParam, audit: Consult, paging: Paging, as_of: AsOf = None) -> dict:
        code, day, items = found(request, force, audit, as_of)
        out = paginate(items, paging, request)
        audit.returned(people_in(out["items"]), len(out["items"]))
        return {**out, "name": name, "as_of": day, "force_code": code}

    def export(request: Request, force: ForceParam, fmt: ExportFormat, audit: Consult, as_of: AsOf = None) -> Response:
        code, day, items = found(request, force, audit, as_of)
        what = f"{SAFEGUARDING[name]}, {force_name(code)}"
        return table_response(audit, fmt, safeguarding_table(name, items), f"safeguarding-{name}-{code}-{day}",
                              what, people_in(items), as_of=day)

    router.add_api_route(f"/{{force}}/safeguarding/{name}", route, methods=["GET"], name=f"safeguarding_{name}",
                         response_model=SafeguardingPage, summary=SAFEGUARDING[name])
    router.add_api_route(f"/{{force}}/safeguarding/{name}/export.{{fmt}}", export, methods=["GET"],
                         name=f"safeguarding_{name}_export", response_class=Response, responses=LIST_FILE,
                         summary=f"{SAFEGUARDING[name]}: the whole list as CSV or XLSX")


for _name in SAFEGUARDING:
    _safeguarding_route(_name)


# -- export -----------------------------------------------------------------------------------------


@router.get(
    "/{force}/export.{fmt}",
    response_class=Response,
    responses=LIST_FILE,
    summary="Export the list as CSV or XLSX",
)
def export(request: Request, force: ForceParam, fmt: ExportFormat, audit: Consult, as_of: AsOf = None) -> Response:
    code = _force(audit, force)
    day = as_of or dt.date.today()
    found = _targets(request, code, day)
    table = Table("targets", EXPORT_COLUMNS, found, NOTES)
    what = f"Weekly target list, {force_name(code)}"
    return table_response(
        audit, fmt, table, f"targets-{code}-{day.isoformat()}", what, [r["person_id"] for r in found],
        force=f"{force_name(code)} ({code})", as_of=day,
    )


# -- lists as issued --------------------------------------------------------------------------------


@router.post(
    "/{force}/lists",
    status_code=201,
    response_model=IssuedList,
    summary="Issue this week's list to the tasking meeting (kept as issued)",
)
def issue(
    request: Request,
    force: ForceParam,
    audit: Disclose,
    as_of: AsOf = None,
    recipients: Annotated[
        str | None,
        Query(max_length=200, description="who the list is issued to", examples=["MATAC meeting, Sunderland"]),
    ] = None,
) -> dict:
    code = _force(audit, force)
    day = as_of or dt.date.today()
    found = _targets(request, code, day)
    assert audit.principal is not None
    with app_state(request).sessions.begin() as session:
        row = TargetList(
            force_code=code,
            as_of=day.isoformat(),
            issued_by=audit.principal.name,
            issued_at=utcnow(),
            rows=[Target(**r).model_dump(mode="json") for r in found],
        )
        session.add(row)
        session.flush()
        out = {
            "id": row.id,
            "force_code": code,
            "as_of": row.as_of,
            "issued_by": row.issued_by,
            "issued_at": row.issued_at,
            "size": len(found),
            "rows": row.rows,
        }
    audit.recipients = recipients
    audit.returned([r["person_id"] for r in found], len(found))
    return out


@router.get("/{force}/lists", response_model=Page[IssuedList], summary="History of lists issued for a force")
def history(request: Request, force: ForceParam, audit: Consult, paging: Paging) -> dict:
    code = _force(audit, force)
    with app_state(request).sessions() as session:
        q = select(TargetList).where(TargetList.force_code == code)
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        found = (
            session.execute(
                q.order_by(TargetList.issued_at.desc(), TargetList.id.desc()).offset(paging.offset).limit(paging.limit)
            )
            .scalars()
            .all()
        )
        items = [
            {
                "id": t.id,
                "force_code": t.force_code,
                "as_of": t.as_of,
                "issued_by": t.issued_by,
                "issued_at": t.issued_at,
                "size": len(t.rows),
            }
            for t in found
        ]
    audit.returned(count=len(items))
    return paginate(items, paging, request, total)


@router.get("/{force}/lists/{list_id}", response_model=IssuedList, summary="One list as it was issued")
def issued(
    request: Request, force: ForceParam, audit: Consult, list_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict:
    code = _force(audit, force)
    with app_state(request).sessions() as session:
        t = session.get(TargetList, list_id)
        if t is None or t.force_code != code:
            raise ProblemError(404, "no such list", "not-found")
        audit.returned([r["person_id"] for r in t.rows], len(t.rows))
        return {
            "id": t.id,
            "force_code": t.force_code,
            "as_of": t.as_of,
            "issued_by": t.issued_by,
            "issued_at": t.issued_at,
            "size": len(t.rows),
            "rows": t.rows,
        }
