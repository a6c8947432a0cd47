"""Intelligence analysts: serial perpetrators, victims across forces, repeat victims, a person's
profile and network, orders for a person or an address, possible breaches.

Every answer is force-scoped (api.policy.scope): people and events held by forces outside the account
appear only as counts per holding force (``elsewhere``) or as ``restricted`` entries naming the
force. Lists, scores and flags are assessments that support an analyst's judgement.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import (
    AuditContext,
    Consult,
    Day,
    ExportFormat,
    PageParams,
    Paging,
    RateLimited,
    SearchPaging,
    app_state,
    graph,
    linkage_outputs,
    no_such_person,
    paginate,
    require_roles,
)
from api.downloads import LIST_FILE, about, attachment, filename, table_response
from api.models import SAFEGUARDING, ForceCount, ForceRef, Profile, SafeguardingPage
from api.performance.graphcache import GraphCache
from api.policy.frames import elsewhere, rows, split, visible_person
from api.policy.roles import Role
from api.policy.scope import Scope, held_by
from api.problems import ProblemError, problem_responses
from api.routing import AuditedRoute
from api.store import graphq
from api.views.network import named_people, network_chart, network_view, scope_events
from api.views.person import duties_of, person_view, scope_orders
from api.views.safeguarding import people_in, safeguarding_rows, safeguarding_table
from api.views.search import candidate_items, confidential_ids, placed
from exports.network import FORMATS, render
from exports.tables import Table
from reference.forces import force_name

# the safeguarding lists' filters, one definition for the list and its export
ClockDay = Annotated[Day | None, Query(description="judge the clocks as of this day (default today)")]
DutyForce = Annotated[str | None, Query(max_length=60, description="only this force's duties")]

router = APIRouter(
    prefix="/analyst",
    tags=["analyst"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.analyst, Role.professional_standards))],
    responses=problem_responses(400, 401, 403, 503),
)

PersonId = Annotated[str, Path(min_length=1, max_length=64, description="resolved person id", examples=["P000123"])]


class ScopedPage(BaseModel):
    """A page of rows the account may see, and how many others exist in which forces."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    next: str | None = None
    elsewhere: list[ForceCount] = Field(
        default_factory=list, description="rows held only by forces outside the account"
    )


def _scope(audit: AuditContext) -> Scope:
    assert audit.principal is not None
    return audit.principal.scope


def _scope_records(g: Any, scope: Scope, keys: list[str]) -> list[str]:
    if scope.national or not keys:
        return keys
    prov = graphq.provenance(g, keys)
    return [k for k in keys if k in prov and scope.sees(prov[k]["force_code"])]


def _names(g: Any, ids: list[str]) -> dict[str, dict]:
    return graphq.people(g, ids)


# -- lists ------------------------------------------------------------------------------------------


