"""The graph's load stamp: how a reader in any process knows the graph changed since it last read it.

A server caches what it read of the graph (the leak guard's victims and confidential addresses).
Its own loads tell it when to forget, but a load in another process (``dots graph load`` into a
shared Neo4j) does not. So every load writes a stamp into the graph itself: as it starts
(``loading``: the graph is between states, nothing read now may be kept) and once its counts are
verified (a new stamp). A reader compares one key look-up with the stamp its cache was read under.
A load that dies part-way leaves ``loading`` set, so nothing is cached until a load completes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from graph import dialect

KEY = "graph"


@dataclass(frozen=True)
class Stamp:
    """The graph's last load: ``stamp`` ("" for a graph no stamping load has written) and whether
    a load is running (or died part-way)."""

    stamp: str
    loading: bool

    @property
    def settled(self) -> str | None:
        """The stamp to key a cache by, or None while a load runs (then nothing may be kept)."""
        return None if self.loading else self.stamp


def read_stamp(g: Any) -> Stamp:
    """The graph's stamp: one primary-key look-up (well under a millisecond embedded)."""
    rows = g.run(dialect.STAMP_READ, {"key": KEY})
    if not rows:
        return Stamp("", False)
    return Stamp(str(rows[0].get("stamp") or ""), bool(rows[0].get("loading")))


def write_stamp(g: Any, loading: bool) -> str:
    """Record that a load starts (``loading``) or has finished, under a new stamp; return it."""
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}-{uuid.uuid4().hex[:12]}"
    params = {"key": KEY, "stamp": stamp, "loading": loading, "at": dt.datetime.now(dt.UTC).isoformat()}
    g.run(dialect.STAMP_WRITE, params)
    return stamp
