"""Every refused attempt to reach personal data leaves an s.62 record of what was asked for and
why it was refused, by API or CLI, and a question never alters or locks the graph.

- A request refused for its purpose (a value no purpose code is, one naming immigration
  enforcement, none, a reference too long or not a code) or its role is logged with the purpose
  and reference as sent when they are plain codes, else kept out with their length said in the
  detail: a caller can neither write into the log (a line break, a formula) nor bloat it. The
  validation errors FastAPI raises before :class:`api.deps.Audited` runs included; answers 4xx.
- A mapping the immigration firewall refuses, a refused ``DOTS_PURPOSE`` on ``dots ingest`` and a
  refused file are logged (commands whose purpose is optional were logged only when they worked).
- Query commands open the embedded graph read only: its files are not touched, and a query runs
  while the server or a load holds the graph for writing (a second writer is refused its lock).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from tests.extract_fixtures import write_rows  # noqa: E402
from tests.test_immigration_firewall import COUNTY, COUNTY_MAPPING  # noqa: E402
from worlds.api import person_of  # noqa: E402
from worlds.testing import bearer, copy_world, dots, last_record, sample_client  # noqa: E402

LONG = "R" * 65  # one character more than a reference may hold
INJECTION = "=HYPERLINK(\"http://x\")\nseq 9 ok Jane Doe"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with sample_client(tmp_path_factory, "audit_refusals", search_per_minute=0) as (client, data_dir):
        yield client, data_dir


def _columns(record: dict) -> str:
    return "".join(str(record[c]) for c in ("purpose", "reference", "detail"))


@pytest.mark.parametrize(
    ("who", "params", "status", "purpose", "reference", "says"),
    [
        # FastAPI's own validation (before Audited runs): the purpose and reference were lost
        ("analyst_national", {"purpose": "fishing", "reference": "AF-1"}, 400, "fishing", "AF-1",
         "query.purpose: enum"),
        ("analyst_national", {"purpose": "intelligence", "reference": LONG}, 400, "intelligence", None,
         "reference as sent is not a code (65 characters): not kept"),
        ("analyst_national", {"purpose": "immigration_enforcement", "reference": "AF-3"}, 403,
         "immigration_enforcement", "AF-3", "immigration firewall"),
        # refused inside Audited: an unsafe reference must not reach the log's column as sent
        ("analyst_national", {"purpose": "intelligence", "reference": "Jane Doe's visa"}, 400, "intelligence", None,
         "reference as sent is not a code (15 characters): not kept"),
        ("analyst_national", {"purpose": "intelligence"}, 400, "intelligence", None, "purpose code and a case"),
        # refused for the caller's role by the router, before Audited runs
        ("da_team", {"purpose": "tasking", "reference": "AF-6"}, 403, "tasking", "AF-6", "your role may not"),
        # free text, a line break and a formula, sixty thousand characters: kept out, their lengths said
        ("analyst_national", {"purpose": INJECTION, "reference": INJECTION}, 400, None, None,
         f"purpose as sent is not a code ({len(INJECTION)} characters): not kept"),
        ("analyst_national", {"purpose": "x" * 60_000, "reference": "AF-8"}, 400, None, "AF-8",
         "purpose as sent is not a code (60000 characters): not kept"),
    ],
)
def test_a_refused_request_is_logged_with_what_it_asked_for(served, who, params, status, purpose, reference, says):
    client, home = served
    r = client.get("/analyst/serial-perpetrators", headers=bearer(client, who), params=params)
    assert r.status_code == status, r.text
    last = last_record(home)
    assert last["outcome"] == "refused" and last["status"] == status and last["user_name"] == who
    assert last["route"] == "/analyst/serial-perpetrators"
    assert (last["purpose"], last["reference"]) == (purpose, reference)
    assert says in last["detail"], last["detail"]
    logged = _columns(last)
    assert "\n" not in logged and "Jane" not in logged and "HYPERLINK" not in logged and len(last["detail"]) < 600


def test_an_invalid_body_names_its_fields_bounded(served):
    """A validation error's record names the fields, never the values, and a caller's own key
    (an unknown field of a body) is bounded and stripped of what is not a name."""
    client, home = served
    admin = bearer(client, "admin")
    key = "k" * 5000 + "\n="
    r = client.post("/admin/jobs/ingest", headers=admin, params={"purpose": "administration", "reference": "AF-9"},
                    json={"upload_ids": [], key: 1})
    assert r.status_code in (400, 422), r.text
    last = last_record(home)
    assert last["outcome"] == "refused" and (last["purpose"], last["reference"]) == ("administration", "AF-9")
    assert "body.upload_ids: too_short" in last["detail"] and "\n" not in last["detail"]
    assert len(last["detail"]) < 600


# -- the command line ------------------------------------------------------------------------------


def test_a_mapping_the_firewall_refuses_is_logged(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(COUNTY_MAPPING.rstrip() + "\n          source_system: immigration_status\n")
    write_rows(tmp_path / "c.csv", list(COUNTY[0]), COUNTY)
    home = tmp_path / "d"
    r = dots("ingest", str(tmp_path / "c.csv"), "--mapping", str(mapping), home=home)
    assert r.returncode == 1 and "immigration field" in r.stderr
    last = last_record(home)
    assert last["seq"] == 1  # the command's only record
    assert last["outcome"] == "refused" and last["route"] == "dots ingest" and last["role"] == "cli"
    assert last["operation"] == "collection" and "immigration field" in last["detail"]


def test_a_refused_purpose_on_a_command_whose_purpose_is_optional_is_logged(tmp_path):
    write_rows(tmp_path / "c.csv", list(COUNTY[0]), COUNTY)
    home = tmp_path / "d"
    home.mkdir()
    r = dots("ingest", str(tmp_path / "c.csv"), home=home, DOTS_PURPOSE="deportation", DOTS_REFERENCE="AF-10")
    assert r.returncode == 1 and "immigration firewall" in r.stderr
    last = last_record(home)
    assert last["seq"] == 1  # the command's only record
    assert last["outcome"] == "refused" and (last["purpose"], last["reference"]) == ("deportation", "AF-10")


def test_a_refused_file_is_logged_as_refused(tmp_path):
    """A file ingest refuses (no profile reads it) makes the command's record a refusal, not "ok"."""
    (tmp_path / "mystery.csv").write_text("a,b\n1,2\n")
    home = tmp_path / "d"
    r = dots("ingest", str(tmp_path / "mystery.csv"), home=home)
    assert r.returncode == 1 and "refused" in r.stderr
    last = last_record(home)
    assert last["outcome"] == "refused" and last["detail"].startswith("1 of 1 file(s) refused: ")


