"""Someone holding the state database but not the audit key cannot shorten the s.62 log unnoticed:
cutting records from the end (head moved back to match), emptying the log, or putting back an
older copy of the database each make ``dots audit verify`` exit non-zero with the reason on
stderr. And a production server refuses to start with the key or its checkpoint in the data
directory."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from api.config import KeyPlacementError, audit_checkpoint_file, check_key_placement
from api.policy.audit import AuditLog, Checkpoint, audit_key
from api.store.db import dispose, session_factory
from dots.cli import main
from worlds.testing import read_entry, settings


def _append(data_dir, n: int, start: int = 0) -> None:
    log = AuditLog.of(data_dir, session_factory(settings(data_dir).database_url) if start == 0 else None)
    for i in range(start, start + n):
        log.append(read_entry(f"/x/{i}", user_name="u", person_ids=[f"P{i}"], count=1))
    log.close()


def _sql(data_dir, *statements: str) -> None:
    url = f"sqlite:///{data_dir / 'state' / 'dots.sqlite'}"
    with session_factory(url).begin() as s:
        for statement in statements:
            s.execute(text(statement))
    dispose(url)


def _verify(data_dir, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["audit", "verify", "--data-dir", str(data_dir)])
    return code, capsys.readouterr().err


def test_an_intact_log_verifies(tmp_path, capsys):
    _append(tmp_path, 5)
    assert _verify(tmp_path, capsys) == (0, "")


def test_cutting_the_tail_and_moving_the_head_back_is_found(tmp_path, capsys):
    _append(tmp_path, 6)
    _sql(
        tmp_path,
        "DELETE FROM audit_log WHERE seq > 4",
        "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_log WHERE seq = 4)",
    )
    code, err = _verify(tmp_path, capsys)
    assert code != 0 and "cut from the end" in err and "vouches for 6" in err


def test_emptying_the_log_is_found(tmp_path, capsys):
    _append(tmp_path, 3)
    _sql(tmp_path, "DELETE FROM audit_log", "DELETE FROM audit_head")
    code, err = _verify(tmp_path, capsys)
    assert code != 0 and "ends at record 0" in err


def test_an_older_copy_of_the_database_is_found(tmp_path, capsys):
    db = tmp_path / "state" / "dots.sqlite"
    _append(tmp_path, 3)
    dispose(f"sqlite:///{db}")
    shutil.copy(db, tmp_path / "older.sqlite")
    _append(tmp_path, 4, start=3)
    dispose(f"sqlite:///{db}")
    for extra in ("-wal", "-shm"):
        db.with_name(db.name + extra).unlink(missing_ok=True)
    shutil.copy(tmp_path / "older.sqlite", db)
    code, err = _verify(tmp_path, capsys)
    assert code != 0 and "older copy" in err and "vouches for 7" in err


def test_a_checkpoint_needs_the_key(tmp_path, capsys):
    _append(tmp_path, 2)
    path = audit_checkpoint_file(tmp_path)
    Checkpoint(path, b"not the audit key").advance(1, "0" * 64)  # a forger's own signature
    path.write_bytes(path.read_bytes()[: Checkpoint.SLOT] + b" " * Checkpoint.SLOT)
    code, err = _verify(tmp_path, capsys)
    assert code != 0 and "not signed with the audit key" in err


def test_a_deleted_checkpoint_is_found(tmp_path, capsys):
    _append(tmp_path, 2)
    audit_checkpoint_file(tmp_path).unlink()
    code, err = _verify(tmp_path, capsys)
    assert code != 0 and "no checkpoint" in err


def test_a_rewritten_record_at_the_checkpoint_is_found(tmp_path, capsys):
    """With the key (not the checkpoint's storage) history could be re-signed: the checkpoint
    still pins the last record it saw."""
    from api.policy.audit import GENESIS, HASHED, _digest

    _append(tmp_path, 3)
    key = audit_key(tmp_path)
    url = f"sqlite:///{tmp_path / 'state' / 'dots.sqlite'}"
    with session_factory(url).begin() as s:
        rows = [dict(r) for r in s.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings()]
        prev = GENESIS
        for r in rows:
            r["user_name"], r["prev_hash"] = "covered up", prev
            r["hash"] = prev = _digest(key, {k: r[k] for k in HASHED})
            s.execute(text("UPDATE audit_log SET user_name=:user_name, prev_hash=:prev_hash, hash=:hash "
                           "WHERE seq=:seq"), r)
        s.execute(text("UPDATE audit_head SET hash=:h"), {"h": prev})
    dispose(url)
    code, err = _verify(tmp_path, capsys)
    assert code != 0 and "not the one its checkpoint signed" in err


def test_a_checkpoint_only_moves_forward(tmp_path):
    cp = Checkpoint(tmp_path / "cp", b"k" * 32)
    cp.advance(5, "a" * 64)
    cp.advance(3, "b" * 64)  # a slower writer of an earlier batch
    cp.advance(6, "c" * 64)
    state, mark = cp.read()
    assert state == "ok" and (mark["seq"], mark["hash"]) == (6, "c" * 64)


def test_a_commit_is_on_disk_before_the_checkpoint_moves_past_it(tmp_path, monkeypatch):
    """A power cut must not leave the log shorter than its checkpoint (a false alarm of tampering):
    the writer commits with synchronous=FULL (2), and advances the checkpoint only after."""
    data_dir = tmp_path / "d"
    _append(data_dir, 1)
    log = AuditLog.of(data_dir)
    seen: list[tuple[int, int]] = []
    writer = log._writer()
    real = writer.checkpoint.advance

    def advance(seq: int, hash_: str) -> None:
        synchronous = writer._conn.execute("PRAGMA synchronous").fetchone()[0]
        committed = writer._conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        seen.append((synchronous, committed - seq))
        real(seq, hash_)

    monkeypatch.setattr(writer.checkpoint, "advance", advance)
    log.append(read_entry("/x/after", user_name="u", person_ids=["P9"], count=1))
    log.close()
    assert seen == [(2, 0)]


def test_production_refuses_the_key_beside_the_data(tmp_path, monkeypatch):
    from api.app import create_app

    monkeypatch.delenv("DOTS_DEMO", raising=False)
    for name in ("DOTS_AUDIT_KEY", "DOTS_AUDIT_KEY_FILE", "DOTS_AUDIT_CHECKPOINT"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    with pytest.raises(KeyPlacementError, match="audit key"):
        create_app(data)
    outside = tmp_path / "secrets"
    outside.mkdir()
    monkeypatch.setenv("DOTS_AUDIT_KEY_FILE", str(outside / "audit.key"))
    with pytest.raises(KeyPlacementError, match="checkpoint"):
        check_key_placement(data)
    monkeypatch.setenv("DOTS_AUDIT_CHECKPOINT", str(outside / "audit.checkpoint"))
    check_key_placement(data)
    monkeypatch.setenv("DOTS_AUDIT_KEY_FILE", str(data / "state" / "audit.key"))
    with pytest.raises(KeyPlacementError):
        check_key_placement(data)
    monkeypatch.setenv("DOTS_DEMO", "1")  # a demonstration says so
    check_key_placement(data)


def test_verify_refuses_a_missing_store_or_key_and_creates_nothing(tmp_path):
    from api.policy.audit import verify_chain

    with pytest.raises(FileNotFoundError, match="no state store"):
        verify_chain(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    _append(tmp_path, 1)
    (tmp_path / "state" / "audit.key").unlink()
    with pytest.raises(FileNotFoundError, match="no audit key"):
        verify_chain(tmp_path)
    assert not (tmp_path / "state" / "audit.key").exists()