@router.get(
    "/serial-perpetrators",
    response_model=ScopedPage,
    summary="People with abuse against two or more unconnected victims (ACPO 2009; configurable)",
)
def serial_perpetrators(
    request: Request,
    audit: Consult,
    paging: Paging,
    min_victims: Annotated[int, Query(ge=2, le=50, description="distinct unconnected victims")] = 2,
    relationships: Annotated[Literal["intimate", "family", "any"], Query()] = "intimate",
    since: Annotated[Day | None, Query(description="count events on or after this day")] = None,
    force: Annotated[str | None, Query(max_length=60, description="only events recorded by this force")] = None,
    cross_force: Annotated[bool | None, Query(description="only (true) or never (false) cross-force")] = None,
) -> dict:
    from graph.queries import serial_perpetrators as q

    g = graph(request)
    scope = _scope(audit)
    try:
        frame = q(g, min_victims=min_victims, relationships=relationships, since=since, force=force)
    except ValueError as exc:
        raise ProblemError(400, "unknown force", "bad-parameter") from exc
    found = [r for r in rows(frame) if cross_force is None or bool(r["cross_force"]) == cross_force]
    pf = graphq.person_forces(g, [r["person_id"] for r in found]) if not scope.national else {}
    shown = [r for r in found if scope.national or visible_person(scope, pf.get(r["person_id"]))]
    hidden = [pf.get(r["person_id"], set()) for r in found if r not in shown]
    out = paginate(shown, paging, request)
    page: list[dict] = out["items"]
    victim_forces = (
        graphq.person_forces(g, [v for r in page for v in split(r["victim_ids"])]) if not scope.national else {}
    )
    names = _names(g, [r["person_id"] for r in page])
    items = []
    for r in page:
        events, other = scope_events(g, scope, split(r["event_ids"]))
        victims = split(r["victim_ids"])
        seen_victims = [v for v in victims if scope.national or visible_person(scope, victim_forces.get(v))]
        items.append(
            {
                "person_id": r["person_id"],
                "name": names.get(r["person_id"], {}).get("name"),
                "victims": r["victims"],
                "distinct_victims": r["distinct_victims"],
                "victim_ids": seen_victims,
                "victims_elsewhere": len(victims) - len(seen_victims),
                "forces": [{"force_code": f, "force": force_name(f)} for f in split(r["forces"])],
                "cross_force": bool(r["cross_force"]),
                "relationships": split(r.get("relationships")),
                "first_seen": r["first_seen"],
                "last_seen": r["last_seen"],
                "event_ids": events,
                "also_held_by": held_by(other),
                "record_keys": _scope_records(g, scope, split(r["record_keys"])),
            }
        )
    audit.returned([r["person_id"] for r in items] + [v for r in items for v in r["victim_ids"]], len(items))
    return {**out, "items": items, "elsewhere": elsewhere(hidden)}


@router.get(
    "/cross-force-victims",
    response_model=ScopedPage,
    summary="Perpetrators whose victims are recorded by different forces",
)
def cross_force_victims(
    request: Request,
    audit: Consult,
    paging: Paging,
    relationships: Annotated[Literal["intimate", "family", "any"], Query()] = "any",
    since: Annotated[Day | None, Query()] = None,
) -> dict:
    from graph.queries import cross_force_victims as q

    g = graph(request)
    scope = _scope(audit)
    found = rows(q(g, relationships=relationships, since=since))
    perps = sorted({r["perpetrator_id"] for r in found})
    pf = graphq.person_forces(g, perps) if not scope.national else {}
    shown_perps = [p for p in perps if scope.national or visible_person(scope, pf.get(p))]
    hidden = [pf.get(p, set()) for p in perps if p not in set(shown_perps)]
    out = paginate(shown_perps, paging, request)
    page_rows = [r for r in found if r["perpetrator_id"] in set(out["items"])]
    names = _names(g, out["items"] + [r["victim_id"] for r in page_rows if scope.sees(r["force"])])
    items = []
    for pid in out["items"]:
        victims = []
        for r in (x for x in found if x["perpetrator_id"] == pid):
            if scope.sees(r["force"]):
                victims.append(
                    {
                        "victim_id": r["victim_id"],
                        "name": names.get(r["victim_id"], {}).get("name"),
                        "force_code": r["force"],
                        "force": force_name(r["force"]),
                        "event_ids": split(r["event_ids"]),
                    }
                )
            else:
                victims.append({"restricted": True, "held_by": held_by([r["force"]])})
        items.append(
            {
                "perpetrator_id": pid,
                "name": names.get(pid, {}).get("name"),
                "forces": held_by(x["force"] for x in found if x["perpetrator_id"] == pid),
                "victims": victims,
            }
        )
    audit.returned(out["items"] + [v["victim_id"] for r in items for v in r["victims"] if "victim_id" in v], len(items))
    return {**out, "items": items, "elsewhere": elsewhere(hidden)}


