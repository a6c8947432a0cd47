"""Hold immigration fields apart at load (the immigration firewall, shared/domain.md).

A force's extract may carry immigration status or NRPF columns the extract formats never define
(``Immigration Status``, ``NRPF``, ``visa_status``...). Unknown columns are otherwise kept as
source attributes (``extra``), which linkage, the graph, exports and the API read. A column
:mod:`reference.immigration` names is taken out before that: its values on loaded rows go to the
staged ``held_apart`` table (no module but erasure reads it), a quarantined row's raw text keeps
the column with its value withheld, and one warning per column names the file and the column,
never a value. A mapping that reads such a column into any field is refused
(:func:`check_mapping_columns`), so no target field, key or lookup carries one either.

Held apart rather than dropped: a load loses nothing it was given (an NRPF flag may be needed
one day for a victim's refuge funding, by a deliberate, separately authorised route), and the
values sit in their load's part, so erasing a record (``dots erase``) takes them with the row.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable
from typing import Any

import pandas as pd

from reference.immigration import is_immigration_field

WITHHELD = "(withheld: immigration firewall)"
# mapping keys whose values are not column names: constants, vocabularies, formats and styles
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
