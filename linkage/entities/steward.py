"""Steward decisions on address, order and event pairs: kept, and honoured on every run.

The same log discipline as for people (append-only JSONL, latest decision per pair wins, who
and when and why), in its own file so the person engine never reads entity keys:
DATA_DIR/linkage/steward/entity_decisions.jsonl. A decision names the kind and the two keys
shown in entity_pairs (address form keys, order record keys, event record keys; for a
breach, the event record key and an order record key: "same" links them, "not_same" unlinks).
"""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from linkage.steward import DECISIONS
from linkage.store import linkage_dir

KINDS = ("address", "order", "event", "breach")
_COLS = ["kind", "key_l", "key_r", "decision", "user", "note", "at"]


def decisions_path(data_dir: Path | str) -> Path:
    return linkage_dir(data_dir) / "steward" / "entity_decisions.jsonl"


def record_decision(
    data_dir: Path | str, kind: str, key_l: str, key_r: str, decision: str, user: str, note: str = ""
) -> None:
    """Append a steward's decision ('same', 'not_same', 'unsure') on a pair of one kind."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    if key_l == key_r:
        raise ValueError("a pair needs two different keys")
    if not user:
        raise ValueError("a decision needs the user who made it")
    left, right = sorted([str(key_l), str(key_r)])
    entry = {
        "kind": kind,
        "key_l": left,
        "key_r": right,
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


def load_decisions(data_dir: Path | str, kind: str | None = None) -> pd.DataFrame:
    """The latest decision per (kind, pair)."""
    path = decisions_path(data_dir)
    if not path.exists():
        return pd.DataFrame(columns=_COLS)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line)) if line.strip() else None
        except json.JSONDecodeError:
            continue  # a torn last line from a crash: the earlier decisions still hold
    if not rows:
        return pd.DataFrame(columns=_COLS)
    frame = pd.DataFrame(rows).reindex(columns=_COLS)
    frame = frame.drop_duplicates(["kind", "key_l", "key_r"], keep="last").reset_index(drop=True)
    if kind is not None:
        frame = frame[frame["kind"] == kind].reset_index(drop=True)
    return frame
