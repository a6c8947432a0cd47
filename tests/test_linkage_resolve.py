"""Resolution end to end on small staged fixtures: context evidence, household namesakes, hard rules,
steward decisions, stable ids and incremental runs (each resolve here takes about a second)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from linkage import store
from linkage.explain import explain_pair
from linkage.run import resolve
from worlds.linkage import generate, mention, stage, to_staging

EVENT = "E23000010"


def background(data_dir: Path, seed: int = 5) -> None:
    """A few hundred unrelated synthetic people, so priors and frequencies look like real data."""
    to_staging(data_dir, generate(300, seed=seed), part_id=f"background-{seed}")


def scenario() -> tuple[list[dict], list[dict], list[dict]]:
    """The issue's stories as staged rows: people, involvements, orders."""
    people = [
        # Dave Smith, 12/03/1984, Sunderland, and the woman he was recorded abusing
        mention(
            "Northumbria/N1",
            "Dave",
            "Smith",
            dob="1984-03-12",
            sex="M",
            postcode="SR5 1AB",
            address="12 Elm Road, Sunderland",
            seen_on="2019-04-05",
            source_system=EVENT,
        ),
        mention(
            "Northumbria/N2",
            "Linda",
            "Wilson",
            dob="1986-05-01",
            sex="F",
            postcode="SR5 1AB",
            address="12 Elm Road, Sunderland",
            seen_on="2019-04-05",
            source_system=EVENT,
        ),
        # a family court's non-molestation order: respondent SMITH, David, no dob, moved
        mention(
            "FC2021001/respondent",
            "David",
            "SMITH",
            address="40 Park Lane, Durham DH1 3AA",
            postcode="DH1 3AA",
            seen_on="2021-08-27",
        ),
        mention(
            "FC2021001/protected",
            "Linda",
            "WILSON",
            dob="1986-05-01",
            address="CONFIDENTIAL",
            confidential_address=True,
            seen_on="2021-08-27",
        ),
        # a second order where only the respondent's dob is known: the undated protected woman
        mention(
            "Northumbria/N3",
            "Karen",
            "Pickering",
            dob="1979-09-09",
            sex="F",
            postcode="NE6 5XX",
            address="3 Shields Road, Newcastle",
            seen_on="2018-02-02",
            source_system=EVENT,
        ),
        mention(
            "Northumbria/N4",
            "Gary",
            "Threlkeld",
            dob="1977-01-20",
            sex="M",
            postcode="NE6 5XX",
            address="3 Shields Road, Newcastle",
            seen_on="2018-02-02",
            source_system=EVENT,
        ),
        mention(
            "FC2022002/respondent",
            "Gary",
            "THRELKELD",
            dob="1977-01-20",
            address="9 Byker Bank, NE6 1AA",
            postcode="NE6 1AA",
            seen_on="2022-03-01",
        ),
        mention(
            "FC2022002/protected",
            "Karen",
            "PICKERING",
            address="CONFIDENTIAL",
            confidential_address=True,
            seen_on="2022-03-01",
        ),
        # a household of namesakes: father and son John Hall, mother and her sister-in-law
        mention(
            "Durham/H1",
            "John Stephen",
            "Hall",
            dob="1961-02-02",
            sex="M",
            postcode="DH1 1AA",
            address="5 Gilesgate, Durham",
            source_system="E23000008",
        ),
        mention(
            "Durham/H2",
            "John",
            "Hall",
            dob="1989-07-07",
            sex="M",
            postcode="DH1 1AA",
            address="5 Gilesgate, Durham",
            source_system="E23000008",
        ),
        mention(
            "Durham/H3",
            "Susan",
            "Hall",
            dob="1962-03-03",
            sex="F",
            postcode="DH1 1AA",
            address="5 Gilesgate, Durham",
            source_system="E23000008",
        ),
        mention(
            "Durham/H4",
            "Sarah",
            "Hall",
            dob="1962-03-04",
            sex="F",
            postcode="DH1 1AA",
            address="5 Gilesgate, Durham",
            source_system="E23000008",
        ),
        # twins: same surname, dob and address, different forenames
        mention(
            "Cleveland/T1",
            "Jack",
            "Armitage",
            dob="1995-05-05",
            sex="M",
            postcode="TS1 2AB",
            address="77 Linthorpe Road, Middlesbrough",
            source_system="E23000013",
        ),
        mention(
            "Cleveland/T2",
            "Harry",
            "Armitage",
            dob="1995-05-05",
            sex="M",
            postcode="TS1 2AB",
            address="77 Linthorpe Road, Middlesbrough",
            source_system="E23000013",
        ),
        # two men with everything in common but different valid PNC IDs
        mention(
            "Cleveland/P1",
            "Mark",
            "Oddie",
            dob="1970-10-10",
            sex="M",
            postcode="TS5 6EE",
            address="1 Acklam Road, Middlesbrough",
            pnc="2006/8348013Y",
            source_system="E23000013",
        ),
        mention(
            "Cumbria/P2",
            "Mark",
            "Oddie",
            dob="1970-10-10",
            sex="M",
            postcode="TS5 6EE",
            address="1 Acklam Road, Middlesbrough",
            pnc="2001/0129727X",
            source_system="E23000002",
        ),
    ]
    involvements = [
        {"event_key": "Northumbria/OCC1", "record_key": "Northumbria/N1", "role": "suspect"},
        {
            "event_key": "Northumbria/OCC1",
            "record_key": "Northumbria/N2",
            "role": "victim",
            "relationship": "intimate",
        },
        {"event_key": "Northumbria/OCC2", "record_key": "Northumbria/N4", "role": "suspect"},
        {
            "event_key": "Northumbria/OCC2",
            "record_key": "Northumbria/N3",
            "role": "victim",
            "relationship": "intimate",
        },
        {"event_key": "Durham/OCC3", "record_key": "Durham/H2", "role": "suspect"},
        {"event_key": "Durham/OCC3", "record_key": "Durham/H3", "role": "victim", "relationship": "family"},
        {"event_key": "Durham/OCC4", "record_key": "Durham/H1", "role": "suspect"},
        {"event_key": "Durham/OCC4", "record_key": "Durham/H3", "role": "victim", "relationship": "intimate"},
    ]
    orders = [
        {
            "order_key": "FC2021001",
            "order_type": "NON_MOLESTATION",
            "made_on": "2021-08-27",
            "respondent_key": "FC2021001/respondent",
            "protected_key": "FC2021001/protected",
        },
        {
            "order_key": "FC2022002",
            "order_type": "NON_MOLESTATION",
            "made_on": "2022-03-01",
            "respondent_key": "FC2022002/respondent",
            "protected_key": "FC2022002/protected",
        },
    ]
    return people, involvements, orders


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("resolved")
    background(data_dir)
    stage(data_dir, *scenario())
    resolve(data_dir)
    return data_dir


