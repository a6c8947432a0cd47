"""Comparison levels, one by one: names (nicknames, transliterations, swaps, married names), dates of
birth, postcodes and addresses, phones and identifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.compare import compare
from linkage.features import build_features
from linkage.names import forename_block_key, forename_keys, parse_full_name
from linkage.records import build_records
from linkage.settings import load_settings
from worlds.linkage import mention

SETTINGS = load_settings()


def levels_of(a: dict, b: dict) -> dict[str, str]:
    """Compare two mentions; level names by comparison."""
    records = build_records(pd.DataFrame([a, b]))
    ft = build_features(records)
    pos = {k: i for i, k in enumerate(records["record_key"])}
    lv = compare(ft, SETTINGS, np.array([pos[a["record_key"]]]), np.array([pos[b["record_key"]]]))
    return {c.name: c.levels[int(lv[c.name][0])].name for c in SETTINGS.comparisons}


def m(key: str, forenames: str = "David", surname: str = "Smith", **kw) -> dict:
    return mention(key, forenames, surname, **kw)


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("David", "David", "exact"),
        ("Bob", "Robert", "nickname"),
        ("Dave", "David", "nickname"),
        ("Mohammed", "Muhammad", "nickname"),  # transliteration table
        ("Kasia", "Katarzyna", "nickname"),  # diminutive table
        ("Nat", "Natalie", "short_form"),  # one starts the other
        ("Christoph", "Christopher", "short_form"),
        ("Jonathan", "Joanthan", "fuzzy"),  # transposition
        ("Gareth", "Gaeeth", "fuzzy"),  # one substitution
        ("Stephen", "Stefan", "phonetic"),
        ("J", "John", "initial"),
        ("Mary", "Susan", "else"),
    ],
)
def test_forename_levels(left: str, right: str, level: str) -> None:
    assert levels_of(m("F/1", left), m("F/2", right))["forename"] == level


def test_forename_middle_name_used_as_first() -> None:
    got = levels_of(m("F/1", "James Robert", "Hall"), m("F/2", "Robert", "Hall"))
    assert got["forename"] == "middle"


def test_forename_missing_is_null() -> None:
    assert levels_of(m("F/1", "", "Hall"), m("F/2", "Robert", "Hall"))["forename"] == "null"


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("Smith", "Smith", "exact"),
        ("Smith", "Smyth", "fuzzy"),
        ("Hussain", "Hussein", "alias"),  # transliteration table
        ("Chaudhry", "Chowdhury", "alias"),  # transliteration table
        ("Wojcik", "Wójcik", "exact"),  # diacritics folded
        ("Smith", "Jones", "else"),
    ],
)
def test_surname_levels(left: str, right: str, level: str) -> None:
    assert levels_of(m("F/1", "Anna", left), m("F/2", "Anna", right))["surname"] == level


def test_surname_married_name_from_aliases() -> None:
    a = m("F/1", "Linda", "Wilson", aliases="Linda SMITH")
    b = m("F/2", "Linda", "Smith")
    assert levels_of(a, b)["surname"] == "alias"


def test_surname_hyphen_part() -> None:
    assert levels_of(m("F/1", "Linda", "Smith-Jones"), m("F/2", "Linda", "Jones"))["surname"] == "alias"


def test_swapped_forename_and_surname() -> None:
    got = levels_of(m("F/1", "David", "Smith"), m("F/2", "Smith", "David"))
    assert got["surname"] == "swapped"
    assert got["forename"] == "exact"
    got = levels_of(m("F/1", "Dave", "Smith"), m("F/2", "Smith", "David"))
    assert (got["surname"], got["forename"]) == ("swapped", "nickname")


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("1984-03-12", "1984-03-12", "exact"),
        ("1984-03-12", "1984-12-03", "day_month_swapped"),
        ("1984-03-12", "1984-03-13", "one_off"),
        ("1984-03-12", "1948-03-12", "one_off"),  # two adjacent digits transposed
        ("1984-03-12", "1984-03-19", "one_off"),
        ("1984-03-12", "1984-05-19", "two_off"),  # two digits changed
        ("1984-03-12", "1984-12-04", "two_off"),  # day and month swapped, and a digit changed
        ("1984-03-12", "1984-07-25", "same_year"),
        ("1984-03-12", "1980-01-01", "else"),
        ("1960-03-12", "1988-06-01", "generation"),
        ("1984-03-12", None, "null"),
    ],
)
def test_dob_levels(left: str, right: str | None, level: str) -> None:
    assert levels_of(m("F/1", dob=left), m("F/2", dob=right))["dob"] == level


def test_sex_levels() -> None:
    assert levels_of(m("F/1", sex="M"), m("F/2", sex="M"))["sex"] == "same"
    assert levels_of(m("F/1", sex="M"), m("F/2", sex="F"))["sex"] == "different"
    assert levels_of(m("F/1", sex="M"), m("F/2", sex="U"))["sex"] == "null"


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("SR5 1AB", "SR5 1AB", "full"),
        ("SR5 1AB", "SR5 1XY", "sector"),
        ("SR5 1AB", "SR5 2XY", "district"),
        ("SR5 1AB", "SR2 9XY", "area"),
        ("SR5 1AB", "DH1 3AA", "moved"),  # undated records: when they moved is unknown
        ("SR5 1AB", None, "null"),
    ],
)
def test_postcode_levels(left: str, right: str | None, level: str) -> None:
    assert levels_of(m("F/1", postcode=left), m("F/2", postcode=right))["postcode"] == level


@pytest.mark.parametrize(("seen_l", "seen_r", "level"), [("2021-01-01", "2021-06-01", "else"),
                                                          ("2015-01-01", "2021-06-01", "moved")])
def test_a_different_address_weighs_less_across_the_years(seen_l: str, seen_r: str, level: str) -> None:
    """Records seen in the same year at different addresses disagree; years apart, the person moved."""
    got = levels_of(m("F/1", postcode="SR5 1AB", seen_on=seen_l), m("F/2", postcode="DH1 3AA", seen_on=seen_r))
    assert got["postcode"] == level


def test_same_address_needs_the_house_number() -> None:
    a = m("F/1", postcode="SR5 1AB", address="12 Elm Road, Sunderland")
    assert levels_of(a, m("F/2", postcode="SR5 1AB", address="12 Elm Rd Sunderland SR5 1AB"))["postcode"] == (
        "same_address"
    )
    assert levels_of(a, m("F/2", postcode="SR5 1AB", address="14 Elm Road, Sunderland"))["postcode"] == "neighbour"
    assert levels_of(a, m("F/2", postcode="SR5 1AB"))["postcode"] == "full"  # no address text: maybe one home


def test_best_of_recent_postcodes_when_people_move() -> None:
    rows = [
        m("F/1", postcode="SR5 1AB", seen_on="2019-01-01"),
        m("F/1", postcode="DH1 3AA", seen_on="2022-01-01"),
        m("F/2", postcode="SR5 1AB"),
    ]
    records = build_records(pd.DataFrame(rows))
    assert records.set_index("record_key").loc["F/1", "postcodes"] == "DH1 3AA|SR5 1AB"
    ft = build_features(records)
    lv = compare(ft, SETTINGS, np.array([0]), np.array([1]))
    assert SETTINGS.comparison("postcode").levels[int(lv["postcode"][0])].name == "full"


def test_phone_and_identifiers() -> None:
    got = levels_of(
        m("F/1", phone="+447700900001", pnc="2006/8348013Y"),
        m("F/2", phone="+447700900001", pnc="2006/8348013Y"),
    )
    assert (got["phone"], got["pnc"]) == ("exact", "exact")
    got = levels_of(
        m("F/1", phone="+447700900001", pnc="2006/8348013Y"),
        m("F/2", phone="+447700900002", pnc="2006/0000001Z"),
    )
    assert (got["phone"], got["pnc"]) == ("else", "different")
    assert levels_of(m("F/1", pnc="2006/8348013Y"), m("F/2"))["pnc"] == "null"


def test_name_parsing_and_keys() -> None:
    assert parse_full_name("SMITH, David") == ("DAVID", "SMITH")
    assert parse_full_name("Callum MCDONALD") == ("CALLUM", "MCDONALD")
    assert parse_full_name("MCDONALD Callum") == ("CALLUM", "MCDONALD")
    assert forename_block_key("DAVE") == "DAVID"
    assert forename_block_key("MUHAMMAD") == forename_block_key("MOHAMED") == "MOHAMMED"
    assert forename_keys("KATE") & forename_keys("CATHERINE")


def test_mentions_collapse_to_one_record() -> None:
    rows = [
        m("F/1", "Dave", "Smith", dob="1984-03-12", postcode="SR5 1AB", seen_on="2018-01-01"),
        m("F/1", "David", "Smith", dob="1984-03-12", postcode="SR5 1AB", seen_on="2020-01-01"),
        m("F/1", "David", "Smith", dob="1984-12-03", postcode="NE1 1AA", seen_on="2021-01-01"),
    ]
    rec = build_records(pd.DataFrame(rows)).iloc[0]
    assert rec["fn"] == "DAVID"  # latest name
    assert str(rec["dob"].date()) == "1984-03-12"  # most frequent dob
    assert rec["postcodes"] == "NE1 1AA|SR5 1AB"
    assert rec["n_mentions"] == 3


@given(st.text(max_size=40))
def test_any_text_parses_as_a_name_or_as_none(text):
    """A name of digits or punctuation only ("0 0", "...") is no name, not a crash (the analyst's
    name search met one)."""
    fore, sur = parse_full_name(text)
    assert isinstance(fore, str) and isinstance(sur, str)
    assert parse_full_name("0 0") == ("", "") and parse_full_name("Dave HALL")[1] == "HALL"


_WORLD: dict = {}


def _world_features():
    """Records and features of a generated world (both forces, courts, typos, twins), built once."""
    if not _WORLD:
        from worlds.linkage import generate

        records = build_records(generate(1500, seed=5).person_records)
        _WORLD["ft"] = build_features(records)
    return _WORLD["ft"]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 400), st.integers(1, 400))
def test_levels_in_halves_on_two_threads_are_the_levels_of_all(seed: int, pairs: int, split: int) -> None:
    """compare() splits many pairs in two and compares the halves side by side: each pair's levels
    are those it has compared with any other pairs, or alone (the incremental cache rests on it)."""
    import linkage.compare as comparison

    ft = _world_features()
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, ft.n, pairs), rng.integers(0, ft.n, pairs)
    near = rng.random(pairs) < 0.5  # neighbours in record order: often one person's records
    right[near] = np.minimum(left[near] + 1, ft.n - 1)
    whole = comparison._compare(ft, SETTINGS, left, right, frozenset())
    before = comparison.SPLIT_PAIRS
    comparison.SPLIT_PAIRS = split
    try:
        halves = compare(ft, SETTINGS, left, right)
    finally:
        comparison.SPLIT_PAIRS = before
    assert halves.keys() == whole.keys()
    for name in whole:
        np.testing.assert_array_equal(halves[name], whole[name], err_msg=name)
        assert halves[name].dtype == whole[name].dtype
    one = rng.integers(0, pairs)
    alone = comparison._compare(ft, SETTINGS, left[one : one + 1], right[one : one + 1], frozenset())
    assert {k: int(v[0]) for k, v in alone.items()} == {k: int(v[one]) for k, v in whole.items()}
