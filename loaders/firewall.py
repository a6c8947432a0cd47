"""Hold immigration fields apart at load (the immigration firewall, shared/domain.md).

A force's extract may carry immigration status or NRPF columns the extract formats never define
(``Immigration Status``, ``NRPF``, ``visa_status``...). Unknown columns are otherwise kept as
source attributes (``extra``), which linkage, the graph, exports and the API read. A column
:mod:`reference.immigration` names is taken out before that: its values on loaded rows go to the
staged ``held_apart`` table (no module but erasure reads it), a quarantined row's raw text keeps
the column with its value withheld, and one warning per column names the file and the column,
never a value. A mapping that reads such a column into any field is refused
(:func:`check_mapping_columns`), so no target field, key or lookup carries one either.

Parts staged before the firewall (or under another list of its names) are staged again by
:func:`restage`, at the next ingest or resolve: their ``extra`` loses the held columns (their
values move to ``held_apart``), a field their stored mapping read from such a column is emptied the
same way, and their quarantined raw text is withheld as a load now would. Their stored mapping is
still read (:func:`unchecked`), so erasure goes on finding the rows of an erased record.

Held apart rather than dropped: a load loses nothing it was given (an NRPF flag may be needed
one day for a victim's refuge funding, by a deliberate, separately authorised route), and the
values sit in their load's part, so erasing a record (``dots erase``) takes them with the row.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pandas as pd

from reference.immigration import firewall, is_immigration_field
from staging.store import ALL_TABLES, StagingStore

WITHHELD = "(withheld: immigration firewall)"
# mapping keys whose values are not column names: constants, vocabularies, formats and styles
# a part's summary key: the firewall (its list of names) the part was staged under
STAGED_UNDER = "firewall"
_CHECKING: ContextVar[bool] = ContextVar("immigration_firewall_mapping_check", default=True)
NOT_COLUMNS = {"const", "values", "equals", "open_ended", "format", "style", "join", "separator", "optional"}


def held_columns(columns: Iterable[str]) -> list[str]:
    """The columns of a source frame that are immigration fields, in frame order."""
    return [c for c in columns if not c.startswith("__") and is_immigration_field(c)]


def held_apart(frame: pd.DataFrame, columns: list[str], loaded: pd.Series, line: str) -> pd.DataFrame:
    """One row per non-blank value of an immigration column on a loaded row: its line, column
    and value (the ``held_apart`` table; provenance is added with the rest of the load)."""
    parts = []
    for name in columns:
        values = frame.loc[loaded, name]
        kept = values.notna()
        lines = frame.loc[values.index[kept], line].to_numpy()
        parts.append(pd.DataFrame({"source_line": lines, "field": name, "value": values[kept].to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=["source_line", "field", "value"])
    return pd.concat(parts, ignore_index=True).astype({"source_line": "int64"})


def warnings(header: list[str], held: pd.DataFrame) -> pd.DataFrame:
    """One warning per immigration column of the file (line 1, its header), naming the column as
    written and how many values were held apart; never a value."""
    counts = held["field"].value_counts() if not held.empty else pd.Series(dtype=int)
    rows = [
        {
            "source_line": 1,
            "field": name,
            "reason": f"immigration field: {int(counts.get(name.strip().lower(), 0))} value(s) held apart, "
            "never loaded, exported or shown (immigration firewall)",
            "raw": None,
            "record_key": None,
        }
        for name in header
        if is_immigration_field(name)
    ]
    return pd.DataFrame(rows, columns=["source_line", "field", "reason", "raw", "record_key"])


def withheld(quarantine: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """The quarantine with every immigration value in its raw text replaced by a marker. A row read
    with the wrong number of fields cannot say which value is which: in a file that carries an
    immigration column its raw text is withheld whole (the line and reason still say what to fix)."""
    if quarantine.empty or not any(is_immigration_field(h) for h in header):
        return quarantine
    out = quarantine.copy()
    out["raw"] = [_withheld_raw(text) for text in out["raw"]]
    return out


def _withheld_raw(text: Any) -> Any:
    try:
        values = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        values = None
    if isinstance(values, dict):
        return json.dumps(
            {k: (WITHHELD if is_immigration_field(k) and v is not None else v) for k, v in values.items()},
            ensure_ascii=False,
        )
    return json.dumps({"withheld": WITHHELD}) if text is not None else text


def check_mapping_columns(emit: dict[str, list[dict[str, Any]]], lookups: Iterable[Any]) -> None:
    """Refuse (ValueError) a mapping that reads an immigration column into a field, key or lookup:
    such a column is held apart whatever the mapping says. (A required or detection column may be
    one: the extract must carry it, and it is still held apart.)"""
    named = [(f"{table}.{field}", col) for table, specs in emit.items() for spec in specs
             for field, value in spec.items() for col in _columns(value)]
    if not _CHECKING.get():
        return
    named += [(f"lookup {lk.file}", lk.column) for lk in lookups if lk.column]
    for where, col in named:
        if is_immigration_field(col):
            raise ValueError(
                f"{where} reads column '{col}', an immigration field: it is held apart and never "
                "loaded into any field (immigration firewall)"
            )


def _columns(value: Any) -> list[str]:
    """The source columns a field spec names (a column, columns, a template's fields, ...)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [c for v in value for c in _columns(v)]
    if isinstance(value, dict):
        out: list[str] = []
        for key, inner in value.items():
            if key in NOT_COLUMNS:
                continue
            if key == "template" and isinstance(inner, str):
                out += [f for _, f, _, _ in string.Formatter().parse(inner) if f]
            else:
                out += _columns(inner)
        return out
    return []


@contextmanager
def unchecked() -> Iterator[None]:
    """Read a mapping without refusing its immigration columns: one stored in a staged part was
    accepted when the part was loaded (perhaps before the firewall, or under another list), and
    erasure must still read it to find an erased record's rows."""
    token = _CHECKING.set(False)
    try:
        yield
    finally:
        _CHECKING.reset(token)


def fingerprint() -> str:
    """The configured firewall, as a part's summary records it: a part staged under another list
    of names (or before the firewall) is staged again (:func:`restage`)."""
    fw = firewall()
    named = {"fields": sorted(fw.fields), "field_patterns": [p.pattern for p in fw.field_patterns]}
    return hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:16]