@router.get(
    "/repeat-victims",
    response_model=ScopedPage,
    summary="Victims of a DA event who were victims of another within the window (HMICFRS default)",
)
def repeat_victims(
    request: Request,
    audit: Consult,
    paging: Paging,
    window_days: Annotated[int, Query(ge=1, le=3650)] = 365,
    same_perpetrator: Annotated[bool, Query(description="MARAC variant: same perpetrator only")] = False,
    crimes_only: bool = False,
    since: Annotated[Day | None, Query()] = None,
    until: Annotated[Day | None, Query()] = None,
) -> dict:
    from graph.queries import repeat_victims as q

    g = graph(request)
    scope = _scope(audit)
    found = rows(
        q(
            g,
            window_days=window_days,
            same_perpetrator=same_perpetrator,
            crimes_only=crimes_only,
            since=since,
            until=until,
        )
    )
    pf = graphq.person_forces(g, [r["person_id"] for r in found]) if not scope.national else {}
    shown = [r for r in found if scope.national or visible_person(scope, pf.get(r["person_id"]))]
    hidden = [pf.get(r["person_id"], set()) for r in found if r not in shown]
    out = paginate(shown, paging, request)
    names = _names(g, [r["person_id"] for r in out["items"]])
    items = []
    for r in out["items"]:
        repeat, other_r = scope_events(g, scope, split(r["repeat_event_ids"]))
        previous, other_p = scope_events(g, scope, split(r["previous_event_ids"]))
        items.append(
            {
                "person_id": r["person_id"],
                "name": names.get(r["person_id"], {}).get("name"),
                "events": r["events"],
                "repeats": r["repeats"],
                "repeat_event_ids": repeat,
                "previous_event_ids": previous,
                "forces": held_by(split(r["forces"])),
                "also_held_by": held_by(other_r + other_p),
                "first_seen": r["first_seen"],
                "last_seen": r["last_seen"],
                "record_keys": _scope_records(g, scope, split(r["record_keys"])),
            }
        )
    audit.returned([r["person_id"] for r in items], len(items))
    return {**out, "items": items, "elsewhere": elsewhere(hidden)}


# -- finding a person -------------------------------------------------------------------------------


class Found(BaseModel):
    rank: int
    probability: float = Field(description="how likely the best record matches what was asked (an assessment)")
    match_key: str | None = Field(None, description="which fields agreed (+), disagreed (-) or partly (~)")
    restricted: bool = False
    held_by: list[ForceRef] = Field(default_factory=list)
    person_id: str | None = None
    name: str | None = None
    dob: dt.date | None = None
    record_key: str | None = None
    match_weight: float | None = None
    fields: list[dict[str, Any]] = Field(default_factory=list, description="each field's level and weight")


class FoundPage(ScopedPage):
    items: list[Found]  # type: ignore[assignment]
    searched_for: dict[str, Any]


@router.get(
    "/search",
    response_model=FoundPage,
    responses=problem_responses(429),
    dependencies=[Depends(RateLimited("search"))],
    summary="Find a person by name (with a date of birth or age and a place): ranked, with confidence and why",
)
async def search(
    request: Request,
    audit: Consult,
    paging: SearchPaging,
    name: Annotated[str, Query(min_length=2, max_length=100, description="as said or written", examples=["Dave Hall"])],
    dob: Annotated[Day | None, Query()] = None,
    age: Annotated[int | None, Query(ge=10, le=110)] = None,
    place: Annotated[str | None, Query(max_length=100, description="town, postcode or district")] = None,
) -> dict:
    """Linkage's single-record search over every person record, as the disclosure officers' search
    ranks it. People held only by forces outside the account are listed as held by their force,
    and their records are compared on the name alone (whatever else is asked cannot probe them)."""
    state = app_state(request)
    query = {"name": name, "dob": dob, "age": age, "place": place}
    scope = _scope(audit)
    try:
        found = await placed(
            state, query, paging.offset + paging.limit, confidential_ids(linkage_outputs(request)), scope
        )
    except FileNotFoundError as exc:
        raise ProblemError(503, "no resolution output yet: run resolution first", "not-resolved") from exc
    ids = [c["person_id"] for c in found]
    pf = {} if scope.national or not ids else await run_in_threadpool(graphq.person_forces, graph(request), ids)
    items = candidate_items(found, scope, pf)
    out = paginate(items, paging, request)
    audit.returned([c["person_id"] for c in out["items"] if c.get("person_id")], len(out["items"]))
    searched = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in query.items() if v is not None}
    return {**out, "searched_for": searched, "elsewhere": []}


