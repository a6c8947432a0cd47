"""``dots erase`` reaches the extracts the API keeps as uploaded (``state/uploads/<id>/``).

After an erasure no file under the data directory holds the erased record's name, date of birth,
address or nominal reference, except the tombstone and the audit log's erasure record (which
hold the key only); every other row of an uploaded file stays byte for byte, whatever the
file's encoding, byte-order mark or line endings; the upload's recorded size and SHA-256 are
those of its files as now held, and ingesting it again is "already loaded".
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline
from graph.schema import NODES
from loaders.csvread import read_csv
from staging.store import StagingStore
from tests.extract_fixtures import CUSTODY_HEADER, FLAT_HEADER, csv_text, custody_row, flat_row, victim_row
from tests.test_erase import (
    K0,
    K0_TEXT,
    answers,
    embedded,
    extracts,  # noqa: F401 - the module's world, shared
    fresh,
    partition,
    staged,
)
from tests.test_erase_cli import dots

REF = K0.split("/")[1]
K0_ROW = {"nominal_ref": REF, "surname": K0_TEXT["surname"], "forenames": K0_TEXT["forenames"],
          "dob": K0_TEXT["dob"], "address": K0_TEXT["address"], "postcode": "NE8 1ZZ", "phone": K0_TEXT["phone"]}
SECRETS = {**K0_TEXT, "ref": REF}


# -- one file, rewritten by the loaders' own reading: property-style --------------------------------

def _row_bytes(values: list[str], ending: str, encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator=ending).writerow(values)
    return buf.getvalue().encode(encoding, "surrogateescape")


ROW = st.fixed_dictionaries({
    "k0": st.booleans(),
    "accent": st.booleans(),  # a name outside ASCII: Windows-1252 and UTF-8 bytes differ
    "inner": st.booleans(),  # a line break inside a quoted address
    "blank": st.booleans(),  # a blank line after the row (not a row: goes with the row before it)
    "short": st.booleans(),  # read with too few fields: quarantined, named by no key, kept
    "nul": st.booleans(),  # a NUL byte: quarantined whole, named by its header: a K0 row goes
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=7), ending=st.sampled_from(["\n", "\r\n", "\r"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), last_ending=st.booleans())
def test_an_uploaded_file_loses_exactly_the_rows_naming_the_key(tmp_path, rows, ending, encoding, last_ending) -> None:
    from loaders.delivered import erase_rows

    case = tmp_path / uuid.uuid4().hex  # one data directory per example
    folder = case / "state" / "uploads" / "u1"
    folder.mkdir(parents=True)
    StagingStore(case).tombstone("person", K0, "erased")
    head = _row_bytes(FLAT_HEADER, ending, encoding)
    chunks: list[tuple[bool, bytes]] = []
    for i, r in enumerate(rows):
        row = victim_row(occurrence_ref=f"NO/70000{i:02d}/24", **K0_ROW) if r["k0"] else flat_row(
            occurrence_ref=f"NO/70000{i:02d}/24", nominal_ref=f"NORY{i:07d}", surname=f"Other{i}")
        if r["accent"]:
            row["forenames"] = "Renée Zoë"
        if r["inner"]:
            row["address"] = f"Flat 1{ending}{row['address']}"
        if r["nul"]:
            row["phone"] = "0770\x00"
        values = [row[c] for c in FLAT_HEADER]
        if r["short"] and not r["nul"]:
            values = values[:5]
        data = _row_bytes(values, ending, "utf-8" if encoding == "utf-8-sig" else encoding)  # one BOM, first
        if i == len(rows) - 1 and not last_ending and not r["blank"]:
            data = data[: -len(ending.encode())]  # no line ending after the last row
        if r["blank"]:
            data += ending.encode()
        named = r["k0"] and (not r["short"] or r["nul"])  # a short row names no column, so no key
        chunks.append((named, data))
    path = folder / "extract.csv"
    path.write_bytes(head + b"".join(c for _, c in chunks))
    before = read_csv(path).parse(FLAT_HEADER)

    (result,) = erase_rows(folder, case)

    expected = head + b"".join(c for named, c in chunks if not named)
    assert path.read_bytes() == expected  # every other row, and the header, byte for byte
    assert result.rows == sum(named for named, _ in chunks)
    text = path.read_bytes().decode(encoding, "surrogateescape")
    if not any(r["k0"] and r["short"] and not r["nul"] for r in rows):
        for what, value in SECRETS.items():
            assert value not in text, what
    after = read_csv(path).parse(FLAT_HEADER)  # the loaders read the rest as they did
    assert len(after.frame) + len(after.malformed) == len(before.frame) + len(before.malformed) - result.rows
    kept = before.frame[before.frame["nominal_ref"] != REF].drop(columns="__line__").reset_index(drop=True)
    assert after.frame.drop(columns="__line__").equals(kept)
    assert erase_rows(folder, case)[0].rows == 0 and path.read_bytes() == expected  # idempotent


# -- the admin API's uploads, ingested, then dots erase: grep every file ----------------------------

def _client(data_dir: Path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from worlds.testing import add_accounts
    from worlds.testing import settings as app_settings

    s = app_settings(data_dir)
    add_accounts(data_dir)
    return TestClient(create_app(data_dir, settings=s))


def _upload(client, files: list[tuple[str, bytes]]) -> str:
    from worlds.testing import bearer

    r = client.post("/admin/uploads", headers=bearer(client, "admin"),
                    params={"purpose": "administration", "reference": "ADM-1"},
                    files=[("files", (name, data, "text/csv")) for name, data in files])
    assert r.status_code == 201, r.text
    return r.json()[0]["id"]


def _job(client, kind: str, upload_ids: list[str]) -> dict:
    from worlds.testing import bearer

    h = bearer(client, "admin")
    r = client.post(f"/admin/jobs/{kind}", headers=h, params={"purpose": "administration", "reference": "ADM-1"},
                    json={"upload_ids": upload_ids})
    assert r.status_code == 202, r.text
    for _ in range(1200):
        status = client.get(f"/admin/jobs/{r.json()['id']}", headers=h).json()
        if status["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert status["status"] == "succeeded", status
    return status["result"]


def _holding(data_dir: Path) -> dict[str, set[str]]:
    """What of K0 each file under the data directory holds, read as bytes (UTF-8 and Windows-1252)."""
    found: dict[str, set[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for what, value in SECRETS.items():
            if value.encode("utf-8") in data or value.encode("utf-16-le") in data:
                found.setdefault(str(path.relative_to(data_dir)), set()).add(what)
    return found


def _sent(ending: str) -> list[list[tuple[str, bytes]]]:
    """Three uploads: K0's rows first in one file, last in another, the only row of a custody file."""
    other = {"nominal_ref": "NORZ0000002", "surname": "Ampersand", "forenames": "Otto"}
    first = [victim_row(occurrence_ref="NO/9100001/24", **K0_ROW),
             flat_row(occurrence_ref="NO/9100001/24", postcode="NE9 9ZZ", **other),
             flat_row(occurrence_ref="NO/9100002/24", nominal_ref="NORZ0000003", surname="Bramble", forenames="Ann")]
    last = [flat_row(occurrence_ref="NO/9100003/24", **other),
            victim_row(occurrence_ref="NO/9100003/24", occurrence_datetime="31/02/2024 20:00", **K0_ROW),
            victim_row(occurrence_ref="NO/9100004/24", **{**K0_ROW, "phone": K0_TEXT["bad_phone"]})]
    only = [custody_row(force="Northumbria", custody_ref="NO/C/24/00001", occurrence_ref="NO/9100001/24",
                        nominal_ref=REF, surname=K0_TEXT["surname"], forenames=K0_TEXT["forenames"],
                        dob=K0_TEXT["dob"], protected_nominal_ref="NORZ0000002",
                        bail_conditions="Not to contact Otto AMPERSAND")]
    return [[("first.csv", _text(FLAT_HEADER, first, ending))], [("last.csv", _text(FLAT_HEADER, last, ending))],
            [("custody.csv", _text(CUSTODY_HEADER, only, ending))]]


