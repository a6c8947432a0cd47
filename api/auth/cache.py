"""Who a credential belongs to, remembered for a few seconds so that each request need not read the
state store (and hash the API key) again.

Any committed change to an account or an API key in this process (role, forces, disabling, token
version, revocation, a new key) empties the cache at once (:mod:`api.performance.changes`). Changes made by
another process (``dots user …`` while the server runs) take effect when an entry expires:
``DOTS_AUTH_CACHE_SECONDS`` (default 5; 0 reads the account on every request). A bearer token is
never kept past its own expiry.
"""

from __future__ import annotations

import hashlib
from typing import Any

from api.performance.changes import VersionedCache, version


def accounts_version() -> int:
    """Bumped after every commit in this process that touched users or API keys."""
    return version("accounts")


def _digest(credential: str) -> bytes:
    """Entries are keyed by a digest, so the cache holds no usable credential."""
    return hashlib.sha256(credential.encode()).digest()


class PrincipalCache(VersionedCache):
    """Credential -> principal for ``ttl`` seconds, dropped when any account changes."""

    def __init__(self, ttl: float):
        super().__init__("accounts", ttl)

    def get(self, credential: str) -> Any | None:
        return super().get(_digest(credential)) if self.ttl > 0 else None

    def put(self, credential: str, principal: Any, version: int, expires_in: float | None = None) -> None:
        """Keep ``principal``, read when the accounts were at ``version`` (not kept if they changed)."""
        super().put(_digest(credential), principal, version, expires_in)
