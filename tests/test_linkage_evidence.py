"""Kinds of evidence, each tested over variants rather than one case.

Dates of birth as written (impossible ones too), one or two keystrokes off, day and month swapped;
forenames slipped twice or shortened versus two real names; a different address weighed by the
years between the records; partner evidence that only adds; one incident holding the same person
twice; forenames in the other order. The end-to-end tests resolve a small world with a background
population (so the model has pairs to learn from), about a second each.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from linkage.blocking import block
from linkage.compare import compare
from linkage.dates import real_neighbours
from linkage.decide import REASONS, decide
from linkage.explain import explain_pair
from linkage.features import build_features
from linkage.model import Model, level_weights, prior_model, train_context
from linkage.records import build_records, written_date_code
from linkage.run import resolve
from linkage.settings import load_settings
from linkage.store import LinkageStore
from worlds.linkage import generate, mention, stage, to_staging

SETTINGS = load_settings()
dates = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2015, 12, 31))


def code(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def level(comparison: str, rows: list[dict]) -> str:
    """The level of one comparison between the first two rows."""
    records = build_records(pd.DataFrame(rows))
    pos = {k: i for i, k in enumerate(records["record_key"])}
    lv = compare(build_features(records), SETTINGS, np.array([pos[rows[0]["record_key"]]]),
                 np.array([pos[rows[1]["record_key"]]]))
    return SETTINGS.comparison(comparison).levels[int(lv[comparison][0])].name


# -- dates of birth as written ------------------------------------------------------------------


@given(dates, st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{d:02d}/{m:02d}/{y:04d}", "{d}/{m}/{y}",
                               "{d:02d}/{m:02d}/{y:04d} 00:00", "{y:04d}{m:02d}{d:02d}"]))
def test_a_written_date_reads_as_its_digits(day: dt.date, form: str) -> None:
    assert written_date_code(form.format(y=day.year, m=day.month, d=day.day)) == code(day)


@given(st.integers(1920, 2015), st.integers(13, 99), st.integers(1, 31))
def test_an_impossible_date_reads_as_written(year: int, month: int, day: int) -> None:
    assert written_date_code(f"{year}-{month:02d}-{day:02d}") == year * 10000 + month * 100 + day
    assert written_date_code(f"{day:02d}/{month:02d}/{year}") == year * 10000 + month * 100 + day


@pytest.mark.parametrize("text", ["", "unknown", "12/03/84", "1984", "03/1984"])
def test_an_unreadable_date_is_no_date(text: str) -> None:
    assert written_date_code(text) == 0  # a two-digit year is not guessed


def mistyped(day: dt.date, positions: list[int], delta: int) -> str:
    """The date's eight digits (YYYYMMDD) with those at ``positions`` moved by ``delta`` (mod 10)."""
    digits = list(f"{code(day):08d}")
    for p in positions:
        digits[p] = str((int(digits[p]) + delta) % 10)
    return "".join(digits)


def _raw(key: str, written: str) -> dict:
    """A mention whose date of birth the loaders set aside: no date, the text kept."""
    row = mention(key, "Ann", "Lowe")
    row["dob_raw"] = written
    return row


@given(dates)
@settings(max_examples=40, deadline=None)
def test_a_day_and_month_the_wrong_way_round_still_compare(day: dt.date) -> None:
    """'1974-15-11' (no such date) is 1974-11-15 with day and month swapped, or one keystroke off."""
    swapped = f"{day.year}-{day.day:02d}-{day.month:02d}"
    other = mention("F/1", "Ann", "Lowe", dob=day.isoformat())
    got = level("dob", [other, _raw("F/2", swapped)])
    expected = "exact" if day.day == day.month else "day_month_swapped"
    assert got == expected


@given(dates, st.integers(0, 7), st.integers(1, 9))
@settings(max_examples=60, deadline=None)
def test_one_digit_typed_wrong_is_one_keystroke_off(day: dt.date, position: int, delta: int) -> None:
    typed = mistyped(day, [position], delta)
    written = f"{typed[:4]}-{typed[4:6]}-{typed[6:]}"  # often no calendar date at all
    got = level("dob", [mention("F/1", "Ann", "Lowe", dob=day.isoformat()), _raw("F/2", written)])
    assert got == ("one_off_impossible" if no_one_born_on(typed) else "one_off")


