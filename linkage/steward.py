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
    left, right = check_pair(record_key_l, record_key_r, decision, user)
    append_entry(decisions_path(data_dir), {"record_key_l": left, "record_key_r": right, "decision": decision,
                                            "user": user, "note": note})


def load_decisions(data_dir: Path | str) -> pd.DataFrame:
    """The latest decision per pair: record_key_l, record_key_r, decision, user, note, at."""
    cols = ["record_key_l", "record_key_r", "decision", "user", "note", "at"]
    return latest(read_entries(decisions_path(data_dir)), cols, ["record_key_l", "record_key_r"])


# -- the decision log, shared with address, order and event decisions (linkage.entities.steward) --
def check_pair(key_l: str, key_r: str, decision: str, user: str) -> tuple[str, str]:
    """Validate a decision and order its pair, so (a, b) and (b, a) are one pair."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    if key_l == key_r:
        raise ValueError("a pair needs two different keys")
    if not user:
        raise ValueError("a decision needs the user who made it")
    left, right = sorted([str(key_l), str(key_r)])
    return left, right


def append_entry(path: Path, entry: dict) -> None:
    """Append one decision, stamped with the time, under a lock (the log is append-only)."""
    entry = {**entry, "at": datetime.now(UTC).isoformat(timespec="microseconds")}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(json.dumps(entry) + "\n")
        fh.flush()
        fcntl.flock(fh, fcntl.LOCK_UN)


def read_entries(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line from a crash: the earlier decisions still hold
    return rows


def latest(rows: list[dict], cols: list[str], pair: list[str]) -> pd.DataFrame:
    """The latest decision per pair wins."""
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows).reindex(columns=cols)
    return frame.drop_duplicates(pair, keep="last").reset_index(drop=True)
