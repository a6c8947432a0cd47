"""The leak guard never uses what it read of the graph before a load, whoever ran the load.

A server keeps its guard's matchers (a subject's victims, the confidential addresses) for a while.
Its own loads tell it to forget; a load by another process (``dots graph load`` into a shared Neo4j)
cannot, so every load stamps the graph (graph/stamp.py) and the guard reads the stamp each time it
is built. Here a subject gains a new victim through a load the guard's process did not run: on
Neo4j by a real second process, embedded by a load through the same graph that does not tell the
server (its generation stays as it was). The guard built next must name her, at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.disclosure_probes import world, write_extracts

SEED = 4242


def _phase(data: Path, folder: str, respondent, seed: int) -> None:
    from linkage.run import resolve
    from loaders.ingest import ingest_paths

    ingest_paths(write_extracts(data / folder, [respondent], seed), data)
    resolve(data, fork=False)


def _subject(g, record_key: str) -> str:
    rows = g.run(
        "MATCH (p:Person)-[:HAS_RECORD]->(r:PersonRecord {record_key: $k}) RETURN p.person_id AS pid",
        {"k": record_key},
    )
    return rows[0]["pid"]


@pytest.fixture()
def two_loads(tmp_path):
    """A data directory whose first delivery gives the respondent one victim; ``second()`` delivers
    and resolves a second victim (not yet loaded)."""
    full = world(SEED, respondents=1)[0]
    first = replace(full, victims=full.victims[:1])
    _phase(tmp_path, "first", first, SEED)
    return tmp_path, full, lambda: _phase(tmp_path, "second", full, SEED)


def _guard(g, pid: str):
    from api.policy.leakguard import LeakGuard

    # generation 0 throughout: the server never hears of the load
    return LeakGuard.for_subject(g, pid, ["Amy Newpartner", "Gavin Dunmore"], generation=0)


def _name(v) -> str:
    return f"Previous partner {v.forename} {v.surname.title()} was assaulted."


def test_a_load_the_server_did_not_run_reaches_its_guard_at_once(two_loads, graph_engine, graph_worlds, monkeypatch):
    from graph.load import load_graph

    data, full, second = two_loads
    old, new = full.victims
    if graph_engine == "neo4j":
        g = graph_worlds.scratch("neo4j")
    else:
        from graph.backend import open_graph

        g = open_graph(data)
    try:
        load_graph(data, g)
        pid = _subject(g, f"Northumbria/{full.ref}")
        guard = _guard(g, pid)
        assert guard.mentions(_name(old)) and not guard.mentions(_name(new))
        if graph_engine == "ladybug":
            # the control: were the stamp not to change, the guard would still be the old one
            from api.policy import leakguard
            from graph.stamp import Stamp

            monkeypatch.setattr(leakguard, "read_stamp", lambda _g: Stamp("frozen", False))
            _guard(g, pid)
        second()
        if graph_engine == "neo4j":  # another process, as an operator would run it
            env = {**os.environ, "NEO4J_URI": graph_worlds.neo4j_uri}
            cli = [str(Path(sys.executable).with_name("dots")), "graph", "load", "--data-dir", str(data)]
            done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr
        else:  # the same graph, loaded behind the server's back
            load_graph(data, g)
            assert not _guard(g, pid).mentions(_name(new))  # the control: stale under a frozen stamp
            monkeypatch.undo()
        assert _subject(g, f"Northumbria/{full.ref}") == pid  # same subject, so the same cache key
        assert _guard(g, pid).mentions(_name(new)), "a guard older than the graph it guards"
    finally:
        if graph_engine == "ladybug":
            g.close()


def test_nothing_is_kept_while_a_load_runs_or_after_one_died(tmp_path, monkeypatch):
    """A load that started and never finished leaves the stamp "loading": every guard reads afresh."""
    from api.policy import leakguard
    from graph.backend import open_graph
    from graph.stamp import read_stamp, write_stamp

    reads = []
    real = leakguard.read_subject_mentions
    monkeypatch.setattr(leakguard, "read_subject_mentions", lambda *a, **k: reads.append(1) or real(*a, **k))
    with open_graph(tmp_path) as g:
        settled = write_stamp(g, loading=False)
        assert read_stamp(g).settled == settled
        _guard(g, "P-none")
        _guard(g, "P-none")
        assert len(reads) == 1  # kept under one stamp
        write_stamp(g, loading=True)  # a load starts (and dies)
        assert read_stamp(g).settled is None
        _guard(g, "P-none")
        _guard(g, "P-none")
        assert len(reads) == 3  # read every time
        write_stamp(g, loading=False)
        _guard(g, "P-none")
        assert len(reads) == 4


def test_the_stamp_changes_with_every_load_and_only_then(tmp_path):
    """Each load leaves a new settled stamp; reading changes nothing."""
    from graph.backend import open_graph
    from graph.stamp import read_stamp, write_stamp

    with open_graph(tmp_path) as g:
        assert read_stamp(g).stamp == ""  # never stamped: a graph an older version loaded
        seen = {write_stamp(g, loading=False) for _ in range(5)}
        assert len(seen) == 5 and read_stamp(g) == read_stamp(g)
