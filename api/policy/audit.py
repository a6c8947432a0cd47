"""The s.62 log: append-only, hash-chained, verifiable, readable by auditors only.

Each record carries the hash of the record before it, and its own hash is an HMAC-SHA256 (keyed
with ``DOTS_AUDIT_KEY`` or ``state/audit.key``) over its canonical JSON and that previous hash.
So an edited record fails its own hash, an inserted or removed record breaks the link after it
(and the sequence numbers), and a record cut from the end no longer matches ``audit_head``,
which every append updates in the same transaction. Without the key a forger cannot recompute a
consistent chain; an operator should keep the key outside the data directory in production
(``DOTS_AUDIT_KEY``) and may copy the head hash elsewhere from time to time.

An append may carry rows of other tables that the request recorded besides being logged (a
disclosure check made by a search): they are written in the same transaction as its record, so
neither is ever kept without the other, and the request pays for one transaction, not two.

Appends are serialised within the process and across processes by the store. On SQLite one writer
thread appends whatever records are waiting in one ``BEGIN IMMEDIATE`` transaction on a plain
``sqlite3`` connection (this runs on every read: the ORM and a commit per record cost more than
the work); on PostgreSQL each append takes ``SELECT … FOR UPDATE`` on the head row. The record's
sequence number is its primary key, so two writers can never fork it. An append returns only
once the transaction holding its record has committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import json
import os
import queue
import re
import sqlite3
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.config import audit_checkpoint_file, audit_key_file, database_url, secret
from api.store.db import AuditHead, AuditRecord, session_factory

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


# A purpose code or case reference as the log's columns keep one (api.policy.roles.REFERENCE_RE, any
# length up to the column's): letters, digits and / . _ : - only, starting with a letter or digit.
PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._:-]*")
PURPOSE_WIDTH, REFERENCE_WIDTH = 32, 64  # AuditRecord.purpose's column; the longest reference accepted


def as_sent(value: object, width: int) -> str | None:
    """A purpose or reference as a caller sent it, as the s.62 record of a refused request keeps
    it: as given when it is a plain code of at most ``width`` characters, else None. A refusal's
    record says what was asked for (``fishing``, ``immigration_enforcement``, ``HOIE/123``), but
    free text ("check Jane Doe's visa") would carry a name into the log's columns, and anything
    else (a line break, a spreadsheet formula, a megabyte) would let a caller write into the log or
    bloat it: such a value is kept out, and :func:`not_kept` says so in the record's detail."""
    text = "" if value is None else str(value)
    return text if len(text) <= width and PLAIN.fullmatch(text) else None


def not_kept(**sent: tuple[object, int]) -> str | None:
    """What a refusal's detail says of each sent value (name -> (value, width)) that
    :func:`as_sent` keeps out of its column: its name and length, never the value."""
    out = [f"{name} as sent is not a code ({len(str(value))} characters): not kept"
           for name, (value, width) in sent.items() if value not in (None, "") and as_sent(value, width) is None]
    return "; ".join(out) or None


# (table, column values): a row written in the transaction of an audit record
Row = tuple[Table, dict[str, Any]]
# who waits for a record: an event loop and a future of it
Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[int]"]


def audit_key(data_dir: Path) -> bytes:
    """``DOTS_AUDIT_KEY``, else the key in ``DOTS_AUDIT_KEY_FILE``, else ``state/audit.key``."""
    return secret(data_dir, "audit", "DOTS_AUDIT_KEY", audit_key_file(Path(data_dir)))


