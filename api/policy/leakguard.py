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
from graph.stamp import read_stamp

WITHHELD = "[withheld]"  # what replaces a string, followed by why: "[withheld: an address]"
CONFIDENTIAL_TTL = 300.0  # seconds a matcher of the confidential addresses is kept within one graph stamp
SUBJECT_TTL = 30.0  # seconds a subject's matcher is kept within one graph stamp: a case list reads it once
_PLACEHOLDERS = {"CONFIDENTIAL", "WITHHELD", "REFUGE"}
# (graph, this server's load count) -> (the graph's load stamp when read, read at, matcher)
_CONFIDENTIAL: dict[tuple[int, int], tuple[str, float, Mentions]] = {}
# (graph, load count, stamp, subject, person kept, names on the case) -> (read at, matcher)
_SUBJECTS: dict[tuple, tuple[float, Mentions]] = {}


def marker(reason: str) -> str:
    """What replaces a withheld string: says why, never what."""
    return f"{WITHHELD[:-1]}: {reason}]"


def _confidential(g: Any, stamp: str | None, generation: int = 0, read: bool = True) -> Mentions | None:
    """Every confidential address on file (text and postcode), as one matcher, kept while the
    graph's load stamp is ``stamp`` (never while a load runs: ``stamp`` None) and this server has
    not loaded (``generation``). ``read`` False trusts the server's own load count alone and
    returns None when the matcher is due: right only when this process holds the graph exclusively."""
    now = time.monotonic()
    key = (id(g), generation)
    hit = _CONFIDENTIAL.get(key)
    if hit is not None and now - hit[1] <= CONFIDENTIAL_TTL and (not read or hit[0] == stamp):
        return hit[2]
    if not read:
        return None
    found = graphq.confidential_addresses(g)
    places = [a["address"] for a in found if a.get("address") and a["address"].upper() not in _PLACEHOLDERS]
    matcher = Mentions(places=places, postcodes=[a.get("postcode") for a in found])
    if stamp is not None:
        if len(_CONFIDENTIAL) > 8:
            _CONFIDENTIAL.clear()
        _CONFIDENTIAL[key] = (stamp, now, matcher)
    return matcher


def subject_mentions(
    g: Any,
    subject_id: str,
    allowed_names: Iterable[str] = (),
    keep: str | None = None,
    generation: int = 0,
    stamp: str | None = None,
) -> Mentions:
    """:func:`read_subject_mentions`, kept for a few seconds per graph load stamp (never while a
    load runs: ``stamp`` None), subject and case names."""
    key = (id(g), generation, stamp, subject_id, keep, tuple(allowed_names))
    now = time.monotonic()
    hit = _SUBJECTS.get(key) if stamp is not None else None
    if hit is not None and now - hit[0] <= SUBJECT_TTL:
        return hit[1]
    found = read_subject_mentions(g, subject_id, key[5], keep)
    if stamp is not None:
        if len(_SUBJECTS) > 1024:
            _SUBJECTS.clear()
        _SUBJECTS[key] = (now, found)
    return found


def read_subject_mentions(
    g: Any, subject_id: str, allowed_names: Iterable[str] = (), keep: str | None = None
) -> Mentions:
    """What identifies the subject's victims, protected people and partners (but ``keep``, the
    case's own person at risk): names (every spelling on their records, with the sex they record,
    which tells "Mrs Hall" from Mr Hall), ids, record keys, addresses and postcodes."""
    people, places, postcodes, opaque = [], [], [], []
    others = [p for p in graphq.victims_of(g, subject_id) if p not in (subject_id, keep)]
    for person in graphq.identities(g, others):
        people.append(
            Person.of(
                person.get("surnames") or [],
                person.get("forenames") or [],
                [person.get("preferred_name"), *(person.get("names") or [])],
                [person.get("sex"), *(person.get("sexes") or [])],
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
        """``for_subject(g, None)`` when it needs no graph read, else None. Only for a process that
        holds the graph exclusively (the embedded graph in the server): no other process can load
        it, so the server's own load count says whether what it read is current."""
        found = _confidential(g, None, generation, read=False)
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
        (the case's subject, applicant and person at risk, as typed) may be named. What was read of
        the graph is used again only under the same load stamp (graph.stamp: a load by any process
        changes it; one read per guard) and the same ``generation`` (this server's load count)."""
        stamp = read_stamp(g).settled
        confidential = _confidential(g, stamp, generation)
        assert confidential is not None  # read=True reads them when due
        own = (
            subject_mentions(g, subject_id, allowed_names, keep, generation, stamp)
            if subject_id
            else Mentions(any_address=True)
        )
        return cls(confidential, own)

    def mentions(self, text: str | None) -> bool:
        """Whether ``text`` mentions anything this guard protects."""
        return bool(self.reason(text))

    def reason(self, text: str | None) -> str:
        """Why ``text`` may not be shown ("" when it may)."""
        if not text:
            return ""
        return next((r for r in (m.reason(text) for m in self._mentions) if r), "")

    def scrub(self, value: Any) -> Any:
        """A copy of ``value`` with every string that mentions something protected replaced by a
        marker saying why. The whole string goes: what is left of a sentence about a victim can
        still point at her."""
        if not self._mentions:
            return value
        if isinstance(value, str):
            why = self.reason(value)
            if why:
                self.hits += 1
                return marker(why)
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value
