"""A force's strategic statistics for a period: HMIC's nine pieces of data (2014, Annex B), as far
as the extracts hold them, with small counts suppressed.

What is counted (every event by its own date within ``[since, until]``, recorded by the force: an
event two forces recorded counts in each):

1. DA incidents (events the force marked DA, the loader judged DA, or whose victim named an
   intimate or family relationship), split into crimes and non-crime incidents; and the
   *victims* of each: resolved people (linkage's person ids), not records, broken down by sex and
   age band (age on their first DA incident in the period). Ethnicity is not in the extracts: its
   row says so.
2. Repeat victims, under the definition the rules state (default HMICFRS: a victim of a DA crime in
   the period who was a victim of another DA crime in the 365 days before it, same force).
3. DA crimes with a positive outcome: an arrest for the crime (a custody record naming its
   occurrence) ended charged or cautioned (disposal or latest decision). Outcomes reached without
   an arrest are not in the extracts.
4. Arrests for DA crimes (custody records naming a DA crime of the period), crimes with an arrest,
   and the arrest rate per 100 DA crimes.
5. The same positive-outcome rate for other violent crime (non-DA crimes of the violent groups).
6. CPS outcomes: not in the extracts (custody records a charge, not the prosecution's result).
7. DA incidents at each risk level (the highest of the incident's grade and its victims' DASH).
8. MARAC referrals the force sent in the period.
9. Victim satisfaction: not in the extracts.

Counts of 1 to 4 are suppressed, and further cells wherever a published total and its published
parts (or a combination of them) would give one back (:mod:`exports.suppression`); a rate is
published only when its numerator and denominator both are. A measure the data does not hold is a
row with no value and status ``not_held``, never a zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from exports.suppression import Relation, suppress
from graph.backend import GraphBackend
from graph.queries._common import as_date, cypher, resolve_force
from reference.forces import force_name
from reference.statistics import StatisticsRules, load_statistics_rules

BREAKDOWNS = ("sex", "age", "ethnicity")
RISKS = ("high", "medium", "standard")
SEXES = {"F": "female", "M": "male"}
COLUMNS = ["measure", "breakdown", "value", "status", "note", "force", "period_from", "period_to"]
NOT_HELD = "not held in the extracts"

Q_EVENTS = cypher("stats_events", """
MATCH (e:Event)-[:RECORDED_BY]->(f:Force)
WHERE f.force_code = $force AND e.occurred_on >= $since AND e.occurred_on <= $until
RETURN e.event_id AS event_id, e.occurred_on AS occurred_on, e.da AS da, e.is_crime AS is_crime,
       e.offence_group AS offence_group, e.risk AS risk
""")

# Victims of DA events from the start of the repeat window: every force (the earlier crime of a
# repeat may be another force's when the rules say so).
Q_VICTIMS = cypher("stats_victims", """
MATCH (q:Person)-[v:VICTIM_IN]->(e:Event)-[:RECORDED_BY]->(f:Force)
WHERE e.da AND e.occurred_on >= $since AND e.occurred_on <= $until
RETURN q.person_id AS person_id, q.sex AS sex, q.dob AS dob, e.event_id AS event_id,
       e.occurred_on AS occurred_on, e.is_crime AS is_crime, f.force_code AS force_code, v.dash_risk AS dash_risk
