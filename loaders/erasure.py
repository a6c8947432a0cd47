"""Which source rows name a record key, for erasure (``dots erase``) and for the tombstones.

A source row names a record key when any key field its mapping builds from it (a person record
key, an event, order, custody, notice or referral key, or a reference to one of them) is that
key. Erasing a key erases every row that names it, whole: a court row holds the order and both
parties, an RMS row the person and the occurrence, a custody row the arrest, the person and the
conditions protecting another (free text that names her), so a row cannot be kept in part
without keeping what it says about the erased record. Staged rows are found by their provenance
(file and line), quarantined rows by the keys their kept raw text gives through the same mapping,
so quarantine and warnings lose the erased rows' raw text too.

The same test skips a tombstoned key at load time (:func:`named_rows`), before a row is checked:
a later delivery neither stages nor quarantines it, and the file's ``erased`` count says how many
rows were skipped (``rows_read = loaded + quarantined + erased``).

Rewriting a part keeps every table as a fresh load of the extract without those rows would
stage it, except where the loader kept one row of several: an event staged from an erased row
while other rows of the part still name it stays, on the first remaining row's provenance, its
DA relevance worked out again from what remains, and its location postcode that row's: an RMS
row takes it from the person's postcode, which that row's person record holds (when the mapping
takes the two from different columns the row's value is not staged, and it is cleared). The
extract files kept as delivered (the API's uploads) are rewritten by :mod:`loaders.delivered`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from loaders import firewall
from loaders.build import Context, RowErrors, RowWarnings, raw_frame, resolve
from loaders.mapping import FileSpec, Mapping, builtin_profiles
from loaders.standardise import offences
from staging.store import ALL_TABLES, Part, StagingStore

# the kind of record each key field names (a field of another name is a person record key)
KEY_KINDS = {
    "record_key": "person",
    "respondent_key": "person",
    "protected_key": "person",
    "subject_key": "person",
    "child_key": "person",
    "event_key": "event",
    "order_key": "order",
    "custody_key": "custody",
    "notice_key": "notice",
    "referral_key": "referral",
}
KINDS = ("person", "event", "order", "custody", "notice", "referral")
PROVENANCE_KEY = ["source_file", "source_line"]


def key_fields(table: str, spec: dict[str, Any]) -> list[str]:
    """The key fields a table's spec maps (``record_key``, ``event_key``, ...)."""
    return [f for f in spec if f in KEY_KINDS or f.endswith("_key")]


def row_keys(frame: pd.DataFrame, spec: FileSpec) -> list[tuple[str, pd.Series]]:
    """(kind, each row's key) for every key field the file's mapping builds; a key whose columns
    are absent from ``frame`` (raw text of a row read short) is left out."""
    ctx = Context(frame=frame, errors=RowErrors(frame.index), used=set(), warnings=RowWarnings(frame.index))
    out = []
    for table, specs in spec.emit.items():
        for one in specs:
            for name in key_fields(table, one):
                try:
                    keys = resolve(ctx, one[name])
                except KeyError:
                    continue
                out.append((KEY_KINDS.get(name, "person"), keys))
    return out


def named_rows(frame: pd.DataFrame, spec: FileSpec, erased: dict[str, set[str]]) -> pd.Series:
    """True for each row of ``frame`` that names a key of ``erased`` (kind -> keys)."""
    mask = pd.Series(False, index=frame.index)
    if not erased or frame.empty:
        return mask
    for kind, keys in row_keys(frame, spec):
        if erased.get(kind):
            mask |= keys.isin(erased[kind]).fillna(False).astype(bool)
    return mask


def quarantined_named(quarantine: pd.DataFrame, spec_of, erased: dict[str, set[str]]) -> pd.Series:
    """True for each quarantined row whose raw text names an erased key (``spec_of(source_file)``
    gives the file's mapping spec, or None when it is not known)."""
    mask = pd.Series(False, index=quarantine.index)
    if quarantine.empty:
        return mask
    for source, rows in quarantine.groupby("source_file", sort=False):
        spec = spec_of(source)
        if spec is not None:
            mask.loc[rows.index] = named_rows(raw_frame(rows["raw"]), spec, erased).to_numpy()
    return mask


class ErasureError(ValueError):
    """An erasure that cannot go ahead as asked; the message is one line for a person."""


def plan(data_dir: Path, key: str, kind: str | None = None) -> str:
    """The kind of record ``key`` is erased as: an unfinished erasure of it resumes; a finished
    one, a key staging does not hold, and a key naming several kinds of record (unless ``kind``
    says which) are refused in one line."""
    store = StagingStore(data_dir)
    earlier = [t for t in store.tombstones() if t["key"] == key and kind in (None, t["kind"])]
    unfinished = [t for t in earlier if t["state"] != "erased"]
    if unfinished:
        return unfinished[0]["kind"]
    if earlier:
        raise ErasureError(f"record key {key!r} was already erased ({earlier[0]['at']}): nothing left to erase")
    kinds = kinds_staged(data_dir, key)
    if kind is not None:
        kinds &= {kind}
    if not kinds:
        what = f"no {kind} record" if kind else "no record"
        raise ErasureError(f"{what} with key {key!r} is staged in {data_dir} (keys as the exports give them)")
    if len(kinds) > 1:
        raise ErasureError(
            f"record key {key!r} names {len(kinds)} kinds of record ({', '.join(sorted(kinds))}): "
            "say which to erase with --kind"
        )
    return kinds.pop()


