"""Data steward decisions: 'same' / 'not same' / 'unsure' on a pair, kept and honoured on every run.

Decisions are appended to DATA_DIR/linkage/steward/decisions.jsonl (an append-only log: who,
when, why); the latest decision on a pair wins. ``resolve`` turns them into must-link and
cannot-link constraints that no model score or rule overrides.
"""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from linkage.store import linkage_dir

DECISIONS = ("same", "not_same", "unsure")
CODES = {"same": 1, "not_same": 2, "unsure": 3}


def decisions_path(data_dir: Path | str) -> Path:
    return linkage_dir(data_dir) / "steward" / "decisions.jsonl"


def record_decision(
    data_dir: Path | str, record_key_l: str, record_key_r: str, decision: str, user: str, note: str = ""
) -> None:
    """Append a steward's decision on a pair of person records."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    if record_key_l == record_key_r:
        raise ValueError("a pair needs two different record keys")
    if not user:
        raise ValueError("a decision needs the user who made it")
    left, right = sorted([str(record_key_l), str(record_key_r)])
    entry = {
        "record_key_l": left,
        "record_key_r": right,
        "decision": decision,
        "user": user,
        "note": note,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
    }
    path = decisions_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(json.dumps(entry) + "\n")
        fh.flush()
        fcntl.flock(fh, fcntl.LOCK_UN)


def load_decisions(data_dir: Path | str) -> pd.DataFrame:
    """The latest decision per pair: record_key_l, record_key_r, decision, user, note, at."""
    path = decisions_path(data_dir)
    cols = ["record_key_l", "record_key_r", "decision", "user", "note", "at"]
    if not path.exists():
        return pd.DataFrame(columns=cols)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line from a crash: the earlier decisions still hold
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows)[cols]
    return frame.drop_duplicates(["record_key_l", "record_key_r"], keep="last").reset_index(drop=True)
