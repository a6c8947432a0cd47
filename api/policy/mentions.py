"""Mentions of people and places in free text, however they are written.

The leak guard (:mod:`api.policy.leakguard`) must find a previous victim's name or home in a string whether
it is written "Suzanne Oakcroft", "suzanne  oakcroft", "S. Oakcroft", "OAKCROFT, Suzanne",
"Sue Oakcroft" or "Suzanne Oakroft", and "32 Coronation Road" whether written "32 coronation rd",
"Flat 2, 32 Coronation Rd." or "32 Corontaion Road"; a postcode with or without its space. Exact
text matching misses most of these, so the text is first reduced to canonical tokens (ASCII,
upper case, punctuation gone, street types spelt out as linkage's address parser does), then:

* a **person** is mentioned when one of their surnames appears (exactly or one edit away, the edit
  allowed from five letters) next to, within two words, one of their forenames, a nickname of
  one (linkage's name equivalences), a one-edit misspelling of one, or its initial. A surname
  alone is a mention too, unless it is also a name of someone who may be named (the subject, the
  applicant): then the forename or initial must be there as well;
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
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import OSA

from linkage.entities.address_parse import STREET_TYPES, parse_address
from linkage.names import forename_keys, surname_keys

FUZZY_FROM = 5  # letters from which one edit (insertion, deletion, substitution, transposition) still matches
WINDOW = 2  # words between a surname and the forename or initial that goes with it
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


def _same(token: str, wanted: str) -> bool:
    """Equal, or one edit apart when both are long enough to tell a typo from another word."""
    if token == wanted:
        return True
    return min(len(token), len(wanted)) >= FUZZY_FROM and OSA.distance(token, wanted, score_cutoff=1) <= 1


def _run_at(seq: tuple[str, ...], i: int, run: tuple[str, ...]) -> bool:
    return i + len(run) <= len(seq) and all(_same(seq[i + k], w) for k, w in enumerate(run))


@dataclass
class Person:
    """The names of one person who must not be mentioned."""

    surnames: set[tuple[str, ...]] = field(default_factory=set)  # each surname as its words
    forenames: set[str] = field(default_factory=set)

    @classmethod
    def of(
        cls, surnames: Iterable[str | None], forenames: Iterable[str | None], full: Iterable[str | None] = ()
    ) -> Person:
        """From record name fields, and full names as written ("SURNAME, Forename" or "Forename
        SURNAME") when the fields are not split."""
        p = cls()
        for s in surnames:
            if s and words(s):
                p.surnames.add(tuple(words(s)))
        for f in forenames:
            p.forenames.update(w for w in words(f or "") if len(w) > 1)
        for name in full:
            if not name:
                continue
            if "," in name:
                sur, _, fore = name.partition(",")
            else:
                *fore_words, sur = name.split() or [""]
                fore = " ".join(fore_words)
            if words(sur):
                p.surnames.add(tuple(words(sur)))
            p.forenames.update(w for w in words(fore) if len(w) > 1)
        return p

    def _forename_at(self, token: str) -> bool:
        if len(token) == 1:
            return any(f[0] == token for f in self.forenames)
        if any(_same(token, f) for f in self.forenames):
            return True
        keys = forename_keys(token)
        return any(keys & forename_keys(f) for f in self.forenames)

    def alone(self, allowed_surnames: set[tuple[str, ...]]) -> dict[tuple[str, ...], bool]:
        """For each surname, whether it names this person by itself: not when it is (a spelling
        of) a name that may be written, such as the subject's."""
        allowed = _allowed_keys(allowed_surnames)
        return {
            sur: sur not in allowed_surnames and not (surname_keys(" ".join(sur)) & allowed)
            for sur in self.surnames
            if len("".join(sur)) >= 2
        }

    def mentioned(self, seq: tuple[str, ...], alone: dict[tuple[str, ...], bool]) -> bool:
        for sur, by_itself in alone.items():
            for i in range(len(seq)):
                if not _run_at(seq, i, sur):
                    continue
                if by_itself:
                    return True
                near = seq[max(0, i - WINDOW - 1) : i] + seq[i + len(sur) : i + len(sur) + WINDOW + 1]
                if any(self._forename_at(t) for t in near):
                    return True
        return False


def _allowed_keys(allowed: set[tuple[str, ...]]) -> set[str]:
    return {k for s in allowed for k in surname_keys(" ".join(s))}


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


def _keys(word: str) -> set[str]:
    """The word and, from five letters, each one-letter deletion of it: two words one edit apart
    share a key (symmetric deletion), so a look-up finds misspellings without comparing all."""
    if len(word) < FUZZY_FROM:
        return {word}
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


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
        self.allowed = {(w,) for name in allowed_names if name for w in words(name) if len(w) > 1}
        self.people = [(p, p.alone(self.allowed)) for p in people if p.surnames]
        self._places: dict[str, list[Place]] = {}  # each place under the keys of its first words
        for place in {p for p in (Place.of(t) for t in places if t) if p is not None}:
            for first in {w[0] for w in (place.street, place.building) if w}:
                for key in _keys(first):
                    self._places.setdefault(key, []).append(place)
        self.postcodes = {c for c in (_squash_postcode(p) for p in postcodes if p) if len(c) >= 5}
        kept = sorted({t.strip() for t in opaque if t and len(t.strip()) >= 4}, key=len, reverse=True)
        self._opaque = re.compile("|".join(re.escape(t) for t in kept), re.IGNORECASE) if kept else None
        self.any_address = any_address
        self._seen: dict[str, bool] = {}  # answers repeat their strings: each is looked at once

    def __bool__(self) -> bool:
        return bool(self.people or self._places or self.postcodes or self._opaque or self.any_address)

    def found(self, text: str | None) -> bool:
        """Whether ``text`` mentions anything forbidden."""
        if not text:
            return False
        hit = self._seen.get(text)
        if hit is None:
            if len(self._seen) > 50_000:
                self._seen.clear()
            hit = self._seen[text] = self._found(text)
        return hit

    def _found(self, text: str) -> bool:
        if self._opaque is not None and self._opaque.search(text):
            return True
        codes = _postcodes(text)
        if codes and (self.any_address or codes & self.postcodes):
            return True
        seq = words(text)
        if self.any_address and address_shaped(seq):
            return True
        if self._places:
            near = {id(p): p for w in seq for k in _keys(w) for p in self._places.get(k, ())}
            if any(p.mentioned(seq) for p in near.values()):
                return True
        return any(p.mentioned(seq, alone) for p, alone in self.people)
