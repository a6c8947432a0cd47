"""Records due for MoPI review as of a day: events, arrests (custody records), notices and court
orders, each in its group by the configured rules (:mod:`reference.retention`), with the review
that is due, why, and whom the record is about.

A record's *subjects* are the people it is held about: an event's suspects, the person arrested,
the person a notice was served on, an order's respondent. Their dates of birth set the end of
group 1 retention (deemed 100); victims and witnesses do not. One row per record key as the exports
write it: an event's ``{force}/{occurrence_ref}`` (an event two records describe has two rows, one
per record to review), ``{force}/custody/{custody_ref}``, the notice key, the order's case number.
Court orders belong to no force: ``force`` narrows to the force's own records and leaves orders out.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import ANY
from graph.queries._common import as_date, cypher, resolve_force
from reference.retention import RetentionRules, load_retention_rules, offence_group_of

COLUMNS = ["record_key", "group", "review_on", "kind", "record_date", "reason", "rule", "person_ids",
           "dob_known", "retain_until", "next_review_on", "force_code", "offence_group", "da"]

Q_EVENTS = cypher("retention_events", """
MATCH (e:Event)
WHERE e.occurred_on <= $as_of AND ($force = '' OR e.force_code = $force)
OPTIONAL MATCH (p:Person)-[:SUSPECT_IN]->(e)
RETURN e.event_id AS id, e.record_keys AS record_keys, e.occurred_on AS record_date, e.force_code AS force_code,
       e.ho_code AS ho_code, e.offence_group AS offence_group, e.da AS da, p.person_id AS person_id, p.dob AS dob
""")

Q_CUSTODY = cypher("retention_custody", """
MATCH (p:Person)-[:ARRESTED]->(c:Custody)
WHERE c.arrested_on <= $as_of AND ($force = '' OR c.force_code = $force)
OPTIONAL MATCH (c)-[:ARRESTED_FOR]->(e:Event)
RETURN c.custody_key AS id, c.arrested_on AS record_date, c.force_code AS force_code, c.ho_code AS ho_code,
       e.offence_group AS event_group, e.da AS da, p.person_id AS person_id, p.dob AS dob
""")

Q_NOTICES = cypher("retention_notices", """
MATCH (n:Notice)
WHERE n.served_on <= $as_of AND ($force = '' OR n.force_code = $force)
OPTIONAL MATCH (n)-[:SERVED]->(p:Person)
RETURN n.notice_key AS id, n.served_on AS record_date, n.force_code AS force_code, n.notice_type AS notice_type,
       p.person_id AS person_id, p.dob AS dob
""")

Q_ORDERS = cypher("retention_orders", """
MATCH (o:`Order`)
WHERE o.made_on <= $as_of
OPTIONAL MATCH (o)-[:AGAINST]->(p:Person)
RETURN o.order_id AS id, o.record_keys AS record_keys, o.made_on AS record_date, o.order_type AS order_type,
       p.person_id AS person_id, p.dob AS dob
""")


def retention_review(g: GraphBackend, as_of: dt.date, force: str | None = None,
                     rules: RetentionRules | None = None) -> pd.DataFrame:
    """Every record whose review is due on or before ``as_of``: columns :data:`COLUMNS`, the
    earliest due first."""
    rules = rules or load_retention_rules()
    day = as_date(as_of)
    code = resolve_force(g, force) if force else None
    params = {"as_of": day, "force": code or ANY}
    rows: list[dict] = []
    for kind, text in (("event", Q_EVENTS), ("custody", Q_CUSTODY), ("notice", Q_NOTICES), ("order", Q_ORDERS)):
        if kind == "order" and code:
            continue
        found = g.frame(text, params)
        if found.empty:
            continue
        for _, grp in found.groupby("id", sort=False):
            rows.extend(_due(kind, grp, rules, day))
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["review_on", "record_key"], kind="stable").reset_index(drop=True)


def _due(kind: str, grp: pd.DataFrame, rules: RetentionRules, day: dt.date) -> list[dict]:
    first = grp.iloc[0]
    facts = {"kind": kind, "da": bool(first.get("da")) if pd.notna(first.get("da")) else False,
             "ho_code": first.get("ho_code") if pd.notna(first.get("ho_code")) else None,
             "order_type": first.get("order_type"), "notice_type": first.get("notice_type")}
    group_col = first.get("offence_group")
    if kind == "custody":  # what the arrest was for: its own HO code, else the occurrence's group
        group_col = offence_group_of(facts["ho_code"]) or (first.get("event_group")
                                                            if pd.notna(first.get("event_group")) else None)
    facts["offence_group"] = group_col if isinstance(group_col, str) else None
    group, rule = rules.group_of(facts)
    subjects = grp.dropna(subset=["person_id"]).drop_duplicates("person_id")
    dobs = [_day(d) for d in subjects["dob"]]
    record_date = _day(first["record_date"])
    if record_date is None:
        return []  # every query asks for a record date on or before the day: never reached
    review = rules.review(group, record_date, dobs, day)
    if review is None:
        return []
    keys = first.get("record_keys") if kind in ("event", "order") else [first["id"]]
    keys = list(keys) if keys is not None and len(keys) else [first["id"]]
    base = {"group": group, "review_on": review.review_on, "kind": kind, "record_date": record_date,
            "reason": review.reason if len(subjects) else review.reason + " (no subject recorded)",
            "rule": rule, "person_ids": ";".join(sorted(subjects["person_id"].astype(str))),
            "dob_known": bool(dobs) and all(d is not None for d in dobs), "retain_until": review.retain_until,
            "next_review_on": review.next_review_on, "force_code": first.get("force_code"),
            "offence_group": facts["offence_group"], "da": facts["da"]}
    return [{"record_key": k, **base} for k in sorted(set(keys))]


def _day(value: object) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return as_date(value)
