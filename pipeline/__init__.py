"""The one definition of the pipeline: extracts → staging → people → entities → graph.

Four named stages, always in this order, each a call into the package that owns its outputs:

1. ``ingest``: extracts into staging (``loaders``; staging owns the tables);
2. ``resolve_people``: person records into entities (``linkage.run``);
3. ``resolve_entities``: addresses, orders, incidents and breaches, which take the person ids of
   stage 2 (``linkage.entities``), so ``resolve`` and ``steps`` run it after every person
   resolution: ids of addresses, orders and events never go stale and steward decisions on them
   apply at the next run;
4. ``load_graph``: staging and linkage outputs into the POLE graph (``graph.load``).

``erase`` takes one record back out of every stage (``dots erase``): each layer erases its own
outputs (staging rewrites its parts and keeps a tombstone, linkage its decision logs and search
indexes), then stages 2 to 4 run again on what remains, which recomputes the links, golden
records, entities and graph that rested on the record as if it had never been delivered.

The command line, the API's jobs, ``make demo`` and every test world call these functions and
nothing else runs the stages: ``run`` for the whole pipeline (``steps`` to see each stage's answer
as it comes), ``resolve`` for stages 2 and 3, or one stage by name. Every stage is idempotent, so a
run that stopped part way is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from graph import load as graph_load
from graph.backend import GraphBackend, open_graph
from linkage import run as people_run
from linkage.entities import run as entities_run
from linkage.store import LinkageStore
from loaders import erasure as loaders_erasure
from loaders import ingest as loaders_ingest
from loaders.erasure import ErasureError
from loaders.ingest import FileResult, IngestError

__all__ = [
    "STAGES",
    "ErasureError",
    "FileResult",
    "IngestError",
    "erase",
    "ingest",
    "load_graph",
    "planned",
    "resolve",
    "resolve_entities",
    "resolve_people",
    "run",
    "steps",
]

STAGES = ("ingest", "resolve_people", "resolve_entities", "load_graph")


def ingest(
    data_dir: Path,
    paths: Sequence[Path | str],
    *,
    profile: str | None = None,
    mapping: Path | str | None = None,
    progress: bool = False,
) -> list[FileResult]:
    """Stage 1: load every extract under ``paths`` into staging (refused files are reported in
    the results; the rest still load)."""
    return loaders_ingest.ingest_paths(list(paths), Path(data_dir), profile=profile, mapping=mapping, progress=progress)


def resolve_people(data_dir: Path, *, progress: bool = False, fork: bool = True) -> dict[str, Any]:
    """Stage 2: link the staged person records (``fork=False`` in a threaded server); parts staged
    before the immigration firewall are staged again first (:func:`loaders.ingest.restage`)."""
    loaders_ingest.restage(Path(data_dir))
    return people_run.resolve(Path(data_dir), progress=progress, fork=fork)


def resolve_entities(data_dir: Path, *, progress: bool = False, fork: bool = True) -> dict[str, Any]:
    """Stage 3: addresses, orders, incidents and breaches, on the person ids of stage 2
    (``fork=False`` in a threaded server: no second process)."""
    return entities_run.resolve_entities(Path(data_dir), progress=progress, fork=fork)


def resolve(data_dir: Path, *, progress: bool = False, fork: bool = True) -> dict[str, dict[str, Any]]:
    """Stages 2 and 3, what ``dots resolve`` and the API's resolve job run: ``{"people": …,
    "entities": …}``."""
    return {
        "people": resolve_people(data_dir, progress=progress, fork=fork),
        "entities": resolve_entities(data_dir, progress=progress, fork=fork),
    }


def load_graph(
    data_dir: Path, graph: GraphBackend | None = None, *, uri: str | None = None, progress: bool = False
) -> dict[str, Any]:
    """Stage 4: bring the graph up to date with staging and linkage. ``graph`` is an open backend
    (the caller keeps it open); without one the graph at ``uri`` (a Neo4j URI, else the embedded
    graph under ``data_dir``) is opened for the load and closed after it."""
    if graph is not None:
        return graph_load.load_graph(Path(data_dir), graph, progress=progress)
    with open_graph(data_dir, uri) as opened:
        return graph_load.load_graph(Path(data_dir), opened, progress=progress)


def steps(
    data_dir: Path,
    paths: Sequence[Path | str] = (),
    *,
    graph: GraphBackend | None = None,
    uri: str | None = None,
    profile: str | None = None,
    progress: bool = False,
    fork: bool = True,
) -> Iterator[tuple[str, Any]]:
    """Run the stages in order, yielding ``(stage, its answer)`` after each. Without ``paths`` the
    ingest stage is left out (what is staged already is resolved and loaded)."""
    if paths:
        yield "ingest", ingest(data_dir, paths, profile=profile, progress=progress)
    yield "resolve_people", resolve_people(data_dir, progress=progress, fork=fork)
    yield "resolve_entities", resolve_entities(data_dir, progress=progress, fork=fork)
    yield "load_graph", load_graph(data_dir, graph, uri=uri, progress=progress)


def planned(paths: Sequence[Path | str] = ()) -> tuple[str, ...]:
    """The stages :func:`steps` runs for these ``paths``, in order (for progress reports)."""
    return STAGES if paths else STAGES[1:]


def run(data_dir: Path, paths: Sequence[Path | str] = (), **options: Any) -> dict[str, Any]:
    """The whole pipeline: ``{stage: its answer}``; ``options`` as for :func:`steps`."""
    return dict(steps(data_dir, paths, **options))


def erase(
    data_dir: Path,
    key: str,
    *,
    kind: str | None = None,
    graph: GraphBackend | None = None,
    uri: str | None = None,
    load: bool = True,
    progress: bool = False,
    fork: bool = True,
    before_done: Callable[[dict[str, Any]], None] | None = None,
    forget: Callable[[Callable[[str], bool]], dict[str, int]] | None = None,
) -> dict[str, Any]:
    """Erase the source record ``key`` (a person, event, order, custody, notice or referral
    record key; ``kind`` says which when it names several) from every stage, and recompute what
    rested on it. In order, each step idempotent so that an interrupted erasure is resumed by
    calling this again: staging tombstones the key and rewrites the parts holding rows that name
    it (``loaders.erasure``); linkage drops the steward decisions and search indexes naming what
    is gone; stages 2 and 3 run again (when resolution had run), then stage 4 into the graph at
    ``graph``/``uri`` (when ``load``: the caller knows whether there is a graph; an embedded graph
    is written anew, :func:`graph.load.load_anew`). ``forget`` is
    given the same test of what is gone, for what a layer above keeps of it (the API's state
    store: :mod:`api.store.erasure`), and its counts join the answer. ``before_done``
    is called with the answer before the erasure is marked done (the caller's s.62 record), so a
    finished erasure is always recorded. Raises :class:`ErasureError` for a key that cannot be
    erased as asked (unknown, already erased, several kinds)."""
    data_dir = Path(data_dir)
    kind = loaders_erasure.plan(data_dir, key, kind)
    answer: dict[str, Any] = {"record_key": key, "kind": kind}
    answer["staging"] = loaders_erasure.begin(data_dir, kind, key)
    linkage = LinkageStore(data_dir)
    resolved = linkage.resolved()
    people = loaders_erasure.people_staged(data_dir)
    staged = loaders_erasure.staged_keys(data_dir)
    def gone(k: str) -> bool:
        return k == key or k not in staged

    answer["linkage"] = linkage.erase(gone, everything=resolved and not people)
    if forget is not None:
        answer["state"] = forget(gone)
    if resolved and people:
        answer["resolve"] = resolve(data_dir, progress=progress, fork=fork)
    if load:  # the embedded graph written anew: its file keeps no page of what was deleted
        with nullcontext(graph) if graph is not None else open_graph(data_dir, uri) as g:
            answer["graph"] = graph_load.load_anew(data_dir, g, progress=progress)
    if before_done is not None:
        before_done(answer)
    loaders_erasure.finish(data_dir, kind, key)
    return answer