""")

Q_ARRESTS = cypher("stats_arrests", """
MATCH (c:Custody)-[:ARRESTED_FOR]->(e:Event)-[:RECORDED_BY]->(f:Force)
WHERE f.force_code = $force AND e.occurred_on >= $since AND e.occurred_on <= $until
RETURN c.custody_key AS custody_key, c.disposal AS disposal, c.decision AS decision, e.event_id AS event_id
""")

Q_REFERRALS = cypher("stats_referrals", """
MATCH (r:Referral)
WHERE r.service = $service AND r.force_code = $force AND r.sent_on >= $since AND r.sent_on <= $until
RETURN r.referral_key AS referral_key, r.sent_on AS sent_on
""")


@dataclass
class Cells:
    """The counts of one return, the sums that tie them, and the rows that are not counts."""

    values: dict[tuple[str, str], int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    hidden: set[tuple[str, str]] = field(default_factory=set)  # complements: never published
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    order: list[tuple[str, str]] = field(default_factory=list)  # published rows, in order
    rates: list[tuple[str, str, tuple[str, str], tuple[str, str], str]] = field(default_factory=list)
    not_held: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, measure: str, breakdown: str, value: int, note: str = "", hidden: bool = False) -> tuple:
        key = (measure, breakdown)
        self.values[key] = int(value)
        if hidden:
            self.hidden.add(key)
        else:
            self.order.append(key)
            if note:
                self.notes[key] = note
        return key

    def relate(self, total: tuple, parts: list[tuple]) -> None:
        self.relations.append(Relation(total, tuple(parts)))


def force_statistics(g: GraphBackend, force: str, since: dt.date, until: dt.date,
                     by: tuple[str, ...] = ("sex", "ethnicity"),
                     rules: StatisticsRules | None = None) -> pd.DataFrame:
    """The return for ``force`` over ``[since, until]``: one row per measure and breakdown, columns
    :data:`COLUMNS`. ``by`` names the victim breakdowns (sex, age, ethnicity)."""
    rules = rules or load_statistics_rules()
    since, until = as_date(since), as_date(until)
    if since > until:
        raise ValueError(f"the period starts after it ends: {since} to {until}")
    unknown = sorted(set(by) - set(BREAKDOWNS))
    if unknown:
        raise ValueError(f"unknown breakdown {', '.join(unknown)}: one of {', '.join(BREAKDOWNS)}")
    try:
        code = resolve_force(g, force)
    except ValueError as exc:
        raise ValueError(f"unknown force: {force} (the graph holds no records of it)") from exc
    params = {"force": code, "since": since, "until": until}
    events = g.frame(Q_EVENTS, params, columns=["event_id", "occurred_on", "da", "is_crime", "offence_group", "risk"])
    events = events.drop_duplicates("event_id")
    window_start = since - dt.timedelta(days=rules.repeat_window_days)
    victims = g.frame(Q_VICTIMS, {"since": window_start, "until": until},
                      columns=["person_id", "sex", "dob", "event_id", "occurred_on", "is_crime", "force_code",
                               "dash_risk"])
    arrests = g.frame(Q_ARRESTS, params, columns=["custody_key", "disposal", "decision", "event_id"])
    referrals = g.frame(Q_REFERRALS, {**params, "service": "MARAC"}, columns=["referral_key", "sent_on"])

    cells = Cells()
    da = events[events["da"].astype(bool)]
    crimes = da[da["is_crime"].astype(bool)]
    in_period = victims[(victims["force_code"] == code) & (victims["occurred_on"] >= since)]
    _incidents(cells, da, crimes, in_period)
    _victims(cells, da, crimes, in_period, victims, code, by, rules)
    _outcomes(cells, events, crimes, arrests, rules)
    cells.count("marac_referrals", "all", referrals["referral_key"].nunique(),
                "referrals to MARAC the force sent in the period")
    cells.not_held.append(("cps_outcomes", "all", f"{NOT_HELD}: custody records the charge, not the "
                                                  "prosecution's result"))
    cells.not_held.append(("victim_satisfaction", "all", f"{NOT_HELD}: no victim survey is loaded"))
    return _table(cells, rules, force_name(code) or code, since, until)


def _incidents(cells: Cells, da: pd.DataFrame, crimes: pd.DataFrame, victims: pd.DataFrame) -> None:
    total = cells.count("da_incidents", "all", len(da), "DA crimes and non-crime incidents recorded in the period")
    crime = cells.count("da_crimes", "all", len(crimes))
    cells.relate(total, [crime, cells.count("da_non_crime_incidents", "all", len(da) - len(crimes))])
    # risk: the highest of the incident's own grade and its victims' DASH assessments
    level = {r: i for i, r in enumerate(reversed(RISKS), start=1)}
    dash = victims.assign(n=victims["dash_risk"].map(level)).groupby("event_id")["n"].max()
    own = da.set_index("event_id")["risk"].map(level)
    best = pd.concat([own, dash.reindex(own.index)], axis=1).max(axis=1)
    names = {i: r for r, i in level.items()}
    risk = best.map(names).fillna("not_assessed")
    parts = [cells.count("da_incidents", f"risk={r}", int((risk == r).sum()),
                         "highest of the incident's risk grade and its victims' DASH risk")
             for r in (*RISKS, "not_assessed")]
    cells.relate(total, parts)


def _victims(cells: Cells, da: pd.DataFrame, crimes: pd.DataFrame, in_period: pd.DataFrame,
             every: pd.DataFrame, code: str, by: tuple[str, ...], rules: StatisticsRules) -> None:
    """Distinct resolved victims of DA incidents and of DA crimes, and repeat victims, each in total
    and by the breakdowns asked for; every subset tied to its superset through a hidden complement."""
    rows = in_period[in_period["event_id"].isin(set(da["event_id"]))]
    first = rows.sort_values(["occurred_on", "event_id"]).drop_duplicates("person_id")
    people = first.set_index("person_id")
    people["sex_label"] = people["sex"].map(SEXES).fillna("unknown")
    people["age_label"] = [rules.age_band(d if pd.notna(d) else None, day)
                           for d, day in zip(people["dob"], people["occurred_on"], strict=True)]
    crime_ids = set(crimes["event_id"])
    crime_victims = set(rows.loc[rows["event_id"].isin(crime_ids), "person_id"])
    repeat = _repeat_victims(rows[rows["event_id"].isin(crime_ids)], every, code, rules)
    groups = {
        "da_victims": set(people.index),
        "da_crime_victims": crime_victims,
        "repeat_victims": repeat,
    }
    notes = {
        "da_victims": "distinct people (resolved identities) who were victims of a DA incident in the period",
        "da_crime_victims": "distinct people who were victims of a DA crime in the period",
        "repeat_victims": rules.repeat_definition(),
    }
    subsets = [("da_crime_victims", "da_victims"), ("repeat_victims", "da_crime_victims")]
    slices: list[tuple[str, list[tuple[str, set]]]] = [("all", [("all", set(people.index))])]
    labels = {"sex": ["female", "male", "unknown"], "age": rules.age_labels()}
    for dim in by:
        if dim == "ethnicity":
            continue
        column = people[f"{dim}_label"]
        slices.append((dim, [(f"{dim}={lab}", set(column.index[column == lab])) for lab in labels[dim]]))
    for measure, members in groups.items():
        totals = None
        for dim, parts in slices:
            keys = [cells.count(measure, label, len(members & who), notes[measure] if label == "all" else "")
                    for label, who in parts]
            if dim == "all":
                totals = keys[0]
            else:
                cells.relate(totals, keys)
        if "ethnicity" in by:
            cells.not_held.append((measure, "ethnicity", NOT_HELD))
    for sub, sup in subsets:  # sup = sub + (hidden) the rest, in total and in every breakdown cell
        for _, parts in slices:
            for label, who in parts:
                rest = cells.count(f"{sup}_not_{sub}", label, len((groups[sup] - groups[sub]) & who), hidden=True)
                cells.relate((sup, label), [(sub, label), rest])


def _repeat_victims(crime_rows: pd.DataFrame, every: pd.DataFrame, code: str, rules: StatisticsRules) -> set:
    """The victims of the period's DA crimes with another DA crime against them in the window
    before one of those crimes (same force unless the rules say any force)."""
    earlier = every[every["is_crime"].astype(bool)]
    if not rules.repeat_any_force:
        earlier = earlier[earlier["force_code"] == code]
    earlier = earlier[["person_id", "event_id", "occurred_on"]].drop_duplicates()
    pairs = crime_rows[["person_id", "event_id", "occurred_on"]].drop_duplicates().merge(
        earlier, on="person_id", suffixes=("", "_before"))
    gap = pd.to_datetime(pairs["occurred_on"]) - pd.to_datetime(pairs["occurred_on_before"])
    window = pd.Timedelta(days=rules.repeat_window_days)
    hit = (pairs["event_id"] != pairs["event_id_before"]) & (gap >= pd.Timedelta(0)) & (gap <= window)
    return set(pairs.loc[hit, "person_id"])


def _outcomes(cells: Cells, events: pd.DataFrame, crimes: pd.DataFrame, arrests: pd.DataFrame,
              rules: StatisticsRules) -> None:
    positive = set(rules.positive_outcomes)
    ended = arrests["disposal"].isin(positive) | arrests["decision"].isin(positive)
    good = set(arrests.loc[ended, "event_id"])
    arrested = set(arrests["event_id"])
    crime_ids = set(crimes["event_id"])
    total = ("da_crimes", "all")
    n_arrests = arrests.loc[arrests["event_id"].isin(crime_ids), "custody_key"].nunique()
    arrests_key = cells.count("da_arrests", "all", n_arrests, "arrests (custody records) for the period's DA crimes")
    with_arrest = cells.count("da_crimes_with_arrest", "all", len(crime_ids & arrested))
    cells.relate(total, [with_arrest, cells.count("da_crimes_without_arrest", "all", len(crime_ids - arrested),
                                                  hidden=True)])
    pos = cells.count("da_crimes_positive_outcome", "all", len(crime_ids & good),
                      "an arrest for the crime ended charged or cautioned")
    cells.relate(total, [pos, cells.count("da_crimes_not_positive", "all", len(crime_ids - good), hidden=True)])
    cells.rates.append(("da_arrest_rate", "per 100 DA crimes", arrests_key, total, "arrests per 100 DA crimes"))
    cells.rates.append(("da_positive_outcome_rate", "per 100 DA crimes", pos, total,
                        "DA crimes with a positive outcome per 100 DA crimes"))
    violent = events[~events["da"].astype(bool) & events["is_crime"].astype(bool)
                     & events["offence_group"].isin(set(rules.violent_groups))]
    vid = set(violent["event_id"])
    other = cells.count("other_violent_crimes", "all", len(vid),
                        f"non-DA crimes of the groups {', '.join(rules.violent_groups)}")
    opos = cells.count("other_violent_crimes_positive_outcome", "all", len(vid & good))
    cells.relate(other, [opos, cells.count("other_violent_crimes_not_positive", "all", len(vid - good), hidden=True)])
    cells.rates.append(("other_violent_positive_outcome_rate", "per 100 crimes", opos, other,
                        "other violent crimes with a positive outcome per 100 (compare da_positive_outcome_rate)"))


def _table(cells: Cells, rules: StatisticsRules, force: str, since: dt.date, until: dt.date) -> pd.DataFrame:
    withheld = suppress(cells.values, cells.relations, cells.hidden, rules.threshold).cells
    why = f"withheld: a count of 1 to {rules.threshold}, or one that would reveal such a count"
    rows = []
    for key in cells.order:
        gone = key in withheld
        rows.append({"measure": key[0], "breakdown": key[1], "value": None if gone else cells.values[key],
                     "status": "suppressed" if gone else "published",
                     "note": why if gone else cells.notes.get(key, "")})
    for measure, breakdown, num, den, note in cells.rates:
        shown = num not in withheld and den not in withheld and cells.values[den] > 0
        value = round(100 * cells.values[num] / cells.values[den], 1) if shown else None
        status = "published" if shown else "suppressed" if cells.values[den] > 0 else "not_applicable"
        rows.append({"measure": measure, "breakdown": breakdown, "value": value, "status": status,
                     "note": note if shown else why if status == "suppressed" else "no crimes in the period"})
    for measure, breakdown, note in cells.not_held:
        rows.append({"measure": measure, "breakdown": breakdown, "value": None, "status": "not_held", "note": note})
    out = pd.DataFrame(rows, columns=COLUMNS[:5])
    out["value"] = pd.Series([r["value"] for r in rows], dtype=object)  # counts stay whole numbers
    out["force"], out["period_from"], out["period_to"] = force, since.isoformat(), until.isoformat()
    return out[COLUMNS]
