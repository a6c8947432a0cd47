"""Staging store: one immutable Parquet part per loaded extract, committed by an atomic rename.

A part directory is named after the extract's content hash. It is built in a temporary
directory and renamed into place only when complete, so a load killed at any point leaves
either no part or a whole part: re-running the load ends in exactly the state of an
uninterrupted one, and loading the same bytes again finds the part and changes nothing.

Erasure (``dots erase``) is the one change to a committed part: the part is written again
without the erased rows under the same name (so a re-delivery of the same extract is still
"already loaded") and swapped in by two renames; a part moved aside by a swap that was killed
between them is still read (``parts``) and put back by :meth:`StagingStore.recover`. The
tombstones (``tombstones.json``) say which record keys were erased, so that the loaders skip
them in any later delivery; they hold the kind and the key only, never a record's content.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from staging.schema import TABLES, arrow_schema

# held_apart: the immigration firewall's values (staging.schema.HELD_APART), read by erasure only
ALL_TABLES = [*TABLES, "quarantine", "warnings", "held_apart"]


@dataclass(frozen=True)
class Part:
    """One committed extract: its tables and its load summary."""

    path: Path

    @property
    def summary(self) -> dict:
        path = self.path / "summary.json"  # named so a damaged one is named in the one-line error
        return json.loads(path.read_text())


class StagingStore:
    """The staging tables under ``DATA_DIR/staging``."""

    def __init__(self, data_dir: Path | str):
        self.root = Path(data_dir) / "staging"
        self.parts_dir = self.root / "parts"
        self.tmp_dir = self.root / "tmp"
        self.deliveries_dir = self.root / "deliveries"  # exact bytes seen before -> the part holding them
        self.replaced_dir = self.root / "replaced"  # a part moved aside while its erased form is swapped in
        self.tombstones_path = self.root / "tombstones.json"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One writer at a time per data directory (an ingest or an erasure)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- writing ---------------------------------------------------------------------------
    def has_part(self, part_id: str) -> bool:
        return (self.parts_dir / part_id / "summary.json").exists()

    def part(self, part_id: str) -> Part:
        return Part(self.parts_dir / part_id)

    def commit_part(self, part_id: str, frames: dict[str, pd.DataFrame], summary: dict) -> Part:
        """Write every table of one extract and make them visible at once."""
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        final = self.parts_dir / part_id
        if self.has_part(part_id):  # committed by an earlier run: loads are idempotent
            return Part(final)
        if final.exists():  # a part folder without its summary is no part (readers skip it): replaced,
            os.rename(final, self.tmp_dir / f"{part_id}.incomplete.{uuid.uuid4().hex}")  # not kept as "loaded"
        tmp = self._written(part_id, frames, summary)
        os.rename(tmp, final)  # atomic on POSIX: the part appears whole or not at all
        _fsync_dir(self.parts_dir)
        return Part(final)

    def _written(self, part_id: str, frames: dict[str, pd.DataFrame], summary: dict) -> Path:
        """A part's tables and summary written, synced, in a folder of ``tmp/`` to rename into place."""
        tmp = self.tmp_dir / f"{part_id}.{uuid.uuid4().hex}"
        tmp.mkdir()
        for table in ALL_TABLES:
            frame = frames.get(table)
            if frame is None or frame.empty:
                continue  # a part holds the tables its extract filled; reads treat a missing one as empty
            pq.write_table(to_arrow(frame, arrow_schema(table)), tmp / f"{table}.parquet")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        _fsync_dir(tmp)
        return tmp

    def delivered(self, delivery_id: str) -> Part | None:
        """The part already holding a delivery with these exact bytes, if any (no parse needed).

        A part is named by its content; a delivery id names the bytes as delivered. Parts that
        earlier versions named by their bytes are found under that name too.
        """
        if self.has_part(delivery_id):
            return self.part(delivery_id)
        try:
            part_id = (self.deliveries_dir / delivery_id).read_text().strip()
        except OSError:
            return None
        return self.part(part_id) if self.has_part(part_id) else None

    def record_delivery(self, delivery_id: str, part_id: str) -> None:
        """Remember that these bytes are held by ``part_id`` (atomic; a lost note costs one parse)."""
        self.deliveries_dir.mkdir(parents=True, exist_ok=True)
        target = self.deliveries_dir / delivery_id
        if target.exists():
            return
        tmp = self.deliveries_dir / f".{delivery_id}.{uuid.uuid4().hex}"
        tmp.write_text(part_id)
        os.rename(tmp, target)

    def clean_tmp(self) -> None:
        """Remove what killed loads left half-written."""
        if self.tmp_dir.exists():
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def rewrite_part(self, part: Part, frames: dict[str, pd.DataFrame], summary: dict) -> Part:
        """Write ``part`` again as ``frames`` (an erasure: the same name, fewer rows). The new part
        is built aside, the old one moved to ``replaced/`` and the new one renamed into place; a
        run killed between the two renames leaves the old part readable there (see ``parts``) and
        :meth:`recover` puts it back, so the erasure is simply run again."""
        part_id = part.path.name
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.replaced_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._written(part_id, frames, summary)
        aside = self.replaced_dir / part_id
        if aside.exists():  # an earlier swap finished without tidying up
            shutil.rmtree(aside)
        os.rename(part.path, aside)
        os.rename(tmp, part.path)
        _fsync_dir(self.parts_dir)
        shutil.rmtree(aside)
        return Part(part.path)

    def recover(self) -> None:
        """Put back a part a killed :meth:`rewrite_part` left aside (its rows are then erased again)."""
        if not self.replaced_dir.exists():
            return
        for aside in self.replaced_dir.iterdir():
            if self.has_part(aside.name):
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.rename(aside, self.parts_dir / aside.name)

    # -- tombstones ------------------------------------------------------------------------
    def tombstones(self) -> list[dict]:
        """Every erasure: ``{"kind", "key", "state" ("erasing" until done, then "erased"), "at"}``."""
        if not self.tombstones_path.exists():
            return []
        return json.loads(self.tombstones_path.read_text())["erased"]

    def tombstoned(self) -> dict[str, set[str]]:
        """kind -> the record keys of that kind the loaders skip (erasing or erased)."""
        out: dict[str, set[str]] = {}
        for t in self.tombstones():
            out.setdefault(t["kind"], set()).add(t["key"])
        return out

    def tombstone(self, kind: str, key: str, state: str) -> None:
        """Record (or move on) the erasure of ``key`` as a record of ``kind``, atomically."""
        entries = [t for t in self.tombstones() if (t["kind"], t["key"]) != (kind, key)]
        at = datetime.now(UTC).isoformat(timespec="seconds")
        entries.append({"kind": kind, "key": key, "state": state, "at": at})
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tombstones.{uuid.uuid4().hex}"
        tmp.write_text(json.dumps({"erased": entries}, indent=1))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.tombstones_path)

    # -- reading ---------------------------------------------------------------------------
    def parts(self) -> Iterator[Part]:
        found = {}
        for folder in (self.replaced_dir, self.parts_dir):  # a committed part wins over one set aside
            if folder.exists():
                found.update({p.name: p for p in folder.iterdir() if (p / "summary.json").exists()})
        for name in sorted(found):
            yield Part(found[name])

    def read_part(self, part: Part, table: str) -> pd.DataFrame:
        """One table of one part (empty with the table's columns when the part has none)."""
        path = part.path / f"{table}.parquet"
        schema = arrow_schema(table)
        data = pq.read_table(path, schema=schema) if path.exists() else schema.empty_table()
        return data.to_pandas(date_as_object=False)

    def read(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A whole staging table across all committed parts (only ``columns`` when given: faster)."""
        files = [p.path / f"{table}.parquet" for p in self.parts()]
        files = [f for f in files if f.exists()]
        schema = arrow_schema(table)
        if columns is not None:
            columns = [c for c in columns if c in schema.names]
        if not files:
            empty = schema.empty_table()
            return (empty.select(columns) if columns is not None else empty).to_pandas(date_as_object=False)
        tables = [pq.read_table(f, schema=schema, columns=columns) for f in files]
        # split_blocks: each column its own block (no stacking of a million-row object block)
        return pa.concat_tables(tables).to_pandas(date_as_object=False, split_blocks=True)



def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """A frame as the schema says: absent columns null, datetimes cast to dates where declared."""
    arrays = []
    for fld in schema:
        if fld.name not in frame.columns:
            arrays.append(pa.nulls(len(frame), type=fld.type))
            continue
        series = frame[fld.name]
        if pa.types.is_date32(fld.type) and pd.api.types.is_datetime64_any_dtype(series):
            arrays.append(pa.array(series, from_pandas=True).cast(pa.date32()))
        elif pa.types.is_timestamp(fld.type):
            arrays.append(pa.array(pd.to_datetime(series), from_pandas=True).cast(fld.type))
        elif series.dtype == object and pa.types.is_string(fld.type):
            # text: Arrow reads None, NaN and pd.NA as null itself (half the cost of the copy below)
            arrays.append(pa.array(series.to_numpy(), type=fld.type, from_pandas=True))
        else:
            arrays.append(
                pa.array(series.astype(object).where(series.notna(), None), type=fld.type, from_pandas=True)
            )
    return pa.Table.from_arrays(arrays, schema=schema)


def _fsync_dir(path: Path) -> None:
    for child in path.iterdir():
        if child.is_file():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
