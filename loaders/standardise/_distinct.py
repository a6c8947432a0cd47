"""Do per-value work once per distinct value, then broadcast back to every row.

Extract columns repeat values heavily (a force name, a date, a postcode, an offence code), so
running Python or library calls on the distinct values and taking the result back by integer
codes keeps a million-row column to seconds. Blank and null values never reach the worker: they
get the caller's fill values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd


def distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes into the distinct trimmed strings of ``s``; code -1 means null or blank.

    The returned strings hold no blanks and have a RangeIndex, so a worker can return a frame
    aligned to them.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    if len(text):
        text = text.astype(str).str.strip()
    blank = (text == "").to_numpy(dtype=bool)
    keep = np.flatnonzero(~blank)
    # renumber so codes index the non-blank strings only; blanks and nulls become -1
    remap = np.full(len(text) + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    codes = remap[np.where(codes < 0, len(text), codes)]
    return codes, text.iloc[keep].reset_index(drop=True)


def broadcast(
    per_value: pd.DataFrame, codes: np.ndarray, index: pd.Index, fill: Mapping[str, Any]
) -> pd.DataFrame:
    """Expand a frame computed per distinct value to one row per original row.

    ``fill`` names the output columns, in order, and the value each takes on null or blank rows
    (None, NaT, False...). Object columns carry None, never NaN, for missing values.
    """
    n = len(per_value)
    rows = np.where(codes < 0, n, codes)  # row n of each column is the blank row
    out = {}
    for col, value in fill.items():
        column = per_value[col].reset_index(drop=True).reindex(np.arange(n + 1))
        if column.dtype == object:
            column = column.where(column.notna(), None)
        if value is not None:
            column.iloc[n] = value
        out[col] = column.to_numpy()[rows] if column.dtype == object else column.array.take(rows)
    return pd.DataFrame(out, index=index)


def map_distinct(
    s: pd.Series, worker: Callable[[pd.Series], pd.DataFrame], fill: Mapping[str, Any]
) -> pd.DataFrame:
    """Run ``worker`` on the distinct non-blank trimmed strings of ``s`` and align to ``s``."""
    codes, text = distinct(s)
    per_value = worker(text) if len(text) else pd.DataFrame({c: pd.Series([], dtype=object) for c in fill})
    return broadcast(per_value, codes, s.index, fill)


def map_distinct_series(
    s: pd.Series, worker: Callable[[pd.Series], pd.Series], name: str | None = None
) -> pd.Series:
    """Series form of :func:`map_distinct`: null and blank rows give None."""
    out = map_distinct(s, lambda t: pd.DataFrame({"v": worker(t)}), {"v": None})["v"]
    return out.rename(name if name is not None else s.name)
