"""What one account may see of one person's network: the force-scoped people and links the analyst's
network picture draws, and the chart the i2 (ANX), GraphML and Excel exports write from it.

Both are built here so the route, the export and the command line answer the same: people held
only by forces outside the account appear as "held by <force>" with no id or name; events outside
the account are left out; an order's party held elsewhere is not named; a confidential address is
in no chart at all (the chart's notes say that one was withheld). An order's conditions travel as
categories (no contact, exclusion zone ...) because their text can name the protected person's home.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from api.performance.graphcache import GraphCache
from api.policy import wall
from api.policy.frames import rows, split, visible_person
from api.policy.scope import Scope, held_by
from api.policy.wall import RESTRICTED, Hidden
from api.store import graphq
from api.views.person import person_view
from exports.network import Chart, Edge, Node, as_day
from reference.forces import force_name

MAX_NETWORK_NODES = 500


def scope_events(g: Any, scope: Scope, event_ids: list[str]) -> tuple[list[str], list[str | None]]:
    """(visible event ids, forces of the hidden ones)."""
    if scope.national or not event_ids:
        return event_ids, []
    forces = graphq.event_forces(g, event_ids)
    seen = [e for e in event_ids if scope.sees(forces.get(e))]
    return seen, [forces.get(e) for e in event_ids if not scope.sees(forces.get(e))]


def network_view(g: Any, scope: Scope, person_id: str, depth: int) -> dict[str, Any] | None:
    """The people linked to a person within ``depth`` hops, scoped (None when no such person):
    their connected groups of perpetrators and victims and who bridges them. ``restricted`` is
    true when the person themself is held only outside the account."""
    from graph.queries import network as q
    from graph.queries import network_groups

    me = graphq.people(g, [person_id])
    if person_id not in me:
        return None
    pf = graphq.person_forces(g, [person_id])
    if not visible_person(scope, pf.get(person_id)):
        node = {"id": person_id, "restricted": True, "held_by": held_by(pf.get(person_id, set())), "depth": 0}
        return {"person_id": person_id, "depth": depth, "truncated": False, "restricted": True,
                "edges": [], "nodes": [node], "groups": []}
    frame = q(g, person_id, depth)
    edges = rows(frame)
    analytics = {r["person_id"]: r for r in rows(network_groups(g, person_id, edges=frame))}
    ids = sorted({e["src"] for e in edges} | {e["dst"] for e in edges} | {person_id})
    truncated = len(ids) > MAX_NETWORK_NODES
    pf = graphq.person_forces(g, ids)
    info = graphq.people(g, ids)
    depth_of = {person_id: 0}
    for e in sorted(edges, key=lambda e: e["depth"]):
        for end in (e["src"], e["dst"]):
            depth_of.setdefault(end, e["depth"])
    ordered = sorted(ids, key=lambda i: (depth_of.get(i, 99), i))[:MAX_NETWORK_NODES]
    alias: dict[str, str] = {}
    nodes = []
    hidden = 0
    number: dict[str, int] = {}  # groups numbered in the answer's order (ids could name hidden people)
    groups: dict[int, dict[str, Any]] = {}
    for pid in ordered:
        a = analytics[pid]
        group = number.setdefault(a["group_id"], len(number) + 1)
        summary = groups.setdefault(group, {"group": group, "size": 0, "perpetrators": 0, "victims": 0})
        summary["size"] += 1
        summary["perpetrators"] += bool(a["perpetrator"])
        summary["victims"] += bool(a["victim"])
        found = {"group": group, "betweenness": float(a["betweenness"])}
        if visible_person(scope, pf.get(pid)):
            alias[pid] = pid
            nodes.append({"id": pid, "name": info.get(pid, {}).get("name"), "depth": depth_of.get(pid, 0), **found})
        else:
            hidden += 1
            alias[pid] = f"restricted-{hidden}"
            nodes.append(
                {
                    "id": alias[pid],
                    "restricted": True,
                    "held_by": held_by(pf.get(pid, set())),
                    "depth": depth_of.get(pid, 0),
                    **found,
                }
            )
    out_edges = []
    for e in edges:
        if e["src"] in alias and e["dst"] in alias:
            events, _ = scope_events(g, scope, split(e["event_ids"]))
            out_edges.append(
                {"src": alias[e["src"]], "dst": alias[e["dst"]], "kind": e["kind"], "depth": e["depth"],
                 "event_ids": events}
            )
    return {
        "person_id": person_id,
        "depth": depth,
        "truncated": truncated,
        "restricted": False,
        "nodes": nodes,
        "edges": out_edges,
        "groups": list(groups.values()),
    }


def named_people(net: dict[str, Any]) -> list[str]:
    """The person ids a network answer names (for the audit record)."""
    return [n["id"] for n in net["nodes"] if not n.get("restricted")]


# -- the chart the exports write ---------------------------------------------------------------------

ROLE_LABELS = {"co_involved": "co-involved", "lived_at": "lived at"}


def _words(kind: Any) -> str:
    text = str(kind or "linked")
    return ROLE_LABELS.get(text, text.replace("_", " ").lower())


def _held(refs: list[dict[str, Any]]) -> str:
    return ", ".join(r.get("force") or r.get("force_code") or "" for r in refs) or "another force"


def network_chart(
    g: Any, scope: Scope, person_id: str, depth: int, cache: GraphCache | None = None, author: str = "",
    hidden: Hidden | None = None,
) -> tuple[Chart, list[str]] | None:
    """The chart of a person's network as this account may see it, and the person ids it names
    (None when no such person). The subject with their records, events, orders and (not
    confidential) addresses; the people of their network to ``depth`` hops with the links between
    them."""
    from reference.disclosable import condition_categories

    view = person_view(g, scope, person_id, cache)
    if view is None:
        return None
    net = network_view(g, scope, person_id, depth)
    if net is None:
        return None
    title = f"Network of {person_id}"
    if view.get("restricted"):
        node = Node(person_id, "Person", f"a person held by {_held(view['held_by'])}",
                    attributes={"held by": _held(view["held_by"])})
        chart = Chart(person_id, title, [node], [], author=author,
                      notes=["This person is held only by forces outside your account: nothing more is shown."])
        return chart, []
    golden = view["golden"]
    records = view["records"]
    subject = Node(
        person_id,
        "Person",
        golden.get("preferred_name") or person_id,
        date=as_day(golden.get("dob")),
        source=records[0]["record_key"] if records else None,
        source_type=records[0].get("force") if records else None,
        description="Subject of this chart",
        attributes={
            "dots person id": person_id,
            "date of birth": as_day(golden.get("dob")),
            "sex": golden.get("sex"),
            "name variants": view.get("name_variants"),
            "record keys": [r["record_key"] for r in records],
            "forces": sorted({r.get("force") or "court" for r in records}),
            "source files": sorted({f"{r.get('source_file')}:{r.get('source_line')}" for r in records
                                    if r.get("source_file")}),
            "hop": 0,
        },
    )
    nodes: dict[str, Node] = {person_id: subject}
    edges: list[Edge] = []
    notes: list[str] = []
    named = [person_id]

    # the people of the network (restricted ones under an id of this chart only)
    for n in net["nodes"]:
        if n["id"] == person_id:
            subject.attributes.update({"connected group": n.get("group"), "betweenness": n.get("betweenness")})
            continue
        nid = n["id"] if not n.get("restricted") else f"{person_id}:{n['id']}"
        if n.get("restricted"):
            nodes[nid] = Node(nid, "Person", f"a person held by {_held(n['held_by'])}",
                              attributes={"held by": _held(n["held_by"]), "hop": n.get("depth"),
                                          "connected group": n.get("group")})
        else:
            named.append(n["id"])
            nodes[nid] = Node(nid, "Person", n.get("name") or nid,
                              attributes={"dots person id": n["id"], "hop": n.get("depth"),
                                          "connected group": n.get("group"), "betweenness": n.get("betweenness")})
    dates = {(r.get("other_id"), r.get("kind")): r for r in view["relationships"] if not r.get("restricted")}
    shown_events = {ev["event_id"]: as_day(ev.get("occurred_on")) for ev in view["timeline"]}
    for e in net["edges"]:
        src = e["src"] if not e["src"].startswith("restricted-") else f"{person_id}:{e['src']}"
        dst = e["dst"] if not e["dst"].startswith("restricted-") else f"{person_id}:{e['dst']}"
        other = dst if src == person_id else src if dst == person_id else None
        shared = [x for x in e.get("event_ids") or [] if x in shown_events]
        if e["kind"] == "co_involved" and other and shared:
            # both were in events on the chart: the other person joins those events instead
            edges += [Edge(other, x, "involved", date=shown_events[x], attributes={"event id": x}) for x in shared]
            continue
        rel = dates.get((other, e["kind"]), {})
        edges.append(Edge(src, dst, _words(e["kind"]), date=as_day(rel.get("first_seen")),
                          until=as_day(rel.get("last_seen")), confirmed=e["kind"] != "co_involved",
                          attributes={"event ids": e.get("event_ids"), "hop": e.get("depth"),
                                      "events": rel.get("n_events")}))

    # the subject's events, by role
    for ev in view["timeline"]:
        eid = ev["event_id"]
        if eid not in nodes:
            offence = ev.get("offence") or "event"
            nodes[eid] = Node(
                eid, "Event", f"{offence} ({as_day(ev.get('occurred_on')) or 'undated'})",
                date=as_day(ev.get("occurred_on")), source=ev.get("record_key"), source_type=ev.get("force"),
                attributes={"event id": eid, "offence": ev.get("offence"), "home office code": ev.get("ho_code"),
                            "offence group": ev.get("offence_group"), "domestic abuse": ev.get("da"),
                            "force": ev.get("force"), "record keys": [ev.get("record_key")]},
            )
        edges.append(Edge(person_id, eid, _words(ev.get("role")), date=as_day(ev.get("occurred_on")),
                          attributes={"relationship": ev.get("relationship"), "record key": ev.get("record_key")}))

    # orders: parties named only when visible; conditions as categories
    for o in view["orders"]:
        oid = o.get("order_id")
        if not oid:
            continue
        if oid not in nodes:
            nodes[oid] = Node(
                oid, "Order", _words(o.get("order_type") or "order"), date=as_day(o.get("made_on")),
                source=(split(o.get("record_keys")) or [None])[0], source_type=o.get("court"),
                attributes={"order id": oid, "order type": o.get("order_type"), "court": o.get("court"),
                            "made on": as_day(o.get("made_on")), "expires on": as_day(o.get("expires_on")),
                            "until further order": o.get("until_further_order"),
                            "conditions": condition_categories(o.get("conditions")),
                            "record keys": split(o.get("record_keys"))},
            )
        for role in ("respondent", "protected"):
            pid = o.get(f"{role}_id")
            if pid and pid in nodes:
                edges.append(Edge(pid, oid, role, date=as_day(o.get("made_on")), until=as_day(o.get("expires_on"))))
            elif pid:  # a party not otherwise on the chart, visible to this account
                named.append(pid)
                nodes[pid] = Node(pid, "Person", (graphq.people(g, [pid]).get(pid) or {}).get("name") or pid,
                                  attributes={"dots person id": pid})
                edges.append(Edge(pid, oid, role, date=as_day(o.get("made_on")), until=as_day(o.get("expires_on"))))
            elif o.get(f"{role}_held_by"):
                notes.append(f"The {role} of order {oid} is held by {_held(o[f'{role}_held_by'])}: not named.")

    # addresses: a confidential one never leaves (not even which one it is)
    withheld = 0
    for a in view["addresses"]:
        if a.get("confidential"):
            withheld += 1
            continue
        aid = a["address_id"]
        if aid not in nodes:
            nodes[aid] = Node(aid, "Location", a.get("address") or a.get("postcode") or "address",
                              source=a.get("record_key"),
                              attributes={"address id": aid, "postcode": a.get("postcode"),
                                          "record keys": [a.get("record_key")]})
        edges.append(Edge(person_id, aid, "lived at", date=as_day(a.get("first_seen")),
                          until=as_day(a.get("last_seen")), attributes={"record key": a.get("record_key")}))
    if withheld:
        notes.append(f"{withheld} confidential address record(s) withheld: never exported.")
    if net.get("truncated"):
        notes.append(f"The network was cut at {MAX_NETWORK_NODES} people.")
    for e in view.get("elsewhere") or []:
        notes.append(f"{e['count']} more record(s) held by {force_name(e['force_code']) or e['force_code']}.")
    chart = Chart(person_id, f"Network of {subject.label} ({person_id})", list(nodes.values()), edges,
                  author=author, notes=notes)
    chart, _ = walled_chart(chart, hidden or Hidden())
    chart.check()
    return chart, sorted(set(named) - (hidden or Hidden()).people)


def walled_chart(chart: Chart, hidden: Hidden) -> tuple[Chart, int]:
    """The chart with every node that names a walled record (api.policy.wall) replaced by one that
    says only that a record exists and who holds it, under an id of this chart only. A node's
    provenance (its source record, a list of its record keys or files) naming one is not the node
    itself: there only those items read "[restricted]" (the victim of a walled officer is shown;
    her court record of the order protecting her from him is not)."""
    if not hidden:
        return chart, 0
    alias: dict[str, str] = {}
    nodes = []
    for n in chart.nodes:
        hits = hidden.names(n.id) | hidden.names(n.label) | hidden.names(n.description)
        for v in n.attributes.values():
            if not isinstance(v, list | tuple):
                hits |= hidden.names(v)
        if not hits:
            listed = {k: [RESTRICTED if hidden.names(i) else i for i in v] for k, v in n.attributes.items()
                      if isinstance(v, list | tuple) and any(hidden.names(i) for i in v)}
            source = RESTRICTED if hidden.names(n.source) else n.source
            nodes.append(replace(n, source=source, attributes={**n.attributes, **listed})
                         if listed or source != n.source else n)
            continue
        alias[n.id] = f"{chart.subject_id}:walled-{len(alias) + 1}"
        held = _held(wall.stub(hidden, hits)["held_by"])
        nodes.append(Node(alias[n.id], n.kind, f"a record held by {held}", attributes={"held by": held}))
    if not alias:
        return chart, 0
    edges = [Edge(alias.get(e.src, e.src), alias.get(e.dst, e.dst), e.label, date=e.date, until=e.until,
                  confirmed=e.confirmed) if (e.src in alias or e.dst in alias) else e for e in chart.edges]
    notes = [*chart.notes, f"{len(alias)} record(s) held elsewhere: only that they exist is shown."]
    title = f"Network of {chart.subject_id}" if chart.subject_id in alias else chart.title
    return Chart(chart.subject_id, title, nodes, edges, author=chart.author, notes=notes), len(alias)
