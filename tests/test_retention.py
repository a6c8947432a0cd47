"""MoPI retention review: the schedule's boundaries (a record exactly 6 or 10 years old, the 100th
birthday, 29 February, an unknown date of birth), the configuration deciding the answer without a
code change, and the review list on both engines against an independent computation from the
staged extracts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from graph.queries.retention import retention_review
from reference.config import DATA
from reference.retention import load_retention_rules

D = dt.date
RULES = load_retention_rules()


# -- the schedule -----------------------------------------------------------------------------------

def test_a_record_exactly_ten_or_six_years_old_is_due_that_day_and_not_the_day_before() -> None:
    for group, years in ((1, 10), (2, 10), (3, 6)):
        made = D(2012, 5, 17)
        on = D(2012 + years, 5, 17)
        due = RULES.review(group, made, [D(1980, 1, 1)], on)
        assert due is not None and due.review_on == on and due.review_number == 1, group
        assert RULES.review(group, made, [D(1980, 1, 1)], on - dt.timedelta(days=1)) is None, group
        again = RULES.review(group, made, [D(1980, 1, 1)], D(2012 + 2 * years, 5, 17))
        assert again.review_on == D(2012 + 2 * years, 5, 17) and again.review_number == 2
        assert again.next_review_on == D(2012 + 3 * years, 5, 17)


def test_group_one_ends_on_the_hundredth_birthday() -> None:
    made, dob = D(2020, 1, 10), D(1925, 7, 1)
    assert RULES.review(1, made, [dob], D(2025, 6, 30)) is None  # the first 10-year review is in 2030
    due = RULES.review(1, made, [dob], D(2025, 7, 1))
    assert due.review_on == D(2025, 7, 1) and "deemed 100" in due.reason and due.retain_until == D(2025, 7, 1)
    later = RULES.review(1, made, [dob], D(2040, 1, 1))
    assert later.review_on == D(2025, 7, 1)  # retention ended: no further periodic reviews
    # before it: the next review is the earlier of the 10-year review and the birthday
    early = RULES.review(1, D(2000, 1, 10), [D(1912, 3, 1)], D(2010, 1, 10))
    assert early.review_on == D(2010, 1, 10) and early.next_review_on == D(2012, 3, 1)
    # groups 2 and 3 do not end at 100: the age plays no part
    assert RULES.review(3, made, [dob], D(2025, 7, 1)) is None


def test_the_youngest_subject_decides_and_an_unknown_birth_keeps_the_record() -> None:
    made = D(2000, 1, 1)
    both = RULES.review(1, made, [D(1900, 1, 1), D(1930, 6, 1)], D(2031, 1, 1))
    assert both.review_on == D(2030, 6, 1) and "deemed 100" in both.reason
    for dobs in ([None], [D(1900, 1, 1), None], []):
        kept = RULES.review(1, made, dobs, D(2125, 1, 1))
        assert kept.review_on == D(2120, 1, 1) and kept.review_number == 12, dobs
        assert "date of birth unknown" in kept.reason and kept.retain_until is None


def test_the_twenty_ninth_of_february() -> None:
    # born 29 February 2000: 100 on 1 March 2100 (2100 is a common year), not on 28 February
    dob = D(2000, 2, 29)
    assert RULES.review(1, D(2096, 1, 1), [dob], D(2100, 2, 28)) is None
    assert RULES.review(1, D(2096, 1, 1), [dob], D(2100, 3, 1)).review_on == D(2100, 3, 1)
    # born 29 February 1928: 2028 is a leap year, the birthday is the day itself
    assert RULES.review(1, D(2025, 1, 1), [D(1928, 2, 29)], D(2028, 2, 29)).review_on == D(2028, 2, 29)
    # a record made on 29 February 2016 is 6 years old on 1 March 2022
    assert RULES.review(3, D(2016, 2, 29), [], D(2022, 2, 28)) is None
    assert RULES.review(3, D(2016, 2, 29), [], D(2022, 3, 1)).review_on == D(2022, 3, 1)
    assert RULES.review(3, D(2016, 2, 29), [], D(2028, 2, 29)).review_on == D(2028, 2, 29)  # 12 years: a leap day


def test_records_fall_in_groups_by_the_configured_rules() -> None:
    assert RULES.group_of({"kind": "event", "da": False, "offence_group": "rape"})[0] == 1
    assert RULES.group_of({"kind": "event", "da": True, "offence_group": "violence_with_injury"})[0] == 1
    assert RULES.group_of({"kind": "event", "da": True, "offence_group": "non_crime"})[0] == 2
    assert RULES.group_of({"kind": "event", "da": False, "offence_group": "violence_without_injury"})[0] == 2
    assert RULES.group_of({"kind": "event", "da": False, "offence_group": "criminal_damage"}) == (
        3, "no rule matched: the default group")
    assert RULES.group_of({"kind": "order", "order_type": "NON_MOLESTATION"})[0] == 1


def _config(tmp_path: Path, change) -> Path:  # noqa: ANN001
    doc = yaml.safe_load((DATA / "retention.yaml").read_text())
    change(doc)
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_configuration_changes_the_answer_without_code(tmp_path) -> None:
    def shorter(doc):
        doc["groups"][3]["first_review_years"] = 2
        doc["groups"][1]["retain_until_age"] = 90
        doc["rules"].insert(0, {"name": "damage is public protection here", "group": 1,
                                "offence_groups": ["criminal_damage"], "ho_codes": ["58/*"]})

    rules = load_retention_rules(_config(tmp_path, shorter))
    assert rules.review(3, D(2020, 1, 1), [], D(2022, 1, 1)).review_on == D(2022, 1, 1)
    assert RULES.review(3, D(2020, 1, 1), [], D(2022, 1, 1)) is None
    assert rules.review(1, D(2020, 1, 1), [D(1940, 5, 5)], D(2030, 5, 5)).review_on == D(2030, 5, 5)
    assert rules.group_of({"kind": "event", "offence_group": "criminal_damage", "ho_code": "58/1"}) == (
        1, "damage is public protection here")
    assert rules.group_of({"kind": "event", "offence_group": "criminal_damage", "ho_code": "59/1"})[0] == 3


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d["groups"][3].pop("first_review_years"), "first_review_years"),
    (lambda d: d["rules"][0].update(offence_groups=["arson"]), "arson"),
    (lambda d: d["rules"][0].update(colour="red"), "colour"),
    (lambda d: d.update(default_group=7), "no group 7"),
    (lambda d: d["groups"][2].update(review_every_years=0), "1 or more"),
])
def test_a_bad_configuration_is_named(tmp_path, change, says) -> None:
    with pytest.raises(ValueError, match=says):
        load_retention_rules(_config(tmp_path, change))


# -- the review list on both engines ----------------------------------------------------------------

def _oracle_events(data_dir: Path, entities: pd.DataFrame, as_of: dt.date) -> set[tuple[str, int, dt.date]]:
    """(record_key, group, review_on) of the event records due, from staging with the shipped
    rules written out again by hand: homicide and rape 1; DA violence, sexual, stalking 1; other
    DA 2; other violence and sexual 2; the rest 3. Group 1 ends when the youngest suspect is 100."""
    from staging.store import StagingStore

    store = StagingStore(data_dir)
    recs = store.read("person_records").drop_duplicates("record_key", keep="last")
    person = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
    recs["person"] = recs["record_key"].map(person).fillna(recs["record_key"])
    dob = recs.groupby("person")["dob"].last()
    ev = store.read("events").drop_duplicates("event_key", keep="last")
    inv = store.read("involvements").drop_duplicates(["event_key", "record_key", "role"], keep="last")
    named = set(inv.loc[inv["relationship"].isin(["intimate", "family"]), "event_key"])
    sus = inv[inv["role"] == "suspect"]
    sus = sus.assign(person=sus["record_key"].map(recs.set_index("record_key")["person"]))
    violent = {"violence_with_injury", "violence_without_injury", "stalking_harassment", "other_sexual"}
    out = set()
    for e in ev.itertuples():
        day = pd.Timestamp(e.occurred_at).date()
        if day > as_of:
            continue
        da = bool(e.da_marker) or bool(e.da_relevant) or e.event_key in named
        grp = e.offence_group
        group = 1 if grp in ("homicide", "rape") or (da and grp in violent) else 2 if da or grp in violent else 3
        years = 6 if group == 3 else 10
        review, k = None, years
        while _add(day, k) <= as_of:
            review, k = _add(day, k), k + years
        if group == 1:
            births = [dob.get(p) for p in sus.loc[sus["event_key"] == e.event_key, "person"]]
            if births and all(b is not None and not pd.isna(b) for b in births):
                end = max(_add(pd.Timestamp(b).date(), 100) for b in births)
                if end <= as_of:
                    review = end
        if review is not None:
            out.add((e.event_key, group, review))
    return out


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _add(day: dt.date, years: int) -> dt.date:
    if (day.month, day.day) == (2, 29) and not _leap(day.year + years):
        return D(day.year + years, 3, 1)
    return D(day.year + years, day.month, day.day)


@pytest.mark.parametrize("as_of", [D(2026, 6, 30), D(2031, 1, 1)])
def test_the_review_list_equals_the_independent_computation(graph_synth, graph_synth_data, as_of) -> None:
    data_dir, _, entities = graph_synth_data
    got = retention_review(graph_synth, as_of)
    assert list(got.columns[:3]) == ["record_key", "group", "review_on"]
    events = got[got["kind"] == "event"]
    want = _oracle_events(data_dir, entities, as_of)
    assert set(zip(events["record_key"], events["group"], events["review_on"], strict=True)) == want
    assert len(want) > 20
    assert (got["review_on"] <= as_of).all() and got["record_key"].is_unique
    assert set(got["kind"]) >= {"event", "custody"}
    custody = got[got["kind"] == "custody"]
    assert custody["record_key"].str.contains("/custody/").all() and custody["person_ids"].str.len().gt(0).all()


def test_force_narrows_and_leaves_court_orders_out(graph_synth) -> None:
    every = retention_review(graph_synth, D(2031, 1, 1))
    force = every.loc[every["kind"] == "event", "force_code"].mode()[0]
    mine = retention_review(graph_synth, D(2031, 1, 1), force=force)
    assert len(mine) and (mine["force_code"] == force).all() and "order" not in set(mine["kind"])
    assert set(mine["record_key"]) == set(every.loc[every["force_code"] == force, "record_key"])
