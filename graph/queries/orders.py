"""Protective orders: active on a date, expiring soon, court orders the police do not hold, breaches.

An order is active on day D when made on or before D and not expired; "until further order"
has no end. An order with neither an end date nor "until further order" is treated as active
and flagged ``end_unknown`` (the safer reading for protection). A court order absent from police
data is not evidence that no order exists.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import EPOCH, FAR_FUTURE
from graph.queries._common import as_date, cypher
from graph.queries.safeguarding import bail_as_orders, bail_breaches

ORDER_FIELDS = """o.order_id AS order_id, o.order_type AS order_type, o.court_name AS court,
       o.issued_by AS issued_by, o.made_on AS made_on, o.expires_on AS expires_on,
       o.until_further_order AS until_further_order, o.power_of_arrest AS power_of_arrest,
       o.conditions AS conditions, o.record_keys AS record_keys"""

ACTIVE = ("o.made_on <= $day AND (o.until_further_order OR o.expires_on IS NULL "
          "OR o.expires_on >= $day)")

_ORDER_PEOPLE = """
MATCH (o:`Order`)-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)"""
_ORDER_RETURN = f"""
RETURN {ORDER_FIELDS}, r.person_id AS respondent_id, v.person_id AS protected_id
ORDER BY made_on, order_id
"""

# One text per filter: an "$x = '' OR ..." filter costs a scan of every address link.
Q_ORDERS_ACTIVE = cypher("orders_active", f"{_ORDER_PEOPLE}\nWHERE {ACTIVE}{_ORDER_RETURN}")

# Anchored on the person's key from both ends (the OR filter over every order scanned them all);
# a UNION cannot be ordered as a whole on Neo4j 5 without CALL {}: sorted in Python.
Q_ORDERS_ACTIVE_PERSON = cypher("orders_active_person", f"""
MATCH (r:Person {{person_id: $person}})<-[:AGAINST]-(o:`Order`)
MATCH (o)-[:PROTECTS]->(v:Person)
WHERE {ACTIVE}
RETURN {ORDER_FIELDS}, r.person_id AS respondent_id, v.person_id AS protected_id
UNION ALL
MATCH (v:Person {{person_id: $person}})<-[:PROTECTS]-(o:`Order`)
MATCH (o)-[:AGAINST]->(r:Person)
WHERE {ACTIVE} AND r.person_id <> $person
RETURN {ORDER_FIELDS}, r.person_id AS respondent_id, v.person_id AS protected_id
""")

Q_ORDERS_ACTIVE_ADDRESS = cypher("orders_active_address", f"""{_ORDER_PEOPLE}
WHERE {ACTIVE}
  AND (EXISTS {{ MATCH (r)-[:LIVED_AT]->(a:Address) WHERE a.address_id = $address }}
       OR EXISTS {{ MATCH (v)-[:LIVED_AT]->(a:Address) WHERE a.address_id = $address }}){_ORDER_RETURN}""")

ORDER_COLUMNS = ["order_id", "order_type", "court", "issued_by", "made_on", "expires_on",
                 "until_further_order", "power_of_arrest", "conditions", "record_keys", "respondent_id",
                 "protected_id"]


def orders_active(g: GraphBackend, on: dt.date, person_id: str | None = None,
                  address_id: str | None = None, include_bail: bool = False) -> pd.DataFrame:
    """Orders active on ``on`` against or protecting a person, or involving anyone who lived at an
    address (respondent or protected). With neither, every active order. ``include_bail`` adds
    bail conditions protecting a person that run on the day (``order_type`` BAIL_CONDITIONS; not
    with ``address_id``)."""
    if include_bail:
        out = orders_active(g, on, person_id=person_id, address_id=address_id)
        if address_id:
            return out
        bail = _finish(bail_as_orders(g, as_date(on), person_id))
        return pd.concat([x for x in (out, bail) if len(x)] or [out], ignore_index=True)
    params: dict = {"day": as_date(on)}
    if person_id and address_id:
        out = orders_active(g, on, person_id=person_id)
        return out[out["order_id"].isin(orders_active(g, on, address_id=address_id)["order_id"])]
    if person_id:
        text, params["person"] = Q_ORDERS_ACTIVE_PERSON, person_id
    elif address_id:
        text, params["address"] = Q_ORDERS_ACTIVE_ADDRESS, address_id
    else:
        text = Q_ORDERS_ACTIVE
    out = g.frame(text, params, columns=ORDER_COLUMNS)
    if person_id and not out.empty:  # a UNION: ORDER BY made_on, order_id here (nulls last)
        out = out.sort_values(["made_on", "order_id"], na_position="last", kind="stable").reset_index(drop=True)
    return _finish(out)


Q_ORDERS_EXPIRING = cypher("orders_expiring", f"""
MATCH (o:`Order`)-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)
WHERE o.made_on <= $day AND o.expires_on >= $day AND o.expires_on <= $until
RETURN {ORDER_FIELDS}, r.person_id AS respondent_id, v.person_id AS protected_id
ORDER BY expires_on, order_id
""")


def orders_expiring(g: GraphBackend, as_of: dt.date, days: int = 28) -> pd.DataFrame:
    """Orders in force on ``as_of`` whose end date falls within the next ``days`` days."""
    on = as_date(as_of)
    params = {"day": on, "until": on + dt.timedelta(days=days)}
    out = g.frame(Q_ORDERS_EXPIRING, params, columns=ORDER_COLUMNS)
    return _finish(out)


Q_COURT_ONLY = cypher("court_only_orders", f"""
MATCH (o:`Order`)-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)
WHERE o.court_only
RETURN DISTINCT {ORDER_FIELDS}, r.person_id AS respondent_id, v.person_id AS protected_id,
       EXISTS {{ MATCH (r)-[:HAS_RECORD]->(x:PersonRecord) WHERE x.source_system <> 'court' }}
         AS respondent_known_to_police,
       EXISTS {{ MATCH (v)-[:HAS_RECORD]->(x:PersonRecord) WHERE x.source_system <> 'court' }}
         AS protected_known_to_police
