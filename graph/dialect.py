"""The ONE place where LadybugDB and Neo4j differ (see shared/notes/ladybug-and-neo4j.md).

Query modules write a single Cypher text that both engines accept and answer alike. They keep
to these rules, and everything that cannot be shared lives here. Where an engine answers the same
text differently, the difference is recorded as data in :data:`DIFFERENCES` (a probe, each
engine's answer, the rule that keeps the product clear of it); ``tests/test_graph_dialect.py``
runs every probe on both engines, so a new engine version that changes an answer fails there.

| difference | how it is handled |
|---|---|
| variable-length paths: Ladybug walks (a link reused, the start node matched), Neo4j trails | |
| | not used: networks expand one hop at a time (probe `var_length_path`) |
| one pattern using a link twice: Ladybug allows it, Neo4j's relationship uniqueness does not | |
| | never relied on: `WHERE v1 <> v2` (probes `link_reused`, `co_victims`) |
| `x IN [.., null]` is false on Ladybug, null on Neo4j | lists the loader writes hold no nulls |
| 1-based list index and slice, `substring`, `reverse(list)` (a string on Ladybug) | not used in query text |
| null parameters (Ladybug mistypes them) | sentinels (:data:`ANY`, :data:`EPOCH`), never `$x IS NULL` |
| empty list-of-maps parameters fail to bind on Ladybug | :func:`nonempty` guards; callers skip the query |
| `ORDER BY` an alias that shadows a node variable fails on Ladybug | aliases never reuse a variable's name |
| date arithmetic (`duration`, `date()`), list comprehensions, `reduce`, map projections, | |
| | `SET +=`, `SET n = $m`, `round(x)`, `'a' + 1`: errors on Ladybug | not used: bounds computed in Python, |
| | upserts name each property |
| dates inside written batches | ISO strings wrapped in `date(...)` (an all-null batch cannot bind a DATE) |
| `sum()` of integers is a Decimal on Ladybug; Neo4j's own temporal types | :func:`native` |
| reserved words as parameter names (`$on`, `$order` fail on Ladybug) | use `$day`, `$order_ref` |
| `EXISTS { MATCH (x {k: $p}) }` beside another parameter matches nothing on Ladybug 0.22 | |
| | inside subqueries filter with `WHERE x.k = $p`, never an inline map (probe `exists_inline_map`) |
| `UNION ALL` whose branches return one node property under two names: Ladybug 0.22 gives every | |
| | row the first branch's value | two statements (`graph/queries/profile.py`, whole-graph orders) |
| a filter on a link's property and one on a node's property in one query part (a `MATCH`'s | |
| | `WHERE`s up to the next `WITH`), e.g. `lower(x.p) = $a AND e.q <= $b` with a further pattern: | |
| | Ladybug 0.22 filters the link on stale positions after the node's filter, so rows that match | |
| | are lost and rows that do not are returned (tools/ladybug_link_filter_repro.py: ~4% each way; | |
| | children at incidents lost 14 of 1,023 on a 20,000-person world) | the two kinds in different |
| | parts: one kind in the `MATCH`'s `WHERE`, the other (and any predicate naming both, such as a |
| | join on a link's property) in a `WITH ... WHERE`; a node looked up by its key is no filter; |
| | :func:`mixed_filters` finds a text that breaks the rule (tested on every query) |
| a property added to the schema | Ladybug: `ALTER TABLE ... ADD IF NOT EXISTS` on every schema check; |
| | Neo4j: nothing (a property exists once written) |
| uniqueness | Ladybug: PRIMARY KEY in table DDL; Neo4j: `CREATE CONSTRAINT ... IF NOT EXISTS` |
| concurrent writers | Ladybug: one writer (the backend's lock; a second process is refused); Neo4j: |
| | concurrent transactions, MERGE kept unique by the key constraints' locks (tested) |
| transaction size | Neo4j holds a transaction's changes in memory (`db.memory.transaction.max`): writes go |
| | in batches of :data:`graph.backend.BATCH` rows, each its own transaction (tested) |
| bulk loading | Ladybug: `COPY` from Arrow into empty tables; Neo4j: `CREATE` batches into empty |
| | labels; increments on both: `UNWIND $rows MERGE` |
| relationship endpoints in writes | two separate `MATCH` clauses, then `MERGE` the link (no comma pattern) |
| emptying the graph | Neo4j: `CALL {} IN TRANSACTIONS` (outside an explicit transaction); Ladybug: per table |
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graph.schema import DATE, INDEXES, NODES, RELS, STAMP, NodeType, RelType, quoted

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


# -- link and node filters kept apart -------------------------------------------------------------

_CLAUSE = re.compile(r"\b(OPTIONAL MATCH|MATCH|WHERE|WITH|RETURN|UNWIND|MERGE|CREATE|SET|DELETE|ORDER BY|UNION|CALL)\b")
_REL_VAR = re.compile(r"\[\s*(\w+)\s*[:\]{]")
_NODE_VAR = re.compile(r"\(\s*(\w+)\s*[:){]")
_PROPERTY = re.compile(r"(?<![$\w.])(\w+)\.\w+")
_INLINE_REL = re.compile(r"\[\s*\w*\s*(?::\s*[\w|`]+)?\s*\{")
_INLINE_NODE = re.compile(r"\(\s*\w*\s*(?::\s*`?(\w+)`?)?\s*\{\s*(\w+)\s*:")


def _clauses(text: str) -> list[tuple[str, str]]:
    """(keyword, body) of each top-level clause; subquery bodies (``EXISTS { ... }``) stay inside
    the clause that holds them."""
    depth, cuts, skip = 0, [], 0
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if i >= skip and depth == 0 and (m := _CLAUSE.match(text, i)) and (i == 0 or not text[i - 1].isalnum()):
            cuts.append((i, m.group(1)))
            skip = m.end()
    ends = [c[0] for c in cuts[1:]] + [len(text)]
    return [(kw, text[start + len(kw):end]) for (start, kw), end in zip(cuts, ends, strict=True)]


def mixed_filters(text: str) -> list[str]:
    """The query parts of ``text`` whose ``MATCH`` filters name both a link's property and a node's
    property (a ``WHERE`` after a ``MATCH``, or a property map in a ``MATCH`` pattern other than a
    node's key, which is looked up, not filtered): the shape Ladybug 0.22 answers wrongly (see the
    table above). A ``WITH ... WHERE`` starts a part of its own, so one kind of filter goes there.
    Returns each offending part's text (empty: the rule holds)."""
    rels = set(_REL_VAR.findall(text))
    nodes = set(_NODE_VAR.findall(text)) - rels
    parts: list[list[tuple[str, str]]] = [[]]
    for kw, body in _clauses(text):
        if kw in ("WITH", "RETURN", "UNION", "UNWIND"):
            parts.append([])
        parts[-1].append((kw, body))
    bad = []
    for part in parts:
        on_link = on_node = False
        after_match = False
        for kw, body in part:
            if kw in ("MATCH", "OPTIONAL MATCH"):
                after_match = True
                on_link |= bool(_INLINE_REL.search(body))
                # a node found by its key (the anchor a query starts from) is a lookup, not a filter
                on_node |= any(label not in NODES or NODES[label].key != key
                               for label, key in _INLINE_NODE.findall(body))
            elif kw == "WHERE" and after_match:
                named = set(_PROPERTY.findall(body))
                on_link |= bool(named & rels)
                on_node |= bool(named & nodes)
            elif kw != "WHERE":
                after_match = False
        if on_link and on_node:
            bad.append(" ".join(kw + body for kw, body in part).strip())
    return bad