def partition(pid: pd.Series) -> set[frozenset[str]]:
    """The entities as sets of record keys."""
    return {frozenset(g) for g in pid.index.groupby(pid.to_numpy()).values()}


def person_of(data_dir: Path) -> pd.Series:
    return store.LinkageStore(data_dir).entities().set_index("record_key")["person_id"]


def test_outputs_have_the_contract_columns(resolved: Path) -> None:
    ents = store.LinkageStore(resolved).entities()
    assert list(ents.columns) == ["record_key", "person_id", "confidence", "decided_by", "model_version"]
    assert ents["confidence"].between(0, 1).all()
    golden = store.LinkageStore(resolved).golden()
    for col in (
        "person_id",
        "preferred_name",
        "surname",
        "forenames",
        "dob",
        "sex",
        "name_variants",
        "dobs",
        "postcodes",
        "pnc",
        "record_keys",
        "forces",
    ):
        assert col in golden.columns
    pairs = pd.read_parquet(resolved / "linkage" / "pairs.parquet")
    for col in (
        "record_key_l",
        "record_key_r",
        "match_weight",
        "probability",
        "decision",
        "match_key",
        "forename_level",
        "forename_weight",
        "dob_level",
        "dob_weight",
    ):
        assert col in pairs.columns
    model = json.loads((resolved / "linkage" / "model.json").read_text())
    assert model["version"] and model["comparisons"]["dob"]["levels"][1]["name"] == "exact"
    assert set(ents["record_key"]) == set(
        pd.read_parquet(resolved / "linkage" / "records.parquet")["record_key"]
    )


def test_undated_court_respondent_resolved_through_the_protected_woman(resolved: Path) -> None:
    pid = person_of(resolved)
    assert pid["Northumbria/N2"] == pid["FC2021001/protected"]
    assert pid["Northumbria/N1"] == pid["FC2021001/respondent"]
    why = explain_pair(resolved, "Northumbria/N1", "FC2021001/respondent")
    partner = next(f for f in why["fields"] if f["comparison"] == "partner")
    assert partner["level"] == "shared_partner" and partner["weight"] > 0
    assert "+PARTNER" in why["match_key"]


def test_undated_protected_woman_resolved_through_her_respondent(resolved: Path) -> None:
    pid = person_of(resolved)
    assert pid["Northumbria/N4"] == pid["FC2022002/respondent"]
    assert pid["Northumbria/N3"] == pid["FC2022002/protected"]


def test_household_of_namesakes_kept_apart(resolved: Path) -> None:
    pid = person_of(resolved)
    household = [pid[f"Durham/H{i}"] for i in range(1, 5)]
    assert len(set(household)) == 4
    why = explain_pair(resolved, "Durham/H3", "Durham/H4")
    fields = {f["comparison"]: f for f in why["fields"]}
    assert fields["forename"]["weight"] < -4  # a different forename counts strongly
    assert why["decision"] in ("no_link", "review", "rule:twins")


