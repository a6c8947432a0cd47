"""The command-line contract of shared/spec/cli.md, driven as an outside check would drive it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from worlds.testing import cli_world, last_record
from worlds.testing import dots as run_dots

ROOT = Path(__file__).resolve().parents[1]


# an analyst's reads (the purpose and reference each is logged with, s.62) that must succeed unless
# a test says check=False or gives another purpose
dots = partial(run_dots, check=True, DOTS_PURPOSE="intelligence", DOTS_REFERENCE="TEST-1")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, Path]:
    """Synthetic extracts taken through ingest, resolve and graph load by the command line."""
    return cli_world(tmp_path_factory.mktemp("cli"), 1500, 3, dots)


def test_ingest_again_reports_the_file_and_loses_no_row(world) -> None:
    home, extracts = world
    out = dots("ingest", str(extracts / "northumbria-rms.csv"), "--json", home=home)
    [entry] = json.loads(out.stdout)["files"]
    assert {"path", "profile", "rows_read", "loaded", "quarantined"} <= set(entry)
    assert entry["profile"] == "rms-flat" and entry["status"] == "already loaded"
    assert entry["rows_read"] == entry["loaded"] + entry["quarantined"] > 0


def test_quarantine_lists_file_line_field_and_reason(world) -> None:
    home, extracts = world
    rows = json.loads(dots("quarantine", "--json", home=home).stdout)["rows"]
    truth = pd.read_csv(extracts / "truth" / "bad_rows.csv", dtype=str)
    assert len(rows) >= len(truth) > 0
    got = {(Path(r["source_file"]).name, int(r["source_line"])) for r in rows}
    expected = {(Path(f).name, int(line)) for f, line in zip(truth["file"], truth["line"], strict=True)}
    assert expected <= got
    assert all(r["reason"] for r in rows)


def test_export_resolution_covers_every_person_record(world, tmp_path) -> None:
    home, extracts = world
    out = tmp_path / "resolution.csv"
    dots("export", "resolution", "--out", str(out), home=home)
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns[:2]) == ["record_key", "person_id"]
    truth = pd.read_csv(extracts / "truth" / "persons.csv", dtype=str)
    assert set(truth["record_key"]) <= set(frame["record_key"])
    assert frame["record_key"].is_unique and frame["person_id"].notna().all()


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("orders", ["record_key", "order_id"]),
        ("events", ["record_key", "event_id"]),
        ("breaches", ["event_record_key", "order_record_key"]),
    ],
)
def test_export_entity_tables(world, tmp_path, table: str, columns: list[str]) -> None:
    home, extracts = world
    out = tmp_path / f"{table}.csv"
    dots("export", table, "--out", str(out), home=home)
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns[: len(columns)]) == columns
    assert len(frame) > 0
    if table == "orders":
        truth = pd.read_csv(extracts / "truth" / "orders.csv", dtype=str)
        assert set(truth["record_key"]) == set(frame["record_key"])


def test_graph_load_is_idempotent(world) -> None:
    home, _ = world
    summary = json.loads(dots("graph", "load", "--json", home=home).stdout)
    assert summary["verified"]
    created = sum(v.get("created", 0) for v in summary.values() if isinstance(v, dict))
    assert created == 0


def test_serial_perpetrators_and_cross_force_victims(world, tmp_path) -> None:
    home, _ = world
    out = tmp_path / "serial.csv"
    dots("serial-perpetrators", "--min-victims", "2", "--relationships", "intimate", "--out", str(out), home=home)
    serial = pd.read_csv(out, dtype=str)
    assert {"person_id", "victims", "forces"} <= set(serial.columns) and len(serial) > 0
    assert (serial["victims"].astype(int) >= 2).all()
    three = tmp_path / "serial3.csv"
    dots("serial-perpetrators", "--min-victims", "3", "--out", str(three), home=home)
    assert set(pd.read_csv(three, dtype=str)["person_id"]) < set(serial["person_id"])
    cross = tmp_path / "cross.csv"
    dots("cross-force-victims", "--out", str(cross), home=home)
    frame = pd.read_csv(cross, dtype=str)
    assert {"perpetrator_id", "victim_id", "force"} <= set(frame.columns) and len(frame) > 0
    assert (frame.groupby("perpetrator_id")["force"].nunique() >= 2).all()


def test_targets_for_a_force(world, tmp_path) -> None:
    home, _ = world
    out = tmp_path / "targets.csv"
    dots("targets", "--force", "Northumbria", "--as-of", "2025-06-30", "--out", str(out), home=home)
    frame = pd.read_csv(out)
    assert list(frame.columns[:7]) == ["rank", "person_id", "score", "recency", "frequency", "gravity", "victims"]
    assert len(frame) > 0 and frame["score"].is_monotonic_decreasing
    bad = dots("targets", "--force", "Atlantis", "--out", str(out), home=home, check=False)
    assert bad.returncode != 0 and bad.stderr.strip()


def test_disclose_search_finds_a_known_person(world) -> None:
    home, _ = world
    golden = pd.read_parquet(home / "linkage" / "golden.parquet")
    person = golden[golden["dob"].notna()].iloc[0]
    name = f"{str(person['forenames']).split()[0]} {person['surname']}"
    dob = pd.Timestamp(person["dob"]).date().isoformat()
    out = json.loads(dots("disclose", "search", "--name", name, "--dob", dob, "--json", home=home).stdout)
    candidates = out["candidates"]
    assert candidates and candidates[0]["person_id"] == person["person_id"]
    assert "match_key" in candidates[0]


def test_user_add_and_audit_verify(world) -> None:
    home, _ = world
    created = json.loads(
        dots(
            "user",
            "add",
            "admin1",
            "--role",
            "admin",
            "--national",
            "--password-stdin",
            home=home,
            stdin="a long enough passphrase\n",
        ).stdout
    )
    assert created
    bad = dots("user", "add", "x", "--role", "emperor", home=home, check=False)
    assert bad.returncode != 0
    assert dots("audit", "verify", home=home).returncode == 0


def test_errors_are_one_line_and_non_zero(tmp_path) -> None:
    proc = dots("ingest", str(tmp_path / "missing.csv"), home=tmp_path / "h", check=False)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1 and "no such file" in proc.stderr


def test_graph_addresses_are_the_matched_address_entities(world) -> None:
    """Several spellings of one place become one Address node; a withheld address is never shared."""
    from graph.backend import open_graph
    from linkage.store import LinkageStore

    home, _ = world
    matched = LinkageStore(home).addresses()
    open_ = matched[~matched["confidential"].astype(bool)]
    spellings = open_.groupby("address_id")["address_raw"].nunique()
    place = spellings[spellings > 1].index[0]
    with open_graph(home) as g:
        nodes = g.run("MATCH (a:Address) WHERE a.address_id = $id RETURN a.address_id AS id", {"id": place})
        residents = g.run("MATCH (p:Person)-[:LIVED_AT]->(a:Address) WHERE a.address_id = $id "
                          "RETURN count(DISTINCT p) AS n", {"id": place})
        shared = g.run("MATCH (p:Person)-[:LIVED_AT]->(a:Address) WHERE a.confidential = true "
                       "AND (a.address IS NULL OR a.address = '') "
                       "WITH a, count(DISTINCT p) AS n WHERE n > 1 RETURN count(a) AS shared")
    assert len(nodes) == 1 and residents[0]["n"] >= 1
    # a withheld address (no text kept) is its record's own node; a real place made confidential
    # because a resident's address is withheld elsewhere (linkage.confidential) stays one place,
    # confidential for everyone recorded at it
    assert shared[0]["shared"] == 0


def test_graph_commands_on_neo4j_answer_as_the_embedded_graph(world, tmp_path, graph_worlds, neo4j_server) -> None:
    """`--graph bolt://…` (credentials from NEO4J_USER/NEO4J_PASSWORD): the load is idempotent and the
    CSVs equal the embedded graph's byte for byte (skipped with the reason without a Neo4j)."""
    graph_worlds.neo4j()
    graph_worlds.scratch("neo4j")  # the command's load makes the one database hold this world
    home, _ = world
    uri = ["--graph", graph_worlds.neo4j_uri]
    creds = {k: neo4j_server[k] for k in ("NEO4J_USER", "NEO4J_PASSWORD")}
    first = json.loads(dots("graph", "load", "--json", *uri, home=home, env=creds).stdout)
    assert first["verified"] and first["backend"] == "neo4j"
    again = json.loads(dots("graph", "load", "--json", *uri, home=home, env=creds).stdout)
    assert sum(v.get("created", 0) + v.get("updated", 0) for v in again["nodes"].values()) == 0
    for args in (["serial-perpetrators", "--min-victims", "2"], ["cross-force-victims"],
                 ["targets", "--force", "Northumbria", "--as-of", "2025-06-30"]):
        embedded, neo4j = tmp_path / "embedded.csv", tmp_path / "neo4j.csv"
        dots(*args, "--out", str(embedded), home=home)
        dots(*args, "--out", str(neo4j), *uri, home=home, env=creds)
        assert embedded.read_bytes() == neo4j.read_bytes() and len(embedded.read_bytes()) > 100, args


