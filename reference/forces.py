"""The police forces of England and Wales, and the many spellings extracts use for them: the one
alias table and the one force-name helper of the product.

``data/forces.csv`` holds the 43 territorial forces with their ONS Police Force Area codes
(E23000001-E23000039, W15000001-W15000004), the force's name, and aliases as extracts write
them. British Transport Police is listed too, marked non-territorial: it has no ONS area code,
so its code is the placeholder ``BTP``.

Matching compares a key, not the raw text (:func:`force_key`): the name transliterated to ASCII
and upper-cased, apostrophes dropped, anything but letters a space, the words POLICE,
CONSTABULARY, SERVICE, FORCE, HEDDLU, THE, AND, OF dropped and the remaining words sorted. So
"Devon & Cornwall", "devon-and-cornwall" and "Devon and Cornwall Police" are one key, as are
"City of London Police" and "London, City of". An ONS code is accepted as its own alias.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from anyascii import anyascii

DATA = Path(__file__).parent / "data" / "forces.csv"
_STOP = frozenset({"POLICE", "CONSTABULARY", "SERVICE", "FORCE", "HEDDLU", "THE", "AND", "OF"})
_APOSTROPHES = re.compile(r"['`´]")
_NOT_LETTER = re.compile(r"[^A-Z]+")


@dataclass(frozen=True)
class Force:
    """One force: ONS code, display name, the spellings it is known by, and whether territorial."""

    code: str
    name: str
    aliases: tuple[str, ...]
    territorial: bool = True


@lru_cache(maxsize=4096)  # bounded: request parameters reach it
def force_key(text: str) -> str:
    """The matching key of a force name as written (see the module docstring)."""
    folded = _APOSTROPHES.sub("", anyascii(text).upper())
    return " ".join(sorted(w for w in _NOT_LETTER.sub(" ", folded).split() if w not in _STOP))


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
        for key in {*(force_key(n) for n in (force.name, *force.aliases)), force.code.upper()}:
            if key and index.setdefault(key, force) is not force:
                raise ValueError(f"forces.csv: {key!r} names both {index[key].name} and {force.name}")
    return forces, index


def all_forces(include_non_territorial: bool = False) -> list[Force]:
    """The 43 territorial forces in ONS code order (plus British Transport Police if asked)."""
    forces, _ = _load()
    return [f for f in forces if f.territorial or include_non_territorial]


def lookup_force(name: str | None) -> Force | None:
    """The force a name or ONS code refers to, or None when it is not recognised."""
    if not name or not name.strip():
        return None
    _, index = _load()
    return index.get(name.strip().upper()) or index.get(force_key(name))


@lru_cache(maxsize=256)
def force_name(code: str | None) -> str | None:
    """Display name of a force code (or any spelling of one); the text itself when it is not a
    known force, None for no force (a court record)."""
    if not code:
        return None
    force = lookup_force(code)
    return force.name if force is not None else code
