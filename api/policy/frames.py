"""Query results (DataFrames) to plain JSON-ready rows, and the force-scoping of list rows."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from api.policy.scope import Scope, held_by


def native(v: Any) -> Any:
    """A JSON-ready Python value (no numpy scalars, NaN/NaT as None, timestamps as dates)."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date() if v == v.normalize() else v.to_pydatetime()
    if isinstance(v, np.ndarray):
        return [native(x) for x in v.tolist()]
    if isinstance(v, list | tuple):
        return [native(x) for x in v]
    if isinstance(v, dt.datetime | dt.date | str | int | float | bool | dict):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    return [{k: native(v) for k, v in r.items()} for r in frame.to_dict("records")]


def split(value: Any) -> list[str]:
    """A ';'-joined cell (or a list) as a list of non-empty strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value if v is not None and str(v)]
    return [s for s in str(value).split(";") if s]


def visible_person(scope: Scope, forces: set[str | None] | None) -> bool:
    """A person is visible when any of their force records is in scope; someone known only to the
    courts is visible to all (see api.policy.scope)."""
    if scope.national:
        return True
    if not forces:
        return False
    force_codes = {f for f in forces if f}
    if not force_codes:
        return True  # court records only
    return bool(force_codes & scope.forces)


def elsewhere(hidden: Iterable[Iterable[str | None]]) -> list[dict[str, Any]]:
    """Counts of hidden rows per holding force: that something exists and who holds it."""
    counts: dict[str, int] = {}
    for forces in hidden:
        for ref in held_by(forces):
            counts[ref["force_code"]] = counts.get(ref["force_code"], 0) + 1
    return [{**ref, "count": counts[ref["force_code"]]} for ref in held_by(counts)]