# -- differences, as data ---------------------------------------------------------------------------

ERROR = "error"  # an engine refuses the text


@dataclass(frozen=True)
class Difference:
    """One text both engines accept or refuse differently: the probe (run on :data:`PROBE_GRAPH`,
    answering a column ``x``), each engine's answer as the list of ``x`` values (or :data:`ERROR`),
    and how the project's queries keep clear of it."""

    name: str
    probe: str
    ladybug: Any
    neo4j: Any
    rule: str
    params: dict[str, Any] = field(default_factory=dict)


# Persons a and b, a RELATED_TO b; event e with a as suspect and b as victim.
PROBE_GRAPH = [
    "CREATE (:Person {person_id: 'a'}), (:Person {person_id: 'b'}), (:Event {event_id: 'e'})",
    "MATCH (a:Person {person_id: 'a'}) MATCH (b:Person {person_id: 'b'}) CREATE (a)-[:RELATED_TO {rid: 'r'}]->(b)",
    "MATCH (a:Person {person_id: 'a'}) MATCH (e:Event {event_id: 'e'}) CREATE (a)-[:SUSPECT_IN {rid: 's'}]->(e)",
    "MATCH (b:Person {person_id: 'b'}) MATCH (e:Event {event_id: 'e'}) CREATE (b)-[:VICTIM_IN {rid: 'v'}]->(e)",
]

