"""Offence gravity (crime harm, in days) keyed by offence group, with optional Home Office code rows.

The standardiser's table (``loaders.standardise.offences.load_harm_table``) is used when it
exists; otherwise the indicative Cambridge Crime Harm Index subgroup medians from domain.md,
shipped as ``graph/data/harm_default.csv``. A user's own CSV (columns ``offence_group`` and/or
``ho_code``, and ``days``) replaces either, so gravity stays configuration, not code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DEFAULT_PATH = Path(__file__).parent / "data" / "harm_default.csv"


def load_harm_table(path: Path | str | None = None) -> pd.DataFrame:
    """Harm table with columns ``key_type`` (ho_code / offence_group), ``key`` and ``days``."""
    if path is not None:
        frame = pd.read_csv(path, dtype=str)
    else:
        frame = _standardiser_table()
        if frame is None:
            frame = pd.read_csv(DEFAULT_PATH, dtype=str)
    return _normalise(frame)


def _standardiser_table() -> pd.DataFrame | None:
    try:
        from loaders.standardise.offences import load_harm_table as loader_table  # type: ignore
    except ImportError:
        path = Path(__file__).parents[1] / "loaders" / "standardise" / "data" / "harm.csv"
        return pd.read_csv(path, dtype=str) if path.exists() else None
    table = loader_table()
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame(
        [{"offence_group": k, "days": v} for k, v in dict(table).items()])


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    days_col = next((c for c in ("days", "harm_days", "harm", "gravity") if c in frame.columns), None)
    if days_col is None:
        raise ValueError("harm table needs a 'days' column")
    parts = []
    for key_type in ("ho_code", "offence_group"):
        if key_type in frame.columns:
            part = frame[[key_type, days_col]].dropna(subset=[key_type])
            parts.append(pd.DataFrame({"key_type": key_type, "key": part[key_type].astype(str).str.strip(),
                                       "days": pd.to_numeric(part[days_col], errors="coerce").fillna(0.0)}))
    if not parts:
        raise ValueError("harm table needs an 'offence_group' or 'ho_code' column")
    return pd.concat(parts, ignore_index=True).drop_duplicates(["key_type", "key"], keep="last")


def gravity(ho_code: pd.Series, offence_group: pd.Series, table: pd.DataFrame) -> pd.Series:
    """Harm days per event: the Home Office code's row if the table has one, else the group's, else 0."""
    by_code = table[table.key_type == "ho_code"].set_index("key")["days"]
    by_group = table[table.key_type == "offence_group"].set_index("key")["days"]
    out = ho_code.map(by_code)
    out = out.fillna(offence_group.map(by_group))
    return out.fillna(0.0).astype(float)
