"""Loaders: every profile, encodings, quarantine reasons, mapping files, idempotence and resume."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from extract_fixtures import (
    CUSTODY_HEADER,
    FLAT_HEADER,
    NOTICE_HEADER,
    REFERRAL_HEADER,
    court_row,
    custody_row,
    flat_row,
    notice_row,
    referral_row,
    victim_row,
    write_court,
    write_flat,
    write_relational,
    write_rows,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.ingest import IngestError, ingest_paths
from reference.forces import lookup_force
from staging.store import StagingStore
from worlds.testing import dots as run_dots

ROOT = Path(__file__).resolve().parents[1]


def staged(data: Path, table: str) -> pd.DataFrame:
    return StagingStore(data).read(table)


def test_flat_profile_is_detected_and_standardised(tmp_path: Path) -> None:
    f = write_flat(tmp_path / "northumbria.csv", [flat_row(pnc_id="2006/8348013T"), victim_row()])
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.profile, result.rows_read, result.loaded, result.quarantined) == ("rms-flat", 2, 2, 0)
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    suspect = people.loc["Northumbria/NOR00018472"]
    assert suspect.force_code == lookup_force("Northumbria").code
    assert (suspect.surname, suspect.forenames) == ("Hall", "David John")
    assert (suspect.surname_norm, suspect.forename_norm, suspect.middle_norm) == ("HALL", "DAVID", "JOHN")
    assert suspect.dob == pd.Timestamp("1984-03-12")
    assert suspect.postcode == "NE1 4ST"
    assert suspect.pnc == "2006/8348013T" and suspect.pnc_valid
    assert suspect.source_line == 2 and suspect.source_file == str(f)
    address = staged(tmp_path / "d", "addresses").set_index("record_key").loc["Northumbria/NOR00018472"]
    assert (address.postcode, address.postcode_district, address.postcode_sector) == ("NE1 4ST", "NE1", "NE1 4")
    assert address.seen_on == pd.Timestamp("2019-04-05")
    events = staged(tmp_path / "d", "events")
    assert len(events) == 1  # two rows, one occurrence
    event = events.iloc[0]
    assert event.event_key == "Northumbria/NO/0003714/19"
    assert event.occurred_at == pd.Timestamp("2019-04-05 22:47")
    assert event.ho_code == "8/1" and event.da_marker and event.da_relevant
    inv = staged(tmp_path / "d", "involvements").set_index("record_key")
    assert inv.loc["Northumbria/NOR00018473", "role"] == "victim"
    assert inv.loc["Northumbria/NOR00018473", "relationship"] == "intimate"
    assert inv.loc["Northumbria/NOR00018473", "dash_risk"] == "medium"


def test_bad_pnc_is_kept_as_text_and_flagged(tmp_path: Path) -> None:
    f = write_flat(tmp_path / "f.csv", [flat_row(pnc_id="2006/8348013Y")])
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.loaded, result.quarantined, result.warnings) == (1, 0, 1)
    row = staged(tmp_path / "d", "person_records").iloc[0]
    assert row.pnc_raw == "2006/8348013Y" and row.pnc is None and not row.pnc_valid
    [warning] = staged(tmp_path / "d", "warnings").itertuples()
    assert (warning.source_file, warning.source_line, warning.field) == (str(f), 2, "pnc_id")
    assert (warning.raw, warning.record_key) == ("2006/8348013Y", "Northumbria/NOR00018472")
    assert warning.reason == "bad PNC ID check letter '2006/8348013Y' (expected T)"


@pytest.mark.parametrize(
    ("override", "field", "reason_part"),
    [
        ({"dob": "31/02/1984"}, "dob", "impossible date '31/02/1984'"),
        ({"dob": "1974-15-11"}, "dob", "unreadable date '1974-15-11'"),
        ({"dob": "16/02/2188"}, "dob", "in the future"),
        ({"dob": "16/02/1788"}, "dob", "before 1900"),
        ({"dob": "sixteenth"}, "dob", "unreadable date"),
        ({"pnc_id": "PNC?"}, "pnc_id", "bad PNC ID format 'PNC?'"),
        ({"phone": "0191 12"}, "phone", "invalid phone number '0191 12'"),
        ({"postcode": "NE99 9Q"}, "postcode", "malformed postcode 'NE99 9Q'"),
    ],
)
def test_a_value_the_record_can_do_without_is_set_aside_with_a_warning(
    tmp_path: Path, override: dict, field: str, reason_part: str
) -> None:
    """#14: the row loads, the raw text is kept, the field is empty, a warning names it."""
    f = write_flat(tmp_path / "f.csv", [victim_row(), flat_row(**override)])
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.rows_read, result.loaded, result.quarantined, result.warnings) == (2, 2, 0, 1)
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    suspect = people.loc["Northumbria/NOR00018472"]
    raw_column, value_column = {
        "dob": ("dob_raw", "dob"),
        "pnc_id": ("pnc_raw", "pnc"),
        "phone": ("phone_raw", "phone"),
        "postcode": ("postcode_raw", "postcode"),
    }[field]
    assert suspect[raw_column] == override[field] and pd.isna(suspect[value_column])
    [warning] = staged(tmp_path / "d", "warnings").itertuples()
    assert (warning.source_line, warning.field, warning.raw) == (3, field, override[field])
    assert reason_part in warning.reason and warning.record_key == "Northumbria/NOR00018472"
    assert staged(tmp_path / "d", "quarantine").empty


