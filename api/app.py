"""The API application: ``create_app(data_dir)`` for tests and servers, ``serve`` for ``dots serve``.

Routers follow FastAPI's "bigger applications" layout, one per audience (analyst, targets,
disclosure, steward, admin, audit) plus auth, all sharing the dependencies in :mod:`api.deps`
for authentication, authorisation, purpose/reference and auditing, and the route class in
:mod:`api.routing` that writes the s.62 record.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import pages, problems
from api.auth.cache import PrincipalCache
from api.config import Settings, check_key_placement
from api.deps import RateLimiter
from api.jobs.runner import JobRunner
from api.jobs.stages import stages
from api.performance.changes import VersionedCache
from api.performance.graphcache import GraphCache, Prefiller
from api.performance.ranker import Ranker
from api.policy.audit import AuditLog
from api.store.db import dispose, session_factory

DESCRIPTION = """\
Graph intelligence for domestic-abuse policing: one router per audience.

* **Authentication**: OAuth2 password flow (`POST /auth/token`) issuing short-lived bearer tokens,
  or `X-API-Key` for service accounts.
* **Authorisation**: one role per account, each limited to its own routes; people and events of
  forces outside the account's scope appear only as "exists, held by force X" unless the account
  is national.
* **Audit (DPA 2018 s.62)**: every personal-data route requires `purpose` and `reference` query
  parameters (400 without them) and appends a hash-chained record of who, when, why, what
  operation and which people were returned, including refusals. Only auditors read the log.
* **Errors** are RFC 9457 problem details (`application/problem+json`); every list is paginated
  (`limit`, `offset`).
"""


class AppState:
    """What the routers share: settings, state store, audit log, graph, jobs, rate limiter."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.sessions = session_factory(settings.database_url)
        self.audit = AuditLog.of(settings.data_dir, self.sessions)
        self.limiter = RateLimiter()
        self.principals = PrincipalCache(settings.auth_cache_seconds)
        self.cases = VersionedCache("cases", 0)  # on over the embedded graph: one server process
        self.cache = GraphCache(settings.graph_cache_entries, enabled=False)  # on over the embedded graph
        self.prefill = Prefiller(self.cache, self.graph, settings.graph_prefill)
        self.searches = GraphCache(settings.search_cache_entries)  # keyed by the resolve output's stamp
        self.ranker = Ranker(settings.data_dir, settings.search_workers)
        self._graph: Any = None
        self._reads: Any = None
        self._graph_lock = threading.Lock()
        self.jobs = JobRunner(self.sessions, stages(self))

    def graph_owner(self) -> Any:
        """The graph backend itself, opened on first use (embedded Ladybug unless a Neo4j URI is
        set): loads write through it."""
        with self._graph_lock:
            if self._graph is None:
                from api.performance.graphpool import ReadPool
                from graph.backend import open_graph

                self._graph = open_graph(self.settings.data_dir, self.settings.graph_uri)
                self._reads = ReadPool.wrap(self._graph)
                # only this process can write the embedded graph, so its loads are all we must see
                self.cache.enabled = isinstance(self._reads, ReadPool) and self.cache.max_entries > 0
                # ... and the only one that changes cases (another would change them through its own graph)
                self.cases.ttl = self.settings.case_cache_seconds if isinstance(self._reads, ReadPool) else 0
            return self._graph

    def graph_if_open(self) -> Any | None:
        """The read connections when the graph is already open (never opens it: no blocking)."""
        return self._reads

    def graph(self) -> Any:
        """What the routers query: concurrent read connections over the same graph."""
        self.graph_owner()
        return self._reads

    def close(self) -> None:
        self.jobs.shutdown()
        self.prefill.wait()
        with self._graph_lock:
            if self._reads is not None and self._reads is not self._graph:
                self._reads.close()
            if self._graph is not None:
                self._graph.close()
            self._graph = self._reads = None
        self.ranker.close()
        self.audit.close()
        dispose(self.settings.database_url)


def create_app(data_dir: Path, graph_uri: str | None = None, settings: Settings | None = None) -> FastAPI:
    """The API over one data directory (state store migrated on creation)."""
    from api.routers import admin, analyst, audit, auth, disclosure, steward, targets

    settings = settings or Settings(data_dir=Path(data_dir), graph_uri=graph_uri)
    check_key_placement(settings.data_dir)  # a production server keeps the audit key away from the data
    state = AppState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # Handlers are CPU-bound Python around GIL-releasing graph reads: a few worker threads
        # keep cores busy; forty only thrash the GIL and turn queueing into a long tail.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        if not (settings.graph_uri or os.environ.get("NEO4J_URI")) and (settings.data_dir / "graph").exists():
            state.prefill.start()  # an embedded graph is there: open it and fill the cache in the background
        yield
        state.close()

    app = FastAPI(
        title="dots API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "auth", "description": "tokens and the caller's account"},
            {
                "name": "analyst",
                "description": "intelligence analysts: perpetrators, victims, profiles, networks, orders, breaches",
            },
            {"name": "targets", "description": "DA problem-solving teams: weekly target lists"},
            {"name": "disclosure", "description": "Clare's Law (DVDS) cases"},
            {"name": "steward", "description": "data stewards: person resolution review"},
            {"name": "admin", "description": "uploads, pipeline jobs, users"},
            {"name": "audit", "description": "the s.62 log (auditors only)"},
        ],
    )
    app.state.dots = state
    problems.install(app)
    app.add_middleware(problems.RejectNul)
    # A request is matched against the routes in the order they were included, a few microseconds
    # each: the busiest audiences (disclosure searches, analysts' profiles) come first.
    for module in (disclosure, analyst, targets, steward, admin, audit, auth):
        app.include_router(module.router)
    pages.mount(app)  # the HTML pages: shells and scripts only, every datum through the routes above

    @app.get("/health", tags=["auth"], summary="Liveness (no personal data)")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, with validation failures documented as the 400 problems they are."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path in schema.get("paths", {}).values():
        for op in path.values():
            responses = op.get("responses", {})
            if "422" in responses:
                del responses["422"]
                responses.setdefault(
                    "400",
                    {"description": "Bad request", "content": {problems.PROBLEM: {"schema": problem_ref}}},
                )
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    comps.pop("HTTPValidationError", None)
    comps.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8000, graph_uri: str | None = None) -> None:
    """``dots serve``: run the API with uvicorn on the embedded default (one process: the embedded
    graph and the in-process audit lock are single-writer)."""
    import uvicorn

    # No access log by default: it would copy every requested path (person ids, references) to an
    # unaudited stream, and it costs a tenth of a warm request; DOTS_ACCESS_LOG=1 turns it on.
    access_log = os.environ.get("DOTS_ACCESS_LOG", "") not in ("", "0")
    app = create_app(Path(data_dir), graph_uri)
    app.state.dots.ranker.start()  # the first search should not wait for a ranker to load the index
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)


def api_routes(app: FastAPI) -> list[Any]:
    """Every route of the app, with included routers walked (FastAPI may keep them nested)."""
    out: list[Any] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            else:
                out.append(route)

    walk(list(app.routes))
    return out