class Checkpoint:
    """The key-signed position of the log's end, kept outside the state database.

    Whoever holds the database alone can delete records from the end of the chain and move the
    head row back, empty the log, or put back an older copy of the database: every remaining
    record still verifies. The checkpoint says how long the log was and what its last record's
    hash was, signed with the audit key, in a file of its own (``DOTS_AUDIT_CHECKPOINT``; in
    production on storage the database's holder cannot write). A log shorter than its checkpoint,
    or whose record at the checkpoint is another, fails verification.

    Written after each committed batch of records, never before (a checkpoint may lag the log by
    a batch, never lead it). Two fixed slots, written in turn under an exclusive ``flock``, so a
    torn write leaves the other slot valid and two processes (a server, the CLI) only ever move it
    forward."""

    SLOT = 256
    DOMAIN = b"dots-audit-checkpoint"

    def __init__(self, path: Path, key: bytes):
        self.path = Path(path)
        self.key = key
        self._lock = threading.Lock()

    def _mac(self, seq: int, hash_: str, at: str) -> str:
        return hmac.new(self.key, b"\n".join([self.DOMAIN, str(seq).encode(), hash_.encode(), at.encode()]),
                        hashlib.sha256).hexdigest()

    def _slots(self, raw: bytes) -> list[dict[str, Any]]:
        """The valid slots of a checkpoint file (a slot whose signature fails is not valid)."""
        out = []
        for i in (0, 1):
            chunk = raw[i * self.SLOT : (i + 1) * self.SLOT].strip()
            try:
                slot = json.loads(chunk)
                seq, hash_, at, mac = int(slot["seq"]), str(slot["hash"]), str(slot["at"]), str(slot["mac"])
            except (ValueError, KeyError, TypeError):
                continue
            if hmac.compare_digest(self._mac(seq, hash_, at), mac):
                out.append({"seq": seq, "hash": hash_, "at": at, "slot": i})
        return out

    def read(self) -> tuple[str, dict[str, Any] | None]:
        """("missing" | "invalid" | "ok", the latest valid checkpoint)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return "missing", None
        slots = self._slots(raw)
        if not slots:
            return "invalid", None
        return "ok", max(slots, key=lambda s: s["seq"])

    def advance(self, seq: int, hash_: str) -> None:
        """Record that the log now ends at record ``seq`` with ``hash_`` (ignored if it already
        says more)."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                slots = self._slots(os.pread(fd, 2 * self.SLOT, 0))
                latest = max(slots, key=lambda s: s["seq"]) if slots else None
                if latest is not None and latest["seq"] >= seq:
                    return
                at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                body = json.dumps({"seq": seq, "hash": hash_, "at": at, "mac": self._mac(seq, hash_, at)}).encode()
                slot = 1 - latest["slot"] if latest is not None else 0
                os.pwrite(fd, body.ljust(self.SLOT - 1) + b"\n", slot * self.SLOT)
            finally:
                os.close(fd)  # closing releases the lock


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

    def __init__(self, sessions: sessionmaker, key: bytes, checkpoint: Path | None = None):
        self.sessions = sessions
        self.key = key
        self.checkpoint = Checkpoint(checkpoint, key) if checkpoint is not None else None
        self._lock = threading.Lock()
        self._sqlite_file = _sqlite_file(sessions)
        self._sqlite: _SqliteWriter | None = None

    @classmethod
    def of(cls, data_dir: Path, sessions: sessionmaker | None = None) -> AuditLog:
        """The log of a data directory's state store, with its key and checkpoint."""
        data_dir = Path(data_dir)
        sessions = sessions or session_factory(database_url(data_dir))
        return cls(sessions, audit_key(data_dir), audit_checkpoint_file(data_dir))

    def _fields(self, entry: Entry) -> dict[str, Any]:
        fields = dict(vars(entry))  # every field is a plain value but person_ids, replaced just below
        fields["person_ids"] = json.dumps(sorted({str(p) for p in entry.person_ids}))
        fields["at"] = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        return fields

    def append(self, entry: Entry, rows: list[Row] | None = None) -> int:
        """Write one record (and ``rows``, in the same transaction) and return its sequence number
        once committed; raises if it could not be written, so the caller can withhold the data
        rather than release it unlogged."""
        fields = self._fields(entry)
        if self._sqlite_file is not None:
            done: Future[int] = Future()
            self._writer().submit(fields, rows or [], done)
            return done.result()
        return self._append_orm(fields, rows or [])

    async def append_async(self, entry: Entry, rows: list[Row] | None = None) -> int:
        """``append`` for the event loop: waits for the commit without holding a worker thread."""
        fields = self._fields(entry)
        if self._sqlite_file is not None:
            loop = asyncio.get_running_loop()
            done: asyncio.Future[int] = loop.create_future()
            self._writer().submit(fields, rows or [], (loop, done))
            return await done
        from starlette.concurrency import run_in_threadpool  # only the server appends from a loop

        return await run_in_threadpool(self._append_orm, fields, rows or [])

    def _append_orm(self, fields: dict[str, Any], rows: list[Row]) -> int:
        head_t, log_t = AuditHead.__table__, AuditRecord.__table__
        with self._lock, self.sessions.begin() as session:
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
            for table, values in rows:
                session.execute(insert(table).values(**values))
        if self.checkpoint is not None:  # after the commit: a checkpoint never leads the log
            self.checkpoint.advance(fields["seq"], fields["hash"])
        return fields["seq"]

    def _writer(self) -> _SqliteWriter:
        with self._lock:
            if self._sqlite is None:
                assert self._sqlite_file is not None
                self._sqlite = _SqliteWriter(self._sqlite_file, self.key, self.checkpoint)
            return self._sqlite

    def close(self) -> None:
        with self._lock:
            writer, self._sqlite = self._sqlite, None
        if writer is not None:
            writer.close()