# -- one person -------------------------------------------------------------------------------------


@router.get(
    "/persons/{person_id}",
    response_model=Profile,
    responses=problem_responses(404, 308),
    summary="A person's profile: golden record, name variants, timeline with roles and forces, orders",
)
async def profile(request: Request, person_id: PersonId, audit: Consult) -> dict:
    cache: GraphCache = app_state(request).cache
    scope = _scope(audit)
    facts = cache.peek(("profile", person_id))
    holders = None if scope.national or facts is None else cache.peek(("holders", person_id))
    if facts is not None and (scope.national or holders is not None):
        # everything is in memory: scope and mask on the event loop, no worker thread
        view = person_view(None, scope, person_id, facts=facts, holders=holders)
    else:
        view = await run_in_threadpool(person_view, graph(request), scope, person_id, cache)
    if view is None:
        raise no_such_person(request, person_id)
    if view["restricted"]:
        audit.outcome = "restricted"
    elif facts is not None and (scope.national or holders is not None):  # the fast path read no graph
        today = dt.date.today()
        cached = cache.peek(("duties", person_id, today))
        view["duties"] = (duties_of(None, scope, person_id, today, found=cached) if cached is not None
                          else await run_in_threadpool(duties_of, graph(request), scope, person_id, today, cache))
    audit.returned([person_id], 1)
    return view


class Network(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": "P000123",
                    "depth": 1,
                    "truncated": False,
                    "nodes": [
                        {"id": "P000123", "name": "David Hall", "depth": 0, "group": 1, "betweenness": 1.0},
                        {
                            "id": "restricted-1",
                            "restricted": True,
                            "held_by": [{"force_code": "E23000008", "force": "Durham Constabulary"}],
                            "depth": 1,
                            "group": 1,
                            "betweenness": 0.0,
                        },
                    ],
                    "groups": [{"group": 1, "size": 2, "perpetrators": 1, "victims": 1}],
                    "edges": [
                        {
                            "src": "P000123",
                            "dst": "restricted-1",
                            "kind": "intimate",
                            "depth": 1,
                            "event_ids": [],
                        }
                    ],
                }
            ]
        }
    )

    person_id: str
    depth: int
    truncated: bool
    nodes: list[dict[str, Any]] = Field(
        description="People of the network; `group` numbers their connected group of perpetrators and victims "
        "(perpetrator -> victim links of DA events in this network), `betweenness` counts the shortest paths "
        "between two others that run through them (who bridges otherwise separate parts)")
    edges: list[dict[str, Any]]
    groups: list[dict[str, Any]] = Field(
        default_factory=list, description="Each group: size, perpetrators and victims in it")


@router.get(
    "/persons/{person_id}/network",
    response_model=Network,
    responses=problem_responses(404, 308),
    summary="People linked to a person within 1–3 hops (relationships and shared events), their connected "
    "groups of perpetrators and victims and who bridges them",
)
def network(
    request: Request, person_id: PersonId, audit: Consult, depth: Annotated[int, Query(ge=1, le=3)] = 1
) -> dict:
    net = network_view(graph(request), _scope(audit), person_id, depth)
    if net is None:
        raise no_such_person(request, person_id)
    if net.pop("restricted"):
        audit.outcome = "restricted"
        audit.returned([person_id], 0)
        return net
    audit.returned(named_people(net), len(net["nodes"]))
    return net


