"""Suppression of published counts as a property: for any table of counts (a total broken down
several ways, subsets tied to their supersets through hidden complements), no published cell is
1 to 4, and no withheld cell can be worked out from the published ones: not as a total minus its
published siblings, nor by combining the sums (checked here with an independent method: the null
space of the sums over the unpublished cells)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from exports.suppression import Relation, recoverable, suppress


def _determined(values, relations, unknown) -> set:
    """Unknown cells the published ones fix: those on which every solution of the homogeneous
    system over the unknowns is zero (their column of the null-space basis vanishes)."""
    order = sorted(unknown, key=repr)
    if not order:
        return set()
    col = {k: i for i, k in enumerate(order)}
    rows = []
    for r in relations:
        row = np.zeros(len(order))
        if r.total in col:
            row[col[r.total]] += 1
        for p in r.parts:
            if p in col:
                row[col[p]] -= 1
        rows.append(row)
    a = np.array(rows) if rows else np.zeros((1, len(order)))
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]  # rows span the null space
    if null.shape[0] == 0:
        return set(order)
    return {k for k in order if np.allclose(null[:, col[k]], 0, atol=1e-9)}


@st.composite
def tables(draw):
    """A total with one to three breakdowns (each a partition of the same people), and optionally a
    subset of it broken down the same way, tied by hidden complement cells."""
    n_dims = draw(st.integers(1, 3))
    sizes = [draw(st.integers(2, 6)) for _ in range(n_dims)]
    small = st.integers(0, 12) | st.integers(0, 4)  # plenty of small cells
    people = draw(st.integers(0, 60))
    labels = [draw(st.lists(st.integers(0, s - 1), min_size=people, max_size=people)) for s in sizes]
    subset = draw(st.lists(st.booleans(), min_size=people, max_size=people))
    weights = draw(st.lists(small, min_size=people, max_size=people))  # not every person weighs the same
    values, relations, hidden = {}, [], set()
    for name, member in (("all", lambda i: True), ("sub", lambda i: subset[i])):
        total = (name, "total")
        values[total] = sum(weights[i] for i in range(people) if member(i))
        for d, size in enumerate(sizes):
            parts = []
            for c in range(size):
                key = (name, f"d{d}={c}")
                values[key] = sum(weights[i] for i in range(people) if member(i) and labels[d][i] == c)
                parts.append(key)
            relations.append(Relation(total, tuple(parts)))
    for key in [k for k in values if k[0] == "all"]:
        rest = ("rest", key[1])
        values[rest] = values[key] - values[("sub", key[1])]
        hidden.add(rest)
        relations.append(Relation(key, (("sub", key[1]), rest)))
    return values, relations, hidden


@given(tables())
def test_no_small_count_is_published_and_none_withheld_can_be_worked_out(table) -> None:
    values, relations, hidden = table
    out = suppress(values, relations, hidden)
    published = {k: v for k, v in values.items() if k not in out.cells and k not in hidden}
    assert not [k for k, v in published.items() if 1 <= v <= 4]
    assert out.primary == {k for k, v in values.items() if 1 <= v <= 4 and k not in hidden}
    assert recoverable(values, relations, out.cells, hidden) == []
    fixed = _determined(values, relations, set(out.cells) | hidden)
    protected = set(out.cells) | {k for k in hidden if 1 <= values[k] <= 4}
    assert not [k for k in fixed & protected if values[k] != 0], fixed & protected


@given(tables())
def test_primary_suppression_alone_would_give_cells_back(table) -> None:
    """The checks above can fail: withholding only the small cells leaves some recoverable, in
    the tables where a small cell stands alone in a breakdown of a published total."""
    values, relations, hidden = table
    primary = {k for k, v in values.items() if 1 <= v <= 4 and k not in hidden}
    alone = [r for r in relations if r.total not in primary
             and sum(p in primary or p in hidden for p in r.parts) == 1
             and any(p in primary for p in r.parts)]
    if alone:
        assert recoverable(values, relations, primary, hidden)


def test_a_breakdown_with_one_small_cell_loses_the_next_smallest() -> None:
    values = {"t": 30, "a": 3, "b": 7, "c": 20}
    out = suppress(values, [Relation("t", ("a", "b", "c"))])
    assert out.primary == {"a"} and out.secondary == {"b"}


def test_combining_two_breakdowns_cannot_give_a_cell_back() -> None:
    """A total broken down two ways and a part with a single sub-part: every withheld cell stays
    undetermined by the published ones, whichever sums are combined."""
    values = {"t": 20, "s1": 2, "s2": 18, "a1": 2, "a2": 18, "sub": 2}
    rels = [Relation("t", ("s1", "s2")), Relation("t", ("a1", "a2")), Relation("s1", ("sub",))]
    out = suppress(values, rels)
    assert {"s1", "a1", "sub"} <= out.cells
    assert not _determined(values, rels, set(out.cells)) & out.cells


def test_zero_is_published() -> None:
    out = suppress({"t": 10, "a": 0, "b": 10}, [Relation("t", ("a", "b"))])
    assert out.cells == frozenset()
