"""Graph algorithms over sets of person pairs: connected groups (weakly connected components) and
betweenness centrality. On Neo4j with Graph Data Science the server computes them (``gds.wcc``,
``gds.betweenness`` over a projection of the pairs); elsewhere networkx does, on the same pairs.
The answers are the same (tests/test_graph_analytics.py): groups are named by their smallest
member's id on both, and betweenness is the unnormalised count of shortest paths through a
person, each pair of endpoints once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import networkx as nx

from graph import dialect
from graph.backend import GraphBackend

DIGITS = 9  # betweenness rounded: the engines sum path fractions in different orders


def _pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Undirected pairs once each, no self-pairs (GDS would count a repeated pair as two links)."""
    return sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})


def components(g: GraphBackend, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each person of ``pairs`` -> the id of its connected group (the group's smallest person id)."""
    pairs = _pairs(pairs)
    if not pairs:
        return {}
    if g.has_gds():
        raw = {r["person_id"]: r["value"] for r in _gds(g, "wcc", pairs)}
        smallest: dict[int, str] = {}
        for pid, comp in raw.items():
            smallest[comp] = min(smallest.get(comp, pid), pid)
        return {pid: smallest[comp] for pid, comp in raw.items()}
    graph = nx.Graph(pairs)
    return {pid: min(group) for group in nx.connected_components(graph) for pid in group}


def betweenness(g: GraphBackend, pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Each person of ``pairs`` -> how many shortest paths between two others run through them."""
    pairs = _pairs(pairs)
    if not pairs:
        return {}
    if g.has_gds():
        scores = {r["person_id"]: float(r["value"]) for r in _gds(g, "betweenness", pairs)}
    else:
        scores = nx.betweenness_centrality(nx.Graph(pairs), normalized=False)
    return {pid: round(score, DIGITS) + 0.0 for pid, score in scores.items()}


def _gds(g: GraphBackend, algorithm: str, pairs: list[tuple[str, str]]) -> list[dict]:
    """Project, stream and drop in one statement; a projection left by a failure is dropped."""
    name = f"dots-{algorithm}-{uuid.uuid4().hex}"
    params = {"pairs": [{"a": a, "b": b} for a, b in pairs], "graph": name, "projection": dialect.GDS_PROJECTION}
    try:
        return g.run(dialect.gds_stream(algorithm), params)
    except Exception:
        try:
            g.run(dialect.GDS_DROP, {"graph": name})
        except Exception:  # the first error is the one to report
            pass
        raise