# -- s.62: the command line's reads are logged in the API's chain ---------------------------------
def checkpoint_seq(home: Path) -> int:
    slots = [json.loads(chunk) for chunk in (home / "state" / "audit.checkpoint").read_text().split("\n")
             if chunk.strip()]
    return max(s["seq"] for s in slots)


def test_personal_data_commands_are_logged_with_the_people_they_name(world, tmp_path) -> None:
    import pwd

    home, _ = world
    me = f"os:{pwd.getpwuid(os.getuid()).pw_name}"
    env_user = {"USER": "mallory", "LOGNAME": "mallory"}  # anyone can set these: the uid decides
    serial, targets = tmp_path / "s.csv", tmp_path / "t.csv"
    golden = pd.read_parquet(home / "linkage" / "golden.parquet")
    person = golden[golden["dob"].notna()].iloc[3]
    name = f"{str(person['forenames']).split()[0]} {person['surname']}"

    def ids(frame: pd.DataFrame, *cols: str) -> set[str]:
        return {p for c in cols for v in frame[c].dropna() for p in str(v).split(";") if p}

    cases = [
        (["serial-perpetrators", "--out", str(serial)], lambda _: ids(pd.read_csv(serial, dtype=str),
                                                                       "person_id", "victim_ids")),
        (["cross-force-victims", "--json"], lambda out: {p for r in json.loads(out)["rows"]
                                                          for p in (r["perpetrator_id"], r["victim_id"])}),
        (["targets", "--force", "Northumbria", "--as-of", "2025-06-30", "--out", str(targets)],
         lambda _: ids(pd.read_csv(targets, dtype=str), "person_id")),
        (["disclose", "search", "--name", name, "--json"],
         lambda out: {c["person_id"] for c in json.loads(out)["candidates"]}),
        (["export", "resolution", "--out", str(tmp_path / "r.csv")],
         lambda _: ids(pd.read_csv(tmp_path / "r.csv", dtype=str), "person_id")),
        (["quarantine", "--json"], lambda _: set()),
    ]
    for argv, named in cases:
        before = checkpoint_seq(home)
        env = {**env_user, "DOTS_PURPOSE": "investigation", "DOTS_REFERENCE": "NO/0003714/19"}
        proc = dots(*argv, home=home, check=False, env=env)
        assert proc.returncode == 0, (argv, proc.stderr)
        rec = last_record(home)
        assert rec["user_name"] == me and rec["role"] == "cli" and rec["method"] == "CLI", argv
        assert (rec["operation"], rec["purpose"], rec["reference"]) == ("consultation", "investigation",
                                                                        "NO/0003714/19")
        assert rec["outcome"] == "ok" and rec["route"] == "dots " + " ".join(argv[:2 if argv[0] in
                                                                             ("disclose", "export") else 1])
        assert rec["person_ids"] == named(proc.stdout), argv
        assert checkpoint_seq(home) == rec["seq"] > before, argv  # the signed checkpoint moved with the log
    assert len(last_record(home)["person_ids"]) == 0
    assert dots("audit", "verify", home=home).stdout.strip() == "audit log intact"


