"""Clare's Law (DVDS): the disclosure view of a subject, and right-to-know candidates.

The disclosure view holds what may inform a disclosure decision about subject B, as typed facts
only: B's domestic abuse history as suspect (offence by its Home Office classification, date,
force, outcome category), orders against B (type, court, dates, active or not, condition
categories, possible breaches), and how many previous partners and victims B has, as numbers.
Free text never passes through, because free text names people and places: an order's conditions
become categories (:mod:`reference.disclosable`) and no address of anyone, B's included, is in
the view. It never carries a previous victim's identity. The decision is always a person's.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import window_start
from graph.queries._common import as_date, cypher, kinds
from graph.queries.orders import possible_breaches
from reference.disclosable import condition_categories, outcome_category
from reference.offences import normalise_ho_code, offence_table

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
WHERE e.occurred_on <= $as_of AND q.person_id <> p.person_id
WITH q, v, e
WHERE e.da OR v.relationship IN $kinds
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

def disclosure_view(g: GraphBackend, person_id: str, as_of: dt.date) -> dict:
    """What may inform a disclosure about subject ``person_id`` as of ``as_of``.

    Returns a dict: subject, history (DataFrame of DA events as suspect: offence as classified,
    offence group, dates, forces, outcome category and the subject's source record keys), orders
    (DataFrame: type, court, dates, active flag, condition categories ';'-joined, possible breach
    event ids), previous_partners and victims (counts only). No free text, no address."""
    day = as_date(as_of)
    kind_list, _ = kinds("any")
    p = {"person": person_id, "as_of": day}
    subject = g.run(Q_SUBJECT, {"person": person_id})
    history = g.frame(Q_HISTORY, p,
                      columns=["event_id", "occurred_on", "force", "ho_code", "offence", "offence_group",
                               "is_crime", "outcome", "event_record_keys", "subject_records"])
    for col in ("event_record_keys", "subject_records"):
        history[col] = history[col].map(lambda ks: ";".join(sorted(ks or [])))
    history["offence"] = [offence_label(code, group)
                          for code, group in zip(history["ho_code"], history["offence_group"], strict=True)]
    history["outcome"] = history["outcome"].map(outcome_category)
    partners = g.run(Q_PARTNERS, p)
    victims = g.run(Q_VICTIMS, {**p, "kinds": kind_list})
    orders = g.frame(Q_ORDERS, p, columns=["order_id", "order_type", "court", "issued_by", "made_on",
                                           "expires_on", "until_further_order", "power_of_arrest",
                                           "conditions", "record_keys"])
    orders["condition_categories"] = orders.pop("conditions").map(lambda t: ";".join(condition_categories(t)))
    if not orders.empty:
        breaches = possible_breaches(g, until=day, respondent_id=person_id)
        by_order = breaches.groupby("order_id")["event_id"].agg(lambda s: ";".join(sorted(set(s))))
        orders["active"] = (orders["made_on"] <= day) & (
            orders["until_further_order"].astype(bool) | orders["expires_on"].isna()
            | (orders["expires_on"].map(lambda d: d is not None and d >= day)))
        orders["breach_event_ids"] = orders["order_id"].map(by_order).fillna("")
        orders["breaches"] = orders["breach_event_ids"].map(lambda s: len(s.split(";")) if s else 0)
        orders["record_keys"] = orders["record_keys"].map(lambda ks: ";".join(ks or []))
    return {
        "subject": subject[0] if subject else None,
        "as_of": day,
        "history": history,
        "orders": orders,
        "previous_partners": int(partners[0]["n"]) if partners else 0,
        "victims": int(victims[0]["n"]) if victims else 0,
    }


@cache
def _offence_names() -> dict[str, str]:
    table = offence_table()
    return dict(zip(table["ho_code"], table["description"], strict=True))


def offence_label(ho_code: str | None, group: str | None) -> str:
    """The offence as the Home Office classification names it (its code, else its class ``N/*``),
    else its offence group: never the description the source typed."""
    names = _offence_names()
    code = normalise_ho_code(ho_code) if isinstance(ho_code, str) else None
    if code:
        found = names.get(code) or names.get(code.split("/")[0] + "/*")
        if found:
            return found
    return (group or "other").replace("_", " ")


Q_RISKY = cypher("rtk_risky", """
MATCH (p:Person)-[s:SUSPECT_IN]->(e:Event)<-[v:VICTIM_IN]-(q:Person)
WHERE p.person_id <> q.person_id AND e.occurred_on <= $as_of
WITH p, e, v, q
WHERE e.da OR v.relationship IN $kinds
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
WHERE e.occurred_on >= $since AND e.occurred_on <= $as_of AND a.person_id <> p.person_id
WITH p, e, v, a
WHERE v.relationship = 'intimate'
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
WHERE l.last_seen >= $since AND m.last_seen >= $since AND l.first_seen <= $as_of AND m.first_seen <= $as_of
WITH p, a, ad
WHERE NOT ad.confidential AND a.person_id <> p.person_id
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