_DOB_TEXT = st.one_of(
    st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2200, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999)).map(
        "{0[0]:02d}/{0[1]:02d}/{0[2]:04d}".format
    ),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dob=_DOB_TEXT)
def test_any_date_of_birth_keeps_the_record(tmp_path_factory: pytest.TempPathFactory, dob: str) -> None:
    """Whatever is typed as a date of birth, the person record loads; an unusable one warns."""
    tmp = tmp_path_factory.mktemp("dob")
    f = write_flat(tmp / "f.csv", [flat_row(dob=dob)])
    [result] = ingest_paths([f], tmp / "d")
    assert (result.loaded, result.quarantined) == (1, 0)
    row = staged(tmp / "d", "person_records").iloc[0]
    warnings = staged(tmp / "d", "warnings")
    written = dob.strip()
    assert row.dob_raw == (written or None)
    try:
        parsed = dt.datetime.strptime(written, "%d/%m/%Y").date()
        usable = dt.date(1900, 1, 1) <= parsed <= dt.date.today()
    except ValueError:
        usable = False
    if usable:
        assert row.dob.date() == parsed and warnings.empty
    else:
        assert pd.isna(row.dob)
        assert len(warnings) == (1 if written else 0)
        if written:
            assert (warnings.iloc[0].field, warnings.iloc[0].raw) == ("dob", written)


def test_warnings_in_every_profile_and_none_for_quarantined_rows(tmp_path: Path) -> None:
    """Relational persons and both court parties keep their records; a quarantined row warns nothing."""
    folder = write_relational(tmp_path / "met")
    persons = folder / "persons.csv"
    persons.write_text(persons.read_text().replace("1980-04-27", "1980-27-04"))
    court = write_court(tmp_path / "court.csv", [court_row(respondent_dob="30/02/1980", protected_dob="1/1/3000")])
    flat = write_flat(tmp_path / "f.csv", [flat_row(role="SUSPCT", dob="99/99/1999", phone="nope")])
    results = {Path(r.path).name: r for r in ingest_paths([folder, court, flat], tmp_path / "d")}
    assert (results["persons.csv"].loaded, results["persons.csv"].warnings) == (2, 1)
    assert (results["court.csv"].loaded, results["court.csv"].warnings) == (1, 2)
    assert (results["f.csv"].quarantined, results["f.csv"].warnings) == (1, 0)
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    wood = people.loc["Metropolitan/MET00000063"]
    assert pd.isna(wood.dob) and wood.dob_raw == "1980-27-04"
    assert wood.dob_swapped == pd.Timestamp("1980-04-27")  # day and month the wrong way round
    assert pd.isna(people.loc["FC202447948/respondent", "dob_swapped"])  # 02/30 is no date either
    warnings = staged(tmp_path / "d", "warnings")
    assert set(zip(warnings.record_key, warnings.field, strict=True)) == {
        ("Metropolitan/MET00000063", "date_of_birth"),
        ("FC202447948/respondent", "respondent_dob"),
        ("FC202447948/protected", "protected_dob"),
    }
    assert not warnings.raw.str.contains("CONFIDENTIAL").any()


