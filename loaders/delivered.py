"""Delivered extract files written again without the rows that name an erased record key.

``dots erase`` takes a record's rows out of staging, but a copy of an extract the data
directory keeps as it was delivered (the API's uploads under ``state/uploads``) still holds
them. :func:`erase_rows` writes such a file again without every row naming a tombstoned key,
found as the loaders find them: the mapping that read the file (kept in its staging part, else
the profile its header matches), the loaders' own reading of its rows and of the physical lines
each row starts on (:func:`loaders.csvread.physical_lines`), and the same test the loaders skip
rows by (:func:`loaders.erasure.named_rows`, on the rows read and on those read short). Every
other byte stays as delivered (byte-order mark, encoding, line endings, quoting, blank lines), so
the rows that remain read exactly as they did. A row goes from its first physical line to the
line before the next row (blank lines after it with it).

:func:`withhold_held` writes such a file again with the cells of its immigration columns emptied
once it is staged (the immigration firewall, :mod:`loaders.firewall`: the values are held apart in
staging and nowhere else). Emptied, not dropped: the header stays as delivered, so the mapping
that read the file (its required and detection columns may name one) reads it again, erasure
still finds its rows, and every row stays on the lines it started on.

The staging part holding the extract is told that the rewritten bytes, and their content, are
its delivery: ingesting the upload again is "already loaded", never a second copy of its rows.
"""

from __future__ import annotations

import codecs
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from loaders.build import apply_lookups, malformed_rows, raw_frame
from loaders.csvread import LINE, FileRefused, RawTable, physical_lines
from loaders.erasure import named_rows, part_mapping
from loaders.extracts import Unit, part_id_of, read_unit, units
from loaders.firewall import held_columns
from loaders.mapping import FileSpec, Mapping, builtin_profiles
from staging.store import StagingStore


@dataclass
class Rewritten:
    """One delivered file looked at: the rows taken out of it (0: left as it was), or why it
    could not be read (no loader reads it, so no row of it was ever staged)."""

    path: Path
    rows: int = 0
    refused: str | None = None
    withheld: int = 0  # rows whose immigration cells were emptied (withhold_held)

# each staged file (resolved path) -> the part holding it and the mapping that read it
ReadWith = dict[Path, tuple[str, Mapping | None]]
# what one file of a unit becomes: (rows changed, its new bytes), or None when it stays as it is
Rewrite = Callable[[RawTable, FileSpec, dict[str, RawTable]], tuple[int, bytes] | None]


def erase_rows(folder: Path, data_dir: Path) -> list[Rewritten]:
    """Write every extract file under ``folder`` (found as ``dots ingest`` finds them) again
    without the rows naming a key tombstoned in ``data_dir``'s staging; under the staging lock,
    so no ingest reads a file half written. Idempotent: a file holding no such row is untouched."""
    store = StagingStore(data_dir)
    erased = store.tombstoned()
    if not erased or not Path(folder).is_dir():
        return []
    profiles = builtin_profiles()
    out: list[Rewritten] = []
    with _staged_units(folder, store, profiles) as staged:
        for unit, read_with in staged:
            out.extend(_erase_unit(unit, profiles, read_with, erased, store))
    return out


@contextmanager
def _staged_units(
    folder: Path, store: StagingStore, profiles: dict[str, Mapping]
) -> Iterator[Iterator[tuple[Unit, ReadWith]]]:
    """Every extract unit under ``folder`` (found as ``dots ingest`` finds them), each with the
    mapping every staged file was read with; the staging lock held until the ``with`` ends (not
    until a generator is collected), so no ingest reads a file half written."""
    with store.locked():
        read_with = _read_with(store)
        yield ((unit, read_with) for unit in units([Path(folder)], None, profiles, given=False))


def _read_with(store: StagingStore) -> ReadWith:
    """Each staged file (resolved path) -> the part holding it and the mapping that read it."""
    found: ReadWith = {}
    for part in store.parts():
        summary = part.summary
        mapping = part_mapping(summary)
        for f in summary.get("files", []):
            found[Path(f["path"]).resolve()] = (part.path.name, mapping)
    return found


