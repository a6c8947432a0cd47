"""Passwords, bearer tokens and API keys, each by a maintained library: no cryptography of our own.

* Passwords: Argon2id through ``argon2-cffi`` (the library's default parameters, which follow
  RFC 9106). ``DOTS_ARGON2_PROFILE=CHEAPEST`` exists for the test suite only.
* Bearer tokens: short-lived JWTs (HS256) through ``PyJWT`` with issuer, audience, expiry and the
  user's ``token_version``, so disabling a user or changing a role revokes tokens already issued.
* API keys for service accounts: ``dots_<key id>_<secret>`` with a 256-bit secret from
  :mod:`secrets`; only its SHA-256 is stored (a random 256-bit secret needs no slow hash), and
  comparison is constant-time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from functools import cache

import argon2
import argon2.profiles
import jwt

ISSUER = "dots"
AUDIENCE = "dots-api"
ALGORITHM = "HS256"


@cache
def _hasher(profile: str) -> argon2.PasswordHasher:
    if profile == "default":
        return argon2.PasswordHasher()
    return argon2.PasswordHasher.from_parameters(getattr(argon2.profiles, profile))


def hasher() -> argon2.PasswordHasher:
    return _hasher(os.environ.get("DOTS_ARGON2_PROFILE", "default"))


def hash_password(password: str) -> str:
    return hasher().hash(password)


_DUMMY: dict[str, str] = {}


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown user costs as much as a known one."""
    h = hasher()
    if stored is None:
        dummy = _DUMMY.setdefault("h", h.hash(secrets.token_hex(16)))
        try:
            h.verify(dummy, password)
        except argon2.exceptions.VerificationError:
            pass
        return False
    try:
        return h.verify(stored, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


def generate_password() -> str:
    """A password for a first admin who gave none (printed once by the CLI)."""
    return secrets.token_urlsafe(18)


# -- bearer tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int
    expires: dt.datetime


def issue_token(key: bytes, user_id: int, role: str, version: int, minutes: int) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(user_id),
        "role": role,
        "ver": version,
        "iat": now,
        "nbf": now,
        "exp": now + dt.timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM), minutes * 60


def read_token(key: bytes, token: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token of ours, else None (never an exception)."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            leeway=5,
        )
        return TokenClaims(
            int(claims["sub"]), int(claims.get("ver", 0)), dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None


# -- API keys -------------------------------------------------------------------------------------

API_KEY_PREFIX = "dots"


def new_api_key() -> tuple[str, str, str]:
    """(full key to hand out once, key id to store, hash to store)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}_{key_id}_{secret}", key_id, _key_hash(secret)


def split_api_key(full: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    parts = full.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def api_key_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(_key_hash(secret), stored_hash)


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
