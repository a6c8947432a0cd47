"""The two engines give identical answers: the same synthetic extracts (ingested by the loaders,
truth entities) loaded into LadybugDB and into a real Neo4j, and every user's question asked of
both, whole answers compared (every row, every column, the evidence included).

The conformance suite (test_graph_queries.py) checks each engine against an independent pandas
oracle; this checks the engines against each other on data the sample generator did not shape,
so it keeps holding when a question's definition changes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from graph import queries as Q
from graph.load import load_graph


@pytest.fixture(scope="module")
def engines(graph_synth_data, graph_worlds):
    """(embedded, neo4j) graphs of the synthetic extracts; skipped with the reason without a Neo4j."""
    data_dir, _, entities = graph_synth_data

    def load(g) -> None:
        assert load_graph(data_dir, g, entities=entities)["verified"]

    graph_worlds.neo4j()
    return (graph_worlds.get("ladybug", "graph_synth", load), lambda: graph_worlds.get("neo4j", "graph_synth", load))


def _both(engines):
    lady, neo = engines
    return lady, neo()  # Neo4j asked each time: another module may have reloaded its one database


def _same(a, b, what: str) -> None:
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), what
        assert list(a.columns) == list(b.columns), what
        assert len(a) == len(b), f"{what}: {len(a)} rows on Ladybug, {len(b)} on Neo4j"
        if a.empty:
            return
        pd.testing.assert_frame_equal(_sorted(a), _sorted(b), check_dtype=False, obj=what)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for k in a:
            _same(a[k], b[k], f"{what}.{k}")
    else:
        assert a == b, what


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order whatever order the engine returned ties in (lists compared as text)."""
    text = frame.map(lambda v: repr(v.tolist() if hasattr(v, "tolist") else v))
    order = text.sort_values(list(text.columns)).index
    return frame.loc[order].reset_index(drop=True)


def _as_of(g) -> dt.date:
    return g.run("MATCH (e:Event) RETURN max(e.occurred_on) AS d")[0]["d"]


@pytest.mark.parametrize("kw", [{}, {"min_victims": 3}, {"relationships": "any"},
                                {"relationships": "family", "min_victims": 1}])
def test_serial_perpetrators_identical(engines, kw):
    lady, neo = _both(engines)
    a = Q.serial_perpetrators(lady, **kw)
    assert not a.empty
    _same(a, Q.serial_perpetrators(neo, **kw), f"serial_perpetrators{kw}")


def test_cross_force_identical(engines):
    lady, neo = _both(engines)
    a = Q.cross_force_victims(lady)
    assert not a.empty
    _same(a, Q.cross_force_victims(neo), "cross_force_victims")
    _same(Q.victims_in_multiple_forces(lady), Q.victims_in_multiple_forces(neo), "victims_in_multiple_forces")


def test_target_lists_identical(engines):
    lady, neo = _both(engines)
    as_of = _as_of(lady)
    assert _as_of(neo) == as_of
    forces = sorted(r["code"] for r in lady.run("MATCH (f:Force) RETURN f.force_code AS code"))
    assert len(forces) > 1
    listed = 0
    for force in forces:
        a = Q.targets(lady, force, as_of)
        listed += len(a)
        _same(a, Q.targets(neo, force, as_of), f"targets {force}")
        _same(Q.target_movement(lady, force, as_of), Q.target_movement(neo, force, as_of), f"movement {force}")
    assert listed >= 10


def test_disclosure_answers_identical(engines):
    lady, neo = _both(engines)
    as_of = _as_of(lady)
    subjects = Q.serial_perpetrators(lady, relationships="any", min_victims=1)["person_id"].tolist()
    assert len(subjects) >= 10
    for pid in subjects[:: max(1, len(subjects) // 25)]:
        _same(Q.disclosure_view(lady, pid, as_of), Q.disclosure_view(neo, pid, as_of), f"disclosure {pid}")
    _same(Q.right_to_know_candidates(lady, as_of), Q.right_to_know_candidates(neo, as_of), "right_to_know")


def test_other_questions_identical(engines):
    lady, neo = _both(engines)
    as_of = _as_of(lady)
    _same(Q.repeat_victims(lady), Q.repeat_victims(neo), "repeat_victims")
    _same(Q.orders_active(lady, as_of), Q.orders_active(neo, as_of), "orders_active")
    _same(Q.orders_expiring(lady, as_of, days=365), Q.orders_expiring(neo, as_of, days=365), "orders_expiring")
    _same(Q.court_only_orders(lady), Q.court_only_orders(neo), "court_only_orders")
    _same(Q.possible_breaches(lady), Q.possible_breaches(neo), "possible_breaches")
    people = Q.serial_perpetrators(lady, relationships="any", min_victims=1)["person_id"].tolist()[:10]
    for pid in people:
        _same(Q.person_profile(lady, pid), Q.person_profile(neo, pid), f"profile {pid}")
        _same(Q.network(lady, pid, depth=2), Q.network(neo, pid, depth=2), f"network {pid}")
        _same(Q.network_groups(lady, pid, depth=2), Q.network_groups(neo, pid, depth=2), f"network_groups {pid}")
