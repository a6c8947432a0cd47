"""The ONE place where LadybugDB and Neo4j differ (see shared/notes/ladybug-and-neo4j.md).

Query modules write a single Cypher text that both engines accept and answer alike. They keep
to these rules, and everything that cannot be shared lives here:

| difference | how it is handled |
|---|---|
| date arithmetic (`duration`, `date()`) | window bounds computed in Python (:func:`window_start`), |
| | passed as parameters |
| dates inside written batches | ISO strings wrapped in `date(...)` (an all-null batch cannot bind a DATE) |
| null parameters (Ladybug mistypes them) | sentinels (:data:`ANY`, :data:`EPOCH`), never `$x IS NULL` |
| empty list parameters fail to bind on Ladybug | :func:`nonempty` guards; callers skip the query |
| list comprehensions, `reduce`, map projections, | not used: upserts name each property |
| `SET +=`, `SET n = $m` | |
| variable-length paths (Ladybug walks, Neo4j trails) | not used: networks expand one hop at a time |
| 1-based list indexing, `substring`, `reverse(list)` | not used in query text |
| `sum()` of integers is a Decimal on Ladybug; Neo4j's own temporal types | :func:`native` |
| uniqueness | Ladybug: PRIMARY KEY in table DDL; Neo4j: `CREATE CONSTRAINT ... IF NOT EXISTS` |
| bulk loading | Ladybug: `COPY` from Arrow into empty tables; Neo4j and increments: `UNWIND $rows MERGE` |
| relationship endpoints in writes | two separate `MATCH` clauses, then `MERGE` the link (no comma pattern) |
| reserved words as parameter names (`$on`, `$order` fail on Ladybug) | use `$day`, `$order_ref` |
| `EXISTS { MATCH (x {k: $p}) }` beside another parameter matches nothing on Ladybug 0.22 | |
| | inside subqueries filter with `WHERE x.k = $p`, never an inline map (tested) |
| `UNION ALL` whose branches return one node property under two names: Ladybug 0.22 gives every | |
| | row the first branch's value | two statements (`graph/queries/profile.py`, whole-graph orders) |
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from graph.schema import DATE, INDEXES, NODES, RELS, NodeType, RelType, quoted

ANY = ""  # sentinel for "no filter" on string parameters
EPOCH = dt.date(1900, 1, 1)  # sentinel lower bound for "no window"
FAR_FUTURE = dt.date(9999, 12, 31)  # sentinel upper bound


def window_start(as_of: dt.date, days: int) -> dt.date:
    """The first day of a look-back window of ``days`` ending on ``as_of`` (inclusive)."""
    return as_of - dt.timedelta(days=days)


def nonempty(values: list) -> bool:
    """Whether a list parameter may be sent (Ladybug cannot bind an empty list)."""
    return len(values) > 0


def native(value: Any) -> Any:
    """Python value of a result cell from either engine."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "to_native"):  # neo4j.time.Date / DateTime
        return value.to_native()
    if isinstance(value, list):
        return [native(v) for v in value]
    return value


# -- statement texts shared by both engines ------------------------------------------------------

def _set_clause(var: str, props: dict[str, str]) -> str:
    parts = []
    for name, typ in props.items():
        parts.append(f"{var}.{name} = date(r.{name})" if typ == DATE else f"{var}.{name} = r.{name}")
    parts.append(f"{var}.h = r.h")
    return ", ".join(parts)


def upsert_node(n: NodeType) -> str:
    """Batched MERGE of nodes by key; returns how many rows it wrote (checked by the loader)."""
    return (f"UNWIND $rows AS r MERGE (n:{quoted(n.label)} {{{n.key}: r.{n.key}}}) "
            f"SET {_set_clause('n', n.props)} RETURN count(*) AS written")


def upsert_rel(r: RelType) -> str:
    """Batched MERGE of links by rid, endpoints matched by two separate MATCH clauses."""
    s, d = NODES[r.src], NODES[r.dst]
    return (f"UNWIND $rows AS r MATCH (a:{quoted(s.label)} {{{s.key}: r.src}}) "
            f"MATCH (b:{quoted(d.label)} {{{d.key}: r.dst}}) "
            f"MERGE (a)-[x:{r.type} {{rid: r.rid}}]->(b) SET {_set_clause('x', r.props)} "
            "RETURN count(*) AS written")


def create_nodes(n: NodeType) -> str:
    """Batched CREATE into an empty label (Neo4j's fresh-load path: no MERGE lookup per row; the
    uniqueness constraint still refuses a duplicate key)."""
    return (f"UNWIND $rows AS r CREATE (n:{quoted(n.label)}) SET n.{n.key} = r.{n.key}, "
            f"{_set_clause('n', n.props)} RETURN count(*) AS written")


