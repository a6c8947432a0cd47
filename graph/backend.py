"""Two graph backends behind one interface: embedded LadybugDB (default) and Neo4j.

Both run the same Cypher text with parameters (never values pasted into strings). What the
engines do differently is kept in :mod:`graph.dialect`; this module only adapts transport:
connections, transactions, result conversion and bulk copy.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import threading
import uuid
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from graph import dialect
from graph.schema import NODES, RELS

BATCH = 5_000  # rows per UNWIND batch
M_PERTURB = -6  # glibc mallopt(3): fill memory malloc returns with (byte ^ 0xFF), memory freed with byte
log = logging.getLogger(__name__)


class GraphError(RuntimeError):
    """A load or query failed in a way the caller must see (e.g. a count check)."""


class GraphBackend(ABC):
    """What loaders and queries need from a graph store."""

    name: str = "abstract"
    supports_copy: bool = False  # bulk COPY into empty tables (fresh embedded loads)

    @abstractmethod
    def run(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict]:
        """Run one parameterised statement and return its rows as plain Python dicts."""

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create tables / constraints and indexes (idempotent); always before loading."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and link (the schema stays): tests and benchmarks reuse a database."""

    def frame(self, cypher: str, params: dict[str, Any] | None = None, columns: list[str] | None = None
              ) -> pd.DataFrame:
        """Rows as a DataFrame (``columns`` fixes the shape when nothing matches)."""
        rows = self.run(cypher, params)
        return pd.DataFrame(rows, columns=columns) if columns and not rows else pd.DataFrame(rows)

    # -- load primitives ------------------------------------------------------------------------
    def count(self, name: str) -> int:
        """Nodes with a label or links of a type."""
        text = dialect.node_count(NODES[name]) if name in NODES else dialect.rel_count(RELS[name])
        return int(self.run(text)[0]["c"])

    def state(self, name: str) -> pd.DataFrame:
        """Key (or rid) and content hash of everything of one label/type already in the graph."""
        text = dialect.node_state(NODES[name]) if name in NODES else dialect.rel_state(RELS[name])
        return self.frame(text, columns=["k", "h"])

    def upsert(self, name: str, rows: list[dict]) -> int:
        """MERGE rows in batches; returns rows written as reported by the engine."""
        text = dialect.upsert_node(NODES[name]) if name in NODES else dialect.upsert_rel(RELS[name])
        return sum(self._write(text, {"rows": b}, "written") for b in _batches(rows))

    def delete(self, name: str, keys: list[str]) -> int:
        text = dialect.delete_nodes(NODES[name]) if name in NODES else dialect.delete_rels(RELS[name])
        return sum(self._write(text, {"keys": b}, "deleted") for b in _batches(keys))

    def bulk_copy(self, name: str, table: pa.Table) -> int:
        """Fastest way to fill an empty label/type; MERGE batches unless the engine has better."""
        return self.upsert(name, rows_for_merge(table))

    def has_gds(self) -> bool:
        """Whether the engine runs Neo4j's Graph Data Science procedures (else networkx does)."""
        return False

    def is_empty(self) -> bool:
        return all(self.count(n) == 0 for n in NODES)

    def _write(self, text: str, params: dict, column: str) -> int:
        rows = self.run(text, params)
        return int(rows[0][column]) if rows else 0

    def __enter__(self) -> GraphBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LadybugBackend(GraphBackend):
    """Embedded LadybugDB on disk: one writer, one connection behind a lock."""

    name = "ladybug"
    supports_copy = True

    def __init__(self, path: Path, read_only: bool = False):
        import ladybug

        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            zero_new_allocations()
        self._db = ladybug.Database(str(self.path), read_only=read_only)
        self._conn = ladybug.Connection(self._db)
        self._statements: dict[str, Any] = {}
        self._lock = threading.RLock()

    def run(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict]:
        with self._lock:
            if params:  # prepared once per connection: compiling costs more than a point query
                result = self._conn.execute(self._prepared(cypher), params)
            else:
                result = self._conn.execute(cypher)
            return result_rows(result)

    def frame(self, cypher: str, params: dict[str, Any] | None = None, columns: list[str] | None = None
              ) -> pd.DataFrame:
        """Rows as a DataFrame straight from Arrow (bulk answers: ~3x faster than dicts)."""
        with self._lock:
            if params:
                result = self._conn.execute(self._prepared(cypher), params)
            else:
                result = self._conn.execute(cypher)
            return result_frame(result, columns)

    def _prepared(self, cypher: str) -> Any:
        stmt = self._statements.get(cypher)
        if stmt is None:
            with warnings.catch_warnings():  # prepare() is deprecated upstream but still the fast path
                warnings.simplefilter("ignore", DeprecationWarning)
                stmt = self._statements[cypher] = self._conn.prepare(cypher)
        return stmt

    def ensure_schema(self) -> None:
        import ladybug

        with self._lock:
            for stmt in dialect.ladybug_ddl():
                self._conn.execute(stmt)
            # Prepared statements are cached per connection: a schema change needs a new one.
            self._conn = ladybug.Connection(self._db)
            self._statements = {}

    def bulk_copy(self, name: str, table: pa.Table) -> int:
        """COPY from an Arrow table into an empty table (seconds instead of minutes)."""
        if table.num_rows == 0:
            return 0
        copy_source = table  # noqa: F841 - scanned by name by Ladybug's replacement scan
        label = dialect.quoted(name) if name in NODES else name
        with self._lock:
            self._conn.execute(f"COPY {label} FROM copy_source")
        return table.num_rows

    def clear(self) -> None:
        with self._lock:
            for stmt in dialect.ladybug_clear():
                self._conn.execute(stmt)

    def close(self) -> None:
        with self._lock:
            self._statements.clear()  # a prepared statement kept alive leaves the write-ahead log unmerged
            self._conn.close()
            self._db.close()

    def rebuilt(self, fill: Callable[[str], Any]) -> Any:
        """``fill(path)`` a new database file in a fresh process, put it in this one's place, and
        return what ``fill`` returned (it must pickle). For a graph that must forget (an
        erasure): a database keeps deleted values in its pages until they are written again, so
        the new file is written by a process that never held what was erased (its stray bytes are
        zeroed anyway: :func:`zero_new_allocations`), and this backend is reopened read only, so
        this process never writes it. A file left by an interrupted rebuild is removed by the
        next one."""
        import ladybug

        for stale in self.path.parent.glob(f".{self.path.name}.*"):
            stale.unlink(missing_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            answer = pool.submit(fill, str(tmp)).result()
        with self._lock:
            self.close()
            for sidecar in self.path.parent.glob(f"{self.path.name}.*"):  # the old file's (a log)
                sidecar.unlink()
            for sidecar in self.path.parent.glob(f"{tmp.name}.*"):  # the new file's, if it kept one
                os.replace(sidecar, self.path.with_name(self.path.name + sidecar.name[len(tmp.name):]))
            os.replace(tmp, self.path)
            self.read_only = True
            self._db = ladybug.Database(str(self.path), read_only=True)
            self._conn = ladybug.Connection(self._db)
            self._statements = {}
        return answer


_zeroed: bool | None = None  # whether this process's C library now zeroes what malloc returns


def zero_new_allocations() -> bool:
    """From now on, every block this process's C ``malloc`` returns starts as zeros, and every
    block freed is overwritten (glibc ``mallopt(M_PERTURB, 0xFF)``); ``False`` where the C library
    cannot (not glibc), after a warning. Called before a process opens the embedded database for
    writing, because LadybugDB 0.22 writes pages it serialises into ``malloc``'d 4 KiB buffers it
    never clears: the file header (page 0 past its first 46 bytes) and the unused tail of the
    last catalog and metadata pages held whatever the process had freed before (audit records,
    staging rows, other files it read), rewritten at every checkpoint, including the one when a
    read-write database closes (graph/README.md, "LadybugDB writes stray memory"). Zeroing at
    the allocator covers every way of writing (a CLI load, the API's jobs in the server, any
    read-write open; query commands open it read only) in one place, whatever else the process holds; allocations larger
    than the small-block cache (1 KiB) cost one ``memset`` more each."""
    global _zeroed
    if _zeroed is None:
        try:
            _zeroed = bool(ctypes.CDLL(None).mallopt(M_PERTURB, 0xFF))
        except (AttributeError, OSError, TypeError):
            _zeroed = False
        if not _zeroed:
            log.warning("this C library cannot clear memory malloc returns: the embedded graph file may "
                        "hold stray bytes of this process's memory (use glibc, or Neo4j)")
    return _zeroed


class Neo4jBackend(GraphBackend):
    """Neo4j through the official driver: managed transactions with retries for writes."""

    name = "neo4j"
    supports_copy = True  # an empty label/type is filled by CREATE batches (no MERGE lookups)
    copy_batch = BATCH  # rows per CREATE transaction (10,000 PersonRecords went over a 64 MiB transaction cap)
    copy_workers = 2  # CREATE transactions at once on a fresh load (see bulk_copy)

    def __init__(self, uri: str, user: str | None, password: str | None, database: str | None = None,
                 read_only: bool = False):
        from neo4j import GraphDatabase

        self.read_only = read_only  # every statement in a READ transaction: the server refuses a write

        auth = (user, password) if user else None
        # No server notifications: a query over a property no row has yet ("outcome" before any
        # outcome is loaded) is normal here, and each notice was a multi-line warning on stderr.
        self._driver = GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
        self._database = database or os.environ.get("NEO4J_DATABASE") or None
        self._gds: bool | None = None

    def run(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict]:
        from neo4j import RoutingControl

        write = _is_write(cypher) and not self.read_only
        if write:
            # Share the execute_query bookmarks so a read after a write sees it (causal consistency).
            bookmarks = self._driver.execute_query_bookmark_manager
            with self._driver.session(database=self._database, bookmark_manager=bookmarks) as session:
                return session.execute_write(_tx_rows, cypher, params or {})
        records, _, _ = self._driver.execute_query(
            cypher, params or {}, routing_=RoutingControl.READ, database_=self._database)
        return [{k: dialect.native(v) for k, v in r.items()} for r in records]

    def ensure_schema(self) -> None:
        for stmt in dialect.neo4j_ddl():
            self._driver.execute_query(stmt, database_=self._database)

    def bulk_copy(self, name: str, table: pa.Table) -> int:
        """CREATE batches into an empty label or type, each its own managed transaction. A load
        killed part-way leaves whole batches; the next load's diff MERGEs the rest.

        ``copy_workers`` transactions run at once: the client's work is a few per cent of a
        batch's time, so one writer leaves the server's other core idle (200k nodes: 46 s with one
        writer, 29 s with two, on 2 cores under load). Links lock their end nodes, so concurrent
        link batches can deadlock; the driver retries a deadlocked transaction (it is transient).
        """
        text = dialect.create_nodes(NODES[name]) if name in NODES else dialect.create_rels(RELS[name])
        batches = _batches(rows_for_merge(table), self.copy_batch)
        if self.copy_workers <= 1:
            return sum(self._write(text, {"rows": b}, "written") for b in batches)
        with ThreadPoolExecutor(self.copy_workers, thread_name_prefix="neo4j-copy") as pool:
            return sum(pool.map(lambda b: self._write(text, {"rows": b}, "written"), batches))

    def has_gds(self) -> bool:
        if self._gds is None:
            self._gds = bool(self.run(dialect.GDS_INSTALLED, {"probe": "gds.wcc.stream"})[0]["n"])
        return self._gds

    def clear(self) -> None:
        if self.read_only:
            raise GraphError("the graph was opened read only")
        with self._driver.session(database=self._database) as session:  # auto-commit: IN TRANSACTIONS
            session.run(dialect.NEO4J_CLEAR).consume()

    def close(self) -> None:
        self._driver.close()


def _tx_rows(tx: Any, cypher: str, params: dict) -> list[dict]:
    """One managed-transaction unit of work (the driver retries it on transient errors)."""
    return [{k: dialect.native(v) for k, v in r.items()} for r in tx.run(cypher, params)]


def _is_write(cypher: str) -> bool:
    words = set(cypher.upper().replace("(", " ").split())
    return bool(words & {"MERGE", "CREATE", "DELETE", "SET"})


def _batches(rows: list, size: int = BATCH) -> Iterable[list]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


SMALL = 256  # rows: below this, reading rows one by one beats Arrow conversion (~0.8 ms a result)


def result_rows(result: Any) -> list[dict]:
    """An embedded engine's query result as plain Python dicts."""
    if isinstance(result, list):  # several statements: the last one answers
        result = result[-1]
    cols = result.get_column_names()
    if not cols:
        return []
    if result.get_num_tuples() > SMALL:
        rows = result.get_as_arrow().to_pylist()
        return [{k: dialect.native(v) for k, v in row.items()} for row in rows]
    out = []
    while result.has_next():
        out.append({k: dialect.native(v) for k, v in zip(cols, result.get_next(), strict=True)})
    return out


def result_frame(result: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """An embedded engine's query result as a DataFrame (``columns`` when nothing matched)."""
    if isinstance(result, list):
        result = result[-1]
    if result.get_num_tuples() <= SMALL:  # small answers: Arrow conversion costs more than rows
        cols = result.get_column_names()
        rows = []
        while result.has_next():
            rows.append([dialect.native(v) for v in result.get_next()])
        if not rows and columns:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame.from_records(rows, columns=cols)
    return arrow_frame(result.get_as_arrow(), columns)


def arrow_frame(table: pa.Table, columns: list[str] | None = None) -> pd.DataFrame:
    """A result table as pandas with the same Python values ``run`` gives: dates as ``date``,
    lists as ``list``, integer sums (decimals on Ladybug) as numbers."""
    if table.num_rows == 0 and columns:
        return pd.DataFrame(columns=columns)
    data = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_decimal(col.type):
            values = col.cast(pa.float64()).to_pandas()
            data[name] = values.astype("int64") if (values.dropna() % 1 == 0).all() and values.notna().all() \
                else values
        elif pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            data[name] = pd.Series(col.to_pylist(), dtype=object)
        elif pa.types.is_date(col.type):
            data[name] = pd.Series(col.to_pandas(date_as_object=True), dtype=object)
        else:
            data[name] = col.to_pandas()
    return pd.DataFrame(data)


def rows_for_merge(table: pa.Table) -> list[dict]:
    """Rows for a MERGE batch: dates as ISO strings (see dialect: ``date(r.x)``)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_date(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
    return table.to_pylist()


def open_graph(data_dir: Path | str, uri: str | None = None, user: str | None = None,
               password: str | None = None, read_only: bool = False) -> GraphBackend:
    """Neo4j when a neo4j:// / bolt:// URI is given (or NEO4J_URI is set), else embedded Ladybug
    at ``data_dir/graph``. The schema is ensured before anything is returned, unless ``read_only``:
    what only reads (a query command) opens it so, and cannot alter it. The embedded file is then
    neither written nor checkpointed when it closes, and takes no writer's lock, so a query runs
    beside another, or beside the server or a load that holds the graph for writing; Neo4j runs
    every statement in a READ transaction, which the server refuses to write in."""
    uri = uri or os.environ.get("NEO4J_URI")
    if uri and uri.split("://")[0] in {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}:
        backend: GraphBackend = Neo4jBackend(
            uri, user or os.environ.get("NEO4J_USER", "neo4j"), password or os.environ.get("NEO4J_PASSWORD"),
            read_only=read_only)
    elif uri:
        raise GraphError(f"not a Neo4j URI: {uri}")
    else:
        backend = LadybugBackend(Path(data_dir) / "graph" / "pole.lbdb", read_only=read_only)
    if not read_only:
        backend.ensure_schema()
    return backend
