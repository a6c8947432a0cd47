"""API settings: where the state store lives, how long tokens last, how hard search may be driven.

Everything has a safe default so a demonstration (``DOTS_DEMO=1``) works on a fresh data directory;
production overrides by environment (``DOTS_DATABASE_URL`` for PostgreSQL, ``DOTS_JWT_SECRET``,
``DOTS_AUDIT_KEY_FILE`` or ``DOTS_AUDIT_KEY``, ``DOTS_AUDIT_CHECKPOINT``). Secrets that are not given
are generated once with :mod:`secrets` and kept readable by the owner only; outside a demonstration
the server refuses to start with the audit key or its checkpoint in the data directory.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

TOKEN_MINUTES = 15  # short-lived bearer tokens: a lost token is useful for minutes, not days


def state_dir(data_dir: Path) -> Path:
    """``DATA_DIR/state``: the state store, its keys and uploads."""
    path = Path(data_dir) / "state"
    path.mkdir(parents=True, exist_ok=True)
    return path


def uploads_dir(data_dir: Path) -> Path:
    """``DATA_DIR/state/uploads``: one folder per uploaded extract, named by the upload's id."""
    return Path(data_dir) / "state" / "uploads"


def database_url(data_dir: Path) -> str:
    """``DOTS_DATABASE_URL`` (e.g. ``postgresql+psycopg://…``), else SQLite in the data directory."""
    return os.environ.get("DOTS_DATABASE_URL") or f"sqlite:///{state_dir(data_dir) / 'dots.sqlite'}"


def secret(data_dir: Path, name: str, env: str, path: Path | None = None) -> bytes:
    """A 32-byte key from ``env``, else from ``path`` (default ``state/NAME.key``; created with mode
    0600 on first use)."""
    given = os.environ.get(env)
    if given:
        return _strong(given.encode(), env)
    path = path or state_dir(data_dir) / f"{name}.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written whole under a private name, then linked into place: a process starting at the
        # same moment either loses the link (and reads the winner's key) or reads a complete file
        tmp = path.with_name(f".{name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return _strong(path.read_text().strip().encode(), str(path))


MIN_KEY_BYTES = 32  # HMAC-SHA256 and HS256 want a key as long as the hash


def _strong(key: bytes, where: str) -> bytes:
    """``key``, unless it is too short to sign with: an emptied or truncated key file would
    otherwise sign new audit records and tokens with a key anyone can guess (b'')."""
    if len(key) < MIN_KEY_BYTES:
        raise WeakKeyError(f"the key in {where} is {len(key)} bytes: at least {MIN_KEY_BYTES} are needed "
                           "(restore it, or set a long random one)")
    return key


class KeyPlacementError(RuntimeError):
    """The audit key or its checkpoint lies in the data directory outside a demonstration, or a key
    cannot be trusted at all (:class:`WeakKeyError`): the server and the CLI refuse to start."""


class WeakKeyError(KeyPlacementError):
    """A key (audit or token signing) too short to sign with: an emptied or truncated key file."""


def demo_mode() -> bool:
    """``DOTS_DEMO=1``: a demonstration or a test run, where the audit key and its checkpoint may
    live beside the data. It must be said explicitly (``make demo``, the test suite)."""
    return os.environ.get("DOTS_DEMO", "") not in ("", "0")


def audit_key_file(data_dir: Path) -> Path | None:
    """The file the audit key is read from: ``DOTS_AUDIT_KEY_FILE``, else ``state/audit.key`` (None
    when the key itself is given in ``DOTS_AUDIT_KEY``)."""
    if os.environ.get("DOTS_AUDIT_KEY"):
        return None
    given = os.environ.get("DOTS_AUDIT_KEY_FILE")
    return Path(given) if given else Path(data_dir) / "state" / "audit.key"


def audit_checkpoint_file(data_dir: Path) -> Path:
    """Where the key-signed checkpoint of the audit log's end is kept: ``DOTS_AUDIT_CHECKPOINT``,
    else ``state/audit.checkpoint`` (beside the state database, not in it)."""
    given = os.environ.get("DOTS_AUDIT_CHECKPOINT")
    return Path(given) if given else Path(data_dir) / "state" / "audit.checkpoint"


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check_key_placement(data_dir: Path) -> None:
    """Refuse (:class:`KeyPlacementError`) a production start whose audit key or checkpoint lies in
    the data directory: whoever holds the data would hold what protects the log. A demonstration
    says so with ``DOTS_DEMO=1``."""
    if demo_mode():
        return
    key = audit_key_file(data_dir)
    wrong = []
    if key is not None and _inside(key, Path(data_dir)):
        wrong.append(f"the audit key ({key})")
    if _inside(audit_checkpoint_file(data_dir), Path(data_dir)):
        wrong.append(f"the audit checkpoint ({audit_checkpoint_file(data_dir)})")
    if wrong:
        raise KeyPlacementError(
            f"{' and '.join(wrong)} must not be in the data directory: set DOTS_AUDIT_KEY_FILE (or "
            "DOTS_AUDIT_KEY) and DOTS_AUDIT_CHECKPOINT to places outside it, or DOTS_DEMO=1 for a demonstration"
        )


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Settings:
    """Per-app settings; tests and the benchmark pass their own."""

    data_dir: Path
    graph_uri: str | None = None
    database_url: str = ""
    token_minutes: int = TOKEN_MINUTES
    search_per_minute: int = field(default_factory=lambda: _env_int("DOTS_SEARCH_PER_MINUTE", 60))
    max_page: int = 500
    worker_threads: int = field(default_factory=lambda: _env_int("DOTS_API_THREADS", 2 * (os.cpu_count() or 2)))
    upload_max_bytes: int = field(default_factory=lambda: _env_int("DOTS_UPLOAD_MAX_BYTES", 512 * 1024 * 1024))
    # people whose graph facts are kept per graph load (api.performance.graphcache); 0 switches the cache off
    # seconds a credential's account is remembered (api.auth.cache); 0 reads it on every request
    auth_cache_seconds: float = field(default_factory=lambda: float(os.environ.get("DOTS_AUTH_CACHE_SECONDS") or 5))
    # seconds what a search needs of its case is remembered (api.performance.changes), over the embedded graph only
    case_cache_seconds: float = field(default_factory=lambda: float(os.environ.get("DOTS_CASE_CACHE_SECONDS") or 5))
    graph_cache_entries: int = field(default_factory=lambda: _env_int("DOTS_GRAPH_CACHE", 200_000))
    # fill that cache with every person from whole-graph reads when the graph opens and after loads
    graph_prefill: bool = field(default_factory=lambda: os.environ.get("DOTS_GRAPH_PREFILL", "1") != "0")
    # candidate searches whose ranked answers are kept per resolution output; 0 switches it off
    search_cache_entries: int = field(default_factory=lambda: _env_int("DOTS_SEARCH_CACHE", 10_000))
    # processes ranking candidate searches beside the server (api.performance.ranker); 0 ranks in the server's own
    search_workers: int = field(default_factory=lambda: _env_int("DOTS_SEARCH_WORKERS", (os.cpu_count() or 1) - 1))

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if not self.database_url:
            self.database_url = database_url(self.data_dir)

    @cached_property
    def jwt_key(self) -> bytes:
        return secret(self.data_dir, "jwt", "DOTS_JWT_SECRET")

    @property
    def uploads_dir(self) -> Path:
        path = uploads_dir(self.data_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path
