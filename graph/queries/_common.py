"""Shared pieces of the query modules: the Cypher registry, relationship kinds, force codes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from graph.backend import GraphBackend
from reference.forces import force_key, lookup_force

REGISTRY: dict[str, str] = {}
KINDS = {"intimate": ["intimate"], "family": ["family"], "any": ["intimate", "family"]}


def cypher(name: str, text: str) -> str:
    """Register a query text under a name (every registered text is linted against Neo4j's parser)."""
    if name in REGISTRY and REGISTRY[name] != text:
        raise ValueError(f"two Cypher texts named {name}")
    REGISTRY[name] = text
    return text


def kinds(relationships: str | list[str]) -> tuple[list[str], bool]:
    """Relationship kinds to count, and whether any DA-flagged event counts whatever it names.

    ``intimate`` / ``family`` count victims who named that relationship to the suspect; ``any``
    counts both and also victims of events the force marked as domestic abuse."""
    if isinstance(relationships, str):
        if relationships not in KINDS:
            raise ValueError(f"relationships must be one of {sorted(KINDS)}")
        return KINDS[relationships], relationships == "any"
    return list(relationships), False


def as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return pd.Timestamp(value).date()


Q_FORCES = cypher("forces", "MATCH (f:Force) RETURN f.force_code AS code, f.name AS name")


def resolve_force(g: GraphBackend, force: str | None) -> str | None:
    """The code of a force the graph holds, from its code or any spelling of its name: the reference
    alias table (:mod:`reference.forces`) first, then the names the graph itself was given."""
    if force is None or force == "":
        return None
    held = {f["code"]: f["name"] or "" for f in g.run(Q_FORCES, {})}
    found = lookup_force(force)
    if found is not None and found.code in held:
        return found.code
    want = force_key(force)
    for code, name in held.items():
        if code.upper() == force.strip().upper() or (want and force_key(name) == want):
            return code
    raise ValueError(f"unknown force: {force}")


def group_join(frame: pd.DataFrame, keys: str | list[str], col: str) -> pd.Series:
    """Per group: the distinct non-null values of ``col``, sorted and ';'-joined (vectorised:
    pandas' per-group Python fallback is seconds slower on national lists)."""
    keys = [keys] if isinstance(keys, str) else keys
    part = frame[[*keys, col]].dropna().drop_duplicates().sort_values([*keys, col])
    if part.empty:
        return pd.Series(dtype=object)
    gid = part.groupby(keys, sort=False).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]])
    values = part[col].astype(str).to_numpy()
    joined_values = [";".join(chunk) for chunk in np.split(values, starts[1:])]
    first = part.iloc[starts]
    index = pd.MultiIndex.from_frame(first[keys]) if len(keys) > 1 else pd.Index(first[keys[0]])
    return pd.Series(joined_values, index=index, dtype=object)


def joined(values: object) -> str:
    """A list as one sorted ';'-separated cell (CSV-friendly)."""
    if values is None:
        return ""
    return ";".join(sorted({str(v) for v in values if v is not None}))