def restage(store: StagingStore, spec_of: Callable[[Any], Callable[[str], Any]]) -> int:
    """Stage again every part staged before this firewall (its summary names another, or none): as
    a load would now stage it, the values of immigration columns out of ``extra`` (and out of any
    field its mapping read from one) into ``held_apart``, its quarantined raw text withheld, one
    warning per column. ``spec_of(part)`` gives the mapping spec of each file of a part (read
    :func:`unchecked`). The caller holds the staging lock. How many parts were written again."""
    mark = fingerprint()
    done = 0
    for part in store.parts():
        summary = part.summary
        if summary.get(STAGED_UNDER) == mark:
            continue
        frames = {t: store.read_part(part, t) for t in ALL_TABLES}
        in_extra, carried = _held_of_extra(frames)
        held = in_extra + _held_of_fields(frames, spec_of(part))
        frames["held_apart"] = _held_frame(frames["held_apart"], held, _provenance(frames))
        carried |= {(f, c) for f, _, c, _ in held} | _quarantine_columns(frames["quarantine"])
        files = {f for f, _ in carried}
        q = frames["quarantine"]
        if files and not q.empty:
            q = q.copy()
            q["raw"] = [_withheld_raw(r) if f in files else r for f, r in zip(q["source_file"], q["raw"], strict=True)]
            frames["quarantine"] = q
        frames["warnings"], added = _with_warnings(frames, carried)
        out = json.loads(json.dumps(summary))
        out[STAGED_UNDER] = mark
        counts = frames["held_apart"]["source_file"].value_counts() if not frames["held_apart"].empty else {}
        for f in out.get("files", []):
            f["held_apart"] = int(counts.get(f["path"], 0))
            f["warnings"] = f.get("warnings", 0) + added.get(f["path"], 0)
        store.rewrite_part(part, frames, out)
        done += 1
    return done


Held = tuple[str, int, str, Any]  # source_file, source_line, column, value


def _held_of_extra(frames: dict[str, pd.DataFrame]) -> tuple[list[Held], set[tuple[str, str]]]:
    """The values of immigration columns kept in ``extra`` (each table's rows lose them in place),
    and (file, column) of every such column, blank or not."""
    held: list[Held] = []
    seen: set[tuple[str, str]] = set()
    for name, frame in frames.items():
        if "extra" not in frame.columns or frame.empty:
            continue
        changed = False
        extras = list(frame["extra"])
        for i, (text, source, line) in enumerate(zip(extras, frame["source_file"], frame["source_line"], strict=True)):
            values = json.loads(text) if isinstance(text, str) else None
            if not isinstance(values, dict) or not any(is_immigration_field(k) for k in values):
                continue
            held += [(source, int(line), k, v) for k, v in values.items() if is_immigration_field(k) and v is not None]
            seen |= {(source, k) for k in values if is_immigration_field(k)}
            rest = {k: v for k, v in values.items() if not is_immigration_field(k)}
            extras[i] = json.dumps(rest) if rest else None
            changed = True
        if changed:
            frames[name] = frame.assign(extra=extras)
    return held, seen


