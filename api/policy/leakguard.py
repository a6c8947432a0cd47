"""Second line of defence for disclosure answers: nothing that identifies a previous victim, and
no address of anyone, may leave in a disclosure response or be recorded as disclosed.

The first line is structural: a disclosure answer is assembled from typed facts (offence, date,
outcome category, order type, court, dates, condition categories, counts, forces), never from
free text that can name a person or a place (:mod:`graph.queries.disclosure`). This guard
walks every string of the answer once more and withholds any that mentions (:mod:`api.policy.mentions`:
however spelt, spaced, abbreviated or misspelt) a previous victim, protected person or partner of
the subject (names, ids, record keys, addresses, postcodes), any confidential address on file, or
anything shaped like an address or a postcode. It fails closed: a false hit withholds a value,
never reveals one. The same test refuses a decision whose disclosed text mentions one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from api.policy.mentions import Mentions, Person
from api.store import graphq

WITHHELD = "[withheld]"
CONFIDENTIAL_TTL = 300.0  # seconds between re-reads of the confidential addresses on file
_CONFIDENTIAL: dict[tuple[int, int], tuple[float, Mentions]] = {}
_PLACEHOLDERS = {"CONFIDENTIAL", "WITHHELD", "REFUGE"}


def _confidential(g: Any, read: bool = True, generation: int = 0) -> Mentions | None:
    """Every confidential address on file (text and postcode), as one matcher, re-read every few
    minutes and after every graph load of this server (``generation``): one scan of all
    addresses is too dear for every disclosure answer. None when ``read`` is False and they are due."""
    now = time.monotonic()
    hit = _CONFIDENTIAL.get((id(g), generation))
    if hit is None or now - hit[0] > CONFIDENTIAL_TTL:
        if not read:
            return None
        found = graphq.confidential_addresses(g)
        places = [a["address"] for a in found if a.get("address") and a["address"].upper() not in _PLACEHOLDERS]
        if len(_CONFIDENTIAL) > 8:
            _CONFIDENTIAL.clear()
        matcher = Mentions(places=places, postcodes=[a.get("postcode") for a in found])
        hit = _CONFIDENTIAL[(id(g), generation)] = (now, matcher)
    return hit[1]


SUBJECT_TTL = 30.0  # seconds a subject's matcher is kept: a case list or a run of searches reads it once
_SUBJECTS: dict[tuple, tuple[float, Mentions]] = {}


def subject_mentions(
    g: Any, subject_id: str, allowed_names: Iterable[str] = (), keep: str | None = None, generation: int = 0
) -> Mentions:
    """:func:`read_subject_mentions`, kept for a few seconds per graph load, subject and case names."""
    key = (id(g), generation, subject_id, keep, tuple(allowed_names))
    now = time.monotonic()
    hit = _SUBJECTS.get(key)
    if hit is not None and now - hit[0] <= SUBJECT_TTL:
        return hit[1]
    found = read_subject_mentions(g, subject_id, key[4], keep)
    if len(_SUBJECTS) > 1024:
        _SUBJECTS.clear()
    _SUBJECTS[key] = (now, found)
    return found


def read_subject_mentions(
    g: Any, subject_id: str, allowed_names: Iterable[str] = (), keep: str | None = None
) -> Mentions:
    """What identifies the subject's victims, protected people and partners (but ``keep``, the
    case's own person at risk): names (every spelling on their records), ids, record keys,
    addresses and postcodes."""
    people, places, postcodes, opaque = [], [], [], []
    others = [p for p in graphq.victims_of(g, subject_id) if p not in (subject_id, keep)]
    for person in graphq.identities(g, others):
        people.append(
            Person.of(
                person.get("surnames") or [],
                person.get("forenames") or [],
                [person.get("preferred_name"), *(person.get("names") or [])],
            )
        )
        opaque += [person["person_id"], *(person.get("record_keys") or [])]
        places += [a for a in person.get("addresses") or [] if a]
        postcodes += [p for p in person.get("postcodes") or [] if p]
    subject = graphq.people(g, [subject_id]).get(subject_id) or {}
    return Mentions(
        people, places, postcodes, opaque, allowed_names=[subject.get("name") or "", *allowed_names], any_address=True
    )


class LeakGuard:
    """What one disclosure answer must not mention, and a scrubber for it."""

    def __init__(self, *mentions: Mentions):
        self._mentions = [m for m in mentions if m]
        self.hits = 0

    @classmethod
    def confidential_only(cls, g: Any, generation: int = 0) -> LeakGuard | None:
        """``for_subject(g, None)`` when it needs no graph read, else None."""
        found = _confidential(g, read=False, generation=generation)
        return None if found is None else cls(found, Mentions(any_address=True))

    @classmethod
    def for_subject(
        cls,
        g: Any,
        subject_id: str | None,
        allowed_names: Iterable[str] = (),
        keep: str | None = None,
        generation: int = 0,
    ) -> LeakGuard:
        """The guard of a case: its subject's victims, protected people and partners (none before
        a subject is chosen), every confidential address, and any address at all. ``allowed_names``
        (the case's subject, applicant and person at risk, as typed) may be named. ``generation``
        is the server's graph-load count: what was read before a load is not used after it."""
        confidential = _confidential(g, generation=generation)
        assert confidential is not None  # read=True reads them when due
        own = (
            subject_mentions(g, subject_id, allowed_names, keep, generation)
            if subject_id
            else Mentions(any_address=True)
        )
        return cls(confidential, own)

    def mentions(self, text: str | None) -> bool:
        """Whether ``text`` mentions anything this guard protects."""
        return bool(text) and any(m.found(text) for m in self._mentions)

    def scrub(self, value: Any) -> Any:
        """A copy of ``value`` with every string that mentions something protected withheld."""
        if not self._mentions:
            return value
        if isinstance(value, str):
            if self.mentions(value):
                self.hits += 1
                return WITHHELD
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value