def test_relational_folder(tmp_path: Path) -> None:
    folder = write_relational(
        tmp_path / "met",
        extra_involvements=[
            {
                "incident_id": "INC404",
                "person_id": "MET00000063",
                "involvement": "suspect",
                "relationship": "",
            },
        ],
    )
    results = ingest_paths([folder], tmp_path / "d")
    by_file = {Path(r.path).name: r for r in results}
    assert set(by_file) == {"persons.csv", "incidents.csv", "involvements.csv"}
    assert all(r.profile == "rms-relational" for r in results)
    assert (by_file["involvements.csv"].rows_read, by_file["involvements.csv"].quarantined) == (3, 1)
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    wood = people.loc["Metropolitan/MET00000063"]
    assert (wood.surname, wood.forenames, wood.forename_norm) == ("WOOD", "Iain Paul", "IAIN")
    assert wood.aliases == "WOOD, Ian; WOODS, Iain"
    assert wood.sex == "M" and wood.postcode == "SW1A 1AA" and wood.phone == "+442079460018"
    assert wood.address_raw == "12 Acacia Road, London"
    assert pd.isna(people.loc["Metropolitan/MET00000064", "dob"])
    inv = staged(tmp_path / "d", "involvements")
    assert set(inv.event_key) == {"Metropolitan/INC1"}
    quarantined = staged(tmp_path / "d", "quarantine")
    assert quarantined.iloc[0].reason == "incident_id 'INC404' is not in incidents.csv"
    assert quarantined.iloc[0].source_line == 4


@pytest.mark.parametrize("missing", ["incidents.csv", "persons.csv", "both"])
def test_a_relational_file_sent_without_its_siblings_quarantines_its_rows_and_loads_later(
    tmp_path: Path, missing: str
) -> None:
    """An involvements file delivered alone (or without its persons) names no force: every row is
    quarantined with the sibling it needs, never an internal error; the whole folder delivered
    later loads them."""
    folder = write_relational(tmp_path / "met")
    alone = tmp_path / "alone"
    alone.mkdir()
    gone = {"incidents.csv", "persons.csv"} if missing == "both" else {missing}
    for f in folder.iterdir():
        if f.name not in gone:
            (alone / f.name).write_bytes(f.read_bytes())
    results = {Path(r.path).name: r for r in ingest_paths([alone], tmp_path / "d")}
    inv = results["involvements.csv"]
    assert inv.status == "loaded" and inv.loaded == 0 and inv.quarantined == inv.rows_read == 2
    reasons = set(staged(tmp_path / "d", "quarantine")["reason"])
    assert all(any(name in r for r in reasons) for name in gone), reasons
    later = {Path(r.path).name: r for r in ingest_paths([folder], tmp_path / "d")}
    assert later["involvements.csv"].loaded == 2
    assert set(staged(tmp_path / "d", "involvements")["event_key"]) == {"Metropolitan/INC1"}


def test_court_orders(tmp_path: Path) -> None:
    f = write_court(
        tmp_path / "court.csv",
        [
            court_row(),
            court_row(
                case_number="FC2",
                expires_on="Until further order",
                respondent_name="SMITH David",
                respondent_dob="12/03/1984",
                protected_address="3 Low Street, Sunderland SR1 1AA",
            ),
        ],
    )
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.profile, result.loaded) == ("court-orders", 2)
    orders = staged(tmp_path / "d", "orders").set_index("order_key")
    first = orders.loc["FC202447948"]
    assert first.made_on == pd.Timestamp("2019-08-27") and first.expires_on == pd.Timestamp("2020-08-26")
    assert first.respondent_key == "FC202447948/respondent" and first.protected_key == "FC202447948/protected"
    assert first.power_of_arrest and first.court_type == "family" and not first.until_further_order
    assert orders.loc["FC2"].until_further_order and pd.isna(orders.loc["FC2"].expires_on)
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    assert len(people) == 4
    respondent = people.loc["FC202447948/respondent"]
    assert (respondent.forenames, respondent.surname, respondent.postcode) == ("David", "HALL", "NE1 4ST")
    assert pd.isna(respondent.force_code) and respondent.source_system == "court"
    assert (people.loc["FC2/respondent"].surname, people.loc["FC2/respondent"].forenames) == (
        "SMITH",
        "David",
    )
    protected = people.loc["FC202447948/protected"]
    assert protected.confidential_address and protected.address_raw is None and protected.postcode is None
    addresses = staged(tmp_path / "d", "addresses")
    assert "CONFIDENTIAL" not in set(addresses.address_raw.dropna())
    assert addresses.set_index("record_key").loc["FC202447948/protected", "confidential"]


