"""Mentions of people and places in free text, however they are written.

The leak guard (:mod:`api.policy.leakguard`) must find a previous victim's name or home in a string whether
it is written "Suzanne Oakcroft", "suzanne  oakcroft", "S. Oakcroft", "OAKCROFT, Suzanne",
"Sue Oakcroft" or "Suzanne Oakroft", and "32 Coronation Road" whether written "32 coronation rd",
"Flat 2, 32 Coronation Rd." or "32 Corontaion Road"; a postcode with or without its space. Exact
text matching misses most of these, so the text is first reduced to canonical tokens (ASCII,
upper case, punctuation gone, street types spelt out as linkage's address parser does), then:

* a **person** is mentioned by any partial form of their name: a surname (exactly or one edit
  away from five letters), a forename, nickname or initial with it, a title, a forename alone,
  initials; a surname shared with someone who may be named (the subject) must be qualified as
  theirs (:mod:`api.policy.people`, which reads names without street types: "Dr" is a title there);
* a **place** is mentioned when its street name (each word exactly or one edit away from five
  letters) appears followed by a street type, or after its house number; or its building name;
* a **postcode** when the same letters and digits appear, spaced or not;
* an **opaque token** (an id or a record key) when it appears as it is, case ignored.

``any_address`` also treats every address-shaped phrase (a house number, up to three words and a
street type) and every postcode-shaped string as a mention, whoever's it is: no address of
anyone belongs in a disclosure. Matching fails closed: a false hit withholds a word or refuses
a text; it never lets one through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from api.policy.people import Guarded, Nameable, Person, fuzzy_keys, same, tokens
from linkage.entities.address_parse import STREET_TYPES, parse_address

_WORD = re.compile(r"[A-Z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019`]")
_POSTCODE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})(?![A-Z0-9])")
_HOUSE = re.compile(r"^(?:[0-9]{1,4}[A-Z]?)$")
_YEAR = re.compile(r"^(?:1[89]|20)[0-9]{2}$")
# Words that end a would-be street name in ordinary prose: "on 12 March", "for 3 days at Court"
_NOT_STREET = frozenset(
    """A AN THE AT ON IN OF BY TO FOR FROM AND OR WITH WITHIN NEAR HER HIS THEIR HIM SHE HE IS WAS
    JANUARY FEBRUARY MARCH APRIL MAY JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER
    JAN FEB MAR APR JUN JUL AUG SEP SEPT OCT NOV DEC
    DAY DAYS WEEK WEEKS MONTH MONTHS YEAR YEARS HOUR HOURS MINUTE MINUTES TIME TIMES METRE METRES
    METER METERS MILE MILES YARDS OCCASION OCCASIONS PREVIOUS FORMER PARTNER PARTNERS VICTIM VICTIMS
    COUNT COUNTS OFFENCE OFFENCES CONVICTION CONVICTIONS BREACH BREACHES ORDER ORDERS""".split()
)


@lru_cache(maxsize=1 << 16)
def words(text: str) -> tuple[str, ...]:
    """Canonical tokens: ASCII upper case, apostrophes dropped, punctuation a separator, street
    types spelt out (RD -> ROAD). Kept for the strings answers repeat (force names, levels)."""
    upper = _APOSTROPHES.sub("", anyascii(text).upper())
    return tuple(STREET_TYPES.get(w, w) for w in _WORD.findall(upper))


def _postcodes(text: str) -> set[str]:
    squeezed = " ".join(_WORD.findall(anyascii(text).upper()))
    return {m.group(1) + m.group(2) for m in _POSTCODE.finditer(squeezed)}


def _squash_postcode(value: str) -> str:
    return "".join(_WORD.findall(anyascii(value).upper()))


def _run_at(seq: tuple[str, ...], i: int, run: tuple[str, ...]) -> bool:
    return i + len(run) <= len(seq) and all(same(seq[i + k], w) for k, w in enumerate(run))


@dataclass(frozen=True)
class Place:
    """One address that must not be mentioned, in the parts that identify it."""

    street: tuple[str, ...]  # the street's name words, without its type
    street_type: str
    numbers: tuple[str, ...]
    building: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Place | None:
        parsed = parse_address(text)
        street = words(parsed.street)
        kind = street[-1] if len(street) >= 2 and street[-1] in STREET_TYPES.values() else ""
        name = tuple(street[:-1] if kind else street)
        numbers = tuple(w for w in words(parsed.building_number) if w.isalnum())
        building = tuple(words(parsed.building_name))
        if not name and not building:
            return None
        return cls(name, kind, numbers, building)

    def mentioned(self, seq: tuple[str, ...]) -> bool:
        if self.building and len("".join(self.building)) >= 6:
            if any(_run_at(seq, i, self.building) for i in range(len(seq))):
                return True
        if not self.street:
            return False
        n = len(self.street)
        for i in range(len(seq)):
            if not _run_at(seq, i, self.street):
                continue
            after = seq[i + n] if i + n < len(seq) else ""
            if self.street_type and after == self.street_type:
                return True
            if self.numbers and i > 0 and seq[i - 1] in self.numbers:
                return True
            if not self.street_type and len("".join(self.street)) >= 8:
                return True
        return False


def address_shaped(seq: tuple[str, ...]) -> bool:
    """A house number, one to three name words and a street type: "12 ELM STREET"."""
    types = set(STREET_TYPES.values())
    for i, w in enumerate(seq):
        if not _HOUSE.match(w) or _YEAR.match(w):
            continue
        for k in range(1, 4):
            name = seq[i + 1 : i + 1 + k]
            if len(name) < k or name[-1] in _NOT_STREET or name[-1].isdigit():
                break
            if i + 1 + k < len(seq) and seq[i + 1 + k] in types:
                return True
    return False


# Why a text was withheld, for the marker that replaces it
PERSON = "may identify a previous victim or protected person"
ADDRESS = "an address"
IDENTIFIER = "an identifier of a previous victim or protected person"
REASONS = (PERSON, ADDRESS, IDENTIFIER)


class Mentions:
    """Everything one answer or text must not mention, and the test for it."""

    def __init__(
        self,
        people: Iterable[Person] = (),
        places: Iterable[str] = (),
        postcodes: Iterable[str] = (),
        opaque: Iterable[str] = (),
        allowed_names: Iterable[str] = (),
        any_address: bool = False,
    ):
        nameable = Nameable.of(allowed_names)
        self.people = [g for g in (Guarded(p, nameable) for p in people) if g]
        self._places: dict[str, list[Place]] = {}  # each place under the keys of its first words
        for place in {p for p in (Place.of(t) for t in places if t) if p is not None}:
            for first in {w[0] for w in (place.street, place.building) if w}:
                for key in fuzzy_keys(first):
                    self._places.setdefault(key, []).append(place)
        self.postcodes = {c for c in (_squash_postcode(p) for p in postcodes if p) if len(c) >= 5}
        kept = sorted({t.strip() for t in opaque if t and len(t.strip()) >= 4}, key=len, reverse=True)
        self._opaque = re.compile("|".join(re.escape(t) for t in kept), re.IGNORECASE) if kept else None
        self.any_address = any_address
        self._seen: dict[str, str] = {}  # answers repeat their strings: each is looked at once

    def __bool__(self) -> bool:
        return bool(self.people or self._places or self.postcodes or self._opaque or self.any_address)

    def found(self, text: str | None) -> bool:
        """Whether ``text`` mentions anything forbidden."""
        return bool(self.reason(text))

    def reason(self, text: str | None) -> str:
        """What ``text`` mentions (one of :data:`REASONS`), or "" when nothing forbidden."""
        if not text:
            return ""
        hit = self._seen.get(text)
        if hit is None:
            if len(self._seen) > 50_000:
                self._seen.clear()
            hit = self._seen[text] = self._reason(text)
        return hit

    def _reason(self, text: str) -> str:
        if self._opaque is not None and self._opaque.search(text):
            return IDENTIFIER
        codes = _postcodes(text)
        if codes and (self.any_address or codes & self.postcodes):
            return ADDRESS
        seq = words(text)
        if self.any_address and address_shaped(seq):
            return ADDRESS
        if self._places:
            near = {id(p): p for w in seq for k in fuzzy_keys(w) for p in self._places.get(k, ())}
            if any(p.mentioned(seq) for p in near.values()):
                return ADDRESS
        if self.people:
            t = tokens(text)
            if any(g.mentioned(t) for g in self.people):
                return PERSON
        return ""