def no_one_born_on(digits: str) -> bool:
    """The oracle, from the calendar: no such day, or a year before 1900 or after this one."""
    try:
        day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return True
    return not 1900 <= day.year <= dt.date.today().year


@pytest.mark.parametrize(
    ("real", "typed", "expected"),
    [
        ("1974-05-12", "1374-05-12", "one_off_impossible"),  # a year no one living was born in
        ("1974-05-12", "2974-05-12", "one_off_impossible"),  # a year to come
        ("1974-05-12", "1974-45-12", "one_off_impossible"),  # no month 45
        ("1974-05-12", "1974-05-72", "one_off_impossible"),  # no day 72
        ("1975-02-28", "1975-02-29", "one_off_impossible"),  # no 29 February in 1975
        ("1976-02-28", "1976-02-29", "one_off"),  # but in 1976
        ("1974-05-12", "1975-05-12", "one_off"),  # a real date: strangers meet it often
        ("1974-05-12", "1974-05-13", "one_off"),
    ],
)
def test_one_keystroke_from_an_impossible_date_says_more(real: str, typed: str, expected: str) -> None:
    for a, b in ((real, typed), (typed, real)):  # either side may hold the slip
        got = level("dob", [_raw("F/1", a), _raw("F/2", b)])
        assert got == expected


def test_a_slip_to_an_impossible_date_weighs_more_than_one_to_a_real_date() -> None:
    """The model's prior: a stranger's date is almost never one of an impossible date's few
    real neighbours, so the level weighs nearly what agreement does."""
    weights = dict(zip((lv.name for lv in SETTINGS.comparison("dob").levels),
                       level_weights(prior_model(SETTINGS, 100_000), SETTINGS)["dob"], strict=True))
    assert weights["one_off"] < weights["one_off_impossible"] < weights["exact"]


@given(dates, st.lists(st.integers(0, 7), min_size=2, max_size=2, unique=True), st.integers(1, 9))
@settings(max_examples=60, deadline=None)
def test_two_digits_typed_wrong_are_two_keystrokes_off(day: dt.date, positions: list[int], delta: int) -> None:
    typed = mistyped(day, positions, delta)
    written = f"{typed[:4]}-{typed[4:6]}-{typed[6:]}"
    got = level("dob", [mention("F/1", "Ann", "Lowe", dob=day.isoformat()), _raw("F/2", written)])
    # two changed digits that happen to be a swap of adjacent ones, or of day and month, say less
    assert got in ("two_off", "one_off", "one_off_impossible", "day_month_swapped")


# -- forenames: slips of the pen against two names ----------------------------------------------


def household(forename_a: str, forename_b: str, extra: list[dict]) -> list[dict]:
    """Two records at one home with one surname and date of birth, and people elsewhere."""
    home = {"postcode": "NE4 9UD", "address": "7 Chipperfield Circuit, Newcastle", "dob": "1964-12-12"}
    return [mention("F/1", forename_a, "Webb", **home), mention("F/2", forename_b, "Webb", **home), *extra]


def common(name: str, n: int) -> list[dict]:
    return [mention(f"X/{name}{i}", name, f"Other{i}", dob="1990-01-01") for i in range(n)]


@pytest.mark.parametrize("slip", ["Blgke", "Jlake", "Bla", "Bl", "Bkale"])
def test_a_slipped_forename_is_near_not_another_person(slip: str) -> None:
    rows = household("Blake", slip, common("Blake", 25))
    assert level("forename", rows) in ("near", "fuzzy", "nickname", "short_form")
    records = build_records(pd.DataFrame(rows))
    ft = build_features(records)
    lv = compare(ft, SETTINGS, np.array([0]), np.array([1]))
    dec = decide(SETTINGS, np.array([12.0]), lv, np.array([False]))
    assert REASONS[dec.reason[0]] != "twins"


def slip_of(name: str, op: int, at: int, letter: str) -> str:
    """One keystroke wrong: a letter changed, dropped, added, or two neighbours swapped."""
    i = at % len(name)
    if op == 0:
        return name[:i] + letter + name[i + 1 :]
    if op == 1:
        return name[:i] + name[i + 1 :]
    if op == 2:
        return name[:i] + letter + name[i:]
    j = min(i + 1, len(name) - 1)
    chars = list(name)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


slips = st.tuples(st.integers(0, 3), st.integers(0, 9), st.sampled_from("abcdefghijklmnopqrstuvwxyz"))


