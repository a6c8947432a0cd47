"""The safeguarding lists: duties whose clock has run out, is about to, or ran with no authority.

Four lists for DA teams, each judged as of a date from the graph's dated facts and the rules of
:mod:`reference.safeguarding` (a YAML file: bail limits keyed on the arrest date's regime, RUI
review period, the DVPO hearing's 48 hours and the caseworker's 2 working days, Operation
Encompass's next school day, the protection-gap windows):

- ``bail``: pre-charge bail lapsed or due to lapse with no recorded decision, a period beyond its
  authoriser's limit, bail cancelled into RUI without an inspector's authority and a rationale, an
  open RUI with no review in the configured period;
- ``notices``: DVPNs/DAPNs whose hearing is due, late or missing, DVPNs whose DVPO caseworker
  referral is late, missing or came after the DVPO expired;
- ``gaps``: orders and bail conditions that end around the date with nothing following for the
  protected person while the perpetrator is still active;
- ``encompass``: school-age children at DA incidents whose school was told late, not at all, or is
  due to be told.

Every row names its rule, its dates and what was missing (``explanation``) and the extract line the
fact came from. Facts dated after the date asked are not yet known on it. Lists support people's
decisions; the officer decides. Cypher fetches facts (parameters only); the clocks are counted in
Python because working days need the maintained calendar.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath

import numpy as np
import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import ANY, nonempty
from graph.queries._common import as_date, cypher, resolve_force
from reference.forces import force_name
from reference.safeguarding import Rules, add_months, age_on, hearing_due, load_rules, referral_due, school_due

LISTS = ("bail", "notices", "gaps", "encompass")

Q_BAIL = cypher("safeguarding_bail", """
MATCH (p:Person)-[a:ARRESTED]->(c:Custody)-[:HAS_BAIL]->(b:BailPeriod)
WHERE $force = '' OR c.force_code = $force
RETURN c.custody_key AS custody_key, c.custody_ref AS custody_ref, c.force_code AS force_code,
       c.regime AS regime, c.arrested_on AS arrested_on, p.person_id AS person_id, a.record_key AS record_key,
       b.period_id AS period_id, b.period_no AS period_no, b.starts_on AS starts_on, b.ends_on AS ends_on,
       b.set_by AS set_by, b.authorised_by_rank AS authorised_by_rank, b.has_conditions AS has_conditions,
       b.decision AS decision, b.decided_on AS decided_on, b.conditions AS conditions,
       b.source_file AS source_file, b.source_line AS source_line
""")
BAIL_FACTS = ["custody_key", "custody_ref", "force_code", "regime", "arrested_on", "person_id", "record_key",
              "period_id", "period_no", "starts_on", "ends_on", "set_by", "authorised_by_rank", "has_conditions",
              "decision", "decided_on", "conditions", "source_file", "source_line"]

Q_BAIL_PROTECTED = cypher("safeguarding_bail_protected", """
MATCH (c:Custody)-[:HAS_BAIL]->(b:BailPeriod)-[x:BAIL_PROTECTS]->(v:Person)
WHERE $force = '' OR c.force_code = $force
RETURN b.period_id AS period_id, v.person_id AS protected_id, x.record_key AS protected_record
""")

Q_RUI = cypher("safeguarding_rui", """
MATCH (p:Person)-[a:ARRESTED]->(c:Custody)-[:HAS_RUI]->(r:RuiPeriod)
WHERE $force = '' OR c.force_code = $force
RETURN c.custody_key AS custody_key, c.custody_ref AS custody_ref, c.force_code AS force_code,
       c.regime AS regime, c.arrested_on AS arrested_on, p.person_id AS person_id, a.record_key AS record_key,
       r.rui_id AS rui_id, r.starts_on AS starts_on, r.start_known AS start_known, r.from_bail AS from_bail,
       r.authorised_by_rank AS authorised_by_rank, r.rationale AS rationale, r.last_review_on AS last_review_on,
       r.open AS open_now, r.source_file AS source_file, r.source_line AS source_line
""")
RUI_FACTS = ["custody_key", "custody_ref", "force_code", "regime", "arrested_on", "person_id", "record_key",
             "rui_id", "starts_on", "start_known", "from_bail", "authorised_by_rank", "rationale", "last_review_on",
             "open_now", "source_file", "source_line"]

Q_NOTICES = cypher("safeguarding_notices", """
MATCH (n:Notice)-[s:SERVED]->(p:Person)
MATCH (n)-[x:NOTICE_PROTECTS]->(v:Person)
WHERE $force = '' OR n.force_code = $force
RETURN n.notice_key AS notice_key, n.notice_ref AS notice_ref, n.notice_type AS notice_type,
       n.force_code AS force_code, n.served_at AS served_at, n.authorised_by_rank AS authorised_by_rank,
       n.application_made_at AS application_made_at, n.hearing_at AS hearing_at,
       n.hearing_outcome AS hearing_outcome, p.person_id AS person_id, s.record_key AS record_key,
       v.person_id AS protected_id, n.source_file AS source_file, n.source_line AS source_line