def withhold_held(folder: Path, data_dir: Path) -> list[Rewritten]:
    """Write every staged extract file under ``folder`` that carries an immigration column again
    with that column's cells emptied (its values are held apart in staging: the immigration
    firewall); under the staging lock. A file no part holds yet is left as it is (its values are
    held nowhere else until it is loaded). Idempotent: a file with no such value is untouched."""
    store = StagingStore(data_dir)
    if not Path(folder).is_dir():
        return []
    profiles = builtin_profiles()
    out: list[Rewritten] = []
    with _staged_units(folder, store, profiles) as staged:
        for unit, read_with in staged:
            try:
                _, _, tables = read_unit(unit, profiles)
            except FileRefused:
                continue  # no loader reads it, so nothing of it was staged
            if any(held_columns(t.header) for t in tables) and _holding(unit, profiles, read_with, store)[0]:
                out.extend(_rewrite_unit(unit, profiles, read_with, store, _emptied, withhold=True))
    return out


def _erase_unit(
    unit: Unit,
    profiles: dict[str, Mapping],
    read_with: ReadWith,
    erased: dict[str, set[str]],
    store: StagingStore,
) -> list[Rewritten]:
    def rewrite(table: RawTable, spec: FileSpec, others: dict[str, RawTable]) -> tuple[int, bytes] | None:
        lines = _named_lines(table, spec, others, erased)
        return (len(lines), _without_lines(table, lines)) if lines else None

    return _rewrite_unit(unit, profiles, read_with, store, rewrite)


def _rewrite_unit(
    unit: Unit,
    profiles: dict[str, Mapping],
    read_with: ReadWith,
    store: StagingStore,
    rewrite: Rewrite,
    withhold: bool = False,
) -> list[Rewritten]:
    """Each file of ``unit`` read with the mapping that staged it and written again as ``rewrite``
    says; the part holding it then records the new bytes and content as its delivery."""
    part_id, mapping = _holding(unit, profiles, read_with, store)
    if mapping is not None:
        unit = Unit(path=unit.path, mapping=mapping, files=unit.files)
    try:
        mapping, specs, tables = _parsed(unit, profiles)
    except FileRefused as exc:
        return [Rewritten(path=f, refused=str(exc)) for f in unit.files]
    others = {t.path.name.lower(): t for t in tables}
    out = []
    for table, spec in zip(tables, specs, strict=True):
        done = rewrite(table, spec, others)
        if done is not None:
            _replace(table.path, done[1])
        rows = done[0] if done is not None else 0
        out.append(Rewritten(path=table.path, withheld=rows) if withhold else Rewritten(path=table.path, rows=rows))
    if part_id is not None and any(r.rows or r.withheld for r in out):
        _, _, again = _parsed(unit, profiles)  # the rewritten bytes, and their content, are this part's
        store.record_delivery(part_id_of(mapping, [t.sha256 for t in again]), part_id)
        store.record_delivery(part_id_of(mapping, [t.content_id for t in again]), part_id)
    return out


def _holding(
    unit: Unit, profiles: dict[str, Mapping], read_with: ReadWith, store: StagingStore
) -> tuple[str | None, Mapping | None]:
    """The part holding the unit's rows and the mapping that read them: the part that staged these
    files, else the part an earlier delivery of the same bytes went to (the same extract uploaded
    twice: ingest found the second "already loaded" and staged nothing under its path)."""
    staged = {f: read_with.get(f.resolve(), (None, None)) for f in unit.files}
    parts = {part for part, _ in staged.values()}
    if len(parts) == 1 and None not in parts:
        return staged[unit.files[0]]
    try:
        mapping, _, tables = read_unit(unit, profiles)
    except FileRefused:
        return None, None
    part = store.delivered(part_id_of(mapping, [t.sha256 for t in tables]))
    return (part.path.name, part_mapping(part.summary) or mapping) if part is not None else (None, None)


def _parsed(unit: Unit, profiles: dict[str, Mapping]) -> tuple[Mapping, list[FileSpec], list[RawTable]]:
    mapping, specs, tables = read_unit(unit, profiles)
    for table, spec in zip(tables, specs, strict=True):
        table.parse(spec.required)
    return mapping, specs, tables


