"""The pages' small world: the API's sample (``worlds.api``) plus a few look-alike people, so the
steward's review desk has several pairs to work through and the pictures have something to show.

Each look-alike is two records of one surname and a forename spelt two ways, recorded by two forces
at different addresses, one without a date of birth: linkage can neither link nor dismiss them, so
they land in the steward's review queue.

One incident is recorded by both forces (HALL, 12 June 2024): two hours and a half apart, one
force's offence vaguer than the other's, so the incident matching sends the pair to a steward
(the entity matches page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from worlds import api as sample

# (surname, Northumbria forenames, Durham forenames, Northumbria's date of birth, addresses); Durham
# records no date of birth, so name and sex are all the evidence.
LOOK_ALIKES = [
    ("JONES", "Philip", "Phillip", "11/11/1982", ("8 Station Road, Hexham", "NE46 1AA"),
     ("2 Church Lane, Bishop Auckland", "DL14 7AA")),
    ("BROWN", "Jonathan", "Jonathon", "21/08/1979", ("15 Marine Terrace, Whitley Bay", "NE26 1AA"),
     ("6 Front Street, Consett", "DH8 5AA")),
    ("WILSON", "Gary", "Garry", "30/01/1986", ("4 West Street, Alnwick", "NE66 1AA"),
     ("19 High Street, Stanley", "DH9 0AA")),
    ("TAYLOR", "Steven", "Stephen", "09/09/1988", ("27 Ocean Road, South Shields", "NE33 2AA"),
     ("11 Durham Road, Spennymoor", "DL16 6AA")),
    ("CLARK", "Lee", "Leigh", "07/03/1991", ("5 Low Street, Amble", "NE65 1AA"), ("9 West Road, Crook", "DL15 9AA")),
]


# Two of the look-alikes were first recorded in the last week before the sample's "today" (new on
# the weekly list); the others in April.
NORTHUMBRIA_DAYS = ["25/06/2024", "27/06/2024", "03/04/2024", "04/04/2024", "05/04/2024"]


def _look_alike_rows() -> dict[str, list[dict[str, str]]]:
    north, durham = [], []
    for i, (surname, fn_n, fn_d, dob, (addr_n, pc_n), (addr_d, pc_d)) in enumerate(LOOK_ALIKES, start=1):
        base = {"surname": surname, "sex": "M"}
        north.append(
            sample._row(
                "Northumbria", f"NO/00001{i:02d}/24", NORTHUMBRIA_DAYS[i - 1] + " 20:00", "", "Verbal argument",
                "SUSPECT", f"NOR1{i:02d}", {**base, "forenames": fn_n, "dob": dob, "address": addr_n, "postcode": pc_n},
            )
        )
        durham.append(
            sample._row(
                "Durham", f"DU/00001{i:02d}/24", f"1{i}/04/2024 20:00", "", "Verbal argument", "SUSPECT",
                f"DUR1{i:02d}", {**base, "forenames": fn_d, "dob": "", "sex": "", "address": addr_d, "postcode": pc_d},
            )
        )
    return {"northumbria-rms.csv": north, "durham-rms.csv": durham}


def _twice_recorded() -> dict[str, list[dict[str, str]]]:
    hall = dict(sample.HALL)
    in_durham = {**hall, "forenames": "Dave", "address": "3 Mill Lane, Durham", "postcode": "DH1 3AA"}
    return {
        "northumbria-rms.csv": [
            sample._row("Northumbria", "NO/0000301/24", "12/06/2024 21:00", "105/1", "Common assault", "SUSPECT",
                        "NOR1", hall)
        ],
        "durham-rms.csv": [
            sample._row("Durham", "DU/0000301/24", "12/06/2024 23:40", "", "Assault", "SUSPECT", "DUR1", in_durham)
        ],
    }


def extracts() -> dict[str, list[dict[str, str]]]:
    """The API sample's extracts with the look-alikes and the twice-recorded incident appended."""
    out = sample.extracts()
    for more in (_look_alike_rows(), _twice_recorded()):
        for name, rows in more.items():
            out[name] = out[name] + rows
    return out


def build(data_dir: Path) -> dict[str, Any]:
    """Write the extracts and run the pipeline over them into ``data_dir`` (the embedded graph)."""
    import csv

    import pipeline

    folder = Path(data_dir) / "extracts"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, rows in extracts().items():
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=sample.COURT if name.startswith("court") else sample.FLAT)
            writer.writeheader()
            writer.writerows(rows)
        files.append(path)
    return {"files": [str(f) for f in files], **pipeline.run(data_dir, files)}