def create_rels(r: RelType) -> str:
    """Batched CREATE of links of an empty type, endpoints matched by two separate MATCH clauses."""
    s, d = NODES[r.src], NODES[r.dst]
    return (f"UNWIND $rows AS r MATCH (a:{quoted(s.label)} {{{s.key}: r.src}}) "
            f"MATCH (b:{quoted(d.label)} {{{d.key}: r.dst}}) "
            f"CREATE (a)-[x:{r.type}]->(b) SET x.rid = r.rid, {_set_clause('x', r.props)} "
            "RETURN count(*) AS written")


def delete_nodes(n: NodeType) -> str:
    return (f"UNWIND $keys AS k MATCH (n:{quoted(n.label)} {{{n.key}: k}}) DETACH DELETE n "
            "RETURN count(*) AS deleted")


def delete_rels(r: RelType) -> str:
    return (f"UNWIND $keys AS k MATCH (:{quoted(r.src)})-[x:{r.type} {{rid: k}}]->(:{quoted(r.dst)}) "
            "DELETE x RETURN count(*) AS deleted")


def node_state(n: NodeType) -> str:
    return f"MATCH (n:{quoted(n.label)}) RETURN n.{n.key} AS k, n.h AS h"


def rel_state(r: RelType) -> str:
    return f"MATCH (:{quoted(r.src)})-[x:{r.type}]->(:{quoted(r.dst)}) RETURN x.rid AS k, x.h AS h"


def node_count(n: NodeType) -> str:
    return f"MATCH (n:{quoted(n.label)}) RETURN count(n) AS c"


def rel_count(r: RelType) -> str:
    return f"MATCH (:{quoted(r.src)})-[x:{r.type}]->(:{quoted(r.dst)}) RETURN count(x) AS c"


def write_statements() -> dict[str, str]:
    """Every load statement by name (linted against Neo4j's parser in CI)."""
    out: dict[str, str] = {"clear:neo4j": NEO4J_CLEAR}
    for n in NODES.values():
        out[f"upsert_node:{n.label}"] = upsert_node(n)
        out[f"create_nodes:{n.label}"] = create_nodes(n)
        out[f"delete_nodes:{n.label}"] = delete_nodes(n)
        out[f"node_state:{n.label}"] = node_state(n)
        out[f"node_count:{n.label}"] = node_count(n)
    for r in RELS.values():
        out[f"upsert_rel:{r.type}"] = upsert_rel(r)
        out[f"create_rels:{r.type}"] = create_rels(r)
        out[f"delete_rels:{r.type}"] = delete_rels(r)
        out[f"rel_state:{r.type}"] = rel_state(r)
        out[f"rel_count:{r.type}"] = rel_count(r)
    return out


# Emptying the graph (tests' and benchmarks' worlds share Community's one user database): in
# batches of their own transactions, which Neo4j runs only outside an explicit transaction.
NEO4J_CLEAR = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


def ladybug_clear() -> list[str]:
    """Links first, then nodes (Ladybug refuses to delete a node that still has links)."""
    return ([f"MATCH (:{quoted(r.src)})-[x:{r.type}]->(:{quoted(r.dst)}) DELETE x" for r in RELS.values()]
            + [f"MATCH (n:{quoted(n.label)}) DELETE n" for n in NODES.values()])


# -- engine-specific DDL -------------------------------------------------------------------------

def ladybug_ddl() -> list[str]:
    """Node and relationship tables; keys are primary keys (Ladybug has no CREATE CONSTRAINT)."""
    stmts = []
    for n in NODES.values():
        cols = ", ".join([f"{n.key} STRING", *(f"{k} {t}" for k, t in n.props.items()), "h INT64"])
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {quoted(n.label)}({cols}, PRIMARY KEY({n.key}))")
    for r in RELS.values():
        cols = ", ".join(["rid STRING", *(f"{k} {t}" for k, t in r.props.items()), "h INT64"])
        ends = f"FROM {quoted(r.src)} TO {quoted(r.dst)}"
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {r.type}({ends}, {cols})")
    return stmts


def neo4j_ddl() -> list[str]:
    """Uniqueness constraints on node keys and range indexes on link ids, created before loading."""
    stmts = []
    for n in NODES.values():
        stmts.append(f"CREATE CONSTRAINT {n.label.lower()}_{n.key} IF NOT EXISTS "
                     f"FOR (n:{quoted(n.label)}) REQUIRE n.{n.key} IS UNIQUE")
    for r in RELS.values():
        stmts.append(f"CREATE INDEX {r.type.lower()}_rid IF NOT EXISTS FOR ()-[x:{r.type}]-() ON (x.rid)")
    for label, prop in INDEXES:
        stmts.append(f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS "
                     f"FOR (n:{quoted(label)}) ON (n.{prop})")
    return stmts