def test_a_command_line_refusal_cannot_bloat_or_break_the_log(tmp_path):
    home = tmp_path / "d"
    home.mkdir()
    purpose = "check Jane Doe's visa " * 5000
    r = dots("quarantine", home=home, DOTS_PURPOSE=purpose, DOTS_REFERENCE="Jane\nDoe")
    assert r.returncode == 1
    last = last_record(home)
    assert last["outcome"] == "refused" and last["purpose"] is None and last["reference"] is None
    assert len(last["detail"]) <= 1000 and "\n" not in last["detail"]


# -- query commands open the graph read only ---------------------------------------------------------

WHY = ("--purpose", "intelligence", "--reference", "AF-RO")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return copy_world(tmp_path_factory.getbasetemp() / "api_sample_world", tmp_path_factory.mktemp("ro") / "d")


def _queries(home: Path, out: Path) -> list[list[str]]:
    hall = person_of(home, "Northumbria/NOR1")
    return [
        ["serial-perpetrators"], ["cross-force-victims"], ["court-only-orders"],
        ["targets", "--force", "Northumbria", "--as-of", "2024-06-30"],
        ["safeguarding", "bail", "--as-of", "2024-06-30"],
        ["stats", "--force", "Northumbria", "--from", "2024-01-01", "--to", "2024-12-31"],
        ["retention", "review", "--as-of", "2024-06-30"],
        ["export", "network", hall, "--format", "graphml", "--out", str(out / "n.graphml")],
        ["export", "resolution", "--out", str(out / "r.csv")],
    ]


def _files(home: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted((home / "graph").iterdir()) if p.is_file()}


def test_a_query_command_leaves_the_graph_files_untouched(world, tmp_path):
    before = _files(world)
    for args in _queries(world, tmp_path):
        r = dots(*args, *WHY, home=world)
        assert r.returncode == 0, (args, r.stderr)
        assert _files(world) == before, args  # a read-write open checkpoints the file when it closes


def test_a_query_command_runs_while_the_graph_is_held_for_writing(world, tmp_path):
    """As the server (whose loads write through its graph) or a load holds it: a second writer
    is refused the file's lock; a reader is not."""
    from graph.backend import open_graph

    with open_graph(world) as holder:
        assert holder.count("Person") > 0
        for args in _queries(world, tmp_path)[:4]:
            r = dots(*args, *WHY, home=world)
            assert r.returncode == 0, (args, r.stderr)
        refused = dots("graph", "load", home=world)
        assert refused.returncode != 0 and "in use by another process" in refused.stderr


def test_a_read_only_graph_refuses_writes(world):
    from graph.backend import open_graph

    with open_graph(world, read_only=True) as g:
        assert g.count("Person") > 0
        with pytest.raises(Exception, match="(?i)read.only|read-only"):
            g.run("CREATE (:Probe {id: 'x'})")


def test_a_read_only_neo4j_graph_sends_every_statement_as_a_read(monkeypatch, tmp_path):
    """On Neo4j (a stand-in driver): no schema statements, and even a write's text goes in a READ
    transaction, which the server refuses to write in; clearing is refused here."""
    import neo4j

    from graph import backend as B
    from tests.test_graph_backend import _FakeDriver

    drivers: list[_FakeDriver] = []
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda uri, auth=None, **_: drivers.append(
        _FakeDriver(uri, auth)) or drivers[-1])
    g = B.open_graph(tmp_path, uri="neo4j://example.invalid:7687", read_only=True)
    assert drivers[0].log == []  # the schema is not ensured
    g.run("MATCH (p:Person) RETURN count(*) AS n")
    g.run("MATCH (p:Person) SET p.x = 1")
    assert [(kind, routing) for kind, _, routing in drivers[0].log] == [("read", neo4j.RoutingControl.READ)] * 2
    with pytest.raises(B.GraphError, match="read only"):
        g.clear()
    assert not (tmp_path / "graph").exists()  # nor anything made on disk
