"""Recall without losing precision: typo-tolerant and home blocking keys, foreign postcodes as
districts, u from random pairs without their matches, sex as no news where forenames agree,
and family victims as context evidence (each resolve here takes about a second)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage import store
from linkage.blocking import block, deletion_table
from linkage.compare import compare
from linkage.explain import explain_pair
from linkage.features import build_features, postcode_parts
from linkage.model import field_weights, train
from linkage.records import build_records
from linkage.run import resolve
from linkage.settings import load_settings
from worlds.linkage import generate, mention, stage, to_staging

SETTINGS = load_settings()


def candidates(rows: list[dict], settings=SETTINGS) -> tuple[set[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """Candidate pairs (as sorted record-key pairs) and the rules that produced each."""
    records = build_records(pd.DataFrame(rows))
    ft = build_features(records)
    cand = block(ft, settings)
    keys = records["record_key"].to_numpy()
    pairs: dict[tuple[str, str], list[str]] = {}
    for left, right, bits in zip(cand.left, cand.right, cand.rules, strict=True):
        pair = tuple(sorted((keys[left], keys[right])))
        pairs[pair] = [n for i, n in enumerate(cand.rule_names) if int(bits) >> i & 1]
    return set(pairs), pairs


def test_deletion_neighbourhoods_meet_within_one_edit() -> None:
    vocab = np.array(["SARAH", "SARHA", "JOHN", "JON", "LAURA", "LUARA", "MARY", "SUSAN", "AL"], dtype=object)
    table = deletion_table(vocab)
    keys = [set(row[row >= 0].tolist()) for row in table[:-1]]

    def meet(a: int, b: int) -> bool:
        return bool(keys[a] & keys[b])

    assert meet(0, 1)  # a transposition: both give SARA
    assert meet(2, 3)  # a dropped letter: JOHN without H is JON
    assert meet(4, 5)
    assert not meet(6, 7)
    assert len(keys[8]) == 1  # a short name blocks on itself only
    assert (table[-1] == -1).all()  # a missing name has no keys


def test_typo_rules_find_a_name_mistyped_on_an_undated_record() -> None:
    rows = [
        mention("Met/1", "Sarah Lisa", "Shelden", dob="1976-11-16", postcode="TW4 6LW", address="22 Bluebell Avenue"),
        mention("MC1/protected", "Sarha", "Shelden"),  # undated, no address: only the names place her
        mention("Met/2", "Laura", "Gray", dob="1991-09-17", postcode="E5 1BY"),
        mention("MC2/protected", "Laura", "Grya"),
        mention("Met/3", "Patience", "Adeyemi", postcode="CR2 7RD"),
        mention("FC3/protected", "Ptience", "Adeyemi", dob="1967-01-03"),
    ]
    pairs, rules = candidates(rows)
    assert ("MC1/protected", "Met/1") in pairs and "forename_typo" in rules[("MC1/protected", "Met/1")]
    assert ("MC2/protected", "Met/2") in pairs and "surname_typo" in rules[("MC2/protected", "Met/2")]
    assert ("FC3/protected", "Met/3") in pairs
    # without the typo rules none of these would be compared
    plain = replace(SETTINGS, blocking=tuple(r for r in SETTINGS.blocking if "typo" not in r.name))
    assert not candidates(rows, plain)[0] & {("MC1/protected", "Met/1"), ("MC2/protected", "Met/2")}


def test_typo_rules_compare_dated_records_too() -> None:
    """A mistyped forename on a record whose date of birth is mistyped too (or another date) is
    still compared: dates of birth are often wrong, and the comparison, not blocking, weighs them."""
    rows = [
        mention("F/1", "Hayley", "Smith", dob="1988-07-12", postcode="NE4 9UD"),
        mention("F/2", "Haeley", "Smith", dob="1988-07-21", postcode="SR1 1AA"),
        mention("F/3", "Haeley", "Smith", postcode="NE4 6HH"),
        mention("F/4", "Hayley", "Smyth", dob="1988-07-13", postcode="SR1 1AA"),
    ]
    pairs, rules = candidates(rows)
    assert "forename_typo" in rules[("F/1", "F/3")]
    assert "forename_typo" in rules[("F/1", "F/2")]
    assert "surname_typo" in rules[("F/1", "F/4")]


def test_a_swapped_and_mistyped_name_meets_its_record_by_date_of_birth() -> None:
    rows = [
        mention("F/1", "Sophie", "Harbord", dob="1974-04-16", postcode="NE4 9UD"),
        mention("F/2", "Harbord", "Sohie", dob="1974-04-16", postcode="TS1 1AA"),  # swapped, one typo
        mention("F/3", "Travis", "Bowerman", dob="1943-07-08", postcode="NE4 9UD"),
        mention("F/4", "Obwerman", "Travis", dob="1943-08-07", postcode="SR1 1AA"),  # and day/month swapped
    ]
    pairs, rules = candidates(rows)
    assert "dob_name_typo" in rules[("F/1", "F/2")]
    assert "dob_name_typo" in rules[("F/3", "F/4")]
    assert ("F/1", "F/3") not in pairs


def test_home_rule_compares_one_home_whatever_the_names() -> None:
    rows = [
        mention("F/1", "Diane", "Whitehead", postcode="NE7 3UT", address="17 Harrow Court, Benwell"),
        mention("F/2", "Dianne", "Whithead", postcode="NE7 3UT", address="17 HARROW CT BENWELL"),
        mention("F/3", "Paul", "Jones", postcode="NE7 3UT", address="19 Harrow Court, Benwell"),
    ]
    pairs, rules = candidates(rows)
    assert "home" in rules[("F/1", "F/2")]
    assert ("F/1", "F/3") not in pairs or "home" not in rules[("F/1", "F/3")]  # next door is not one home


def test_a_foreign_postcode_is_its_own_district() -> None:
    parts = postcode_parts(np.array(["SR5 1AB", "2315", None], dtype=object))
    assert list(parts["district"]) == ["SR5", "2315", ""]
    assert list(parts["sector"]) == ["SR5 1", "", ""]
    assert list(parts["area"]) == ["SR", "", ""]
    rows = [
        mention("A/1", "Jane", "Coleman", dob="1935-08-03", postcode="2315"),
        mention("B/1", "Howie", "James", dob="1935-08-03", postcode="2315"),
    ]
    assert "dob_district" in candidates(rows)[1][("A/1", "B/1")]


def twice_recorded(people: int = 400, seed: int = 3) -> pd.DataFrame:
    """Every person written twice with the same phone (as in FEBRL): random pairs hold many matches."""
    rng = np.random.default_rng(seed)
    sample = generate(people, seed=seed).person_records.drop_duplicates("record_key").head(people)
    rows = []
    for i, r in enumerate(sample.itertuples(index=False)):
        phone = f"07{rng.integers(100_000_000, 999_999_999)}"
        for side in ("A", "B"):
            rows.append(
                mention(
                    f"{side}/{i}",
                    str(r.forenames or "X"),
                    str(r.surname or "Y"),
                    dob=None if pd.isna(r.dob) else pd.Timestamp(r.dob).strftime("%Y-%m-%d"),
                    postcode=r.postcode,
                    phone=phone,
                )
            )
    return pd.DataFrame(rows)


def test_u_from_random_pairs_leaves_out_the_matches_among_them() -> None:
    records = build_records(twice_recorded())
    ft = build_features(records)
    cand = block(ft, SETTINGS)
    levels = compare(ft, SETTINGS, cand.left.astype(np.int64), cand.right.astype(np.int64))
    exact = SETTINGS.comparison("phone").code("exact")
    raw = dict(SETTINGS.raw, model={**SETTINGS.model, "u_sample_pairs": 200_000})
    with_matches = train(ft, replace(SETTINGS, model={**raw["model"], "u_without_matches": False}), levels,
                         cand.rules, cand.rule_names)
    without = train(ft, replace(SETTINGS, model=raw["model"]), levels, cand.rules, cand.rule_names)
    # 1 random pair in 800 is one person here, and they share a phone: counted as chance agreement
    # that would make a shared phone look 10x commoner between different people than it is
    assert without.u["phone"][exact] < with_matches.u["phone"][exact] / 5
    assert without.trained["u_random_pairs_as_matches"] > 50


def test_a_shared_sex_is_no_news_where_forenames_agree() -> None:
    rows = [
        mention("F/1", "Amy", "Dunn", sex="F"),
        mention("F/2", "Amy", "Dunn", sex="F"),
        mention("F/3", "Ann", "Dunn", sex="F"),
        mention("F/4", "Amy", "Dunn", sex="M"),
    ]
    records = build_records(pd.DataFrame(rows))
    ft = build_features(records)
    pos = {k: i for i, k in enumerate(records["record_key"])}
    left = np.array([pos["F/1"], pos["F/1"], pos["F/1"]])
    right = np.array([pos["F/2"], pos["F/3"], pos["F/4"]])
    levels = compare(ft, SETTINGS, left, right)
    from linkage.model import prior_model

    w = field_weights(prior_model(SETTINGS, 1000), SETTINGS, levels, None)["sex"]
    assert abs(w[0]) < 0.1  # Amy and Amy: both women, no news
    assert w[1] > 0.9  # Amy and Ann: a shared sex is still evidence
    assert -3 < w[2] < 0  # Amy and Amy of different sexes: a unisex name or a slip, weak evidence


def family_scenario(with_father: bool) -> tuple[list[dict], list[dict], list[dict]]:
    """A son recorded abusing his mother; a court order protecting her names him, undated, moved.

    ``with_father``: his father, another Liam Carter at the family home, a generation older,
    recorded abusing his wife (the same woman).
    """
    home = {"postcode": "TS25 1AA", "address": "8 Oak Road, Hartlepool", "source_system": "E23000013"}
    people = [
        mention("Cleveland/S1", "Liam", "Carter", dob="1995-06-01", sex="M", **home),
        mention("Cleveland/M1", "Janet", "Carter", dob="1968-02-02", sex="F", **home),
        mention("FC2023001/respondent", "Liam", "CARTER", postcode="TS18 2BB", address="3 Low Street, Stockton"),
        mention("FC2023001/protected", "Janet", "CARTER", dob="1968-02-02", address="CONFIDENTIAL",
                confidential_address=True),
    ]
    involvements = [
        {"event_key": "Cleveland/OCC1", "record_key": "Cleveland/S1", "role": "suspect"},
        {"event_key": "Cleveland/OCC1", "record_key": "Cleveland/M1", "role": "victim", "relationship": "family"},
    ]
    if with_father:
        people.append(mention("Cleveland/F1", "Liam", "Carter", dob="1966-03-03", sex="M", **home))
        involvements += [
            {"event_key": "Cleveland/OCC2", "record_key": "Cleveland/F1", "role": "suspect"},
            {"event_key": "Cleveland/OCC2", "record_key": "Cleveland/M1", "role": "victim", "relationship": "intimate"},
        ]
    orders = [
        {
            "order_key": "FC2023001",
            "order_type": "NON_MOLESTATION",
            "made_on": "2023-05-05",
            "respondent_key": "FC2023001/respondent",
            "protected_key": "FC2023001/protected",
        }
    ]
    return people, involvements, orders


def resolved_family(tmp_path_factory: pytest.TempPathFactory, with_father: bool) -> Path:
    data_dir = tmp_path_factory.mktemp("family")
    to_staging(data_dir, generate(300, seed=5), part_id="background")
    stage(data_dir, *family_scenario(with_father))
    resolve(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def son_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resolved_family(tmp_path_factory, with_father=False)


@pytest.fixture(scope="module")
def father_and_son(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resolved_family(tmp_path_factory, with_father=True)


def partner_level(data_dir: Path, a: str, b: str) -> tuple[str, dict]:
    why = explain_pair(data_dir, a, b)
    return next(f for f in why["fields"] if f["comparison"] == "partner")["level"], why


def test_family_victim_is_context_for_an_undated_respondent(son_only: Path) -> None:
    pid = store.LinkageStore(son_only).entities().set_index("record_key")["person_id"]
    assert pid["FC2023001/protected"] == pid["Cleveland/M1"]
    assert pid["FC2023001/respondent"] == pid["Cleveland/S1"]
    level, why = partner_level(son_only, "Cleveland/S1", "FC2023001/respondent")
    assert level == "shared_partner" and "+PARTNER" in why["match_key"]


def test_father_and_son_sharing_a_victim_stay_two_people(father_and_son: Path) -> None:
    pid = store.LinkageStore(father_and_son).entities().set_index("record_key")["person_id"]
    assert pid["Cleveland/S1"] != pid["Cleveland/F1"]
    level, why = partner_level(father_and_son, "Cleveland/S1", "Cleveland/F1")
    assert level == "null"  # dates of birth a generation apart: no partner evidence
    assert why["decision"] != "link"


def test_an_undated_namesake_of_father_and_son_links_to_neither(father_and_son: Path) -> None:
    pid = store.LinkageStore(father_and_son).entities().set_index("record_key")["person_id"]
    respondent = pid["FC2023001/respondent"]
    assert respondent not in (pid["Cleveland/S1"], pid["Cleveland/F1"])
    for record in ("Cleveland/S1", "Cleveland/F1"):
        level, why = partner_level(father_and_son, record, "FC2023001/respondent")
        assert level == "shared_partner"  # both have her as a counterpart
        assert why["decision"] == "rule:ambiguous"  # so a steward decides


def test_context_rounds_stop_when_partner_levels_settle(son_only: Path) -> None:
    summary = store.LinkageStore(son_only).summary()
    assert 2 <= summary["context_rounds"] <= SETTINGS.context["rounds"]


def test_same_address_forgives_a_lost_space_but_not_another_house() -> None:
    def postcode_level(a: str, b: str) -> str:
        rows = [mention("F/1", "Keaton", "Webb", postcode="TS1 2AB", address=a),
                mention("F/2", "Keaton", "Webb", postcode="TS1 2AB", address=b)]
        records = build_records(pd.DataFrame(rows))
        ft = build_features(records)
        lv = compare(ft, SETTINGS, np.array([0]), np.array([1]))["postcode"]
        return SETTINGS.comparison("postcode").levels[int(lv[0])].name

    assert postcode_level("2 McKinley Circuit, Solitaire", "2 MCKINLEYCIRCUIT SOLITAIRE") == "same_address"
    assert postcode_level("2 McKinley Circuit, Solitaire", "2 Solitaire, McKinley Circuit") == "same_address"
    assert postcode_level("2 McKinley Circuit", "4 McKinley Circuit") == "neighbour"  # next door: not one home
