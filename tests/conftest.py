"""Shared fixtures. Graph fixtures are named graph_* (owned by the graph layer)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

# The test suite is a demonstration: its servers keep the audit key and checkpoint in their data
# directories, which a production server refuses (api.config.check_key_placement). Said explicitly.
os.environ["DOTS_DEMO"] = "1"

GRAPH_PEOPLE = 1500  # small: the whole graph suite stays within seconds on 2 cores


@pytest.fixture(scope="session")
def graph_world(tmp_path_factory: pytest.TempPathFactory):
    """A synthetic world staged in a fresh data dir, with truth-based entities (so queries are
    scored independently of linkage quality)."""
    from worlds.graph import generate

    data_dir = tmp_path_factory.mktemp("graph_world")
    world = generate(data_dir, people=GRAPH_PEOPLE, seed=11)
    entities = world.persons.rename(columns={"true_person_id": "person_id"}).assign(
        confidence=1.0, decided_by="truth", model_version="truth")
    return data_dir, world, entities


@pytest.fixture(scope="session")
def graph_staging(graph_world) -> dict[str, pd.DataFrame]:
    """The staged tables of the world, read back through the staging store."""
    from staging.store import StagingStore

    data_dir, _, _ = graph_world
    store = StagingStore(data_dir)
    return {t: store.read(t) for t in ("person_records", "events", "involvements", "orders", "addresses")}


# The embedded backend always; Neo4j as well when NEO4J_URI names a server to test against.
BACKENDS = ["ladybug", "neo4j"] if os.environ.get("NEO4J_URI") else ["ladybug"]


@pytest.fixture(scope="session", params=BACKENDS)
def graph_backend(request, graph_world, tmp_path_factory):
    """The world loaded into each backend: embedded always, Neo4j when NEO4J_URI is set.

    Neo4j: point NEO4J_URI at a scratch database; the load makes it hold exactly this world."""
    from graph.backend import open_graph
    from graph.load import load_graph

    data_dir, _, entities = graph_world
    if request.param == "neo4j":
        g = open_graph(data_dir, uri=os.environ["NEO4J_URI"])
    else:
        g = open_graph(tmp_path_factory.mktemp("graph_ladybug"))
    summary = load_graph(data_dir, g, entities=entities)
    assert summary["verified"]
    yield g
    g.close()
