"""Clare's Law (DVDS): the disclosure view of a subject, and right-to-know candidates.

The disclosure view holds what may inform a disclosure decision about subject B: B's domestic
abuse history as suspect, orders against B (active and past) with possible breaches, and how
many previous partners and victims B has — as numbers only. It never carries a previous
victim's identity (id, name or record key) nor any address that is confidential or that a
victim, partner or protected person also lived at. The decision is always a person's.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import window_start
from graph.queries._common import as_date, cypher, kinds
from graph.queries.orders import possible_breaches

Q_SUBJECT = cypher("disclosure_subject", """
MATCH (p:Person {person_id: $person})
RETURN p.person_id AS person_id, p.preferred_name AS name, p.dob AS dob, p.sex AS sex
""")

# Event.da holds the force's marker, the loader's judgement, or a victim naming a personal
# connection (graph.build), so one flag selects DA history.
Q_HISTORY = cypher("disclosure_history", """
MATCH (p:Person {person_id: $person})-[s:SUSPECT_IN]->(e:Event)
WHERE e.occurred_on <= $as_of AND e.da
RETURN e.event_id AS event_id, e.occurred_on AS occurred_on, e.force_code AS force, e.ho_code AS ho_code,
       e.offence AS offence, e.offence_group AS offence_group, e.is_crime AS is_crime,
       e.outcome AS outcome, e.record_keys AS event_record_keys,
       collect(DISTINCT s.record_key) AS subject_records
ORDER BY occurred_on, event_id
""")

Q_PARTNERS = cypher("disclosure_partners", """
MATCH (p:Person {person_id: $person})-[r:RELATED_TO]-(q:Person)
WHERE r.kind = 'intimate' AND r.first_seen <= $as_of
RETURN count(DISTINCT q.person_id) AS n
""")

Q_VICTIMS = cypher("disclosure_victims", """
MATCH (p:Person {person_id: $person})-[:SUSPECT_IN]->(e:Event)<-[v:VICTIM_IN]-(q:Person)
WHERE e.occurred_on <= $as_of AND q.person_id <> p.person_id AND (e.da OR v.relationship IN $kinds)
RETURN count(DISTINCT q.person_id) AS n
""")

Q_ORDERS = cypher("disclosure_orders", """
MATCH (o:`Order`)-[:AGAINST]->(p:Person {person_id: $person})
WHERE o.made_on <= $as_of
RETURN o.order_id AS order_id, o.order_type AS order_type, o.court_name AS court, o.issued_by AS issued_by,
       o.made_on AS made_on, o.expires_on AS expires_on, o.until_further_order AS until_further_order,
       o.power_of_arrest AS power_of_arrest, o.conditions AS conditions, o.record_keys AS record_keys
ORDER BY made_on, order_id
""")

# Names of everyone B's orders protect or B's events name as victim: redacted from free text.
Q_OTHERS = cypher("disclosure_others", """
MATCH (p:Person {person_id: $person})-[:SUSPECT_IN]->(:Event)<-[:VICTIM_IN]-(q:Person)
WHERE q.person_id <> p.person_id
RETURN DISTINCT q.person_id AS person_id
UNION
MATCH (p:Person {person_id: $person})<-[:AGAINST]-(o:`Order`)
MATCH (o)-[:PROTECTS]->(q:Person)
RETURN DISTINCT q.person_id AS person_id
UNION
MATCH (p:Person {person_id: $person})-[:RELATED_TO]-(q:Person)
RETURN DISTINCT q.person_id AS person_id
""")

Q_NAMES = cypher("disclosure_names", """
MATCH (q:Person {person_id: $person})-[:HAS_RECORD]->(r:PersonRecord)
RETURN DISTINCT r.surname AS surname, r.forenames AS forenames
""")

# Only addresses the subject alone is recorded at: one a partner or victim shared would reveal
# theirs, and refuges and safe addresses (confidential) never appear.
Q_SUBJECT_ADDRESSES = cypher("disclosure_addresses", """
MATCH (p:Person {person_id: $person})-[l:LIVED_AT]->(a:Address)
WHERE NOT a.confidential AND l.first_seen <= $as_of
  AND NOT EXISTS { MATCH (a)<-[:LIVED_AT]-(q:Person) WHERE q.person_id <> p.person_id }
RETURN a.address_id AS address_id, a.address AS address, a.postcode AS postcode,
       min(l.first_seen) AS first_seen, max(l.last_seen) AS last_seen
