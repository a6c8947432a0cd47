"""The safeguarding lists (bail, notices, gaps, encompass) and the clocks and rules they run on.

The lists are scored against the generator's truth (``synth/duty_truth.py`` writes the rules of
domain.md out on its own) on both engines, with entities from truth so linkage quality does not
enter the score; the clocks are checked on dates chosen for their weekends, bank holidays and the
28 October 2022 change of bail regime, and by properties over many dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph import queries as Q
from reference.safeguarding import (
    add_months,
    counts_for_dvpo,
    hearing_due,
    load_rules,
    referral_due,
    school_due,
)

AS_OF = dt.date(2025, 6, 30)  # the synthetic extract date (truth/summary.json "as_of")
KEYS = {
    "bail": (["custody_record_key", "state", "due_on", "person_id", "days_over"], "safeguarding_bail.csv"),
    "notices": (["notice_record_key", "state", "person_id", "served_at", "hearing_due_at"],
                "safeguarding_notices.csv"),
    "gaps": (["person_id", "protected_id", "kind", "ends_on", "last_event_on"], "safeguarding_gaps.csv"),
    "encompass": (["event_key", "child_id", "state", "due_at", "sent_at"], "safeguarding_encompass.csv"),
}


def score(got: pd.DataFrame, want: pd.DataFrame, cols: list[str]) -> tuple[float, float, set, set]:
    g = set(map(tuple, got[cols].astype(str).to_numpy()))
    w = set(map(tuple, want[cols].astype(str).to_numpy()))
    tp = len(g & w)
    return (tp / len(g) if g else 1.0), (tp / len(w) if w else 1.0), g - w, w - g


@pytest.fixture()
def synth_graph(graph_synth, graph_synth_data):
    """The synthetic world's graph on this case's engine, and the generator's truth."""
    return graph_synth, graph_synth_data[1]


@pytest.mark.parametrize("name", list(KEYS))
def test_each_list_scores_against_truth(synth_graph, name):
    g, truth = synth_graph
    cols, file = KEYS[name]
    want = pd.read_csv(truth / file, dtype=str, keep_default_na=False)
    got = Q.safeguarding_list(g, name, AS_OF)
    p, r, extra, missed = score(got, want, cols)
    print(f"\n{name}: precision {p:.3f} recall {r:.3f} (truth {len(want)}, listed {len(got)})")
    assert len(want) > 0
    assert p >= 0.98 and r >= 0.98, (sorted(extra)[:5], sorted(missed)[:5])
    assert got["explanation"].str.len().gt(0).all() and got["rule"].str.len().gt(0).all()


def test_bail_list_either_side_of_the_2022_regime(synth_graph):
    """Periods of arrests before and from 28 October 2022 are judged by their own regime's limits."""
    g, truth = synth_graph
    periods = pd.read_csv(truth / "bail_periods.csv", dtype=str, keep_default_na=False)
    want = pd.read_csv(truth / "safeguarding_bail.csv", dtype=str, keep_default_na=False)
    got = Q.bail_list(g, AS_OF)
    regime = periods.drop_duplicates("custody_record_key").set_index("custody_record_key")["regime"]
    states = ["lapsed_no_decision", "due_no_decision", "beyond_limit"]  # the states of bail periods
    got, want = got[got["state"].isin(states)], want[want["state"].isin(states)]
    assert set(got["regime"]) >= {"2017", "2022"}
    for name in ("2017", "2022"):
        mine = got[got["regime"] == name]
        theirs = want[want["custody_record_key"].map(regime) == name]
        assert len(theirs), name
        p, r, _, _ = score(mine, theirs, KEYS["bail"][0])
        assert p >= 0.98 and r >= 0.98, name
    beyond = got[got["state"] == "beyond_limit"]
    assert (beyond["explanation"].str.contains("regime")).all()


def test_lists_are_scoped_to_a_force(synth_graph):
    g, _ = synth_graph
    whole = Q.bail_list(g, AS_OF)
    durham = Q.bail_list(g, AS_OF, force="Durham Constabulary")
    assert len(durham) and set(durham["force"]) == {"Durham Constabulary"}
    assert set(map(tuple, durham.to_numpy())) <= set(map(tuple, whole.to_numpy()))
    notices = Q.notices_list(g, AS_OF, force="Northumbria")
    assert len(notices) and notices["force"].str.startswith("Northumbria").all()
    with pytest.raises(ValueError, match="unknown force"):
        Q.encompass_list(g, AS_OF, force="Atlantis")


