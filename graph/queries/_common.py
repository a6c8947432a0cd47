"""Shared pieces of the query modules: the Cypher registry, relationship kinds, force names."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from graph.backend import GraphBackend

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
    """The force code for a code or a name as written (case and '&'/'and' insensitive)."""
    if force is None or force == "":
        return None
    forces = g.run(Q_FORCES, {})
    want = _fold(force)
    for f in forces:
        if _fold(f["code"]) == want or _fold(f["name"] or "") == want:
            return f["code"]
    try:  # the standardiser's alias table knows spellings the graph has not seen
        from loaders.standardise.forces import lookup_force  # type: ignore

        found = lookup_force(force)
        if found is not None and any(f["code"] == found.code for f in forces):
            return found.code
    except ImportError:
        pass
    raise ValueError(f"unknown force: {force}")


def _fold(text: str) -> str:
    t = text.lower().replace("&", " and ")
    for word in (" police", " constabulary", "police "):
        t = t.replace(word, " ")
    return "".join(ch for ch in t if ch.isalnum())


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