ORDER BY made_on, order_id
""")


def court_only_orders(g: GraphBackend, known_people_only: bool = False) -> pd.DataFrame:
    """Court orders the police may not hold, each order once: the API's, the pages' and
    ``dots court-only-orders``' list, and the orders ``dots export orders`` flags ``court_only``.

    The definition is linkage's (:func:`linkage.entities.run.held_only_by_courts`, carried on the
    order as ``court_only``): no police extract records the order or a breach of it.
    ``respondent_known_to_police`` / ``protected_known_to_police`` say whether police records know
    either party (the actionable list: a force that knows the people but not the order);
    ``known_people_only`` keeps the orders whose respondent or protected person police records
    know. An order whose court files name its parties as two people each (not yet resolved into
    one) lists both, ``;``-joined."""
    out = g.frame(Q_COURT_ONLY, {}, columns=[*ORDER_COLUMNS, "respondent_known_to_police",
                                             "protected_known_to_police"])
    if not out.empty:
        people = ["respondent_id", "protected_id"]
        known = ["respondent_known_to_police", "protected_known_to_police"]
        first = out.drop_duplicates("order_id").set_index("order_id")
        grouped = out.groupby("order_id", sort=False)
        for col in people:
            first[col] = grouped[col].agg(lambda s: ";".join(sorted(set(s.dropna()))))
        for col in known:
            first[col] = grouped[col].agg(lambda s: bool(s.astype(bool).any()))
        out = first.reset_index()[out.columns]
    if known_people_only:
        out = out[out["respondent_known_to_police"].astype(bool) | out["protected_known_to_police"].astype(bool)]
    return _finish(out.reset_index(drop=True))


ROLES = "SUSPECT_IN|VICTIM_IN|WITNESS_IN|OTHER_IN"

_BREACH_MATCH = f"""
MATCH (r)-[a:{ROLES}]->(e:Event)
MATCH (v)-[b:{ROLES}]->(e)
WHERE r.person_id <> v.person_id
  AND e.occurred_on >= o.made_on
  AND (o.until_further_order OR o.expires_on IS NULL OR e.occurred_on <= o.expires_on)
  AND e.occurred_on >= $since AND e.occurred_on <= $until
RETURN DISTINCT o.order_id AS order_id, o.order_type AS order_type, e.event_id AS event_id,
       e.occurred_on AS occurred_on, e.force_code AS force, e.offence AS offence,
       r.person_id AS respondent_id, v.person_id AS protected_id,
       a.record_key AS respondent_record, b.record_key AS protected_record
ORDER BY occurred_on, order_id, event_id
"""

# All orders: start from the events in the window (usually a few weeks), then their people.
Q_BREACHES = cypher("possible_breaches", f"""
MATCH (e:Event) WHERE e.occurred_on >= $since AND e.occurred_on <= $until
MATCH (r:Person)-[a:{ROLES}]->(e)
MATCH (v:Person)-[b:{ROLES}]->(e)
WHERE r.person_id <> v.person_id
MATCH (o:`Order`)-[:AGAINST]->(r)
MATCH (o)-[:PROTECTS]->(v)
WHERE e.occurred_on >= o.made_on
  AND (o.until_further_order OR o.expires_on IS NULL OR e.occurred_on <= o.expires_on)
RETURN DISTINCT o.order_id AS order_id, o.order_type AS order_type, e.event_id AS event_id,
       e.occurred_on AS occurred_on, e.force_code AS force, e.offence AS offence,
       r.person_id AS respondent_id, v.person_id AS protected_id,
       a.record_key AS respondent_record, b.record_key AS protected_record
