"""The professional-standards wall on the command line.

The command line runs as an operator with national scope (dots.access), never as professional
standards: what it prints or writes must wall what the API walls for a national account of any
other role. Over worlds.ppda's world (a serving officer as DA suspect in his own force, with a
court order against him at his home and a lodger there; a member of another force's staff as
victim) plus a breach of that order by the officer, every personal-data command is run in every
output form, with the graph loaded and, for the linkage exports, before any graph is: no walled
person's name, date of birth, home, incident or order (by id, record key or text) leaves; a walled
row is a stub naming who holds it, so row counts stay; what is not walled leaves as it did.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from worlds.api import FLAT, _row, person_of
from worlds.ppda import FENWICK, MARSH, MEMBERSHIP_STRINGS, ORDER_CASE, WALLED_STRINGS, build, write_csv
from worlds.testing import dots, found

AS_OF = "2024-06-30"
BREACH = "NO/0000095/24"  # the officer at the protected person's door while the order runs
HOME = ("Larch Close", "LARCH CLOSE", "NE46 3XX")
# who is walled and how: the officer (suspect, Northumbria), the staff member (victim, Durham)
WALLED = {
    "suspect": WALLED_STRINGS["fenwick"] + (ORDER_CASE, BREACH),
    "victim in another force": WALLED_STRINGS["claire"],
}


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    """``dots ARGS`` on the graph this process built the world in (worlds.testing.dots, same_graph)."""
    return dots(*args, home=home, same_graph=True, DOTS_PURPOSE="intelligence", DOTS_REFERENCE="WALL-1",
                DOTS_DEMO="1")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    import pipeline

    home = tmp_path_factory.mktemp("cli_wall")
    build(home, household=True, order=True)
    breach = [_row("Northumbria", BREACH, "10/05/2024 21:00", "105/1", "Common assault", "SUSPECT", "NOR95",
                   {**FENWICK, "pnc_id": "not a PNC"}),  # a value set aside: a warning on a walled record
              _row("Northumbria", BREACH, "10/05/2024 21:00", "105/1", "Common assault", "VICTIM", "NOR96", MARSH,
                   "Ex-partner", "HIGH")]
    pipeline.run(home, [write_csv(home / "extracts" / "ppda-breach.csv", FLAT, breach)])
    return home


@pytest.fixture(scope="module")
def ids(world) -> dict[str, str]:
    """The walled people's ids and the ids of what they are party to (from the graph)."""
    from api.policy import wall
    from graph.backend import open_graph

    with open_graph(world) as g:
        hidden = wall.hidden_for(wall.current_wall(world, g), None, wall.Hidden())
    assert hidden.events and hidden.orders and hidden.addresses  # the world has what this module is about
    return {i: i for i in hidden.ids if "/" not in i}


@pytest.fixture(scope="module", params=["graph", "no graph"])
def home(request, world, tmp_path_factory) -> Path:
    """The world, and a copy of it before ``dots graph load`` (the linkage exports run there too)."""
    if request.param == "graph":
        return world
    copy = tmp_path_factory.mktemp("cli_wall_nograph") / "home"
    shutil.copytree(world, copy, ignore=shutil.ignore_patterns("graph", "state"))
    return copy


def unwalled(home: Path, table: str) -> list[dict[str, str]]:
    """The export as the linkage writes it (no wall): what the file must still hold row for row."""
    from linkage.entities.export import export_table

    frame = export_table(home, table).astype(object)
    return [{k: "" if v is None or v != v else str(v) for k, v in r.items()} for r in frame.to_dict("records")]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# -- dots export orders|events|breaches|addresses -----------------------------------------------------


@pytest.mark.parametrize("table", ["orders", "events", "breaches"])
def test_a_linkage_export_stubs_walled_incidents_and_orders(home, ids, table, tmp_path):
    out = tmp_path / f"{table}.csv"
    proc = run("export", table, "--out", str(out), home=home)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8-sig")
    for who, strings in WALLED.items():
        assert found(strings + MEMBERSHIP_STRINGS, text) == [], who
    assert found(tuple(ids), text) == []
    rows, before = read_csv(out), unwalled(home, table)
    assert len(rows) == len(before)  # a walled row is a stub, not dropped: one row per record still
    stubs = [r for r in rows if r[next(iter(r))].startswith("restricted: held by")]
    assert stubs and all(set(list(r.values())[1:]) == {""} for r in stubs), rows
    assert any("Northumbria Police, professional standards" in r[next(iter(r))] for r in stubs)
    required = list(rows[0])[:2]
    kept = [tuple(r[c] for c in required) for r in rows if r not in stubs]
    walled = tuple(ids) + WALLED["suspect"] + WALLED["victim in another force"]
    assert kept == [tuple(r[c] for c in required) for r in before if not found(walled, json.dumps(r))]


