"""A small, hand-written set of extracts with known answers, run through the real pipeline
(loaders → linkage → graph), for the API's tests and the demo's example requests.

Two forces and a court: David HALL is a serial perpetrator across Northumbria and Durham
(victims Elizabeth WARD, Karen BLACK twice, Susan GREY); a family court's non-molestation order
protects Karen BLACK at a CONFIDENTIAL address and is possibly breached in May 2024. Mark STONE
and Paul REED are one-victim perpetrators; two John SMITH records are a pair for review.
The victims' names, addresses and postcodes are the strings leak tests look for.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from synth.extracts import COURT_COLUMNS, FLAT_COLUMNS

AS_OF = dt.date(2024, 6, 30)
NORTHUMBRIA, DURHAM = "E23000007", "E23000008"
SUBJECT_KEYS = ("Northumbria/NOR1", "Durham/DUR1")
VICTIM_KEYS = ("Northumbria/NOR2", "Northumbria/NOR3", "Durham/DUR2", "FC2023001/protected")
# Everything that identifies HALL's previous victims or where they live: must never appear in a
# disclosure or target-list answer.
VICTIM_STRINGS = (
    "Elizabeth",
    "WARD",
    "Karen",
    "BLACK",
    "Susan",
    "GREY",
    "Rose Street",
    "Elm Grove",
    "Mill Lane",
    "NE8 1AA",
    "SR1 2BB",
    "DH1 3AA",
    "NOR2",
    "NOR3",
    "DUR2",
    "FC2023001/protected",
)

# The extract formats' columns, as the synthetic generator writes them.
FLAT, COURT = FLAT_COLUMNS, COURT_COLUMNS

HALL = {
    "surname": "HALL",
    "forenames": "David John",
    "dob": "12/03/1984",
    "sex": "M",
    "address": "Flat 23, 144 Park Avenue, Newcastle upon Tyne",
    "postcode": "NE1 4ST",
    "pnc_id": "2006/8348013T",
}


def _row(
    force: str,
    occ: str,
    when: str,
    ho: str,
    offence: str,
    role: str,
    ref: str,
    person: dict[str, str],
    relationship: str = "",
    risk: str = "",
) -> dict[str, str]:
    return {
        "force": force,
        "occurrence_ref": occ,
        "occurrence_datetime": when,
        "ho_offence_code": ho,
        "offence": offence,
        "da_marker": "Y",
        "role": role,
        "nominal_ref": ref,
        "surname": person["surname"],
        "forenames": person["forenames"],
        "dob": person.get("dob", ""),
        "sex": person["sex"],
        "address": person.get("address", ""),
        "postcode": person.get("postcode", ""),
        "relationship_to_suspect": relationship,
        "dash_risk": risk,
        "pnc_id": person.get("pnc_id", ""),
        "phone": "",
    }


def extracts() -> dict[str, list[dict[str, str]]]:
    ward = {
        "surname": "WARD",
        "forenames": "Elizabeth",
        "dob": "16/02/1988",
        "sex": "F",
        "address": "7 Rose Street, Gateshead",
        "postcode": "NE8 1AA",
    }
    black = {
        "surname": "BLACK",
        "forenames": "Karen",
        "dob": "01/07/1990",
        "sex": "F",
        "address": "22 Elm Grove, Sunderland",
        "postcode": "SR1 2BB",
    }
    grey = {
        "surname": "GREY",
        "forenames": "Susan",
        "dob": "05/05/1985",
        "sex": "F",
        "address": "3 Mill Lane, Durham",
        "postcode": "DH1 3AA",
    }
    stone = {
        "surname": "STONE",
        "forenames": "Mark",
        "dob": "02/02/1979",
        "sex": "M",
        "address": "9 Quay Road, Blyth",
        "postcode": "NE24 2AA",
    }
    amy = {
        "surname": "STONE",
        "forenames": "Amy",
        "dob": "03/03/1981",
        "sex": "F",
        "address": "9 Quay Road, Blyth",
        "postcode": "NE24 2AA",
    }
    smith_n = {
        "surname": "SMITH",
        "forenames": "John",
        "dob": "01/01/1980",
        "sex": "M",
        "address": "5 Front Street, Morpeth",
        "postcode": "NE61 1AA",
    }
    smith_d = {
        "surname": "SMITH",
        "forenames": "Jon",
        "dob": "01/01/1980",
        "sex": "M",
        "address": "40 North Road, Durham",
        "postcode": "DH1 4SS",
    }
    reed = {
        "surname": "REED",
        "forenames": "Paul",
        "dob": "04/04/1975",
        "sex": "M",
        "address": "12 Bank Top, Darlington",
        "postcode": "DL1 1AA",
    }
    joan = {
        "surname": "REED",
        "forenames": "Joan",
        "dob": "06/06/1977",
        "sex": "F",
        "address": "12 Bank Top, Darlington",
        "postcode": "DL1 1AA",
    }
    nb = "Northumbria"
    northumbria = [
        _row(
            nb,
            "NO/0000001/19",
            "05/04/2019 22:47",
            "8/1",
            "Assault occasioning actual bodily harm",
            "SUSPECT",
            "NOR1",
            HALL,
        ),
        _row(
            nb,
            "NO/0000001/19",
            "05/04/2019 22:47",
            "8/1",
            "Assault occasioning actual bodily harm",
            "VICTIM",
            "NOR2",
            ward,
            "Ex-partner",
            "MEDIUM",
        ),
        _row(nb, "NO/0000002/23", "10/09/2023 21:10", "105/1", "Common assault", "SUSPECT", "NOR1", HALL),
        _row(
            nb,
            "NO/0000002/23",
            "10/09/2023 21:10",
            "105/1",
            "Common assault",
            "VICTIM",
            "NOR3",
            black,
            "Partner",
            "HIGH",
        ),
        _row(
            nb,
            "NO/0000003/24",
            "01/05/2024 23:30",
            "8/1",
            "Assault occasioning actual bodily harm",
            "SUSPECT",
            "NOR1",
            HALL,
        ),
        _row(
            nb,
            "NO/0000003/24",
            "01/05/2024 23:30",
            "8/1",
            "Assault occasioning actual bodily harm",
            "VICTIM",
            "NOR3",
            black,
            "Partner",
            "HIGH",
        ),
        _row(nb, "NO/0000004/24", "01/03/2024 20:00", "105/1", "Common assault", "SUSPECT", "NOR4", stone),
        _row(
            nb,
            "NO/0000004/24",
            "01/03/2024 20:00",
            "105/1",
            "Common assault",
            "VICTIM",
            "NOR5",
            amy,
            "Wife",
            "STANDARD",
        ),
        _row(nb, "NO/0000005/24", "02/02/2024 19:00", "", "Verbal argument", "SUSPECT", "NOR6", smith_n),
    ]
    durham = [
        _row(
            "Durham",
            "DU/0000001/22",
            "14/02/2022 01:15",
            "8/1",
            "Assault occasioning actual bodily harm",
            "SUSPECT",
            "DUR1",
            {**HALL, "forenames": "Dave", "address": "3 Mill Lane, Durham", "postcode": "DH1 3AA"},
        ),
        _row(
            "Durham",
            "DU/0000001/22",
            "14/02/2022 01:15",
            "8/1",
            "Assault occasioning actual bodily harm",
            "VICTIM",
            "DUR2",
            grey,
            "Ex-partner",
            "HIGH",
        ),
        _row("Durham", "DU/0000002/24", "01/06/2024 18:00", "105/1", "Common assault", "SUSPECT", "DUR3", reed),
        _row(
            "Durham",
            "DU/0000002/24",
            "01/06/2024 18:00",
            "105/1",
            "Common assault",
            "VICTIM",
            "DUR4",
            joan,
            "Wife",
            "MEDIUM",
        ),
        _row("Durham", "DU/0000003/24", "03/02/2024 19:00", "", "Verbal argument", "SUSPECT", "DUR5", smith_d),
    ]
    court = [
        {
            "case_number": "FC2023001",
            "court_name": "Sunderland Family Court",
            "court_type": "Family",
            "order_type": "NON_MOLESTATION",
            "made_on": "1 October 2023",
            "expires_on": "30 September 2025",
            "respondent_name": "David HALL",
            "respondent_dob": "12/03/1984",
            "respondent_address": "Flat 23, 144 Park Avenue, Newcastle upon Tyne NE1 4ST",
            "protected_name": "Karen BLACK",
            "protected_dob": "01/07/1990",
            "protected_address": "CONFIDENTIAL",
            "conditions": "Must not contact Karen Black or go to her address",
            "power_of_arrest": "Yes",
        }
    ]
    return {"northumbria-rms.csv": northumbria, "durham-rms.csv": durham, "court-orders.csv": court}


def write_extracts(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, rows in extracts().items():
        header = COURT if name.startswith("court") else FLAT
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        out.append(path)
    return out


def build(data_dir: Path, extracts_dir: Path | None = None) -> dict[str, Any]:
    """Write the extracts and run the pipeline over them into ``data_dir`` (the embedded graph)."""
    import pipeline

    files = write_extracts(extracts_dir or Path(data_dir) / "extracts")
    return {"files": [str(f) for f in files], **pipeline.run(data_dir, files)}


def person_of(data_dir: Path, record_key: str) -> str:
    """The person id linkage gave a record."""
    from linkage.store import LinkageStore

    ents = LinkageStore(data_dir).entities()
    return str(ents.set_index("record_key").loc[record_key, "person_id"])


def event_of(data_dir: Path, record_key: str) -> str:
    """The event id the entity stage gave an incident record."""
    from linkage.store import LinkageStore

    return str(LinkageStore(data_dir).events().set_index("record_key").loc[record_key, "event_id"])


def order_of(data_dir: Path, record_key: str) -> str:
    """The order id the entity stage gave an order record."""
    from linkage.store import LinkageStore

    return str(LinkageStore(data_dir).orders().set_index("record_key").loc[record_key, "order_id"])


def event_sources(data_dir: Path) -> dict[str, set[str]]:
    """Each event id with the sources (``Northumbria``, ``Durham``) of its incident records."""
    from linkage.store import LinkageStore

    events = LinkageStore(data_dir).events()
    return events.groupby("event_id")["record_key"].agg(lambda keys: {k.split("/")[0] for k in keys}).to_dict()


def ensure(data_dir: Path) -> Path:
    """Build the sample once into ``data_dir`` (reused while its marker file exists)."""
    marker = Path(data_dir) / ".sample-built"
    if not marker.exists():
        build(Path(data_dir))
        marker.write_text(AS_OF.isoformat())
    return Path(data_dir)
