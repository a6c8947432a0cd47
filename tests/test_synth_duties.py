"""The synthetic world of the duties that run on clocks (#17 item 2).

The custody, notice and referral extracts ``dots synth`` writes load as the loaders promise, the
truth files say what their rows make knowable, and the clocks in the truth are checked here
against the calendar directly (the ``holidays`` package, not the generator's helpers), on a seed
the generator's own module does not use.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import holidays
import pandas as pd
import pytest

from loaders.ingest import ingest_paths
from staging.history import bail_history, current
from staging.store import StagingStore
from synth.generate import generate

# Column lists copied from shared/spec/extracts.md (not imported from the product, on purpose).
CUSTODY = (
    "force,custody_ref,occurrence_ref,nominal_ref,surname,forenames,dob,sex,pnc_id,arrested_at,offence,"
    "ho_offence_code,disposal,bail_until,bail_conditions,authorised_by_rank,protected_nominal_ref,decision,"
    "decision_on,decision_rationale,rui_review_on"
).split(",")
NOTICES = (
    "force,notice_ref,notice_type,served_at,authorised_by_rank,subject_nominal_ref,subject_surname,"
    "subject_forenames,subject_dob,protected_nominal_ref,protected_surname,protected_forenames,protected_dob,"
    "premises,application_made_at,hearing_at,hearing_outcome"
).split(",")
REFERRALS = (
    "force,referral_ref,occurrence_ref,notice_ref,nominal_ref,surname,forenames,dob,service,sent_at,outcome,"
    "child_forenames,child_surname,child_dob,school"
).split(",")
BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2015, 2027))
AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("duties")
    generate(out, people=6000, seed=11)
    data = tmp_path_factory.mktemp("data")
    paths = [p for p in sorted(out.iterdir()) if p.name != "truth"]
    assert all(r.status == "loaded" for r in ingest_paths(paths, data))
    return out, data


def _truth(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "truth" / name, dtype=str, keep_default_na=False)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_headers_match_the_spec(world: tuple[Path, Path]) -> None:
    out, _ = world
    files = {"police-notices.csv": NOTICES, "referrals.csv": REFERRALS}
    files |= {p.name: CUSTODY for p in out.glob("custody-*.csv")}
    assert len(files) == 4  # two custody deliveries
    for name, columns in files.items():
        assert next(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8-sig")))) == columns


def test_every_duty_row_is_loaded_or_quarantined_as_the_truth_says(world: tuple[Path, Path]) -> None:
    out, data = world
    bad = _truth(out, "bad_rows.csv")
    quarantine = StagingStore(data).read("quarantine")
    for name in [p.name for p in out.glob("custody-*.csv")] + ["police-notices.csv", "referrals.csv"]:
        expected = set(bad.loc[bad["file"] == name, "line"].astype(int))
        got = set(quarantine.loc[quarantine["source_file"] == str(out / name), "source_line"])
        assert expected and got == expected, name
    staged = StagingStore(data).read("custody_records")
    assert set(staged["custody_key"]).isdisjoint(set(bad["record_key"]))


def test_the_later_custody_delivery_is_the_current_state_and_bail_history_is_the_truths(
    world: tuple[Path, Path],
) -> None:
    out, data = world
    store = StagingStore(data)
    later = pd.read_csv(out / "custody-2025-06-30.csv", dtype=str, keep_default_na=False)
    now = current(store.read("custody_records"), "custody_records").set_index("custody_ref")
    shown = later[later["custody_ref"].isin(now.index)]
    assert len(shown) > 300
    assert (now.loc[shown["custody_ref"], "decision"].fillna("").to_numpy() == shown["decision"].to_numpy()).all()
    truth = _truth(out, "bail_periods.csv")
    periods = bail_history(store.read("bail_periods"))
    staged = set(zip(periods["custody_key"], periods["ends_on"].dt.date.astype(str), strict=True))
    assert staged == set(zip(truth["custody_record_key"], truth["ends_on"], strict=True))
    assert (truth["period_no"].astype(int) > 1).any()  # extensions seen across the two deliveries


def test_bail_truth_covers_both_regimes_and_every_failure(world: tuple[Path, Path]) -> None:
    out, _ = world
    periods = _truth(out, "bail_periods.csv")
    arrested = pd.to_datetime(periods["arrested_on"]).dt.date
    assert ((arrested >= dt.date(2022, 10, 28)) == (periods["regime"] == "2022")).all()
    assert (arrested >= dt.date(2017, 4, 3)).all()
    for regime in ("2017", "2022"):
        assert (periods[periods["regime"] == regime]["beyond_limit"] == "Y").any()
    assert (periods.loc[(periods["regime"] == "2017") & (periods["authorised_by_rank"] == "SERGEANT"),
                        "beyond_limit"] == "Y").all()
    assert (periods.loc[periods["authorised_by_rank"] == "COURT", "beyond_limit"] == "N").all()
    assert {"in_time", "late", "none", "date_unknown"} <= set(periods["decided"])
    listed = _truth(out, "safeguarding_bail.csv")
    assert {"lapsed_no_decision", "beyond_limit", "rui_without_authority", "rui_review_overdue"} <= set(listed["state"])
    lapsed = listed[listed["state"] == "lapsed_no_decision"]
    assert (pd.to_datetime(lapsed["due_on"]).dt.date < AS_OF).all()
    rui = _truth(out, "rui_periods.csv")
    assert {"True", "False"} <= set(rui["start_known"]) and {"True", "False"} <= set(rui["authority_ok"])


def _counted_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Hours from start to end not on a Sunday or a bank holiday (CSA 2010 s.27)."""
    hours, t = 0.0, start
    while t < end:
        step = min(end, dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time()))
        if t.weekday() != 6 and t.date() not in BANK_HOLIDAYS:
            hours += (step - t).total_seconds() / 3600
        t = step
    return hours


