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

from api import graphq

log = logging.getLogger("dots.api.safety")
WITHHELD = "[withheld]"
MIN_TOKEN = 4


_CONFIDENTIAL: dict[int, tuple[float, tuple[str, ...]]] = {}
CONFIDENTIAL_TTL = 300.0  # seconds; loaders never keep a withheld address's text, this is a backstop


def _confidential_tokens(g: Any) -> tuple[str, ...]:
    """Texts and postcodes of every confidential address on file, re-read every few minutes
    (one scan of all addresses is too dear for every disclosure answer)."""
    now = time.monotonic()
    hit = _CONFIDENTIAL.get(id(g))
    if hit is None or now - hit[0] > CONFIDENTIAL_TTL:
        tokens = tuple(t for a in graphq.confidential_addresses(g) for t in (a.get("address"), a.get("postcode")) if t)
        hit = _CONFIDENTIAL[id(g)] = (now, tokens)
    return hit[1]


def confidential_tokens_if_fresh(g: Any) -> tuple[str, ...] | None:
    """``_confidential_tokens`` when it needs no graph read (read less than the TTL ago), else None."""
    hit = _CONFIDENTIAL.get(id(g))
    return hit[1] if hit is not None and time.monotonic() - hit[0] <= CONFIDENTIAL_TTL else None


@lru_cache(maxsize=64)
def _matcher(tokens: tuple[str, ...], more: tuple[str, ...] = ()) -> tuple[list[str], re.Pattern[str] | None]:
    """The tokens, longest first, and one pattern for them: built once per token set (most answers
    share the same confidential addresses, so ``tokens`` is usually the very same tuple)."""
    kept = {t.strip() for t in (*tokens, *more) if t and t.upper() != "CONFIDENTIAL"}
    uniq = sorted((t for t in kept if len(t) >= MIN_TOKEN), key=len, reverse=True)
    return uniq, re.compile("|".join(re.escape(t) for t in uniq), re.IGNORECASE) if uniq else None


_LAST: tuple[tuple[str, ...], tuple[list[str], re.Pattern[str] | None]] | None = None


class LeakGuard:
    """Forbidden tokens for one subject, and a scrubber for responses."""

    def __init__(self, tokens: Iterable[str], more: Iterable[str] = ()):
        global _LAST
        tokens, more = tuple(tokens), tuple(more)
        last = _LAST
        if last is not None and last[0] is tokens and not more:
            uniq, self._re = last[1]  # the same tuple of confidential tokens as the answer before
        else:
            uniq, self._re = _matcher(tokens, more)  # hashes every token: thousands, on every answer
            if not more:
                _LAST = (tokens, (uniq, self._re))
        self.tokens = list(uniq)
        self.hits = 0

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
        return cls(_confidential_tokens(g), tokens)

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
