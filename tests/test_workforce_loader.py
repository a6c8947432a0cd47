"""The ``workforce`` profile (extracts.md §7): officers and staff from HR or professional standards.

Detected from its header in any column order, read with a BOM or CRLF, each row a workforce record
and a person record keyed ``{force}/workforce/{employee_ref}``; warn or quarantine per the conventions
(extracts.md, top); delivered again, nothing changes.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from extract_fixtures import csv_text

from loaders.ingest import ingest_paths
from reference.forces import lookup_force
from staging.store import StagingStore

HEADER = ["force", "employee_ref", "surname", "forenames", "dob", "role", "status", "left_on"]
NORTHUMBRIA = lookup_force("Northumbria").code


def officer(**overrides: str) -> dict[str, str]:
    row = {
        "force": "Northumbria",
        "employee_ref": "4721",
        "surname": "Hall",
        "forenames": "David John",
        "dob": "12/03/1984",
        "role": "OFFICER",
        "status": "SERVING",
        "left_on": "",
    }
    row.update(overrides)
    return row


ROWS = [
    officer(),
    officer(employee_ref="S0913", surname="Black", forenames="Sarah", dob="01/07/1990", role="STAFF"),
    officer(employee_ref="3310", surname="Ward", forenames="Peter", status="SUSPENDED"),
    officer(employee_ref="2208", surname="Grey", forenames="Anne", status="LEFT", left_on="31/01/2022"),
]


def write(
    path: Path, rows: list[dict[str, str]], header: list[str] = HEADER, bom: bool = False, crlf: bool = False
) -> Path:
    text = csv_text(header, rows, "\r\n" if crlf else "\n")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def staged(data: Path, table: str) -> pd.DataFrame:
    return StagingStore(data).read(table)


@pytest.mark.parametrize("variant", ["plain", "shuffled", "bom", "crlf", "bom_crlf"])
def test_workforce_is_detected_and_staged_in_every_shape(tmp_path: Path, variant: str) -> None:
    header = list(HEADER)
    if variant == "shuffled":
        random.Random(7).shuffle(header)
        assert header != HEADER
    f = write(tmp_path / "hr.csv", ROWS, header, bom="bom" in variant, crlf="crlf" in variant)
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.profile, result.rows_read, result.loaded, result.quarantined, result.warnings) == (
        "workforce", 4, 4, 0, 0
    ), result
    wf = staged(tmp_path / "d", "workforce").set_index("record_key")
    assert list(wf.index) == [f"Northumbria/workforce/{r}" for r in ("4721", "S0913", "3310", "2208")]
    assert set(wf["force_code"]) == {NORTHUMBRIA}
    assert wf.loc["Northumbria/workforce/S0913", "role"] == "STAFF"
    assert list(wf["status"]) == ["SERVING", "SERVING", "SUSPENDED", "LEFT"]
    assert wf.loc["Northumbria/workforce/2208", "left_on"] == pd.Timestamp("2022-01-31")
    assert pd.isna(wf.loc["Northumbria/workforce/4721", "left_on"])
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    assert people.loc["Northumbria/workforce/4721", "surname_norm"] == "HALL"
    assert people.loc["Northumbria/workforce/4721", "dob"] == pd.Timestamp("1984-03-12")
    # a workforce record is no event and no involvement: no one is made a suspect or a victim
    assert staged(tmp_path / "d", "involvements").empty and staged(tmp_path / "d", "events").empty


def test_lower_case_values_blank_dob_and_a_leaver(tmp_path: Path) -> None:
    rows = [
        officer(status="serving", role="officer"),
        officer(employee_ref="5001", dob="", status="Suspended"),
        officer(employee_ref="5002", status="left", left_on="03/09/2021"),
    ]
    [result] = ingest_paths([write(tmp_path / "wf.csv", rows)], tmp_path / "d")
    assert (result.loaded, result.quarantined, result.warnings) == (3, 0, 0)
    wf = staged(tmp_path / "d", "workforce")
    assert list(wf["status"]) == ["SERVING", "SUSPENDED", "LEFT"] and list(wf["role"])[0] == "OFFICER"
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    assert pd.isna(people.loc["Northumbria/workforce/5001", "dob"])


def test_bad_rows_warn_or_quarantine_and_nothing_is_lost(tmp_path: Path) -> None:
    rows = [
        officer(),
        officer(employee_ref="6001", role="CONTRACTOR"),  # unknown role: quarantined
        officer(employee_ref="6002", status="RETIRED"),  # unknown status: quarantined
        officer(employee_ref="6003", surname="", forenames=""),  # no name: quarantined
        officer(employee_ref="", surname="Nokey"),  # no key: quarantined
        officer(employee_ref="6005", force="Atlantis"),  # unknown force: quarantined
        officer(employee_ref="6006", dob="31/02/1980"),  # impossible dob: loaded, warned
        officer(employee_ref="6007", status=""),  # blank status: loaded, warned (walled as serving)
        officer(employee_ref="6008", status="LEFT", left_on="32/13/2020"),  # unreadable left_on: warned
        officer(employee_ref="6009", role=""),  # blank role: loaded, warned
    ]
    [result] = ingest_paths([write(tmp_path / "wf.csv", rows)], tmp_path / "d")
    assert result.rows_read == result.loaded + result.quarantined == 10
    assert (result.loaded, result.quarantined, result.warnings) == (5, 5, 4)
    q = staged(tmp_path / "d", "quarantine").set_index("source_line")
    assert set(q.index) == {3, 4, 5, 6, 7}
    assert "CONTRACTOR" in q.loc[3, "reason"] and q.loc[3, "field"] == "role"
    assert "RETIRED" in q.loc[4, "reason"] and q.loc[4, "field"] == "status"
    w = staged(tmp_path / "d", "warnings")
    warned = set(zip(w["source_line"], w["field"], strict=True))
    assert warned == {(8, "dob"), (9, "status"), (10, "left_on"), (11, "role")}
    wf = staged(tmp_path / "d", "workforce").set_index("record_key")
    assert pd.isna(wf.loc["Northumbria/workforce/6007", "status"])
    assert pd.isna(wf.loc["Northumbria/workforce/6008", "left_on"])


def test_a_missing_column_refuses_the_file_by_name(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "surname"]
    rows = [{k: v for k, v in officer().items() if k != "surname"}]
    [result] = ingest_paths([write(tmp_path / "wf.csv", rows, header)], tmp_path / "d", profile="workforce")
    assert result.status == "refused" and "surname" in (result.error or "")


def test_redelivery_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "d"
    ingest_paths([write(tmp_path / "a.csv", ROWS)], data)
    before = {t: staged(data, t) for t in ("workforce", "person_records", "quarantine")}
    again = ingest_paths([write(tmp_path / "b.csv", ROWS, bom=True, crlf=True), write(tmp_path / "a.csv", ROWS)], data)
    assert all(r.status == "already loaded" for r in again), again
    for t, frame in before.items():
        pd.testing.assert_frame_equal(staged(data, t), frame)


def test_an_employee_ref_that_is_also_a_nominal_ref_names_two_records(tmp_path: Path) -> None:
    """Collar number 4721 and the force's nominal 4721 are different records of different people:
    one key for both would make them one record (two identities under one key), whatever linkage
    then decided."""
    rms = tmp_path / "rms.csv"
    rms.write_text(
        "force,occurrence_ref,occurrence_datetime,ho_offence_code,offence,da_marker,role,nominal_ref,surname,"
        "forenames,dob,sex,address,postcode,relationship_to_suspect,dash_risk,pnc_id,phone\n"
        "Northumbria,NO/1/24,01/02/2024 10:00,8/1,Assault,Y,SUSPECT,4721,Stone,Mark,02/02/1979,M,"
        "9 Quay Road Blyth,NE24 2AA,,,,\n",
        encoding="utf-8",
    )
    ingest_paths([rms, write(tmp_path / "hr.csv", ROWS)], tmp_path / "d")
    people = staged(tmp_path / "d", "person_records")
    assert set(people.loc[people["record_key"] == "Northumbria/4721", "surname_norm"]) == {"STONE"}
    assert set(people.loc[people["record_key"] == "Northumbria/workforce/4721", "surname_norm"]) == {"HALL"}