def test_notice_clocks_against_the_calendar(world: tuple[Path, Path]) -> None:
    out, _ = world
    notices = _truth(out, "notices.csv")
    for n in notices.itertuples(index=False):
        served, due = _at(n.served_at), _at(n.hearing_due_at)
        assert abs(_counted_hours(served, due) - 48) < 1e-6
        if n.hearing_at:
            late = _at(n.hearing_at) > due
            assert n.hearing_state == ("hearing_late" if late else "in_time")
        if n.referral_due_at:
            # by the end of the second working day after the day of service
            day, working = served.date(), 0
            while working < 2:
                day += dt.timedelta(days=1)
                working += day.weekday() < 5 and day not in BANK_HOLIDAYS
            assert _at(n.referral_due_at).date() == day
    assert {"in_time", "hearing_late", "hearing_missing"} <= set(notices["hearing_state"])
    assert {"in_time", "referral_late", "referral_missing", "referral_after_expiry"} <= set(notices["referral_state"])
    across = notices[[_counted_hours(_at(s), _at(d)) < (_at(d) - _at(s)).total_seconds() / 3600 - 1
                      for s, d in zip(notices["served_at"], notices["hearing_due_at"], strict=True)]]
    assert len(across)  # some 48 hours run over a Sunday or a bank holiday


def test_encompass_clock_against_the_calendar(world: tuple[Path, Path]) -> None:
    out, data = world
    truth = _truth(out, "encompass.csv")
    due = truth[truth["state"].isin(["in_time", "late", "missing", "due"])]
    for c in due.itertuples(index=False):
        incident, at = _at(c.incident_at), _at(c.due_at)
        assert at.time() == dt.time(9) and at.weekday() < 5 and at.date() not in BANK_HOLIDAYS
        assert at > incident and (at - incident).days <= 5
        between = [incident.date() + dt.timedelta(days=k) for k in range(1, (at.date() - incident.date()).days)]
        assert all(d.weekday() >= 5 or d in BANK_HOLIDAYS for d in between)  # the next school day
        assert 4 <= int(c.age) <= 17
    nights = pd.to_datetime(due["incident_at"])
    assert (nights.dt.weekday.isin([4, 5])).any()  # Friday and Saturday nights
    assert any((d + dt.timedelta(days=1)).date() in BANK_HOLIDAYS for d in nights)  # the eve of a bank holiday
    assert {"in_time", "late", "missing", "not_school_age"} <= set(truth["state"])
    inv = StagingStore(data).read("involvements")
    children = set(inv.loc[(inv["role"] == "other") & (inv["relationship_raw"] == "Child"), "record_key"])
    assert set(truth["child_record_key"]) <= children
    assert {k.split("/")[0] for k in truth["child_record_key"]} >= {"Northumbria", "Metropolitan"}


def test_protection_gaps(world: tuple[Path, Path]) -> None:
    out, _ = world
    gaps = _truth(out, "protection_gaps.csv")
    ends = pd.to_datetime(gaps["ends_on"]).dt.date
    listed = gaps["listed"] == "True"
    in_window = (ends >= AS_OF - dt.timedelta(days=28)) & (ends <= AS_OF + dt.timedelta(days=14))
    recent = pd.to_datetime(gaps["last_event_on"]).dt.date >= AS_OF - dt.timedelta(days=90)
    assert (listed == (in_window & (gaps["followed_by"] == "") & recent)).all()
    assert listed.sum() >= 10
    assert (in_window & (gaps["followed_by"] != "")).any()  # protection that continued
    assert (in_window & (gaps["followed_by"] == "") & ~recent).any()  # ended, but no recent offending
    assert set(_truth(out, "safeguarding_gaps.csv")["record_key"]) == set(gaps.loc[listed, "record_key"])


def test_everyone_the_lists_name_is_a_true_person(world: tuple[Path, Path]) -> None:
    out, data = world
    people = set(_truth(out, "persons.csv")["true_person_id"])
    for name, column in (("safeguarding_bail.csv", "person_id"), ("safeguarding_notices.csv", "person_id"),
                         ("safeguarding_encompass.csv", "child_id"), ("safeguarding_gaps.csv", "protected_id")):
        ids = set(_truth(out, name)[column])
        assert ids and ids <= people, name
    staged = set(StagingStore(data).read("person_records")["record_key"])
    assert set(_truth(out, "persons.csv")["record_key"]) <= staged
