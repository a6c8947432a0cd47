"""Shared fixtures. Graph fixtures are named graph_* (owned by the graph layer).

Every graph test runs on both engines: the embedded LadybugDB and a real Neo4j. The Neo4j is
``NEO4J_URI`` when set (a scratch database: tests empty it), else a local Neo4j 5 Community
server started once for the session by ``tools/neo4j_local.py`` and stopped at its end.
``DOTS_NEO4J`` says what happens when none can run: ``auto`` (default) reports each Neo4j case as
skipped with the reason, ``require`` (``make test``, so CI) fails them, ``off`` skips them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings

# Speed is measured by benchmarks, never by timed tests: Hypothesis's per-example deadline fails
# property tests at random on a shared 2-core machine (a first call slowed by other jobs' load).
settings.register_profile("dots", deadline=None)
settings.load_profile("dots")

# The test suite is a demonstration: its servers keep the audit key and checkpoint in their data
# directories, which a production server refuses (api.config.check_key_placement). Said explicitly.
os.environ["DOTS_DEMO"] = "1"

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tools/ (the local Neo4j) is not an installed package
    sys.path.insert(0, str(ROOT))

GRAPH_PEOPLE = 1500  # small: the whole graph suite stays within seconds on 2 cores
ENGINES = ["ladybug", "neo4j"]
# A production-like cap on one transaction's memory (graph/NEO4J.md): the loader's batches must fit.
NEO4J_SETTINGS = {"db.memory.transaction.max": "64m"}


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
def graph_synth_data(tmp_path_factory):
    """The synthetic extracts ingested by the loaders, with truth entities."""
    from loaders.ingest import ingest_paths
    from synth.generate import generate

    root = tmp_path_factory.mktemp("graph_synth")
    out, data_dir = root / "extracts", root / "data"
    generate(out, 1500, 17)
    paths = [p for p in sorted(out.iterdir()) if p.name != "truth"]
    ingest_paths(paths, data_dir)
    truth = out / "truth"
    persons = pd.read_csv(truth / "persons.csv", dtype=str)
    entities = persons.rename(columns={"true_person_id": "person_id"}).assign(
        confidence=1.0, decided_by="truth", model_version="truth")
    return data_dir, truth, entities


@pytest.fixture(scope="session")
def graph_staging(graph_world) -> dict[str, pd.DataFrame]:
    """The staged tables of the world, read back through the staging store."""
    from staging.store import StagingStore

    data_dir, _, _ = graph_world
    store = StagingStore(data_dir)
    return {t: store.read(t) for t in ("person_records", "events", "involvements", "orders", "addresses")}


# -- the Neo4j server and its one user database ------------------------------------------------------


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Where the Neo4j cases run: ``NEO4J_URI`` or a local real server for this session.

    Yields NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, also put in the environment for the session
    (an app under test opens Neo4j with them) except NEO4J_URI, which would turn every embedded
    case into a Neo4j one."""
    mode = os.environ.get("DOTS_NEO4J", "auto")
    if mode == "off":
        pytest.skip("Neo4j cases switched off (DOTS_NEO4J=off)")
    server = None
    if os.environ.get("NEO4J_URI"):
        env = {"NEO4J_URI": os.environ["NEO4J_URI"], "NEO4J_USER": os.environ.get("NEO4J_USER", "neo4j"),
               "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", "")}
    else:
        from tools.neo4j_local import Neo4jUnavailable, start

        try:
            server = start(tmp_path_factory.mktemp("neo4j"), heap=os.environ.get("NEO4J_HEAP", "1g"),
                           pagecache=os.environ.get("NEO4J_PAGECACHE", "256m"), settings=NEO4J_SETTINGS)
        except Neo4jUnavailable as exc:
            if mode == "require":
                pytest.fail(f"no Neo4j for the Neo4j cases (DOTS_NEO4J=require): {exc}", pytrace=False)
            pytest.skip(f"no Neo4j here: {exc}")
        env = server.env()
        print(f"\nNeo4j for this session: {env['NEO4J_URI']} (pid {server.pid}, {server.home})")
    saved = {k: os.environ.get(k) for k in ("NEO4J_USER", "NEO4J_PASSWORD")}
    os.environ.update({k: env[k] for k in saved})
    yield env
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    if server is not None:
        from tools.neo4j_local import stop

        stop(server.home)


def _embedded(data_dir: Path) -> Any:
    """An embedded graph in ``data_dir``, whatever NEO4J_URI says: ``open_graph`` would make it a
    Neo4j one when NEO4J_URI is set, and every "ladybug" case would compare Neo4j with itself."""
    from graph.backend import LadybugBackend

    g = LadybugBackend(data_dir / "graph" / "pole.lbdb")
    g.ensure_schema()
    return g


