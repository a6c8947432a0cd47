"""`dots graph load` on both engines: idempotent, incremental, resumable, and every load verifies
what it wrote (fresh loads COPY on Ladybug and CREATE in batches on Neo4j; increments MERGE)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from graph.backend import GraphError, open_graph
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


def _fresh_state(graph_scratch, data_dir: Path, ent: pd.DataFrame) -> dict[str, set]:
    """The state a fresh load of the same inputs gives (the reference for increments and resumes)."""
    g = graph_scratch()
    assert load_graph(data_dir, g, entities=ent)["verified"]
    return _state(g)


@pytest.fixture()
def small(tmp_path):
    world = generate(tmp_path / "data", people=400, seed=3)
    return tmp_path / "data", world, _truth_entities(world)


def test_fresh_load_copies_and_second_run_creates_nothing(small, graph_scratch):
    data_dir, world, ent = small
    g = graph_scratch()
    first = load_graph(data_dir, g, entities=ent)
    assert first["verified"] and first["nodes"]["Person"]["method"] == "copy"
    assert first["nodes"]["Person"]["in_graph"] == world.persons["true_person_id"].nunique()
    second = load_graph(data_dir, g, entities=ent)
    for part in ("nodes", "relationships"):
        for name, stats in second[part].items():
            assert (stats["created"], stats["updated"], stats["deleted"]) == (0, 0, 0), name
            assert stats["in_graph"] == first[part][name]["in_graph"]


def test_merge_path_equals_copy_path(small, graph_scratch, monkeypatch):
    """The increments' write path (UNWIND MERGE batches) builds the same graph as the fresh-load one."""
    data_dir, _, ent = small
    copied = _fresh_state(graph_scratch, data_dir, ent)
    b = graph_scratch()
    monkeypatch.setattr(b, "supports_copy", False)
    summary = load_graph(data_dir, b, entities=ent)
    assert summary["nodes"]["Event"]["method"] == "merge"
    assert _state(b) == copied


def test_incremental_extract_adds_without_rebuild(small, graph_scratch):
    data_dir, _, ent = small
    g = graph_scratch()
    load_graph(data_dir, g, entities=ent)
    before = g.count("Event")
    world2 = generate(data_dir, people=400, seed=4)  # a second extract (new part) in the same store
    ent2 = pd.concat([ent, _truth_entities(world2)]).drop_duplicates("record_key", keep="last")
    summary = load_graph(data_dir, g, entities=ent2)
    ev = summary["nodes"]["Event"]
    assert ev["method"] == "merge" and ev["created"] > 0 and ev["deleted"] == 0
    assert g.count("Event") == before + ev["created"]
    incremental = _state(g)
    assert _fresh_state(graph_scratch, data_dir, ent2) == incremental


def test_relinking_moves_links_and_removes_stale_people(small, graph_scratch):
    data_dir, world, ent = small
    g = graph_scratch()
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
    relinked = _state(g)
    assert _fresh_state(graph_scratch, data_dir, merged) == relinked


def test_event_and_order_entities_used_when_present(small, graph_scratch):
    data_dir, _, ent = small
    link = data_dir / "linkage"
    link.mkdir(exist_ok=True)
    g0 = graph_scratch()
    load_graph(data_dir, g0, entities=ent)
    keys = sorted(r["k"] for r in g0.run("MATCH (e:Event) RETURN e.event_id AS k"))
    pd.DataFrame({"record_key": keys[:2], "event_id": ["EV-1", "EV-1"]}).to_parquet(link / "events.parquet")
    g = graph_scratch()
    load_graph(data_dir, g, entities=ent)
    assert g.count("Event") == len(keys) - 1
    row = g.run("MATCH (e:Event {event_id: 'EV-1'}) RETURN e.record_keys AS k")[0]
    assert sorted(row["k"]) == keys[:2]
    (link / "events.parquet").unlink()


