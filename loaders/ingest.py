"""Ingest extract files and folders into staging: detect, read, standardise, quarantine, commit.

One delivered extract (a file, or a relational folder of files) becomes one staging part,
committed atomically and named by its content and mapping, so ingest is idempotent (the
same content again changes nothing, whatever its byte-order mark, line endings, encoding or
row order) and resumable (a killed run leaves no half part; the next run commits what is
missing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from loaders import firewall
from loaders.build import Built, build
from loaders.csvread import FileRefused, RawTable
from loaders.custody import derive_custody
from loaders.erasure import named_rows, part_specs
from loaders.extracts import IngestError, Unit, part_id_of, read_unit, units
from loaders.mapping import Mapping, MappingError, builtin_profiles, load_mapping
from staging.store import Part, StagingStore


@dataclass
class FileResult:
    """What happened to one file: the per-file summary the CLI prints."""

    path: str
    profile: str | None
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    warnings: int = 0  # values set aside on loaded rows (see the staged warnings table)
    erased: int = 0  # rows naming an erased record key (dots erase): skipped, neither loaded nor quarantined
    held_apart: int = 0  # immigration values held apart, never loaded (loaders.firewall)
    status: str = "loaded"  # loaded / already loaded / refused
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def ingest_paths(
    paths: list[Path | str],
    data_dir: Path,
    profile: str | None = None,
    mapping: Path | str | None = None,
    progress: bool = False,
) -> list[FileResult]:
    """Load every extract under ``paths``; refused files are reported, the rest still load."""
    profiles = builtin_profiles()
    chosen: Mapping | None = None
    if mapping is not None:
        try:
            chosen = load_mapping(mapping)
        except MappingError as exc:
            raise IngestError(str(exc)) from exc
        profiles = {chosen.name: chosen, **profiles}
    elif profile is not None:
        if profile not in profiles:
            raise IngestError(f"unknown profile '{profile}' (known: {', '.join(sorted(profiles))})")
        chosen = profiles[profile]
    extracts = list(units([Path(p) for p in paths], chosen, profiles))
    store = StagingStore(data_dir)
    results: list[FileResult] = []
    with store.locked():
        store.recover()
        store.clean_tmp()
        firewall.restage(store, part_specs)  # parts staged before the immigration firewall
        erased = store.tombstoned()
        for unit in tqdm(extracts, desc="ingest", unit="extract", disable=not progress):
            results.extend(_ingest_unit(unit, profiles, store, erased))
    return results


def restage(data_dir: Path) -> int:
    """Stage again, under the staging lock, the parts staged before the immigration firewall
    (:func:`loaders.firewall.restage`): an ingest does it first, a resolve calls this, so nothing
    is resolved or loaded from a part whose source attributes still hold immigration values."""
    store = StagingStore(data_dir)
    if not store.parts_dir.exists():
        return 0
    with store.locked():
        store.recover()
        return firewall.restage(store, part_specs)


def _already(unit: Unit, mapping: Mapping, part: Part) -> list[FileResult]:
    """The first delivery's counts, reported against the files given now."""
    first = part.summary["files"]
    return [
        FileResult(**{**r, "path": str(f), "profile": mapping.name, "status": "already loaded"})
        for f, r in zip(unit.files, first, strict=True)
    ]


