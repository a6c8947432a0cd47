"""Entity resolution on a small hand-made world: every case the issue names, and what stewards see.

People are resolved by hand (the person engine is tested elsewhere): Dave (P1) and Jane (P2)
in two forces and two court extracts, Sam (P3) and Kim (P4) only in court.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from linkage import store
from linkage.entities.explain import explain_breach, explain_entity_pair
from linkage.entities.export import export_table
from linkage.entities.run import resolve_entities
from staging.store import StagingStore

T = pd.Timestamp
PARK = "Flat 23, 144 Park Avenue, Heaton, Newcastle upon Tyne"


def _person(key: str, surname: str, seen: str, address: str | None, postcode: str | None = None,
            extra: dict | None = None, confidential: bool = False) -> dict:
    return {"record_key": key, "surname_norm": surname.upper(), "seen_on": T(seen), "address_raw": address,
            "postcode": postcode, "confidential_address": confidential,
            "extra": json.dumps(extra) if extra else None}


PEOPLE = [
    _person("Northumbria/NOR1", "Smith", "2019-05-01", PARK, "NE6 5AB"),
    _person("Northumbria/NOR2", "Jones", "2019-05-01", "144 PARK AVE F23, Newcastle", "ne65ab"),
    _person("Durham/DUR1", "Smith", "2019-05-01", "23/144 Park Ave, Heaton, Newcastle", None),
    _person("Durham/DUR2", "Jones", "2019-05-01", "Flat 24, 144 Park Avenue, Heaton, Newcastle upon Tyne",
            "NE6 5AB"),
    _person("Durham/DUR3", "Brown", "2019-06-01", "144 Park Avenue, Heaton, Newcastle upon Tyne", "NE6 5AB"),
    _person("FC2019012345/respondent", "Smith", "2019-04-01", "Flat 23, 144 Park Avenue, NE6 5AB"),
    _person("FC2019012345/protected", "Jones", "2019-04-01", None, confidential=True),
    _person("FC2019-012345/respondent", "Smith", "2019-04-01", "No fixed abode"),
    _person("FC2019-012345/protected", "Jones", "2019-04-01", None, confidential=True),
    _person("MC2020000001/respondent", "Green", "2020-02-01", "7 Mill Lane, Kendal, LA9 4AA"),
    _person("MC2020000001/protected", "White", "2020-02-01", "Refuge - address withheld"),
    _person("Cumbria/CUM1", "Green", "2020-03-01", "7 Mill Lane, Kendal", "LA9 4AA", extra={"uprn": "10001"}),
    _person("Cumbria/CUM2", "Grey", "2020-03-01", "Mill Cottage, Kendal", None, extra={"UPRN": "010001"}),
    _person("Cumbria/CUM3", "Black", "2020-03-01", "9 Mill Lane, Kendal", "LA9 4AA", extra={"uprn": "10002"}),
    _person("Cumbria/CUM4", "Black", "2020-03-01", "9 Mill Lane, Kendal", "LA9 4AA", extra={"uprn": "10003"}),
]
PERSON_ID = {"Northumbria/NOR1": "P1", "Durham/DUR1": "P1", "FC2019012345/respondent": "P1",
             "FC2019-012345/respondent": "P1", "Northumbria/NOR2": "P2", "Durham/DUR2": "P2",
             "FC2019012345/protected": "P2", "FC2019-012345/protected": "P2", "MC2020000001/respondent": "P3",
             "MC2020000001/protected": "P4", "Durham/DUR3": "P5", "Cumbria/CUM1": "P6", "Cumbria/CUM2": "P7",
             "Cumbria/CUM3": "P8", "Cumbria/CUM4": "P9"}


def _event(key: str, force: str, when: str, offence: str, code: str | None, group: str) -> dict:
    return {"event_key": key, "force_code": force, "source_ref": key.split("/", 1)[1], "occurred_at": T(when),
            "offence": offence, "ho_code": code, "offence_group": group, "location_postcode": "NE6 5AB"}


EVENTS = [
    _event("Northumbria/NO/1/19", "E23000007", "2019-05-01 22:00", "Breach of non-molestation order", "195/94",
           "breach_of_order"),
    _event("Durham/DUR-2019-1", "E23000008", "2019-05-01 23:10", "Breach of non-molestation order", "195/94",
           "breach_of_order"),
    _event("Northumbria/NO/2/19", "E23000007", "2019-03-01 21:00", "Common assault", "105/1", "violence"),
    _event("Northumbria/NO/3/19", "E23000007", "2019-07-01 20:00", "Common assault", "105/1", "violence"),
]
INVOLVEMENTS = [
    {"event_key": e, "record_key": k, "role": role}
    for e, s, v in [("Northumbria/NO/1/19", "Northumbria/NOR1", "Northumbria/NOR2"),
                    ("Durham/DUR-2019-1", "Durham/DUR1", "Durham/DUR2"),
                    ("Northumbria/NO/2/19", "Northumbria/NOR1", "Northumbria/NOR2"),
                    ("Northumbria/NO/3/19", "Northumbria/NOR1", "Northumbria/NOR2")]
    for k, role in ((s, "suspect"), (v, "victim"))
]


def _order(key: str, court: str, extract: str, order_type: str = "NON_MOLESTATION", made: str = "2019-04-01",
           expires: str | None = "2020-04-01") -> dict:
    return {"order_key": key, "court_name": court, "court_type": "family", "order_type": order_type,
            "made_on": T(made), "expires_on": T(expires) if expires else None,
            "until_further_order": expires is None, "respondent_key": f"{key}/respondent",
            "protected_key": f"{key}/protected", "source_file": extract, "extract_id": extract}


ORDERS = [
    _order("FC2019012345", "Newcastle Family Court", "court-1"),
    _order("FC2019-012345", "Newcastle upon Tyne Family Court", "court-2"),
    _order("MC2020000001", "Kendal Magistrates' Court", "court-1", "RESTRAINING", "2020-02-01", None),
]


def _stage(data_dir: Path) -> None:
    people = pd.DataFrame(PEOPLE)
    addresses = people.loc[people["address_raw"].notna() | people["confidential_address"],
                           ["record_key", "address_raw", "postcode", "seen_on"]].assign(
        confidential=people["confidential_address"])
    frames = {"person_records": people, "events": pd.DataFrame(EVENTS),
              "involvements": pd.DataFrame(INVOLVEMENTS), "orders": pd.DataFrame(ORDERS), "addresses": addresses}
    for frame in frames.values():
        frame["source_file"] = "hand-made.csv"
        frame["profile"] = "test"
    StagingStore(data_dir).commit_part("hand-made", frames, {"files": []})
    entities = pd.DataFrame({"record_key": list(PERSON_ID), "person_id": list(PERSON_ID.values())})
    store.LinkageStore(data_dir).write_frame(store.ENTITIES, entities)


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    _stage(tmp_path)
    resolve_entities(tmp_path)
    return tmp_path


def _address_id(data_dir: Path, key: str) -> str:
    a = store.LinkageStore(data_dir).addresses()
    return str(a.loc[a["record_key"] == key, "address_id"].iloc[0])


def test_same_address_in_several_spellings_is_one_place(world: Path) -> None:
    ids = {_address_id(world, k) for k in ("Northumbria/NOR1", "Northumbria/NOR2", "Durham/DUR1",
                                           "FC2019012345/respondent")}
    assert len(ids) == 1
    raw = store.LinkageStore(world).addresses()
    kept = raw[raw["address_id"] == ids.pop()]["address_raw"]
    assert {"144 PARK AVE F23, Newcastle", "23/144 Park Ave, Heaton, Newcastle", PARK} <= set(kept)


def test_flats_in_one_building_are_different_places(world: Path) -> None:
    flat23, flat24 = _address_id(world, "Northumbria/NOR1"), _address_id(world, "Durham/DUR2")
    whole = _address_id(world, "Durham/DUR3")
    assert len({flat23, flat24, whole}) == 3
    pairs = store.LinkageStore(world).entity_pairs("address")
    assert (pairs["decision"] == "rule:different_flat").any()


def test_confidential_address_is_its_own_entity_and_never_shown(world: Path) -> None:
    a = store.LinkageStore(world).addresses()
    conf = a[a["confidential"]]
    assert set(conf["record_key"]) == {"FC2019012345/protected", "FC2019-012345/protected",
                                       "MC2020000001/protected"}  # the third said 'Refuge' in its text
    assert conf["address_id"].str.startswith("AX").all()
    assert conf["address_id"].is_unique and conf["address_raw"].isna().all()
    assert not a[~a["confidential"]]["address_id"].isin(conf["address_id"]).any()
    forms = store.LinkageStore(world).frame(store.ADDRESS_FORMS)
    assert not forms["address_raw"].str.contains("Refuge").any()
    res, cores = store.LinkageStore(world).residence(), store.LinkageStore(world).coresidence()
    assert not cores["address_id"].isin(conf["address_id"]).any()
    assert res.loc[res["address_id"].isin(conf["address_id"]), "confidential"].all()
    exported = export_table(world, "addresses")
    assert exported.loc[exported["confidential"], "address_raw"].isna().all()


def test_uprn_decides(world: Path) -> None:
    assert _address_id(world, "Cumbria/CUM1") == _address_id(world, "Cumbria/CUM2")  # same UPRN, other text
    assert _address_id(world, "Cumbria/CUM3") != _address_id(world, "Cumbria/CUM4")  # same text, two UPRNs
    a = store.LinkageStore(world).addresses()
    assert a.loc[a["record_key"] == "FC2019-012345/respondent", "no_fixed_abode"].all()
    assert a.loc[a["record_key"] == "FC2019-012345/respondent", "address_id"].isna().all()


def test_order_from_two_courts_is_merged_and_linked_to_its_people(world: Path) -> None:
    o = store.LinkageStore(world).orders().set_index("record_key")
    assert o.loc["FC2019012345", "order_id"] == o.loc["FC2019-012345", "order_id"]
    assert o.loc["FC2019012345", "order_id"] != o.loc["MC2020000001", "order_id"]
    assert o.loc["FC2019012345", "respondent_person_id"] == "P1"
    assert o.loc["FC2019012345", "protected_person_id"] == "P2"
    assert o.loc["FC2019012345", "n_records"] == 2
    explained = explain_entity_pair(world, "order", "FC2019-012345", "FC2019012345")
    assert explained["same_entity"] and explained["decision"] == "link"
    assert explained["match_key"].startswith("+CASE")
    assert {f["comparison"] for f in explained["fields"]} >= {"case", "respondent", "protected", "court"}


def test_boundary_incident_is_one_event(world: Path) -> None:
    e = store.LinkageStore(world).events().set_index("record_key")
    assert e.loc["Northumbria/NO/1/19", "event_id"] == e.loc["Durham/DUR-2019-1", "event_id"]
    assert e.loc["Northumbria/NO/1/19", "n_records"] == 2
    assert len({e.loc[k, "event_id"] for k in ("Northumbria/NO/1/19", "Northumbria/NO/2/19",
                                                "Northumbria/NO/3/19")}) == 3
    explained = explain_entity_pair(world, "event", "Durham/DUR-2019-1", "Northumbria/NO/1/19")
    assert "+SUSPECT" in explained["match_key"] and "+TIME" in explained["match_key"]


def test_breach_is_linked_to_its_order_with_evidence(world: Path) -> None:
    b = store.LinkageStore(world).breaches()
    linked = set(b["event_record_key"])
    assert {"Northumbria/NO/1/19", "Durham/DUR-2019-1", "Northumbria/NO/3/19"} == linked  # NO/2 predates it
    explicit = b.set_index("event_record_key").loc["Northumbria/NO/1/19"]
    assert bool(explicit["explicit"]) and "breach" in explicit["evidence"]
    implied = b.set_index("event_record_key").loc["Northumbria/NO/3/19"]
    assert not bool(implied["explicit"]) and "inside the order" in implied["evidence"]
    assert explain_breach(world, "Northumbria/NO/2/19", "FC2019012345")["linked"] is False
    exported = export_table(world, "breaches")
    assert list(exported.columns[:2]) == ["event_record_key", "order_record_key"]


def test_court_only_orders_are_flagged(world: Path) -> None:
    o = store.LinkageStore(world).orders().set_index("record_key")
    assert bool(o.loc["MC2020000001", "court_only"])
    assert not bool(o.loc["FC2019012345", "court_only"])  # a force recorded a breach of it
    assert o.loc["FC2019012345", "police_events_between_parties"] == 4


def test_coresidence_from_people_and_addresses(world: Path) -> None:
    cores = store.LinkageStore(world).coresidence()
    flat23 = _address_id(world, "Northumbria/NOR1")
    hit = cores[(cores["person_id_a"] == "P1") & (cores["person_id_b"] == "P2") & (cores["address_id"] == flat23)]
    assert len(hit) == 1 and hit["from"].iloc[0] <= hit["to"].iloc[0]
    res = store.LinkageStore(world).residence()
    p1 = res[(res["person_id"] == "P1") & (res["address_id"] == flat23)].iloc[0]
    assert "Northumbria/NOR1" in p1["record_keys"] and "Durham/DUR1" in p1["record_keys"]


def test_exports_keep_the_cli_contract(world: Path) -> None:
    assert list(export_table(world, "orders").columns[:2]) == ["record_key", "order_id"]
    assert list(export_table(world, "events").columns[:2]) == ["record_key", "event_id"]
    assert list(export_table(world, "addresses").columns[:2]) == ["record_key", "address_id"]
    with pytest.raises(ValueError):
        export_table(world, "people")


def test_steward_decisions_stick_and_ids_are_stable(world: Path) -> None:
    before = store.LinkageStore(world).events().set_index("record_key")["event_id"]
    resolve_entities(world)
    assert store.LinkageStore(world).events().set_index("record_key")["event_id"].equals(before)
    pairs = store.LinkageStore(world).entity_pairs("address")
    flat = pairs[pairs["decision"] == "link"].iloc[0]
    decisions = store.LinkageStore(world)
    decisions.record_entity_decision(
        "address", flat["key_l"], flat["key_r"], "not_same", user="steward1", note="checked"
    )
    decisions.record_entity_decision("order", "FC2019012345", "FC2019-012345", "not_same", user="steward1")
    decisions.record_entity_decision("breach", "Northumbria/NO/2/19", "FC2019012345", "same", user="steward1")
    resolve_entities(world)
    forms = store.LinkageStore(world).frame(store.ADDRESS_FORMS).set_index("form_key")["address_id"]
    assert forms[flat["key_l"]] != forms[flat["key_r"]]
    o = store.LinkageStore(world).orders().set_index("record_key")
    assert o.loc["FC2019012345", "order_id"] != o.loc["FC2019-012345", "order_id"]
    assert "Northumbria/NO/2/19" in set(store.LinkageStore(world).breaches()["event_record_key"])
    with pytest.raises(ValueError):
        store.LinkageStore(world).record_entity_decision("person", "a", "b", "same", user="x")


def test_without_people_resolved_nothing_breaks(tmp_path: Path) -> None:
    _stage(tmp_path)
    store.LinkageStore(tmp_path).path(store.ENTITIES).unlink()
    summary = resolve_entities(tmp_path)
    assert summary["orders"]["records"] == 3 and summary["events"]["records"] == 4
    assert not summary["person_entities_used"]
