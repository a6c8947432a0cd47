"""Who a credential belongs to, remembered for a few seconds so that each request need not read the
state store (and hash the API key) again.

Any committed change to an account or an API key in this process (role, forces, disabling, token
version, revocation, a new key) empties the cache at once, through SQLAlchemy session events.
Changes made by another process (``dots user …`` while the server runs) take effect when an
entry expires: ``DOTS_AUTH_CACHE_SECONDS`` (default 5; 0 reads the account on every request).
A bearer token is never kept past its own expiry.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from api.db import ApiKey, User

_version = 0
_version_lock = threading.Lock()


def accounts_version() -> int:
    """Bumped after every commit in this process that touched users or API keys."""
    return _version


def _bump() -> None:
    global _version
    with _version_lock:
        _version += 1


@event.listens_for(Session, "after_flush")
def _note_account_changes(session: Session, _ctx: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(o, User | ApiKey) for o in changed):
        session.info["dots_accounts_changed"] = True
        _bump()  # already now: a read racing the commit is not kept (see PrincipalCache.put)


@event.listens_for(Session, "after_commit")
def _accounts_committed(session: Session) -> None:
    if session.info.pop("dots_accounts_changed", False):
        _bump()


@event.listens_for(Session, "after_rollback")
def _accounts_rolled_back(session: Session) -> None:
    session.info.pop("dots_accounts_changed", None)


def _digest(credential: str) -> bytes:
    """Entries are keyed by a digest, so the cache holds no usable credential."""
    return hashlib.sha256(credential.encode()).digest()


class PrincipalCache:
    """Credential -> principal for ``ttl`` seconds, dropped when any account changes."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._data: dict[bytes, tuple[float, int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, credential: str) -> Any | None:
        if self.ttl <= 0:
            return None
        credential = _digest(credential)
        hit = self._data.get(credential)
        if hit is None:
            return None
        until, version, principal = hit
        if version != _version or time.monotonic() >= until:
            with self._lock:
                self._data.pop(credential, None)
            return None
        return principal

    def put(
        self,
        credential: str,
        principal: Any,
        version: int,
        expires_in: float | None = None,
    ) -> None:
        """Keep ``principal``, read when the accounts were at ``version`` (not kept if they changed)."""
        if self.ttl <= 0 or version != _version:
            return
        ttl = self.ttl if expires_in is None else min(self.ttl, expires_in)
        if ttl <= 0:
            return
        credential = _digest(credential)
        with self._lock:
            if len(self._data) > 10_000:  # many distinct credentials: start again rather than grow
                self._data.clear()
            self._data[credential] = (time.monotonic() + ttl, version, principal)
