"""`dots stats`: a force's HMIC figures on both engines, checked against an independent pandas
computation from the staged extracts (never the graph, never graph.build) with truth entities, and
the published table's suppression checked on the real answer."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from graph.queries.stats import force_statistics
from reference.statistics import load_statistics_rules

KINDS = {"intimate", "family"}
PERIODS = [(dt.date(2016, 1, 1), dt.date(2025, 6, 30)), (dt.date(2019, 4, 1), dt.date(2021, 3, 31))]
RULES = load_statistics_rules()
OPEN = dataclasses.replace(RULES, threshold=0)  # nothing suppressed: every count comparable


class Oracle:
    """The figures again, from the staged tables with pandas."""

    def __init__(self, data_dir, entities: pd.DataFrame):
        from staging.store import StagingStore

        store = StagingStore(data_dir)
        recs = store.read("person_records").drop_duplicates("record_key", keep="last")
        person = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
        recs["person"] = recs["record_key"].map(person).fillna(recs["record_key"])
        # a person's sex and date of birth: the last one their records give (graph/README.md, Person)
        self.people = recs.groupby("person")[["dob", "sex"]].last()
        ev = store.read("events").drop_duplicates("event_key", keep="last").copy()
        inv = store.read("involvements").drop_duplicates(["event_key", "record_key", "role"], keep="last").copy()
        inv["person"] = inv["record_key"].map(recs.set_index("record_key")["person"])
        named = set(inv.loc[inv["relationship"].isin(KINDS), "event_key"])
        ev["day"] = pd.to_datetime(ev["occurred_at"]).dt.date
        ev["da"] = ev["da_relevant"].fillna(False).astype(bool) | ev["da_marker"].fillna(False).astype(bool) \
            | ev["event_key"].isin(named)
        ev["crime"] = ev["ho_code"].notna() & (ev["offence_group"].fillna("") != "non_crime")
        self.ev = ev
        self.victims = inv[(inv["role"] == "victim") & inv["person"].notna()]
        order = ["loaded_at", "source_file", "source_line"]
        self.custody = store.read("custody_records").sort_values(order).drop_duplicates("custody_key", keep="last")
        self.referrals = store.read("referrals").sort_values(order).drop_duplicates("referral_key", keep="last")

    def figures(self, force: str, since: dt.date, until: dt.date, rules) -> dict[tuple[str, str], int]:
        ev = self.ev[(self.ev["force_code"] == force) & (self.ev["day"] >= since) & (self.ev["day"] <= until)]
        da = ev[ev["da"]]
        crimes = da[da["crime"]]
        out = {("da_incidents", "all"): len(da), ("da_crimes", "all"): len(crimes),
               ("da_non_crime_incidents", "all"): len(da) - len(crimes)}
        rank = {"standard": 1, "medium": 2, "high": 3}
        vic = self.victims[self.victims["event_key"].isin(set(da["event_key"]))]
        for _, e in da.iterrows():
            levels = [rank.get(e["risk"], 0)] + [rank.get(r, 0) for r in vic.loc[vic["event_key"] == e["event_key"],
                                                                                  "dash_risk"]]
            name = {0: "not_assessed", 1: "standard", 2: "medium", 3: "high"}[max(levels)]
            out[("da_incidents", f"risk={name}")] = out.get(("da_incidents", f"risk={name}"), 0) + 1
        vic = vic.assign(day=vic["event_key"].map(da.set_index("event_key")["day"]))
        first = vic.sort_values(["day", "event_key"]).drop_duplicates("person").set_index("person")
        crime_vic = set(vic.loc[vic["event_key"].isin(set(crimes["event_key"])), "person"])
        # repeat: another DA crime of the same force against them in the window before one of them
        all_crimes = self.ev[self.ev["da"] & self.ev["crime"] & (self.ev["force_code"] == force)]
        crime_days = self.victims.merge(all_crimes[["event_key", "day"]], on="event_key")
        repeat = set()
        for p in crime_vic:
            mine = crime_days[crime_days["person"] == p]
            here = mine[mine["event_key"].isin(set(crimes["event_key"]))]
            for _, c in here.iterrows():
                gaps = [(c["day"] - d).days for k, d in zip(mine["event_key"], mine["day"], strict=True)
                        if k != c["event_key"]]
                if any(0 <= g <= rules.repeat_window_days for g in gaps):
                    repeat.add(p)
        for measure, who in (("da_victims", set(first.index)), ("da_crime_victims", crime_vic),
                             ("repeat_victims", repeat)):
            out[(measure, "all")] = len(who)
            for p in who:
                sex = {"F": "female", "M": "male"}.get(self.people.loc[p, "sex"], "unknown")
                out[(measure, f"sex={sex}")] = out.get((measure, f"sex={sex}"), 0) + 1
                band = _band(self.people.loc[p, "dob"], first.loc[p, "day"])
                out[(measure, f"age={band}")] = out.get((measure, f"age={band}"), 0) + 1
        cust = self.custody[self.custody["event_key"].isin(set(crimes["event_key"]))]
        good = self.custody[self.custody["disposal"].isin(["CHARGED", "CAUTIONED"])
                            | self.custody["decision"].isin(["CHARGED", "CAUTIONED"])]
        out[("da_arrests", "all")] = cust["custody_key"].nunique()
        out[("da_crimes_with_arrest", "all")] = cust["event_key"].nunique()
        out[("da_crimes_positive_outcome", "all")] = len(set(good["event_key"]) & set(crimes["event_key"]))
        violent = ev[~ev["da"] & ev["crime"] & ev["offence_group"].isin(rules.violent_groups)]
        out[("other_violent_crimes", "all")] = len(violent)
        out[("other_violent_crimes_positive_outcome", "all")] = len(set(good["event_key"]) & set(violent["event_key"]))
        ref = self.referrals
        sent = pd.to_datetime(ref["sent_at"]).dt.date
        out[("marac_referrals", "all")] = int(((ref["service"] == "MARAC") & (ref["force_code"] == force)
                                               & (sent >= since) & (sent <= until)).sum())
        return out


def _band(dob, day: dt.date) -> str:
    if dob is None or pd.isna(dob):
        return "unknown"
    dob = pd.Timestamp(dob).date()
    age = day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
    for low, high in RULES.age_bands:
        if age >= low and (high is None or age <= high):
            return f"{low}+" if high is None else f"{low}-{high}"
    return "unknown"


@pytest.fixture(scope="module")
def oracle(graph_synth_data) -> Oracle:
    data_dir, _, entities = graph_synth_data
    return Oracle(data_dir, entities)


def _forces(oracle: Oracle) -> list[str]:
    counts = oracle.ev[oracle.ev["da"]].groupby("force_code").size()
    return sorted(counts.index)


def test_every_count_equals_the_independent_computation(graph_synth, oracle) -> None:
    checked = 0
    for force in _forces(oracle):
        for since, until in PERIODS:
            table = force_statistics(graph_synth, force, since, until, by=("sex", "age"), rules=OPEN)
            want = oracle.figures(force, since, until, OPEN)
            counts = table[table["status"].eq("published") & ~table["measure"].str.endswith("_rate")]
            got = {(m, b): int(v) for m, b, v in zip(counts["measure"], counts["breakdown"], counts["value"],
                                                      strict=True)}
            assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}, (force, since)
            checked += sum(1 for v in want.values() if v)
            rates = table.set_index("measure")["value"]
            if want[("da_crimes", "all")]:
                arrests, crimes = want[("da_arrests", "all")], want[("da_crimes", "all")]
                assert rates["da_arrest_rate"] == round(100 * arrests / crimes, 1)
    assert checked > 200  # the world has enough in it for the comparison to mean something


def test_suppressed_table_publishes_no_small_count_and_hides_nothing_recoverable(graph_synth, oracle) -> None:
    force = _forces(oracle)[0]
    since, until = PERIODS[1]
    table = force_statistics(graph_synth, force, since, until, by=("sex", "age", "ethnicity"))
    full = oracle.figures(force, since, until, RULES)
    counts = table[~table["measure"].str.endswith("_rate") & table["status"].isin(["published", "suppressed"])]
    published = counts[counts["status"] == "published"]
    assert not published["value"].astype(int).between(1, 4).any()
    suppressed = counts[counts["status"] == "suppressed"]
    assert len(suppressed) and suppressed["value"].isna().all()
    for (measure, breakdown) in zip(suppressed["measure"], suppressed["breakdown"], strict=True):
        assert full.get((measure, breakdown), 0) >= 0  # a real cell, not an invented one
    # a total minus its published parts never gives a suppressed part back (each breakdown of each total)
    shown = {(m, b): v for m, b, v in zip(counts["measure"], counts["breakdown"], counts["value"], strict=True)}
    for measure in ("da_victims", "da_crime_victims", "repeat_victims", "da_incidents"):
        for prefix in ("sex=", "age=", "risk="):
            parts = {k: v for k, v in shown.items() if k[0] == measure and k[1].startswith(prefix)}
            if not parts:
                continue
            missing = [k for k, v in parts.items() if v is None]
            total = shown[(measure, "all")]
            assert len(missing) != 1 or total is None, (measure, prefix, missing)
    # rows the data does not hold say so, with no value
    held = table.set_index(["measure", "breakdown"])
    for key in [("da_victims", "ethnicity"), ("cps_outcomes", "all"), ("victim_satisfaction", "all")]:
        assert held.loc[key, "status"] == "not_held" and pd.isna(held.loc[key, "value"])
    note = held.loc[("repeat_victims", "all"), "note"]
    assert "365 days" in note and "DA crime" in note


def test_the_period_bounds_are_inclusive_and_counts_add_up(graph_synth, oracle) -> None:
    force = _forces(oracle)[0]
    days = sorted(oracle.ev.loc[oracle.ev["da"] & (oracle.ev["force_code"] == force), "day"])
    day = days[len(days) // 2]
    one = force_statistics(graph_synth, force, day, day, by=(), rules=OPEN).set_index(["measure", "breakdown"])
    assert one.loc[("da_incidents", "all"), "value"] == sum(1 for d in days if d == day) >= 1
    whole = force_statistics(graph_synth, force, days[0], days[-1], by=("sex",), rules=OPEN)
    whole = whole.set_index(["measure", "breakdown"])["value"]
    assert whole[("da_incidents", "all")] == len(days)
    assert whole[("da_incidents", "all")] == whole[("da_crimes", "all")] + whole[("da_non_crime_incidents", "all")]
    assert whole[("da_victims", "all")] == sum(whole[("da_victims", f"sex={s}")] for s in ("female", "male", "unknown"))
    assert whole[("repeat_victims", "all")] <= whole[("da_crime_victims", "all")] <= whole[("da_victims", "all")]


def test_a_longer_repeat_window_finds_at_least_as_many(graph_synth, oracle) -> None:
    force = _forces(oracle)[0]
    since, until = PERIODS[0]
    counts = []
    for days in (30, 365, 3650):
        rules = dataclasses.replace(OPEN, repeat_window_days=days)
        table = force_statistics(graph_synth, force, since, until, by=(), rules=rules).set_index("measure")
        counts.append(int(table.loc["repeat_victims", "value"]))
        assert counts[-1] == oracle.figures(force, since, until, rules)[("repeat_victims", "all")]
    assert counts == sorted(counts) and counts[-1] > counts[0]


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"force": "Narnia"}, "unknown force"),
    ({"by": ("sex", "religion")}, "unknown breakdown"),
    ({"since": dt.date(2024, 1, 2), "until": dt.date(2024, 1, 1)}, "starts after it ends"),
])
def test_bad_questions_are_refused(graph_synth, oracle, kwargs, says) -> None:
    args = {"force": _forces(oracle)[0], "since": dt.date(2020, 1, 1), "until": dt.date(2020, 12, 31), **kwargs}
    with pytest.raises(ValueError, match=says):
        force_statistics(graph_synth, args.pop("force"), args.pop("since"), args.pop("until"), **args)


def test_age_bands_count_the_birthday_itself_and_leap_days() -> None:
    assert RULES.age_band(dt.date(2000, 6, 1), dt.date(2016, 6, 1)) == "16-19"
    assert RULES.age_band(dt.date(2000, 6, 1), dt.date(2016, 5, 31)) == "0-15"
    # born 29 February: 25 in a common year on 1 March, not on 28 February
    assert RULES.age_band(dt.date(2000, 2, 29), dt.date(2025, 2, 28)) == "20-24"
    assert RULES.age_band(dt.date(2000, 2, 29), dt.date(2025, 3, 1)) == "25-34"
    assert RULES.age_band(dt.date(2000, 2, 29), dt.date(2020, 2, 29)) == "20-24"  # a leap year has the day
    assert RULES.age_band(None, dt.date(2019, 2, 28)) == "unknown"
    assert RULES.age_band(dt.date(1900, 1, 1), dt.date(2020, 1, 1)) == "65+"