def test_windows_1252_bom_crlf_quoted_newlines_and_extra_columns(tmp_path: Path) -> None:
    header = [*FLAT_HEADER, "custody_photo_ref"]
    rows = [
        flat_row(forenames="Zoë", surname="O'Brien", custody_photo_ref="IMG1"),
        victim_row(address='Flat 2, "The Maltings",\nMill Lane, Hexham', custody_photo_ref=""),
        victim_row(nominal_ref="NOR9", role="SUSPCT", custody_photo_ref=""),
    ]
    cp = write_flat(tmp_path / "cp1252.csv", rows, encoding="cp1252", newline="\r\n", header=header)
    bom = write_flat(
        tmp_path / "bom.csv", [flat_row(forenames="Seán", occurrence_ref="X2")], encoding="utf-8-sig"
    )
    results = ingest_paths([cp, bom], tmp_path / "d")
    assert [(r.rows_read, r.loaded, r.quarantined) for r in results] == [(3, 2, 1), (1, 1, 0)]
    people = staged(tmp_path / "d", "person_records")
    assert set(people.forenames) >= {"Zoë", "Seán", "Elizabeth Gemma"}
    assert set(people.forename_norm) >= {"ZOE", "SEAN"}
    assert "OBRIEN" in set(people.surname_norm)
    victim = people[people.forenames == "Elizabeth Gemma"].iloc[0]
    assert victim.address_raw == 'Flat 2, "The Maltings",\nMill Lane, Hexham'
    assert json.loads(people[people.forenames == "Zoë"].iloc[0].extra) == {"custody_photo_ref": "IMG1"}
    q = staged(tmp_path / "d", "quarantine").iloc[0]
    assert q.source_line == 5  # the quoted newline pushes the third record to physical line 5
    assert (q.field, q.reason) == ("role", "unknown role 'SUSPCT'")


@pytest.mark.parametrize(
    ("override", "field", "reason_part"),
    [
        ({"occurrence_datetime": "32/01/2019 10:00"}, "occurrence_datetime", "impossible date"),
        ({"surname": "", "forenames": ""}, None, "no name"),
        ({"role": "SUSPCT"}, "role", "unknown role"),
        ({"address": "x" * 5000}, "address", "over 4000 characters"),
        ({"nominal_ref": ""}, "nominal_ref", "is blank"),
        ({"force": "Gotham City"}, "force", "unknown force"),
        ({"occurrence_datetime": ""}, "occurrence_datetime", "blank"),
    ],
)
def test_each_quarantine_reason(tmp_path: Path, override: dict, field: str | None, reason_part: str) -> None:
    f = write_flat(tmp_path / "f.csv", [victim_row(), flat_row(**override)])
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.rows_read, result.loaded, result.quarantined) == (2, 1, 1)
    q = staged(tmp_path / "d", "quarantine").iloc[0]
    assert q.source_file == str(f) and q.source_line == 3
    assert reason_part in q.reason
    if field:
        assert q.field == field
    assert json.loads(q.raw)["occurrence_ref"] == "NO/0003714/19"


