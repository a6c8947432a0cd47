"""The weekly target list per force (MATAC-style Recency, Frequency, Gravity, Victims).

Cohort: everyone who was suspect in a domestic-abuse event recorded by the force within the
look-back window (default two years to ``as_of``). Parts, each returned with its raw value:

- R: days since the last event, banded (<=90 -> 4, <=180 -> 3, <=365 -> 2, <=730 -> 1);
- F: distinct DA events as suspect in the window, capped;
- G: summed offence gravity (crime harm days, from the harm table; non-crime 0);
- V: distinct victims in the window.

Each part is ranked within the force's cohort (percentile) and combined with configurable
weights. Every row carries the events behind it. The list supports people's decisions.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from graph.backend import GraphBackend
from graph.dialect import window_start
from graph.queries._common import as_date, cypher, group_join, resolve_force
from graph.queries.orders import orders_active, possible_breaches
from graph.queries.safeguarding import duty_counts
from reference.harm import harm_days

DEFAULT_WEIGHTS = {"recency": 1.0, "frequency": 1.0, "gravity": 1.0, "victims": 1.0}
RECENCY_BANDS = [(90, 4), (180, 3), (365, 2), (730, 1)]

# Two flat queries (suspect rows, victim rows) aggregated in pandas: a collect() per event
# over a force's two years costs more than the join itself.
Q_COHORT = cypher("targets_cohort", """
MATCH (p:Person)-[s:SUSPECT_IN]->(e:Event)
WHERE e.force_code = $force AND e.da AND e.occurred_on >= $since AND e.occurred_on <= $as_of
RETURN p.person_id AS person_id, e.event_id AS event_id, e.occurred_on AS occurred_on,
       e.ho_code AS ho_code, e.offence_group AS offence_group, e.gravity AS gravity,
       s.record_key AS record_key
