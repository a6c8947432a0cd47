"""Turn one parsed source file into staging rows, column at a time, quarantining what cannot be read.

Each target field of a mapping is resolved to a pandas Series and standardised in bulk. A row
that cannot be used (impossible event date, no name, unknown role, over-long field, unknown
force, blank key, a NUL or undecodable byte) is quarantined whole with the first field and reason
found; everything else is loaded. Nothing is dropped: rows read = rows loaded + rows quarantined.

A value a person record can do without (an impossible or implausible date of birth, a malformed
PNC ID, CRO number, phone number or postcode) never costs the record: the row loads, the raw
text stays in its ``*_raw`` column, the parsed field is empty, and a warning names the line, the
field and the value. A record that names a person is a possible link; refusing it is a missed one.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders import firewall
from loaders.csvread import LINE, RawTable
from loaders.mapping import EVENT_DATES, TARGETS, FileSpec
from loaders.standardise import dates, forces, identifiers, names, offences, phones, postcodes, vocab
from staging.schema import TABLES

TABLE_COLUMNS = {table: {name for name, _ in columns} for table, columns in TABLES.items()}

ORDER_TYPES = {
    "NON_MOLESTATION",
    "OCCUPATION",
    "DVPO",
    "DVPN",
    "RESTRAINING",
    "STALKING_PROTECTION",
    "DAPO",
    "DAPN",
}


ABSENT = "__absent__"  # a builder's marker for rows that emit no record to its table


class RowErrors:
    """The first (field, reason) found for each row; later checks do not overwrite it."""

    def __init__(self, index: pd.Index):
        self.field = pd.Series(None, index=index, dtype=object)
        self.reason = pd.Series(None, index=index, dtype=object)

    def add(self, mask: pd.Series | np.ndarray, field: str, reason: pd.Series | str) -> None:
        mask = pd.Series(mask, index=self.field.index).fillna(False).astype(bool) & self.field.isna()
        if not mask.any():
            return
        self.field[mask] = field
        self.reason[mask] = reason[mask] if isinstance(reason, pd.Series) else reason

    @property
    def bad(self) -> pd.Series:
        return self.field.notna()


class RowWarnings:
    """Values set aside on rows that still load: one entry per row, field and reason."""

    COLUMNS = ["row", "field", "reason", "raw", "record_key"]

    def __init__(self, index: pd.Index):
        self.index = index
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        mask: pd.Series | np.ndarray,
        field: str,
        reason: pd.Series | str,
        raw: pd.Series,
        record_key: pd.Series | None = None,
    ) -> None:
        mask = pd.Series(mask, index=self.index).fillna(False).astype(bool)
        if not mask.any():
            return
        rows = self.index[mask.to_numpy()]
        self.parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "field": field,
                    "reason": reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason,
                    "raw": raw[mask].to_numpy(),
                    "record_key": record_key[mask].to_numpy() if record_key is not None else None,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=self.COLUMNS)
        out = pd.concat(self.parts, ignore_index=True)
        return out.drop_duplicates(["row", "field", "reason", "record_key"]).reset_index(drop=True)


@dataclass
class Context:
    """What a builder needs besides the rows: the source and the error and warning collectors."""

    frame: pd.DataFrame
    errors: RowErrors
    used: set[str]
    warnings: RowWarnings


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype(str).str.strip() == "")


def _clean(s: pd.Series) -> pd.Series:
    """Trimmed strings with blanks as None, for values derived from source columns."""
    out = s.astype(object).str.strip()
    return out.where(out.notna() & (out != ""), None)


def column(ctx: Context, name: str) -> pd.Series:
    """A source column: already trimmed, blanks as None (see ``csvread``)."""
    col = name.lower()
    ctx.used.add(col)
    return ctx.frame[col]


def resolve(ctx: Context, spec: Any) -> pd.Series:
    """A mapping field spec → the raw source values it names."""
    index = ctx.frame.index
    if isinstance(spec, str):
        return column(ctx, spec)
    if not isinstance(spec, dict):
        raise ValueError(f"unsupported field spec {spec!r}")
    if "const" in spec:
        return pd.Series(spec["const"], index=index, dtype=object)
    if "template" in spec:
        key = _template(ctx, spec["template"], optional=bool(spec.get("optional")))
        if "when" in spec:  # a key only on rows that name what it identifies
            named = pd.concat([column(ctx, c).notna() for c in spec["when"]], axis=1).any(axis=1)
            key = key.where(named, None)
        return key
    if "columns" in spec:
        parts = [pa.array(column(ctx, c), type=pa.string(), from_pandas=True) for c in spec["columns"]]
        joined = pc.binary_join_element_wise(*parts, spec.get("join", " "), null_handling="skip")
        return _clean(pd.Series(joined.to_pandas(), index=index, dtype=object))
    if "column" in spec:
        return column(ctx, spec["column"])
    if "from_text" in spec:
        return postcodes.postcode_from_text(column(ctx, spec["from_text"]))
    raise ValueError(f"unsupported field spec {spec!r}")


def _template(ctx: Context, template: str, optional: bool = False) -> pd.Series:
    """``"{force}/{nominal_ref}"``: a key built from source values; a blank part is an error, or
    with ``optional`` no key at all (an occurrence reference "may be blank")."""
    pieces: list[pa.Array | str] = []
    missing = pd.Series(False, index=ctx.frame.index)
    for literal, field_name, _, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if field_name:
            values = column(ctx, field_name)
            if optional:
                missing |= values.isna()
            else:
                ctx.errors.add(values.isna(), field_name, f"required field '{field_name}' is blank")
            pieces.append(pa.array(values.fillna(""), type=pa.string()))
    arrays = [p if isinstance(p, pa.Array) else pa.scalar(p) for p in pieces]
    if not any(isinstance(a, pa.Array) for a in arrays):
        return pd.Series(template, index=ctx.frame.index, dtype=object)
    joined = pc.binary_join_element_wise(*arrays, "")
    out = pd.Series(joined.to_pandas(), index=ctx.frame.index, dtype=object)
    return out.where(~missing, None)


def _length_check(ctx: Context, table: RawTable, spec: FileSpec) -> None:
    for col, longest in table.longest.items():
        if longest <= spec.max_field_length:
            continue
        too_long = ctx.frame[col].str.len() > spec.max_field_length
        ctx.errors.add(too_long, col, f"field '{col}' is over {spec.max_field_length} characters")


def _date(ctx: Context, target: str, spec: Any, kind: str | None = None) -> pd.DataFrame:
    """Parse a date column; a value that cannot be read quarantines the row."""
    parsed = _parse_date(ctx, target, spec, kind)
    ctx.errors.add(parsed["error"].notna(), spec["column"], parsed["error"])
    return parsed


def _parse_date(ctx: Context, target: str, spec: Any, kind: str | None = None) -> pd.DataFrame:
    if not isinstance(spec, dict) or "format" not in spec:
        raise ValueError(f"{target}: a date needs {{column, format}}")
    raw = resolve(ctx, spec)
    parsed = dates.parse_dates(
        raw, spec["format"], open_ended=set(spec.get("open_ended", [])) or None, kind=kind
    )
    parsed["raw"] = raw
    return parsed


def _date_of_birth(ctx: Context, spec: Any, record_key: pd.Series) -> pd.DataFrame:
    """A date of birth; one that cannot be used is set aside with a warning, never the record.

    ``swapped`` is the same text read with day and month exchanged where that, and only that,
    gives a plausible date of birth (``1974-15-11`` as 15 November 1974): the loader knows the
    source's format, so it reads the likely slip once for linkage.
    """
    parsed = _parse_date(ctx, "dob", spec, kind="dob")
    bad = parsed["error"].notna()
    ctx.warnings.add(bad, spec["column"], parsed["error"], parsed["raw"], record_key)
    parsed["swapped"] = pd.Series(pd.NaT, index=parsed.index, dtype="datetime64[ns]")
    if bad.any():
        parsed.loc[bad, "swapped"] = dates.day_month_swapped(parsed["raw"][bad], spec["format"])
    return parsed


def _set_aside(
    ctx: Context, out: pd.DataFrame, raw: str, value: str, field: str, reason: pd.Series | str
) -> None:
    """Warn for every non-blank raw value whose parsed form is empty."""
    bad = out[raw].notna() & out[value].isna()
    if isinstance(reason, str):
        reason = reason + " '" + out[raw].fillna("").astype(str) + "'"
    ctx.warnings.add(bad, field, reason, out[raw], out["record_key"])


def _vocab(ctx: Context, spec: Any) -> pd.Series:
    """A column, optionally through a mapping's own ``values`` table, before the shared vocabulary."""
    raw = resolve(ctx, spec)
    if isinstance(spec, dict) and "values" in spec:
        table = {str(k).strip().lower(): v for k, v in spec["values"].items()}
        raw = raw.map(lambda v: table.get(v.lower(), v) if isinstance(v, str) else v)
    return raw