def test_wrong_field_count_is_quarantined(tmp_path: Path) -> None:
    f = write_flat(tmp_path / "f.csv", [flat_row()])
    with open(f, "a") as fh:
        fh.write("Northumbria,too,few\n")
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.rows_read, result.loaded, result.quarantined) == (2, 1, 1)
    assert "3 fields, header has 18" in staged(tmp_path / "d", "quarantine").iloc[0].reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"force,occurrence_ref,nominal_ref,role,relationship_to_suspect\nX,Y,Z,VICTIM,\n",
            "missing required column",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "NUL bytes"),
        (b"force,sur\x81name\nNorthumbria,x\n", "undecodable byte"),
        ("force,surname\n".encode("utf-16"), "NUL bytes"),
        (b"", "empty file"),
        (b"colour,size\nred,big\n", "matches none of"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused_whole(
    tmp_path: Path, content: bytes, message: str
) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    good = write_flat(tmp_path / "good.csv", [flat_row()])
    results = {Path(r.path).name: r for r in ingest_paths([f, good], tmp_path / "d")}
    assert results["bad.csv"].status == "refused" and message in results["bad.csv"].error
    assert str(f) in results["bad.csv"].error
    assert results["good.csv"].loaded == 1  # one bad file does not stop the others


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    header = [h for h in FLAT_HEADER if h != "dob"]
    f = write_flat(tmp_path / "f.csv", [{k: v for k, v in flat_row().items() if k != "dob"}], header=header)
    [result] = ingest_paths([f], tmp_path / "d", profile="rms-flat")
    assert result.status == "refused" and "missing required column(s) dob" in result.error


def test_reloading_changes_nothing(tmp_path: Path) -> None:
    f = write_flat(tmp_path / "f.csv", [flat_row(), victim_row(dob="31/02/1988")])
    first = ingest_paths([f], tmp_path / "d")
    before = {t: staged(tmp_path / "d", t) for t in ("person_records", "events", "quarantine")}
    second = ingest_paths([f], tmp_path / "d")
    assert [r.status for r in second] == ["already loaded"]
    assert [(r.rows_read, r.loaded, r.quarantined) for r in first] == [
        (r.rows_read, r.loaded, r.quarantined) for r in second
    ]
    for table, frame in before.items():
        pd.testing.assert_frame_equal(frame, staged(tmp_path / "d", table))


def test_names_are_data_never_code(tmp_path: Path) -> None:
    nasty = "O'Neil'}) DETACH DELETE n //"
    f = write_flat(tmp_path / "f.csv", [flat_row(surname=nasty)])
    ingest_paths([f], tmp_path / "d")
    assert staged(tmp_path / "d", "person_records").iloc[0].surname == nasty


def test_mapping_file_adds_a_source_without_code(tmp_path: Path) -> None:
    mapping = tmp_path / "custody.yaml"
    mapping.write_text("""
name: custody-suite
files:
  - required: [custody_no, arrested, station_force, family_name, given_names, born, gender]
    detect: [custody_no, station_force]
    emit:
      person_records:
        - record_key: {template: "{station_force}/{custody_no}"}
          force: station_force
          name: {surname: family_name, forenames: given_names}
          dob: {column: born, format: "%Y%m%d"}
          sex: {column: gender, values: {man: M, woman: F}}
          seen_on: {column: arrested, format: "%Y%m%d"}
""")
    data = tmp_path / "src.csv"
    data.write_text(
        "custody_no,arrested,station_force,family_name,given_names,born,gender\n"
        "C1,20240101,Durham,Nowak,Piotr,19790230,man\n"
        "C2,20240102,Durham,Nowak,Anna,19810304,woman\n"
    )
    [result] = ingest_paths([data], tmp_path / "d", mapping=mapping)
    assert (result.profile, result.loaded, result.quarantined, result.warnings) == ("custody-suite", 2, 0, 1)
    rows = staged(tmp_path / "d", "person_records").set_index("record_key")
    assert (rows.loc["Durham/C2", "sex"], rows.loc["Durham/C2", "dob"]) == ("F", pd.Timestamp("1981-03-04"))
    assert pd.isna(rows.loc["Durham/C1", "dob"]) and rows.loc["Durham/C1", "dob_raw"] == "19790230"


def test_toml_mapping_and_invalid_mapping(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text("""
name = "tiny"
[[files]]
required = ["ref", "name"]
detect = ["ref", "name"]
[[files.emit.person_records]]
record_key = "ref"
name = {full = "name", style = "forenames_surname"}
""")
    data = tmp_path / "t.csv"
    data.write_text("ref,name\nR1,Mary Ann JONES\n")
    [result] = ingest_paths([data], tmp_path / "d", mapping=toml)
    assert result.loaded == 1
    row = staged(tmp_path / "d", "person_records").iloc[0]
    assert (row.surname, row.forenames) == ("JONES", "Mary Ann")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "name: x\nfiles:\n  - required: [a]\n    emit:\n      person_records:\n        - {record_key: a}\n"
    )
    with pytest.raises(IngestError, match=r"broken.yaml.*required target field\(s\) \['name'\]"):
        ingest_paths([data], tmp_path / "d", mapping=broken)
    with pytest.raises(IngestError, match="unknown profile"):
        ingest_paths([data], tmp_path / "d", profile="nope")


def _state(data: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for table in (
        "person_records",
        "events",
        "involvements",
        "quarantine",
        "warnings",
        "custody_records",
        "bail_periods",
        "custody_decisions",
        "rui_periods",
        "notices",
        "referrals",
    ):
        frame = staged(data, table).drop(columns=["loaded_at"])
        out[table] = frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)
    return out


def test_killed_load_resumes_to_the_uninterrupted_state(tmp_path: Path) -> None:
    src = tmp_path / "extracts"
    src.mkdir()
    for i in range(40):
        rows = [flat_row(occurrence_ref=f"OCC{i}/{j}", nominal_ref=f"N{i}-{j}") for j in range(300)]
        write_flat(src / f"f{i:02}.csv", rows)
    # the clocks' extracts among them (#17): custody with decisions, notices, referrals
    duties = [
        (CUSTODY_HEADER, custody_row, "custody_ref", "surname"),
        (NOTICE_HEADER, notice_row, "notice_ref", "subject_surname"),
        (REFERRAL_HEADER, referral_row, "referral_ref", "surname"),
    ]
    for i, (header, make, ref, name) in enumerate(duties * 2):
        rows = [make(**{ref: f"R{i}/{j}", name: f"Doe{j % 7}"}) for j in range(300)]
        if header is CUSTODY_HEADER:
            rows[::3] = [{**r, "decision": "RUI", "decision_on": "01/06/2023"} for r in rows[::3]]
        write_rows(src / f"f{5 * i + 2:02}-duty.csv", header, rows)
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "dots.cli", "ingest", str(src), "--data-dir", str(killed)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = killed / "staging" / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and not (parts.exists() and any(parts.iterdir())):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(parts.iterdir()))
    assert 0 < done < 46, "the kill should land mid-load"
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    clean = tmp_path / "clean"
    subprocess.run([*cmd[:-1], str(clean)], cwd=ROOT, check=True, capture_output=True)
    a, b = _state(killed), _state(clean)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not any((killed / "staging" / "tmp").iterdir())


