"""The immigration firewall (shared/domain.md): immigration status and NRPF fields an extract
carries are held apart at load and reach no one; no purpose serves immigration enforcement.

The world is the API sample world (two RMS forces and a court) plus a relational folder, custody,
notice, referral and workforce files and a force's own mapping, each carrying immigration columns
spelt and placed differently, with values on loaded rows, quarantined rows and a row with the
wrong number of fields. Then every place a user reads is searched for the values: every staged
table but the held-apart one, every file under the data directory but that table, the graph,
the search, every personal-data GET route of the API for every role (enumerated from the app),
and every CLI list and export.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from fastapi.testclient import TestClient  # noqa: E402

from api.app import api_routes  # noqa: E402
from api.routing import AuditedRoute  # noqa: E402
from tests.extract_fixtures import (  # noqa: E402
    CUSTODY_HEADER,
    NOTICE_HEADER,
    REFERRAL_HEADER,
    custody_row,
    notice_row,
    referral_row,
    write_relational,
    write_rows,
)
from worlds.api import write_extracts  # noqa: E402
from worlds.ppda import WORKFORCE, WORKFORCE_HEADER  # noqa: E402
from worlds.testing import PASSWORD, ROLE_ACCOUNT, app_with_accounts  # noqa: E402
from worlds.testing import dots as run_dots  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# What a force might write in such a column; each must appear nowhere a user reads. ("NRPF" is
# also searched for case-sensitively: column names are lower-cased when read, so a warning naming
# an "NRPF" column says "nrpf".)
VALUES = ("Overstayer", "NRPF", "Asylum seeker", "Visa expired 2023", "Refused asylum claim",
          "No leave to remain", "EUSS pre-settled")
# the columns each file gets: (position in its header, spelling)
SPELLINGS = {
    "northumbria-rms.csv": [(3, "Immigration Status"), (99, "NRPF")],
    "durham-rms.csv": [(0, "visa_status"), (9, "no_recourse_to_public_funds")],
    "court-orders.csv": [(5, "Asylum Status"), (99, "nationality-status")],
    "persons.csv": [(2, "IMMIGRATION_STATUS"), (99, "No Recourse To Public Funds")],
    "incidents.csv": [(99, "victim immigration status")],
    "custody.csv": [(1, "Immigration status (HO)"), (99, "visa status")],
    "notices.csv": [(4, "NRPF flag")],
    "referrals.csv": [(99, "Immigration.Status"), (2, "asylum_status")],
    "workforce.csv": [(3, "visa_status")],
    "county.csv": [(1, "Home Office Ref"), (99, "Immigration status")],
}
COUNTY_MAPPING = """
name: county-custom
files:
  - required: [case_ref, family_name, given_names, born, force]
    detect: [case_ref, family_name, born]
    emit:
      person_records:
        - record_key: {template: "{force}/{case_ref}"}
          force: force
          name: {surname: family_name, forenames: given_names}
          dob: {column: born, format: "%d/%m/%Y"}
"""
COUNTY = [
    {"case_ref": "CC1", "family_name": "ADEYEMI", "given_names": "Grace", "born": "02/02/1992", "force": "Durham",
     "beat": "D12"},
    {"case_ref": "CC2", "family_name": "OKAFOR", "given_names": "Ruth", "born": "03/03/1993", "force": "Durham",
     "beat": "D13"},
]
ALL_ROLES = {
    "analyst": {"purpose": "intelligence", "reference": "IF-1"},
    "professional_standards": {"purpose": "investigation", "reference": "IF-1"},
    "da_team": {"purpose": "tasking", "reference": "MATAC-1"},
    "disclosure_officer": {"purpose": "dvds", "reference": "DVDS-9"},
    "data_steward": {"purpose": "data_quality", "reference": "DQ-1"},
    "auditor": {"purpose": "audit", "reference": "AUD-1"},
    "admin": {"purpose": "administration", "reference": "ADM-1"},
}


def leaks(text: str) -> list[str]:
    """The immigration values found in ``text`` (whole words; case-sensitive for NRPF)."""
    out = []
    for v in VALUES:
        flags = 0 if v == "NRPF" else re.I
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(v)}(?![A-Za-z0-9])", text, flags):
            out.append(v)
    return out


def with_columns(path: Path, spellings: list[tuple[int, str]], values: itertools.cycle) -> None:
    """Rewrite a CSV with immigration columns inserted; every third cell left blank."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    for position, name in spellings:
        at = min(position, len(header))
        header.insert(at, name)
        for i, row in enumerate(body):
            row.insert(at, "" if i % 3 == 2 else next(values))
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body])