def begin(data_dir: Path, kind: str, key: str) -> dict[str, int]:
    """Tombstone ``key`` (so that no later delivery brings it back), then rewrite every part
    holding a row that names it; under the staging lock, so no ingest runs in between."""
    store = StagingStore(data_dir)
    with store.locked():
        store.recover()
        store.tombstone(kind, key, "erasing")
        return erase_staged(data_dir, kind, key)


def finish(data_dir: Path, kind: str, key: str) -> None:
    """Mark the erasure done: erasing ``key`` again is then refused."""
    StagingStore(data_dir).tombstone(kind, key, "erased")


def staged_keys(data_dir: Path) -> set[str]:
    """Every record key any staged table names (person, event, order, custody, notice, referral)."""
    store = StagingStore(data_dir)
    keys: set[str] = set()
    for part in store.parts():
        for table in ALL_TABLES:
            if table in ("quarantine", "warnings"):
                continue
            frame = store.read_part(part, table)
            for col in frame.columns:
                if col in KEY_KINDS or col.endswith("_key"):
                    keys.update(frame[col].dropna())
    return keys


def people_staged(data_dir: Path) -> bool:
    """Whether any person record is staged (else there is nothing to resolve)."""
    return not StagingStore(data_dir).read("person_records", columns=["record_key"]).empty


# -- the staged rows of a key ------------------------------------------------------------------

def kinds_staged(data_dir: Path, key: str) -> set[str]:
    """The kinds of record ``key`` names anywhere in staging (key fields, and quarantined rows)."""
    store = StagingStore(data_dir)
    kinds: set[str] = set()
    for part in store.parts():
        for table in ALL_TABLES:
            if table == "warnings":  # a warning's record key is its row's, found in the row's table
                continue
            frame = store.read_part(part, table)
            if table == "quarantine":
                spec_of = part_specs(part)
                for source, rows in frame.groupby("source_file", sort=False):
                    spec = spec_of(source)
                    if spec is not None:
                        keys = row_keys(raw_frame(rows["raw"]), spec)
                        kinds.update(kind for kind, values in keys if (values == key).any())
                continue
            for col in frame.columns:
                if (col in KEY_KINDS or col.endswith("_key")) and (frame[col] == key).any():
                    kinds.add(KEY_KINDS.get(col, "person"))
    return kinds


def erase_staged(data_dir: Path, kind: str, key: str) -> dict[str, int]:
    """Rewrite every part holding a row that names ``key`` (as a ``kind`` record) without the
    rows that name it: ``{"parts": rewritten, "rows": source rows erased, "quarantined": …}``."""
    store = StagingStore(data_dir)
    erased = {kind: {key}}
    counts = {"parts": 0, "rows": 0, "quarantined": 0}
    for part in store.parts():
        frames = {t: store.read_part(part, t) for t in ALL_TABLES}
        lines = _named_lines(frames, kind, key)
        q = frames["quarantine"]
        q_named = quarantined_named(q, part_specs(part), erased)
        if lines.empty and not q_named.any():
            continue
        kept = {t: _without(f, lines) for t, f in frames.items() if t != "quarantine"}
        kept["quarantine"] = q[~q_named.to_numpy()].reset_index(drop=True)
        _events_kept(frames, kept, part_specs(part))
        w = frames["warnings"]
        summary = _summary(part.summary, lines, q[q_named.to_numpy()], w[~_rows(w).isin(_rows(kept["warnings"]))])
        store.rewrite_part(part, kept, summary)
        counts["parts"] += 1
        counts["rows"] += len(lines)
        counts["quarantined"] += int(q_named.sum())
    return counts


def _named_lines(frames: dict[str, pd.DataFrame], kind: str, key: str) -> pd.DataFrame:
    """(source_file, source_line) of every staged row naming ``key`` as a ``kind`` record."""
    found = []
    for table, frame in frames.items():
        if table in ("quarantine", "warnings") or frame.empty:
            continue
        cols = [c for c in frame.columns if KEY_KINDS.get(c, "person" if c.endswith("_key") else None) == kind]
        for col in cols:
            hit = frame[col] == key
            if hit.any():
                found.append(frame.loc[hit, PROVENANCE_KEY])
    if not found:
        return pd.DataFrame(columns=PROVENANCE_KEY)
    return pd.concat(found, ignore_index=True).drop_duplicates().reset_index(drop=True)