DIFFERENCES = [
    Difference("var_length_path",
               "MATCH (p:Person {person_id: $p})-[:RELATED_TO*1..3]-(q:Person) RETURN q.person_id AS x ORDER BY x",
               ["a", "b", "b"], ["b"], "networks expand one hop at a time in Python", {"p": "a"}),
    Difference("link_reused",
               "MATCH (p:Person {person_id: $p})-[:RELATED_TO]-(:Person)-[:RELATED_TO]-(q:Person) "
               "RETURN q.person_id AS x", ["a"], [], "a pattern never relies on link uniqueness", {"p": "a"}),
    Difference("co_victims",
               "MATCH (:Person)-[:SUSPECT_IN]->(e:Event)<-[:VICTIM_IN]-(v1:Person), (e)<-[:VICTIM_IN]-(v2:Person) "
               "RETURN v2.person_id AS x", ["b"], [], "`WHERE v1 <> v2` wherever two victims are paired"),
    Difference("null_in_list", "RETURN 2 IN [1, null] AS x", [False], [None],
               "lists written by the loader hold no nulls"),
    Difference("list_index", "RETURN [10, 20, 30][1] AS x", [10], [20], "no list indexing in query text"),
    Difference("list_slice", "RETURN [10, 20, 30][1..2] AS x", [[10, 20]], [[20]], "no list slicing in query text"),
    Difference("substring", "RETURN substring('hello', 1, 3) AS x", ["hel"], ["ell"], "no substring in query text"),
    Difference("reverse_list", "RETURN reverse([1, 2]) AS x", ["]2,1["], [[2, 1]], "no reverse in query text"),
    Difference("null_parameter", "MATCH (p:Person) WHERE $v IS NULL OR p.person_id = $v RETURN count(p) AS x",
               ERROR, [2], "sentinels (ANY, EPOCH), never a null parameter", {"v": None}),
    Difference("empty_list_of_maps", "UNWIND $rows AS r RETURN r.k AS x", ERROR, [],
               "nonempty() before sending a list of rows", {"rows": []}),
    Difference("order_by_shadowing_alias", "MATCH (x:Person) RETURN x.person_id AS x ORDER BY x", ERROR, ["a", "b"],
               "an alias never reuses a variable's name"),
    Difference("exists_inline_map",
               "MATCH (p:Person) WHERE p.person_id <> $z AND EXISTS { MATCH (p)-[:RELATED_TO]->(:Person "
               "{person_id: $q}) } RETURN p.person_id AS x", [], ["a"],
               "subqueries filter with WHERE x.k = $p, never an inline map", {"z": "z", "q": "b"}),
    Difference("reserved_parameter", "RETURN $order AS x", ERROR, [1], "no $on / $order parameters", {"order": 1}),
    Difference("list_comprehension", "RETURN [n IN [1, 2] | n * 2] AS x", ERROR, [[2, 4]],
               "no list comprehensions"),
    Difference("date_without_argument", "RETURN date() IS NULL AS x", ERROR, [False],
               "dates and windows computed in Python and passed as parameters"),
    Difference("round_one_argument", "RETURN round(2.5) AS x", ERROR, [3.0], "rounding in Python"),
    Difference("string_plus_number", "RETURN 'a' + 1 AS x", ERROR, ["a1"], "no mixed-type +"),
]


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
    out: dict[str, str] = {"clear:neo4j": NEO4J_CLEAR, "stamp:write": STAMP_WRITE, "stamp:read": STAMP_READ}
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


# The load stamp (graph/stamp.py): one node, written as a load starts and ends, read by key.
STAMP_WRITE = (f"MERGE (s:{quoted(STAMP.label)} {{{STAMP.key}: $key}}) "
               "SET s.stamp = $stamp, s.loading = $loading, s.at = $at RETURN s.stamp AS stamp")
STAMP_READ = f"MATCH (s:{quoted(STAMP.label)} {{{STAMP.key}: $key}}) RETURN s.stamp AS stamp, s.loading AS loading"