""")
NOTICE_FACTS = ["notice_key", "notice_ref", "notice_type", "force_code", "served_at", "authorised_by_rank",
                "application_made_at", "hearing_at", "hearing_outcome", "person_id", "record_key", "protected_id",
                "source_file", "source_line"]

Q_NOTICE_REFERRALS = cypher("safeguarding_notice_referrals", """
MATCH (r:Referral)-[:FOR_NOTICE]->(n:Notice)
WHERE r.service = $service AND ($force = '' OR n.force_code = $force)
RETURN n.notice_key AS notice_key, r.referral_key AS referral_key, r.sent_at AS sent_at
""")

Q_DVPOS = cypher("safeguarding_dvpos", """
MATCH (o:`Order`)-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)
WHERE o.order_type = $order_type
RETURN o.order_id AS order_id, o.made_on AS made_on, o.expires_on AS expires_on,
       r.person_id AS person_id, v.person_id AS protected_id
""")

# The link's filter and the join on its record key each after WITH, apart from the node's filter
# (graph.dialect.mixed_filters: on Ladybug 0.22 the one-WHERE form lost 14 of 1,023 children).
Q_CHILDREN = cypher("safeguarding_children", """
MATCH (c:Person)-[x:OTHER_IN]->(e:Event)
WHERE $force = '' OR e.force_code = $force
WITH c, x, e
WHERE lower(x.relationship_raw) = $child
MATCH (c)-[:HAS_RECORD]->(r:PersonRecord)
WITH c, x, e, r
WHERE r.record_key = x.record_key
RETURN e.event_id AS event_id, e.record_keys AS record_keys, e.force_code AS force_code,
       e.occurred_at AS occurred_at, c.person_id AS child_id, x.record_key AS child_record_key,
       r.dob AS dob, r.source_file AS source_file, r.source_line AS source_line
""")
CHILD_FACTS = ["event_id", "record_keys", "force_code", "occurred_at", "child_id", "child_record_key", "dob",
               "source_file", "source_line"]

Q_SCHOOL = cypher("safeguarding_school_referrals", """
MATCH (r:Referral)-[:ABOUT_CHILD]->(c:Person)
MATCH (r)-[:PROMPTED_BY]->(e:Event)
WHERE r.service = $service AND ($force = '' OR r.force_code = $force)
RETURN e.event_id AS event_id, c.person_id AS child_id, r.referral_key AS referral_key, r.sent_at AS sent_at
""")

Q_ORDERS = cypher("safeguarding_orders", """
MATCH (o:`Order`)-[:AGAINST]->(r:Person)
MATCH (o)-[:PROTECTS]->(v:Person)
WHERE o.made_on <= $until
RETURN o.order_id AS record_id, o.order_type AS kind, o.made_on AS starts_on, o.expires_on AS expires_on,
       o.until_further_order AS until_further_order, o.record_keys AS record_keys,
       r.person_id AS person_id, v.person_id AS protected_id
