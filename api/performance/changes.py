"""Which kinds of state-store rows this process has changed, for the caches that keep them.

A committed change to an account or API key ("accounts") or to a disclosure case ("cases") in
this process bumps that kind's version through SQLAlchemy session events (flushes of mapped
objects, and UPDATE or DELETE statements run through a session): at flush already, so a
read racing the commit is not kept, and again at commit. A :class:`VersionedCache` entry is
served only while its kind's version is the one it was read at, and for at most ``ttl`` seconds
(the bound on changes made by another process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from api.store.db import ApiKey, Case, User

KINDS: dict[str, tuple[type, ...]] = {"accounts": (User, ApiKey), "cases": (Case,)}
_versions = dict.fromkeys(KINDS, 0)
_lock = threading.Lock()


def version(kind: str) -> int:
    """Bumped after every flush and commit in this process that touched rows of ``kind``."""
    return _versions[kind]


def _bump(kinds: set[str]) -> None:
    with _lock:
        for kind in kinds:
            _versions[kind] += 1


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _ctx: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    kinds = {kind for kind, classes in KINDS.items() if any(isinstance(o, classes) for o in changed)}
    if kinds:
        session.info.setdefault("dots_changed", set()).update(kinds)
        _bump(kinds)


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state: ORMExecuteState) -> None:
    """UPDATE and DELETE statements run through a session change rows without a flush."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    kinds = {kind for kind, classes in KINDS.items() if any(c.__tablename__ == name for c in classes)}
    if kinds:
        state.session.info.setdefault("dots_changed", set()).update(kinds)
        _bump(kinds)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    _bump(session.info.pop("dots_changed", set()))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop("dots_changed", None)


class VersionedCache:
    """key -> value for ``ttl`` seconds, dropped when rows of ``kind`` change; ``ttl`` <= 0 keeps nothing."""

    MAX_ENTRIES = 10_000

    def __init__(self, kind: str, ttl: float):
        self.kind = kind
        self.ttl = ttl
        self._data: dict[Hashable, tuple[float, int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        hit = self._data.get(key) if self.ttl > 0 else None
        if hit is None:
            return None
        until, seen, value = hit
        if seen != _versions[self.kind] or time.monotonic() >= until:
            with self._lock:
                self._data.pop(key, None)
            return None
        return value

    def put(self, key: Hashable, value: Any, seen: int, ttl: float | None = None) -> None:
        """Keep ``value``, read when the kind was at version ``seen`` (not kept if it changed since)."""
        ttl = self.ttl if ttl is None else min(self.ttl, ttl)
        if ttl <= 0 or seen != _versions[self.kind]:
            return
        with self._lock:
            if len(self._data) >= self.MAX_ENTRIES:  # many distinct keys: start again rather than grow
                self._data.clear()
            self._data[key] = (time.monotonic() + ttl, seen, value)