ORDER BY occurred_on, order_id, event_id
""")

# One respondent (the disclosure view): key lookups, intersected in Python, instead of a
# multi-way join over every order (~25 ms -> ~3 ms on 100k people).
Q_ORDERS_AGAINST = cypher("orders_against", """
MATCH (r:Person {person_id: $person})<-[:AGAINST]-(o:`Order`)
MATCH (o)-[:PROTECTS]->(v:Person)
RETURN o.order_id AS order_id, o.order_type AS order_type, o.made_on AS made_on, o.expires_on AS expires_on,
       o.until_further_order AS until_further_order, v.person_id AS protected_id
""")

Q_PERSON_EVENTS = cypher("person_events_any_role", f"""
MATCH (p:Person {{person_id: $person}})-[x:{ROLES}]->(e:Event)
RETURN DISTINCT e.event_id AS event_id, e.occurred_on AS occurred_on, e.force_code AS force,
       e.offence AS offence, x.record_key AS record_key
""")

Q_BREACHES_ORDER = cypher("possible_breaches_order", """
MATCH (o:`Order` {order_id: $order_ref})-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)""" + _BREACH_MATCH)

BREACH_COLUMNS = ["order_id", "order_type", "event_id", "occurred_on", "force", "offence", "respondent_id",
                  "protected_id", "respondent_record", "protected_record"]


def possible_breaches(g: GraphBackend, since: dt.date | None = None, until: dt.date | None = None,
                      order_id: str | None = None, respondent_id: str | None = None,
                      include_bail: bool = False) -> pd.DataFrame:
    """Events involving an order's respondent and protected person (any roles) while it was active.
    ``include_bail`` adds incidents by a bailed suspect against the person the conditions protect
    while they ran (``order_type`` BAIL_CONDITIONS, ``order_id`` the bail period).

    Possible, not proven: an officer decides whether contact breached the conditions."""
    params = {"since": as_date(since) or EPOCH, "until": as_date(until) or FAR_FUTURE}
    if include_bail:
        out = possible_breaches(g, since, until, order_id=order_id, respondent_id=respondent_id)
        bail = bail_breaches(g, params["since"], params["until"])[BREACH_COLUMNS]
        if order_id:
            bail = bail[bail["order_id"] == order_id]
        if respondent_id:
            bail = bail[bail["respondent_id"] == respondent_id]
        out = pd.concat([x for x in (out, bail) if len(x)] or [out], ignore_index=True)
        return out.sort_values(["occurred_on", "order_id", "event_id"], kind="stable").reset_index(drop=True)
    if order_id:
        out = g.frame(Q_BREACHES_ORDER, {**params, "order_ref": order_id}, columns=BREACH_COLUMNS)
        if respondent_id:
            out = out[out["respondent_id"] == respondent_id]
    elif respondent_id:
        out = _breaches_of(g, respondent_id, params["since"], params["until"])
    else:
        out = g.frame(Q_BREACHES, params, columns=BREACH_COLUMNS)
    out = out.drop_duplicates(["order_id", "event_id", "respondent_id", "protected_id"])
    return out.reset_index(drop=True)


def _breaches_of(g: GraphBackend, person: str, since: dt.date, until: dt.date) -> pd.DataFrame:
    """possible_breaches for one respondent, from key lookups."""
    orders = g.frame(Q_ORDERS_AGAINST, {"person": person})
    orders = orders[orders["protected_id"] != person] if not orders.empty else orders
    if orders.empty:
        return pd.DataFrame(columns=BREACH_COLUMNS)
    ev_cols = ["event_id", "occurred_on", "force", "offence", "record_key"]
    mine = g.frame(Q_PERSON_EVENTS, {"person": person}, columns=ev_cols)
    theirs = {v: g.frame(Q_PERSON_EVENTS, {"person": v}, columns=ev_cols)
              for v in set(orders["protected_id"])}
    rows = []
    for o in orders.itertuples():
        joint = mine.merge(theirs[o.protected_id][["event_id", "record_key"]], on="event_id",
                           suffixes=("", "_v"))
        for e in joint.itertuples():
            day = e.occurred_on
            if (day >= o.made_on and (o.until_further_order or o.expires_on is None or day <= o.expires_on)
                    and since <= day <= until):
                rows.append({"order_id": o.order_id, "order_type": o.order_type, "event_id": e.event_id,
                             "occurred_on": day, "force": e.force, "offence": e.offence,
                             "respondent_id": person,
                             "protected_id": o.protected_id, "respondent_record": e.record_key,
                             "protected_record": e.record_key_v})
    out = pd.DataFrame(rows, columns=BREACH_COLUMNS)
    return out.sort_values(["occurred_on", "order_id", "event_id"]).reset_index(drop=True)


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    out["end_unknown"] = out["expires_on"].isna() & ~out["until_further_order"].astype(bool)
    out["record_keys"] = out["record_keys"].map(lambda ks: ";".join(ks or []))
    return out