def test_facts_after_the_date_are_not_yet_known(synth_graph):
    """Asked on an earlier date, a list judges only what had happened by then: nothing served,
    arrested or seen after the date appears."""
    g, _ = synth_graph
    day = dt.date(2021, 3, 1)
    notices = Q.notices_list(g, day)
    assert (pd.to_datetime(notices["served_at"]) <= pd.Timestamp(day) + pd.Timedelta(days=1)).all()
    enc = Q.encompass_list(g, day)
    assert (pd.to_datetime(enc["incident_at"]) < pd.Timestamp(day) + pd.Timedelta(days=1)).all()
    bail = Q.bail_list(g, day)
    assert (pd.to_datetime(bail["arrested_on"]) <= pd.Timestamp(day)).all()


def test_due_today_comes_first(synth_graph):
    g, _ = synth_graph
    for name in ("bail", "notices", "encompass"):
        out = Q.safeguarding_list(g, name, AS_OF)
        due = {"bail": "due_on", "notices": "due_at", "encompass": "due_at"}[name]
        days = pd.to_datetime(out[due]).dt.date
        today = days == AS_OF
        if today.any():
            assert today.iloc[: int(today.sum())].all()


def test_active_bail_conditions_protect_a_person(synth_graph):
    g, truth = synth_graph
    periods = pd.read_csv(truth / "bail_periods.csv", dtype=str, keep_default_na=False)
    with_conditions = periods[(periods["conditions"] == "Y") & (periods["protected_id"] != "")]
    day = dt.date.fromisoformat(with_conditions["starts_on"].max())
    running = Q.active_bail_conditions(g, day)
    assert len(running) and running["protected_id"].notna().all()
    assert (running["ends_effective"] >= day).all()


# -- the clocks --------------------------------------------------------------------------------------


def test_hearing_48_hours_skip_sundays_and_bank_holidays():
    # served Friday 10:00: Saturday counts, Sunday does not -> Monday 10:00
    assert hearing_due(dt.datetime(2024, 3, 1, 10, 0)) == dt.datetime(2024, 3, 4, 10, 0)
    # Thursday before Easter 2024: Good Friday (29 Mar) and Sunday do not count, nor Easter Monday
    assert hearing_due(dt.datetime(2024, 3, 28, 12, 0)) == dt.datetime(2024, 4, 2, 12, 0)
    # Christmas Eve 2024 (Tue) 20:00: 4h, then 25 and 26 Dec skipped, 44h from 27 Dec -> 28 Dec 20:00
    assert hearing_due(dt.datetime(2024, 12, 24, 20, 0)) == dt.datetime(2024, 12, 28, 20, 0)
    # served on a Sunday: the clock starts on Monday
    assert hearing_due(dt.datetime(2024, 3, 3, 15, 0)) == dt.datetime(2024, 3, 6, 0, 0)


def test_referral_two_working_days_and_school_next_morning():
    # served Thursday 28 Mar 2024: Good Friday, weekend, Easter Monday -> Wed 3 Apr end of day
    assert referral_due(dt.datetime(2024, 3, 28, 9, 0)) == dt.datetime(2024, 4, 3, 23, 59)
    # Friday evening before the late May bank holiday (27 May 2024) -> Tuesday 09:00
    assert school_due(dt.datetime(2024, 5, 24, 21, 0)) == dt.datetime(2024, 5, 28, 9, 0)
    # before 09:00 on a school day: that morning; at 09:00: the next school day
    assert school_due(dt.datetime(2024, 5, 22, 6, 30)) == dt.datetime(2024, 5, 22, 9, 0)
    assert school_due(dt.datetime(2024, 5, 22, 9, 0)) == dt.datetime(2024, 5, 23, 9, 0)


def test_bail_limits_are_keyed_on_the_arrest_date():
    rules = load_rules()
    before, after = dt.date(2022, 10, 27), dt.date(2022, 10, 28)
    assert rules.regime(before).name == "2017" and rules.regime(after).name == "2022"
    assert rules.bail_limit(before, "INSPECTOR") == (dt.date(2022, 11, 24), True)
    assert rules.bail_limit(before, "SUPERINTENDENT") == (dt.date(2023, 1, 27), True)
    assert rules.bail_limit(before, "SERGEANT") == (None, False)  # a sergeant could not bail then
    assert rules.bail_limit(after, "SERGEANT") == (dt.date(2023, 1, 28), True)
    assert rules.bail_limit(after, "INSPECTOR") == (dt.date(2023, 4, 28), True)
    assert rules.bail_limit(after, "CHIEF_SUPERINTENDENT") == (dt.date(2023, 7, 28), True)
    assert rules.bail_limit(after, "COURT") == (None, True)
    assert add_months(dt.date(2023, 11, 30), 3) == dt.date(2024, 2, 29)
    assert rules.rui_authorised("INSPECTOR", "risk reviewed") and not rules.rui_authorised("SERGEANT", "x")
    assert not rules.rui_authorised("SUPERINTENDENT", "  ")


