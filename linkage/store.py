"""The linkage store: every output of linkage, read and written here and nowhere else.

Linkage owns DATA_DIR/linkage as staging/store.py owns DATA_DIR/staging. Person resolution
writes the person entities (record -> person id), golden records, scored pairs and their
review queue, the records and model that explanations recompute from, and the map from
retired person ids to their successors; entity resolution writes the address, order and event
entities, breaches, residence and co-residence; stewards' decisions are appended to two logs.
Everything outside linkage (the graph build, the API, the CLI, the sample builders) reads these
through ``LinkageStore`` and never by path, so a file can change shape or place in one module.

Writes are atomic (a temporary file renamed into place): a reader sees the old file or the new
one, never half of one. Readers of a table that has not been written yet get an empty frame with
the table's contract columns (``COLUMNS``), so "not resolved yet" needs no special case.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.golden import GOLDEN_COLUMNS
from linkage.steward import ENTITY_KINDS, check_pair

# -- person resolution (linkage.run) -----------------------------------------------------------
ENTITIES = "entities.parquet"  # one row per person record: its person id
GOLDEN = "golden.parquet"  # one row per person: preferred name, every variant, sources
PAIRS = "pairs.parquet"  # scored pairs at or above review, and every rule or steward decision
REVIEW = "review.parquet"  # the pairs a steward should look at, most consequential first
RECORDS = "records.parquet"  # the compared features of each record (explanations, search)
MODEL = "model.json"
TF = "tf.parquet"
CANDIDATES = "candidates.parquet"  # comparison levels kept for the next incremental run
SUMMARY = "summary.json"
BLOCKING = "blocking_report.json"
SUCCESSORS = "successors.parquet"  # retired person id -> the id that carries it on
CONFIDENTIAL = "confidential.parquet"  # person id -> the day from which all their addresses are confidential
SEARCH_INDEX = "search"  # folder of saved search indexes (linkage.search)
# -- entity resolution (linkage.entities.run) ---------------------------------------------------
ADDRESSES = "addresses.parquet"
ORDERS = "orders.parquet"
EVENTS = "events.parquet"
BREACHES = "breaches.parquet"
RESIDENCE = "residence.parquet"
CORESIDENCE = "coresidence.parquet"
ENTITY_PAIRS = "entity_pairs.parquet"
ADDRESS_FORMS = "address_forms.parquet"
ORDER_RECORDS = "order_records.parquet"
EVENT_RECORDS = "event_records.parquet"
ENTITY_MODELS = "entity_models.json"
ENTITY_SUMMARY = "entity_summary.json"
# -- stewards' decision logs (append-only JSON lines) ---------------------------------------------
PERSON_DECISIONS = "steward/decisions.jsonl"
ENTITY_DECISIONS = "steward/entity_decisions.jsonl"

# The contract columns of each table: what readers may rely on (tables may hold more).
COLUMNS: dict[str, list[str]] = {
    ENTITIES: ["record_key", "person_id", "confidence", "decided_by", "model_version"],
    GOLDEN: GOLDEN_COLUMNS,
    PAIRS: ["record_key_l", "record_key_r", "match_weight", "probability", "decision", "decided_by", "match_key"],
    REVIEW: [
        "record_key_l",
        "record_key_r",
        "match_weight",
        "probability",
        "match_key",
        "decision",
        "decided_by",
        "person_id_l",
        "person_id_r",
        "records_touched",
        "cross_source",
        "relevance",
        "uncertainty",
        "priority",
    ],
    SUCCESSORS: ["retired_id", "person_id", "retired_at", "reason"],
    CONFIDENTIAL: ["person_id", "confidential_from", "record_keys"],
    ADDRESSES: [
        "record_key",
        "address_raw",
        "address_id",
        "confidential",
        "no_fixed_abode",
        "form_key",
        "sub_building",
        "building_number",
        "building_name",
        "street",
        "locality",
        "town",
        "postcode",
        "uprn",
        "first_seen",
        "last_seen",
        "source",
    ],
    ORDERS: [
        "record_key",
        "order_id",
        "court_only",
        "respondent_person_id",
        "protected_person_id",
        "order_type",
        "court_name",
        "made_on",
        "expires_on",
        "until_further_order",
        "n_records",
        "linked_events",
        "explicit_breaches",
        "police_events_between_parties",
        "respondent_in_police_data",  # court_only's actionable split: police records know this party
        "protected_in_police_data",
        "source_file",
    ],
    EVENTS: ["record_key", "event_id", "force_code", "occurred_at", "n_records", "forces", "source_file"],
    BREACHES: ["event_record_key", "order_record_key", "event_id", "order_id", "explicit", "evidence"],
    RESIDENCE: ["person_id", "address_id", "first_seen", "last_seen", "record_keys", "confidential"],
    CORESIDENCE: ["person_id_a", "person_id_b", "address_id", "from", "to"],
    ENTITY_PAIRS: [
        "kind",
        "key_l",
        "key_r",
        "weight",
        "probability",
        "decision",
        "decided_by",
        "reason",
        "match_key",
    ],
    PERSON_DECISIONS: ["record_key_l", "record_key_r", "decision", "user", "note", "at"],
    ENTITY_DECISIONS: ["kind", "key_l", "key_r", "decision", "user", "note", "at"],
}
# The entity tables the graph is built from and ``dots export`` writes.
ENTITY_TABLES = (ADDRESSES, ORDERS, EVENTS, BREACHES, RESIDENCE, CORESIDENCE)
# The outputs a person search indexes: any rewrite of one makes a saved index stale.
SEARCHED = (RECORDS, ENTITIES, MODEL, GOLDEN, TF)

_WRITES = [0]  # outputs this process has written: readers that cache derived data check it


def writes() -> int:
    """How many outputs this process has written so far (any data directory)."""
    return _WRITES[0]


class LinkageStore:
    """The linkage outputs of one data directory.

    ``cache=True`` keeps each table read, and reads it again only when its file changes (a
    long-lived reader such as the API server): frames it returns are shared, so callers copy
    before changing one.
    """

    def __init__(self, data_dir: Path | str, *, cache: bool = False):
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "linkage"
        self._cache: dict[tuple, tuple[str, pd.DataFrame | None]] | None = {} if cache else None

    # -- files ---------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def resolved(self) -> bool:
        """True once person resolution has written its outputs."""
        return self.exists(ENTITIES) and self.exists(RECORDS)

    def stamp(self, names: tuple[str, ...] = SEARCHED) -> str:
        """Which versions of these outputs are on disk (modification time and size; '-' when absent)."""
        parts = []
        for name in names:
            try:
                st = os.stat(self.path(name))
            except FileNotFoundError:
                parts.append(f"{name}:-")
            else:
                parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
        return "/".join(parts)

    # -- generic reading and writing -----------------------------------------------------------
    def frame(self, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        """A Parquet output as written, or None before it is."""
        path = self.path(name)
        if self._cache is None:
            return pq.read_table(path, columns=columns).to_pandas() if path.exists() else None
        key = (name, tuple(columns) if columns else None)
        version = self.stamp((name,))
        hit = self._cache.get(key)
        if hit is None or hit[0] != version:
            frame = pq.read_table(path, columns=columns).to_pandas() if path.exists() else None
            self._cache[key] = hit = (version, frame)
        return hit[1]

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A Parquet output, or an empty frame with its contract columns before it is written."""
        frame = self.frame(name, columns)
        if frame is None:
            return pd.DataFrame(columns=columns or COLUMNS.get(name, []))
        return frame

    def json(self, name: str) -> dict | None:
        path = self.path(name)
        return json.loads(path.read_text()) if path.exists() else None

    def write_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Write a Parquet output in one step (readers never see half a file)."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        self._atomic(name, lambda p: pq.write_table(table, p))

    def write_json(self, name: str, data: object) -> None:
        text = json.dumps(data, indent=2, default=_json_default)
        self._atomic(name, lambda p: p.write_text(text))

    def _atomic(self, name: str, write) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        write(tmp)
        os.replace(tmp, path)
        _WRITES[0] += 1

    # -- people ----------------------------------------------------------------------------------
    def entities(self) -> pd.DataFrame:
        """record_key, person_id, confidence, decided_by, model_version: one row per person record."""
        return self.table(ENTITIES)

    def golden(self, columns: list[str] | None = None) -> pd.DataFrame:
        """One golden record per person id."""
        return self.table(GOLDEN, columns)

    def pairs(self) -> pd.DataFrame:
        """Scored record pairs (at or above review, and every rule or steward decision), field by field."""
        return self.table(PAIRS)

    def review(self) -> pd.DataFrame:
        """The review queue: undecided pairs within the budget, highest priority first (see linkage.review)."""
        return self.table(REVIEW)

    def records(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The compared features of each person record as of the last resolve (None before one)."""
        return self.frame(RECORDS, columns)

    def model(self) -> dict | None:
        return self.json(MODEL)

    def term_frequencies(self) -> dict[str, pd.Series]:
        """field -> (value -> count), with each field's total under ``linkage.features.TOTALS``."""
        frame = self.frame(TF)
        if frame is None or frame.empty:
            return {}
        return {
            f: pd.Series(g["count"].to_numpy(), index=pd.Index(g["value"].to_numpy(dtype=object), dtype=object))
            for f, g in frame.groupby("field")
        }

    def summary(self) -> dict | None:
        return self.json(SUMMARY)

    def confidential(self) -> pd.DataFrame:
        """People whose addresses are confidential from a day on (``linkage.confidential``):
        person_id, confidential_from (empty: always), record_keys."""
        return self.table(CONFIDENTIAL)

    def successors(self) -> pd.DataFrame:
        """Retired person ids and the id that carries each on (a merge or a split), with when and why."""
        return self.table(SUCCESSORS)

    def current_id(self, person_id: str) -> str | None:
        """The id a person goes by now: ``person_id`` itself while it is in use, else its successor
        (followed through later merges); None when it never existed or its records are gone."""
        entities = self.entities()
        live = set(entities["person_id"]) if not entities.empty else set()
        if person_id in live:
            return person_id
        succ = self.successors()
        if succ.empty:
            return None
        step = dict(zip(succ["retired_id"], succ["person_id"], strict=True))
        seen, current = set(), person_id
        while current in step and current not in seen:
            seen.add(current)
            current = step[current]
            if current in live:
                return current
        return None

    # -- addresses, orders, events ---------------------------------------------------------------
    def addresses(self) -> pd.DataFrame:
        """One row per (person record, address as written): its address entity and parsed parts."""
        return self.table(ADDRESSES)

    def orders(self) -> pd.DataFrame:
        """One row per order record (court extract row): its order entity, people and court-only flag."""
        return self.table(ORDERS)

    def events(self) -> pd.DataFrame:
        """One row per event record: its event entity (boundary incidents share one)."""
        return self.table(EVENTS)

    def breaches(self) -> pd.DataFrame:
        """One row per (event record, order) judged a breach, with the evidence."""
        return self.table(BREACHES)

    def residence(self) -> pd.DataFrame:
        """Who lived where: person, address entity, first and last seen, the records saying so."""
        return self.table(RESIDENCE)

    def coresidence(self) -> pd.DataFrame:
        """Periods two people were seen at one address (never at a confidential one)."""
        return self.table(CORESIDENCE)

    def entity_pairs(self, kind: str | None = None) -> pd.DataFrame:
        """Scored address, order, event and breach pairs for steward review (all kinds, or one)."""
        frame = self.table(ENTITY_PAIRS)
        if kind is not None and not frame.empty:
            frame = frame[frame["kind"] == kind].reset_index(drop=True)
        return frame

    def entity_tables(self) -> dict[str, pd.DataFrame]:
        """The entity tables the graph and exports read, by file name."""
        return {name: self.table(name) for name in ENTITY_TABLES}

    @staticmethod
    def columns(name: str) -> list[str]:
        """The contract columns of an output."""
        return list(COLUMNS[name])

    # -- stewards' decisions -----------------------------------------------------------------------
    def record_person_decision(
        self, record_key_l: str, record_key_r: str, decision: str, user: str, note: str = ""
    ) -> None:
        """Append a steward's decision ('same', 'not_same', 'unsure') on a pair of person records."""
        left, right = check_pair(record_key_l, record_key_r, decision, user)
        entry = {"record_key_l": left, "record_key_r": right, "decision": decision, "user": user, "note": note}
        self._append(PERSON_DECISIONS, entry)

    def person_decisions(self) -> pd.DataFrame:
        """The latest decision per pair of person records (record_key_l < record_key_r)."""
        return self._latest(PERSON_DECISIONS, ["record_key_l", "record_key_r"])

    def record_entity_decision(
        self, kind: str, key_l: str, key_r: str, decision: str, user: str, note: str = ""
    ) -> None:
        """Append a steward's decision on an address, order, event or breach pair (keys as in entity_pairs)."""
        if kind not in ENTITY_KINDS:
            raise ValueError(f"kind must be one of {ENTITY_KINDS}, not {kind!r}")
        left, right = check_pair(key_l, key_r, decision, user)
        entry = {"kind": kind, "key_l": left, "key_r": right, "decision": decision, "user": user, "note": note}
        self._append(ENTITY_DECISIONS, entry)

    def entity_decisions(self, kind: str | None = None) -> pd.DataFrame:
        """The latest decision per (kind, pair)."""
        frame = self._latest(ENTITY_DECISIONS, ["kind", "key_l", "key_r"])
        if kind is not None:
            frame = frame[frame["kind"] == kind].reset_index(drop=True)
        return frame

    def _append(self, name: str, entry: dict) -> None:
        """Append one decision, stamped with the time, under a lock (the log is append-only)."""
        entry = {**entry, "at": datetime.now(UTC).isoformat(timespec="microseconds")}
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
        _WRITES[0] += 1

    # -- erasure (dots erase) ----------------------------------------------------------------------
    def erase(self, gone: Callable[[str], bool], *, everything: bool = False) -> dict[str, int]:
        """Forget erased records where a resolve does not rewrite them: steward decisions naming a
        record key that is ``gone`` (person pairs, and order, event and breach pairs: the one
        rewrite of the append-only logs) and every saved search index (rebuilt from the next
        resolve's outputs on first use). The rest is rewritten by the resolve that follows.
        ``everything``: no person record is left, so no resolve follows; every output but the
        logs goes."""
        counts = {
            "person_decisions": self._drop_decisions(
                PERSON_DECISIONS, lambda e: gone(str(e.get("record_key_l"))) or gone(str(e.get("record_key_r")))
            ),
            "entity_decisions": self._drop_decisions(  # address pairs name address forms, not records
                ENTITY_DECISIONS,
                lambda e: e.get("kind") != "address" and (gone(str(e.get("key_l"))) or gone(str(e.get("key_r")))),
            ),
        }
        shutil.rmtree(self.path(SEARCH_INDEX), ignore_errors=True)
        if everything and self.root.exists():
            for path in self.root.iterdir():
                if path.is_file():
                    path.unlink()
        _WRITES[0] += 1
        return counts

    def _drop_decisions(self, name: str, erased) -> int:  # noqa: ANN001 - entry -> bool
        """Rewrite a decision log without the entries ``erased`` picks (atomic, under its lock)."""
        path = self.path(name)
        if not path.exists():
            return 0
        with open(path, "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lines = path.read_text(encoding="utf-8").splitlines()
            kept = []
            for line in lines:
                try:
                    entry = json.loads(line) if line.strip() else None
                except json.JSONDecodeError:
                    entry = None  # a torn line: readers skip it, and so may this
                if entry is not None and not erased(entry):
                    kept.append(line)
            dropped = sum(1 for line in lines if line.strip()) - len(kept)
            if dropped:
                self._atomic(name, lambda p: p.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8"))
            fcntl.flock(lock, fcntl.LOCK_UN)
        return dropped

    def _latest(self, name: str, pair: list[str]) -> pd.DataFrame:
        """The latest decision per pair wins; a torn last line (a crash mid-write) is skipped."""
        cols = COLUMNS[name]
        path = self.path(name)
        rows = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue
        if not rows:
            return pd.DataFrame(columns=cols)
        frame = pd.DataFrame(rows).reindex(columns=cols)
        return frame.drop_duplicates(pair, keep="last").reset_index(drop=True)


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