""")

Q_COHORT_VICTIMS = cypher("targets_cohort_victims", """
MATCH (e:Event)<-[:VICTIM_IN]-(q:Person)
WHERE e.force_code = $force AND e.da AND e.occurred_on >= $since AND e.occurred_on <= $as_of
RETURN DISTINCT e.event_id AS event_id, q.person_id AS victim_id
""")

COLUMNS = ["rank", "person_id", "score", "recency", "frequency", "gravity", "victims", "recency_days",
           "events", "recency_part", "frequency_part", "gravity_part", "victims_part", "serial",
           "active_orders", "recent_breaches", "active_bail", "open_rui", "notices", "last_event_on", "event_ids",
           "record_keys"]


def recency_band(days: int, bands: list[tuple[int, int]] = RECENCY_BANDS) -> int:
    for limit, points in bands:
        if days <= limit:
            return points
    return 0


def targets(g: GraphBackend, force: str, as_of: dt.date, weights: dict[str, float] | None = None,
            harm_table: pd.DataFrame | None = None, window_days: int = 730, frequency_cap: int = 10,
            limit: int | None = None, breach_days: int = 28) -> pd.DataFrame:
    """The force's ranked list as of ``as_of``: rank, person_id, score and each part.

    ``recency`` is the banded R points (raw ``recency_days`` beside it), ``frequency`` the capped
    event count, ``gravity`` the summed harm days, ``victims`` the distinct victims; ``*_part``
    columns are the cohort percentile ranks that ``weights`` combine into ``score``. A custom
    ``harm_table`` (reference.harm.load_harm_table) re-weighs gravity from the events' codes."""
    day = as_date(as_of)
    code = resolve_force(g, force)
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    params = {"force": code, "since": window_start(day, window_days), "as_of": day}
    rows = g.frame(Q_COHORT, params, columns=["person_id", "event_id", "occurred_on", "ho_code",
                                              "offence_group", "gravity", "record_key"])
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    victims = g.frame(Q_COHORT_VICTIMS, params, columns=["event_id", "victim_id"])
    events = rows.drop_duplicates(["person_id", "event_id"]).sort_values(["person_id", "event_id"])
    if harm_table is not None:
        events["gravity"] = harm_days(events["ho_code"], events["offence_group"], harm_table).to_numpy()
    day_ts = pd.to_datetime(events["occurred_on"])
    per = events.assign(day_ts=day_ts).groupby("person_id").agg(
        last_event_on=("day_ts", "max"), events=("event_id", "nunique"), gravity=("gravity", "sum"))
    per["event_ids"] = group_join(events, "person_id", "event_id")
    vic = events[["person_id", "event_id"]].merge(victims, on="event_id")
    vic = vic[vic["victim_id"] != vic["person_id"]].drop_duplicates(["person_id", "victim_id"])
    per["victims"] = vic.groupby("person_id").size().reindex(per.index).fillna(0).astype(int)
    per["record_keys"] = group_join(rows, "person_id", "record_key").reindex(per.index).fillna("")
    per = per.reset_index()
    per["recency_days"] = (pd.Timestamp(day) - per["last_event_on"]).dt.days
    per["last_event_on"] = per["last_event_on"].dt.date
    per["recency"] = per["recency_days"].map(recency_band)
    per["frequency"] = per["events"].clip(upper=frequency_cap)
    for part in ("recency", "frequency", "gravity", "victims"):
        per[f"{part}_part"] = per[part].rank(method="average", pct=True)
    per["score"] = sum(w[p] * per[f"{p}_part"] for p in DEFAULT_WEIGHTS).round(6)
    per["serial"] = per["victims"] >= 2
    active = orders_active(g, day)
    per["active_orders"] = per["person_id"].map(active.groupby("respondent_id").size()).fillna(0).astype(int)
    breaches = possible_breaches(g, since=window_start(day, breach_days), until=day)
    per["recent_breaches"] = per["person_id"].map(
        breaches.groupby("respondent_id")["event_id"].nunique()).fillna(0).astype(int)
    duties = duty_counts(g, day, window_start(day, window_days))  # bail, RUI and notices beside the score
    for col in ("active_bail", "open_rui", "notices"):
        per[col] = per["person_id"].map(duties[col]).fillna(0).astype(int)
    per = per.sort_values(["score", "gravity", "person_id"], ascending=[False, False, True])
    per = per.reset_index(drop=True)
    per["rank"] = range(1, len(per) + 1)
    per["gravity"] = per["gravity"].astype(float).round(3)
    out = per[COLUMNS]
    return out.head(limit).reset_index(drop=True) if limit else out


def target_movement(g: GraphBackend, force: str, as_of: dt.date, previous_as_of: dt.date | None = None,
                    limit: int | None = None, **kwargs: object) -> pd.DataFrame:
    """This week's list against last week's (``previous_as_of`` defaults to 7 days earlier).

    One row per person on either list: rank and score now and before, ``movement`` (new, up,
    down, same, left) and ``rank_change`` (positive = moved up)."""
    day = as_date(as_of)
    before = as_date(previous_as_of) or day - dt.timedelta(days=7)
    now = targets(g, force, day, limit=limit, **kwargs)[["person_id", "rank", "score"]]
    prev = targets(g, force, before, limit=limit, **kwargs)[["person_id", "rank", "score"]]
    out = now.merge(prev, on="person_id", how="outer", suffixes=("_now", "_before"))

    def movement(r: pd.Series) -> str:
        if pd.isna(r["rank_before"]):
            return "new"
        if pd.isna(r["rank_now"]):
            return "left"
        if r["rank_now"] == r["rank_before"]:
            return "same"
        return "up" if r["rank_now"] < r["rank_before"] else "down"

    out["movement"] = out.apply(movement, axis=1) if not out.empty else pd.Series(dtype=object)
    out["rank_change"] = out["rank_before"] - out["rank_now"]
    return out.sort_values(["rank_now", "rank_before"], na_position="last").reset_index(drop=True)