def _named_lines(
    table: RawTable, spec: FileSpec, others: dict[str, RawTable], erased: dict[str, set[str]]
) -> set[int]:
    """The first physical line of every row naming an erased key: rows read (after the folder's
    lookups, as the builder sees them) and rows read short (their raw text, as quarantine keeps it)."""
    frame, _ = apply_lookups(table, spec, others)
    named = named_rows(frame, spec, erased)
    lines = {int(n) for n in frame.loc[named.to_numpy(dtype=bool), LINE]}
    short = malformed_rows(table)
    if short:
        raw = pd.Series([r["raw"] for r in short])
        hit = named_rows(raw_frame(raw), spec, erased).to_numpy(dtype=bool)
        lines |= {r["source_line"] for r, h in zip(short, hit, strict=True) if h}
    return lines


def _without_lines(table: RawTable, lines: set[int]) -> bytes:
    """The file's bytes without the physical lines of the rows starting on ``lines``."""
    physical = physical_lines(table.path.read_bytes(), table.encoding)
    starts = sorted({int(n) for n in table.frame[LINE]} | {r.line for r in table.malformed})
    drop: set[int] = set()
    for i, start in enumerate(starts):
        if start in lines:
            end = starts[i + 1] if i + 1 < len(starts) else len(physical) + 1
            drop.update(range(start, end))
    return b"".join(line for n, line in enumerate(physical, 1) if n not in drop)


def _emptied(table: RawTable, spec: FileSpec, others: dict[str, RawTable]) -> tuple[int, bytes] | None:
    """The file's bytes with every cell of its immigration columns emptied: (rows changed, bytes),
    or None when no row holds a value there. A value spanning lines keeps its line breaks (a
    quoted cell of line breaks alone reads as blank), so every row stays on the lines quarantine
    and warnings name. A row read with the wrong number of fields has the field at the column's
    position emptied (the quarantine withholds its text whole)."""
    held = [table.header.index(c) for c in held_columns(table.header)]
    frame = table.frame
    loaded = frame[held_columns(table.header)].notna().any(axis=1) if held else pd.Series(False, index=frame.index)
    rows = {int(n) for n in frame.loc[loaded.to_numpy(dtype=bool), LINE]}
    rows |= {r.line for r in table.malformed if any(i < len(r.values) and r.values[i].strip() for i in held)}
    if not rows:
        return None
    physical = physical_lines(table.path.read_bytes(), table.encoding)
    decoder = codecs.getincrementaldecoder(table.encoding)("surrogateescape")
    texts = [decoder.decode(line) for line in physical]
    encoder = codecs.getincrementalencoder(table.encoding)("surrogateescape")
    encoder.encode(texts[0])  # past a byte-order mark: an encoding that writes one writes it once
    starts = sorted({int(n) for n in frame[LINE]} | {r.line for r in table.malformed})
    out = list(physical)
    for i, start in enumerate(starts):
        if start not in rows:
            continue
        end = starts[i + 1] if i + 1 < len(starts) else len(physical) + 1
        text = "".join(texts[start - 1 : end - 1])
        spans = _field_spans(text, table.delimiter)
        for index in sorted((i for i in held if i < len(spans)), reverse=True):
            a, b = spans[index]
            breaks = "".join(_BREAK.findall(text[a:b]))  # kept: each later row stays on its lines
            text = text[:a] + (f'"{breaks}"' if breaks else "") + text[b:]
        out[start - 1 : end - 1] = [encoder.encode(text)] + [b""] * (end - 1 - start)
    return len(rows), b"".join(out)


_BREAK = re.compile("\r\n|\r|\n")


def _field_spans(text: str, delimiter: str) -> list[tuple[int, int]]:
    """Where each field of the record at the start of ``text`` lies, as Python's CSV reader splits
    it (a quoted field may hold delimiters, doubled quotes and line breaks; text after its closing
    quote is part of it; a quote inside an unquoted field is a character). Ends at the record's
    first line break outside quotes."""
    spans, i, n = [], 0, len(text)
    while True:
        start = i
        if i < n and text[i] == '"':
            i += 1
            while i < n:
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
        while i < n and text[i] != delimiter and text[i] not in "\r\n":
            i += 1
        spans.append((start, i))
        if i < n and text[i] == delimiter:
            i += 1
            continue
        return spans


def _replace(path: Path, data: bytes) -> None:
    """Swap the file's content at once: a reader sees the old bytes or the new, never half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")  # a dot file: ingest never reads it
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