NETWORK_FILE = {
    200: {
        "content": {media: {} for media, _ in FORMATS.values()},
        "description": "the network as i2 Analyst's Notebook XML (export.anx), GraphML (export.graphml) "
        "or an Excel workbook of nodes and links (export.xlsx)",
    }
}


@router.get(
    "/persons/{person_id}/network/export.{fmt}",
    response_class=Response,
    responses={**NETWORK_FILE, **problem_responses(404, 308)},
    summary="A person's network as a file for i2 Analyst's Notebook (ANX), Gephi or yEd (GraphML), or Excel: "
    "the person with their events, orders and addresses and the people around them, scoped and masked as the "
    "network answer",
)
def network_export(
    request: Request,
    person_id: PersonId,
    fmt: Annotated[Literal["anx", "graphml", "xlsx"], Path(description="anx, graphml or xlsx")],
    audit: Consult,
    depth: Annotated[int, Query(ge=1, le=3)] = 1,
) -> Response:
    assert audit.principal is not None
    found = network_chart(graph(request), _scope(audit), person_id, depth, app_state(request).cache,
                          author=audit.principal.name, hidden=audit.hidden)
    if found is None:
        raise no_such_person(request, person_id)
    chart, named = found
    if not named:
        audit.outcome = "restricted"
    audit.returned(named, len(chart.nodes))
    audit.detail = f"export {fmt}"
    media, suffix = FORMATS[fmt]
    body = render(chart, fmt, about(audit, chart.title, depth=depth))
    return attachment(body, media, filename("network", person_id, f"depth{depth}", suffix=suffix))


# -- orders and breaches ----------------------------------------------------------------------------


@router.get(
    "/persons/{person_id}/orders",
    response_model=ScopedPage,
    responses=problem_responses(404, 308),
    summary="Orders against or protecting a person (active on a day, or all)",
)
def person_orders(
    request: Request,
    person_id: PersonId,
    audit: Consult,
    paging: Paging,
    on: Annotated[Day | None, Query(description="day the orders are active on (default today)")] = None,
    active_only: bool = True,
) -> dict:
    from graph.queries import orders_active, person_profile

    g = graph(request)
    scope = _scope(audit)
    pf = graphq.person_forces(g, [person_id])
    if person_id not in pf and person_id not in graphq.people(g, [person_id]):
        raise no_such_person(request, person_id)
    if not visible_person(scope, pf.get(person_id)):
        audit.outcome = "restricted"
        audit.returned([person_id], 0)
        return {**paginate([], paging, request), "elsewhere": elsewhere([pf.get(person_id, set())])}
    found = (
        rows(orders_active(g, on or dt.date.today(), person_id=person_id, include_bail=True))
        if active_only
        else rows(person_profile(g, person_id)["orders"])
    )
    shown = scope_orders(g, scope, found)
    out = paginate(shown, paging, request)
    audit.returned(
        [person_id] + [o[k] for o in out["items"] for k in ("respondent_id", "protected_id") if o.get(k)],
        len(out["items"]),
    )
    return {**out, "elsewhere": []}


@router.get(
    "/addresses/{address_id}/orders",
    response_model=ScopedPage,
    summary="Orders active on a day involving anyone who lived at an address",
)
def address_orders(
    request: Request,
    audit: Consult,
    paging: Paging,
    address_id: Annotated[str, Path(min_length=1, max_length=64)],
    on: Annotated[Day | None, Query()] = None,
) -> dict:
    from graph.queries import orders_active

    g = graph(request)
    scope = _scope(audit)
    # A confidential address answers as an unknown one: its id is made from its text, so a guessed
    # address's id would otherwise confirm who lives there (the protected person of an order).
    hidden = graphq.address_confidential(g, address_id)
    found = None if hidden else orders_active(g, on or dt.date.today(), address_id=address_id)
    shown = scope_orders(g, scope, rows(found))
    out = paginate(shown, paging, request)
    audit.returned(
        [o[k] for o in out["items"] for k in ("respondent_id", "protected_id") if o.get(k)], len(out["items"])
    )
    return {**out, "elsewhere": []}


