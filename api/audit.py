"""The s.62 log: append-only, hash-chained, verifiable, readable by auditors only.

Each record carries the hash of the record before it, and its own hash is an HMAC-SHA256 (keyed
with ``DOTS_AUDIT_KEY`` or ``state/audit.key``) over its canonical JSON and that previous hash.
So an edited record fails its own hash, an inserted or removed record breaks the link after it
(and the sequence numbers), and a record cut from the end no longer matches ``audit_head``,
which every append updates in the same transaction. Without the key a forger cannot recompute a
consistent chain; an operator should keep the key outside the data directory in production
(``DOTS_AUDIT_KEY``) and may copy the head hash elsewhere from time to time.

Appends are serialised by a process lock and across processes by the store: on SQLite each append
is one ``BEGIN IMMEDIATE`` transaction on a connection of its own (plain ``sqlite3``: this runs on
every read, and the ORM cost more than the write), on PostgreSQL ``SELECT … FOR UPDATE`` on the
head row. The record's sequence number is its primary key, so two writers can never fork it.
The append returns only once its transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.config import database_url, secret
from api.db import AuditHead, AuditRecord, session_factory

GENESIS = "0" * 64
HASHED = (
    "seq",
    "at",
    "user_id",
    "user_name",
    "role",
    "forces",
    "operation",
    "purpose",
    "reference",
    "method",
    "route",
    "path",
    "person_ids",
    "count",
    "outcome",
    "status",
    "detail",
    "recipients",
    "prev_hash",
)


@dataclass
class Entry:
    """What one request did, as the log keeps it."""

    operation: str
    method: str
    route: str
    path: str
    outcome: str  # ok / refused / error
    status: int
    user_id: int | None = None
    user_name: str | None = None
    role: str | None = None
    forces: str | None = None  # "national" or comma-separated ONS codes
    purpose: str | None = None
    reference: str | None = None
    person_ids: list[str] = field(default_factory=list)
    count: int | None = None
    detail: str | None = None
    recipients: str | None = None


def audit_key(data_dir: Path) -> bytes:
    return secret(data_dir, "audit", "DOTS_AUDIT_KEY")


def _digest(key: bytes, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {k: fields[k] for k in HASHED}, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


_COLUMNS = (*HASHED, "hash")
_INSERT = f"INSERT INTO {AuditRecord.__tablename__} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_HEAD = f"SELECT seq, hash FROM {AuditHead.__tablename__} WHERE id = 1"
_NEW_HEAD = f"INSERT INTO {AuditHead.__tablename__} (id, seq, hash) VALUES (1, 0, ?)"
_MOVE_HEAD = f"UPDATE {AuditHead.__tablename__} SET seq = ?, hash = ? WHERE id = 1"


def _sqlite_file(sessions: sessionmaker) -> str | None:
    """The database file of a SQLite store (None for other engines and in-memory stores)."""
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return None
    path = bind.url.database
    return path if path and path != ":memory:" and not path.startswith("file:") else None


class AuditLog:
    """Appends records to the chain of one state store."""

    def __init__(self, sessions: sessionmaker, key: bytes):
        self.sessions = sessions
        self.key = key
        self._lock = threading.Lock()
        self._sqlite_file = _sqlite_file(sessions)
        self._conn: sqlite3.Connection | None = None

    def _fields(self, entry: Entry) -> dict[str, Any]:
        fields = asdict(entry)
        fields["person_ids"] = json.dumps(sorted({str(p) for p in entry.person_ids}))
        fields["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        return fields

    def append(self, entry: Entry) -> int:
        """Write one record and return its sequence number once committed; raises if it could not
        be written, so the caller can withhold the data rather than release it unlogged."""
        fields = self._fields(entry)
        if self._sqlite_file is not None:
            return self._append_sqlite(fields)
        head_t, log_t = AuditHead.__table__, AuditRecord.__table__
        with self._lock, self.sessions.begin() as session:  # Core statements: this runs on every read
            head = session.execute(
                select(head_t.c.seq, head_t.c.hash).where(head_t.c.id == 1).with_for_update()
            ).first()
            if head is None:
                session.execute(insert(head_t).values(id=1, seq=0, hash=GENESIS))
                head = (0, GENESIS)
            fields["seq"] = head[0] + 1
            fields["prev_hash"] = head[1]
            fields["hash"] = _digest(self.key, fields)
            session.execute(insert(log_t).values(**fields))
            session.execute(update(head_t).where(head_t.c.id == 1).values(seq=fields["seq"], hash=fields["hash"]))
        return fields["seq"]

    def _append_sqlite(self, fields: dict[str, Any]) -> int:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken before the head is read, so
        appends from other processes (a second server, the CLI) queue instead of forking."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                head = conn.execute(_HEAD).fetchone()
                if head is None:
                    conn.execute(_NEW_HEAD, (GENESIS,))
                    head = (0, GENESIS)
                fields["seq"] = head[0] + 1
                fields["prev_hash"] = head[1]
                fields["hash"] = _digest(self.key, fields)
                conn.execute(_INSERT, [fields[k] for k in _COLUMNS])
                conn.execute(_MOVE_HEAD, (fields["seq"], fields["hash"]))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return fields["seq"]

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._sqlite_file, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def record_dict(rec: AuditRecord) -> dict[str, Any]:
    out = {k: getattr(rec, k) for k in (*HASHED, "hash")}
    out["person_ids"] = json.loads(rec.person_ids)
    return out


def verify_session(session: Session, key: bytes) -> tuple[bool, dict | None]:
    """Walk the chain in order; the first record that fails, with what is wrong with it."""
    expected_seq, prev = 1, GENESIS
    rows = session.execute(select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=2000))
    for rec in rows.scalars():
        fields = {k: getattr(rec, k) for k in HASHED}
        if rec.seq != expected_seq:
            return False, {
                "seq": expected_seq,
                "problem": f"record {expected_seq} is missing (next is {rec.seq})",
            }
        if rec.prev_hash != prev:
            return False, {
                **record_dict(rec),
                "problem": "does not follow the record before it (inserted, removed or reordered)",
            }
        if not hmac.compare_digest(_digest(key, fields), rec.hash):
            return False, {**record_dict(rec), "problem": "content does not match its hash (edited)"}
        expected_seq, prev = rec.seq + 1, rec.hash
    head = session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is None and last:
        return False, {"seq": last, "problem": "chain head is missing"}
    if head is not None and (head.seq != last or head.hash != prev):
        return False, {"seq": last + 1, "problem": f"records after {last} are missing (head says {head.seq})"}
    return True, None


def verify_chain(data_dir: Path) -> tuple[bool, dict | None]:
    """``dots audit verify``: (True, None) for an intact log, else (False, first bad record)."""
    sessions = session_factory(database_url(Path(data_dir)))
    with sessions() as session:
        return verify_session(session, audit_key(Path(data_dir)))
