"""Steward decisions on address, order and event pairs: kept, and honoured on every run.

The same log discipline as for people (append-only JSONL, latest decision per pair wins, who
and when and why), in its own file so the person engine never reads entity keys:
DATA_DIR/linkage/steward/entity_decisions.jsonl. A decision names the kind and the two keys
shown in entity_pairs (address form keys, order record keys, event record keys; for a
breach, the event record key and an order record key: "same" links them, "not_same" unlinks).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linkage.steward import append_entry, check_pair, latest, read_entries
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
    left, right = check_pair(key_l, key_r, decision, user)
    append_entry(decisions_path(data_dir), {"kind": kind, "key_l": left, "key_r": right, "decision": decision,
                                            "user": user, "note": note})


def load_decisions(data_dir: Path | str, kind: str | None = None) -> pd.DataFrame:
    """The latest decision per (kind, pair)."""
    frame = latest(read_entries(decisions_path(data_dir)), _COLS, ["kind", "key_l", "key_r"])
    if kind is not None:
        frame = frame[frame["kind"] == kind].reset_index(drop=True)
    return frame
