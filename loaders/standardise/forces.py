"""The police forces of England and Wales, and resolving the many spellings extracts use.

``data/forces.csv`` holds the 43 territorial forces with their ONS Police Force Area codes
(E23000001-E23000039, W15000001-W15000004), the force's name, and aliases as extracts write
them. British Transport Police is listed too, marked non-territorial: it has no ONS area code,
so its code is the placeholder ``BTP``.

Matching compares a key, not the raw text: the name folded (ASCII, upper case), hyphens as
spaces, the words POLICE, CONSTABULARY, SERVICE, FORCE, HEDDLU, THE, AND, OF and "&" dropped, and
the remaining words sorted. So "Devon & Cornwall", "devon-and-cornwall" and "Devon and Cornwall
Police" are one key, as are "City of London Police" and "London, City of". An ONS code is
accepted as its own alias.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from ._distinct import map_distinct
from .text import fold_distinct

DATA = Path(__file__).parent / "data" / "forces.csv"
_STOP = frozenset({"POLICE", "CONSTABULARY", "SERVICE", "FORCE", "HEDDLU", "THE", "AND", "OF"})


@dataclass(frozen=True)
class Force:
    """One force: ONS code, display name, the spellings it is known by, and whether territorial."""

    code: str
    name: str
    aliases: tuple[str, ...]
    territorial: bool = True


def _keys(text: pd.Series) -> pd.Series:
    """Matching key of each distinct name (see the module docstring)."""
    folded = fold_distinct(text).fillna("").str.replace("-", " ", regex=False)
    return folded.map(lambda v: " ".join(sorted(w for w in v.split() if w not in _STOP)))


@cache
def _load() -> tuple[tuple[Force, ...], dict[str, Force]]:
    with DATA.open(newline="", encoding="utf-8") as fh:
        forces = tuple(
            Force(
                row["code"],
                row["name"],
                tuple(a for a in row["aliases"].split("|") if a),
                row["territorial"].strip().lower() == "true",
            )
            for row in csv.DictReader(fh)
        )
    index: dict[str, Force] = {}
    for force in forces:
        names = pd.Series([force.name, *force.aliases])
        for key in {*_keys(names), force.code.upper()}:
            if key and index.setdefault(key, force) is not force:
                raise ValueError(f"forces.csv: {key!r} names both {index[key].name} and {force.name}")
    return forces, index


def all_forces(include_non_territorial: bool = False) -> list[Force]:
    """The 43 territorial forces in ONS code order (plus British Transport Police if asked)."""
    forces, _ = _load()
    return [f for f in forces if f.territorial or include_non_territorial]


def lookup_force(name: str) -> Force | None:
    """The force a name or ONS code refers to, or None when it is not recognised."""
    if not name or not name.strip():
        return None
    _, index = _load()
    return index.get(name.strip().upper()) or index.get(_keys(pd.Series([name])).iloc[0])


def force_codes(s: pd.Series) -> pd.DataFrame:
    """Resolve force names as written to ``force_code`` (ONS code) and ``force_name``.

    Both are None for blank or unrecognised names; the loader decides whether that is an error.
    """
    _, index = _load()

    def worker(text: pd.Series) -> pd.DataFrame:
        by_code = text.str.upper().map(index)
        found = by_code.where(by_code.notna(), _keys(text).map(index))
        return pd.DataFrame(
            {
                "force_code": found.map(lambda f: f.code if isinstance(f, Force) else None),
                "force_name": found.map(lambda f: f.name if isinstance(f, Force) else None),
            }
        )

    return map_distinct(s, worker, {"force_code": None, "force_name": None})
