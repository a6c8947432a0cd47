"""The immigration firewall's gaps closed (notes/firewall.md, "Noticed and left"):

- an extract uploaded through the admin API is kept as delivered: once staged, its immigration
  cells are emptied (the values are held apart in staging only), re-ingest is "already loaded"
  and erasure still reads it;
- parts staged before the firewall (written here by the old code path: the firewall's lists
  empty, the summary as it was) are staged again at the next ingest or resolve: ``extra`` loses
  the values to ``held_apart``, a field an old mapping read from such a column is emptied the
  same way, and erasure still reads the old mapping;
- a case reference naming immigration enforcement is refused like such a purpose (API 403, CLI
  one line), innocent references are not;
- a ``--purpose`` the parser refuses is written to the s.62 log as a refused ``DOTS_PURPOSE`` is.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from tests.extract_fixtures import CUSTODY_HEADER, custody_row, write_rows  # noqa: E402
from tests.test_immigration_firewall import COUNTY_MAPPING  # noqa: E402
from worlds.testing import dots  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ROOT = Path(__file__).resolve().parents[1]
YAML = yaml.safe_load((ROOT / "reference" / "data" / "immigration_firewall.yaml").read_text())
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))


def _no_firewall(tmp: Path) -> Path:
    """A firewall configuration naming nothing: the loaders then behave as before the firewall."""
    path = tmp / "no-firewall.yaml"
    path.write_text("fields: []\nfield_patterns: []\npurpose_patterns: []\n")
    return path


def spelt(name: str, style: int) -> str:
    """A yaml field name as a force might write it (``immigration_status`` -> ``Immigration Status``)."""
    words = name.split("_")
    return [" ".join(w.title() for w in words), "-".join(words), name.upper(), ".".join(words), name][style % 5]


def _custody(path: Path, column: str, values: list[str], extra: str = "Custody Suite") -> Path:
    """A custody extract with an immigration column (and an unknown benign one) after the header's third."""
    header = [*CUSTODY_HEADER[:3], column, *CUSTODY_HEADER[3:], "suite"]
    rows = [{**custody_row(custody_ref=f"DU/C/23/{i:05d}", nominal_ref=f"DUR{i:08d}"), column: v, "suite": extra}
            for i, v in enumerate(values)]
    return write_rows(path, header, rows)


def _tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    from staging.store import ALL_TABLES, StagingStore

    store = StagingStore(data_dir)
    return {t: store.read(t) for t in ALL_TABLES}


def _holding(frames: dict[str, pd.DataFrame], values: list[str]) -> set[str]:
    """The tables whose text holds any of ``values``."""
    return {t for t, f in frames.items() if any(v in f.astype(str).to_string() for v in values)}


# -- 2. parts staged before the firewall -------------------------------------------------------------


@SLOW
@given(name=st.sampled_from(YAML["fields"]), style=st.integers(0, 4),
       values=st.lists(st.sampled_from(["Overstayer", "Asylum seeker", "NRPF", "Visa expired 2023", ""]),
                       min_size=1, max_size=4))