def _register(g: Any, scope: Scope, found: list[dict]) -> list[dict]:
    """Order rows as the register shows them: scoped (``scope_orders``), the parties' names beside
    their ids, and the conditions as categories (no contact, exclusion zone, ...) rather than their
    text, which can name the protected person's home."""
    from reference.disclosable import condition_categories

    shown = scope_orders(g, scope, found)
    names = _names(g, [o[k] for o in shown for k in ("respondent_id", "protected_id") if o.get(k)])
    out = []
    for o in shown:
        row = {k: v for k, v in o.items() if k != "conditions"}
        row["condition_categories"] = condition_categories(o.get("conditions"))
        for k in ("respondent", "protected"):
            if o.get(f"{k}_id"):
                row[f"{k}_name"] = names.get(o[f"{k}_id"], {}).get("name")
        out.append(row)
    return out


def _orders_page(audit: AuditContext, shown: list[dict], paging: PageParams, request: Request) -> dict:
    out = paginate(shown, paging, request)
    audit.returned(
        [o[k] for o in out["items"] for k in ("respondent_id", "protected_id") if o.get(k)], len(out["items"])
    )
    return {**out, "elsewhere": []}


@router.get("/orders/active", response_model=ScopedPage, summary="Orders in force on a day")
def orders_active(
    request: Request, audit: Consult, paging: Paging, as_of: Annotated[Day | None, Query()] = None
) -> dict:
    from graph.queries import orders_active as q

    g = graph(request)
    found = rows(q(g, as_of or dt.date.today(), include_bail=True))  # bail conditions protecting a person too
    return _orders_page(audit, _register(g, _scope(audit), found), paging, request)


@router.get("/orders/expiring", response_model=ScopedPage, summary="Orders ending within the next days")
def orders_expiring(
    request: Request,
    audit: Consult,
    paging: Paging,
    as_of: Annotated[Day | None, Query()] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 28,
) -> dict:
    from graph.queries import orders_expiring as q

    g = graph(request)
    found = rows(q(g, as_of or dt.date.today(), days=days))
    return _orders_page(audit, _register(g, _scope(audit), found), paging, request)


@router.get(
    "/orders/court-only",
    response_model=ScopedPage,
    summary="Orders made by a court that no police extract records",
)
def court_only(request: Request, audit: Consult, paging: Paging, known_people_only: bool = False) -> dict:
    from graph.queries import court_only_orders

    g = graph(request)
    found = rows(court_only_orders(g, known_people_only=known_people_only))
    return _orders_page(audit, _register(g, _scope(audit), found), paging, request)


@router.get(
    "/breaches",
    response_model=ScopedPage,
    summary="Possible breaches: events involving an order's respondent and protected person while active",
)
def breaches(
    request: Request,
    audit: Consult,
    paging: Paging,
    since: Annotated[Day | None, Query()] = None,
    until: Annotated[Day | None, Query()] = None,
    respondent_id: Annotated[str | None, Query(max_length=64)] = None,
    order_id: Annotated[str | None, Query(max_length=100)] = None,
) -> dict:
    from graph.queries import possible_breaches

    g = graph(request)
    scope = _scope(audit)
    found = rows(possible_breaches(g, since=since, until=until, order_id=order_id, respondent_id=respondent_id,
                                   include_bail=True))
    shown = [r for r in found if scope.sees(r.get("force"))]
    hidden = [[r.get("force")] for r in found if not scope.sees(r.get("force"))]
    out = paginate(shown, paging, request)
    names = _names(g, [r[k] for r in out["items"] for k in ("respondent_id", "protected_id") if r.get(k)])
    items = [
        {
            **{k: v for k, v in r.items() if k != "force"},
            "force_code": r.get("force"),
            "force": force_name(r.get("force")),
            "respondent_name": names.get(r.get("respondent_id"), {}).get("name"),
            "protected_name": names.get(r.get("protected_id"), {}).get("name"),
        }
        for r in out["items"]
    ]
    audit.returned([r[k] for r in items for k in ("respondent_id", "protected_id")], len(items))
    return {**out, "items": items, "elsewhere": elsewhere(hidden)}