def _ingest_unit(
    unit: Unit, profiles: dict[str, Mapping], store: StagingStore, erased: dict[str, set[str]]
) -> list[FileResult]:
    try:
        mapping, specs, tables = read_unit(unit, profiles)
    except FileRefused as exc:
        return [FileResult(path=str(f), profile=None, status="refused", error=str(exc)) for f in unit.files]
    # the same bytes again: known without parsing; the same content in other bytes (no BOM,
    # other line endings or encoding, rows in another order): known once parsed
    delivered = part_id_of(mapping, [t.sha256 for t in tables])
    known = store.delivered(delivered)
    if known is not None:
        return _already(unit, mapping, known)
    try:
        for table, spec in zip(tables, specs, strict=True):
            table.parse(spec.required if spec is not None else None)
    except FileRefused as exc:
        return [
            FileResult(path=str(f), profile=mapping.name, status="refused", error=str(exc))
            for f in unit.files
        ]
    part_id = part_id_of(mapping, [t.content_id for t in tables])
    known = store.delivered(part_id)  # a part of this content, or one an erasure rewrote it from
    if known is not None:
        store.record_delivery(delivered, known.path.name)
        return _already(unit, mapping, known)
    loaded_at = pd.Timestamp(datetime.now()).floor("us")
    others = {t.path.name.lower(): t for t in tables}
    frames: dict[str, list[pd.DataFrame]] = {}
    results: list[FileResult] = []
    for table, spec in zip(tables, specs, strict=True):
        assert spec is not None
        skip = (lambda frame, spec=spec: named_rows(frame, spec, erased)) if erased else None
        built = build(table, spec, others, skip)
        _provenance(built, table, mapping.name, loaded_at)
        for name, frame in built.frames.items():
            frames.setdefault(name, []).append(frame)
        frames.setdefault("quarantine", []).append(built.quarantine)
        frames.setdefault("warnings", []).append(built.warnings)
        results.append(
            FileResult(
                path=str(table.path),
                profile=mapping.name,
                rows_read=built.rows_read,
                loaded=built.loaded,
                quarantined=len(built.quarantine),
                warnings=len(built.warnings),
                erased=built.erased,
                held_apart=built.held_apart,
            )
        )
        assert built.rows_read == built.loaded + len(built.quarantine) + built.erased, f"{table.path}: rows lost"
    merged = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    _derive(merged)
    summary = {
        "part_id": part_id,
        "profile": mapping.name,
        "mapping": mapping.model_dump(),  # how to read the keys of its quarantined rows (loaders.erasure)
        "loaded_at": str(loaded_at),
        firewall.STAGED_UNDER: firewall.fingerprint(),  # else staged again (loaders.firewall.restage)
        "files": [r.to_dict() for r in results],
    }
    store.commit_part(part_id, merged, summary)
    store.record_delivery(delivered, part_id)
    return results


def _provenance(built: Built, table: RawTable, profile: str, loaded_at: pd.Timestamp) -> None:
    for frame in [*built.frames.values(), built.quarantine, built.warnings]:
        frame["source_file"] = str(table.path)
        frame["extract_id"] = table.sha256
        frame["loaded_at"] = loaded_at
        frame["profile"] = profile


def _derive(frames: dict[str, pd.DataFrame]) -> None:
    """Tables that follow from others: one row per event, DA relevance, the address history, and
    the bail periods, decisions and RUI periods each custody state shows."""
    if "custody_records" in frames:
        frames.update(derive_custody(frames["custody_records"]))
    involvements = frames.get("involvements")
    events = frames.get("events")
    if events is not None:
        events = events.drop_duplicates("event_key", keep="first").reset_index(drop=True)
        if involvements is not None and len(involvements):
            # the victim's relationship to the suspect says DA; a child present says nothing of it
            victims = involvements[involvements["role"] == "victim"]
            related = victims.loc[victims["relationship"].isin(["intimate", "family"]), "event_key"]
            events["da_relevant"] = events["da_relevant"].astype(bool) | events["event_key"].isin(
                set(related)
            )
        frames["events"] = events
    people = frames.get("person_records")
    if people is not None:
        has = (
            people["address_raw"].notna() if "address_raw" in people else pd.Series(False, index=people.index)
        )
        if "postcode" in people:
            has |= people["postcode"].notna()
        has |= people["confidential_address"].fillna(False).astype(bool)
        addr = people.loc[has]
        frames["addresses"] = pd.DataFrame(
            {
                "record_key": addr["record_key"],
                "address_raw": addr.get("address_raw"),
                "postcode": addr.get("postcode"),
                **{c: addr.get(c) for c in ("postcode_area", "postcode_district", "postcode_sector")},
                "confidential": addr["confidential_address"].fillna(False).astype(bool),
                "seen_on": addr.get("seen_on"),
                **{
                    c: addr[c]
                    for c in ("source_file", "source_line", "extract_id", "row_hash", "loaded_at", "profile")
                },
            }
        )
