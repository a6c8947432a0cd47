"""What one account may see of one person: the force-scoped, masked profile that the analyst's
person page, a DA team's look at a target and the network exports are all built from.

The graph facts come from :mod:`graph.queries.profile` (kept per graph load by
:mod:`api.performance.graphcache`); the scoping (:mod:`api.policy.scope`) and the masking of
confidential addresses run on every call. Nothing here imports the web framework, so the command
line builds the same views.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.performance.graphcache import GraphCache
from api.policy.frames import elsewhere, rows, split, visible_person
from api.policy.scope import Scope, held_by
from api.store import graphq
from reference.forces import force_name

CONFIDENTIAL_WARNING = (
    "Confidential: a source withholds this person's address. Shown to your force's analysts only; "
    "never disclose, export or share it."
)



def person_facts(g: Any, cache: GraphCache | None, person_id: str) -> dict[str, Any]:
    """The unmasked, unscoped profile rows of one person, kept per graph load (api.performance.graphcache)."""
    from graph.queries.profile import person_profile_rows

    if cache is None:
        return person_profile_rows(g, person_id)
    return cache.get(("profile", person_id), lambda: person_profile_rows(g, person_id))


def holders_of(g: Any, cache: GraphCache | None, person_id: str, prof: dict[str, Any]) -> dict[str, Any]:
    """Which forces hold the people and events a profile mentions (for force-scoped accounts)."""

    def read() -> dict[str, Any]:
        people = {r["other_id"] for r in prof["relationships"]}
        people |= {o.get(k) for o in prof["orders"] for k in ("respondent_id", "protected_id")} - {None}
        events = {e for r in prof["relationships"] for e in split(r.get("event_ids"))}
        return {
            "people": graphq.person_forces(g, sorted(people)) if people else {},
            "events": graphq.event_forces(g, sorted(events)) if events else {},
        }

    return read() if cache is None else cache.get(("holders", person_id), read)


def person_view(
    g: Any,
    scope: Scope,
    person_id: str,
    cache: GraphCache | None = None,
    facts: dict[str, Any] | None = None,
    holders: dict[str, Any] | None = None,
    as_of: dt.date | None = None,
    confidential_text: bool = True,
) -> dict[str, Any] | None:
    """The force-scoped profile of one person (None when no such person). The graph facts come
    from ``facts`` and ``holders`` when given, else from ``cache`` or the graph; the scoping and
    masking here run on every call and never change what is kept. ``confidential_text`` False:
    the caller is no analyst, so not even the recording force's account sees a confidential
    address's text."""
    prof = facts if facts is not None else person_facts(g, cache, person_id)
    if prof["person"] is None:
        return None
    records = prof["records"]
    forces: set[str | None] = {r["force"] for r in records}
    if any(r["source_system"] == "court" for r in records):
        forces.add(None)
    if not visible_person(scope, forces):
        return {"person_id": person_id, "restricted": True, "held_by": held_by(forces)}
    if scope.national:
        holders = {"people": {}, "events": {}}
    elif holders is None:
        holders = holders_of(g, cache, person_id, prof)
    hidden: list[list[str | None]] = []
    shown_records = []
    for r in records:
        if scope.sees(r["force"]):
            shown_records.append(
                {
                    **{k: v for k, v in r.items() if k != "force"},
                    "force_code": r["force"],
                    "force": force_name(r["force"]),
                    "source_file": (r["source_file"] or "").rsplit("/", 1)[-1] or None,
                }
            )
        else:
            hidden.append([r["force"]])
    visible_keys = {r["record_key"] for r in shown_records}
    timeline = []
    for e in sorted(prof["events"], key=lambda e: (str(e.get("occurred_on")), e["event_id"])):
        if scope.sees(e.get("force")):
            timeline.append(
                {
                    "event_id": e["event_id"],
                    "occurred_on": e.get("occurred_on"),
                    "role": e["role"],
                    "force_code": e.get("force"),
                    "force": force_name(e.get("force")),
                    "offence": e.get("offence"),
                    "ho_code": e.get("ho_code"),
                    "offence_group": e.get("offence_group"),
                    "da": e.get("da"),
                    "gravity": e.get("gravity"),
                    "relationship": e.get("relationship"),
                    "record_key": e.get("record_key"),
                }
            )
        else:
            hidden.append([e.get("force")])
    other_forces = holders["people"]
    event_forces = holders["events"]
    relationships = []
    for r in prof["relationships"]:
        event_ids = split(r.get("event_ids"))
        events = event_ids if scope.national else [e for e in event_ids if scope.sees(event_forces.get(e))]
        if scope.national or visible_person(scope, other_forces.get(r["other_id"])):
            relationships.append(
                {
                    "other_id": r["other_id"],
                    "other_name": r.get("other_name"),
                    "kind": r["kind"],
                    "first_seen": r.get("first_seen"),
                    "last_seen": r.get("last_seen"),
                    "n_events": r.get("n_events"),
                    "event_ids": events,
                }
            )
        else:
            relationships.append(
                {
                    "restricted": True,
                    "kind": r["kind"],
                    "held_by": held_by(other_forces.get(r["other_id"], set())),
                }
            )
    orders = scope_orders(g, scope, prof["orders"], other_forces)
    # A confidential address (withheld by a source, or of a person whose address a source withholds:
    # linkage.confidential) is shown only to analysts of the force whose record holds it, with a
    # warning; to everyone else it is "confidential", without text or postcode.
    # Nor is its address id, which is made from the address's text (linkage.cluster.assign_ids: a
    # hash of its smallest form) and would confirm a guessed address: it is "confidential-N" here.
    recorded_by = {r["record_key"]: r.get("force_code") for r in shown_records}
    addresses = []
    alias: dict[str, str] = {}
    for a in prof["addresses"]:
        if a.get("record_key") not in visible_keys:
            continue
        conf = bool(a.get("confidential"))
        own = conf and confidential_text and not scope.national and recorded_by.get(a.get("record_key")) in scope.forces
        shown = not conf or (own and a.get("address") not in (None, "", "CONFIDENTIAL"))
        addresses.append(
            {
                "address_id": a["address_id"] if shown else alias.setdefault(
                    a["address_id"], f"confidential-{len(alias) + 1}"),
                "address": a.get("address") if shown else None,
                "postcode": a.get("postcode") if shown else None,
                "confidential": conf,
                "first_seen": a.get("first_seen"),
                "last_seen": a.get("last_seen"),
                "record_key": a.get("record_key"),
                **({"warning": CONFIDENTIAL_WARNING} if conf and shown else {}),
            }
        )
    person = prof["person"]
    return {
        "person_id": person_id,
        "restricted": False,
        "golden": {k: person.get(k) for k in ("preferred_name", "surname", "forenames", "dob", "sex")},
        "name_variants": sorted({r["name_raw"] for r in shown_records if r.get("name_raw")}),
        "records": shown_records,
        "timeline": timeline,
        "relationships": relationships,
        "orders": orders,
        "addresses": addresses,
        "duties": duties_of(g, scope, person_id, as_of or dt.date.today(), cache) if g is not None else [],
        "elsewhere": elsewhere(hidden),
    }