@given(st.sampled_from(["Sophie", "Charlotte", "Oliver", "Jessica", "Thomas"]), slips, slips, st.integers(3, 6))
@settings(max_examples=40, deadline=None)
def test_two_slips_of_one_name_are_not_twins(name: str, first: tuple, second: tuple, repeats: int) -> None:
    """In a large file a slip repeats, so two slips of Sophie (Sopihe, Ssophie) are each common
    next to the other, yet both are rare next to Sophie: one name written badly, never twins."""
    a, b = slip_of(name, *first), slip_of(name, *second)
    assume(a.lower() != b.lower() and name.lower() not in (a.lower(), b.lower()) and min(len(a), len(b)) >= 3)
    rows = household(a, b, common(a, repeats) + common(b, repeats) + common(name, 25 * (repeats + 1)))
    assert level("forename", rows) != "else"
    records = build_records(pd.DataFrame(rows))
    lv = compare(build_features(records), SETTINGS, np.array([0]), np.array([1]))
    dec = decide(SETTINGS, np.array([12.0]), lv, np.array([False]))
    assert REASONS[dec.reason[0]] != "twins"


@pytest.mark.parametrize(("a", "b", "between"), [("Ella", "Emma", "Elma"), ("Ruby", "Rory", "Roby")])
def test_two_common_names_stay_twins_beside_a_rarer_third(a: str, b: str, between: str) -> None:
    """A spelling a keystroke from both names makes neither a slip unless it is far commoner than both."""
    rows = household(a, b, common(a, 25) + common(b, 25) + common(between, 30))
    assert level("forename", rows) == "else"


@pytest.mark.parametrize(("a", "b"), [("Ella", "Emma"), ("Blake", "Jake"), ("Jack", "Harry")])
def test_two_common_names_at_one_home_are_twins(a: str, b: str) -> None:
    rows = household(a, b, common(a, 25) + common(b, 25))
    assert level("forename", rows) == "else"
    records = build_records(pd.DataFrame(rows))
    lv = compare(build_features(records), SETTINGS, np.array([0]), np.array([1]))
    dec = decide(SETTINGS, np.array([12.0]), lv, np.array([False]))
    assert REASONS[dec.reason[0]] == "twins" and dec.cannot_link[0]


@pytest.mark.parametrize(("full", "short"), [("Joshua", "Osh"), ("Nathan", "Nth"), ("Talia", "Tla"), ("Emily", "Eim")])
def test_a_shortened_forename_with_a_slip_is_not_another_person(full: str, short: str) -> None:
    """A forename cut to three letters and mistyped is weak evidence, never 'two names' (so never
    twins), however common both spellings are."""
    rows = household(full, short, common(full, 25) + common(short, 25))
    assert level("forename", rows) not in ("else", "null")
    records = build_records(pd.DataFrame(rows))
    lv = compare(build_features(records), SETTINGS, np.array([0]), np.array([1]))
    dec = decide(SETTINGS, np.array([12.0]), lv, np.array([False]))
    assert REASONS[dec.reason[0]] != "twins"


@pytest.mark.parametrize(("a", "b"), [("Eve", "Steven"), ("Amy", "Susan"), ("Joshua", "Nathan"), ("Max", "Oliver")])
def test_names_that_are_no_abbreviation_of_each_other_stay_different(a: str, b: str) -> None:
    assert level("forename", household(a, b, common(a, 25) + common(b, 25))) == "else"


NAMES = ["Tegan", "Novak", "Braithwaite", "Oscar", "Harrington", "Kiandra", "Hyland", "Polmear", "Grainger"]


@given(st.permutations(NAMES))
@settings(max_examples=40, deadline=None)
def test_one_name_across_the_fields_is_crossed_not_different(names: list[str]) -> None:
    """'Tegan Novak' and 'Novak Braithwaite': the fields were transposed and the other name changed.
    Whichever side holds the transposed fields, the surname level is 'crossed' and the pair is never
    held as twins at one home; both names crossed is 'swapped'; names in their own fields win."""
    first, shared, other = names[:3]
    home = {"postcode": "NE4 9UD", "address": "7 Chipperfield Circuit, Newcastle", "dob": "1964-12-12"}
    straight, crossed = mention("F/1", first, shared, **home), mention("F/2", shared, other, **home)
    for rows in ([straight, crossed], [crossed, straight]):
        assert level("surname", rows) == "crossed"
        records = build_records(pd.DataFrame(rows))
        lv = compare(build_features(records), SETTINGS, np.array([0]), np.array([1]))
        dec = decide(SETTINGS, np.array([12.0]), lv, np.array([False]))
        assert REASONS[dec.reason[0]] != "twins"
    assert level("surname", [straight, mention("F/3", shared, first, **home)]) == "swapped"
    assert level("surname", [straight, mention("F/4", first, shared, **home)]) == "exact"


