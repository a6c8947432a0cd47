"""Small hand-written extracts in each built-in profile, for loader tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

FLAT_HEADER = [
    "force",
    "occurrence_ref",
    "occurrence_datetime",
    "ho_offence_code",
    "offence",
    "da_marker",
    "role",
    "nominal_ref",
    "surname",
    "forenames",
    "dob",
    "sex",
    "address",
    "postcode",
    "relationship_to_suspect",
    "dash_risk",
    "pnc_id",
    "phone",
]


def flat_row(**overrides: str) -> dict[str, str]:
    row = {
        "force": "Northumbria",
        "occurrence_ref": "NO/0003714/19",
        "occurrence_datetime": "05/04/2019 22:47",
        "ho_offence_code": "8/1",
        "offence": "Assault occasioning actual bodily harm",
        "da_marker": "Y",
        "role": "SUSPECT",
        "nominal_ref": "NOR00018472",
        "surname": "Hall",
        "forenames": "David John",
        "dob": "12/03/1984",
        "sex": "M",
        "address": "Flat 23, 144 Park Avenue, Newcastle upon Tyne",
        "postcode": "ne1 4st",
        "relationship_to_suspect": "",
        "dash_risk": "",
        "pnc_id": "",
        "phone": "",
    }
    row.update(overrides)
    return row


def victim_row(**overrides: str) -> dict[str, str]:
    base = flat_row(
        role="VICTIM",
        nominal_ref="NOR00018473",
        forenames="Elizabeth Gemma",
        dob="16/02/1988",
        sex="F",
        relationship_to_suspect="Ex-partner",
        dash_risk="MEDIUM",
    )
    base.update(overrides)
    return base


def csv_text(header: list[str], rows: list[dict[str, str]], newline: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_flat(
    path: Path,
    rows: list[dict[str, str]],
    encoding: str = "utf-8",
    newline: str = "\n",
    header: list[str] | None = None,
) -> Path:
    path.write_bytes(csv_text(header or FLAT_HEADER, rows, newline).encode(encoding))
    return path


PERSONS_HEADER = [
    "person_id",
    "force",
    "full_name",
    "aliases",
    "date_of_birth",
    "gender",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "pnc_number",
    "phone",
]
INCIDENTS_HEADER = [
    "incident_id",
    "force",
    "reported_at",
    "offence_code",
    "offence_description",
    "domestic",
    "risk_grade",
    "location_postcode",
]
INVOLVEMENTS_HEADER = ["incident_id", "person_id", "involvement", "relationship"]


def write_relational(folder: Path, extra_involvements: list[dict[str, str]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    persons = [
        {
            "person_id": "MET00000063",
            "force": "Metropolitan",
            "full_name": "WOOD, Iain Paul",
            "aliases": "WOOD, Ian; WOODS, Iain",
            "date_of_birth": "1980-04-27",
            "gender": "Male",
            "address_line_1": "12 Acacia Road",
            "address_line_2": "",
            "town": "London",
            "postcode": "SW1A1AA",
            "pnc_number": "",
            "phone": "020 7946 0018",
        },
        {
            "person_id": "MET00000064",
            "force": "Metropolitan",
            "full_name": "SMITH, Jane",
            "aliases": "",
            "date_of_birth": "",
            "gender": "Female",
            "address_line_1": "12 Acacia Road",
            "address_line_2": "",
            "town": "London",
            "postcode": "SW1A 1AA",
            "pnc_number": "",
            "phone": "",
        },
    ]
    incidents = [
        {
            "incident_id": "INC1",
            "force": "Metropolitan",
            "reported_at": "2023-06-01T21:15:00",
            "offence_code": "105/1",
            "offence_description": "Common assault",
            "domestic": "true",
            "risk_grade": "high",
            "location_postcode": "SW1A 1AA",
        },
    ]
    involvements = [
        {"incident_id": "INC1", "person_id": "MET00000063", "involvement": "suspect", "relationship": ""},
        {
            "incident_id": "INC1",
            "person_id": "MET00000064",
            "involvement": "victim",
            "relationship": "Partner",
        },
        *(extra_involvements or []),
    ]
    (folder / "persons.csv").write_text(csv_text(PERSONS_HEADER, persons))
    (folder / "incidents.csv").write_text(csv_text(INCIDENTS_HEADER, incidents))
    (folder / "involvements.csv").write_text(csv_text(INVOLVEMENTS_HEADER, involvements))
    return folder


COURT_HEADER = [
    "case_number",
    "court_name",
    "court_type",
    "order_type",
    "made_on",
    "expires_on",
    "respondent_name",
    "respondent_dob",
    "respondent_address",
    "protected_name",
    "protected_dob",
    "protected_address",
    "conditions",
    "power_of_arrest",
]


def court_row(**overrides: str) -> dict[str, str]:
    row = {
        "case_number": "FC202447948",
        "court_name": "Newcastle Family Court",
        "court_type": "Family",
        "order_type": "NON_MOLESTATION",
        "made_on": "27 August 2019",
        "expires_on": "26 August 2020",
        "respondent_name": "David HALL",
        "respondent_dob": "",
        "respondent_address": "144 Park Avenue, Newcastle upon Tyne NE1 4ST",
        "protected_name": "Elizabeth HALL",
        "protected_dob": "16/02/1988",
        "protected_address": "CONFIDENTIAL",
        "conditions": "Must not contact the applicant, directly or indirectly",
        "power_of_arrest": "Yes",
    }
    row.update(overrides)
    return row


def write_court(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(csv_text(COURT_HEADER, rows))
    return path


CUSTODY_HEADER = [
    "force",
    "custody_ref",
    "occurrence_ref",
    "nominal_ref",
    "surname",
    "forenames",
    "dob",
    "sex",
    "pnc_id",
    "arrested_at",
    "offence",
    "ho_offence_code",
    "disposal",
    "bail_until",
    "bail_conditions",
    "authorised_by_rank",
    "protected_nominal_ref",
    "decision",
    "decision_on",
    "decision_rationale",
    "rui_review_on",
]


def custody_row(**overrides: str) -> dict[str, str]:
    row = {
        "force": "Durham",
        "custody_ref": "DU/C/23/01422",
        "occurrence_ref": "DU/0004455/23",
        "nominal_ref": "DUR00012345",
        "surname": "Hall",
        "forenames": "David John",
        "dob": "12/03/1984",
        "sex": "M",
        "pnc_id": "",
        "arrested_at": "14/04/2023 02:10",
        "offence": "Assault occasioning actual bodily harm",
        "ho_offence_code": "8/1",
        "disposal": "BAIL",
        "bail_until": "14/07/2023",
        "bail_conditions": "Not to contact Jane DOE; not to enter Elm Street",
        "authorised_by_rank": "SERGEANT",
        "protected_nominal_ref": "DUR00012346",
        "decision": "",
        "decision_on": "",
        "decision_rationale": "",
        "rui_review_on": "",
    }
    row.update(overrides)
    return row


NOTICE_HEADER = [
    "force",
    "notice_ref",
    "notice_type",
    "served_at",
    "authorised_by_rank",
    "subject_nominal_ref",
    "subject_surname",
    "subject_forenames",
    "subject_dob",
    "protected_nominal_ref",
    "protected_surname",
    "protected_forenames",
    "protected_dob",
    "premises",
    "application_made_at",
    "hearing_at",
    "hearing_outcome",
]


def notice_row(**overrides: str) -> dict[str, str]:
    row = {
        "force": "Durham",
        "notice_ref": "DU/DVPN/23/0042",
        "notice_type": "DVPN",
        "served_at": "14/04/2023 18:30",
        "authorised_by_rank": "SUPERINTENDENT",
        "subject_nominal_ref": "DUR00012345",
        "subject_surname": "Hall",
        "subject_forenames": "David John",
        "subject_dob": "12/03/1984",
        "protected_nominal_ref": "DUR00012346",
        "protected_surname": "Doe",
        "protected_forenames": "Jane",
        "protected_dob": "16/02/1988",
        "premises": "12 Elm Street, Durham DH1 4AB",
        "application_made_at": "15/04/2023 09:10",
        "hearing_at": "15/04/2023 14:00",
        "hearing_outcome": "ORDER_MADE",
    }
    row.update(overrides)
    return row


REFERRAL_HEADER = [
    "force",
    "referral_ref",
    "occurrence_ref",
    "notice_ref",
    "nominal_ref",
    "surname",
    "forenames",
    "dob",
    "service",
    "sent_at",
    "outcome",
    "child_forenames",
    "child_surname",
    "child_dob",
    "school",
]


def referral_row(**overrides: str) -> dict[str, str]:
    row = {
        "force": "Durham",
        "referral_ref": "DU/R/23/00017",
        "occurrence_ref": "DU/0004455/23",
        "notice_ref": "",
        "nominal_ref": "DUR00012346",
        "surname": "Doe",
        "forenames": "Jane",
        "dob": "16/02/1988",
        "service": "SCHOOL",
        "sent_at": "14/04/2023 08:40",
        "outcome": "",
        "child_forenames": "Amy",
        "child_surname": "Doe",
        "child_dob": "03/09/2014",
        "school": "Belmont Primary School",
    }
    row.update(overrides)
    return row


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_text(header, rows).encode(encoding))
    return path
