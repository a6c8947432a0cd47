"""Right to know: people who may be at risk from a serial or high-harm perpetrator, for an officer
to review (the police-initiated route). Candidates and perpetrators are named, as the route needs;
no address of anyone, and no confidential address, is in the answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, Request

from api.deps import Consult, Day, Paging, app_state, graph, paginate
from api.models import Page
from api.policy.frames import rows, split, visible_person
from api.policy.leakguard import LeakGuard
from api.routers.disclosure.common import router, scope_of
from api.routers.disclosure.models import RtkCandidate
from api.store import graphq


@router.get(
    "/right-to-know",
    response_model=Page[RtkCandidate],
    summary="People who may be at risk from a serial or high-harm perpetrator: for an officer to review",
)
def right_to_know(
    request: Request,
    audit: Consult,
    paging: Paging,
    as_of: Annotated[Day | None, Query()] = None,
    recent_days: Annotated[int, Query(ge=1, le=3650)] = 365,
) -> dict:
    from graph.queries import right_to_know_candidates

    g = graph(request)
    scope = scope_of(audit)
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
    return {**out, "items": LeakGuard.for_subject(g, None, generation=app_state(request).cache.generation).scrub(items)}