def test_forenames_in_the_other_order_agree_on_the_middle_name() -> None:
    rows = [mention("F/1", "Elizabeth Siobhan", "Hall"), mention("F/2", "Siobhan Elizabeth", "Hall")]
    assert level("forename", rows) == "middle"
    assert level("middle", rows) == "exact"


# -- partner evidence only adds -----------------------------------------------------------------


def test_partner_evidence_has_no_level_against_a_link() -> None:
    partner = SETTINGS.comparison("partner")
    weights = level_weights(prior_model(SETTINGS, 10_000), SETTINGS)["partner"]
    assert all(lv.kind != "disagree" for lv in partner.levels)
    assert (weights >= 0).all()


@given(
    seed=st.integers(0, 2**31 - 1),
    matches=st.integers(2000, 6000),
    strangers=st.integers(0, 3000),
    level=st.integers(1, 4),
    share=st.floats(0.3, 1.0),
)
@settings(max_examples=25, deadline=None)
def test_partner_evidence_learnt_from_the_data_never_counts_against_a_link(
    seed: int, matches: int, strangers: int, level: int, share: float
) -> None:
    """However the pairs fall (every match with context evidence showing one level, so the others
    are learnt rarer among matches than their u), training leaves every context level's weight at
    zero or above: partner evidence only adds."""
    rng = np.random.default_rng(seed)
    n = matches + strangers
    match = np.arange(n) < matches
    levels = {}
    for c in SETTINGS.comparisons:
        # matches agree exactly on every field; strangers fall anywhere
        levels[c.name] = np.where(match, 1, rng.integers(0, c.n_levels, n)).astype(np.int8)
    partner = SETTINGS.comparison("partner")
    levels["partner"] = np.where(
        match, np.where(rng.random(n) < share, level, 0), rng.integers(0, partner.n_levels, n)
    ).astype(np.int8)
    model = train_context(prior_model(SETTINGS, 10_000), SETTINGS, levels, None)
    assert (level_weights(model, SETTINGS)["partner"] >= 0).all()


# -- worlds resolved end to end -------------------------------------------------------------------


def resolved(tmp_path: Path, people: list[dict], involvements: list[dict] | None = None,
             orders: list[dict] | None = None) -> pd.Series:
    to_staging(tmp_path, generate(300, seed=9), part_id="background")
    stage(tmp_path, people, involvements, orders)
    resolve(tmp_path)
    return LinkageStore(tmp_path).entities().set_index("record_key")["person_id"]


def test_a_partner_in_another_force_never_counts_against_a_link(tmp_path: Path) -> None:
    """A man with a new partner in another force: same name, date of birth and home as before."""
    him = {"dob": "1981-05-04", "sex": "M", "postcode": "SR5 1AB", "address": "12 Elm Road, Sunderland"}
    people = [
        mention("Northumbria/S1", "Darren", "Kell", **him),
        mention("Northumbria/V1", "Amy", "Rowe", dob="1985-01-01", sex="F"),
        mention("Durham/S2", "Darren", "Kell", **him),
        mention("Durham/V2", "Beth", "Stone", dob="1990-02-02", sex="F"),
    ]
    involvements = [
        {"event_key": "N/E1", "record_key": "Northumbria/S1", "role": "suspect"},
        {"event_key": "N/E1", "record_key": "Northumbria/V1", "role": "victim", "relationship": "intimate"},
        {"event_key": "D/E2", "record_key": "Durham/S2", "role": "suspect"},
        {"event_key": "D/E2", "record_key": "Durham/V2", "role": "victim", "relationship": "intimate"},
    ]
    pid = resolved(tmp_path, people, involvements)
    assert pid["Northumbria/S1"] == pid["Durham/S2"]
    why = explain_pair(tmp_path, "Durham/S2", "Northumbria/S1")
    partner = next(f for f in why["fields"] if f["comparison"] == "partner")
    assert partner["weight"] >= 0 and "-PARTNER" not in why["match_key"]