ORDER BY last_seen DESC, address_id
""")


def disclosure_view(g: GraphBackend, person_id: str, as_of: dt.date) -> dict:
    """What may inform a disclosure about subject ``person_id`` as of ``as_of``.

    Returns a dict: subject, history (DataFrame of DA events as suspect with offences, dates,
    forces, outcomes and the subject's source record keys), orders (DataFrame: active flag,
    possible breach event ids), previous_partners and victims (counts only), addresses (the
    subject's own, never confidential nor shared with anyone else in the graph)."""
    day = as_date(as_of)
    kind_list, _ = kinds("any")
    p = {"person": person_id, "as_of": day}
    subject = g.run(Q_SUBJECT, {"person": person_id})
    history = g.frame(Q_HISTORY, p,
                      columns=["event_id", "occurred_on", "force", "ho_code", "offence", "offence_group",
                               "is_crime", "outcome", "event_record_keys", "subject_records"])
    for col in ("event_record_keys", "subject_records"):
        history[col] = history[col].map(lambda ks: ";".join(sorted(ks or [])))
    partners = g.run(Q_PARTNERS, p)
    victims = g.run(Q_VICTIMS, {**p, "kinds": kind_list})
    orders = g.frame(Q_ORDERS, p, columns=["order_id", "order_type", "court", "issued_by", "made_on",
                                           "expires_on", "until_further_order", "power_of_arrest",
                                           "conditions", "record_keys"])
    if not orders.empty:
        others = sorted({r["person_id"] for r in g.run(Q_OTHERS, {"person": person_id})})
        breaches = possible_breaches(g, until=day, respondent_id=person_id)
        by_order = breaches.groupby("order_id")["event_id"].agg(lambda s: ";".join(sorted(set(s))))
        orders["active"] = (orders["made_on"] <= day) & (
            orders["until_further_order"].astype(bool) | orders["expires_on"].isna()
            | (orders["expires_on"].map(lambda d: d is not None and d >= day)))
        orders["breach_event_ids"] = orders["order_id"].map(by_order).fillna("")
        orders["breaches"] = orders["breach_event_ids"].map(lambda s: len(s.split(";")) if s else 0)
        orders["record_keys"] = orders["record_keys"].map(lambda ks: ";".join(ks or []))
        names = _names(g, others)
        orders["conditions"] = orders["conditions"].map(lambda t: _redact(t, names))
    addresses = g.frame(Q_SUBJECT_ADDRESSES, p, columns=["address_id", "address", "postcode", "first_seen",
                                                         "last_seen"])
    return {
        "subject": subject[0] if subject else None,
        "as_of": day,
        "history": history,
        "orders": orders,
        "previous_partners": int(partners[0]["n"]) if partners else 0,
        "victims": int(victims[0]["n"]) if victims else 0,
        "addresses": addresses,
    }


def _names(g: GraphBackend, ids: list[str]) -> list[str]:
    if not ids:
        return []
    names = set()
    for r in (row for pid in ids for row in g.run(Q_NAMES, {"person": pid})):
        for part in (r["surname"], r["forenames"]):
            names.update(w for w in re.split(r"\s+", part or "") if len(w) > 1)
    return sorted(names, key=len, reverse=True)


def _redact(text: str | None, names: list[str]) -> str | None:
    """Free text with other people's names replaced: conditions often name the protected person."""
    if not text or not names:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
    return pattern.sub("[name withheld]", text)


Q_RISKY = cypher("rtk_risky", """
MATCH (p:Person)-[s:SUSPECT_IN]->(e:Event)<-[v:VICTIM_IN]-(q:Person)
WHERE p.person_id <> q.person_id AND (e.da OR v.relationship IN $kinds) AND e.occurred_on <= $as_of
WITH p, count(DISTINCT CASE WHEN v.relationship = 'intimate' THEN q.person_id END) AS partners_harmed,
     collect(DISTINCT e.event_id) AS event_ids
RETURN p.person_id AS person_id, partners_harmed, event_ids
""")

Q_HARM = cypher("rtk_harm", """
MATCH (p:Person)-[:SUSPECT_IN]->(e:Event)
WHERE e.da AND e.occurred_on >= $since AND e.occurred_on <= $as_of
WITH DISTINCT p, e
RETURN p.person_id AS person_id, sum(e.gravity) AS harm
""")

Q_RTK_EVENTS = cypher("rtk_recent_partner", """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[:SUSPECT_IN]->(e:Event)<-[v:VICTIM_IN]-(a:Person)
WHERE v.relationship = 'intimate' AND e.occurred_on >= $since AND e.occurred_on <= $as_of
  AND a.person_id <> p.person_id
RETURN p.person_id AS perpetrator_id, a.person_id AS candidate_id, 'recent_event_as_partner' AS basis,
       collect(DISTINCT e.event_id) AS evidence
""")

Q_RTK_ORDERS = cypher("rtk_new_order", """
UNWIND $ids AS pid
MATCH (o:`Order`)-[:AGAINST]->(p:Person {person_id: pid})
MATCH (o)-[:PROTECTS]->(a:Person)
WHERE o.made_on >= $since AND o.made_on <= $as_of AND a.person_id <> p.person_id
RETURN p.person_id AS perpetrator_id, a.person_id AS candidate_id, 'protected_by_new_order' AS basis,
       collect(DISTINCT o.order_id) AS evidence
""")

Q_RTK_ADDRESS = cypher("rtk_shared_address", """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[l:LIVED_AT]->(ad:Address)
MATCH (a:Person)-[m:LIVED_AT]->(ad)
WHERE NOT ad.confidential AND a.person_id <> p.person_id
  AND l.last_seen >= $since AND m.last_seen >= $since AND l.first_seen <= $as_of AND m.first_seen <= $as_of
RETURN p.person_id AS perpetrator_id, a.person_id AS candidate_id, 'shared_address' AS basis,
       collect(DISTINCT ad.address_id) AS evidence
""")


def right_to_know_candidates(g: GraphBackend, as_of: dt.date, recent_days: int = 365, min_victims: int = 2,
                             high_harm_days: float = 365.0, harm_window_days: int = 730) -> pd.DataFrame:
    """People who may be at risk from a serial or high-harm perpetrator (police-initiated route).

    A perpetrator qualifies with ``min_victims`` or more distinct intimate-partner victims, or
    summed DA harm of at least ``high_harm_days`` over ``harm_window_days``. A candidate is in a
    current or recent relationship with one: a shared (non-confidential) address, an event as
    intimate partner, or protection by an order made within ``recent_days``. Columns:
    candidate_id, perpetrator_id, basis, evidence (event / order / address ids), serial,
    high_harm, partners_harmed, harm. Candidates for a person to review, never a decision."""
    day = as_date(as_of)
    kind_list, _ = kinds("any")
    cols = ["candidate_id", "perpetrator_id", "basis", "evidence", "serial", "high_harm", "partners_harmed",
            "harm"]
    risky = g.frame(Q_RISKY, {"kinds": kind_list, "as_of": day},
                    columns=["person_id", "partners_harmed", "event_ids"])
    harm = g.frame(Q_HARM, {"since": window_start(day, harm_window_days), "as_of": day},
                   columns=["person_id", "harm"])
    perps = risky.merge(harm, on="person_id", how="outer").fillna({"partners_harmed": 0, "harm": 0.0})
    perps["serial"] = perps["partners_harmed"] >= min_victims
    perps["high_harm"] = perps["harm"] >= high_harm_days
    perps = perps[perps["serial"] | perps["high_harm"]]
    ids = sorted(perps["person_id"])
    if not ids:
        return pd.DataFrame(columns=cols)
    params = {"ids": ids, "since": window_start(day, recent_days), "as_of": day}
    found = pd.concat([g.frame(q, params, columns=["perpetrator_id", "candidate_id", "basis", "evidence"])
                       for q in (Q_RTK_EVENTS, Q_RTK_ORDERS, Q_RTK_ADDRESS)], ignore_index=True)
    if found.empty:
        return pd.DataFrame(columns=cols)
    found["evidence"] = found["evidence"].map(lambda e: ";".join(sorted(e)))
    out = found.groupby(["candidate_id", "perpetrator_id"], as_index=False).agg(
        basis=("basis", lambda s: ";".join(sorted(set(s)))), evidence=("evidence", lambda s: ";".join(s)))
    out = out.merge(perps[["person_id", "serial", "high_harm", "partners_harmed", "harm"]],
                    left_on="perpetrator_id", right_on="person_id").drop(columns="person_id")
    out["partners_harmed"] = out["partners_harmed"].astype(int)
    return out[cols].sort_values(["perpetrator_id", "candidate_id"]).reset_index(drop=True)
