"""Leak probes for Clare's Law answers, generated here and not by the product's generator (our own
generator agrees with our own code).

Each respondent has previous partners and a protected person whose home the court order names in
its conditions, spelt as clerks spell it ("not to enter 12 Elm St, Gateshead", "32 Corontaion
Rd"), while a force extract holds the same home properly and the court extract sometimes says
CONFIDENTIAL. Decision texts then name those people and places the ways officers write them:
initials, "SURNAME, Forename", nicknames, double spaces, abbreviations, flat forms, one-letter
typos, postcodes without their space.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from synth.extracts import COURT_COLUMNS, FLAT_COLUMNS

FORENAMES = ["Suzanne", "Katherine", "Margaret", "Rebecca", "Jennifer", "Victoria", "Elizabeth", "Deborah",
             "Christine", "Samantha", "Natalie", "Caroline", "Josephine", "Patricia", "Charlotte", "Gillian"]
NICKNAMES = {"Suzanne": "Sue", "Katherine": "Kate", "Margaret": "Maggie", "Rebecca": "Becky", "Jennifer": "Jenny",
             "Victoria": "Vicky", "Elizabeth": "Liz", "Deborah": "Debbie", "Christine": "Chris",
             "Samantha": "Sam", "Patricia": "Trish", "Charlotte": "Lottie", "Josephine": "Jo"}
SURNAMES = ["Oakcroft", "Pemberton", "Thistlewood", "Ravensworth", "Blenkinsop", "Fairbairn", "Hetherington",
            "Weatherall", "Cuthbertson", "Armstrong", "Dunsmore", "Wilkinson", "Ashworth", "Kirkpatrick",
            "Lindqvist", "Mossbridge", "Farrington", "Gallagher", "Holloway", "Pennington"]
STREETS = ["Coronation", "Balmoral", "Sandringham", "Wellington", "Hawthorn", "Chesterfield", "Rosebery",
           "Kingsway", "Westmorland", "Ashbourne", "Larchwood", "Beechcroft", "Fernhill", "Sycamore",
           "Wentworth", "Brookfield", "Highfield", "Mayfield"]
TYPES = [("Road", "Rd"), ("Street", "St"), ("Avenue", "Ave"), ("Terrace", "Tce"), ("Crescent", "Cres"),
         ("Gardens", "Gdns"), ("Drive", "Dr"), ("Close", "Cl"), ("Grove", "Gr"), ("Lane", "Ln")]
TOWNS = ["Gateshead", "Sunderland", "Durham", "Hexham", "Consett", "Morpeth"]
MEN = [("Dunmore", "Gavin"), ("Ridley", "Craig"), ("Forster", "Lee"), ("Tennant", "Wayne"), ("Brannigan", "Shaun"),
       ("Heslop", "Darren"), ("Middlemiss", "Neil"), ("Charlton", "Barry"), ("Rutherford", "Glen"),
       ("Bainbridge", "Carl"), ("Hedley", "Ross"), ("Lowther", "Dean")]
AREA = ["NE8", "SR1", "DH1", "NE46", "DH8", "NE61"]


@dataclass
class Victim:
    forename: str
    surname: str
    number: int
    street: str
    kind: tuple[str, str]
    town: str
    postcode: str
    flat: int | None = None

    def address(self, short: bool = False) -> str:
        kind = self.kind[1] if short else self.kind[0]
        flat = f"Flat {self.flat}, " if self.flat else ""
        return f"{flat}{self.number} {self.street} {kind}, {self.town}"


@dataclass
class Respondent:
    ref: str
    surname: str
    forename: str
    victims: list[Victim] = field(default_factory=list)  # the protected person first


def _typo(rng: random.Random, word: str) -> str:
    """One edit: a swap of two neighbours, a dropped letter or a changed one (not the first)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "change"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    letter = rng.choice([c for c in "aeiourstln" if c != word[i].lower()])
    return word[:i] + letter + word[i + 1 :]


def world(seed: int, respondents: int = 12) -> list[Respondent]:
    rng = random.Random(seed)
    forenames, surnames, streets = FORENAMES[:], SURNAMES[:], STREETS[:]
    rng.shuffle(forenames)
    rng.shuffle(surnames)
    rng.shuffle(streets)
    out = []
    for i in range(respondents):
        sur, fore = MEN[i % len(MEN)]
        r = Respondent(f"R{i:03d}", sur.upper(), fore)
        for _ in range(2):
            k = len(out) * 2 + len(r.victims)
            town = rng.randrange(len(TOWNS))
            r.victims.append(
                Victim(
                    forename=forenames[k % len(forenames)],
                    surname=surnames[k % len(surnames)],
                    number=rng.randint(2, 180),
                    street=streets[k % len(streets)],
                    kind=TYPES[k % len(TYPES)],
                    town=TOWNS[town],
                    postcode=f"{AREA[town]} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                    flat=rng.choice([None, None, rng.randint(1, 12)]),
                )
            )
        if i == 0:  # his first partner took his name: "Mrs Dunmore" is her, "Gavin Dunmore" him
            r.victims[0].surname = sur
        out.append(r)
    return out