def test_the_victim_recorded_again_as_suspect_in_one_incident_is_one_person(tmp_path: Path) -> None:
    """A counter-allegation or a duplicate nominal: the same name, date of birth and address twice."""
    her = {"dob": "1979-08-30", "sex": "F", "postcode": "TS1 2AB", "address": "4 Low Street, Middlesbrough"}
    people = [
        mention("Cleveland/N1", "Kerry", "Lamb", **her),
        mention("Cleveland/N2", "Kerry", "Lamb", **her),
        mention("Cleveland/N3", "Paul", "Lamb", dob="1977-01-01", sex="M", postcode="TS1 2AB",
                address="4 Low Street, Middlesbrough"),
        # father and son of one name in one incident, their dates a generation apart: two people
        mention("Cleveland/N4", "Gary", "Moss", dob="1961-03-03", sex="M", postcode="TS2 1AA"),
        mention("Cleveland/N5", "Gary", "Moss", dob="1990-04-04", sex="M", postcode="TS2 1AA"),
    ]
    involvements = [
        {"event_key": "C/E1", "record_key": "Cleveland/N3", "role": "suspect"},
        {"event_key": "C/E1", "record_key": "Cleveland/N1", "role": "victim", "relationship": "intimate"},
        {"event_key": "C/E1", "record_key": "Cleveland/N2", "role": "suspect"},
        {"event_key": "C/E2", "record_key": "Cleveland/N4", "role": "suspect"},
        {"event_key": "C/E2", "record_key": "Cleveland/N5", "role": "victim", "relationship": "family"},
    ]
    pid = resolved(tmp_path, people, involvements)
    assert pid["Cleveland/N1"] == pid["Cleveland/N2"]
    assert pid["Cleveland/N4"] != pid["Cleveland/N5"]


@pytest.mark.parametrize(
    ("left", "right", "outcome"),
    [
        ({"dob": "1979-08-30"}, {"dob": "1979-08-30"}, "model"),  # one person written twice
        ({"dob": "1979-08-30"}, {"dob": "1979-08-31"}, "model"),  # and a keystroke off
        ({"dob": "1961-03-03"}, {"dob": "1990-04-04"}, "co_involved"),  # father and son
        ({"dob": "1979-08-30", "forenames": "Jack"}, {"dob": "1979-08-30"}, "co_involved"),  # twins
        ({}, {}, "co_involved_undated"),  # nothing to tell them apart or together: a steward decides
    ],
)
def test_one_incident_holds_two_people_only_when_the_records_say_so(left: dict, right: dict, outcome: str) -> None:
    home = {"postcode": "TS2 1AA", "address": "9 Park Road", "sex": "M"}
    rows = [mention("C/1", left.pop("forenames", "Gary"), "Moss", **home, **left),
            mention("C/2", right.pop("forenames", "Gary"), "Moss", **home, **right)]
    records = build_records(pd.DataFrame(rows))
    lv = compare(build_features(records), SETTINGS, np.array([0]), np.array([1]))
    dec = decide(SETTINGS, np.array([20.0]), lv, np.array([True]))
    assert (REASONS[dec.reason[0]] or "model") == outcome
    assert dec.cannot_link[0] == (outcome != "model")


def test_an_undated_namesake_in_one_incident_goes_to_a_steward(tmp_path: Path) -> None:
    people = [
        mention("Cleveland/N4", "Gary", "Moss", sex="M", postcode="TS2 1AA", address="9 Park Road"),
        mention("Cleveland/N5", "Gary", "Moss", sex="M", postcode="TS2 1AA", address="9 Park Road"),
    ]
    involvements = [
        {"event_key": "C/E2", "record_key": "Cleveland/N4", "role": "suspect"},
        {"event_key": "C/E2", "record_key": "Cleveland/N5", "role": "victim", "relationship": "family"},
    ]
    pid = resolved(tmp_path, people, involvements)
    assert pid["Cleveland/N4"] != pid["Cleveland/N5"]
    assert explain_pair(tmp_path, "Cleveland/N4", "Cleveland/N5")["decision"] in (
        "rule:co_involved_undated", "no_link"
    )