class _SqliteWriter:
    """One thread writing the chain of a SQLite store, a batch of waiting records per transaction.

    Each transaction is ``BEGIN IMMEDIATE``: the write lock is taken before the head is read, so
    appends from other processes (a second server, the CLI) queue instead of forking the chain.
    A record's future completes only after the COMMIT that holds it; if the transaction fails,
    every record in it fails (the callers answer 500 and release nothing)."""

    MAX_BATCH = 256

    def __init__(self, path: str, key: bytes, checkpoint: Checkpoint | None = None):
        self.key = key
        self.checkpoint = checkpoint
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], list[Row], Future | Waiter] | None] = queue.SimpleQueue()
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: each commit reaches the disk before the checkpoint moves past it. Under NORMAL a
        # power cut can lose the last commits of the WAL after the checkpoint recorded them: a log
        # shorter than its checkpoint, which verification must call tampering. One fsync a batch.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        # A checkpoint (copying the WAL into the database, with an fsync) inside a commit would hold
        # every waiting answer: this connection never checkpoints, a second one does, beside it.
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._path = path
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dots-audit-writer", daemon=True)
        self._thread.start()
        self._checkpointer = threading.Thread(target=self._checkpoints, name="dots-audit-checkpoint", daemon=True)
        self._checkpointer.start()

    def submit(self, fields: dict[str, Any], rows: list[Row], waiter: Future | Waiter) -> None:
        """Queue a record, settled through ``waiter``: a thread's future, or an event loop and a
        future of it."""
        self._queue.put((fields, rows, waiter))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._stopped.set()
        self._checkpointer.join()
        self._conn.close()

    def _checkpoints(self, every: float = 1.0) -> None:
        """PASSIVE checkpoints once a second: they wait for no reader or writer."""
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopped.wait(every):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy or locked: the next one catches up
                    pass
        finally:
            conn.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < self.MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            outcomes: list[int | BaseException]
            try:
                outcomes = list(self._write([(fields, rows) for fields, rows, _ in batch]))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting request
                outcomes = [exc] * len(batch)
            # one wake-up per event loop per batch, not one per record
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, int | BaseException]]] = {}
            for (*_, waiter), outcome in zip(batch, outcomes, strict=True):
                if isinstance(waiter, Future):
                    _settle([(waiter, outcome)])
                else:
                    by_loop.setdefault(waiter[0], []).append((waiter[1], outcome))
            for loop, settled in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, settled)
                except RuntimeError:  # that loop has closed: nobody is waiting any more
                    pass
            if stop:
                return

    def _write(self, records: list[tuple[dict[str, Any], list[Row]]]) -> list[int]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = conn.execute(_HEAD).fetchone()
            if head is None:
                conn.execute(_NEW_HEAD, (GENESIS,))
                head = (0, GENESIS)
            seq, prev = head
            for fields, rows in records:
                seq += 1
                fields["seq"], fields["prev_hash"] = seq, prev
                fields["hash"] = prev = _digest(self.key, fields)
                conn.execute(_INSERT, [fields[k] for k in _COLUMNS])
                for table, values in rows:
                    conn.execute(*_sqlite_insert(table, values))
            conn.execute(_MOVE_HEAD, (seq, prev))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if self.checkpoint is not None:  # after the commit: a checkpoint never leads the log
            self.checkpoint.advance(seq, prev)
        return [fields["seq"] for fields, _ in records]


def _settle(settled: list[tuple[Any, int | BaseException]]) -> None:
    """Complete waiting futures (an event loop's, on that loop; or thread futures) with their
    record's sequence number or the error that kept it from being written."""
    for fut, outcome in settled:
        if fut.done():  # the request went away
            continue
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)


_SQLITE = sqlite.dialect()