""")

Q_LAST_DA = cypher("safeguarding_last_da_event", """
MATCH (p:Person)-[:SUSPECT_IN]->(e:Event)
WHERE p.person_id IN $people AND e.da AND e.occurred_on <= $as_of
RETURN p.person_id AS person_id, max(e.occurred_on) AS last_event_on
""")

Q_FORCE_PEOPLE = cypher("safeguarding_force_people", """
MATCH (p:Person)-[:HAS_RECORD]->(r:PersonRecord)
WHERE r.force_code = $force AND p.person_id IN $people
RETURN DISTINCT p.person_id AS person_id
""")

BAIL_COLUMNS = ["custody_ref", "force", "force_code", "custody_record_key", "person_id", "state", "due_on", "days_over",
                "regime", "arrested_on", "period_no", "ends_on", "authorised_by_rank", "limit_on", "rule",
                "explanation", "source"]
NOTICE_COLUMNS = ["notice_ref", "force", "force_code", "notice_record_key", "notice_type", "person_id", "protected_id",
                  "served_at", "hearing_due_at", "hearing_at", "referral_due_at", "referral_sent_at", "state",
                  "due_at", "rule", "explanation", "source"]
GAP_COLUMNS = ["person_id", "protected_id", "kind", "record_key", "state", "starts_on", "ends_on", "last_event_on",
               "force", "force_code", "rule", "explanation"]
ENCOMPASS_COLUMNS = ["event_key", "child_id", "child_record_key", "incident_at", "age", "due_at", "sent_at",
                     "state", "force", "force_code", "rule", "explanation", "source"]


# -- helpers -----------------------------------------------------------------------------------------


def _scope(g: GraphBackend, force: str | None) -> str:
    code = resolve_force(g, force)
    return code if code else ANY


def _d(value: object) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else pd.Timestamp(value).date()


def _keep(frame: pd.DataFrame, mask: list[bool]) -> pd.DataFrame:
    """The rows where ``mask`` holds (an empty mask keeps the columns: ``frame[[]]`` would drop them)."""
    return frame.loc[np.asarray(mask, dtype=bool)]


def _s(value: object) -> str:
    """A text cell, "" for null (None or NaN, as each engine's frames give them)."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _t(value: object) -> dt.datetime | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    return pd.Timestamp(value).to_pydatetime()


def _iso(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, dt.datetime) else value.isoformat()


def _source(file: object, line: object) -> str:
    """The extract line a fact came from: the file's name (never the server's path) and line."""
    name = PurePath(_s(file)).name
    if not name:
        return ""
    return f"{name}:{int(line)}" if line is not None and not pd.isna(line) else name


def _first_key(keys: object, force_code: str | None = None) -> str:
    """One record key of an entity (the force's own where it has one)."""
    keys = [k for k in (keys or []) if k]
    return sorted(keys)[0] if keys else ""


def urgency_order(frame: pd.DataFrame, due: str, as_of: dt.date) -> pd.DataFrame:
    """Due today first, then overdue (most recently due first), then what falls due later."""
    if frame.empty:
        return frame.reset_index(drop=True)
    day = pd.to_datetime(frame[due].replace("", None)).dt.normalize()
    today = pd.Timestamp(as_of)
    band = np.where(day == today, 0, np.where(day < today, 1, 2))
    gap = (day - today).dt.days.abs().fillna(1e9)
    return (frame.assign(_band=band, _gap=gap).sort_values(["_band", "_gap"], kind="stable")
            .drop(columns=["_band", "_gap"]).reset_index(drop=True))


# -- bail and RUI --------------------------------------------------------------------------------------


def bail_list(g: GraphBackend, as_of: dt.date, force: str | None = None, rules: Rules | None = None) -> pd.DataFrame:
    """Pre-charge bail and RUI whose clock has run out or ran without authority (see module doc).

    ``days_over`` is DATE minus ``due_on`` (negative: days left); for ``beyond_limit`` the days the
    period ran beyond its authoriser's limit."""
    rules = rules or load_rules()
    day = as_date(as_of)
    params = {"force": _scope(g, force)}
    rows: list[dict] = []
    for b in g.frame(Q_BAIL, params, columns=BAIL_FACTS).itertuples(index=False):
        arrested, ends = _d(b.arrested_on), _d(b.ends_on)
        if arrested is None or ends is None or arrested > day:
            continue
        base = {"custody_ref": b.custody_ref, "force": force_name(b.force_code), "force_code": b.force_code,
                "custody_record_key": b.custody_key,
                "person_id": b.person_id, "regime": _s(b.regime), "arrested_on": _iso(arrested),
                "period_no": int(b.period_no), "ends_on": _iso(ends), "authorised_by_rank": _s(b.authorised_by_rank),
                "limit_on": "", "source": _source(b.source_file, b.source_line)}
        decided_on = _d(b.decided_on)
        undecided = not _s(b.decision) or (decided_on is not None and decided_on > day)
        if undecided and ends < day:
            rows.append({**base, "state": "lapsed_no_decision", "due_on": _iso(ends), "days_over": (day - ends).days,
                         "rule": "PCB lapse: decision and rationale on lapse (NPCC rec. 3)",
                         "explanation": f"bail period {b.period_no} ended {ends} with no recorded decision"})
        elif undecided and ends <= day + dt.timedelta(days=rules.due_soon_days):
            rows.append({**base, "state": "due_no_decision", "due_on": _iso(ends), "days_over": (day - ends).days,
                         "rule": f"PCB ends within {rules.due_soon_days} days with no decision",
                         "explanation": f"bail period {b.period_no} ends {ends}; no extension or outcome recorded"})
        limit, allowed = rules.bail_limit(arrested, _s(b.authorised_by_rank) or None)
        if not allowed or (limit is not None and ends > limit):
            due = limit if limit is not None else arrested
            regime = _s(b.regime) or "?"
            why = (f"{b.authorised_by_rank} may not authorise bail under the {regime} regime (arrest {arrested})"
                   if not allowed else
                   f"{b.authorised_by_rank} may bail to {limit} under the {regime} regime (arrest {arrested}); "
                   f"period {b.period_no} ran to {ends}")
            rows.append({**base, "state": "beyond_limit", "due_on": _iso(due), "days_over": (ends - due).days,
                         "limit_on": _iso(limit), "rule": f"PCB limits by arrest date ({regime} regime)",
                         "explanation": why})
    for r in g.frame(Q_RUI, params, columns=RUI_FACTS).itertuples(index=False):
        starts = _d(r.starts_on)
        if starts is None or starts > day:
            continue
        base = {"custody_ref": r.custody_ref, "force": force_name(r.force_code), "force_code": r.force_code,
                "custody_record_key": r.custody_key,
                "person_id": r.person_id, "regime": _s(r.regime), "arrested_on": _iso(_d(r.arrested_on)),
                "authorised_by_rank": _s(r.authorised_by_rank), "period_no": 0, "ends_on": "", "limit_on": "",
                "source": _source(r.source_file, r.source_line)}
        known = "" if r.start_known else " (the source holds no RUI date: start derived from the custody record)"
        rank, rationale = _s(r.authorised_by_rank) or None, _s(r.rationale)
        if r.from_bail and not rules.rui_authorised(rank, rationale):
            missing = []
            if not rules.rui_authorised(rank, "x"):
                missing.append(f"authorised by {rank or 'no recorded rank'}, "
                               f"not {rules.rui_authority_rank.lower()} or above")
            if rules.rui_authority_rationale and not rationale.strip():
                missing.append("no rationale recorded")
            rows.append({**base, "state": "rui_without_authority", "due_on": _iso(starts),
                         "days_over": (day - starts).days,
                         "rule": "bail into RUI needs an inspector's authority and a rationale",
                         "explanation": f"bail cancelled into RUI on {starts}: {'; '.join(missing)}{known}"})
        last = _d(r.last_review_on)
        if last is not None and last > day:
            last = None
        review_due = add_months(last or starts, rules.rui_review_months)
        if r.open_now and review_due < day:
            since = f"last review {last}" if last else f"no review since RUI began {starts}"
            rows.append({**base, "state": "rui_review_overdue", "due_on": _iso(review_due),
                         "days_over": (day - review_due).days,
                         "rule": f"RUI reviewed every {rules.rui_review_months} months",
                         "explanation": f"{since}; review was due {review_due}{known}"})
    out = pd.DataFrame(rows, columns=BAIL_COLUMNS).drop_duplicates(["custody_record_key", "state", "due_on"])
    out["period_no"] = out["period_no"].astype(int)
    return urgency_order(out[BAIL_COLUMNS], "due_on", day)


def active_bail_conditions(g: GraphBackend, as_of: dt.date, force: str | None = None) -> pd.DataFrame:
    """Bail periods with conditions running on ``as_of`` (started, not yet ended or decided), with the
    person they protect: the bail side of the orders register and the breach matcher."""
    day = as_date(as_of)
    params = {"force": _scope(g, force)}
    bail = g.frame(Q_BAIL, params, columns=BAIL_FACTS)
    prot = g.frame(Q_BAIL_PROTECTED, params, columns=["period_id", "protected_id", "protected_record"])
    bail = bail[bail["has_conditions"].astype(bool)].merge(prot, on="period_id")
    if bail.empty:
        return bail.assign(ends_effective=pd.Series(dtype=object))
    ends = [_bail_end(b.ends_on, b.decision, b.decided_on) for b in bail.itertuples(index=False)]
    bail = bail.assign(ends_effective=ends)
    running = [(_d(s) or _d(a)) <= day <= e for s, a, e in zip(bail["starts_on"], bail["arrested_on"], ends,
                                                                  strict=True)]
    return _keep(bail, running).reset_index(drop=True)


Q_OPEN_RUI = cypher("safeguarding_open_rui", """
MATCH (p:Person)-[:ARRESTED]->(c:Custody)-[:HAS_RUI]->(r:RuiPeriod)
WHERE r.open AND r.starts_on <= $as_of
RETURN p.person_id AS person_id, c.custody_key AS custody_key, r.starts_on AS starts_on,
       r.last_review_on AS last_review_on
""")

Q_NOTICES_SERVED = cypher("safeguarding_notices_served", """
MATCH (n:Notice)-[:SERVED]->(p:Person)
WHERE n.served_on >= $since AND n.served_on <= $as_of
RETURN p.person_id AS person_id, n.notice_key AS notice_key, n.notice_type AS notice_type, n.served_at AS served_at
""")


def duty_counts(g: GraphBackend, as_of: dt.date, since: dt.date) -> pd.DataFrame:
    """Per person as suspect or subject: bail conditions running on ``as_of`` (``active_bail``), RUIs
    open on it (``open_rui``) and notices served on them from ``since`` (``notices``): what the weekly
    target list shows beside the score."""
    day = as_date(as_of)
    bail = active_bail_conditions(g, day).groupby("person_id")["period_id"].nunique().rename("active_bail")
    rui = g.frame(Q_OPEN_RUI, {"as_of": day}, columns=["person_id", "custody_key", "starts_on", "last_review_on"])
    rui = rui.groupby("person_id")["custody_key"].nunique().rename("open_rui")
    served = g.frame(Q_NOTICES_SERVED, {"since": as_date(since), "as_of": day},
                     columns=["person_id", "notice_key", "notice_type", "served_at"])
    served = served.groupby("person_id")["notice_key"].nunique().rename("notices")
    out = pd.concat([bail, rui, served], axis=1).fillna(0).astype(int)
    out.index.name = "person_id"
    return out


Q_PERSON_BAIL = cypher("safeguarding_person_bail", """
MATCH (p:Person {person_id: $person})-[:ARRESTED]->(c:Custody)-[:HAS_BAIL]->(b:BailPeriod)
RETURN c.custody_ref AS ref, c.force_code AS force_code, b.starts_on AS starts_on, b.ends_on AS ends_on,
       b.decision AS decision, b.decided_on AS decided_on, b.has_conditions AS has_conditions,
       b.authorised_by_rank AS authorised_by_rank
""")
Q_PERSON_PROTECTED_BAIL = cypher("safeguarding_person_protected_bail", """
MATCH (c:Custody)-[:HAS_BAIL]->(b:BailPeriod)-[:BAIL_PROTECTS]->(p:Person {person_id: $person})
RETURN c.custody_ref AS ref, c.force_code AS force_code, b.starts_on AS starts_on, b.ends_on AS ends_on,
       b.decision AS decision, b.decided_on AS decided_on, b.has_conditions AS has_conditions,
       b.authorised_by_rank AS authorised_by_rank
""")
Q_PERSON_RUI = cypher("safeguarding_person_rui", """
MATCH (p:Person {person_id: $person})-[:ARRESTED]->(c:Custody)-[:HAS_RUI]->(r:RuiPeriod)
RETURN c.custody_ref AS ref, c.force_code AS force_code, r.starts_on AS starts_on, r.open AS open_now,
       r.last_review_on AS last_review_on, r.authorised_by_rank AS authorised_by_rank
""")
Q_PERSON_NOTICES = cypher("safeguarding_person_notices", """
MATCH (n:Notice)-[:SERVED]->(p:Person {person_id: $person})
RETURN n.notice_ref AS ref, n.notice_type AS notice_type, n.force_code AS force_code, n.served_at AS served_at,
       n.hearing_at AS hearing_at, n.hearing_outcome AS hearing_outcome, n.authorised_by_rank AS authorised_by_rank
""")
Q_PERSON_PROTECTED_NOTICES = cypher("safeguarding_person_protected_notices", """
MATCH (n:Notice)-[:NOTICE_PROTECTS]->(p:Person {person_id: $person})
RETURN n.notice_ref AS ref, n.notice_type AS notice_type, n.force_code AS force_code, n.served_at AS served_at,
       n.hearing_at AS hearing_at, n.hearing_outcome AS hearing_outcome, n.authorised_by_rank AS authorised_by_rank
""")
PERSON_DUTY_COLUMNS = ["kind", "role", "ref", "force_code", "starts_on", "ends_on", "state", "authorised_by_rank",
                       "detail"]


def person_duties(g: GraphBackend, person_id: str, as_of: dt.date, rules: Rules | None = None) -> pd.DataFrame:
    """One person's bail periods, RUIs and notices, as subject or as the person protected, with
    their state on ``as_of`` (bail running or ended, RUI open or closed and its review, a notice's
    hearing): what the person page shows. No other person is named in these rows."""
    rules = rules or load_rules()
    day = as_date(as_of)
    rows: list[dict] = []
    for role, text in (("subject", Q_PERSON_BAIL), ("protected", Q_PERSON_PROTECTED_BAIL)):
        for b in g.run(text, {"person": person_id}):
            start, end = _d(b["starts_on"]), _bail_end(b["ends_on"], b["decision"], b["decided_on"])
            if start is None or start > day:
                continue
            if role == "protected" and not b["has_conditions"]:
                continue
            state = "running" if day <= end else f"ended {end}" + (f" ({b['decision']})" if _s(b["decision"])
                                                                  and b["decision"] != "EXTENDED" else "")
            rows.append({"kind": "bail", "role": role, "ref": b["ref"], "force_code": b["force_code"],
                         "starts_on": _iso(start), "ends_on": _iso(end), "state": state,
                         "authorised_by_rank": _s(b["authorised_by_rank"]),
                         "detail": "with conditions" if b["has_conditions"] else "no conditions"})
    for r in g.run(Q_PERSON_RUI, {"person": person_id}):
        start = _d(r["starts_on"])
        if start is None or start > day:
            continue
        last = _d(r["last_review_on"])
        due = add_months(last or start, rules.rui_review_months)
        rows.append({"kind": "rui", "role": "subject", "ref": r["ref"], "force_code": r["force_code"],
                     "starts_on": _iso(start), "ends_on": "", "state": "open" if r["open_now"] else "closed",
                     "authorised_by_rank": _s(r["authorised_by_rank"]),
                     "detail": (f"last review {last}; " if last else "no review recorded; ") + f"review due {due}"})
    for role, text in (("subject", Q_PERSON_NOTICES), ("protected", Q_PERSON_PROTECTED_NOTICES)):
        for n in g.run(text, {"person": person_id}):
            served = _t(n["served_at"])
            if served is None or served.date() > day:
                continue
            due = hearing_due(served, rules.hearing_hours)
            heard = _t(n["hearing_at"])
            state = (f"heard {_iso(heard)}" + (f" ({n['hearing_outcome']})" if _s(n["hearing_outcome"]) else "")
                     if heard else f"no hearing recorded (due by {_iso(due)})")
            rows.append({"kind": n["notice_type"], "role": role, "ref": n["ref"], "force_code": n["force_code"],
                         "starts_on": _iso(served), "ends_on": "", "state": state,
                         "authorised_by_rank": _s(n["authorised_by_rank"]), "detail": f"hearing due by {_iso(due)}"})
    out = pd.DataFrame(rows, columns=PERSON_DUTY_COLUMNS)
    return out.sort_values("starts_on", ascending=False, kind="stable").reset_index(drop=True)


BAIL_ORDER_TYPE = "BAIL_CONDITIONS"  # how bail conditions show in the orders register and breach matcher


def bail_as_orders(g: GraphBackend, on: dt.date, person_id: str | None = None) -> pd.DataFrame:
    """Bail conditions running on ``on`` as rows of the orders register (respondent, protected,
    made/expires as the period's start and end, ``order_type`` BAIL_CONDITIONS)."""
    running = active_bail_conditions(g, on)
    if person_id:
        running = running[(running["person_id"] == person_id) | (running["protected_id"] == person_id)]
    return pd.DataFrame({
        "order_id": running["period_id"], "order_type": BAIL_ORDER_TYPE, "court": None, "issued_by": "police",
        "made_on": [_d(s) or _d(a) for s, a in zip(running["starts_on"], running["arrested_on"], strict=True)],
        "expires_on": running["ends_effective"], "until_further_order": False, "power_of_arrest": True,
        "conditions": running["conditions"], "record_keys": [[k] for k in running["custody_key"]],
        "respondent_id": running["person_id"], "protected_id": running["protected_id"]})


Q_BAIL_BREACHES = cypher("safeguarding_bail_breaches", """
MATCH (r:Person)-[:ARRESTED]->(c:Custody)-[:HAS_BAIL]->(b:BailPeriod)-[:BAIL_PROTECTS]->(v:Person)
MATCH (r)-[a:SUSPECT_IN]->(e:Event)
MATCH (v)-[x:VICTIM_IN]->(e)
WHERE r.person_id <> v.person_id AND b.has_conditions
  AND e.occurred_on > c.arrested_on AND e.occurred_on >= b.starts_on AND e.occurred_on <= b.ends_on
  AND e.occurred_on >= $since AND e.occurred_on <= $until
RETURN DISTINCT b.period_id AS order_id, e.event_id AS event_id, e.occurred_on AS occurred_on,
       e.force_code AS force, e.offence AS offence, r.person_id AS respondent_id, v.person_id AS protected_id,
       a.record_key AS respondent_record, x.record_key AS protected_record, b.decision AS decision,
       b.decided_on AS decided_on, b.ends_on AS ends_on
""")


def bail_breaches(g: GraphBackend, since: dt.date, until: dt.date) -> pd.DataFrame:
    """Possible breaches of bail conditions: an incident after the arrest with the bailed suspect as
    suspect and the protected person as victim while the conditions ran. Possible, not proven."""
    cols = ["order_id", "event_id", "occurred_on", "force", "offence", "respondent_id", "protected_id",
            "respondent_record", "protected_record", "decision", "decided_on", "ends_on"]
    found = g.frame(Q_BAIL_BREACHES, {"since": since, "until": until}, columns=cols)
    running = [_d(day) <= _bail_end(e, d, o) for day, e, d, o in
               zip(found["occurred_on"], found["ends_on"], found["decision"], found["decided_on"], strict=True)]
    found = _keep(found, running)
    return found.drop(columns=["decision", "decided_on", "ends_on"]).assign(order_type=BAIL_ORDER_TYPE)


def _bail_end(ends_on: object, decision: object, decided_on: object) -> dt.date:
    """A bail period ends on its end date, or earlier when a decision (not an extension) ended it."""
    end = _d(ends_on)
    decided = _d(decided_on)
    if _s(decision) and decision != "EXTENDED" and decided is not None:
        end = min(end, decided)
    return end


# -- notices --------------------------------------------------------------------------------------------


def notices_list(g: GraphBackend, as_of: dt.date, force: str | None = None,
                 rules: Rules | None = None) -> pd.DataFrame:
    """DVPNs/DAPNs whose hearing clock (48 hours not counting Sundays and bank holidays) is due,
    late or missing, and DVPNs whose DVPO caseworker referral (2 working days) failed."""
    rules = rules or load_rules()
    day = as_date(as_of)
    end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59))
    params = {"force": _scope(g, force)}
    notices = g.frame(Q_NOTICES, params, columns=NOTICE_FACTS)
    sent = g.frame(Q_NOTICE_REFERRALS, {**params, "service": "DVPO_CASEWORKER"},
                   columns=["notice_key", "referral_key", "sent_at"])
    sent = sent.assign(at=[_t(s) for s in sent["sent_at"]])
    sent = _keep(sent, [a is not None and a <= end_of_day for a in sent["at"]])
    first_sent = sent.sort_values("at").drop_duplicates("notice_key").set_index("notice_key")
    dvpos = g.frame(Q_DVPOS, {"order_type": "DVPO"}, columns=["order_id", "made_on", "expires_on", "person_id",
                                                             "protected_id"])
    dvpo_at = {(o.person_id, o.protected_id, _d(o.made_on)): o for o in dvpos.itertuples(index=False)}
    rows: list[dict] = []
    for n in notices.drop_duplicates("notice_key").itertuples(index=False):
        served = _t(n.served_at)
        if served is None or served > end_of_day:
            continue
        due = hearing_due(served, rules.hearing_hours)
        hearing = _t(n.hearing_at)
        hearing = hearing if hearing is not None and hearing <= end_of_day else None
        base = {"notice_ref": n.notice_ref, "force": force_name(n.force_code), "force_code": n.force_code,
                "notice_record_key": n.notice_key,
                "notice_type": n.notice_type, "person_id": n.person_id, "protected_id": n.protected_id,
                "served_at": _iso(served), "hearing_due_at": _iso(due), "hearing_at": _iso(hearing),
                "source": _source(n.source_file, n.source_line)}
        order = "DVPO" if n.notice_type == "DVPN" else "DAPO"
        hours = f"{rules.hearing_hours} hours from service, Sundays and bank holidays not counted"
        if hearing is None:
            state = "hearing_due" if due > end_of_day else "hearing_missing"
            what = "is due" if state == "hearing_due" else "has passed with no hearing recorded"
            rows.append({**base, "state": state, "due_at": _iso(due), "rule": f"{order} hearing within {hours}",
                         "explanation": f"served {_iso(served)}; hearing due by {_iso(due)} {what}"})
        elif hearing > due:
            rows.append({**base, "state": "hearing_late", "due_at": _iso(due),
                         "rule": f"{order} hearing within {hours}",
                         "explanation": f"served {_iso(served)}; heard {_iso(hearing)}, after {_iso(due)}"})
        if n.notice_type != "DVPN":
            continue
        ref_due = referral_due(served, rules.referral_working_days)
        base.update(referral_due_at=_iso(ref_due))
        rule = f"DVPO caseworker referral within {rules.referral_working_days} working days"
        if n.notice_key not in first_sent.index:
            if ref_due < end_of_day:
                rows.append({**base, "state": "referral_missing", "due_at": _iso(ref_due), "rule": rule,
                             "explanation": f"served {_iso(served)}; no DVPO caseworker referral by {_iso(ref_due)}"})
            continue
        at = first_sent.loc[n.notice_key, "at"]
        base.update(referral_sent_at=_iso(at))
        if at <= ref_due:
            continue
        o = dvpo_at.get((n.person_id, n.protected_id, hearing.date() if hearing else None))
        expires = _d(o.expires_on) if o is not None else None
        if expires is not None and at.date() > expires:
            rows.append({**base, "state": "referral_after_expiry", "due_at": _iso(ref_due), "rule": rule,
                         "explanation": f"referral sent {_iso(at)}, after the DVPO ({o.order_id}) expired {expires}"})
        else:
            rows.append({**base, "state": "referral_late", "due_at": _iso(ref_due), "rule": rule,
                         "explanation": f"referral sent {_iso(at)}, due by {_iso(ref_due)}"})
    out = pd.DataFrame(rows, columns=NOTICE_COLUMNS).fillna("")
    return urgency_order(out, "due_at", day)


