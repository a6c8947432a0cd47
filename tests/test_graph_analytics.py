"""Connected groups and betweenness: Graph Data Science on Neo4j and networkx on the embedded
graph give the answers of an independent brute-force oracle (union of pairs; shortest paths
counted by breadth-first search), over random sets of person pairs; and the analysts' network
groups on the sample world."""

from __future__ import annotations

from collections import deque
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import queries as Q
from graph.analytics import betweenness, components

PEOPLE = [f"P{i:02d}" for i in range(14)]


@pytest.fixture()
def people_graph(graph_engine, graph_worlds):
    """A graph holding PEOPLE as Person nodes (GDS projects pairs of existing people)."""
    def load(g) -> None:
        assert g.upsert("Person", [{"person_id": p, "preferred_name": p, "surname": p, "forenames": p,
                                    "dob": None, "sex": "U", "h": 0} for p in PEOPLE]) == len(PEOPLE)

    return graph_worlds.get(graph_engine, "analytics_people", load)


def _groups_oracle(pairs) -> dict[str, str]:
    group = {p: {p} for pair in pairs for p in pair}
    for a, b in pairs:
        if group[a] is not group[b]:
            merged = group[a] | group[b]
            for p in merged:
                group[p] = merged
    return {p: min(g) for p, g in group.items()}


def _bfs(adj: dict[str, set], s: str) -> tuple[dict[str, int], dict[str, int]]:
    dist, paths, todo = {s: 0}, {s: 1}, deque([s])
    while todo:
        u = todo.popleft()
        for w in adj[u]:
            if w not in dist:
                dist[w], paths[w] = dist[u] + 1, 0
                todo.append(w)
            if dist[w] == dist[u] + 1:
                paths[w] += paths[u]
    return dist, paths


def _betweenness_oracle(pairs) -> dict[str, float]:
    """Per person: over pairs s, t of others, the share of shortest s-t paths through them."""
    adj: dict[str, set] = {}
    for a, b in pairs:
        if a != b:
            adj.setdefault(a, set()).add(b)
            adj.setdefault(b, set()).add(a)
    bfs = {p: _bfs(adj, p) for p in adj}
    score = dict.fromkeys(adj, 0.0)
    for s, t in combinations(sorted(adj), 2):
        ds, ps = bfs[s]
        if t not in ds:
            continue
        for v in adj:
            dv, pv = bfs[v]
            if v not in (s, t) and v in ds and t in dv and ds[v] + dv[t] == ds[t]:
                score[v] += ps[v] * pv[t] / ps[t]
    return score


pair_sets = st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=pair_sets)
def test_groups_and_betweenness_equal_the_oracle(people_graph, pairs):
    real = [(a, b) for a, b in pairs if a != b]
    assert components(people_graph, pairs) == _groups_oracle(real)
    got = betweenness(people_graph, pairs)
    want = _betweenness_oracle(real)
    assert got.keys() == want.keys()
    assert all(abs(got[p] - want[p]) < 1e-6 for p in want), (got, want)


def test_the_engine_computes_where_it_should(people_graph, graph_engine):
    """GDS on Neo4j (the server has the plugin), networkx on the embedded graph."""
    assert people_graph.has_gds() == (graph_engine == "neo4j")
    assert components(people_graph, []) == {} and betweenness(people_graph, [("P01", "P01")]) == {}


def test_network_groups_on_the_sample_world(graph_backend, oracle_pairs):
    serial = Q.serial_perpetrators(graph_backend, relationships="any", min_victims=2)
    assert not serial.empty
    for pid in serial["person_id"].head(6):
        edges = Q.network(graph_backend, pid, depth=2)
        got = Q.network_groups(graph_backend, pid, edges=edges)
        people = set(edges["src"]) | set(edges["dst"]) | {pid}
        assert set(got["person_id"]) == people
        linked = set(zip(edges["src"], edges["dst"], strict=True))
        abuse = {(min(s, v), max(s, v)) for s, v in oracle_pairs} & linked
        groups = _groups_oracle(abuse)
        assert dict(zip(got["person_id"], got["group_id"], strict=True)) == {p: groups.get(p, p) for p in people}
        assert got.loc[got["person_id"] == pid, "perpetrator"].item()  # a serial perpetrator's own links
        between = _betweenness_oracle(linked)
        assert all(abs(b - between.get(p, 0.0)) < 1e-6 for p, b in zip(got["person_id"], got["betweenness"],
                                                                         strict=True))
        sizes = got.groupby("group_id")["person_id"].size()
        assert (got["group_size"] == got["group_id"].map(sizes)).all()


@pytest.fixture(scope="module")
def oracle_pairs(graph_staging, graph_world) -> set[tuple[str, str]]:
    """(perpetrator, victim) of every DA event, from the staged tables (not the graph)."""
    from test_graph_queries import Oracle

    o = Oracle(graph_staging, graph_world[2])
    p = o.pairs[o.pairs["da"]]
    return set(zip(p["person_s"], p["person_v"], strict=True))