def _text(header: list[str], rows: list[dict[str, str]], ending: str) -> bytes:
    return csv_text(header, rows, ending).encode("utf-8")


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_after_erasure_no_file_under_the_data_directory_holds_the_record(tmp_path, ending) -> None:
    from api.config import database_url
    from api.store.db import StewardDecision, Upload, dispose, session_factory

    home = tmp_path / "data"
    with _client(home) as client:
        ids = [_upload(client, files) for files in _sent(ending)]
        result = _job(client, "pipeline", ids)
    assert sum(f["loaded"] for f in result["ingest"]["files"]) >= 5
    held = _holding(home)
    uploads = {p: w for p, w in held.items() if p.startswith("state/uploads/")}
    assert len(uploads) == 3 and all({"surname", "dob", "ref"} <= w for w in uploads.values()), held  # can fail
    with session_factory(database_url(home)).begin() as session:  # a steward's note about her, among others
        for i in range(20):
            session.add(StewardDecision(kind="pair", record_key_l=f"Durham/D{i}", record_key_r=f"Durham/E{i}",
                                        decision="same", note=f"note {i} on another pair", decided_by="s1"))
        session.add(StewardDecision(kind="pair", record_key_l="Northumbria/NORZ0000002", record_key_r=K0,
                                    decision="not_same", note=f"{K0_TEXT['surname']} lives at {K0_TEXT['address']}",
                                    decided_by="s1"))
    dispose(database_url(home))

    proc = dots("erase", K0, "--reason", "recorded in error", "--json", home=home)
    assert proc.returncode == 0, proc.stderr

    held = _holding(home)
    allowed = {"staging/tombstones.json": {"ref"}, "state/dots.sqlite": {"ref"}, "state/dots.sqlite-wal": {"ref"}}
    leaks = {p: w for p, w in held.items() if not w <= allowed.get(p, set())}
    assert not leaks, leaks
    # every other row is still there, as sent
    for files in _sent(ending):
        for name, data in files:
            (path,) = home.glob(f"state/uploads/*/{name}")
            kept = [line for line in data.decode().splitlines(keepends=True) if REF not in line]
            if name == "custody.csv":
                assert path.read_bytes().decode() == kept[0]  # the header alone
            else:
                assert path.read_bytes().decode() == "".join(kept)
    # the uploads' records agree with their files
    url = database_url(home)
    with session_factory(url)() as session:
        for u in session.query(Upload):
            files = [home / "state" / "uploads" / u.id / n for n in u.filename.split(", ")]
            assert u.size == sum(f.stat().st_size for f in files)
            digests = "".join(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
            assert u.sha256 == hashlib.sha256(digests.encode()).hexdigest()
    dispose(url)
    # ingesting the uploads again brings back nothing, twice over
    parts = sorted(p.path.name for p in StagingStore(home).parts())
    people = staged(home, "person_records")
    with _client_again(home) as client:
        again = _job(client, "ingest", ids)
        assert {f["status"] for f in again["files"]} == {"already loaded"}, again
        assert sorted(p.path.name for p in StagingStore(home).parts()) == parts
        assert staged(home, "person_records") == people
        # an upload sent after the erasure: the loaders skip K0's rows, and the kept copy loses them
        late = _text(FLAT_HEADER, [flat_row(occurrence_ref="NO/9100009/24", nominal_ref="NORZ0000004", surname="Late"),
                                   victim_row(occurrence_ref="NO/9100009/24", **K0_ROW)], ending)
        late_id = _upload(client, [("late.csv", late)])
        (result,) = _job(client, "ingest", [late_id])["files"]
        assert (result["loaded"], result["erased"]) == (1, 1), result
    (path,) = home.glob(f"state/uploads/{late_id}/late.csv")
    assert path.read_bytes() == late.split(ending.encode())[0] + ending.encode() + late.split(ending.encode())[1] \
        + ending.encode()
    assert not {p: w for p, w in _holding(home).items() if not w <= allowed.get(p, set())}


def _client_again(data_dir: Path):
    """The app on the same data directory and state store (accounts kept)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.config import Settings, database_url

    return TestClient(create_app(data_dir, settings=Settings(data_dir=data_dir, database_url=database_url(data_dir))))


# -- the rows delivered by upload: the erasure leaves what a run never given them leaves -----------

@pytest.mark.parametrize("which", ["hand-written person", "relational person"])
def test_erasing_uploaded_rows_leaves_the_state_of_a_run_never_given_them(which, extracts, tmp_path) -> None:  # noqa: F811
    """K0's rows are the first of a shared occurrence (its postcode came from K0's row), and a
    relational folder's rows are found through its lookups (involvements name a person by id)."""
    from api.store.erasure import forget_uploads

    home = tmp_path / "home"
    uploads = home / "state" / "uploads"
    for i, source in enumerate(sorted(extracts.iterdir())):
        target = uploads / f"u{i:02d}"
        target.mkdir(parents=True)
        if source.is_dir():
            shutil.copytree(source, target / source.name)
        else:
            shutil.copy(source, target / source.name)
    folders = sorted(uploads.iterdir())
    pipeline.run(home, folders, fork=False)
    people = StagingStore(home).read("person_records")
    key = K0 if which == "hand-written person" else sorted(people.loc[people["profile"] == "rms-relational",
                                                                      "record_key"])[0]
    answer = pipeline.erase(home, key, fork=False, forget=lambda gone: forget_uploads(home))
    before, removed = fresh(tmp_path, extracts, key)
    assert removed >= (4 if key == K0 else 2)
    assert answer["state"] == {"upload_rows": removed, "uploads_unread": 0}
    assert partition(home) == partition(before)
    for table in ("person_records", "involvements", "events", "addresses", "warnings"):
        assert _content(home, table) == _content(before, table), table
    with embedded(home) as ga, embedded(before) as gb:
        assert answers(ga, home) == answers(gb, before)
        assert _events(ga) == _events(gb)  # every occurrence, as a run never given the rows has it
    # the rewritten uploads, ingested afresh, stage what the erased data directory holds
    again = tmp_path / "again"
    pipeline.ingest(again, folders)
    for table in ("person_records", "involvements", "events", "warnings"):
        assert _content(again, table) == _content(home, table), table


def _events(g) -> list[str]:
    props = [p for p in NODES["Event"].props if p != "record_keys"]
    q = "MATCH (e:Event) RETURN e.record_keys AS keys, " + ", ".join(f"e.{p} AS {p}" for p in props)
    return sorted(repr((sorted(r.pop("keys")), sorted(r.items()))) for r in g.run(q))


def _content(data_dir: Path, table: str) -> list[tuple]:
    """A staged table without provenance and without the row hash (events: location postcode included)."""
    return staged(data_dir, table)