# -- Operation Encompass ----------------------------------------------------------------------------------


def encompass_list(g: GraphBackend, as_of: dt.date, force: str | None = None,
                   rules: Rules | None = None) -> pd.DataFrame:
    """School-age children at DA incidents whose school was told late, not at all, or is still to
    be told before the start of the next school day."""
    rules = rules or load_rules()
    day = as_date(as_of)
    end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59))
    params = {"force": _scope(g, force)}
    kids = g.frame(Q_CHILDREN, {**params, "child": "child"}, columns=CHILD_FACTS)
    told = g.frame(Q_SCHOOL, {**params, "service": "SCHOOL"}, columns=["event_id", "child_id", "referral_key",
                                                                         "sent_at"])
    told = told.assign(at=[_t(s) for s in told["sent_at"]])
    told = _keep(told, [a is not None and a <= end_of_day for a in told["at"]])
    first = told.sort_values("at").drop_duplicates(["event_id", "child_id"]).set_index(["event_id", "child_id"])
    rows: list[dict] = []
    for c in kids.drop_duplicates(["event_id", "child_record_key"]).itertuples(index=False):
        incident = _t(c.occurred_at)
        dob = _d(c.dob)
        if incident is None or incident > end_of_day or dob is None:
            continue  # no date of birth: the age cannot be judged (shown by the child's page, not listed)
        age = age_on(dob, incident.date())
        if not rules.min_age <= age <= rules.max_age:
            continue
        due = school_due(incident, rules.school_starts)
        key = (c.event_id, c.child_id)
        sent = first.loc[key, "at"] if key in first.index else None
        if sent is None:
            state = "due" if due > end_of_day else "missing"
        elif sent < due:
            continue
        else:
            state = "late"
        what = {"due": "to be told", "missing": "not told", "late": f"told {_iso(sent)}"}[state]
        rows.append({"event_key": _first_key(c.record_keys), "child_id": c.child_id,
                     "child_record_key": c.child_record_key, "incident_at": _iso(incident), "age": age,
                     "due_at": _iso(due), "sent_at": _iso(sent), "state": state, "force": force_name(c.force_code),
                     "force_code": c.force_code,
                     "rule": "Operation Encompass: school told before the start of the next school day",
                     "explanation": f"child aged {age} at an incident {_iso(incident)}; school {what}, "
                                    f"due by {_iso(due)}",
                     "source": _source(c.source_file, c.source_line)})
    out = pd.DataFrame(rows, columns=ENCOMPASS_COLUMNS)
    return urgency_order(out, "due_at", day)