def test_an_old_part_is_staged_again_as_a_load_now_would(tmp_path_factory, name, style, values) -> None:
    from loaders.ingest import ingest_paths
    from staging.store import StagingStore

    tmp = tmp_path_factory.mktemp("old")
    column = spelt(name, style)
    path = _custody(tmp / "custody.csv", column, values)
    held = [v for v in values if v]
    old, fresh = tmp / "old", tmp / "fresh"
    os.environ["DOTS_IMMIGRATION_FIREWALL"] = str(_no_firewall(tmp))
    try:
        ingest_paths([path], old)
    finally:
        del os.environ["DOTS_IMMIGRATION_FIREWALL"]
    store = StagingStore(old)
    (part,) = store.parts()
    summary = part.summary  # as the code before the firewall wrote it
    summary.pop("firewall")
    for f in summary["files"]:
        f.pop("held_apart")
    (part.path / "summary.json").write_text(json.dumps(summary))
    if held:
        assert "custody_records" in _holding(_tables(old), held)  # the old shape: values in extra

    ingest_paths([_custody(tmp / "other.csv", "suite2", ["x"])], old)  # the next ingest stages it again
    ingest_paths([path], fresh)
    now, want = _tables(old), _tables(fresh)
    assert _holding(now, held) <= {"held_apart"}
    for table in want:
        a = now[table][now[table]["source_file"] == str(path)].drop(columns="loaded_at").reset_index(drop=True)
        b = want[table].drop(columns="loaded_at").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)
    assert sorted(now["held_apart"]["value"]) == sorted(held)
    assert all(json.loads(e)["suite"] == "Custody Suite" for e in now["custody_records"]["extra"].dropna())
    (again,) = [p for p in store.parts() if p.summary["files"][0]["path"] == str(path)]
    assert again.summary["files"][0]["held_apart"] == len(held)
    parts = {p.path.name: (p.path / "summary.json").read_text() for p in store.parts()}
    ingest_paths([path], old)  # staged again once: nothing more to do
    assert parts == {p.path.name: (p.path / "summary.json").read_text() for p in store.parts()}


# test_immigration_firewall's custom county mapping as a force might have written it before the firewall: a
# field read from a column an immigration field now names
OLD_MAPPING = COUNTY_MAPPING.replace("county-custom", "county-old") + "          source_system: Immigration Status\n"


def test_an_old_mapping_reading_an_immigration_column_still_erases(tmp_path) -> None:
    """A part whose stored mapping read an immigration column into a field (refused now): erasure
    reads the mapping all the same and erases; the next resolve stages the part again with the
    field's values held apart."""
    import pipeline
    from loaders import erasure
    from loaders.ingest import ingest_paths
    from loaders.mapping import Mapping
    from staging.store import StagingStore

    county = write_rows(tmp_path / "county.csv", ["case_ref", "family_name", "given_names", "born", "force",
                                                        "Immigration Status"], [
        {"case_ref": f"C{i}", "family_name": f"Name{i}", "given_names": "Ann", "born": "01/02/1980", "force": "Durham",
         "Immigration Status": v} for i, v in enumerate(["Overstayer", "Asylum seeker", "NRPF"])])
    mapping = tmp_path / "old.yaml"
    mapping.write_text(OLD_MAPPING)
    data = tmp_path / "d"
    os.environ["DOTS_IMMIGRATION_FIREWALL"] = str(_no_firewall(tmp_path))
    try:
        ingest_paths([county], data, mapping=mapping)
    finally:
        del os.environ["DOTS_IMMIGRATION_FIREWALL"]
    (part,) = StagingStore(data).parts()
    with pytest.raises(ValueError, match="immigration"):
        Mapping.model_validate(part.summary["mapping"])  # refused now

    assert erasure.begin(data, "person", "Durham/C0")["rows"] == 1  # before it is staged again
    erasure.finish(data, "person", "Durham/C0")
    assert "Overstayer" not in _tables(data)["person_records"].to_string()

    pipeline.resolve_people(data, fork=False)  # a resolve stages the old part again first
    frames = _tables(data)
    assert _holding(frames, ["Asylum seeker", "NRPF"]) == {"held_apart"}
    assert sorted(frames["held_apart"]["value"]) == ["Asylum seeker", "NRPF"]
    assert set(frames["held_apart"]["field"]) == {"immigration status"}
    assert erasure.begin(data, "person", "Durham/C1")["rows"] == 1  # and erasure still reads it
    assert sorted(_tables(data)["held_apart"]["value"]) == ["NRPF"]


# -- 1. uploads ---------------------------------------------------------------------------------------

CELLS = st.text(st.characters(codec="cp1252", categories=("L", "N", "P", "Zs")), max_size=8)


