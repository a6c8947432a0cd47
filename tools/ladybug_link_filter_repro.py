"""Standalone reproduction: LadybugDB 0.22 answers a filter on a link's property beside a filter on
a node's property, in one query part with a further pattern, with wrong rows.

    python tools/ladybug_link_filter_repro.py [--people 7000] [--events 8800] [--seed 3]

Builds a small graph in a temporary directory with nothing but ``ladybug``, ``numpy`` and
``pyarrow`` (people with 1-3 records; events with 1-3 people "other" in them, 83% of those links
marked ``Child``), then asks for every child link with its record, four ways, and compares each
answer with the links the script wrote (a Python recount). Every event is dated before the date
asked, so the node's filter removes nothing and every way must answer the same rows.

On 0.22.0 the first shape (both filters in one ``WHERE``, the one graph/dialect.py forbids) loses
~4% of the child links and returns about as many links that are not ``Child`` at all; the other
shapes are exact. The product keeps link filters in a ``WITH ... WHERE`` of their own
(``graph.dialect.mixed_filters``); tests/test_graph_dialect.py runs this to see the difference
still holds (a Ladybug release that fixes it makes that test fail, and the rule can go).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

BASE = dt.date(2015, 1, 1)
AS_OF = BASE + dt.timedelta(days=3650)
_LINKS = "MATCH (p:Person)-[x:OTHER_IN]->(e:Event) "
_RECORD = "MATCH (p)-[:HAS_RECORD]->(r:Rec) "
_ROWS = "RETURN e.eid AS eid, x.rk AS rk"

# name -> query text; each asks for every Child link (event, the record the link names)
SHAPES = {
    "link and node filter in one WHERE": (
        _LINKS + "WHERE lower(x.raw) = $child AND e.day <= $as_of " + _RECORD + "WHERE r.rk = x.rk " + _ROWS),
    "link filter alone": _LINKS + "WHERE lower(x.raw) = $child " + _RECORD + "WHERE r.rk = x.rk " + _ROWS,
    "node filter, then the link's after WITH": (
        _LINKS + "WHERE e.day <= $as_of WITH p, x, e WHERE lower(x.raw) = $child "
        + _RECORD + "WITH e, x, r WHERE r.rk = x.rk " + _ROWS),
    "both filters after WITH": (
        _LINKS + "WITH p, x, e WHERE lower(x.raw) = $child AND e.day <= $as_of "
        + _RECORD + "WITH e, x, r WHERE r.rk = x.rk " + _ROWS),
}


def build(conn: object, people: int, events: int, seed: int) -> set[tuple[str, str]]:
    """Write the graph through ``conn`` (an empty database's connection, COPY from Arrow as the
    product loads); returns the (event, record) pairs of every Child link."""
    rng = np.random.default_rng(seed)
    owner = np.repeat(np.arange(people), rng.integers(1, 4, people))  # each record's person
    recs = [f"r{i}" for i in range(len(owner))]
    per_event = rng.choice([1, 2, 3], events, p=[0.75, 0.2, 0.05])
    ev = np.repeat(np.arange(events), per_event)
    rec = rng.integers(0, len(recs), len(ev))  # the record each link names (its person's)
    raw = rng.choice(np.array(["Child", None], dtype=object), len(ev), p=[0.83, 0.17])
    days = rng.integers(0, 3650, events)
    tables = {
        "Person": pa.table({"pid": [f"p{i}" for i in range(people)]}),
        "Rec": pa.table({"rk": recs}),
        "Event": pa.table({"eid": [f"e{i}" for i in range(events)],
                           "day": pa.array([BASE + dt.timedelta(days=int(d)) for d in days], pa.date32())}),
        "HAS_RECORD": pa.table({"from": [f"p{o}" for o in owner], "to": recs}),
        "OTHER_IN": pa.table({"from": [f"p{owner[i]}" for i in rec], "to": [f"e{e}" for e in ev],
                              "rk": [recs[i] for i in rec], "raw": list(raw)}),
    }
    for ddl in ("CREATE NODE TABLE Person(pid STRING, PRIMARY KEY(pid))",
                "CREATE NODE TABLE Rec(rk STRING, PRIMARY KEY(rk))",
                "CREATE NODE TABLE Event(eid STRING, day DATE, PRIMARY KEY(eid))",
                "CREATE REL TABLE HAS_RECORD(FROM Person TO Rec)",
                "CREATE REL TABLE OTHER_IN(FROM Person TO Event, rk STRING, raw STRING)"):
        conn.execute(ddl)
    for name, table in tables.items():
        copy_source = table  # noqa: F841 - scanned by name by Ladybug's replacement scan
        conn.execute(f"COPY {name} FROM copy_source")
    return {(f"e{e}", recs[i]) for e, i, r in zip(ev, rec, raw, strict=True) if r == "Child"}


def answers(conn: object, truth: set[tuple[str, str]]) -> dict[str, tuple[int, int, int]]:
    """Per shape: (rows returned, Child links missing, rows that are no Child link)."""
    out = {}
    for name, text in SHAPES.items():
        params = {k: v for k, v in {"child": "child", "as_of": AS_OF}.items() if f"${k}" in text}
        result = conn.execute(text, params)
        rows = []
        while result.has_next():
            rows.append(tuple(result.get_next()))
        got = set(rows)
        out[name] = (len(rows), len(truth - got), len(got - truth))
    return out


def reproduce(people: int = 7000, events: int = 8800, seed: int = 3) -> dict[str, tuple[int, int, int]]:
    """Build the graph in a temporary directory and answer every shape."""
    import ladybug

    with tempfile.TemporaryDirectory() as tmp:
        db = ladybug.Database(str(Path(tmp) / "repro.lbdb"))
        conn = ladybug.Connection(db)
        try:
            truth = build(conn, people, events, seed)
            return answers(conn, truth)
        finally:
            conn.close()
            db.close()


def main() -> None:
    import ladybug

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=7000)
    ap.add_argument("--events", type=int, default=8800)
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    print(f"ladybug {ladybug.__version__}: {a.people} people, {a.events} events, seed {a.seed}")
    for name, (n, missing, wrong) in reproduce(a.people, a.events, a.seed).items():
        print(f"{name:42s} {n:6d} rows, {missing:4d} Child links missing, {wrong:4d} rows not a Child link")


if __name__ == "__main__":
    main()