# -- the lists as files -----------------------------------------------------------------------------
# Each list's export runs the list's own route over every row (one page holding all), so a file holds
# exactly what the pages show, scoped and masked the same, and its audit record names the same people.

ALL_ROWS = PageParams.model_construct(limit=10**9, offset=0)
FORCE_LISTS = ("forces", "also_held_by", "held_by", "respondent_held_by", "protected_held_by")
ORDER_COLUMNS = [
    "order_id", "order_type", "court", "issued_by", "made_on", "expires_on", "until_further_order", "end_unknown",
    "power_of_arrest", "respondent_id", "respondent_name", "respondent_held_by", "protected_id", "protected_name",
    "protected_held_by", "condition_categories", "respondent_known_to_police", "protected_known_to_police",
    "record_keys",
]


def _cells(item: dict[str, Any]) -> dict[str, Any]:
    """A row of a list as cells: forces by name (codes stay in the data's own columns)."""
    out = dict(item)
    for key in FORCE_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [f.get("force") or f.get("force_code") for f in out[key]]
    return out


def _victim_rows(item: dict[str, Any]) -> list[dict[str, Any]]:
    """A cross-force row as one row per victim (a victim held elsewhere: only the holding force)."""
    base = {"perpetrator_id": item["perpetrator_id"], "perpetrator_name": item.get("name"),
            "perpetrator_forces": [f.get("force") for f in item.get("forces", [])]}
    out = []
    for v in item["victims"]:
        if v.get("restricted"):
            out.append({**base, "victim_held_by": [f.get("force") for f in v.get("held_by", [])]})
        else:
            out.append({**base, "victim_id": v["victim_id"], "victim_name": v.get("name"),
                        "victim_force": v.get("force"), "victim_force_code": v.get("force_code"),
                        "event_ids": v.get("event_ids")})
    return out


def _exported(
    source: Any, name: str, what: str, columns: list[str], rows_of: Any = None, notes: dict[str, str] | None = None
) -> None:
    """Register ``GET <source's path>/export.{fmt}`` taking the list route's filters (not its paging)
    and answering the whole list as CSV or XLSX."""
    path = next(r.path for r in router.routes if getattr(r, "endpoint", None) is source).removeprefix(router.prefix)
    signature = inspect.signature(source)
    fmt = inspect.Parameter(
        "fmt",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        annotation=ExportFormat,
    )
    params = [p for p in signature.parameters.values() if p.name != "paging"]
    params.insert(1, fmt)

    def endpoint(**kwargs: Any) -> Response:
        chosen = kwargs.pop("fmt")
        audit: AuditContext = kwargs["audit"]
        found = source(paging=ALL_ROWS, **kwargs)
        rows = [r for item in found["items"] for r in (rows_of(item) if rows_of else [_cells(item)])]
        held = ", ".join(f"{e['count']} by {e['force'] or e['force_code']}" for e in found.get("elsewhere") or [])
        audit.count = None  # the list's route counted its rows; the file's rows are counted below
        filters = {k: v for k, v in kwargs.items() if k not in ("request", "audit") and v is not None}
        filters["held elsewhere (not shown: ask the holding force)"] = held
        stamp = filters.get("as_of") or dt.date.today()
        return table_response(
            audit, chosen, Table(name, columns, rows, notes or {}), f"{name}-{stamp}", what, (), **filters
        )

    endpoint.__signature__ = signature.replace(parameters=params, return_annotation=Response)  # type: ignore[attr-defined]
    endpoint.__name__ = f"{source.__name__}_export"
    router.add_api_route(
        f"{path}/export.{{fmt}}",
        endpoint,
        methods=["GET"],
        response_class=Response,
        responses=LIST_FILE,
        summary=f"{what}: the whole list as CSV or XLSX (the list's filters, no paging)",
    )