def condition_text(rng: random.Random, v: Victim) -> str:
    """The protected person's home named in the order's conditions, as a clerk might write it."""
    street = rng.choice([v.street, v.street.upper(), _typo(rng, v.street)])
    kind = rng.choice(v.kind)
    number = rng.choice([str(v.number), f"{v.number}", f"No. {v.number}"])
    home = rng.choice(
        [
            f"{number} {street} {kind}, {v.town}",
            f"{number} {street} {kind}",
            f"{street} {kind}, {v.town} {v.postcode.replace(' ', '')}",
            f"Flat {v.flat or 1}, {v.number} {street} {kind}",
        ]
    )
    who = rng.choice([f"{v.forename} {v.surname}", f"{v.surname.upper()}, {v.forename}", f"Ms {v.surname}"])
    return (
        f"The respondent must not go to, enter or attempt to enter {home} or the street around it, "
        f"and must not contact {who}."
    )


def write_extracts(folder: Path, respondents: list[Respondent], seed: int) -> list[Path]:
    rng = random.Random(seed)
    flat, court = [], []
    for n, r in enumerate(respondents):
        man = {"surname": r.surname, "forenames": r.forename, "dob": f"{(n % 27) + 1:02d}/03/19{70 + n % 25}",
               "sex": "M", "address": f"{n + 3} Quarry Row, Blyth", "postcode": "NE24 1AB"}
        for j, v in enumerate(r.victims):
            occ = f"NO/{n:04d}{j}/23"
            when = f"{(j * 9 + n) % 27 + 1:02d}/0{j + 4}/2023 21:00"
            person = {"surname": v.surname.upper(), "forenames": v.forename, "dob": f"0{j + 1}/06/199{n % 9}",
                      "sex": "F", "address": v.address(short=bool(j)), "postcode": v.postcode}
            for role, who, ref, rel in (("SUSPECT", man, r.ref, ""), ("VICTIM", person, f"{r.ref}V{j}", "intimate")):
                flat.append({c: "" for c in FLAT_COLUMNS} | {
                    "force": "Northumbria", "occurrence_ref": occ, "occurrence_datetime": when,
                    "ho_offence_code": "8/1", "offence": f"Assault on {v.forename} {v.surname} at home",
                    "da_marker": "Y", "role": role, "nominal_ref": ref, "surname": who["surname"],
                    "forenames": who["forenames"], "dob": who["dob"], "sex": who["sex"], "address": who["address"],
                    "postcode": who["postcode"], "relationship_to_suspect": rel,
                })
        v = r.victims[0]
        court.append({
            "case_number": f"FC24{n:04d}", "court_name": "Newcastle Family Court", "court_type": "Family",
            "order_type": "NON_MOLESTATION", "made_on": "1 February 2024", "expires_on": "31 January 2026",
            "respondent_name": f"{r.forename} {r.surname}", "respondent_dob": man["dob"],
            "respondent_address": f"{man['address']} {man['postcode']}",
            "protected_name": f"{v.forename} {v.surname.upper()}", "protected_dob": f"01/06/199{n % 9}",
            "protected_address": rng.choice(["CONFIDENTIAL", "REFUGE", f"{v.address(short=True)} {v.postcode}"]),
            "conditions": condition_text(rng, v), "power_of_arrest": "Yes",
        })
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows, header in (("force-rms.csv", flat, FLAT_COLUMNS), ("court-orders.csv", court, COURT_COLUMNS)):
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def decision_texts(rng: random.Random, v: Victim) -> list[str]:
    """Ways an officer might write a previous victim or her home into a disclosure."""
    f, s = v.forename, v.surname
    nick = NICKNAMES.get(f, f)
    kind_full, kind_short = v.kind
    return [
        f"He assaulted {f} {s} in 2023.",
        f"He assaulted {f}  {s.lower()} in 2023.",
        f"Previous partner {f[0]}. {s} was assaulted.",
        f"Previous partner {s.upper()}, {f} was assaulted.",
        f"His ex {nick} {s} reported him.",
        f"His ex {f} {_typo(rng, s)} reported him.",
        f"Ms {s} is protected by a court order.",
        f"Mrs {s} reported him twice.",
        f"Miss {f[0]} {s.upper()} was assaulted.",
        f"{f} said he hit her.",
        f"{f[0]}.{s[0]}. was assaulted in 2023.",
        f"He kept Mrs {s}’s car keys.",
        f"He must not go to {v.number} {v.street} {kind_short}.",
        f"He must not go to {v.number} {_typo(rng, v.street)} {kind_full}.",
        f"Order protects flat {v.flat or 2}, {v.number} {v.street.lower()} {kind_short.lower()}.",
        f"He was seen near {v.street} {kind_full}.",
        f"Her postcode is {v.postcode.replace(' ', '').lower()}.",
        f"Her postcode is {v.postcode}.",
    ]


def leaks(text: str, v: Victim, subject_surname: str = "") -> list[str]:
    """An independent check (not the product's matcher): a victim's surname (a title with it when
    she shares the subject's, whose name may be written), her forename, street name or postcode
    anywhere in ``text``, whole words, any case, spaces in the postcode ignored; a misspelt street
    caught by its first six letters."""
    import re

    upper = re.sub(r"[^A-Z0-9]+", " ", text.upper())
    found = []
    surname = v.surname.upper()
    if surname == subject_surname.upper():
        surname = rf"(?:MRS|MS|MISS) {surname}"
    for word in (surname, v.forename.upper(), v.street.upper()):
        if re.search(rf"\b{word if word.startswith('(?:') else re.escape(word)}\b", upper):
            found.append(word)
    if v.street.upper()[:6] in upper.replace(" ", ""):
        found.append(v.street.upper()[:6] + "…")
    if v.postcode.replace(" ", "") in upper.replace(" ", ""):
        found.append(v.postcode)
    return found