def test_a_refused_read_is_logged_and_releases_nothing(world, tmp_path) -> None:
    home, _ = world
    out = tmp_path / "t.csv"
    proc = dots("targets", "--force", "Northumbria", "--out", str(out), home=home, check=False,
                env={"DOTS_PURPOSE": "", "DOTS_REFERENCE": ""})
    assert proc.returncode == 1 and not out.exists() and len(proc.stderr.splitlines()) == 1
    rec = last_record(home)
    assert (rec["route"], rec["outcome"], rec["person_ids"]) == ("dots targets", "refused", set())
    assert dots("audit", "verify", home=home).returncode == 0


def test_output_cut_short_by_a_closed_pipe_is_quiet(world) -> None:
    home, _ = world
    env = {**os.environ, "DOTS_HOME": str(home), "DOTS_PURPOSE": "intelligence", "DOTS_REFERENCE": "T-1"}
    proc = subprocess.run(f"{sys.executable} -m dots.cli export resolution --out /dev/stdout | head -c 10",
                          shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert len(proc.stdout.encode()) == 10 and "Traceback" not in proc.stderr and "Error" not in proc.stderr


# -- one definition in API, CLI and export (issue 15.3 and 15.4) -----------------------------------
def api_items(home: Path, path: str, **filters: str) -> list[dict]:
    """Every item of a paged API list, asked by a national analyst with a purpose and reference."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    dots("user", "add", "analyst.national", "--role", "analyst", "--national", "--password-stdin", home=home,
         stdin="a long enough passphrase\n", check=False)  # created once per world
    items: list[dict] = []
    with TestClient(create_app(home)) as client:
        token = client.post("/auth/token", data={"username": "analyst.national",
                                                 "password": "a long enough passphrase"}).json()["access_token"]
        params = {"purpose": "intelligence", "reference": "TEST-1", "limit": 500, "offset": 0, **filters}
        while True:
            page = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            if not page.json()["next"]:
                return items
            params["offset"] += 500


def test_court_only_orders_agree_in_api_cli_and_export(world, tmp_path) -> None:
    home, _ = world
    export, listed, known = tmp_path / "orders.csv", tmp_path / "court.csv", tmp_path / "known.csv"
    dots("export", "orders", "--out", str(export), home=home)
    dots("court-only-orders", "--out", str(listed), home=home)
    dots("court-only-orders", "--known-people-only", "--out", str(known), home=home)
    orders = pd.read_csv(export, dtype=str)
    flagged = set(orders.loc[orders["court_only"] == "True", "order_id"])
    cli = pd.read_csv(listed, dtype=str)
    assert cli["order_id"].is_unique and 0 < len(cli) < orders["order_id"].nunique()  # each order once
    assert set(cli["order_id"]) == flagged
    api = api_items(home, "/analyst/orders/court-only")
    assert sorted(i["order_id"] for i in api) == sorted(cli["order_id"])
    # the actionable split: police records know the respondent or the protected person
    by_order = orders.drop_duplicates("order_id").set_index("order_id")
    told = {o for o in flagged if by_order.loc[o, "respondent_in_police_data"] == "True"
            or by_order.loc[o, "protected_in_police_data"] == "True"}
    assert set(pd.read_csv(known, dtype=str)["order_id"]) == told
    api_known = api_items(home, "/analyst/orders/court-only", known_people_only="true")
    assert {i["order_id"] for i in api_known} == told


def test_cross_force_victims_agree_in_api_and_cli(world, tmp_path) -> None:
    home, _ = world
    out = tmp_path / "cross.csv"
    dots("cross-force-victims", "--out", str(out), home=home)
    cli = pd.read_csv(out, dtype=str)
    assert (cli.groupby("perpetrator_id")["victim_id"].nunique() >= 2).all()
    api = api_items(home, "/analyst/cross-force-victims")
    rows = {(i["perpetrator_id"], v["victim_id"], v["force_code"]) for i in api for v in i["victims"]}
    assert rows == set(zip(cli["perpetrator_id"], cli["victim_id"], cli["force"], strict=True)) and rows