def test_twins_never_link_automatically(resolved: Path) -> None:
    pid = person_of(resolved)
    assert pid["Cleveland/T1"] != pid["Cleveland/T2"]
    why = explain_pair(resolved, "Cleveland/T1", "Cleveland/T2")
    assert why["decision"] == "rule:twins"


def test_different_valid_pnc_ids_are_two_people(resolved: Path) -> None:
    pid = person_of(resolved)
    assert pid["Cleveland/P1"] != pid["Cumbria/P2"]
    why = explain_pair(resolved, "Cleveland/P1", "Cumbria/P2")
    assert why["decision"] == "rule:pnc_conflict"
    assert "-PNC" in why["match_key"]


def test_golden_record_keeps_every_variant(resolved: Path) -> None:
    pid = person_of(resolved)
    golden = store.LinkageStore(resolved).golden().set_index("person_id").loc[pid["Northumbria/N1"]]
    assert set(json.loads(golden["record_keys"])) >= {"Northumbria/N1", "FC2021001/respondent"}
    variants = json.loads(golden["name_variants"])
    assert "Dave Smith" in variants and "David SMITH" in variants
    postcodes = {p["postcode"] for p in json.loads(golden["postcodes"])}
    assert postcodes >= {"SR5 1AB", "DH1 3AA"}
    assert str(golden["dob"]) == "1984-03-12"
    # a refuge address never reaches the golden record
    protected = store.LinkageStore(resolved).golden().set_index("person_id").loc[pid["Northumbria/N2"]]
    assert "CONFIDENTIAL" not in protected["postcodes"]


def test_ids_stable_across_reruns_and_steward_decisions_hold(tmp_path: Path) -> None:
    background(tmp_path)
    stage(tmp_path, *scenario())
    first = resolve(tmp_path)
    before = person_of(tmp_path)
    again = resolve(tmp_path)
    assert again["incremental"] and again["compared_pairs"] == 0
    assert person_of(tmp_path).equals(before)

    # a steward splits a pair the model linked, and joins a pair it did not
    store.LinkageStore(tmp_path).record_person_decision(
        "Northumbria/N1",
        "FC2021001/respondent",
        "not_same",
        user="steward1",
        note="different man: checked with the court",
    )
    store.LinkageStore(tmp_path).record_person_decision("Durham/H1", "Durham/H2", "same", user="steward1")
    resolve(tmp_path)
    pid = person_of(tmp_path)
    assert pid["Northumbria/N1"] != pid["FC2021001/respondent"]
    assert pid["Durham/H1"] == pid["Durham/H2"]
    ents = store.LinkageStore(tmp_path).entities().set_index("record_key")
    assert ents.loc["Durham/H1", "decided_by"] == "steward"
    # the decisions hold on every later run, including a full recomparison
    resolve(tmp_path, full=True)
    pid = person_of(tmp_path)
    assert pid["Northumbria/N1"] != pid["FC2021001/respondent"]
    assert pid["Durham/H1"] == pid["Durham/H2"]
    # untouched entities keep their ids
    for key in ("Cleveland/T1", "Cleveland/P1", "Northumbria/N3"):
        assert pid[key] == before[key]
    assert first["entities"] > 0


def test_incremental_equals_batch(tmp_path: Path) -> None:
    people, involvements, orders = scenario()
    inc, full = tmp_path / "incremental", tmp_path / "batch"
    for d in (inc, full):
        background(d)
    # incremental: the force extract first, then the court extract joins the existing entities
    court = [p for p in people if p["record_key"].startswith("FC")]
    force = [p for p in people if not p["record_key"].startswith("FC")]
    stage(inc, force, involvements, [], part_id="force")
    resolve(inc)
    ids_before = person_of(inc)
    stage(inc, court, [], orders, part_id="court")
    summary = resolve(inc)
    assert summary["incremental"]
    assert summary["compared_pairs"] < summary["candidate_pairs"]
    # batch: everything at once, with the same model
    stage(full, force, involvements, [], part_id="force")
    stage(full, court, [], orders, part_id="court")
    (full / "linkage").mkdir()
    for name in (store.MODEL, store.TF):
        shutil.copy(inc / "linkage" / name, full / "linkage" / name)
    resolve(full)
    a, b = person_of(inc), person_of(full)
    assert partition(a) == partition(b)  # the same entities (ids may differ: the histories differ)
    # the court records joined the entities that already existed, which kept their ids
    assert a["FC2021001/respondent"] == ids_before["Northumbria/N1"]


def test_golden_records_from_a_second_process_equal_in_process(
    resolved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linkage.run as run

    in_process = store.LinkageStore(resolved).golden()
    copy = tmp_path / "forked"
    shutil.copytree(resolved / "staging", copy / "staging")
    monkeypatch.setattr(run, "FORK_MIN_MENTIONS", 0)
    summary = resolve(copy)
    assert summary["golden_process"]["forked"] is True
    assert summary["golden_process"]["cpu"] > 0
    pd.testing.assert_frame_equal(store.LinkageStore(copy).golden(), in_process)