def test_a_court_record_at_another_address_years_later_links_by_name_and_date(tmp_path: Path) -> None:
    people = [
        mention("Durham/P1", "Craig", "Nuttall", dob="1983-09-09", sex="M", postcode="DH1 3AA",
                address="2 Kell Street, Durham", seen_on="2016-05-01"),
        mention("FC2022001/respondent", "Craig", "NUTTALL", dob="1983-09-09", postcode="LS6 2BB",
                address="40 Otley Road, Leeds", seen_on="2022-03-01"),
    ]
    pid = resolved(tmp_path, people)
    assert pid["Durham/P1"] == pid["FC2022001/respondent"]
    why = explain_pair(tmp_path, "Durham/P1", "FC2022001/respondent")
    postcode = next(f for f in why["fields"] if f["comparison"] == "postcode")
    assert postcode["level"] == "moved"


# -- surname and forename swapped, with the slips of a copy of a copy ----------------------------


@pytest.mark.parametrize(
    ("left", "right", "swapped"),
    [
        (("Amber", "Clarke"), ("Clarke", "Amber"), True),
        (("Amber", "Clarke"), ("Dlarke", "Amber"), True),  # and a typo
        (("Sahi", "Lainxg"), ("Lang", "Shai"), True),  # two slips on one name, one on the other
        (("Vjoe", "Crook"), ("Rook", "Joe"), True),
        (("Bishop", "Imogen"), ("Imo", "Bsihop"), True),  # cut short, and letters swapped
        (("Reid", "Alyssa"), ("Amy", "Reid"), False),  # one name across the fields is not a swap
        (("Blake", "Lazaraki"), ("Lara", "Blake"), False),
        (("Jake", "Smith"), ("John", "Smyth"), False),
    ],
)
def test_names_swapped_between_the_fields(left: tuple[str, str], right: tuple[str, str], swapped: bool) -> None:
    """Among people whose real names are common and whose slips are rare, as in any population."""
    names = ["Amber", "Clarke", "Lang", "Shai", "Joe", "Crook", "Imogen", "Bishop", "Alyssa", "Amy", "Reid",
             "Blake", "Lara", "Lazaraki", "Jake", "John", "Smith", "Smyth"]
    rows = [mention("F/1", *left), mention("F/2", *right)] + [r for n in names for r in common(n, 25)]
    assert (level("surname", rows) == "swapped") == swapped


def test_a_three_letter_surname_with_a_letter_dropped_is_a_typo() -> None:
    assert level("surname", [mention("F/1", "Isabella", "Reid"), mention("F/2", "Isabella", "Eid")]) == "fuzzy"
    assert level("surname", [mention("F/1", "Isabella", "Lee"), mention("F/2", "Isabella", "Lea")]) != "fuzzy"


# -- a date no one could be born on meets the records of the date it was meant to be -----------------


def _namesakes(n: int, seed: int) -> list[dict]:
    """``n`` John SMITHs born on other days, each at a home of his own in another area."""
    rng = np.random.default_rng(seed)
    days = rng.choice(np.arange(dt.date(1930, 1, 1).toordinal(), dt.date(2005, 1, 1).toordinal()), n, replace=False)
    areas = ["B", "CF", "DH", "EX", "GL", "HU", "LS", "M", "NR", "OX", "PL", "S", "TR", "YO"]
    return [mention(f"F/{i}", "John", "Smith", dob=dt.date.fromordinal(int(d)).isoformat(),
                    postcode=f"{areas[i % len(areas)]}{i % 9 + 1} {i % 7 + 1}AB") for i, d in enumerate(days)]


@given(dates, st.integers(0, 7), st.integers(1, 9))
@settings(max_examples=40, deadline=None)
def test_a_slip_to_an_impossible_date_still_meets_its_person(day: dt.date, position: int, delta: int) -> None:
    """Blocking: a John SMITH whose year, month or day was typed into a date no one could be born on,
    who moved house, is still offered as a pair with his own record among 150 namesakes (too many to
    pair by name alone, so only a date can bring them together)."""
    typed = mistyped(day, [position], delta)
    assume(no_one_born_on(typed))
    written = f"{typed[:4]}-{typed[4:6]}-{typed[6:]}"
    namesakes = [r for r in _namesakes(150, seed=code(day)) if r["dob"] != pd.Timestamp(day)]
    him = mention("G/1", "John", "Smith", dob=day.isoformat(), postcode="NE1 1AA")
    slip = _raw("H/1", written) | {"forenames": "John", "forename_norm": "JOHN", "surname": "Smith",
                                   "surname_norm": "SMITH", "name_raw": "John SMITH", "postcode": "TR9 9ZZ",
                                   "postcode_raw": "TR9 9ZZ"}
    records = build_records(pd.DataFrame([him, slip, *namesakes]))
    pos = {k: i for i, k in enumerate(records["record_key"])}
    cand = block(build_features(records), SETTINGS)
    a, b = sorted((pos["G/1"], pos["H/1"]))
    assert ((cand.left == a) & (cand.right == b)).any()


