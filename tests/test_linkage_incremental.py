"""Incremental equals batch: extracts resolved in any order, a few at a time or all at once, give
the same people; ids carry over where a person continues, and a retired id leads to its successor."""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.run import resolve
from linkage.store import LinkageStore
from worlds.linkage import Synthetic, generate, to_staging

PARTS = 4


def deliveries(world: Synthetic) -> list[Synthetic]:
    """The world as PARTS extracts: the courts' orders, and the forces in three groups."""
    source = world.person_records["source_system"].astype(str)
    group = source.map(lambda s: 0 if s == "court" else 1 + zlib.crc32(s.encode()) % (PARTS - 1))
    of_record = pd.Series(group.to_numpy(), index=world.person_records["record_key"]).groupby(level=0).first()
    parts = []
    for g in range(PARTS):
        inv = world.involvements[world.involvements["record_key"].map(of_record) == g]
        orders = world.orders if g == 0 else world.orders.iloc[:0]
        parts.append(Synthetic(world.person_records[group == g], inv, orders, world.truth.iloc[:0]))
    return parts


def people(data_dir: Path) -> set[frozenset[str]]:
    """The clusters as sets of record keys (ids aside)."""
    ents = LinkageStore(data_dir).entities()
    return {frozenset(keys) for keys in ents.groupby("person_id")["record_key"].agg(list)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Synthetic], set[frozenset[str]]]:
    parts = deliveries(generate(700, seed=17))
    batch = tmp_path_factory.mktemp("batch")
    for i, part in enumerate(parts):
        to_staging(batch, part, part_id=f"part{i}")
    resolve(batch)
    return parts, people(batch)


@given(st.permutations(range(PARTS)), st.lists(st.booleans(), min_size=PARTS - 1, max_size=PARTS - 1))
@settings(max_examples=5, deadline=None)
def test_any_order_of_arrival_gives_the_batch_clusters(world, order: list[int], resolve_after: list[bool]) -> None:
    parts, batch = world
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        for step, i in enumerate(order):
            to_staging(data_dir, parts[i], part_id=f"part{i}")  # a part is named by its content, not its arrival
            if step == len(order) - 1 or resolve_after[step]:
                summary = resolve(data_dir)
        assert people(data_dir) == batch
        assert summary["model_retrained"]  # the last run saw new records, so its model was trained on all


def test_a_run_with_nothing_new_keeps_its_model_and_its_ids(world, tmp_path: Path) -> None:
    parts, _ = world
    for i, part in enumerate(parts):
        to_staging(tmp_path, part, part_id=f"part{i}")
    resolve(tmp_path)
    before = LinkageStore(tmp_path).entities()
    again = resolve(tmp_path)
    assert again["incremental"] and not again["model_retrained"] and again["compared_pairs"] == 0
    pd.testing.assert_frame_equal(LinkageStore(tmp_path).entities(), before)


def test_ids_survive_growth_merges_and_splits(world, tmp_path: Path) -> None:
    parts, _ = world
    for i in range(PARTS - 1):
        to_staging(tmp_path, parts[i], part_id=f"part{i}")
    resolve(tmp_path)
    outputs = LinkageStore(tmp_path)
    first = outputs.entities().set_index("record_key")["person_id"]
    to_staging(tmp_path, parts[PARTS - 1], part_id=f"part{PARTS - 1}")
    resolve(tmp_path)
    grown = outputs.entities().set_index("record_key")["person_id"]
    # a person who gained records (or none) keeps the id: every earlier id that is gone was merged
    gone = set(first) - set(grown)
    assert gone <= set(outputs.successors()["retired_id"])

    # a steward joins two people: one id is retired, and it leads to the merged person
    singles = grown.groupby(grown).filter(lambda s: len(s) == 1)
    a, b = sorted(singles.index)[:2]
    outputs.record_person_decision(a, b, "same", user="steward1")
    summary = resolve(tmp_path)
    assert not summary["model_retrained"]  # a decision changes the pair it decides, not the model
    merged = outputs.entities().set_index("record_key")["person_id"]
    assert merged[a] == merged[b]
    others = grown.index.difference([a, b])
    assert (merged[others] == grown[others]).all()
    retired = ({grown[a], grown[b]} - {merged[a]}).pop()
    row = outputs.successors().set_index("retired_id").loc[retired]
    assert row["person_id"] == merged[a] and row["reason"] == "merged"
    assert outputs.current_id(retired) == merged[a] and outputs.current_id(merged[a]) == merged[a]

    # and splits them again: the id comes back into use and leaves the map
    outputs.record_person_decision(a, b, "not_same", user="steward1")
    resolve(tmp_path)
    split = outputs.entities().set_index("record_key")["person_id"]
    assert split[a] != split[b] and {split[a], split[b]} == {grown[a], grown[b]}
    assert retired not in set(outputs.successors()["retired_id"])
    assert outputs.current_id(retired) == retired
    assert outputs.current_id("P000000000000") is None