_exported(
    serial_perpetrators, "serial-perpetrators", "Serial perpetrators",
    ["person_id", "name", "victims", "distinct_victims", "victim_ids", "victims_elsewhere", "forces", "cross_force",
     "relationships", "first_seen", "last_seen", "event_ids", "also_held_by", "record_keys"],
    notes={"victims": "victims not connected to each other (ACPO 2009): an assessment, not a finding"},
)
_exported(
    cross_force_victims, "cross-force-victims", "Victims of one perpetrator recorded by different forces",
    ["perpetrator_id", "perpetrator_name", "perpetrator_forces", "victim_id", "victim_name", "victim_force",
     "victim_force_code", "victim_held_by", "event_ids"],
    rows_of=_victim_rows,
)
_exported(orders_active, "orders-active", "Orders in force", ORDER_COLUMNS)
_exported(orders_expiring, "orders-expiring", "Orders ending soon", ORDER_COLUMNS)
_exported(court_only, "orders-court-only", "Orders no police extract records", ORDER_COLUMNS)
_exported(
    breaches, "breaches", "Possible breaches of orders",
    ["order_id", "order_type", "event_id", "occurred_on", "offence", "force", "force_code", "respondent_id",
     "respondent_name", "respondent_record", "protected_id", "protected_name", "protected_record"],
    notes={"event_id": "an event involving both parties while the order was in force: possible, not proven"},
)


def _safeguarding_route(name: str) -> None:
    """``GET /analyst/safeguarding/{name}`` (one list within the account's forces, audited) and
    ``.../export.{csv,xlsx}`` (the whole list as a file, audited as an export)."""

    def found(request: Request, audit: AuditContext, as_of: dt.date | None, force: str | None) -> tuple:
        from graph.queries import resolve_force

        g = graph(request)
        day = as_of or dt.date.today()
        try:
            code = resolve_force(g, force) if force else None
        except ValueError as exc:
            raise ProblemError(400, "unknown force", "bad-parameter") from exc
        return code, day, safeguarding_rows(g, _scope(audit), name, day, force_code=code)

    def route(
        request: Request,
        audit: Consult,
        paging: Paging,
        as_of: ClockDay = None,
        force: DutyForce = None,
    ) -> dict:
        code, day, items = found(request, audit, as_of, force)
        out = paginate(items, paging, request)
        audit.returned(people_in(out["items"]), len(out["items"]))
        return {**out, "name": name, "as_of": day, "force_code": code}

    def export(
        request: Request,
        fmt: ExportFormat,
        audit: Consult,
        as_of: ClockDay = None,
        force: DutyForce = None,
    ) -> Response:
        code, day, items = found(request, audit, as_of, force)
        where = force_name(code) if code else "the account's forces"
        return table_response(audit, fmt, safeguarding_table(name, items), f"safeguarding-{name}-{day}",
                              f"{SAFEGUARDING[name]}, {where}", people_in(items), as_of=day, force=code)

    router.add_api_route(f"/safeguarding/{name}", route, methods=["GET"], name=f"safeguarding_{name}",
                         response_model=SafeguardingPage, summary=SAFEGUARDING[name] + " (within the account's forces)")
    router.add_api_route(f"/safeguarding/{name}/export.{{fmt}}", export, methods=["GET"],
                         name=f"safeguarding_{name}_export", response_class=Response, responses=LIST_FILE,
                         summary=f"{SAFEGUARDING[name]} (within the account's forces): the whole list as CSV or XLSX")


for _name in SAFEGUARDING:
    _safeguarding_route(_name)