@given(dates, st.integers(0, 7), st.integers(1, 9))
@settings(max_examples=80, deadline=None)
def test_the_real_neighbours_of_an_impossible_date(day: dt.date, position: int, delta: int) -> None:
    """The date meant is among them, and each is a real date one keystroke away (the calendar's word)."""
    typed = mistyped(day, [position], delta)
    rows, near = real_neighbours(np.array([int(typed)]))
    if not no_one_born_on(typed):
        assert len(near) == 0  # a real date is offered as itself only
        return
    assert code(day) in set(near.tolist())
    for other in near.tolist():
        o = f"{other:08d}"
        assert not no_one_born_on(o)
        diff = [i for i in range(8) if o[i] != typed[i]]
        one_digit = len(diff) == 1
        i = diff[0]
        swap = diff == [i, i + 1] and (o[i], o[i + 1]) == (typed[i + 1], typed[i])
        assert one_digit or swap


@pytest.mark.parametrize("typed", ["1374-05-12", "2974-05-12", "1974-45-12", "1974-05-72"])
def test_a_search_by_date_finds_a_record_typed_on_an_impossible_date(tmp_path: Path, typed: str) -> None:
    """Clare's Law: the partner is named John SMITH, born 12 May 1974; the force recorded him under
    his new surname with the date mistyped into one no one could be born on. Only the date can
    find him, and it does, with the slip named in the explanation."""
    from linkage.search import search

    row = _raw("Durham/D1", typed) | {"forenames": "Jonh", "forename_norm": "JONH", "surname": "Blackwood",
                                      "surname_norm": "BLACKWOOD", "name_raw": "Jonh BLACKWOOD"}
    resolved(tmp_path, [row])
    hits = search(tmp_path, "John Smith", dob=dt.date(1974, 5, 12), limit=50)
    hit = next(h for h in hits if h["record_key"] == "Durham/D1")
    assert any(f["comparison"] == "dob" and f["level"] == "one_off_impossible" for f in hit["fields"])


# -- a slip of the pen against another common name a keystroke away -------------------------------

# pairs of real names one keystroke apart (both spellings are names people have)
KEYSTROKE_NAMES = {
    "surname": [("Smith", "Smyth"), ("Clark", "Clarke"), ("Brown", "Browne"), ("Phillips", "Philips"),
                ("Reid", "Reed"), ("Harris", "Harriss")],
    "forename": [("John", "Joan"), ("Carl", "Karl"), ("Lucy", "Lacy"), ("Daniel", "Danial"), ("Mark", "Mary")],
}


def pair_with_background(comparison: str, a: str, b: str, count_a: int, count_b: int) -> list[dict]:
    """Records of a and of b (the first two the pair compared, at different homes) and more people
    holding each spelling elsewhere, count_a and count_b records in all."""
    def person(key: str, name: str, other: str, **kw) -> dict:
        return mention(key, name, other, **kw) if comparison == "forename" else mention(key, other, name, **kw)

    rows = [person("F/1", a, "Webb" if comparison == "forename" else "Anna", dob="1964-12-12"),
            person("F/2", b, "Webb" if comparison == "forename" else "Anna", dob="1964-12-12",
                   postcode="SR5 1AB", address="12 Elm Road, Sunderland")]
    for name, n in ((a, count_a - 1), (b, count_b - 1)):
        rows += [person(f"X/{name}{i}", name, f"Other{i}", dob="1990-01-01") for i in range(n)]
    return rows


@given(st.sampled_from(["surname", "forename"]), st.data(), st.integers(20, 60), st.integers(1, 2),
       st.booleans())
@settings(max_examples=30, deadline=None)
def test_a_rare_spelling_beside_a_common_name_is_a_slip(comparison: str, data, common_n: int, rare_n: int,
                                                        rare_first: bool) -> None:
    """A spelling held by one or two records beside a name many hold is that name mistyped, on
    either side of the pair, whichever of the two real names it is."""
    a, b = data.draw(st.sampled_from(KEYSTROKE_NAMES[comparison]))
    if rare_first:
        a, b = b, a
    assert level(comparison, pair_with_background(comparison, a, b, rare_n, common_n)) == "fuzzy"
    assert level(comparison, pair_with_background(comparison, b, a, common_n, rare_n)) == "fuzzy"