def _held_of_fields(frames: dict[str, pd.DataFrame], spec_of: Callable[[str], Any]) -> list[Held]:
    """Values a part's mapping read from an immigration column into a field (a mapping refused
    now): emptied, and held apart under the column's name. A key built from one stays (erasure
    and linkage need it; no shipped or refused-now mapping builds a key from immigration status)."""
    held: list[Held] = []
    for name, frame in frames.items():
        if name not in ("person_records", "events", "involvements", "orders", "custody_records", "notices",
                        "referrals", "workforce") or frame.empty or "source_file" not in frame.columns:
            continue
        for source in frame["source_file"].dropna().unique():
            spec = spec_of(source)
            rows = frame["source_file"] == source
            for one in (spec.emit.get(name, []) if spec is not None else []):
                for target, value in one.items():
                    cols = [c for c in _columns(value) if is_immigration_field(c)]
                    if not cols or target.endswith("_key") or target not in frame.columns:
                        continue
                    hit = rows & frame[target].notna()
                    column = cols[0].strip().lower()
                    held += [(source, int(line), column, _text(v))
                             for line, v in zip(frame.loc[hit, "source_line"], frame.loc[hit, target], strict=True)]
                    frame.loc[hit, target] = None
    return held


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _held_frame(before: pd.DataFrame, held: list[Held], provenance: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The part's ``held_apart`` table with ``held`` added once per (file, line, column), each with
    its row's provenance (extract, profile, load time) from the table it came from."""
    if not held:
        return before
    new = pd.DataFrame(held, columns=["source_file", "source_line", "field", "value"])
    new["value"] = new["value"].map(lambda v: v if isinstance(v, str) else json.dumps(v))
    for col in ("extract_id", "profile", "loaded_at"):
        new[col] = new["source_file"].map(lambda f, col=col: provenance.get(f, {}).get(col))
    out = pd.concat([before, new], ignore_index=True).drop_duplicates(
        ["source_file", "source_line", "field"], keep="first")
    return out.sort_values(["source_file", "source_line"], kind="stable").reset_index(drop=True)


def _quarantine_columns(quarantine: pd.DataFrame) -> set[tuple[str, str]]:
    """(file, column) of every immigration column a quarantined row's raw text names."""
    out = set()
    for source, text in zip(quarantine.get("source_file", []), quarantine.get("raw", []), strict=True):
        try:
            values = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError:
            continue
        if isinstance(values, dict):
            out |= {(source, k) for k in values if is_immigration_field(k)}
    return out


def _with_warnings(frames: dict[str, pd.DataFrame], carried: set[tuple[str, str]]) -> tuple[pd.DataFrame, dict]:
    """The part's warnings with the firewall's one warning per (file, immigration column) a load
    now gives, unless there (a part loaded under an earlier list keeps its own); how many added."""
    w = frames["warnings"]
    have = set(zip(w["source_file"], w["field"], strict=True)) if not w.empty else set()
    held = frames["held_apart"]
    provenance = _provenance(frames)
    rows, added = [], {}
    for source in sorted({f for f, _ in carried}):
        columns = sorted({c for f, c in carried if f == source and (f, c) not in have})
        if not columns or source not in provenance:
            continue
        mine = held[held["source_file"] == source] if not held.empty else held
        new = warnings(columns, mine).assign(**provenance[source], source_file=source)
        rows.append(new)
        added[source] = len(new)
    if not rows:
        return w, added
    out = pd.concat([w, *rows], ignore_index=True)
    return out.sort_values(["source_file", "source_line", "field"], kind="stable").reset_index(drop=True), added


def _provenance(frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
    """Each file's extract id, profile and load time, from any staged row of it."""
    out: dict[str, dict[str, Any]] = {}
    for frame in frames.values():
        if frame.empty or not {"source_file", "extract_id", "profile", "loaded_at"} <= set(frame.columns):
            continue
        firsts = frame[["source_file", "extract_id", "profile", "loaded_at"]].drop_duplicates("source_file")
        for row in firsts.itertuples():
            out.setdefault(row.source_file, {"extract_id": row.extract_id, "profile": row.profile,
                                             "loaded_at": row.loaded_at})
    return out