def duties_of(g: Any, scope: Scope, person_id: str, as_of: dt.date, cache: GraphCache | None = None,
              found: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The person's bail periods, RUIs and notices (as subject or protected) held by forces the
    account sees: state on ``as_of``, dates, the authoriser's rank. They name no one else. Kept per
    graph load and day in ``cache`` when given, or ``found`` already read (scoping runs on every call)."""
    from graph.queries import person_duties

    def read() -> list[dict[str, Any]]:
        return rows(person_duties(g, person_id, as_of))

    if found is None:
        found = read() if cache is None else cache.get(("duties", person_id, as_of), read)
    out = []
    for r in found:
        if scope.sees(r.get("force_code")):
            out.append({**r, "force": force_name(r.get("force_code"))})
    return out


def scope_orders(
    g: Any, scope: Scope, orders: list[dict], forces: dict[str, set[str | None]] | None = None
) -> list[dict]:
    """Orders are court data: shown when a party is visible; a party held elsewhere is restricted.
    ``forces`` (person id -> holding forces) saves the look-up when the caller has it."""
    ids = {o.get(k) for o in orders for k in ("respondent_id", "protected_id")} - {None}
    if forces is not None:
        pf = forces
    else:
        pf = graphq.person_forces(g, ids) if ids and not scope.national else {}
    out = []
    for o in orders:
        seen = {k: scope.national or visible_person(scope, pf.get(o.get(k))) for k in ("respondent_id", "protected_id")}
        if not any(seen.values()):
            continue
        row = {k: v for k, v in o.items() if k not in ("respondent_id", "protected_id")}
        row["record_keys"] = split(o.get("record_keys"))
        for k in ("respondent_id", "protected_id"):
            row[k] = o.get(k) if seen[k] else None
            if not seen[k]:
                row[k.replace("_id", "_held_by")] = held_by(pf.get(o.get(k), set()))
        out.append(row)
    return out


def suspect_of(view: dict[str, Any], force_code: str) -> bool:
    """Whether a (visible) profile holds an event of ``force_code`` with the person as suspect: who a
    force's target list can name. A victim is counted on the list, never looked up through it."""
    return any(e.get("role") == "suspect" and e.get("force_code") == force_code for e in view.get("timeline", []))


def target_view(view: dict[str, Any]) -> dict[str, Any]:
    """A person as a DA problem-solving team sees them beside their target list: their own records,
    events, orders and addresses, but the people around them only as kinds and counts (a target
    list names perpetrators; victims are counted, never named). A confidential address is only
    ``confidential`` there too (build it with ``confidential_text=False``)."""
    if view.get("restricted"):
        return view
    relationships = [
        {k: r.get(k) for k in ("kind", "first_seen", "last_seen", "n_events") if k in r} for r in view["relationships"]
    ]
    orders = []
    for o in view["orders"]:
        row = {k: v for k, v in o.items() if k not in ("protected_id", "protected_held_by")}
        row["protected_id"] = None
        orders.append(row)
    return {**view, "relationships": relationships, "orders": orders}