# Emptying the graph (tests' and benchmarks' worlds share Community's one user database): in
# batches of their own transactions, which Neo4j runs only outside an explicit transaction. A
# deleted node's links count against the transaction's memory too: 10,000 people a batch went
# over a 64 MiB cap (db.memory.transaction.max), 2,000 do not.
NEO4J_CLEAR = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 2000 ROWS"


def ladybug_clear() -> list[str]:
    """Links first, then nodes (Ladybug refuses to delete a node that still has links)."""
    return ([f"MATCH (:{quoted(r.src)})-[x:{r.type}]->(:{quoted(r.dst)}) DELETE x" for r in RELS.values()]
            + [f"MATCH (n:{quoted(n.label)}) DELETE n" for n in [*NODES.values(), STAMP]])


# -- graph algorithms: Graph Data Science on Neo4j, networkx elsewhere (graph/analytics.py) ---------

# GDS projects the person pairs into an undirected in-memory graph, streams one algorithm and
# drops the projection, all in one statement (so one server holds it, even in a cluster). GDS's
# betweenness on an undirected projection counts each pair of endpoints once, as networkx's
# unnormalised betweenness does; component ids differ (both are named by their smallest member).
GDS_PROJECT_PAIRS = ("UNWIND $pairs AS pair MATCH (a:Person {person_id: pair.a}) MATCH (b:Person {person_id: pair.b}) "
                     "WITH gds.graph.project($graph, a, b, {}, $projection) AS projected ")
GDS_PROJECTION = {"undirectedRelationshipTypes": ["*"]}
GDS_STREAMS = {
    "wcc": "CALL gds.wcc.stream($graph) YIELD nodeId, componentId AS value ",
    "betweenness": "CALL gds.betweenness.stream($graph) YIELD nodeId, score AS value ",
}


def gds_stream(algorithm: str) -> str:
    """One statement: project ``$pairs`` ({a, b} person ids) as ``$graph``, stream ``algorithm``
    per person (``person_id``, ``value``), drop the projection."""
    return (GDS_PROJECT_PAIRS + GDS_STREAMS[algorithm]
            + "WITH collect({person_id: gds.util.asNode(nodeId).person_id, value: value}) AS rows "
              "CALL gds.graph.drop($graph, false) YIELD graphName "
              "UNWIND rows AS row RETURN row.person_id AS person_id, row.value AS value")


GDS_DROP = "CALL gds.graph.drop($graph, false) YIELD graphName RETURN graphName"
GDS_INSTALLED = "SHOW PROCEDURES YIELD name WHERE name = $probe RETURN count(*) AS n"


# -- engine-specific DDL -------------------------------------------------------------------------

def ladybug_ddl() -> list[str]:
    """Node and relationship tables; keys are primary keys (Ladybug has no CREATE CONSTRAINT)."""
    stmts = []
    for n in [*NODES.values(), STAMP]:
        cols = ", ".join([f"{n.key} STRING", *(f"{k} {t}" for k, t in n.props.items()), "h INT64"])
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {quoted(n.label)}({cols}, PRIMARY KEY({n.key}))")
    for r in RELS.values():
        cols = ", ".join(["rid STRING", *(f"{k} {t}" for k, t in r.props.items()), "h INT64"])
        ends = f"FROM {quoted(r.src)} TO {quoted(r.dst)}"
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {r.type}({ends}, {cols})")
    # A graph made by an older schema gains the properties added since (Neo4j needs nothing: a
    # property exists once written); the next load's hashes then write their values.
    for spec in [*NODES.values(), STAMP, *RELS.values()]:
        name = quoted(spec.label) if isinstance(spec, NodeType) else spec.type
        stmts.extend(f"ALTER TABLE {name} ADD IF NOT EXISTS {k} {t}" for k, t in spec.props.items())
    return stmts


def neo4j_ddl() -> list[str]:
    """Uniqueness constraints on node keys and range indexes on link ids, created before loading."""
    stmts = []
    for n in [*NODES.values(), STAMP]:
        stmts.append(f"CREATE CONSTRAINT {n.label.lower()}_{n.key} IF NOT EXISTS "
                     f"FOR (n:{quoted(n.label)}) REQUIRE n.{n.key} IS UNIQUE")
    for r in RELS.values():
        stmts.append(f"CREATE INDEX {r.type.lower()}_rid IF NOT EXISTS FOR ()-[x:{r.type}]-() ON (x.rid)")
    for label, prop in INDEXES:
        stmts.append(f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS "
                     f"FOR (n:{quoted(label)}) ON (n.{prop})")
    return stmts