def test_rules_come_from_a_file(tmp_path: Path, monkeypatch):
    text = (Path(__file__).resolve().parents[1] / "reference" / "data" / "safeguarding.yaml").read_text()
    mine = tmp_path / "rules.yaml"
    mine.write_text(text.replace("review_months: 3", "review_months: 1"))
    assert load_rules(mine).rui_review_months == 1
    monkeypatch.setenv("DOTS_SAFEGUARDING_RULES", str(mine))
    assert load_rules().rui_review_months == 1  # a force's own file for the API and every command
    monkeypatch.delenv("DOTS_SAFEGUARDING_RULES")
    assert load_rules().rui_review_months == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("rank: SERGEANT", "rank: ARCHBISHOP"))
    with pytest.raises(ValueError, match="unknown rank"):
        load_rules(bad)
    (tmp_path / "empty.yaml").write_text("bail: {}\n")
    with pytest.raises(ValueError, match="empty.yaml"):
        load_rules(tmp_path / "empty.yaml")


@given(st.datetimes(min_value=dt.datetime(2016, 1, 1), max_value=dt.datetime(2030, 12, 31)))
def test_hearing_due_counts_exactly_48_hours(served):
    served = served.replace(second=0, microsecond=0)
    due = hearing_due(served)
    counted, t = dt.timedelta(0), served
    while t < due:
        nxt = min(due, dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time()))
        if counts_for_dvpo(t.date()):
            counted += nxt - t
        t = nxt
    assert counted == dt.timedelta(hours=48)
    assert due - served >= dt.timedelta(hours=48)


@given(st.datetimes(min_value=dt.datetime(2016, 1, 1), max_value=dt.datetime(2030, 12, 31)))
def test_school_due_is_the_next_school_morning(incident):
    due = school_due(incident)
    assert due > incident and due.time() == dt.time(9, 0) and due.weekday() < 5
    assert due - incident <= dt.timedelta(days=6)  # no run of closed days is longer (Christmas + weekend)


def test_bail_conditions_join_the_orders_register_and_the_breach_matcher(synth_graph):
    g, truth = synth_graph
    periods = pd.read_csv(truth / "bail_periods.csv", dtype=str, keep_default_na=False)
    protecting = periods[(periods["conditions"] == "Y") & (periods["protected_id"] != "")]
    # a day on which some bail conditions run: the register lists each running period once
    day = dt.date.fromisoformat(protecting["starts_on"].max()) + dt.timedelta(days=1)
    register = Q.orders_active(g, day, include_bail=True)
    bail = register[register["order_type"] == "BAIL_CONDITIONS"]
    running = Q.active_bail_conditions(g, day)
    assert len(bail) == running["period_id"].nunique() > 0
    assert len(Q.orders_active(g, day)) == len(register) - len(bail)
    assert (pd.to_datetime(bail["made_on"]) <= pd.Timestamp(day)).all()
    assert (pd.to_datetime(bail["expires_on"]) >= pd.Timestamp(day)).all()
    # breaches: the bailed suspect as suspect, the protected person as victim, while the period ran
    found = Q.possible_breaches(g, include_bail=True)
    mine = found[found["order_type"] == "BAIL_CONDITIONS"]
    assert len(mine) > 0
    assert len(Q.possible_breaches(g)) == len(found) - len(mine)
    by_key = {(r.custody_record_key, r.ends_on): r for r in periods.itertuples(index=False)}
    for b in mine.itertuples(index=False):
        key, ends = b.order_id.rsplit("|", 1)
        p = by_key[(key, ends)]
        assert b.respondent_id == p.true_person_id and b.protected_id == p.protected_id
        assert dt.date.fromisoformat(p.arrested_on) < b.occurred_on <= dt.date.fromisoformat(ends)
        assert dt.date.fromisoformat(p.starts_on) <= b.occurred_on
    one = mine.iloc[0]
    assert len(Q.possible_breaches(g, include_bail=True, respondent_id=one["respondent_id"])
               .query("order_type == 'BAIL_CONDITIONS'")) >= 1


def test_target_list_shows_bail_rui_and_notices(synth_graph):
    g, _ = synth_graph
    shown = 0
    for force in ("Metropolitan", "Durham", "Northumbria", "Cleveland", "Cumbria"):
        t = Q.targets(g, force, AS_OF)
        assert {"active_bail", "open_rui", "notices"} <= set(t.columns)
        shown += int(t[["active_bail", "open_rui", "notices"]].to_numpy().sum())
    assert shown > 0
