"""Source mappings: how the columns of one source become the canonical staging tables.

A mapping is data (YAML or TOML), not code: the built-in profiles are mappings in
``loaders/profiles/``, and a new force or court adds a source by writing one more file. A
mapping names, per source file, the required columns, the header columns that identify it,
and for each staging table the target fields with the source column, template, date format,
name style or vocabulary that fills them.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from staging.schema import TABLES

PROFILES_DIR = Path(__file__).parent / "profiles"

# Target fields each table accepts in a mapping, and what kind of value each is.
TARGETS: dict[str, dict[str, str]] = {
    "person_records": {
        "record_key": "key",
        "source_system": "text",
        "force": "force",
        "name": "name",
        "aliases": "aliases",
        "dob": "dob",
        "sex": "sex",
        "address": "text",
        "postcode": "postcode",
        "pnc": "pnc",
        "cro": "cro",
        "phone": "phone",
        "seen_on": "date",
        "confidential": "flag",
        "optional": "flag",  # true: a row with no name here has no such person (no error)
    },
    "events": {
        "event_key": "key",
        "force": "force",
        "source_ref": "text",
        "occurred_at": "datetime",
        "ho_code": "text",
        "offence": "text",
        "da_marker": "bool",
        "risk": "risk",
        "location_postcode": "postcode",
    },
    "involvements": {
        "event_key": "key",
        "record_key": "key",
        "role": "role",
        "relationship": "relationship",
        "dash_risk": "risk",
    },
    "orders": {
        "order_key": "key",
        "court_name": "text",
        "court_type": "text",
        "order_type": "order_type",
        "made_on": "date",
        "expires_on": "date",
        "respondent_key": "key",
        "protected_key": "key",
        "conditions": "text",
        "power_of_arrest": "bool",
    },
    "custody_records": {
        "custody_key": "key",
        "force": "force",
        "custody_ref": "text",
        "event_key": "key",
        "record_key": "key",
        "arrested_at": "datetime",
        "offence": "text",
        "ho_code": "text",
        "disposal": "code",
        "bail_until": "date",
        "bail_conditions": "text",
        "authorised_by_rank": "rank",
        "protected_key": "key",
        "decision": "code",
        "decision_on": "date",
        "decision_rationale": "text",
        "rui_review_on": "date",
    },
    "notices": {
        "notice_key": "key",
        "force": "force",
        "notice_ref": "text",
        "notice_type": "code",
        "served_at": "datetime",
        "authorised_by_rank": "rank",
        "subject_key": "key",
        "protected_key": "key",
        "premises": "address",
        "application_made_at": "datetime",
        "hearing_at": "datetime",
        "hearing_outcome": "code",
    },
    "referrals": {
        "referral_key": "key",
        "force": "force",
        "referral_ref": "text",
        "event_key": "key",
        "notice_key": "key",
        "record_key": "key",
        "service": "code",
        "sent_at": "datetime",
        "outcome": "code",
        "child_key": "key",
        "school": "text",
    },
    "workforce": {
        "record_key": "key",
        "force": "force",
        "employee_ref": "text",
        "role": "code",
        "status": "code",
        "left_on": "date",
    },
}
REQUIRED_TARGETS: dict[str, list[str]] = {
    "person_records": ["record_key", "name"],
    "events": ["event_key", "force", "occurred_at"],
    "involvements": ["event_key", "record_key", "role"],
    "orders": ["order_key", "order_type", "made_on", "respondent_key", "protected_key"],
    "custody_records": ["custody_key", "force", "record_key", "arrested_at"],
    "notices": ["notice_key", "force", "notice_type", "served_at", "subject_key", "protected_key"],
    "referrals": ["referral_key", "force", "record_key", "service", "sent_at"],
    "workforce": ["record_key", "force", "status"],
}
# The date that makes a row an event: blank or impossible, the row cannot be used.
EVENT_DATES = {"custody_records": "arrested_at", "notices": "served_at", "referrals": "sent_at"}
assert set(TARGETS) <= set(TABLES)


NAME_FORMS = ({"full", "style"}, {"surname", "forenames"})


def _check_name(table: str, name: Any) -> None:
    """A person's name is one column to split (``full``, with an optional ``style``), or a surname
    and forenames column, either of which a source may lack (a court list with surnames only)."""
    if not isinstance(name, dict) or not name:
        raise ValueError(f"{table}: 'name' must be {{full: COLUMN}} or {{surname: COLUMN, forenames: COLUMN}}")
    keys = set(name)
    if not any(keys <= form and keys & form - {"style"} for form in NAME_FORMS):
        raise ValueError(
            f"{table}: 'name' takes full (and style), or surname and/or forenames, not {sorted(keys)}"
        )


class MappingError(ValueError):
    """A mapping file that cannot be used, with the file and the problem named."""


class Lookup(BaseModel):
    """Take a column from (or check a key against) another file of the same folder."""

    model_config = ConfigDict(extra="forbid")
    file: str
    key: str
    column: str | None = None


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "*"
    required: list[str]
    detect: list[str] = Field(default_factory=list)
    encoding: str | None = None  # None: UTF-8 (with or without BOM), else Windows-1252
    delimiter: str = ","
    max_field_length: int = 4000
    lookup: list[Lookup] = Field(default_factory=list)
    emit: dict[str, list[dict[str, Any]]]

    @model_validator(mode="after")
    def _targets_known(self) -> FileSpec:
        for table, specs in self.emit.items():
            if table not in TARGETS:
                raise ValueError(f"unknown staging table '{table}' (known: {', '.join(TARGETS)})")
            for spec in specs:
                unknown = set(spec) - set(TARGETS[table])
                if unknown:
                    raise ValueError(f"{table}: unknown target field(s) {sorted(unknown)}")
                missing = [f for f in REQUIRED_TARGETS[table] if f not in spec]
                if missing:
                    raise ValueError(f"{table}: required target field(s) {missing} not mapped")
                if "name" in spec:
                    _check_name(table, spec["name"])
        from loaders.firewall import check_mapping_columns  # the immigration firewall

        check_mapping_columns(self.emit, self.lookup)
        return self

    def matches(self, filename: str) -> bool:
        return fnmatch.fnmatch(filename.lower(), self.name.lower())

    def identifies(self, header: list[str]) -> bool:
        cols = {h.strip().lower() for h in header}
        return bool(self.detect) and all(d.lower() in cols for d in self.detect)


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    layout: Literal["file", "folder"] = "file"
    description: str = ""
    files: list[FileSpec]

    def spec_for(self, filename: str, header: list[str] | None = None) -> FileSpec | None:
        for spec in self.files:
            if spec.matches(filename) and (
                header is None or self.layout == "folder" or spec.identifies(header)
            ):
                return spec
        return None


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a YAML or TOML mapping file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from exc
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: a mapping must be a YAML/TOML table")
    try:
        return Mapping.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"{path}: invalid mapping at '{where}': {first['msg']}") from exc


def builtin_profiles() -> dict[str, Mapping]:
    return {m.name: m for m in (load_mapping(p) for p in sorted(PROFILES_DIR.glob("*.yaml")))}


def detect_profile(header: list[str], profiles: dict[str, Mapping]) -> Mapping | None:
    """The profile whose detection columns all appear in the header (most specific first)."""
    hits = [
        (len(spec.detect), mapping)
        for mapping in profiles.values()
        for spec in mapping.files
        if spec.identifies(header)
    ]
    return max(hits, key=lambda h: h[0])[1] if hits else None
