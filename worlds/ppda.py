"""A world for the professional-standards wall: the API sample world plus officers and staff.

* PC Gareth FENWICK (Northumbria collar 4721, SERVING) is the DA suspect in his own force
  (NO/0000090/24) against Leanne MARSH, a member of the public.
* Claire ORTON (Durham staff S2290, status written "serving") is the victim of Kevin ORTON in
  Durham (DU/0000090/24).
* Paul REED (Durham 1180) LEFT in 2020: not walled, his workforce record still hidden.
* Olivia PRICE (Northumbria 5555, SERVING) is in no other record.

``build(..., household=True)`` adds Ryan COLE, who lodges at PC Fenwick's address (31 Larch Close)
and is the DA suspect in an incident of his own (NO/0000092/24, against Tara KNOX): the officer shares
an address with him, but no event or order.

``build(..., order=True)`` adds a family court's non-molestation order (FC2024090) against PC Fenwick
protecting Leanne MARSH: an order of a walled person, made at his home address.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from worlds.api import COURT, FLAT, _row, write_extracts

WORKFORCE_HEADER = ["force", "employee_ref", "surname", "forenames", "dob", "role", "status", "left_on"]
FENWICK = {"surname": "FENWICK", "forenames": "Gareth", "dob": "14/08/1986", "sex": "M",
           "address": "31 Larch Close, Hexham", "postcode": "NE46 3XX"}
MARSH = {"surname": "MARSH", "forenames": "Leanne", "dob": "22/11/1991", "sex": "F",
         "address": "8 Willow Court, Morpeth", "postcode": "NE61 9ZZ"}
CLAIRE = {"surname": "ORTON", "forenames": "Claire", "dob": "09/09/1989", "sex": "F",
          "address": "17 Beech Terrace, Consett", "postcode": "DH8 5QQ"}
KEVIN = {"surname": "ORTON", "forenames": "Kevin", "dob": "01/01/1987", "sex": "M",
         "address": "2 Station Road, Stanley", "postcode": "DH9 0AA"}
COLE = {"surname": "COLE", "forenames": "Ryan", "dob": "05/02/1993", "sex": "M",
        "address": FENWICK["address"], "postcode": FENWICK["postcode"]}
KNOX = {"surname": "KNOX", "forenames": "Tara", "dob": "17/06/1995", "sex": "F",
        "address": "4 Tyne View, Prudhoe", "postcode": "NE42 6PQ"}
WORKFORCE = [
    {"force": "Northumbria", "employee_ref": "4721", "surname": "Fenwick", "forenames": "Gareth",
     "dob": "14/08/1986", "role": "OFFICER", "status": "SERVING", "left_on": ""},
    {"force": "Durham", "employee_ref": "S2290", "surname": "Orton", "forenames": "Claire",
     "dob": "09/09/1989", "role": "staff", "status": "serving", "left_on": ""},
    {"force": "Durham", "employee_ref": "1180", "surname": "Reed", "forenames": "Paul",
     "dob": "04/04/1975", "role": "OFFICER", "status": "LEFT", "left_on": "31/12/2020"},
    {"force": "Northumbria", "employee_ref": "5555", "surname": "Price", "forenames": "Olivia",
     "dob": "10/10/1990", "role": "OFFICER", "status": "SERVING", "left_on": ""},
]
# What must never reach anyone but professional standards: the walled people's names, dates of
# birth, addresses and events, and who is in the workforce at all.
WALLED_STRINGS = {
    "fenwick": ("Gareth", "FENWICK", "Fenwick", "1986-08-14", "14/08/1986", "Larch Close", "NE46 3XX",
                "NO/0000090/24"),
    "claire": ("Claire", "1989-09-09", "09/09/1989", "Beech Terrace", "DH8 5QQ", "DU/0000090/24"),
}
MEMBERSHIP_STRINGS = ("Northumbria/workforce/4721", "Durham/workforce/S2290", "Durham/workforce/1180",
                      "Northumbria/workforce/5555", "workforce",
                      "SUSPENDED", "employee_ref")


def ppda_rows() -> list[dict[str, str]]:
    assault = ("Assault occasioning actual bodily harm", "8/1")
    return [
        _row("Northumbria", "NO/0000090/24", "03/04/2024 22:10", assault[1], assault[0], "SUSPECT", "NOR90", FENWICK),
        _row("Northumbria", "NO/0000090/24", "03/04/2024 22:10", assault[1], assault[0], "VICTIM", "NOR91", MARSH,
             "Partner", "HIGH"),
        _row("Durham", "DU/0000090/24", "12/05/2024 20:40", "105/1", "Common assault", "SUSPECT", "DUR90", KEVIN),
        _row("Durham", "DU/0000090/24", "12/05/2024 20:40", "105/1", "Common assault", "VICTIM", "DUR91", CLAIRE,
             "Ex-partner", "MEDIUM"),
    ]


def household_rows() -> list[dict[str, str]]:
    """Ryan COLE, the officer's lodger, a suspect in an incident the officer is not in."""
    return [
        _row("Northumbria", "NO/0000092/24", "09/06/2024 23:15", "105/1", "Common assault", "SUSPECT", "NOR92", COLE),
        _row("Northumbria", "NO/0000092/24", "09/06/2024 23:15", "105/1", "Common assault", "VICTIM", "NOR93", KNOX,
             "Partner", "MEDIUM"),
    ]


ORDER_CASE = "FC2024090"


def order_rows() -> list[dict[str, str]]:
    """A non-molestation order against the officer, protecting his victim."""
    return [{
        "case_number": ORDER_CASE, "court_name": "Newcastle Family Court", "court_type": "Family",
        "order_type": "NON_MOLESTATION", "made_on": "20 April 2024", "expires_on": "19 April 2026",
        "respondent_name": "Gareth FENWICK", "respondent_dob": FENWICK["dob"],
        "respondent_address": f"{FENWICK['address']} {FENWICK['postcode']}",
        "protected_name": "Leanne MARSH", "protected_dob": MARSH["dob"], "protected_address": "CONFIDENTIAL",
        "conditions": "Must not contact Leanne Marsh", "power_of_arrest": "Yes",
    }]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def build(data_dir: Path, household: bool = False, order: bool = False) -> dict[str, Any]:
    """The sample world's extracts, the PPDA incidents and the workforce file, through the pipeline
    (``household``: and the officer's lodger; ``order``: and a court order against the officer)."""
    import pipeline

    folder = Path(data_dir) / "extracts"
    files = write_extracts(folder)
    files.append(write_csv(folder / "ppda-rms.csv", FLAT, ppda_rows() + (household_rows() if household else [])))
    files.append(write_csv(folder / "hr-workforce.csv", WORKFORCE_HEADER, WORKFORCE))
    if order:
        files.append(write_csv(folder / "ppda-court.csv", COURT, order_rows()))
    return pipeline.run(data_dir, files)
