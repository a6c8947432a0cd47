"""Entity resolution end to end on a small synthetic world: generator truth, ingest, people, entities.

Small on purpose (2 cores shared): the benchmark (benchmarks/entities_bench.py) measures at scale.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

PEOPLE = 1500


@pytest.fixture(scope="module")
def synth_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    import pipeline
    from synth.generate import generate

    base = tmp_path_factory.mktemp("entities")
    out, data = base / "extracts", base / "state"
    generate(out, people=PEOPLE, seed=5)
    pipeline.ingest(data, [p for p in sorted(out.iterdir()) if p.name != "truth"])
    summary = pipeline.resolve(data)["entities"]
    return data, out / "truth", summary


def test_generator_writes_address_truth_with_spellings_and_flats(synth_world) -> None:
    _, truth, _ = synth_world
    a = pd.read_csv(truth / "addresses.csv", dtype=str, keep_default_na=False)
    assert list(a.columns) == ["record_key", "address", "true_address_id"]
    spellings = a.groupby("true_address_id")["address"].nunique()
    assert (spellings >= 3).any()
    assert a["address"].str.contains(r"\bF\d+\b|\d+/\d+ ", regex=True).any()  # 144 PARK AVE F23, 23/144 ...
    flats = a[a["address"].str.match(r"(?i)(flat|apartment|apt) \d+")].copy()
    flats["building"] = flats["address"].str.replace(r"(?i)^(flat|apartment|apt) \d+,? ", "", regex=True)
    assert (flats.groupby("building")["true_address_id"].nunique() > 1).any()  # two flats, one building


def test_matching_against_truth(synth_world) -> None:
    from linkage.entities.evaluate import evaluate

    data, truth, _ = synth_world
    s = evaluate(data, truth)
    assert s["addresses"]["precision"] >= 0.995 and s["addresses"]["recall"] >= 0.97
    assert s["orders"]["precision"] >= 0.99 and s["orders"]["recall"] >= 0.95
    assert s["incidents"]["precision"] >= 0.99 and s["incidents"]["recall"] >= 0.9
    assert s["breaches"]["precision"] >= 0.97 and s["breaches"]["recall"] >= 0.9
    assert s["confidential"]["rows"] > 0
    assert s["confidential"]["entities_shared_with_another_record"] == 0 and s["confidential"]["text_kept"] == 0


def test_outputs_readers_and_demo(synth_world) -> None:
    from linkage.entities.demo import examples
    from linkage.store import LinkageStore

    data, _, summary = synth_world
    outputs = LinkageStore(data)
    for reader, cols in ((outputs.addresses, ["record_key", "address_raw", "address_id", "confidential"]),
                         (outputs.orders, ["record_key", "order_id", "court_only", "respondent_person_id",
                                           "protected_person_id"]),
                         (outputs.events, ["record_key", "event_id"]),
                         (outputs.breaches, ["event_record_key", "order_record_key", "evidence"]),
                         (outputs.residence, ["person_id", "address_id", "first_seen", "last_seen",
                                              "record_keys"]),
                         (outputs.coresidence, ["person_id_a", "person_id_b", "address_id", "from", "to"]),
                         (outputs.entity_pairs, ["kind", "key_l", "key_r", "weight", "decision",
                                                 "match_key"])):
        frame = reader()
        assert not frame.empty and set(cols) <= set(frame.columns), reader.__name__
    assert set(outputs.entity_pairs()["kind"]) >= {"address", "order", "event"}
    shown = examples(data)
    for what in ("flats kept apart", "one address, several spellings", "confidential address",
                 "breach linked to its order", "court-only orders"):
        assert shown[what], what
    assert "withheld" in shown["confidential address"]
    assert summary["orders"]["court_only"] > 0