# -- protection gaps ---------------------------------------------------------------------------------------


def protection(g: GraphBackend, until: dt.date) -> pd.DataFrame:
    """Every order and bail period with conditions that protects a person: respondent, protected
    person, kind, first and last day (NaT: no end), record key."""
    orders = g.frame(Q_ORDERS, {"until": until}, columns=["record_id", "kind", "starts_on", "expires_on",
                                                          "until_further_order", "record_keys", "person_id",
                                                          "protected_id"])
    orders = orders[orders["person_id"] != orders["protected_id"]]
    o = pd.DataFrame({
        "kind": orders["kind"], "record_key": [_first_key(k) for k in orders["record_keys"]],
        "person_id": orders["person_id"], "protected_id": orders["protected_id"],
        "starts_on": [_d(s) for s in orders["starts_on"]],
        "ends_on": [None if u else _d(e) for u, e in zip(orders["until_further_order"], orders["expires_on"],
                                                         strict=True)],
        "force_code": None})
    params = {"force": ANY}
    bail = g.frame(Q_BAIL, params, columns=BAIL_FACTS)
    prot = g.frame(Q_BAIL_PROTECTED, params, columns=["period_id", "protected_id", "protected_record"])
    bail = bail[bail["has_conditions"].astype(bool)].merge(prot, on="period_id")
    bail = bail[bail["person_id"] != bail["protected_id"]]
    b = pd.DataFrame({
        "kind": np.where(bail["decision"].isin(["RUI", "BAIL_CANCELLED"]), "BAIL_TO_RUI", "BAIL"),
        "record_key": bail["custody_key"], "person_id": bail["person_id"], "protected_id": bail["protected_id"],
        "starts_on": [_d(s) for s in bail["starts_on"]],
        "ends_on": [_bail_end(e, d, o) for e, d, o in zip(bail["ends_on"], bail["decision"], bail["decided_on"],
                                                          strict=True)],
        "force_code": bail["force_code"]})
    return pd.concat([x for x in (o, b) if not x.empty], ignore_index=True) if len(o) or len(b) else o


