"""Which extracts a path holds, and how each is read: shared by ingest and by the rewriting of
delivered files after an erasure (:mod:`loaders.delivered`), so both find the same extracts,
read them through the same mapping and name them by the same ids.

An extract is a file, or a relational folder whose files a folder profile names; a file's
mapping is the one given, else the built-in profile its header matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from loaders.csvread import FileRefused, RawTable, check_required, read_csv
from loaders.mapping import FileSpec, Mapping, detect_profile


@dataclass
class Unit:
    """One extract delivered as a file, or as a folder of related files."""

    path: Path
    mapping: Mapping | None
    files: list[Path]


class IngestError(ValueError):
    """Bad arguments to ingest (an unknown profile, an unreadable mapping, a missing path)."""


def units(
    paths: list[Path], chosen: Mapping | None, profiles: dict[str, Mapping], given: bool = True
) -> Iterator[Unit]:
    """The extracts under ``paths``. A path the caller ``given`` that is not there is an error; one
    found in a folder that cannot be read (a broken link) is refused alone, the rest still load."""
    folder_profiles = [m for m in ([chosen] if chosen else profiles.values()) if m.layout == "folder"]
    for path in paths:
        if given and not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if not path.is_dir():  # a file; or a pipe, socket or device, which read_csv refuses unread
            yield Unit(
                path=path, mapping=chosen if chosen and chosen.layout == "file" else None, files=[path]
            )
            continue
        for mapping in folder_profiles:
            files = _folder_files(path, mapping)
            if files:
                yield Unit(path=path, mapping=mapping, files=files)
                break
        else:
            children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            yield from units(children, chosen, profiles, given=False)


def _folder_files(folder: Path, mapping: Mapping) -> list[Path] | None:
    """The folder's files in mapping order, if every file the mapping names is present."""
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    files = [present.get(spec.name.lower()) for spec in mapping.files]
    return files if all(files) else None  # type: ignore[return-value]


def part_id_of(mapping: Mapping, ids: list[str]) -> str:
    """One extract read through one mapping: the mapping's text and its files' ids."""
    digest = hashlib.sha256(mapping.model_dump_json().encode())
    for one in ids:
        digest.update(one.encode())
    return digest.hexdigest()[:32]


def read_unit(unit: Unit, profiles: dict[str, Mapping]) -> tuple[Mapping, list[FileSpec], list[RawTable]]:
    """An extract's mapping (the unit's, else the profile its header matches), each file's spec
    and each file read with the spec's encoding and delimiter (not parsed yet); raises
    :class:`FileRefused` for a file no profile reads or one missing a required column."""
    tables = [read_csv(f) for f in unit.files]
    mapping = unit.mapping or detect_profile(tables[0].header, profiles)
    if mapping is None:
        raise FileRefused(
            f"{unit.path}: cannot tell which profile reads this file: its header matches none of "
            f"{', '.join(sorted(profiles))} (name one with --profile or --mapping)"
        )
    specs = [mapping.spec_for(f.name) if mapping.layout == "folder" else mapping.files[0] for f in unit.files]
    for i, (table, spec) in enumerate(zip(tables, specs, strict=True)):
        assert spec is not None
        if (spec.encoding and spec.encoding != table.encoding) or spec.delimiter != table.delimiter:
            tables[i] = table = read_csv(table.path, spec.encoding, spec.delimiter)
        check_required(table, spec.required)
    return mapping, specs, tables  # type: ignore[return-value]