def test_cli_ingest_quarantine_and_warnings_json(tmp_path: Path) -> None:
    f = write_flat(tmp_path / "f.csv", [flat_row(dob="12/13/1984"), victim_row(role="")])
    dots = partial(run_dots, home=tmp_path / "home", DOTS_PURPOSE="data_quality", DOTS_REFERENCE="T-1")

    assert json.loads(dots("ingest", str(f), "--json").stdout) == {
        "files": [
            {
                "path": str(f),
                "profile": "rms-flat",
                "rows_read": 2,
                "loaded": 1,
                "quarantined": 1,
                "warnings": 1,
                "erased": 0,  # rows naming an erased record key (dots erase)
                "held_apart": 0,  # immigration values held apart (loaders.firewall)
                "status": "loaded",
                "error": None,
            }
        ]
    }
    [row] = json.loads(dots("quarantine", "--json").stdout)["rows"]
    assert (row["source_file"], row["source_line"], row["field"]) == (str(f), 3, "role")
    [row] = json.loads(dots("warnings", "--json").stdout)["rows"]
    assert (row["source_file"], row["source_line"], row["field"], row["raw"]) == (str(f), 2, "dob", "12/13/1984")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    out = dots("ingest", str(bad))
    assert out.returncode == 1 and "matches none of" in out.stderr


@pytest.mark.parametrize(
    ("name", "columns", "row", "expected"),
    [
        ("{surname: family}", "ref,family", "R1,Nowak", ("Nowak", None)),
        ("{forenames: given}", "ref,given", "R1,Piotr", (None, "Piotr")),
        ("{surname: family, forenames: given}", "ref,family,given", "R1,Nowak,Piotr", ("Nowak", "Piotr")),
    ],
)
def test_a_source_may_name_people_by_one_name_column(tmp_path: Path, name: str, columns: str, row: str,
                                                      expected: tuple) -> None:
    """A court list of surnames only, or a referral with a child's forename only, still loads: the
    name column a source lacks is empty, not a KeyError in the builder."""
    mapping = tmp_path / "one.yaml"
    mapping.write_text(f"name: one\nfiles:\n  - required: [ref]\n    emit:\n      person_records:\n"
                       f"        - {{record_key: ref, name: {name}}}\n")
    data = tmp_path / "one.csv"
    data.write_text(f"{columns}\n{row}\n")
    [result] = ingest_paths([data], tmp_path / "d", mapping=mapping)
    assert (result.loaded, result.quarantined) == (1, 0)
    got = staged(tmp_path / "d", "person_records").iloc[0]
    assert tuple(None if pd.isna(v) else v for v in (got.surname, got.forenames)) == expected


@pytest.mark.parametrize("name", ["family", "{}", "{given: x}", "{full: n, surname: s}", "{style: auto_court}"])
def test_a_name_of_no_known_shape_is_refused_with_the_file_named(tmp_path: Path, name: str) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(f"name: bad\nfiles:\n  - required: [ref]\n    emit:\n      person_records:\n"
                       f"        - {{record_key: ref, name: {name}}}\n")
    data = tmp_path / "bad.csv"
    data.write_text("ref,family,n,s,x\nR1,Nowak,a,b,c\n")
    with pytest.raises(IngestError, match=r"bad.yaml.*'name'"):
        ingest_paths([data], tmp_path / "d", mapping=mapping)
