"""Confidential follows the person (linkage.confidential): once any source withholds a person's
address, every address of theirs from that day, from any source, is confidential; computed once
by linkage and consumed by the graph, the API and the exports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from linkage.confidential import confidential_people, follows


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
