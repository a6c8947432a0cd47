"""Statistical disclosure control for published counts: small cells suppressed, and enough others
that no suppressed cell can be worked out again from what is published.

Official statistics do not publish counts of 1 to 4 people or cases (primary suppression): a
count that small can identify someone. Suppressing only those is not enough where a total is
published beside its parts: total minus the published parts gives the missing one back. So a
second cell is suppressed (secondary suppression) wherever that would happen.

A table here is a set of cells and the sums that tie them: ``Relation(total, parts)`` says the
total cell equals the sum of its part cells (one relation per breakdown of a total: sex, age, risk
level...). Relations may share cells (the same total broken down two ways; a part of one that is
the total of another) and may name *hidden* cells that are never published (the complement of a
subset, "DA crimes without a positive outcome"), so that a published subset cannot give away a
small complement either.

The rule kept: no cell that is suppressed (or hidden and 1 to 4) is determined by the published
cells through the relations: not by one relation (total minus siblings), nor by combining several
(linear algebra: the cell's unit vector is not in the row space of the relations restricted to
unpublished cells). Secondary cells are chosen smallest first (the least information lost), parts
before totals, non-zero before zero. Zero is published: it identifies no one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

Key = Hashable


@dataclass(frozen=True)
class Relation:
    """``total`` = sum of ``parts`` (cell keys)."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Suppressed:
    """The outcome: which published cells are withheld, and why."""

    primary: frozenset  # 1 to ``threshold``
    secondary: frozenset  # withheld so that a primary (or another secondary) cannot be recovered

    @property
    def cells(self) -> frozenset:
        return self.primary | self.secondary


def is_small(value: int, threshold: int = 4) -> bool:
    """A count that identifies: 1 to ``threshold`` (zero identifies no one)."""
    return 1 <= value <= threshold


def suppress(values: Mapping[Key, int], relations: Iterable[Relation], hidden: Iterable[Key] = (),
             threshold: int = 4) -> Suppressed:
    """The cells of ``values`` to withhold. ``hidden`` cells are in ``values`` (their true counts,
    for the relations) but never published; those of them that are small are protected too."""
    rels = [r for r in relations if r.parts]
    hidden = frozenset(hidden)
    for r in rels:
        for k in (r.total, *r.parts):
            if k not in values:
                raise KeyError(f"relation names a cell with no value: {k!r}")
    primary = frozenset(k for k, v in values.items() if k not in hidden and is_small(int(v), threshold))
    protect = set(primary) | {k for k in hidden if is_small(int(values[k]), threshold)}
    unknown = set(primary) | set(hidden)
    secondary: set = set()
    while True:
        exposed = _determined(rels, unknown, protect)
        if not exposed:
            break
        cell = exposed[0]
        pick = _secondary_for(cell, rels, unknown, values)
        if pick is None:  # every cell tied to it is withheld, and still it is determined: only a zero
            if values[cell] != 0:  # can be (a homogeneous system), and a zero identifies no one
                raise AssertionError(f"cell {cell!r} cannot be protected")
            protect.discard(cell)
            continue
        unknown.add(pick)
        secondary.add(pick)
        protect.add(pick)
    return Suppressed(primary=primary, secondary=frozenset(secondary))


def _determined(rels: list[Relation], unknown: set, protect: set) -> list:
    """Protected cells the published ones determine (sorted for a deterministic choice)."""
    order = sorted(unknown, key=repr)
    col = {k: i for i, k in enumerate(order)}
    rows = []
    for r in rels:
        row = np.zeros(len(order))
        if r.total in col:
            row[col[r.total]] += 1
        for p in r.parts:
            if p in col:
                row[col[p]] -= 1
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    out = []
    for k in sorted(protect, key=repr):
        unit = np.zeros(len(order))
        unit[col[k]] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:  # in the row space: determined
            out.append(k)
    return out


def _secondary_for(cell: Key, rels: list[Relation], unknown: set, values: Mapping[Key, int]) -> Key | None:
    """A published cell to withhold beside ``cell``: in the relation with fewest withheld cells,
    the smallest non-zero part, else the total, else a zero part."""
    mine = [r for r in rels if cell == r.total or cell in r.parts]
    mine.sort(key=lambda r: sum(k in unknown for k in (r.total, *r.parts)))
    for r in mine:
        parts = sorted((p for p in r.parts if p not in unknown and p != cell), key=lambda p: (values[p], repr(p)))
        nonzero = [p for p in parts if values[p] > 0]
        if nonzero:
            return nonzero[0]
        if r.total not in unknown and r.total != cell:
            return r.total
        if parts:
            return parts[0]
    return None


def recoverable(values: Mapping[Key, int], relations: Iterable[Relation], withheld: Iterable[Key],
                hidden: Iterable[Key] = ()) -> list:
    """Withheld cells one relation gives back: its total and all but one of its cells published.
    (What an outside reader can do with a pencil; :func:`suppress` also guards against combining
    relations.)"""
    unknown = set(withheld) | set(hidden)
    out = []
    for r in relations:
        cells = [r.total, *r.parts]
        missing = [k for k in cells if k in unknown]
        if len(missing) == 1 and missing[0] in set(withheld):
            out.append(missing[0])
    return out
