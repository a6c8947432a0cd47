"""The chosen subject's disclosable history: typed facts, each with the source records behind it.

Built only from fields that cannot name a person or a place (graph.queries.disclosure's view:
offence as classified, dates, forces, outcome category, order type, court, dates, condition
categories, breach counts); no address of anyone. The leak guard then checks every string of the
answer again (:class:`api.policy.leakguard.LeakGuard`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query, Request

from api.deps import Consult, Day, app_state, graph
from api.policy.frames import elsewhere, rows, split, visible_person
from api.policy.scope import Scope, held_by
from api.problems import ProblemError, problem_responses
from api.routers.disclosure.common import CaseId, case_guard, load_case, router, scope_of
from api.routers.disclosure.models import History
from api.store import graphq
from reference.forces import force_name

ORDER_FIELDS = (
    "order_id",
    "order_type",
    "court",
    "issued_by",
    "made_on",
    "expires_on",
    "until_further_order",
    "power_of_arrest",
    "active",
    "breaches",
)


@router.get(
    "/cases/{case_id}/history",
    response_model=History,
    responses=problem_responses(404, 409),
    summary="The chosen subject's disclosable history as typed facts, each with its source records",
)
def history(
    request: Request,
    case_id: CaseId,
    audit: Consult,
    as_of: Annotated[Day | None, Query(description="default today")] = None,
) -> dict:
    with app_state(request).sessions() as session:
        case = load_case(session, audit, case_id)
    if not case.subject_person_id:
        raise ProblemError(409, "choose the subject first (POST …/subject)", "no-subject")
    g = graph(request)
    scope = scope_of(audit)
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
    out = {"case_id": case_id, "as_of": day, **disclosable(g, scope, pid, day)}
    guard = case_guard(g, case, app_state(request).cache.generation)
    out = guard.scrub(out)
    if guard.hits:
        audit.detail = f"leak guard withheld {guard.hits} value(s)"
    return out


def disclosable(g: Any, scope: Scope, pid: str, day: dt.date) -> dict[str, Any]:
    """The subject, events, orders and counts this account may see, from typed fields only."""
    from graph.queries import disclosure_view

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
        breach_events = split(o.get("breach_event_ids"))
        forces = graphq.event_forces(g, breach_events) if breach_events and not scope.national else {}
        orders.append(
            {
                **{k: o.get(k) for k in ORDER_FIELDS},
                "condition_categories": split(o.get("condition_categories")),
                "breach_event_ids": [b for b in breach_events if scope.national or scope.sees(forces.get(b))],
                "record_keys": split(o.get("record_keys")),
            }
        )
    return {
        "subject": view["subject"] or {"person_id": pid},
        "history": hist,
        "orders": orders,
        "previous_partners": view["previous_partners"],
        "victims": view["victims"],
        "elsewhere": elsewhere(hidden),
    }