def _extracts(folder: Path) -> tuple[list[Path], Path, Path]:
    """Every extract with its immigration columns, plus one row of each RMS file that is
    quarantined and a row with too many fields; the county file and its mapping."""
    values = itertools.cycle(VALUES)
    files = write_extracts(folder)
    rel = write_relational(folder / "met")
    files.append(rel)
    files.append(write_rows(folder / "custody.csv", CUSTODY_HEADER, [custody_row()]))
    files.append(write_rows(folder / "notices.csv", NOTICE_HEADER, [notice_row()]))
    files.append(write_rows(folder / "referrals.csv", REFERRAL_HEADER, [referral_row()]))
    files.append(write_rows(folder / "workforce.csv", WORKFORCE_HEADER, WORKFORCE))
    county = write_rows(folder / "county.csv", list(COUNTY[0]), COUNTY)
    for path in [*folder.glob("*.csv"), *rel.glob("*.csv")]:
        if path.name in SPELLINGS:
            with_columns(path, SPELLINGS[path.name], values)
    for name in ("northumbria-rms.csv", "durham-rms.csv"):  # an impossible event date: quarantined
        path = folder / name
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        bad = {**rows[0], "occurrence_datetime": "31/02/2024 10:00", "nominal_ref": "Q1"}
        for col in bad:
            if col.lower().replace(" ", "_") in {"immigration_status", "nrpf", "visa_status",
                                                 "no_recourse_to_public_funds"}:
                bad[col] = "Overstayer"
        with path.open("a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, fieldnames=list(rows[0])).writerow(bad)
    with (folder / "durham-rms.csv").open("a", encoding="utf-8") as fh:  # too many fields
        fh.write("Durham,DU/1/24,Asylum seeker,01/01/2024 10:00,Overstayer,x,y,z\n")
    mapping = folder / "county.yaml"
    mapping.write_text(COUNTY_MAPPING)
    return files, county, mapping


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    import pipeline

    folder = tmp_path_factory.mktemp("extracts")
    data_dir = tmp_path_factory.mktemp("firewall")
    files, county, mapping = _extracts(folder)
    loaded = pipeline.ingest(data_dir, [county], mapping=mapping)
    ran = pipeline.run(data_dir, files)
    return {"data_dir": data_dir, "folder": folder, "results": loaded + ran["ingest"], "run": ran}


def test_every_file_loaded_and_reported_its_immigration_values(world):
    from staging.store import StagingStore

    results = world["results"]
    store = StagingStore(world["data_dir"])
    held = store.read("held_apart")
    assert {Path(r.path).name if Path(r.path).is_file() else r.path for r in results} >= {"county.csv"}
    for r in results:
        assert r.status == "loaded", r
        name = Path(r.path).name
        assert r.held_apart == int((held["source_file"] == r.path).sum()), (name, r.held_apart)
        assert (r.held_apart > 0) == (name in SPELLINGS), (name, r.held_apart)
    # the values held are every non-blank value of a loaded row, and only those
    quarantined = store.read("quarantine")
    assert set(quarantined["source_file"].map(lambda p: Path(p).name)) >= {"northumbria-rms.csv", "durham-rms.csv"}
    for source, rows in held.groupby("source_file"):
        bad = set(quarantined.loc[quarantined["source_file"] == source, "source_line"])
        assert not bad & set(rows["source_line"]), source
    assert set(held["value"]) == set(VALUES)
    # one warning per column, naming the file and the column, never a value
    warnings = store.read("warnings")
    said = warnings[warnings["reason"].str.contains("immigration firewall")]
    expected = {(Path(f).name, c.strip().lower()) for f, cols in SPELLINGS.items() for _, c in cols}
    assert {(Path(f).name, c) for f, c in zip(said["source_file"], said["field"], strict=True)} == expected
    assert said["raw"].isna().all() and not leaks(said.to_json())


def test_no_staged_table_but_the_held_apart_one_holds_a_value(world):
    from staging.store import ALL_TABLES, StagingStore

    store = StagingStore(world["data_dir"])
    for table in ALL_TABLES:
        if table == "held_apart":
            continue
        frame = store.read(table)
        assert not leaks(frame.astype(str).to_csv()), table
    raw = " ".join(store.read("quarantine")["raw"])
    assert "withheld: immigration firewall" in raw


def _readable(path: Path) -> str:
    """A file's bytes as text, and a Parquet file's rows too (compressed pages hide their text)."""
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".parquet":
        text += pq.read_table(path).to_pandas().astype(str).to_csv()
    return text


def test_no_file_under_the_data_directory_but_the_held_apart_store_holds_a_value(world):
    seen = 0
    for path in sorted(Path(world["data_dir"]).rglob("*")):
        if not path.is_file() or path.name == "held_apart.parquet":
            continue
        seen += 1
        assert not leaks(_readable(path)), path
    assert seen > 20


def test_the_graph_holds_no_value(world):
    from graph.backend import open_graph

    g = open_graph(world["data_dir"])
    try:
        nodes = g.run("MATCH (n) RETURN n")
        edges = g.run("MATCH ()-[r]->() RETURN r")
    finally:
        g.close()
    assert len(nodes) > 20
    assert not leaks(json.dumps([*nodes, *edges], default=str))


# -- the command line -------------------------------------------------------------------------------


# an analyst's reads with a purpose and reference (s.62) unless a test gives another, on the graph the
# in-process world went to
dots = partial(run_dots, DOTS_PURPOSE="intelligence", DOTS_REFERENCE="IF-2", same_graph=True)


def test_no_cli_list_or_export_shows_a_value(world, tmp_path):
    home = world["data_dir"]
    commands = [
        ["quarantine", "--json"], ["warnings", "--json"],
        ["export", "resolution"], ["export", "orders"], ["export", "events"], ["export", "breaches"],
        ["export", "addresses"], ["serial-perpetrators", "--min-victims", "1"], ["cross-force-victims"],
        ["targets", "--force", "Northumbria", "--as-of", "2024-06-30"],
        ["safeguarding", "bail", "--as-of", "2024-06-30"], ["safeguarding", "notices", "--as-of", "2024-06-30"],
        ["safeguarding", "gaps", "--as-of", "2024-06-30"], ["safeguarding", "encompass", "--as-of", "2024-06-30"],
        ["retention", "review", "--as-of", "2024-06-30"],
        ["disclose", "search", "--name", "Grace Adeyemi", "--age", "32", "--json"],
    ]
    for i, cmd in enumerate(commands):
        out = tmp_path / f"out{i}.csv"
        needs_out = cmd[0] not in ("quarantine", "warnings", "disclose")
        r = dots(*cmd, *(["--out", str(out)] if needs_out else []), home=home)
        assert r.returncode == 0, (cmd, r.stderr[-400:])
        text = r.stdout + r.stderr + (out.read_text(encoding="utf-8-sig") if out.exists() else "")
        assert not leaks(text), (cmd, leaks(text))
    assert "withheld: immigration firewall" in dots("quarantine", "--json", home=home).stdout


def test_a_command_for_immigration_enforcement_is_refused_in_one_line(world):
    home = world["data_dir"]
    r = dots("quarantine", "--purpose", "immigration_enforcement", "--reference", "HO-1", home=home)
    assert r.returncode == 2 and "immigration firewall" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = dots("quarantine", home=home, DOTS_PURPOSE="Home Office status check")
    assert r.returncode == 1 and "immigration firewall" in r.stderr and "Traceback" not in r.stderr
    assert not r.stdout


def test_the_ingest_summary_counts_them(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    files, county, mapping = _extracts(folder)
    r = dots("ingest", str(county), "--mapping", str(mapping), "--json", home=tmp_path / "d")
    assert r.returncode == 0, r.stderr
    (one,) = json.loads(r.stdout)["files"]
    assert one["held_apart"] == 4 and not leaks(r.stdout)
    r = dots("ingest", str(folder / "custody.csv"), home=tmp_path / "d")
    assert r.returncode == 0 and "immigration value(s) held apart" in r.stdout and not leaks(r.stdout)


# -- the API: every personal-data route, every role --------------------------------------------------


@pytest.fixture(scope="module")
def client(world):
    with app_with_accounts(world["data_dir"]) as c:
        yield c


def _token(c: TestClient, name: str) -> dict[str, str]:
    r = c.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_no_route_answers_with_a_value_for_any_role(world, client):
    from linkage.store import LinkageStore

    store = LinkageStore(world["data_dir"])
    people = sorted(set(store.entities()["person_id"]))
    addresses = sorted(set(store.addresses()["address_id"]))[:3]
    routes = [r for r in api_routes(client.app) if isinstance(r, AuditedRoute) and r.dots_operation
              and "GET" in r.methods]
    fills = {"person_id": people, "force": ["Northumbria", "Durham", "Metropolitan"], "address_id": addresses,
             "fmt": ["csv", "graphml"], "case_id": ["1"], "list_id": ["1"]}
    answered, failures = 0, []
    for role, why in ALL_ROLES.items():
        who = ROLE_ACCOUNT[role]
        headers = _token(client, who)
        for route in routes:
            if route.dots_roles is not None and role not in route.dots_roles:
                continue
            paths = [route.path]
            for name, values in fills.items():
                if "{" + name + "}" in route.path:
                    paths = [p.replace("{" + name + "}", str(v)) for p in paths for v in values]
            for path in paths:
                r = client.get(path, headers=headers, params={**why, "as_of": "2024-06-30", "name": "Grace Adeyemi"})
                if r.status_code >= 500:
                    failures.append((who, path, r.status_code))
                if r.status_code == 200:
                    answered += 1
                    if found := leaks(r.text):
                        failures.append((who, path, found))
    assert not failures, failures[:20]
    assert answered > 60


def test_a_request_for_immigration_enforcement_is_refused_and_logged(client):
    headers = _token(client, "analyst")
    for purpose in ("immigration_enforcement", "Immigration Enforcement", "home-office", "deportation"):
        r = client.get("/analyst/serial-perpetrators", headers=headers,
                       params={"purpose": purpose, "reference": "HO-1"})
        assert r.status_code == 403, (purpose, r.text)
        assert r.json()["type"] == "/problems/immigration-firewall" and "immigration" in r.json()["detail"]
    ok = client.get("/analyst/serial-perpetrators", headers=headers, params={"purpose": "nonsense", "reference": "X-1"})
    assert ok.status_code == 400  # any other unknown purpose is still a bad request
    audit = client.get("/audit/records", headers=_token(client, "auditor"),
                       params={"purpose": "audit", "reference": "AUD-2", "user": "analyst", "outcome": "refused"})
    assert any(e["status"] == 403 and "immigration" in (e["detail"] or "") for e in audit.json()["items"])


def test_no_purpose_role_or_route_serves_immigration_enforcement(client):
    from api.policy.roles import ROLES, Purpose
    from reference.immigration import is_enforcement_purpose

    assert [p.value for p in Purpose if is_enforcement_purpose(p.value)] == []
    assert [r for r in ROLES if is_enforcement_purpose(r)] == []
    assert [r.path for r in api_routes(client.app) if is_enforcement_purpose(getattr(r, "path", ""))] == []


# -- mappings and names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "source_system: immigration_status",
        "source_system: {column: NRPF}",
        'source_system: {template: "{Visa Status}-x"}',
        "source_system: {columns: [family_name, asylum-status]}",
    ],
)
def test_a_mapping_that_reads_an_immigration_column_is_refused_in_one_line(tmp_path, field):
    from loaders.mapping import MappingError, load_mapping

    path = tmp_path / "m.yaml"
    path.write_text(COUNTY_MAPPING.rstrip() + "\n          " + field + "\n")
    with pytest.raises(MappingError, match="immigration field") as exc:
        load_mapping(path)
    assert "\n" not in str(exc.value)
    write_rows(tmp_path / "c.csv", list(COUNTY[0]), COUNTY)
    r = dots("ingest", str(tmp_path / "c.csv"), "--mapping", str(path), home=tmp_path / "d")
    assert r.returncode != 0 and "immigration field" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "name",
    ["immigration_status", "Immigration Status", "IMMIGRATION-STATUS", " immigration.status ", "NRPF", "nrpf",
     "No Recourse To Public Funds", "no_recourse_to_public_funds", "visa_status", "Visa Status", "visa",
     "nationality_status", "Nationality Status", "asylum_status", "Asylum", "leave to remain", "ILR",
     "EUSS status", "Home Office Ref", "victim_immigration_status", "Residency Status"],
)
def test_an_immigration_field_is_recognised_however_spelt(name):
    from reference.immigration import is_immigration_field

    assert is_immigration_field(name)


def test_no_built_in_profile_column_is_taken_for_one():
    from loaders.mapping import builtin_profiles
    from reference.immigration import is_immigration_field

    named = {c for m in builtin_profiles().values() for f in m.files for c in [*f.required, *f.detect]}
    assert named and not [c for c in named if is_immigration_field(c)]
    for plain in ("nationality", "ethnicity", "supervisor", "beat", "division", "provisional", "avisa"):
        assert not is_immigration_field(plain), plain


def test_an_erased_record_takes_its_held_values_with_it(tmp_path):
    from loaders import erasure
    from loaders.ingest import ingest_paths
    from staging.store import StagingStore

    folder = tmp_path / "x"
    folder.mkdir()
    _, county, mapping = _extracts(folder)
    ingest_paths([county], tmp_path / "d", mapping=mapping)
    before = StagingStore(tmp_path / "d").read("held_apart")
    assert set(before["source_line"]) == {2, 3}
    erasure.begin(tmp_path / "d", "person", "Durham/CC1")
    after = StagingStore(tmp_path / "d").read("held_apart")
    assert set(after["source_line"]) == {3} and len(after) < len(before)
    assert isinstance(after, pd.DataFrame)