class GraphWorlds:
    """Named test worlds loaded into each engine on demand.

    Embedded: one database per world, loaded once and kept. Neo4j Community has one user
    database: it holds one world at a time, and asking for another empties it and loads that
    one (tests of one module ask for the same world, so this reloads only between modules)."""

    def __init__(self, tmp: pytest.TempPathFactory, request: pytest.FixtureRequest):
        self._tmp, self._request = tmp, request
        self._embedded: dict[str, Any] = {}
        self._neo4j: Any = None
        self.neo4j_holds: str | None = None
        self.neo4j_uri = ""

    def neo4j(self) -> Any:
        """The session's Neo4j backend (skips or fails the case when there is no server)."""
        if self._neo4j is None:
            from graph.backend import open_graph

            env = self._request.getfixturevalue("neo4j_server")
            self.neo4j_uri = env["NEO4J_URI"]
            self._neo4j = open_graph(self._tmp.getbasetemp(), uri=env["NEO4J_URI"], user=env["NEO4J_USER"],
                                     password=env["NEO4J_PASSWORD"])
        return self._neo4j

    def get(self, engine: str, name: str, load: Callable[[Any], Any]) -> Any:
        """The graph of world ``name`` on ``engine``; ``load(graph)`` fills an empty graph."""
        if engine == "ladybug":
            if name not in self._embedded:
                g = _embedded(self._tmp.mktemp(f"graph_{name}"))
                load(g)
                self._embedded[name] = g
            return self._embedded[name]
        g = self.neo4j()
        if self.neo4j_holds != name:
            self.neo4j_holds = None
            g.clear()
            load(g)
            self.neo4j_holds = name
        return g

    def scratch(self, engine: str) -> Any:
        """An empty graph a test may write as it likes (Neo4j: the emptied database; the caller
        must not close it)."""
        if engine == "ladybug":
            return _embedded(self._tmp.mktemp("graph_scratch"))
        g = self.neo4j()
        self.neo4j_holds = None
        g.clear()
        return g

    def close(self) -> None:
        for g in self._embedded.values():
            g.close()
        if self._neo4j is not None:
            self._neo4j.close()


@pytest.fixture(scope="session")
def graph_worlds(tmp_path_factory, request) -> Iterator[GraphWorlds]:
    worlds = GraphWorlds(tmp_path_factory, request)
    yield worlds
    worlds.close()


@pytest.fixture(params=ENGINES)
def graph_engine(request, graph_worlds) -> str:
    """Each graph case once per engine; a Neo4j case without a server is skipped with the reason."""
    if request.param == "neo4j":
        graph_worlds.neo4j()
    return request.param


@pytest.fixture()
def graph_backend(graph_engine, graph_world, graph_worlds):
    """The world of ``graph_world`` loaded into the engine of this case."""
    data_dir, _, entities = graph_world
    return graph_worlds.get(graph_engine, "graph_world", _loader(data_dir, entities))


@pytest.fixture()
def graph_synth(graph_engine, graph_synth_data, graph_worlds):
    """The synthetic extracts of ``graph_synth_data`` loaded into the engine of this case."""
    data_dir, _, entities = graph_synth_data
    return graph_worlds.get(graph_engine, "graph_synth", _loader(data_dir, entities))


def _loader(data_dir: Path, entities: pd.DataFrame) -> Callable[[Any], None]:
    """What fills an empty graph with a staged world and its entities (GraphWorlds.get's ``load``)."""
    from graph.load import load_graph

    def load(g: Any) -> None:
        assert load_graph(data_dir, g, entities=entities)["verified"]

    return load


@pytest.fixture()
def graph_scratch(graph_engine, graph_worlds) -> Iterator[Callable[[], Any]]:
    """``graph_scratch()`` is an empty graph of this case's engine. On Neo4j each call empties the
    one database again: read what you need from one graph before asking for the next."""
    made: list[Any] = []

    def make() -> Any:
        g = graph_worlds.scratch(graph_engine)
        if graph_engine == "ladybug":
            made.append(g)
        return g

    yield make
    for g in made:
        g.close()


# -- what ran on Neo4j, in the summary CI prints -----------------------------------------------------
_ENGINE_OUTCOMES: dict[str, dict[str, int]] = {engine: {} for engine in ENGINES}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each graph case's outcome by engine (its parameter id names the engine)."""
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for engine in ENGINES:
            if f"[{engine}" in report.nodeid or f"-{engine}]" in report.nodeid or f"-{engine}-" in report.nodeid:
                counts = _ENGINE_OUTCOMES[engine]
                counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per engine, so a CI log shows that the graph suite ran on the real Neo4j."""
    for engine, counts in _ENGINE_OUTCOMES.items():
        if counts:
            said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            terminalreporter.write_line(f"graph cases on {engine}: {said}")
