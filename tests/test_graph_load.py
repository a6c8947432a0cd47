"""`dots graph load`: idempotent, incremental, resumable, and every load verifies what it wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from graph.backend import GraphError, LadybugBackend, open_graph
from graph.load import load_graph
from graph.schema import NODES, RELS
from worlds.graph import generate

ROOT = Path(__file__).resolve().parents[1]


def _state(g) -> dict[str, set]:
    return {name: set(zip(*g.state(name).T.values, strict=True)) if g.count(name) else set()
            for name in [*NODES, *RELS]}


def _truth_entities(world) -> pd.DataFrame:
    return world.persons.rename(columns={"true_person_id": "person_id"}).assign(
        confidence=1.0, decided_by="truth", model_version="truth")


@pytest.fixture()
def small(tmp_path):
    world = generate(tmp_path / "data", people=400, seed=3)
    return tmp_path / "data", world, _truth_entities(world)


def test_fresh_load_copies_and_second_run_creates_nothing(small, tmp_path):
    data_dir, world, ent = small
    with open_graph(tmp_path / "g") as g:
        first = load_graph(data_dir, g, entities=ent)
        assert first["verified"] and first["nodes"]["Person"]["method"] == "copy"
        assert first["nodes"]["Person"]["in_graph"] == world.persons["true_person_id"].nunique()
        second = load_graph(data_dir, g, entities=ent)
        for part in ("nodes", "relationships"):
            for name, stats in second[part].items():
                assert (stats["created"], stats["updated"], stats["deleted"]) == (0, 0, 0), name
                assert stats["in_graph"] == first[part][name]["in_graph"]


def test_merge_path_equals_copy_path(small, tmp_path):
    """The Neo4j write path (UNWIND MERGE batches), run on Ladybug, builds the same graph as COPY."""
    data_dir, _, ent = small
    with open_graph(tmp_path / "copy") as a:
        load_graph(data_dir, a, entities=ent)
        copied = _state(a)
    b = open_graph(tmp_path / "merge")
    b.supports_copy = False
    try:
        summary = load_graph(data_dir, b, entities=ent)
        assert summary["nodes"]["Event"]["method"] == "merge"
        assert _state(b) == copied
    finally:
        b.close()


def test_incremental_extract_adds_without_rebuild(small, tmp_path):
    data_dir, _, ent = small
    with open_graph(tmp_path / "g") as g:
        load_graph(data_dir, g, entities=ent)
        before = g.count("Event")
        world2 = generate(data_dir, people=400, seed=4)  # a second extract (new part) in the same store
        ent2 = pd.concat([ent, _truth_entities(world2)]).drop_duplicates("record_key", keep="last")
        summary = load_graph(data_dir, g, entities=ent2)
        ev = summary["nodes"]["Event"]
        assert ev["method"] == "merge" and ev["created"] > 0 and ev["deleted"] == 0
        assert g.count("Event") == before + ev["created"]
        incremental = _state(g)
    with open_graph(tmp_path / "fresh") as f:
        load_graph(data_dir, f, entities=ent2)
        assert _state(f) == incremental


def test_relinking_moves_links_and_removes_stale_people(small, tmp_path):
    data_dir, world, ent = small
    with open_graph(tmp_path / "g") as g:
        load_graph(data_dir, g, entities=ent)
        people = sorted(ent["person_id"].unique())
        a, b = people[0], people[1]
        merged = ent.assign(person_id=ent["person_id"].replace({b: a}), decided_by="steward")
        summary = load_graph(data_dir, g, entities=merged)
        assert summary["nodes"]["Person"]["deleted"] == 1
        assert g.run("MATCH (p:Person {person_id: $p}) RETURN count(p) AS c", {"p": b})[0]["c"] == 0
        recs = g.run("MATCH (p:Person {person_id: $p})-[h:HAS_RECORD]->(r:PersonRecord) "
                     "RETURN r.record_key AS k, h.decided_by AS d", {"p": a})
        assert {r["k"] for r in recs} == set(ent.loc[ent["person_id"].isin([a, b]), "record_key"])
        assert {r["d"] for r in recs} == {"steward"}
        with open_graph(tmp_path / "fresh") as f:
            load_graph(data_dir, f, entities=merged)
            assert _state(f) == _state(g)


def test_event_and_order_entities_used_when_present(small, tmp_path):
    data_dir, _, ent = small
    link = data_dir / "linkage"
    link.mkdir(exist_ok=True)
    with open_graph(tmp_path / "g0") as g0:
        load_graph(data_dir, g0, entities=ent)
        keys = sorted(r["k"] for r in g0.run("MATCH (e:Event) RETURN e.event_id AS k"))
    pd.DataFrame({"record_key": keys[:2], "event_id": ["EV-1", "EV-1"]}).to_parquet(link / "events.parquet")
    with open_graph(tmp_path / "g") as g:
        load_graph(data_dir, g, entities=ent)
        assert g.count("Event") == len(keys) - 1
        row = g.run("MATCH (e:Event {event_id: 'EV-1'}) RETURN e.record_keys AS k")[0]
        assert sorted(row["k"]) == keys[:2]
    (link / "events.parquet").unlink()


class _Dropping(LadybugBackend):
    """A backend that silently loses one row per batch, like the form the notes recorded."""

    def upsert(self, name, rows):
        return super().upsert(name, rows[:-1]) if len(rows) > 1 else super().upsert(name, rows)


def test_load_detects_silently_dropped_rows(small, tmp_path):
    data_dir, _, ent = small
    g = _Dropping(tmp_path / "g" / "pole.lbdb")
    g.supports_copy = False
    g.ensure_schema()
    try:
        with pytest.raises(GraphError, match="check failed"):
            load_graph(data_dir, g, entities=ent)
    finally:
        g.close()


class _Crashing(LadybugBackend):
    """Dies part-way through a load (after some tables and batches are written)."""

    calls = 0

    def upsert(self, name, rows):
        type(self).calls += 1
        if type(self).calls == 6:
            raise KeyboardInterrupt("killed")
        return super().upsert(name, rows[: len(rows) // 2]) + super().upsert(name, rows[len(rows) // 2:])

    def bulk_copy(self, name, table):
        if name == "VICTIM_IN":
            raise KeyboardInterrupt("killed")
        return super().bulk_copy(name, table)


def test_interrupted_load_resumes_to_same_state(small, tmp_path):
    data_dir, _, ent = small
    with open_graph(tmp_path / "ref") as ref:
        load_graph(data_dir, ref, entities=ent)
        want = _state(ref)
    path = tmp_path / "g" / "pole.lbdb"
    g = _Crashing(path)
    g.ensure_schema()
    with pytest.raises(KeyboardInterrupt):
        load_graph(data_dir, g, entities=ent)  # COPY path dies mid-way
    g.supports_copy = False
    with pytest.raises(KeyboardInterrupt):
        load_graph(data_dir, g, entities=ent)  # MERGE path dies mid-way
    g.close()
    with open_graph(tmp_path / "g") as again:
        summary = load_graph(data_dir, again, entities=ent)
        assert summary["verified"]
        assert _state(again) == want


def test_killed_process_resumes(tmp_path):
    """A real SIGKILL during `load_graph` in another process; the next run ends in the same state."""
    data_dir = tmp_path / "data"
    world = generate(data_dir, people=3000, seed=5)
    _truth_entities(world).to_parquet(tmp_path / "entities.parquet")
    script = (
        "import sys, pandas as pd; from pathlib import Path; from graph.backend import open_graph;"
        "from graph.load import load_graph; g = open_graph(Path(sys.argv[1]));"
        "g.supports_copy = False; upsert = g.upsert\n"
        "def marked(name, rows):\n"
        "    if name == 'VICTIM_IN': print('writing', flush=True)\n"
        "    return upsert(name, rows)\n"
        "g.upsert = marked\n"
        "load_graph(Path(sys.argv[2]), g, entities=pd.read_parquet(sys.argv[3]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "g"), str(data_dir),
                             str(tmp_path / "entities.parquet")], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "writing"  # half the node and link types are written
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the load finished before it could be killed"
    ent = pd.read_parquet(tmp_path / "entities.parquet")
    with open_graph(tmp_path / "g") as g:
        load_graph(data_dir, g, entities=ent)
        got = _state(g)
    with open_graph(tmp_path / "ref") as ref:
        load_graph(data_dir, ref, entities=ent)
        assert got == _state(ref)


def test_open_graph_refuses_unknown_uri(tmp_path):
    with pytest.raises(GraphError):
        open_graph(tmp_path, uri="http://example.invalid")