def _sqlite_insert(table: Table, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """A plain ``sqlite3`` insert of one row, with each value converted as SQLAlchemy would
    (an aware datetime to the UTC text the ORM reads back)."""
    sql, converters = _sqlite_statement(table, tuple(values))
    return sql, [convert(v) if convert else v for convert, v in zip(converters, values.values(), strict=True)]


@functools.lru_cache(maxsize=64)
def _sqlite_statement(table: Table, names: tuple[str, ...]) -> tuple[str, list[Any]]:
    converters = [table.c[name].type.dialect_impl(_SQLITE).bind_processor(_SQLITE) for name in names]
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", converters


def operating_system_user() -> str:
    """Who runs a command line, as its records name them: ``os:<name>`` of the process's uid (from
    the password database, never ``$USER`` or ``$LOGNAME``, which anyone can set), ``os:uid N`` when
    the uid has no name (a container)."""
    import pwd

    try:
        return f"os:{pwd.getpwuid(os.getuid()).pw_name}"
    except KeyError:
        return f"os:uid {os.getuid()}"


def append_record(data_dir: Path, entry: Entry) -> int:
    """Append one record to a data directory's log from outside the API (the CLI, ``dots user
    add``): the same chain, key, checkpoint and fields as the server's records. Returns its
    sequence number once committed; raises if it could not be written (release nothing then)."""
    log = AuditLog.of(Path(data_dir))
    try:
        return log.append(entry)
    finally:
        log.close()


def record_dict(rec: AuditRecord) -> dict[str, Any]:
    out = {k: getattr(rec, k) for k in (*HASHED, "hash")}
    out["person_ids"] = json.loads(rec.person_ids)
    return out


def verify_session(
    session: Session, key: bytes, checkpoint: Checkpoint | None = None
) -> tuple[bool, dict | None]:
    """Walk the chain in order; the first record that fails, with what is wrong with it. With a
    ``checkpoint``, also that the log is not shorter than it was and ends in the same record."""
    expected_seq, prev = 1, GENESIS
    at_checkpoint: str | None = None
    state, mark = checkpoint.read() if checkpoint is not None else ("ok", None)
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
        if mark is not None and rec.seq == mark["seq"]:
            at_checkpoint = rec.hash
        expected_seq, prev = rec.seq + 1, rec.hash
    head = session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is None and last:
        return False, {"seq": last, "problem": "chain head is missing"}
    if head is not None and (head.seq != last or head.hash != prev):
        return False, {"seq": last + 1, "problem": f"records after {last} are missing (head says {head.seq})"}
    if checkpoint is None:
        return True, None
    where = str(checkpoint.path)
    if state == "invalid":
        return False, {"seq": last, "problem": f"the checkpoint {where} is not signed with the audit key"}
    if mark is None:
        if last:
            return False, {
                "seq": last,
                "problem": f"no checkpoint at {where}: nothing vouches that the log was not cut from the end",
            }
        return True, None
    if mark["seq"] > last:
        return False, {
            "seq": last + 1,
            "problem": f"the log ends at record {last} but its checkpoint of {mark['at']} vouches for "
            f"{mark['seq']}: records were cut from the end, the log emptied, or the database replaced "
            "by an older copy",
        }
    if at_checkpoint != mark["hash"]:
        return False, {
            "seq": mark["seq"],
            "problem": f"record {mark['seq']} is not the one its checkpoint signed: the log was rewritten or replaced",
        }
    return True, None


def verify_chain(data_dir: Path) -> tuple[bool, dict | None]:
    """``dots audit verify``: (True, None) for an intact log, else (False, first bad record and
    the problem): edits, insertions, removals, a cut tail, an emptied log, an older copy. Raises
    ``FileNotFoundError`` when there is no state store or no audit key to verify with."""
    data_dir = Path(data_dir)
    if not os.environ.get("DOTS_DATABASE_URL") and not (data_dir / "state" / "dots.sqlite").exists():
        raise FileNotFoundError(f"no state store in {data_dir}: nothing to verify")  # and nothing created
    url = database_url(data_dir)
    key_file = audit_key_file(data_dir)
    if key_file is not None and not key_file.exists():
        raise FileNotFoundError(f"no audit key at {key_file}: the log cannot be verified without it")
    key = audit_key(data_dir)
    sessions = session_factory(url)
    with sessions() as session:
        return verify_session(session, key, Checkpoint(audit_checkpoint_file(Path(data_dir)), key))