def test_export_addresses_gives_a_walled_home_as_its_id_only(home, ids, tmp_path):
    """The lodger's row at the officer's home leaves exactly as a confidential address does: an AX
    id of its own record, no text, ``confidential`` set; the walled people's own rows are stubs."""
    out = tmp_path / "addresses.csv"
    proc = run("export", "addresses", "--out", str(out), home=home)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert found(HOME + ("Beech Terrace", "DH8 5QQ") + MEMBERSHIP_STRINGS, text) == []
    assert found(tuple(ids), text) == []
    rows, before = read_csv(out), unwalled(home, "addresses")
    assert len(rows) == len(before)
    lodger = [r for r in rows if r["record_key"] == "Northumbria/NOR92"]
    assert len(lodger) == 1 and lodger[0]["address_id"].startswith("AX") and lodger[0]["confidential"] == "True"
    text_columns = ("address_raw", "street", "town", "postcode", "building_number")
    assert all(lodger[0][c] == "" for c in text_columns)
    # a walled home cannot be told from a confidential address: every confidential row is shaped alike
    for r in rows:
        if r["confidential"] == "True":
            assert r["address_id"].startswith("AX") and all(r[c] == "" for c in text_columns), r
    stubbed = {r["record_key"] for r in rows if r["record_key"].startswith("restricted: held by")}
    assert stubbed
    # every other address row leaves as the linkage wrote it (both court records of the walled order
    # are stubs: the protected party's is not walled for her sake, but its key names the case)
    others = [r for r in before if r["record_key"] not in {"Northumbria/NOR92", "Northumbria/NOR90",
                                                            "Northumbria/NOR95", "Durham/DUR91",
                                                            f"{ORDER_CASE}/respondent", f"{ORDER_CASE}/protected"}]
    shape = ("record_key", "address_id", "address_raw", "postcode")
    assert {tuple(r[c] for c in shape) for r in others} <= {tuple(r[c] for c in shape) for r in rows}
    assert [r for r in rows if "Tyne View" in r["address_raw"]]  # an unwalled home is still written out


# -- the lists ---------------------------------------------------------------------------------------

LISTS = [
    ["serial-perpetrators", "--min-victims", "1", "--relationships", "any"],
    ["cross-force-victims"],
    ["court-only-orders"],
    ["targets", "--force", "Northumbria", "--as-of", AS_OF],
    ["targets", "--force", "Durham", "--as-of", AS_OF],
    *[["safeguarding", s, "--as-of", AS_OF] for s in ("bail", "notices", "gaps", "encompass")],
    ["retention", "review", "--as-of", "2040-01-01"],
    ["retention", "review", "--as-of", "2040-01-01", "--force", "Durham"],
    ["stats", "--force", "Northumbria", "--from", "2024-01-01", "--to", "2024-12-31"],
    ["quarantine"],
    ["warnings"],
]


# every list in every form it has (the staging tables print only: no --out)
FORMS = [(c, f) for c in LISTS for f in ("json", "csv", "text")
         if not (c[0] in ("quarantine", "warnings") and f == "csv")]


@pytest.mark.parametrize("command,form", FORMS, ids=[f"{' '.join(c[:2])}-{f}" for c, f in FORMS])
def test_no_list_shows_a_walled_person_incident_order_or_home(world, ids, command, form, tmp_path):
    extra = {"json": ["--json"], "csv": ["--out", str(tmp_path / "out.csv")], "text": []}[form]
    proc = run(*command, *extra, home=world)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout + (Path(extra[1]).read_text(encoding="utf-8-sig") if form == "csv" else "")
    for who, strings in WALLED.items():
        assert found(strings + HOME + MEMBERSHIP_STRINGS, text) == [], (who, text[:2000])
    assert found(tuple(ids), text) == []


def test_a_walled_incident_in_a_list_is_a_stub_and_the_rest_stays(world):
    """Retention review names incidents by record key and only their subjects: the staff member's
    incident (she is its victim, Durham) is a stub held by Durham; the ordinary ones are listed."""
    proc = run("retention", "review", "--as-of", "2040-01-01", "--json", home=world)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["rows"]
    held = {r["record_key"] for r in rows if (r["record_key"] or "").startswith("restricted")}
    assert "restricted: held by Durham Constabulary, professional standards" in held
    assert any(r["record_key"] == "Northumbria/NO/0000092/24" for r in rows)  # the lodger's own incident