@given(st.sampled_from(["surname", "forename"]), st.data(), st.integers(3, 40), st.integers(3, 40))
@settings(max_examples=30, deadline=None)
def test_two_common_names_a_keystroke_apart_are_a_variant(comparison: str, data, count_a: int, count_b: int) -> None:
    """Smith and Smyth, John and Joan: both spellings held by several records, neither twenty times
    rarer than the other, so a stranger has the other name about as often as a slip gives it. The
    level says so and is not 'fuzzy'; nor is it 'different names' (so never twins by itself)."""
    a, b = data.draw(st.sampled_from(KEYSTROKE_NAMES[comparison]))
    assume(min(count_a, count_b) * 20 > max(count_a, count_b))
    got = level(comparison, pair_with_background(comparison, a, b, count_a, count_b))
    assert got == "variant"
    assert got == level(comparison, pair_with_background(comparison, b, a, count_b, count_a))


def test_a_variant_weighs_less_than_a_slip_once_learnt(tmp_path: Path) -> None:
    """The model learns the two levels from the data, as every level: on a world where strangers
    share common surnames a keystroke apart, another common name says less than a slip."""
    world = generate(3000, seed=21)
    to_staging(tmp_path, world)
    resolve(tmp_path)
    model = Model.from_json(LinkageStore(tmp_path).model())
    for comp in ("forename", "surname"):
        weights = dict(zip([lv.name for lv in SETTINGS.comparison(comp).levels],
                           level_weights(model, SETTINGS)[comp], strict=True))
        assert weights["variant"] < weights["fuzzy"], (comp, weights)


def test_a_name_that_becomes_common_is_compared_again_when_records_arrive(tmp_path: Path) -> None:
    """Whether a spelling is a slip depends on every record resolved together: one Smyth beside many
    Smiths is a slip; thirty Smyths later it is another name. A resolve that keeps the first run's
    levels must say what a resolve of everything at once says (incremental equals batch)."""
    first = pair_with_background("surname", "Smith", "Smyth", 30, 1)
    later = [mention(f"Y/Smyth{i}", f"Late{i}", "Smyth", dob="1991-02-02") for i in range(30)]

    def surname_level(data_dir: Path) -> str:
        pairs = LinkageStore(data_dir).pairs()
        row = pairs[pairs["record_key_l"].isin(["F/1", "F/2"]) & pairs["record_key_r"].isin(["F/1", "F/2"])]
        assert len(row) == 1
        return row["surname_level"].iloc[0]

    step = tmp_path / "step"
    to_staging(step, generate(300, seed=9), part_id="background")
    stage(step, first, part_id="first")
    resolve(step)
    assert surname_level(step) == "fuzzy"
    stage(step, later, part_id="later")
    resolve(step)
    batch = tmp_path / "batch"
    to_staging(batch, generate(300, seed=9), part_id="background")
    stage(batch, first + later, part_id="all")
    resolve(batch)
    assert surname_level(step) == surname_level(batch) == "variant"


# forenames whose first three to six letters are in no nickname table (Chris, Jon, Alex are)
@given(st.sampled_from(["Isabella", "Natalie", "Zbigniew", "Leonora", "Rosalind", "Cornelius"]),
       st.integers(3, 6), st.booleans())
@settings(max_examples=30, deadline=None)
def test_a_forename_cut_short_is_learnt_apart_from_a_table_nickname(full: str, keep: int, short_first: bool) -> None:
    """A forename cut to its first letters (Isa for Isabella, Chris for Christopher) is one hand's
    shortening of the name, where a nickname from the table (Bob, Robert) is a name strangers hold in
    their own right: two levels, each with its own learnt weight, on either side of the pair."""
    assume(keep < len(full))
    a, b = full[:keep], full
    if short_first:
        a, b = b, a
    rows = [mention("F/1", a, "Webb", dob="1964-12-12"), mention("F/2", b, "Webb", dob="1964-12-12")]
    assert level("forename", rows) == "short_form"
    assert level("forename", [mention("F/1", "Bob", "Webb"), mention("F/2", "Robert", "Webb")]) == "nickname"
