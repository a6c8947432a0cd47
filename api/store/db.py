"""The state store: users, API keys, Clare's Law cases, steward decisions, jobs, target lists, audit.

SQLite in the data directory by default, PostgreSQL when ``DOTS_DATABASE_URL`` says so; the
schema is created and upgraded only by the Alembic migrations in ``api/store/migrations`` (never by
``create_all``), so a production database and a test database are built by the same steps.
Times are stored as naive UTC and come back timezone-aware (``UtcDateTime``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the engine keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    forces: Mapped[list] = mapped_column(JSON, default=list)  # ONS codes
    national: Mapped[bool] = mapped_column(Boolean, default=False)
    service: Mapped[bool] = mapped_column(Boolean, default=False)  # service account: API keys only
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped to revoke issued tokens
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # the workforce record (FORCE/REF) of the person using the account: never consults its own
    # record or one it is party to (api.policy.wall)
    employee_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Case(Base):
    """A Clare's Law (DVDS) case: right to ask or right to know."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route: Mapped[str] = mapped_column(String(16))  # ask / know
    force_code: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(64), nullable=True)  # force's own case ref
    applicant: Mapped[dict] = mapped_column(JSON)
    person_at_risk: Mapped[dict] = mapped_column(JSON)
    subject: Mapped[dict] = mapped_column(JSON)  # as described by the applicant
    relationship: Mapped[str] = mapped_column(String(32))
    subject_person_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(100))
    initial_contact_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    meeting_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    exceptional_circumstances: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseCheck(Base):
    __tablename__ = "case_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    system: Mapped[str] = mapped_column(String(32))
    searched_for: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(16))  # trace / no_trace
    details: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_by: Mapped[str] = mapped_column(String(100))
    checked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseDecision(Base):
    __tablename__ = "case_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    decision: Mapped[str] = mapped_column(String(16))  # disclose / no_disclosure
    rationale: Mapped[str] = mapped_column(Text)
    forum: Mapped[str | None] = mapped_column(Text, nullable=True)
    disclosed_info: Mapped[str | None] = mapped_column(Text, nullable=True)
    disclosed_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disclosed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    disclosed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class StewardDecision(Base):
    __tablename__ = "steward_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # pair / merge / split
    record_key_l: Mapped[str] = mapped_column(String(200))
    record_key_r: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision: Mapped[str] = mapped_column(String(16))  # same / not_same / unsure / merge / split
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    person_ids: Mapped[list] = mapped_column(JSON, default=list)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Upload(Base):
    """One delivered extract (a file, or a relational folder's files) under ``state/uploads/<id>``:
    ``size`` and ``sha256`` are of its files as now held (:func:`upload_sha256`), rewritten when an
    erasure takes rows out of them (:mod:`api.store.erasure`)."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


def upload_sha256(file_digests: list[str]) -> str:
    """An upload's SHA-256: of its files' SHA-256 hex digests, in the order they were sent."""
    return hashlib.sha256("".join(file_digests).encode()).hexdigest()


class TargetList(Base):
    """A weekly target list as issued to a tasking meeting: what people were shown, kept."""

    __tablename__ = "target_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    force_code: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[str] = mapped_column(String(10))
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    rows: Mapped[list] = mapped_column(JSON)


class AuditRecord(Base):
    """One s.62 log record; ``hash`` chains it to the record before (see api.policy.audit)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, as hashed
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    forces: Mapped[str | None] = mapped_column(Text, nullable=True)
    operation: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(Text)
    person_ids: Mapped[str] = mapped_column(Text)  # JSON list, as hashed
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    recipients: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last link (one row): serialises appends and exposes a deleted tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# -- engine and migrations ------------------------------------------------------------------------

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """One engine per URL per process; SQLite in WAL mode with a busy timeout for concurrent use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = create_engine(
                    url,
                    connect_args={"check_same_thread": False, "timeout": 30},
                    pool_size=16,
                    max_overflow=16,
                )
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=16, max_overflow=16)
            _engines[url] = engine
        return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA secure_delete=ON")  # a deleted row (an erased record's steward note) is zeroed, not kept
    cur.close()


def migrate(url: str) -> None:
    """Bring the store at ``url`` to the newest schema (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    engine = engine_for(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_migrated: set[str] = set()


def session_factory(url: str) -> sessionmaker:
    """A session maker over a migrated store (migrations run once per store per process)."""
    if url not in _migrated:
        migrate(url)
        _migrated.add(url)
    return sessionmaker(engine_for(url), expire_on_commit=False)


def dispose(url: str) -> None:
    """Close pooled connections and forget the store was migrated (tests, shutdown)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
        _migrated.discard(url)
    if engine is not None:
        engine.dispose()
