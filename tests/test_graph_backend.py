"""Backend selection and the Neo4j transport, checked without a server (a stand-in driver)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from graph import backend as B
from graph import dialect


class _Record(dict):
    pass


class _FakeTx:
    def __init__(self, log):
        self.log = log

    def run(self, cypher, params):
        self.log.append(("write", cypher, params))
        return [_Record(written=len(params.get("rows", [])))]


class _FakeSession:
    def __init__(self, log, kwargs):
        self.log, self.kwargs = log, kwargs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute_write(self, fn, *args):
        self.log.append(("session", self.kwargs))
        return fn(_FakeTx(self.log), *args)


class _FakeDriver:
    def __init__(self, uri, auth):
        self.uri, self.auth, self.log = uri, auth, []
        self.execute_query_bookmark_manager = object()

    def execute_query(self, cypher, params=None, routing_=None, database_=None):
        import neo4j.time

        self.log.append(("read", cypher, routing_))
        return [_Record(d=neo4j.time.Date(2024, 1, 2), n=Decimal("3"))], None, None

    def session(self, **kwargs):
        return _FakeSession(self.log, kwargs)

    def close(self):
        pass


@pytest.fixture()
def fake_neo4j(monkeypatch):
    import neo4j

    drivers = []

    def make(uri, auth=None, **config):
        assert config.get("notifications_min_severity") == "OFF"  # no multi-line notices on stderr
        drivers.append(_FakeDriver(uri, auth))
        return drivers[-1]

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", make)
    return drivers


def test_open_graph_picks_neo4j_from_env_and_creates_constraints_first(fake_neo4j, monkeypatch, tmp_path):
    import neo4j

    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.invalid:7687")
    monkeypatch.setenv("NEO4J_USER", "dots")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret")
    g = B.open_graph(tmp_path)
    assert isinstance(g, B.Neo4jBackend) and g.supports_copy  # CREATE batches into empty labels
    drv = fake_neo4j[0]
    assert drv.auth == ("dots", "secret")
    ddl = [c for kind, c, *_ in drv.log]
    assert ddl == dialect.neo4j_ddl()
    rows = g.run("MATCH (p:Person) RETURN p.dob AS d, count(*) AS n", {})
    assert rows == [{"d": dt.date(2024, 1, 2), "n": 3}]
    assert drv.log[-1][2] == neo4j.RoutingControl.READ
    written = g.upsert("Force", [{"force_code": "E23000013", "name": "Cleveland Police", "h": "x"}])
    assert written == 1
    session_kwargs = [e[1] for e in drv.log if e[0] == "session"][0]
    assert session_kwargs["bookmark_manager"] is drv.execute_query_bookmark_manager
    assert [e for e in drv.log if e[0] == "write"][-1][1] == dialect.upsert_node(B.NODES["Force"])


def test_embedded_is_default(monkeypatch, tmp_path):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with B.open_graph(tmp_path) as g:
        assert isinstance(g, B.LadybugBackend)
        assert (tmp_path / "graph" / "pole.lbdb").exists()
        assert g.is_empty()


def test_dialect_helpers():
    assert dialect.native(Decimal("2")) == 2 and dialect.native(Decimal("2.5")) == 2.5
    assert dialect.window_start(dt.date(2024, 1, 31), 30) == dt.date(2024, 1, 1)
    assert not dialect.nonempty([])
    for name, text in dialect.write_statements().items():
        assert "+=" not in text, name
        assert "$rows" in text or "$keys" in text or "RETURN" in text or name.startswith("clear:"), name


def test_ladybug_subquery_parameter_quirk(tmp_path):
    """The safe subquery form (WHERE inside EXISTS) answers right beside another parameter;
    the inline-map form is the Ladybug 0.22 quirk recorded in graph/dialect.py."""
    with B.open_graph(tmp_path) as g:
        g.run("CREATE (:Person {person_id: 'p1', dob: date('1980-01-01')})")
        g.run("CREATE (:Address {address_id: 'a1', confidential: false})")
        g.run("MATCH (p:Person {person_id: 'p1'}) MATCH (a:Address {address_id: 'a1'}) "
              "CREATE (p)-[:LIVED_AT {rid: 'r'}]->(a)")
        params = {"d": dt.date(2000, 1, 1), "a": "a1"}
        safe = g.run("MATCH (p:Person) WHERE p.dob <= $d AND EXISTS { MATCH (p)-[:LIVED_AT]->(x:Address) "
                     "WHERE x.address_id = $a } RETURN p.person_id AS p", params)
        assert safe == [{"p": "p1"}]
        quirk = g.run("MATCH (p:Person) WHERE p.dob <= $d AND EXISTS { MATCH (p)-[:LIVED_AT]->"
                      "(:Address {address_id: $a}) } RETURN p.person_id AS p", params)
        print("inline-map subquery answer on this Ladybug:", quirk)


def test_compose_file_for_users():
    """compose.yaml: Neo4j 5 with GDS and APOC, data on volumes, the password only from the
    environment, ports on 127.0.0.1 (no engine runs here: the file is checked, not started)."""
    import json
    from pathlib import Path

    import yaml

    doc = yaml.safe_load((Path(__file__).resolve().parents[1] / "compose.yaml").read_text())
    neo = doc["services"]["neo4j"]
    assert neo["image"].startswith("neo4j:5.")
    env = neo["environment"]
    assert env["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD:?")
    assert {"graph-data-science", "apoc"} <= set(json.loads(env["NEO4J_PLUGINS"]))
    assert all(p.startswith("127.0.0.1:") for p in neo["ports"])
    mounts = {v.split(":")[1] for v in neo["volumes"]}
    assert {"/data", "/logs", "/plugins"} <= mounts and set(doc["volumes"]) >= {v.split(":")[0] for v in neo["volumes"]}
    assert "gds.*" in env["NEO4J_dbms_security_procedures_unrestricted"]
