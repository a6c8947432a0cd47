"""Second line of defence for disclosure answers: nothing that identifies a previous victim, and
no confidential (refuge or safe) address, may leave in a disclosure response, whatever a query
returned.

The graph's disclosure view already leaves these out; this guard walks the response once more
and withholds any string holding a forbidden token (ids, record keys, full names of the
subject's victims, protected people and partners; their addresses and postcodes; every
confidential address on file). It fails closed: a false hit withholds a value, never reveals one.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from api.store import graphq

log = logging.getLogger("dots.api.safety")
WITHHELD = "[withheld]"
MIN_TOKEN = 4


Matcher = tuple[list[str], "re.Pattern[str] | None"]  # the tokens, longest first, and one pattern
_CONFIDENTIAL: dict[int, tuple[float, tuple[str, ...], Matcher]] = {}
CONFIDENTIAL_TTL = 300.0  # seconds; loaders never keep a withheld address's text, this is a backstop


def _confidential(g: Any, read: bool = True) -> tuple[tuple[str, ...], Matcher] | None:
    """Texts and postcodes of every confidential address on file and their matcher, re-read every
    few minutes (one scan of all addresses is too dear for every disclosure answer, and so is
    hashing thousands of tokens to find their pattern). None when ``read`` is False and they are due."""
    now = time.monotonic()
    hit = _CONFIDENTIAL.get(id(g))
    if hit is None or now - hit[0] > CONFIDENTIAL_TTL:
        if not read:
            return None
        tokens = tuple(t for a in graphq.confidential_addresses(g) for t in (a.get("address"), a.get("postcode")) if t)
        hit = _CONFIDENTIAL[id(g)] = (now, tokens, _matcher(tokens))
    return hit[1], hit[2]


@lru_cache(maxsize=64)
def _matcher(tokens: tuple[str, ...], more: tuple[str, ...] = ()) -> Matcher:
    """The tokens, longest first, and one pattern for them: built once per token set."""
    kept = {t.strip() for t in (*tokens, *more) if t and t.upper() != "CONFIDENTIAL"}
    uniq = sorted((t for t in kept if len(t) >= MIN_TOKEN), key=len, reverse=True)
    return uniq, re.compile("|".join(re.escape(t) for t in uniq), re.IGNORECASE) if uniq else None


class LeakGuard:
    """Forbidden tokens for one subject, and a scrubber for responses."""

    def __init__(self, tokens: Iterable[str], more: Iterable[str] = (), matcher: Matcher | None = None):
        uniq, self._re = matcher or _matcher(tuple(tokens), tuple(more))
        self.tokens = list(uniq)
        self.hits = 0

    @classmethod
    def confidential_only(cls, g: Any) -> LeakGuard | None:
        """``for_subject(g, None)`` when it needs no graph read, else None."""
        found = _confidential(g, read=False)
        return None if found is None else cls(found[0], matcher=found[1])

    @classmethod
    def for_subject(cls, g: Any, subject_id: str | None) -> LeakGuard:
        tokens: list[str] = []
        if subject_id:
            others = [p for p in graphq.victims_of(g, subject_id) if p != subject_id]
            for person in graphq.identities(g, others):
                tokens.append(person["person_id"])
                tokens.append(person.get("preferred_name") or "")
                tokens += [n for n in person.get("names") or [] if n and " " in n.strip()]
                tokens += person.get("record_keys") or []
                tokens += [a for a in person.get("addresses") or [] if a]
                tokens += [p for p in person.get("postcodes") or [] if p]
        found = _confidential(g)
        assert found is not None  # read=True reads them when due
        return cls(found[0], tokens, None if tokens else found[1])

    def scrub(self, value: Any) -> Any:
        """A copy of ``value`` with every string holding a forbidden token withheld."""
        if self._re is None:
            return value
        if isinstance(value, str):
            if self._re.search(value):
                self.hits += 1
                return self._re.sub(WITHHELD, value)
            return value
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value

    def mentions(self, text: str | None) -> bool:
        return bool(text and self._re is not None and self._re.search(text))