def test_a_warning_on_a_walled_record_is_a_stub(world):
    proc = run("warnings", "--json", home=world)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["rows"]
    assert rows and all(r["raw"] != "not a PNC" for r in rows)
    assert any((r["source_file"] or "").startswith("restricted: held by Northumbria Police") for r in rows)


# -- disclose search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,force", [("Gareth Fenwick", "Northumbria Police"), ("Claire Orton", "Durham")])
@pytest.mark.parametrize("form", ["json", "text"])
def test_disclose_search_gives_a_walled_candidate_as_held_by_a_force_only(world, ids, name, force, form):
    """As the API's disclosure answers: a walled candidate says only that a record exists and which
    force holds it, naming no professional-standards unit (which would reveal membership)."""
    proc = run("disclose", "search", "--name", name, *(["--json"] if form == "json" else []), home=world)
    assert proc.returncode == 0, proc.stderr
    assert found(WALLED["suspect"] + WALLED["victim in another force"] + MEMBERSHIP_STRINGS + HOME, proc.stdout) \
        == [], proc.stdout
    assert found(tuple(ids), proc.stdout) == [] and "professional" not in proc.stdout.lower()
    if form == "json":
        held = [c for c in json.loads(proc.stdout)["candidates"] if c.get("restricted")]
        assert held and all(set(c) == {"restricted", "held_by"} for c in held)
        assert {h["force"] for c in held for h in c["held_by"]} <= {"Northumbria Police", "Durham Constabulary"}
    assert force.split()[0] in proc.stdout
    lodger = run("disclose", "search", "--name", "Ryan Cole", "--json", home=world)  # his home is walled, not he
    assert any(c.get("person_id") == person_of(world, "Northumbria/NOR92") for c in json.loads(lodger.stdout)[
        "candidates"]) and found(HOME, lodger.stdout) == []


# -- a network chart ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["graphml", "anx"])
def test_the_network_of_a_walled_officers_victim_names_none_of_his_incidents_or_orders(world, fmt, tmp_path):
    """Leanne MARSH is not walled, but the order protecting her from the officer is, and so is her
    court record of it (``FC2024090/protected``, which names its case number): her chart shows her,
    and only that records held by professional standards exist."""
    out = tmp_path / f"net.{fmt}"
    proc = run("export", "network", person_of(world, "Northumbria/NOR91"), "--format", fmt, "--out", str(out),
               home=world)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "MARSH" in text.upper() and "professional standards" in text
    assert found(WALLED["suspect"] + HOME + MEMBERSHIP_STRINGS, text) == []


# -- the s.62 record ---------------------------------------------------------------------------------


def last_audit(home: Path) -> dict:
    import sqlite3

    with sqlite3.connect(home / "state" / "dots.sqlite") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone())


AUDITED = [
    ["serial-perpetrators", "--min-victims", "1", "--relationships", "any", "--json"],
    ["court-only-orders", "--json"],
    ["retention", "review", "--as-of", "2040-01-01", "--json"],
    ["warnings", "--json"],
    ["export", "orders", "--out", "{tmp}/orders.csv"],
    ["disclose", "search", "--name", "Gareth Fenwick", "--json"],
    ["export", "network", "{marsh}", "--format", "graphml", "--out", "{tmp}/net.graphml"],
]


@pytest.mark.parametrize("command", AUDITED, ids=[" ".join(c[:2]) for c in AUDITED])
def test_the_s62_record_says_what_was_withheld_and_names_only_what_was_shown(world, ids, command, tmp_path):
    """The log records the answer as the operator was given it: ``restricted`` with how many
    records were shown only as held elsewhere (as the API logs a walled answer), the people it
    still names, and no id of a walled person, incident, order or home: the record of a read names
    nothing the read did not disclose."""
    marsh = person_of(world, "Northumbria/NOR91")
    proc = run(*[a.format(tmp=tmp_path, marsh=marsh) for a in command], home=world)
    assert proc.returncode == 0, proc.stderr
    entry = last_audit(world)
    assert entry["method"] == "CLI" and entry["route"].startswith("dots " + command[0])
    assert entry["outcome"] == "restricted", entry
    assert "walled record(s) shown only as held elsewhere" in entry["detail"]
    logged = json.dumps({k: v for k, v in entry.items() if k != "path"})  # the path: what the operator typed
    assert found(tuple(ids) + WALLED["suspect"] + MEMBERSHIP_STRINGS, logged) == [], logged
    assert all(p.startswith("P") for p in json.loads(entry["person_ids"])), entry  # ids only, no stub's note
    if command[0] == "export" and command[1] == "network":
        assert marsh in entry["person_ids"]  # what was shown is still named