@SLOW
@given(
    name=st.sampled_from(YAML["fields"]), style=st.integers(0, 4), position=st.integers(0, 30),
    values=st.lists(st.one_of(st.sampled_from(["Overstayer", "", "Asylum, \"refused\"", "NRPF\nflag", "  "]),
                              CELLS), min_size=1, max_size=5),
    ending=st.sampled_from(["\n", "\r\n", "\r"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    final=st.booleans(),
)
@example(name="nrpf", style=0, position=0, values=["NRPF\nflag", "Overstayer"], ending="\r\n", encoding="utf-8-sig",
         final=False)  # a value spanning lines: later rows keep their line numbers
def test_a_staged_upload_keeps_every_byte_but_its_immigration_cells(
    tmp_path_factory, name, style, position, values, ending, encoding, final
) -> None:
    from loaders.csvread import read_csv
    from loaders.delivered import withhold_held
    from loaders.ingest import ingest_paths

    tmp = tmp_path_factory.mktemp("up")
    column = spelt(name, style)
    header = list(CUSTODY_HEADER)
    header.insert(min(position, len(header)), column)
    rows = [{**custody_row(custody_ref=f"DU/C/23/{i:05d}", nominal_ref=f"DUR{i:08d}", surname="Hallé"), column: v}
            for i, v in enumerate(values)]
    folder = tmp / "uploads" / "u1"
    folder.mkdir(parents=True)
    path = write_rows(folder / "custody.csv", header, rows)
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    quoted_break = "NRPF\nflag"
    text = text.replace("\n", ending).replace(quoted_break.replace("\n", ending), quoted_break)
    data = text.encode(encoding) if final else text.rstrip(ending).encode(encoding)
    path.write_bytes(data)
    before = read_csv(path).parse(header)
    home = tmp / "d"
    first = ingest_paths([folder], home)
    (result,) = withhold_held(folder, home)
    after_bytes = path.read_bytes()
    after = read_csv(path).parse(header)
    key = column.strip().lower()
    held = [v.strip() for v in values if v.strip()]
    assert result.withheld == len(held) and first[0].held_apart == len(held)
    for word in (w for w in ("Overstayer", "refused", "NRPF") if w.lower() not in column.lower()):
        assert (word.encode() in after_bytes) == (word.encode() in data and not any(word in v for v in values))
    assert after.frame[key].isna().all()
    assert after.header == before.header and list(after.frame["__line__"]) == list(before.frame["__line__"])
    pd.testing.assert_frame_equal(after.frame.drop(columns=key), before.frame.drop(columns=key))
    if not held:
        assert after_bytes == data  # nothing to withhold: untouched
    assert after_bytes.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert after_bytes.endswith(ending.encode()) == final
    again = ingest_paths([folder], home)
    assert [r.status for r in again] == ["already loaded"]
    assert withhold_held(folder, home)[0].withheld == 0 and path.read_bytes() == after_bytes  # idempotent


def _job(client, headers: dict, kind: str, upload_ids: list[str]) -> dict:
    r = client.post(f"/admin/jobs/{kind}", headers=headers, params={"purpose": "administration", "reference": "A-1"},
                    json={"upload_ids": upload_ids})
    assert r.status_code == 202, r.text
    for _ in range(1200):
        status = client.get(f"/admin/jobs/{r.json()['id']}", headers=headers).json()
        if status["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert status["status"] == "succeeded", status
    return status["result"]


def test_an_upload_holds_no_immigration_value_once_ingested(tmp_path) -> None:
    import hashlib

    from api.store.db import upload_sha256
    from worlds.testing import app_with_accounts, bearer

    home = tmp_path / "d"
    home.mkdir()
    values = ["Overstayer", "Asylum seeker", "", "NRPF"]
    path = _custody(tmp_path / "custody.csv", "Immigration Status", values)
    sent = path.read_bytes()
    with app_with_accounts(home) as client:
        h = bearer(client, "admin")
        sent_twice = []
        for _ in range(2):  # the same extract uploaded twice: the second is "already loaded"
            r = client.post("/admin/uploads", headers=h, params={"purpose": "administration", "reference": "A-1"},
                            files=[("files", ("custody.csv", sent, "text/csv"))])
            assert r.status_code == 201, r.text
            sent_twice.append(r.json()[0])
        upload, twin = sent_twice
        kept = home / "state" / "uploads" / upload["id"] / "custody.csv"
        assert b"Overstayer" in kept.read_bytes()  # as delivered, until staged
        result = _job(client, h, "ingest", [upload["id"], twin["id"]])
        assert [f["held_apart"] for f in result["files"]] == [3, 3]
        assert sorted(f["status"] for f in result["files"]) == ["already loaded", "loaded"]
        now = kept.read_bytes()
        assert (home / "state" / "uploads" / twin["id"] / "custody.csv").read_bytes() == now
        assert not [v for v in ("Overstayer", "Asylum seeker", "NRPF") if v.encode() in now]
        assert now.splitlines()[0] == sent.splitlines()[0]  # the header as delivered
        listed = client.get("/admin/uploads", headers=h, params={"purpose": "administration", "reference": "A-1"})
        (row,) = [u for u in listed.json()["items"] if u["id"] == upload["id"]]
        assert row["sha256"] == upload_sha256([hashlib.sha256(now).hexdigest()]) and row["size"] == len(now)
        again = _job(client, h, "ingest", [upload["id"]])  # the rewritten upload: already loaded
        assert [f["status"] for f in again["files"]] == ["already loaded"]
    held = _tables(home)["held_apart"]
    assert sorted(held["value"]) == ["Asylum seeker", "NRPF", "Overstayer"]
    for file in home.rglob("*"):
        if file.is_file() and file.name != "held_apart.parquet":
            assert b"Overstayer" not in file.read_bytes(), file
    r = dots("erase", "Durham/DUR00000001", "--reason", "recorded in error", "--json",
             home=home)
    assert r.returncode == 0, r.stderr
    assert b"DUR00000001" not in kept.read_bytes()  # erasure still reads the rewritten upload
    assert sorted(_tables(home)["held_apart"]["value"]) == ["NRPF", "Overstayer"]


# -- 3. the case reference ----------------------------------------------------------------------------

ENFORCEMENT_REFERENCES = ["HOIE/123", "HO-2026-7", "UKVI/22/1", "ICE-1", "DEPORT-12", "IMMIGRATION-4",
                          "OP-REMOVAL-3", "BORDER-FORCE-9", "VISA:77", "home.office.1", "ASYLUM-2", "NRPF-5"]

WORD = st.text(st.characters(min_codepoint=ord("A"), max_codepoint=ord("Z")), min_size=4, max_size=10).filter(
    lambda w: not re.search(r"IMMIGRA|DEPORT|ASYLUM|OVERSTAY|NRPF|HOIE|UKVI|HOMEOFFICE", w)
    and w not in {"VISA", "VISAS", "BORDER", "BORDERS", "REMOVAL", "REMOVALS"})
PREFIX = st.sampled_from(["DA", "NO", "CAD", "OCC", "CR", "MARAC", "DVDS", "MATAC", "OP", "CASE", "INC", "DU",
                          "NB", "MPS", "WMP", "OP-ENCOMPASS"])
INNOCENT = st.builds(
    lambda prefix, word, year, number, sep: sep.join(p for p in (prefix, word, str(year), str(number)) if p),
    PREFIX, st.one_of(st.just(""), WORD), st.integers(2000, 2030), st.integers(1, 999999), st.sampled_from("/-_.:"))


@settings(max_examples=300, deadline=None)
@given(reference=st.one_of(INNOCENT, st.sampled_from(["DA/2026/0412", "OP-ENCOMPASS-12", "OP-VISAGE-3",
                                                        "BORDERLANDS-1", "NO/0003714/19", "DVDS-12", "HOME-7"])))
def test_an_innocent_case_reference_is_not_refused(reference) -> None:
    from api.policy.roles import REFERENCE_RE
    from reference.immigration import is_enforcement_reference

    assert REFERENCE_RE.match(reference), reference
    assert not is_enforcement_reference(reference), reference


@pytest.mark.parametrize("reference", ENFORCEMENT_REFERENCES)
def test_a_reference_naming_immigration_enforcement_is_refused(reference) -> None:
    from reference.immigration import is_enforcement_reference

    assert is_enforcement_reference(reference)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A small staged data directory, an API on it, and the audit log's reader."""
    from loaders.ingest import ingest_paths
    from worlds.testing import app_with_accounts

    tmp = tmp_path_factory.mktemp("served")
    home = tmp / "d"
    ingest_paths([_custody(tmp / "custody.csv", "suite2", ["x"])], home)
    with app_with_accounts(home) as client:
        yield home, client


def _log(home: Path) -> list[dict]:
    from sqlalchemy import select

    from api.config import database_url
    from api.store.db import AuditRecord, session_factory

    with session_factory(database_url(home)).begin() as session:
        return [{c: getattr(r, c) for c in ("user_name", "role", "at", "purpose", "reference", "outcome", "status",
                                            "route", "detail")}
                for r in session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()]


def test_the_api_refuses_a_lawful_purpose_with_an_enforcement_reference(served) -> None:
    from worlds.testing import bearer

    home, client = served
    h = bearer(client, "analyst")
    for reference in ("HOIE/123", "UKVI-2026-1", "DEPORT-1"):
        r = client.get("/analyst/serial-perpetrators", headers=h,
                       params={"purpose": "intelligence", "reference": reference})
        assert r.status_code == 403 and r.json()["type"] == "/problems/immigration-firewall", r.text
        last = _log(home)[-1]
        assert last["outcome"] == "refused" and last["status"] == 403 and last["user_name"] == "analyst"
        assert last["reference"] == reference and last["purpose"] == "intelligence"
    ok = client.get("/analyst/serial-perpetrators", headers=h,
                    params={"purpose": "intelligence", "reference": "DA/2026/0412"})
    assert ok.status_code == 200, ok.text


# -- 3 and 4. the command line: a refused reference, a refused --purpose: one line, logged ------------


@pytest.mark.parametrize(
    ("args", "env", "rc", "says"),
    [
        (["--purpose", "immigration_enforcement", "--reference", "X-1"], {}, 2, "immigration firewall"),
        (["--purpose", "Home Office status check", "--reference", "X-1"], {}, 2, "immigration firewall"),
        (["--purpose", "gossip", "--reference", "X-1"], {}, 2, "invalid choice"),
        (["--purpose", "intelligence", "--reference", "HOIE/123"], {}, 1, "immigration firewall"),
        ([], {"DOTS_PURPOSE": "safeguarding", "DOTS_REFERENCE": "UKVI-7"}, 1, "immigration firewall"),
        ([], {"DOTS_PURPOSE": "deportation", "DOTS_REFERENCE": "X-1"}, 1, "immigration firewall"),
    ],
)
def test_a_refused_purpose_or_reference_is_one_line_and_logged(served, args, env, rc, says) -> None:
    home, _ = served
    before = len(_log(home))
    r = dots("quarantine", *args, home=home, **env)
    assert r.returncode == rc and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and not r.stdout
    (new,) = _log(home)[before:]
    assert new["outcome"] == "refused" and new["route"] == "dots quarantine" and new["role"] == "cli"
    assert new["user_name"].startswith("os:") and new["at"] and says.split()[0] in new["detail"]
    assert new["purpose"] != "Home Office status check"  # free text is not copied into the log's purpose


def test_a_refused_purpose_with_no_data_directory_is_still_one_line(tmp_path) -> None:
    r = dots("quarantine", "--purpose", "immigration_enforcement", "--reference", "X-1", home=tmp_path / "none")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "none").exists()