def _without(frame: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or lines.empty:
        return frame
    return frame[~_rows(frame).isin(_rows(lines))].reset_index(drop=True)


def _events_kept(frames: dict[str, pd.DataFrame], kept: dict[str, pd.DataFrame], spec_of) -> None:  # noqa: ANN001
    """Events that erased rows touched, as a load of the remaining rows would stage them: DA
    relevance again from the marker, the offence and the remaining victims' relationships; one the
    loader staged from an erased row, while remaining rows still name it, kept on the first
    remaining row's provenance (see the module's docstring)."""
    events, inv = frames["events"], kept["involvements"]
    if events.empty:
        return
    before = frames["involvements"]
    touched = set(before.loc[~_rows(before).isin(_rows(inv)), "event_key"]) if not before.empty else set()
    lost = events[~events["event_key"].isin(kept["events"]["event_key"]) & events["event_key"].isin(inv["event_key"])]
    if not lost.empty:
        first = inv.sort_values(PROVENANCE_KEY).drop_duplicates("event_key").set_index("event_key")
        lost = lost.copy()
        for col in ("source_file", "source_line", "row_hash"):
            lost[col] = lost["event_key"].map(first[col]).to_numpy()
        lost["location_postcode"] = _location_postcodes(lost, kept["person_records"], spec_of)
        kept["events"] = pd.concat([kept["events"], lost], ignore_index=True).sort_values(
            PROVENANCE_KEY, kind="stable").reset_index(drop=True)
    out = kept["events"]
    again = out["event_key"].isin(touched)
    if not again.any():
        return
    victims = inv[inv["role"] == "victim"]
    related = set(victims.loc[victims["relationship"].isin(["intimate", "family"]), "event_key"])
    offence = offences.classify_offences(out.loc[again, "ho_code"], out.loc[again, "offence"])["da_relevant_offence"]
    out.loc[again, "da_relevant"] = (
        out.loc[again, "da_marker"].fillna(False).astype(bool).to_numpy()
        | offence.fillna(False).astype(bool).to_numpy()
        | out.loc[again, "event_key"].isin(related).to_numpy()
    )


def _location_postcodes(events: pd.DataFrame, people: pd.DataFrame, spec_of) -> list:  # noqa: ANN001
    """The location postcode each event, now on another row's provenance, has from that row: the
    row's person record postcode, parsed the same way, when the file's mapping takes both from
    the same source (an RMS row's person postcode); else none (the row's value is not staged)."""
    staged = people.drop_duplicates(PROVENANCE_KEY).set_index(PROVENANCE_KEY)["postcode"] if not people.empty else None
    out = []
    for source, line in zip(events["source_file"], events["source_line"], strict=True):
        spec = spec_of(source)
        location = [e.get("location_postcode") for e in spec.emit.get("events", [])] if spec else []
        postcode = [p.get("postcode") for p in spec.emit.get("person_records", [])] if spec else []
        same = bool(location) and location[0] is not None and location[0] in postcode
        found = staged.get((source, int(line))) if same and staged is not None else None
        out.append(None if found is None or pd.isna(found) else found)
    return out


def _rows(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[PROVENANCE_KEY].astype({"source_line": np.int64}))


def _summary(summary: dict, lines: pd.DataFrame, quarantined: pd.DataFrame, warnings: pd.DataFrame) -> dict:
    """The part's per-file counts with the erased rows moved from loaded (or quarantined) to
    erased, and their warnings gone."""
    out = json.loads(json.dumps(summary))

    def count(frame: pd.DataFrame, path: str) -> int:
        return int((frame["source_file"] == path).sum()) if not frame.empty else 0

    for f in out["files"]:
        loaded, dropped = count(lines, f["path"]), count(quarantined, f["path"])
        f["loaded"] -= loaded
        f["quarantined"] -= dropped
        f["warnings"] = f.get("warnings", 0) - count(warnings, f["path"])
        f["erased"] = f.get("erased", 0) + loaded + dropped
    return out


def part_mapping(summary: dict) -> Mapping | None:
    """The mapping a part's files were read with: the one kept in its summary, else the built-in
    profile it names (parts written before summaries kept their mapping). A stored mapping
    that reads an immigration column is read all the same (it is refused for a new load)."""
    if "mapping" in summary:
        with firewall.unchecked():  # accepted when staged, perhaps before the immigration firewall
            return Mapping.model_validate(summary["mapping"])
    return builtin_profiles().get(summary.get("profile", ""))


def part_specs(part: Part):  # noqa: ANN202 - a callable source_file -> FileSpec | None
    """The mapping spec each of a part's files was read with: the mapping kept in the part's
    summary, else the built-in profile it names."""
    mapping = part_mapping(part.summary)

    def spec_of(source_file: str) -> FileSpec | None:
        if mapping is None:
            return None
        if mapping.layout == "folder":
            return mapping.spec_for(Path(source_file).name)
        return mapping.files[0]

    return spec_of


