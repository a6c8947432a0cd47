"""`dots graph load`: write staged records and entities into the graph, idempotently.

The loader builds the graph's whole desired state from staging and linkage (graph.build), then
per label and link type: COPY into an empty embedded table (a fresh load), otherwise compare
keys and content hashes with the graph and MERGE only what is new or changed, then delete what
is gone. A second run therefore writes nothing, a new extract adds and updates without a
rebuild, and a killed load simply leaves less done: the next run finishes it.

Every load verifies what it wrote: each batch's reported row count must equal the rows sent
(the notes record a MATCH/MERGE form that silently dropped rows), and at the end every label
and type must hold exactly as many nodes/links as it was given. It stamps the graph as it starts
and once verified (graph/stamp.py): readers in any process then know what they cached is stale.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from graph.backend import GraphBackend, GraphError, LadybugBackend, rows_for_merge
from graph.build import GraphInput, build_tables, read_input
from graph.schema import NODES, RELS
from graph.stamp import write_stamp


def load_graph(data_dir: Path, backend: GraphBackend, progress: bool = False,
               entities: pd.DataFrame | None = None, harm_table: pd.DataFrame | None = None) -> dict:
    """Bring the graph to the state of the staged tables and linkage output; return a summary.

    ``entities`` (record_key, person_id, ...) replaces linkage output, e.g. for truth-scored tests.
    Raises GraphError when any count check fails."""
    with tqdm(total=2, desc="graph build", unit="step", file=sys.stderr, disable=not progress) as bar:
        bar.set_postfix_str("reading staging and linkage")
        inp: GraphInput = read_input(Path(data_dir), entities=entities)
        bar.update()
        bar.set_postfix_str("building node and link tables")
        tables = build_tables(inp, harm_table=harm_table)
        bar.update()
    return write_tables(backend, tables, progress=progress, skipped=inp.skipped)


def load_anew(data_dir: Path, backend: GraphBackend, progress: bool = False) -> dict:
    """Stage 4 after an erasure: the graph brought to what staging and linkage now hold, keeping
    no trace of what was deleted. An embedded database keeps deleted values in its pages (a byte
    search of ``pole.lbdb`` after a diff load still found an erased person's name), so the embedded
    graph is loaded afresh into a new file, by a process of its own, put in the old one's place
    (:meth:`LadybugBackend.rebuilt`); Neo4j keeps its store in its
    own server, and is brought up to date by the diff load like any other."""
    if isinstance(backend, LadybugBackend):
        return backend.rebuilt(partial(_load_into, str(data_dir), progress))
    return load_graph(data_dir, backend, progress=progress)


def _load_into(data_dir: str, progress: bool, path: str) -> dict:
    """A fresh load into the embedded database at ``path`` (run in a process of its own)."""
    with LadybugBackend(Path(path)) as fresh:
        fresh.ensure_schema()
        return load_graph(Path(data_dir), fresh, progress=progress)


def write_tables(backend: GraphBackend, tables: dict[str, pa.Table], progress: bool = False,
                 skipped: dict[str, int] | None = None) -> dict:
    """Diff-and-write every table, then verify counts. Nodes are written before links (links
    need their endpoints) and removed after them."""
    backend.ensure_schema()
    write_stamp(backend, loading=True)  # readers in any process stop trusting what they cached
    summary: dict = {"backend": backend.name, "nodes": {}, "relationships": {}, "skipped": skipped or {}}
    names = [*NODES, *RELS]
    pending_deletes: list[tuple[str, list[str]]] = []
    bar = tqdm(names, desc="graph load", unit="type", file=sys.stderr, disable=not progress)
    for name in bar:
        bar.set_postfix_str(name)
        table = tables[name]
        key = NODES[name].key if name in NODES else "rid"
        part = summary["nodes" if name in NODES else "relationships"]
        stats = {"given": table.num_rows, "created": 0, "updated": 0, "deleted": 0, "method": "merge"}
        if backend.supports_copy and backend.count(name) == 0:
            stats["method"] = "copy"
            written = backend.bulk_copy(name, table)
            stats["created"] = written
            _check(name, "copied", written, table.num_rows)
        else:
            have = backend.state(name)
            given = pd.DataFrame({"k": table.column(key).to_pandas().astype(object),
                                  "h": table.column("h").to_pandas()})
            have = have.astype({"k": object})
            merged = given.merge(have, on="k", how="left", suffixes=("", "_old"), indicator=True)
            new = merged["_merge"] == "left_only"
            changed = (merged["_merge"] == "both") & (merged["h"] != merged["h_old"])
            todo = (new | changed).to_numpy()
            if todo.any():
                rows = rows_for_merge(table.filter(pa.array(todo)))
                written = _upsert(backend, name, rows, progress)
                _check(name, "merged", written, len(rows))
            stats["created"], stats["updated"] = int(new.sum()), int(changed.sum())
            gone = sorted(set(have["k"]) - set(given["k"]))
            if gone:
                pending_deletes.append((name, gone))
        part[name] = stats
    for name, keys in reversed(pending_deletes):  # links first, then nodes
        deleted = backend.delete(name, keys)
        part = summary["nodes" if name in NODES else "relationships"]
        part[name]["deleted"] = deleted
        _check(name, "deleted", deleted, len(keys))
    for name in names:
        part = summary["nodes" if name in NODES else "relationships"]
        part[name]["in_graph"] = in_graph = backend.count(name)
        _check(name, "in graph", in_graph, part[name]["given"])
    summary["verified"] = True
    write_stamp(backend, loading=False)
    return summary


def _upsert(backend: GraphBackend, name: str, rows: list[dict], progress: bool) -> int:
    if not progress or len(rows) <= 10_000:
        return backend.upsert(name, rows)
    written = 0
    with tqdm(total=len(rows), desc=name, unit="row", file=sys.stderr, leave=False) as bar:
        for i in range(0, len(rows), 10_000):
            chunk = rows[i:i + 10_000]
            written += backend.upsert(name, chunk)
            bar.update(len(chunk))
    return written


def _check(name: str, what: str, got: int, expected: int) -> None:
    if got != expected:
        raise GraphError(f"graph load check failed: {name} {what} {got}, expected {expected}")
