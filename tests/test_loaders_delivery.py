"""Loaders against deliveries nobody shaped for them: encodings, byte-order marks, line endings,
row orders, NUL and stray bytes, duplicate record keys (#15 item 6).

Property tests draw the rows and the variant; the promises are that a variant of one extract is
the same content (it changes nothing), that a bad byte costs its own row and nothing else, and
that no name is ever read in the wrong encoding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from extract_fixtures import FLAT_HEADER, csv_text, flat_row, victim_row, write_flat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.ingest import ingest_paths
from staging.store import StagingStore
from synth.generate import generate

PROVENANCE = ["source_file", "source_line", "extract_id", "row_hash", "loaded_at"]
# Windows-1252 can hold every one of these, so the same rows can be delivered in either encoding.
SURNAMES = ["Zoë", "Seán", "Müller", "Núñez", "O'Brien", "Çelik", "Ødegård", "Hall", "Þórsdóttir"]
FORENAMES = ["Anaïs", "José", "Renée", "David John", "Chloé", "Björn", "Élodie"]
ADDRESSES = ["1 High St", 'Flat 2, "The Maltings",\nMill Lane', "9 Rue Saint-Honoré, Dover", "3 Low Rd"]
PLACEHOLDER = "\ue000"  # marks where a stray byte goes once the text is encoded
STRAY = [b"\x96", b"\x92", b"\x85"]  # en dash, right quote, ellipsis in Windows-1252; never UTF-8 alone


def _content(data: Path, table: str) -> pd.DataFrame:
    frame = StagingStore(data).read(table).drop(columns=PROVENANCE, errors="ignore")
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


OFFENCES = ["Common assault", "Harassment – course of conduct", "Criminal damage", "Stalking"]


@st.composite
def extracts(draw: st.DrawFn, surnames: list[str] = SURNAMES) -> list[dict[str, str]]:
    n = draw(st.integers(1, 8))
    rows = []
    for i in range(n):
        occurrence = draw(st.integers(0, 3))  # rows of one occurrence agree on what it was
        rows.append(
            flat_row(
                nominal_ref=f"N{i}",
                occurrence_ref=f"OCC/{occurrence}",
                offence=OFFENCES[occurrence],
                surname=draw(st.sampled_from(surnames)),
                forenames=draw(st.sampled_from(FORENAMES)),
                address=draw(st.sampled_from(ADDRESSES)),
            )
        )
    return rows


def _encode(rows: list[dict[str, str]], encoding: str, newline: str, order: list[int]) -> bytes:
    text = csv_text(FLAT_HEADER, [rows[i] for i in order])
    if newline == "\r\n":  # a CRLF system writes CRLF inside quoted fields too
        text = text.replace("\n", "\r\n")
    return text.encode(encoding)


VARIANTS = st.tuples(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), st.sampled_from(["\n", "\r\n"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=extracts(), first=VARIANTS, second=VARIANTS, data=st.data())
def test_a_variant_of_one_extract_is_the_same_content(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]], first, second, data: st.DataObject
) -> None:
    """Another encoding, byte-order mark, line ending or row order: recognised, nothing changes."""
    tmp = tmp_path_factory.mktemp("variant")
    order = data.draw(st.permutations(range(len(rows))))
    a, b = tmp / "a.csv", tmp / "b.csv"
    a.write_bytes(_encode(rows, *first, list(range(len(rows)))))
    b.write_bytes(_encode(rows, *second, list(order)))
    [ra] = ingest_paths([a], tmp / "d")
    before = {t: _content(tmp / "d", t) for t in ("person_records", "events", "involvements", "warnings")}
    [rb] = ingest_paths([b], tmp / "d")
    assert (ra.status, rb.status) == ("loaded", "already loaded")
    assert (rb.path, rb.rows_read, rb.loaded) == (str(b), ra.rows_read, ra.loaded)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, _content(tmp / "d", table))
    # and each variant alone stages the same content, names as written
    ingest_paths([b], tmp / "only-b")
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, _content(tmp / "only-b", table))
    people = _content(tmp / "d", "person_records")
    assert set(people.surname) == {r["surname"] for r in rows}
    assert set(people.address_raw) == {r["address"] for r in rows}  # CRLF inside a field read as LF


HEADER_SPELLINGS = {"as written": str, "upper": str.upper, "title": str.title, "padded": lambda h: f" {h} "}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=extracts(), variant=VARIANTS, spelling=st.sampled_from(list(HEADER_SPELLINGS)), data=st.data())
def test_the_same_extract_with_its_columns_in_another_order_is_the_same_content(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]], variant, spelling: str,
    data: st.DataObject,
) -> None:
    """Columns in another order, the header in another case or padded, and another encoding or
    line ending: recognised as the extract already staged. Another column order was a second
    delivery of every row (each person, event and involvement staged twice)."""
    tmp = tmp_path_factory.mktemp("columns")
    columns = data.draw(st.permutations(FLAT_HEADER))
    a, b = tmp / "a.csv", tmp / "b.csv"
    a.write_bytes(_encode(rows, "utf-8", "\n", list(range(len(rows)))))
    header, body = csv_text(list(columns), rows).split("\n", 1)
    text = ",".join(HEADER_SPELLINGS[spelling](h) for h in header.split(",")) + "\n" + body
    b.write_bytes(text.replace("\n", variant[1]).encode(variant[0]))  # CRLF inside fields too, as a CRLF system
    [ra] = ingest_paths([a], tmp / "d")
    before = {t: _content(tmp / "d", t) for t in ("person_records", "events", "involvements")}
    [rb] = ingest_paths([b], tmp / "d")
    assert (ra.status, rb.status) == ("loaded", "already loaded"), (rb, columns)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, _content(tmp / "d", table))
    assert len(list(StagingStore(tmp / "d").parts())) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=extracts([s for s in SURNAMES if not s.isascii()]), data=st.data())
def test_a_bad_byte_costs_its_own_row_only(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]], data: st.DataObject
) -> None:
    """NUL bytes and stray Windows-1252 bytes at random places in a UTF-8 file: their rows are
    quarantined naming the field; every other row loads with its names read as UTF-8."""
    tmp = tmp_path_factory.mktemp("bytes")
    columns = ["surname", "forenames", "address", "offence", "postcode", "phone"]
    hits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(columns), st.sampled_from(["nul", "stray"])),
            max_size=len(rows),
        )
    )
    strays = iter(data.draw(st.lists(st.sampled_from(STRAY), min_size=len(hits), max_size=len(hits))))
    bad_rows: dict[int, set[str]] = {}
    for i, column, kind in hits:
        value = rows[i][column]
        at = data.draw(st.integers(0, len(value)))
        rows[i][column] = value[:at] + ("\x00" if kind == "nul" else PLACEHOLDER) + value[at:]
        bad_rows.setdefault(i, set()).add(column)
    encoded = csv_text(FLAT_HEADER, rows).encode("utf-8")
    while PLACEHOLDER.encode() in encoded:
        encoded = encoded.replace(PLACEHOLDER.encode(), next(strays), 1)
    f = tmp / "f.csv"
    f.write_bytes(encoded)
    [result] = ingest_paths([f], tmp / "d")
    assert result.status == "loaded"
    n, bad = len(rows), len(bad_rows)
    assert (result.rows_read, result.loaded, result.quarantined) == (n, n - bad, bad)
    quarantine = StagingStore(tmp / "d").read("quarantine")
    by_ref = {json.loads(q.raw)["nominal_ref"]: q for q in quarantine.itertuples()}
    assert set(by_ref) == {f"N{i}" for i in bad_rows}
    for i, hit in bad_rows.items():
        q = by_ref[f"N{i}"]
        assert q.field == min(hit, key=FLAT_HEADER.index)  # the first bad field in header order
        assert ("NUL byte" in q.reason) or ("is not utf-8 (file read as utf-8)" in q.reason)
        assert "\x00" not in q.raw and "\\x" in q.raw  # stored readable: \x00, \x96
    people = StagingStore(tmp / "d").read("person_records")
    expected = {f"Northumbria/N{i}": r["surname"] for i, r in enumerate(rows) if i not in bad_rows}
    assert dict(zip(people.record_key, people.surname, strict=True)) == expected


def test_utf8_file_with_one_windows_1252_byte_is_read_as_utf8(tmp_path: Path) -> None:
    rows = [
        flat_row(surname="Zoë", nominal_ref="A"),
        victim_row(forenames="Seán", nominal_ref="B", offence="Assault PLACE occasioning harm"),
        flat_row(surname="Ødegård", nominal_ref="C", occurrence_ref="X/1"),
    ]
    f = tmp_path / "f.csv"
    f.write_bytes(csv_text(FLAT_HEADER, rows).encode("utf-8").replace(b"PLACE", b"\x96"))
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.loaded, result.quarantined) == (2, 1)
    people = StagingStore(tmp_path / "d").read("person_records")
    assert set(people.surname) == {"Zoë", "Ødegård"}  # not "ZoÃ«" (the whole file read as cp1252)
    [q] = StagingStore(tmp_path / "d").read("quarantine").itertuples()
    assert (q.source_line, q.field) == (3, "offence")
    assert q.reason == "byte 0x96 in field 'offence' is not utf-8 (file read as utf-8)"
    assert json.loads(q.raw)["offence"] == "Assault \\x96 occasioning harm"


def test_genuine_windows_1252_file_is_still_read_as_such(tmp_path: Path) -> None:
    rows = [flat_row(surname="Zoë", offence="Harassment – course of conduct"), victim_row(forenames="Seán")]
    f = write_flat(tmp_path / "f.csv", rows, encoding="cp1252", newline="\r\n")
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.loaded, result.quarantined) == (2, 0)
    people = StagingStore(tmp_path / "d").read("person_records")
    assert set(people.surname) == {"Zoë", "Hall"} and "Seán" in set(people.forenames)
    assert StagingStore(tmp_path / "d").read("events").offence.iloc[0] == "Harassment – course of conduct"


def test_nul_byte_in_one_field_quarantines_that_row_only(tmp_path: Path) -> None:
    rows = [flat_row(), victim_row(address="12 Mill\x00 Lane"), flat_row(nominal_ref="N3", occurrence_ref="Y/2")]
    f = write_flat(tmp_path / "f.csv", rows)
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.status, result.rows_read, result.loaded, result.quarantined) == ("loaded", 3, 2, 1)
    [q] = StagingStore(tmp_path / "d").read("quarantine").itertuples()
    assert (q.source_line, q.field, q.reason) == (3, "address", "NUL byte in field 'address'")


def test_one_record_key_with_two_identities_keeps_both_and_warns(tmp_path: Path) -> None:
    rows = [
        flat_row(),
        flat_row(occurrence_ref="X/2"),  # the same nominal again: the same identity, no warning
        flat_row(occurrence_ref="X/3", surname="Smith", forenames="Jane", dob="01/01/1990"),
        flat_row(occurrence_ref="X/4", dob=""),  # a blank date of birth is not another identity
    ]
    f = write_flat(tmp_path / "f.csv", rows)
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.loaded, result.quarantined, result.warnings) == (4, 0, 1)
    people = StagingStore(tmp_path / "d").read("person_records")
    assert (people.record_key == "Northumbria/NOR00018472").sum() == 4
    [w] = StagingStore(tmp_path / "d").read("warnings").itertuples()
    assert (w.source_line, w.field, w.record_key) == (4, "record_key", "Northumbria/NOR00018472")
    assert w.raw == "Jane Smith 01/01/1990"
    assert "line 2" in w.reason


@pytest.fixture(scope="module")
def synth_extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, people=400, seed=3)
    shutil.rmtree(out / "truth")
    return out


def test_synthetic_extracts_redelivered_in_other_bytes_change_nothing(synth_extracts: Path, tmp_path: Path) -> None:
    """#15: a BOM dropped, CRLF for LF, Windows-1252 re-sent as UTF-8: the staged records stay as they were."""
    data = tmp_path / "d"
    first = ingest_paths([synth_extracts], data)
    assert all(r.status == "loaded" for r in first)
    before = {t: _content(data, t) for t in ("person_records", "events", "orders", "quarantine", "warnings")}
    again = tmp_path / "again"
    for src in synth_extracts.rglob("*.csv"):
        dst = again / src.relative_to(synth_extracts)
        dst.parent.mkdir(parents=True, exist_ok=True)
        raw = src.read_bytes()
        text = raw.decode("utf-8-sig") if not src.name.startswith("cleveland") else raw.decode("cp1252")
        crlf = b"\r\n" in raw
        text = text.replace("\r\n", "\n") if crlf else text.replace("\n", "\r\n")
        dst.write_bytes(text.encode("utf-8"))  # no BOM, the other line ending, always UTF-8
    second = ingest_paths([again], data)
    assert [r.status for r in second] == ["already loaded"] * len(first)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, _content(data, table))