def test_load_detects_silently_dropped_rows(small, graph_scratch, monkeypatch):
    """A backend that silently loses one row per batch, like the form the notes recorded."""
    data_dir, _, ent = small
    g = graph_scratch()
    upsert = g.upsert
    monkeypatch.setattr(g, "supports_copy", False)
    monkeypatch.setattr(g, "upsert", lambda name, rows: upsert(name, rows[:-1] if len(rows) > 1 else rows))
    with pytest.raises(GraphError, match="check failed"):
        load_graph(data_dir, g, entities=ent)


def test_interrupted_load_resumes_to_same_state(small, graph_scratch, monkeypatch):
    """Dies part-way through a fresh load, then part-way through a MERGE load; the next run ends
    in the state of an uninterrupted load."""
    data_dir, _, ent = small
    want = _fresh_state(graph_scratch, data_dir, ent)
    g = graph_scratch()
    upsert, bulk_copy, calls = g.upsert, g.bulk_copy, []

    def crashing_upsert(name, rows):
        calls.append(name)
        if len(calls) == 6:
            raise KeyboardInterrupt("killed")
        return upsert(name, rows[: len(rows) // 2]) + upsert(name, rows[len(rows) // 2:])

    def crashing_copy(name, table):
        if name == "VICTIM_IN":
            raise KeyboardInterrupt("killed")
        return bulk_copy(name, table)

    with monkeypatch.context() as m:
        m.setattr(g, "upsert", crashing_upsert)
        m.setattr(g, "bulk_copy", crashing_copy)
        with pytest.raises(KeyboardInterrupt):
            load_graph(data_dir, g, entities=ent)  # the fresh-load path dies mid-way
        m.setattr(g, "supports_copy", False)
        with pytest.raises(KeyboardInterrupt):
            load_graph(data_dir, g, entities=ent)  # the MERGE path dies mid-way
    summary = load_graph(data_dir, g, entities=ent)
    assert summary["verified"]
    assert _state(g) == want


_KILLED_LOAD = """
import sys, pandas as pd
from pathlib import Path
from graph.backend import open_graph
from graph.load import load_graph
g = open_graph(Path(sys.argv[1]), uri=sys.argv[4] or None)
g.supports_copy = False
upsert = g.upsert
def marked(name, rows):
    if name == 'VICTIM_IN':
        print('writing', flush=True)
    return upsert(name, rows)
g.upsert = marked
load_graph(Path(sys.argv[2]), g, entities=pd.read_parquet(sys.argv[3]))
"""


def test_killed_process_resumes(tmp_path, graph_engine, graph_scratch, graph_worlds):
    """A real SIGKILL of the loading process (on Neo4j the server rolls its open transaction back);
    the next run ends in the same state as an uninterrupted load."""
    data_dir = tmp_path / "data"
    world = generate(data_dir, people=3000, seed=5)
    _truth_entities(world).to_parquet(tmp_path / "entities.parquet")
    ent = pd.read_parquet(tmp_path / "entities.parquet")
    want = _fresh_state(graph_scratch, data_dir, ent)
    target = tmp_path / "g"
    uri = ""
    if graph_engine == "neo4j":
        graph_scratch()  # emptied for the killed load
        uri = os.environ.get("NEO4J_URI") or graph_worlds.neo4j_uri
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_LOAD, str(target), str(data_dir),
                             str(tmp_path / "entities.parquet"), uri], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "writing"  # half the node and link types are written
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the load finished before it could be killed"
    if graph_engine == "neo4j":
        g = graph_worlds.neo4j()
        assert load_graph(data_dir, g, entities=ent)["verified"]
        assert _state(g) == want
    else:
        with open_graph(target) as g:
            assert load_graph(data_dir, g, entities=ent)["verified"]
            assert _state(g) == want


def test_open_graph_refuses_unknown_uri(tmp_path):
    with pytest.raises(GraphError):
        open_graph(tmp_path, uri="http://example.invalid")