def gaps_list(g: GraphBackend, as_of: dt.date, force: str | None = None, rules: Rules | None = None) -> pd.DataFrame:
    """Protection ending around ``as_of`` with nothing following for the same protected person, while
    the perpetrator had a DA event as suspect recently (windows in the rules)."""
    rules = rules or load_rules()
    day = as_date(as_of)
    code = _scope(g, force)
    first = day - dt.timedelta(days=rules.ended_days_before)
    last = day + dt.timedelta(days=rules.ends_days_after)
    items = protection(g, last)
    if items.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    ending = _keep(items, [e is not None and first <= e <= last for e in items["ends_on"]])
    rows: list[dict] = []
    people = sorted(set(ending["person_id"]))
    last_da: dict = {}
    if nonempty(people):
        found = g.frame(Q_LAST_DA, {"people": people, "as_of": day}, columns=["person_id", "last_event_on"])
        last_da = {p: _d(d) for p, d in zip(found["person_id"], found["last_event_on"], strict=True)}
    by_protected = {k: v for k, v in items.groupby("protected_id")}
    for it in ending.itertuples(index=False):
        after = it.ends_on + dt.timedelta(days=1)
        others = by_protected[it.protected_id]
        follows = [o.record_key for o in others.itertuples(index=False)
                   if o.record_key != it.record_key and o.starts_on is not None and o.starts_on <= after
                   and (o.ends_on is None or o.ends_on >= after)]
        if follows:
            continue
        seen = last_da.get(it.person_id)
        if seen is None or seen < day - dt.timedelta(days=rules.active_days):
            continue
        ended = "ended" if it.ends_on < day else "ends"
        rows.append({"person_id": it.person_id, "protected_id": it.protected_id, "kind": it.kind,
                     "record_key": it.record_key, "state": f"{ended}_nothing_follows",
                     "starts_on": _iso(it.starts_on), "ends_on": _iso(it.ends_on),
                     "last_event_on": _iso(seen), "force": force_name(it.force_code) or "",
                     "force_code": _s(it.force_code),
                     "rule": f"protection ending with nothing following while the perpetrator is active "
                             f"(DA event within {rules.active_days} days)",
                     "explanation": f"{it.kind} {ended} {it.ends_on}; no order or bail condition protects "
                                    f"{it.protected_id} from {after}; last DA event as suspect {seen}"})
    out = pd.DataFrame(rows, columns=GAP_COLUMNS)
    if code != ANY and not out.empty:
        ids = sorted(set(out["person_id"]) | set(out["protected_id"]))
        held = set(g.frame(Q_FORCE_PEOPLE, {"force": code, "people": ids}, columns=["person_id"])["person_id"])
        out = out[out["person_id"].isin(held) | out["protected_id"].isin(held)]
    # one row per protection ending (an order delivered twice is one order)
    out = out.drop_duplicates(["person_id", "protected_id", "kind", "ends_on"])
    return urgency_order(out, "ends_on", day)


def safeguarding_list(g: GraphBackend, name: str, as_of: dt.date, force: str | None = None,
                      rules: Rules | None = None) -> pd.DataFrame:
    """One of :data:`LISTS` by name."""
    funcs = {"bail": bail_list, "notices": notices_list, "gaps": gaps_list, "encompass": encompass_list}
    if name not in funcs:
        raise ValueError(f"unknown safeguarding list {name!r}: one of {', '.join(LISTS)}")
    return funcs[name](g, as_of, force=force, rules=rules)