def _source_name(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        for key in ("column", "full", "from_text", "surname", "forenames"):
            if key in spec:
                return spec[key]
        if "columns" in spec:
            return spec["columns"][0]
    return "?"


def build_person_records(ctx: Context, spec: dict[str, Any]) -> pd.DataFrame:
    index = ctx.frame.index
    out = pd.DataFrame(index=index)
    out["record_key"] = resolve(ctx, spec["record_key"])
    name = spec["name"]
    if "full" in name:
        full = resolve(ctx, {"column": name["full"]})
        split = names.split_names(full, name.get("style", "forenames_surname"))
        out["name_raw"] = full
        out["surname"], out["forenames"] = split["surname"], split["forenames"]
    else:
        for part in ("surname", "forenames"):  # a source may hold only one of the two
            absent = pd.Series(None, index=index, dtype=object)
            out[part] = resolve(ctx, {"column": name[part]}) if part in name else absent
        out["name_raw"] = (out["forenames"].fillna("") + " " + out["surname"].fillna("")).str.strip()
    parts = names.name_parts(out["surname"], out["forenames"])
    out[["surname_norm", "forename_norm", "middle_norm"]] = parts[
        ["surname_norm", "forename_norm", "middle_norm"]
    ]
    nameless = out["surname_norm"].isna() & out["forename_norm"].isna()
    if spec.get("optional"):
        out[ABSENT] = nameless  # no such person on this row: no record, and no error
    else:
        ctx.errors.add(nameless, _source_name(name), "no name")
    if "aliases" in spec:
        out["aliases"] = _aliases(ctx, spec["aliases"])
    if "force" in spec:
        _force(ctx, out, spec["force"])
        out["source_system"] = out["force_code"]
    if "source_system" in spec:
        out["source_system"] = resolve(ctx, spec["source_system"])
    if "dob" in spec:
        parsed = _date_of_birth(ctx, spec["dob"], out["record_key"])
        out["dob"], out["dob_raw"], out["dob_swapped"] = parsed["value"], parsed["raw"], parsed["swapped"]
    if "sex" in spec:
        out["sex"] = vocab.sexes(_vocab(ctx, spec["sex"]))
    if "address" in spec:
        out["address_raw"] = resolve(ctx, spec["address"])
    if "postcode" in spec:
        out["postcode_raw"] = resolve(ctx, spec["postcode"])
        parsed = postcodes.parse_postcodes(out["postcode_raw"])
        out["postcode"] = parsed["postcode"]
        # Kept for the address table (``ingest._derive``); not a person_records column.
        out[["postcode_area", "postcode_district", "postcode_sector"]] = parsed[
            ["area", "district", "sector"]
        ]
    if "pnc" in spec:
        out["pnc_raw"] = resolve(ctx, spec["pnc"])
        pnc = identifiers.parse_pnc(out["pnc_raw"])
        out["pnc"], out["pnc_valid"] = pnc["pnc"], pnc["valid"]
        _set_aside(ctx, out, "pnc_raw", "pnc", _source_name(spec["pnc"]), pnc["error"])
    if "cro" in spec:
        out["cro_raw"] = resolve(ctx, spec["cro"])
        cro = identifiers.parse_cro(out["cro_raw"])
        out["cro"] = cro["cro"]
        _set_aside(ctx, out, "cro_raw", "cro", _source_name(spec["cro"]), cro["error"])
    if "phone" in spec:
        out["phone_raw"] = resolve(ctx, spec["phone"])
        out["phone"] = phones.parse_phones(out["phone_raw"])
        _set_aside(ctx, out, "phone_raw", "phone", _source_name(spec["phone"]), "invalid phone number")
    if "seen_on" in spec:
        out["seen_on"] = _date(ctx, "seen_on", spec["seen_on"])["value"].dt.normalize()
    out["confidential_address"] = False
    if "confidential" in spec:
        conf = spec["confidential"]
        raw = resolve(ctx, {"column": conf["column"]})
        words = {str(w).strip().upper() for w in conf.get("equals", ["CONFIDENTIAL"])}
        flagged = raw.map(lambda v: isinstance(v, str) and v.strip().upper() in words).astype(bool)
        out["confidential_address"] = flagged
        # A withheld address is never stored, only the fact that it is withheld.
        for col in (
            "address_raw",
            "postcode",
            "postcode_raw",
            "postcode_area",
            "postcode_district",
            "postcode_sector",
        ):
            if col in out:
                out.loc[flagged, col] = None
    # after the withholding above, so that no warning carries a withheld address
    if "postcode" in spec and not (isinstance(spec["postcode"], dict) and "from_text" in spec["postcode"]):
        _set_aside(ctx, out, "postcode_raw", "postcode", _source_name(spec["postcode"]), "malformed postcode")
    return out


def _aliases(ctx: Context, spec: Any) -> pd.Series:
    raw = resolve(ctx, spec)
    sep = spec.get("separator", ";") if isinstance(spec, dict) else ";"
    return raw.map(
        lambda v: (
            "; ".join(p.strip() for p in v.split(sep) if p.strip()) or None if isinstance(v, str) else None
        )
    )


def _force(ctx: Context, out: pd.DataFrame, spec: Any) -> None:
    raw = resolve(ctx, spec)
    coded = forces.force_codes(raw)
    out["force_code"] = coded["force_code"]
    unknown = raw.notna() & coded["force_code"].isna()
    ctx.errors.add(unknown, _source_name(spec), "unknown force '" + raw.fillna("") + "'")
    ctx.errors.add(raw.isna(), _source_name(spec), "force is blank")


def build_events(ctx: Context, spec: dict[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame(index=ctx.frame.index)
    out["event_key"] = resolve(ctx, spec["event_key"])
    _force(ctx, out, spec["force"])
    out["source_ref"] = resolve(ctx, spec["source_ref"]) if "source_ref" in spec else None
    occurred = _date(ctx, "occurred_at", spec["occurred_at"])
    out["occurred_at"] = occurred["value"]
    ctx.errors.add(occurred["value"].isna(), spec["occurred_at"]["column"], "event date is blank")
    code = (
        resolve(ctx, spec["ho_code"]) if "ho_code" in spec else pd.Series(None, index=out.index, dtype=object)
    )
    out["offence"] = resolve(ctx, spec["offence"]) if "offence" in spec else None
    classified = offences.classify_offences(code, out["offence"])
    out["ho_code"], out["offence_group"] = classified["ho_code"], classified["offence_group"]
    marker = vocab.yes_no(_vocab(ctx, spec["da_marker"])) if "da_marker" in spec else None
    out["da_marker"] = marker
    out["da_relevant"] = pd.Series(marker, index=out.index).fillna(False).astype(bool) | classified[
        "da_relevant_offence"
    ].fillna(False).astype(bool)
    out["risk"] = vocab.risks(_vocab(ctx, spec["risk"])) if "risk" in spec else None
    if "location_postcode" in spec:
        out["location_postcode"] = postcodes.parse_postcodes(resolve(ctx, spec["location_postcode"]))[
            "postcode"
        ]
    return out


def build_involvements(ctx: Context, spec: dict[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame(index=ctx.frame.index)
    out["event_key"] = resolve(ctx, spec["event_key"])
    out["record_key"] = resolve(ctx, spec["record_key"])
    roles = vocab.roles(_vocab(ctx, spec["role"]))
    out["role"] = roles["value"]
    ctx.errors.add(roles["error"].notna(), _source_name(spec["role"]), roles["error"])
    ctx.errors.add(roles["value"].isna(), _source_name(spec["role"]), "role is blank")
    if "relationship" in spec:
        out["relationship_raw"] = resolve(ctx, spec["relationship"])
        out["relationship"] = vocab.relationships(out["relationship_raw"])["value"]
    if "dash_risk" in spec:
        out["dash_risk"] = vocab.risks(_vocab(ctx, spec["dash_risk"]))
    return out


def build_orders(ctx: Context, spec: dict[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame(index=ctx.frame.index)
    for key in ("order_key", "respondent_key", "protected_key"):
        out[key] = resolve(ctx, spec[key])
    ctx.errors.add(out["order_key"].isna(), _source_name(spec["order_key"]), "order key is blank")
    for key in ("court_name", "conditions"):
        out[key] = resolve(ctx, spec[key]) if key in spec else None
    out["court_type"] = resolve(ctx, spec["court_type"]).str.lower() if "court_type" in spec else None
    order_type = _vocab(ctx, spec["order_type"]).str.upper().str.replace(r"[\s-]+", "_", regex=True)
    ctx.errors.add(
        order_type.notna() & ~order_type.isin(ORDER_TYPES),
        _source_name(spec["order_type"]),
        "unknown order type '" + order_type.fillna("") + "'",
    )
    ctx.errors.add(order_type.isna(), _source_name(spec["order_type"]), "order type is blank")
    out["order_type"] = order_type
    made = _date(ctx, "made_on", spec["made_on"])
    out["made_on"] = made["value"]
    ctx.errors.add(made["value"].isna(), spec["made_on"]["column"], "order date is blank")
    out["until_further_order"] = False
    if "expires_on" in spec:
        expires = _date(ctx, "expires_on", spec["expires_on"])
        out["expires_on"] = expires["value"]
        if "open_ended" in expires:
            out["until_further_order"] = expires["open_ended"].fillna(False).astype(bool)
        before = expires["value"].notna() & made["value"].notna() & (expires["value"] < made["value"])
        ctx.errors.add(before, spec["expires_on"]["column"], "order expires before it was made")
    if "power_of_arrest" in spec:
        out["power_of_arrest"] = vocab.yes_no(_vocab(ctx, spec["power_of_arrest"]))
    return out


# code-list fields: target field -> the vocabulary it is checked against
CODE_LISTS = {
    "disposal": "disposal",
    "decision": "decision",
    "notice_type": "notice_type",
    "hearing_outcome": "hearing_outcome",
    "service": "service",
    "outcome": "referral_outcome",
}
# Dates that cannot come before the event date of the same row (a keying error the clocks
# would otherwise run on).
NOT_BEFORE = {
    "custody_records": ["bail_until", "decision_on", "rui_review_on"],
    "notices": ["application_made_at", "hearing_at"],
}


def build_fields(table: str) -> Any:
    """A builder for a table whose fields are each one kind (key, text, force, date, code, rank)."""

    def builder(ctx: Context, spec: dict[str, Any]) -> pd.DataFrame:
        out = pd.DataFrame(index=ctx.frame.index)
        for target, kind in TARGETS[table].items():
            if target not in spec:
                continue
            field_spec = spec[target]
            if kind in ("key", "text"):
                out[target] = resolve(ctx, field_spec)
            elif kind == "force":
                _force(ctx, out, field_spec)
            elif kind in ("date", "datetime"):
                value = _date(ctx, target, field_spec)["value"]
                out[target] = value.dt.normalize() if kind == "date" else value
            elif kind in ("code", "rank"):
                raw = _vocab(ctx, field_spec)
                what = CODE_LISTS.get(target, target).replace("_", " ")
                coded = vocab.ranks(raw) if kind == "rank" else vocab.codes(raw, vocab.CODES[CODE_LISTS[target]], what)
                ctx.errors.add(coded["error"].notna(), _source_name(field_spec), coded["error"])
                out[target] = coded["value"]
            elif kind == "address":
                _withheld(ctx, out, target, field_spec)
        event = EVENT_DATES[table]
        source = _source_name(spec[event])
        ctx.errors.add(out[event].isna(), source, f"{event.replace('_', ' ')} is blank")
        for later in NOT_BEFORE.get(table, []):
            if later in out:
                before = out[later].notna() & (out[later] < out[event].dt.normalize())
                ctx.errors.add(before, _source_name(spec[later]), f"{later} is before {event}")
        if "ho_code" in out or "offence" in out:
            code = out["ho_code"] if "ho_code" in out else pd.Series(None, index=out.index, dtype=object)
            text = out["offence"] if "offence" in out else pd.Series(None, index=out.index, dtype=object)
            classified = offences.classify_offences(code, text)
            out["ho_code"], out["offence_group"] = classified["ho_code"], classified["offence_group"]
        return out

    return builder


def _withheld(ctx: Context, out: pd.DataFrame, target: str, spec: Any) -> None:
    """An address that may be withheld (``CONFIDENTIAL``): the text, or null and a flag."""
    raw = resolve(ctx, spec)
    words = {"CONFIDENTIAL", "WITHHELD", "REFUGE"}
    if isinstance(spec, dict) and "confidential" in spec:
        words = {str(w).strip().upper() for w in spec["confidential"]}
    flagged = raw.map(lambda v: isinstance(v, str) and v.strip().upper() in words).astype(bool)
    out[target] = raw.where(~flagged, None)
    out[f"{target}_confidential"] = flagged


def build_workforce(ctx: Context, spec: dict[str, Any]) -> pd.DataFrame:
    """Officers and staff (extracts.md §7). An unknown role or status quarantines the row (as an
    unknown involvement role does); a blank one, or a leaving date that cannot be read, is set aside
    with a warning: the person is still a person to link, and a blank status is walled as serving
    (:mod:`api.policy.wall` fails closed)."""
    out = pd.DataFrame(index=ctx.frame.index)
    out["record_key"] = resolve(ctx, spec["record_key"])
    _force(ctx, out, spec["force"])
    if "employee_ref" in spec:
        out["employee_ref"] = resolve(ctx, spec["employee_ref"])
    for target, codes in (("role", "workforce_role"), ("status", "workforce_status")):
        if target not in spec:
            out[target] = None
            continue
        raw = _vocab(ctx, spec[target])
        coded = vocab.codes(raw, vocab.CODES[codes], f"workforce {target}")
        ctx.errors.add(coded["error"].notna(), _source_name(spec[target]), coded["error"])
        ctx.warnings.add(raw.isna(), _source_name(spec[target]), f"{target} is blank", raw, out["record_key"])
        out[target] = coded["value"]
    out["left_on"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if "left_on" in spec:
        parsed = _parse_date(ctx, "left_on", spec["left_on"])
        column_name = spec["left_on"]["column"]
        ctx.warnings.add(parsed["error"].notna(), column_name, parsed["error"], parsed["raw"], out["record_key"])
        out["left_on"] = parsed["value"].dt.normalize()
    return out


BUILDERS = {
    "person_records": build_person_records,
    "workforce": build_workforce,
    "events": build_events,
    "involvements": build_involvements,
    "orders": build_orders,
    **{table: build_fields(table) for table in EVENT_DATES},
}


@dataclass
class Built:
    frames: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    warnings: pd.DataFrame  # source_line, field, reason, raw, record_key: values set aside on loaded rows
    rows_read: int
    loaded: int
    erased: int = 0  # rows naming an erased record key: skipped, neither staged nor quarantined
    held_apart: int = 0  # immigration values held apart (loaders.firewall)


def build(
    table: RawTable,
    spec: FileSpec,
    others: dict[str, RawTable] | None = None,
    skip: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> Built:
    """Every staging table a file's mapping emits, and the quarantine of what it could not read.
    ``skip`` marks the rows (of the source, or of quarantined raw text read by :func:`raw_frame`)
    naming an erased record key (``loaders.erasure.named_rows``): skipped before either."""
    frame, errors = apply_lookups(table, spec, others or {})
    named = skip(frame) if skip is not None else pd.Series(False, index=frame.index)
    ctx = Context(frame=frame, errors=errors, used={LINE}, warnings=RowWarnings(frame.index))
    _length_check(ctx, table, spec)
    built: dict[str, list[pd.DataFrame]] = {}
    for target_table, specs in spec.emit.items():
        for one in specs:
            built.setdefault(target_table, []).append(BUILDERS[target_table](ctx, one))
    for col in spec.required:
        ctx.used.add(col.lower())
    held = firewall.held_columns(frame.columns)  # immigration fields: never in extra (loaders.firewall)
    extras = [c for c in frame.columns if c not in ctx.used and c not in held and not c.startswith("__")]
    extra_json = _extra_json(frame, extras)
    good = ~errors.bad & ~named
    row_hash = pd.util.hash_pandas_object(frame.drop(columns=[LINE]), index=False).map("{:016x}".format)
    frames: dict[str, pd.DataFrame] = {}
    for target_table, parts in built.items():
        kept = []
        for p in parts:
            keep = good & ~p.pop(ABSENT) if ABSENT in p else good
            p = p[keep].assign(source_line=frame.loc[keep, LINE], row_hash=row_hash[keep])
            if "extra" in TABLE_COLUMNS[target_table]:
                p["extra"] = extra_json[keep] if extra_json is not None else None
            kept.append(p)
        frames[target_table] = pd.concat(kept, ignore_index=True)
    frames["held_apart"] = firewall.held_apart(frame, held, good, LINE)
    quarantine = firewall.withheld(_quarantine_rows(frame, errors.bad & ~named, errors, table), table.header)
    if skip is not None and not quarantine.empty:  # rows read short of the frame: their raw text names keys
        quarantine = quarantine[~skip(raw_frame(quarantine["raw"])).to_numpy()].reset_index(drop=True)
    warnings = _warning_rows(ctx.warnings.frame(), frame, good)
    warnings = pd.concat([firewall.warnings(table.header, frames["held_apart"]), warnings], ignore_index=True)
    if "person_records" in frames:
        warnings = pd.concat([warnings, key_conflicts(frames["person_records"])], ignore_index=True)
    return Built(
        frames=frames,
        quarantine=quarantine,
        warnings=warnings.sort_values(["source_line", "field"], kind="stable").reset_index(drop=True),
        rows_read=table.rows_read,
        loaded=int(good.sum()),
        held_apart=len(frames["held_apart"]),
        erased=table.rows_read - int(good.sum()) - len(quarantine),
    )


def _warning_rows(warnings: pd.DataFrame, frame: pd.DataFrame, good: pd.Series) -> pd.DataFrame:
    """Warnings of the rows that load (a quarantined row's reason says all), by source line."""
    warnings = warnings[good.loc[warnings["row"]].to_numpy(dtype=bool)]
    out = warnings.assign(source_line=frame.loc[warnings["row"], LINE].to_numpy(dtype=np.int64))
    out = out.sort_values(["source_line", "field"], kind="stable").reset_index(drop=True)
    return out[["source_line", "field", "reason", "raw", "record_key"]]


def key_conflicts(people: pd.DataFrame) -> pd.DataFrame:
    """A warning for each mention whose record key names another identity earlier in the file.

    One record key is one person in the source system, so a mention with another name (surname
    or first forename, folded) or another date of birth (both written) under the same key is a
    keying error or a reused reference. Both mentions stay staged; linkage and stewards decide.
    """
    columns = ["source_line", "field", "reason", "raw", "record_key"]
    if people.empty:
        return pd.DataFrame(columns=columns)
    ordered = people.sort_values("source_line", kind="stable")
    # each mention's first mention under its key, by position (keys numbered in order of first
    # mention, so the first position of each number is that mention)
    codes, _ = pd.factorize(ordered["record_key"], use_na_sentinel=False)
    ref = np.unique(codes, return_index=True)[1][codes]

    def differs(col: str) -> np.ndarray:
        values = ordered[col].fillna("").to_numpy()
        return values != values[ref]

    other_name = differs("surname_norm") | differs("forename_norm")
    other_dob = np.zeros(len(ordered), dtype=bool)
    if "dob" in ordered:
        dob = ordered["dob"].to_numpy()
        other_dob = pd.notna(dob) & pd.notna(dob[ref]) & (dob != dob[ref])
    clashing = other_name | other_dob
    clash = ordered[clashing]
    if clash.empty:
        return pd.DataFrame(columns=columns)
    lines = ordered["source_line"].to_numpy()[ref[clashing]]
    said = clash["name_raw"].fillna("")
    if "dob_raw" in clash:
        said = said + np.where(clash["dob_raw"].notna(), " " + clash["dob_raw"].fillna(""), "")
    return pd.DataFrame(
        {
            "source_line": clash["source_line"].to_numpy(dtype=np.int64),
            "field": "record_key",
            "reason": [
                f"record key '{k}' names another identity on line {int(n)}: both mentions kept"
                for k, n in zip(clash["record_key"], lines, strict=True)
            ],
            "raw": said.to_numpy(dtype=object),
            "record_key": clash["record_key"].to_numpy(dtype=object),
        }
    )


def _extra_json(frame: pd.DataFrame, extras: list[str]) -> pd.Series | None:
    """Each row's unmapped columns as the JSON object ``json.dumps`` writes, built a column at a
    time: one Python call per row cost a quarter of a large file's build."""
    if not extras:
        return None
    pieces: list[pa.Array | pa.Scalar] = []
    for i, name in enumerate(extras):
        key = ("{" if i == 0 else ", ") + json.dumps(name) + ": "
        pieces += [pa.scalar(key), json_values(frame[name])]
    pieces.append(pa.scalar("}"))
    joined = pc.binary_join_element_wise(*pieces, "")
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=frame.index, dtype=object)


# Text ``json.dumps`` writes as it is between quotes: printable ASCII but the quote and backslash.
_JSON_PLAIN = r"^[ !#-\[\]-~]*$"


def json_values(values: pd.Series) -> pa.Array:
    """Each value as ``json.dumps`` writes it: a string quoted (escaped only where it must be, by
    ``json.dumps`` itself), None as ``null``. Anything but strings and None goes to ``json.dumps``."""
    objects = values.to_numpy(dtype=object)
    try:
        text = pa.array(objects, type=pa.string(), from_pandas=False)
    except (pa.ArrowException, UnicodeError):
        return pa.array([json.dumps(v) for v in objects], type=pa.string())
    plain = pc.fill_null(pc.match_substring_regex(text, _JSON_PLAIN), True)
    out = pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), "null")
    if pc.all(plain).as_py():
        return out
    escaped = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    written = out.to_numpy(zero_copy_only=False)
    written[escaped] = [json.dumps(v) for v in objects[escaped]]
    return pa.array(written, type=pa.string())


def _quarantine_rows(frame: pd.DataFrame, bad: pd.Series, errors: RowErrors, table: RawTable) -> pd.DataFrame:
    cols = [c for c in frame.columns if c != LINE]
    rows = frame.loc[bad]
    records = [
        {
            "source_line": int(line),
            "field": f,
            "reason": r,
            "raw": json.dumps(dict(zip(cols, vals, strict=True)), ensure_ascii=False),
        }
        for line, f, r, vals in zip(
            rows[LINE],
            errors.field[bad],
            errors.reason[bad],
            rows[cols].itertuples(index=False, name=None),
            strict=True,
        )
    ]
    records.extend(malformed_rows(table))
    out = pd.DataFrame(records, columns=["source_line", "field", "reason", "raw"])
    return out.sort_values("source_line", kind="stable").reset_index(drop=True)


def malformed_rows(table: RawTable) -> list[dict[str, Any]]:
    """The rows read with the wrong number of fields or an unreadable byte, as the quarantine
    keeps them: the whole row as read, named by the header when it has as many fields."""
    records = []
    for row in table.malformed:
        named = len(row.values) == len(table.header)
        values = dict(zip(table.header, row.values, strict=True)) if named else row.values
        records.append(
            {
                "source_line": row.line,
                "field": row.field,
                "reason": row.reason,
                "raw": json.dumps(values, ensure_ascii=False),
            }
        )
    return records


def raw_frame(raw: pd.Series) -> pd.DataFrame:
    """Quarantined rows' raw text (JSON objects of column -> value) as a frame a mapping reads;
    a row read with the wrong number of fields (a JSON list) has no columns and names no key."""
    rows = []
    for text in raw:
        try:
            values = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError:
            values = None
        rows.append({str(k).strip().lower(): v for k, v in values.items()} if isinstance(values, dict) else {})
    frame = pd.DataFrame(rows, index=raw.index, dtype=object)
    return frame.where(frame.notna(), None)


def apply_lookups(
    table: RawTable, spec: FileSpec, others: dict[str, RawTable]
) -> tuple[pd.DataFrame, RowErrors]:
    """Add columns taken from sibling files of a folder, and flag keys those files do not hold."""
    frame = table.frame.copy() if spec.lookup else table.frame
    errors = RowErrors(frame.index)
    # a sibling file not delivered with this one (an involvements file sent alone): no row can be
    # placed, so each is quarantined with the reason, as a key the sibling does not hold would be,
    # and the column it would give is there, empty
    absent = [lk for lk in spec.lookup if lk.file.lower() not in others]
    if absent:
        names = " and ".join(lk.file for lk in absent)
        verb = "was" if len(absent) == 1 else "were"
        errors.add(pd.Series(True, index=frame.index), absent[0].key, f"{names} {verb} not delivered with this file")
        for lk in absent:
            if lk.column:
                frame[lk.column.lower()] = None
    for lk in spec.lookup:
        other = others.get(lk.file.lower())
        if other is None:
            continue
        key = lk.key.lower()
        known = other.frame.drop_duplicates(key).set_index(key)
        keys = frame[key].str.strip()
        present = keys.isin(known.index)
        errors.add(~present, lk.key, f"{lk.key} '" + keys.fillna("") + f"' is not in {lk.file}")
        if lk.column:
            frame[lk.column.lower()] = keys.map(known[lk.column.lower()])
    return frame, errors
