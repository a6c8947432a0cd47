"""Confidential follows the person (linkage.confidential): once any source withholds a person's
address, every address of theirs from that day, from any source, is confidential; computed once
by linkage and consumed by the graph, the API and the exports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from linkage.confidential import confidential_people, follows, withheld_places


def _addresses(rows):
    return pd.DataFrame(rows, columns=["record_key", "confidential", "seen_on"])


def test_the_earliest_withholding_day_of_each_person():
    ents = pd.DataFrame({"record_key": ["c1", "c2", "f1", "x1"], "person_id": ["K", "K", "K", "M"]})
    addr = _addresses([("c1", True, dt.date(2023, 10, 1)), ("c2", True, dt.date(2024, 2, 1)),
                       ("f1", False, dt.date(2024, 5, 1)), ("x1", False, dt.date(2024, 1, 1))])
    people = confidential_people(addr, ents)
    assert people.to_dict("records") == [
        {"person_id": "K", "confidential_from": dt.date(2023, 10, 1), "record_keys": "c1;c2"}
    ]
    rows = pd.DataFrame({"person_id": ["K", "K", "K", "M"],
                         "seen_on": [dt.date(2023, 9, 10), dt.date(2023, 10, 1), dt.date(2024, 5, 1), None]})
    assert follows(rows["person_id"], rows["seen_on"], people).tolist() == [False, True, True, False]


def test_an_undated_withholding_makes_every_address_confidential():
    ents = pd.DataFrame({"record_key": ["c1"], "person_id": ["K"]})
    people = confidential_people(_addresses([("c1", True, None)]), ents)
    assert people["confidential_from"].isna().all()
    rows = pd.Series(["K", "K"])
    assert follows(rows, pd.Series([dt.date(1990, 1, 1), None]), people).all()


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.booleans(), st.dates(dt.date(2015, 1, 1), dt.date(2025, 1, 1))),
                max_size=12))
def test_no_address_seen_after_a_withholding_of_its_person_stays_open(rows):
    keys = [f"r{i}" for i in range(len(rows))]
    ents = pd.DataFrame({"record_key": keys, "person_id": [p for p, _, _ in rows]})
    addr = _addresses([(k, c, d) for k, (_, c, d) in zip(keys, rows, strict=True)])
    people = confidential_people(addr, ents)
    hidden = follows(ents["person_id"], addr["seen_on"], people)
    for (person, withheld, day), hide in zip(rows, hidden, strict=True):
        firsts = [d for p, c, d in rows if p == person and c]
        assert hide == bool(firsts and day >= min(firsts))
        assert not withheld or hide  # a withholding row is itself confidential


def test_the_pipeline_writes_it_and_the_export_withholds_her_home(tmp_path_factory):
    from linkage.entities.export import export_table
    from linkage.entities.run import resolve_entities
    from linkage.store import ADDRESSES, LinkageStore
    from worlds.api import ensure

    data = ensure(tmp_path_factory.getbasetemp() / "api_sample_world")
    store = LinkageStore(data)
    people = store.confidential()
    court = store.entities().set_index("record_key")["person_id"].get("FC2023001/protected")
    assert court is not None and court in set(people["person_id"])
    assert people.set_index("person_id").loc[court, "confidential_from"] == dt.date(2023, 10, 1)
    copy = tmp_path_factory.mktemp("export_copy")
    import shutil

    shutil.copytree(data, copy, dirs_exist_ok=True)
    resolve_entities(copy)
    out = export_table(copy, "addresses")
    ents = LinkageStore(copy).entities().set_index("record_key")["person_id"]
    hers = out[out["record_key"].map(ents) == court]
    assert not hers.empty and hers["confidential"].all()
    assert hers[["address_raw", "street", "postcode"]].isna().all().all()
    assert not out.astype(str).apply(lambda c: c.str.contains("Elm Grove|SR1 2BB", case=False)).any().any()
    # nor does her address's id join her to the place: no other row, nor the place's entity, has it
    others = out[out["record_key"].map(ents) != court]
    assert set(hers["address_id"]).isdisjoint(others["address_id"]) and hers["address_id"].is_unique
    places = set(LinkageStore(copy).table(ADDRESSES)["address_id"].dropna())
    assert all(i.startswith("AX") for i in hers["address_id"])
    assert set(hers["address_id"]).isdisjoint(places - set(hers["address_id"]))


def test_her_new_home_is_never_compared_put_to_a_steward_or_shared(tmp_path_factory):
    """Northumbria recorded Karen BLACK's home (22 Elm Grove, SR1 2BB) in plain text months after
    the court withheld her address: linkage's address stage treats it as withheld from the start,
    so no address form, candidate pair (the national steward's queue and its explanations) or
    co-residence holds it, and her row goes by an id of its own record."""
    import shutil

    from linkage.entities.run import resolve_entities
    from linkage.store import ADDRESS_FORMS, LinkageStore
    from worlds.api import ensure

    data = ensure(tmp_path_factory.getbasetemp() / "api_sample_world")
    copy = tmp_path_factory.mktemp("entity_copy")
    shutil.copytree(data, copy, dirs_exist_ok=True)
    resolve_entities(copy)
    store = LinkageStore(copy)
    home = "Elm Grove|SR1 ?2BB"
    forms = store.frame(ADDRESS_FORMS)
    assert not forms.astype(str).apply(lambda c: c.str.contains(home, case=False)).any().any()
    keys = set(forms["form_key"])
    pairs = store.entity_pairs()
    addr_pairs = pairs[pairs["kind"] == "address"]
    assert set(addr_pairs["key_l"]) | set(addr_pairs["key_r"]) <= keys
    ents = store.entities().set_index("record_key")["person_id"]
    her = ents["Northumbria/NOR3"]
    rows = store.addresses()
    hers = rows[rows["record_key"].map(ents) == her]
    assert not hers.empty and hers["address_id"].astype(str).str.startswith("AX").all()
    cores = store.coresidence()
    assert her not in set(cores["person_id_a"]) | set(cores["person_id_b"])


@given(st.sampled_from(["SR1 2BB", "sr12bb", " Sr1  2bb "]), st.sampled_from(["SR1 2BB", "sr1 2bb"]),
       st.dates(dt.date(2000, 1, 1), dt.date(2023, 9, 30)))
def test_an_earlier_sighting_of_the_place_she_is_hidden_at_is_hidden_too(pc_before, pc_after, before):
    """Seen at her home before the court withheld her address and again after: both sightings are
    withheld, by postcode (any spacing or case) or by text (the postcode left out of it); her
    other, older home and another person's sighting of the same place stay open."""
    people = pd.DataFrame({"person_id": ["K"], "confidential_from": [dt.date(2023, 10, 1)]})
    rows = pd.DataFrame({
        "person_id": ["K", "K", "K", "M", "K"],
        "seen_on": [before, dt.date(2024, 5, 1), before, dt.date(2024, 6, 1), before],
        "postcode": [pc_before, pc_after, "NE1 4ST", "SR1 2BB", None],
        "text": ["22 Elm Grove", "22 Elm Grove, Sunderland SR1 2BB", "Flat 23, 144 Park Avenue", "22 Elm Grove",
                 "22 elm grove,  sunderland"],
    })
    got = withheld_places(rows["person_id"], rows["seen_on"], rows["postcode"], rows["text"], people)
    assert got.tolist() == [True, True, False, False, True]
