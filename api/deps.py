"""Shared dependencies: who is calling, may they use this router, why (purpose and reference),
how much (pagination) and how often (rate limits).

The personal-data routes declare ``Depends(Audited(Operation.x))``: it requires a purpose code and
a case or occurrence reference (400 without them) and opens the request's audit context, which
the routers fill with what was returned and :class:`api.routing.AuditedRoute` writes to the log
before the response leaves, or as a refusal when the request fails.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Table, select
from starlette.concurrency import run_in_threadpool

from api.auth import security
from api.auth.cache import accounts_version
from api.policy import immigration, wall
from api.policy.audit import Row
from api.policy.roles import REFERENCE_RE, Operation, Purpose, Role
from api.policy.scope import Scope
from api.policy.wall import Hidden
from api.problems import ProblemError
from api.store.db import ApiKey, User
from linkage.store import LinkageStore

oauth2 = OAuth2PasswordBearer(
    tokenUrl="/auth/token",
    auto_error=False,
    description="OAuth2 password flow: POST name and password to /auth/token",
)
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key of a service account (`dots_<id>_<secret>`)"
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    id: int
    name: str
    role: str
    forces: frozenset[str]
    national: bool
    service: bool = False
    employee_ref: str | None = None  # ONS-CODE/REF of the user's own workforce record (api.policy.wall)

    @property
    def scope(self) -> Scope:
        return Scope(self.forces, self.national)


def app_state(request: Request) -> Any:
    """The running app's :class:`api.app.AppState`."""
    return request.app.state.dots


def linkage_outputs(request: Request) -> LinkageStore:
    """The linkage outputs of the served data directory, each table read once per version of its
    file (they change only when resolution runs): one store per server."""
    state = app_state(request)
    outputs = getattr(state, "linkage_outputs", None)
    if outputs is None or outputs.data_dir != FsPath(state.settings.data_dir):
        state.linkage_outputs = outputs = LinkageStore(state.settings.data_dir, cache=True)
    return outputs


def no_such_person(request: Request, person_id: str) -> ProblemError:
    """The answer for a person id the graph does not hold: 404, or, when linkage retired the id (its
    records were found to be another person's too), a permanent redirect to the same route for the
    id that carries it on, with ``superseded_by`` in the body."""
    successor = linkage_outputs(request).current_id(person_id)
    route = request.scope.get("route")
    if successor is None or successor == person_id or route is None:
        return ProblemError(404, "no such person", "not-found")
    location = str(request.url_for(route.name, **{**request.path_params, "person_id": successor}))
    if request.url.query:
        location += "?" + request.url.query
    return ProblemError(
        308,
        "this person id was retired when its records were found to be another person's too",
        "superseded",
        headers={"Location": location},
        superseded_by=successor,
    )


def graph(request: Request) -> Any:
    """The graph's read connections, or 503 when the graph store is missing or locked (a plain call,
    not a dependency: routes that answer from caches never open the graph)."""
    try:
        return app_state(request).graph()
    except Exception as exc:  # say so, not why in detail
        raise ProblemError(503, "the graph is not available: run the graph load", "graph-unavailable") from exc


def _principal(user: User) -> Principal:
    return Principal(
        user.id, user.name, user.role, frozenset(user.forces or []), bool(user.national), bool(user.service),
        user.employee_ref,
    )


async def current_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2)] = None,
    api_key: Annotated[str | None, Security(api_key_header)] = None,
) -> Principal:
    """The caller from a bearer token or an API key; 401 otherwise.

    The account is read from the state store, or from :mod:`api.auth.cache` for a few seconds
    after (emptied by any account change in this process), so that a disabled account or a
    changed role takes effect at once rather than when its token expires."""
    state = app_state(request)
    credential = token or api_key
    principal: Principal | None = None
    if credential:
        principal = state.principals.get(credential)
        if principal is None:
            version = accounts_version()
            principal, expires_in = await run_in_threadpool(_read_principal, state, token, api_key)
            if principal is not None:
                state.principals.put(credential, principal, version, expires_in)
    if principal is None:
        raise ProblemError(
            401,
            "a valid bearer token or API key is required",
            "unauthenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    return principal


async def caller(request: Request) -> Principal:
    """The caller, as :func:`current_principal` found them for this request.

    FastAPI solves a dependency's own dependencies before it looks in its per-request cache, so
    every ``Depends(current_principal)`` would walk the two security schemes again. The router's
    role check (solved first) authenticates; what runs after it takes the principal from here
    (a plain call, not a dependency: each dependency costs a solve), and authenticates itself only
    if nothing did before it."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        principal = await current_principal(request, await oauth2(request), await api_key_header(request))
    return principal


def _read_principal(state: Any, token: str | None, api_key: str | None) -> tuple[Principal | None, float | None]:
    """The account behind a credential, read from the state store, and how long the credential
    has left (tokens only)."""
    if token:
        claims = security.read_token(state.settings.jwt_key, token)
        if claims is not None:
            with state.sessions() as session:
                user = session.get(User, claims.user_id)
                if user is not None and user.active and user.token_version == claims.version:
                    return _principal(user), (claims.expires - dt.datetime.now(dt.UTC)).total_seconds()
    elif api_key:
        parts = security.split_api_key(api_key)
        if parts is not None:
            with state.sessions() as session:
                row = session.execute(
                    select(ApiKey, User).join(User, ApiKey.user_id == User.id).where(ApiKey.key_id == parts[0])
                ).first()
                if row is not None:
                    key, user = row
                    if key.revoked_at is None and user.active and security.api_key_matches(parts[1], key.key_hash):
                        return _principal(user), None
    return None, None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Caller = Annotated[Principal, Depends(caller)]


def require_roles(*roles: Role) -> Any:
    """Router dependency: the caller must hold one of ``roles``."""
    allowed = {r.value for r in roles}

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise ProblemError(403, "your role may not use this route", "forbidden-role")
        return principal

    check.dots_roles = tuple(sorted(allowed))  # type: ignore[attr-defined]
    return check


# -- audit context ---------------------------------------------------------------------------------


@dataclass
class AuditContext:
    """What one personal-data request is for and what it returned (filled in by the route)."""

    operation: str
    purpose: str | None
    reference: str | None
    principal: Principal | None
    person_ids: set[str] = field(default_factory=set)
    count: int | None = None
    outcome: str = "ok"  # ok / restricted (force-scoped answer)
    detail: str | None = None
    recipients: str | None = None
    recorded: bool = False
    rows: list[Row] = field(default_factory=list)
    hidden: Hidden = field(default_factory=Hidden)  # what the wall keeps from this caller (api.policy.wall)
    refusal: str | None = None  # why a refusal was made, for the s.62 record only (the caller is told less)

    def record(self, table: Table, **values: Any) -> None:
        """A row to write in the same transaction as this request's audit record (if it succeeds)."""
        self.rows.append((table, values))

    def returned(self, person_ids: Any = (), count: int | None = None) -> None:
        """Note the people a response names (ids only) and how many rows it carries."""
        self.person_ids.update(str(p) for p in person_ids if p is not None and p == p)
        if count is not None:
            self.count = (self.count or 0) + count


class Audited:
    """Dependency for a personal-data route logging ``operation``. ``justified=False`` logs a
    route whose purpose and reference are optional (account administration: every change and
    every refused attempt is logged, with why when it is given)."""

    def __init__(self, operation: Operation, justified: bool = True):
        self.dots_operation = operation.value
        self.dots_justified = justified

    async def __call__(
        self,
        request: Request,
        purpose: Annotated[
            Purpose | None,
            Query(
                description="Why the data is processed (DPA 2018 s.62): required on personal-data routes",
                examples=["intelligence"],
            ),
        ] = None,
        reference: Annotated[
            str | None,
            Query(
                max_length=64,
                description="Case, occurrence or task reference justifying the request: required",
                examples=["NO/0003714/19"],
            ),
        ] = None,
    ) -> AuditContext:
        principal = await caller(request)
        ctx = AuditContext(self.dots_operation, purpose.value if purpose else None, reference, principal)
        request.state.audit = ctx
        if self.dots_justified and (purpose is None or not reference):
            raise ProblemError(
                400,
                "a purpose code and a case or occurrence reference are required on personal-data routes",
                "purpose-required",
            )
        if reference and not REFERENCE_RE.match(reference):
            raise ProblemError(400, "the reference may hold letters, digits and / . _ : - only", "purpose-required")
        immigration.check_reference(reference)  # a reference naming immigration enforcement: 403
        ctx.hidden, own = await run_in_threadpool(walls_for, request, principal)
        opened = {str(v) for k, v in request.path_params.items() if k in ("person_id", "record_key")}
        if opened & (own.people | own.records):
            raise ProblemError(
                403, "no one consults their own record or a record they are party to", "self-consultation"
            )
        return ctx


def wall_of(request: Request) -> tuple[wall.Wall, Any]:
    """The served data directory's wall and the graph it was read from (no workforce extract: the
    empty wall, and no graph opened to say so). Without a graph the wall still hides the
    workforce's records."""
    state = app_state(request)
    data_dir = FsPath(state.settings.data_dir)
    if not wall.staged(data_dir):
        return wall.EMPTY, None
    try:
        g = state.graph()
    except Exception:  # no graph yet: the parts that need none still hold
        g = None
    return wall.current_wall(data_dir, g), g


def walls_for(request: Request, principal: Principal | None) -> tuple[Hidden, Hidden]:
    """(what the wall keeps from this caller, what of it is their own record or party to it):
    see :mod:`api.policy.wall`."""
    found, g = wall_of(request)
    if found is wall.EMPTY:
        return Hidden(), Hidden()
    role = principal.role if principal else None
    ref = principal.employee_ref if principal else None
    own = wall.own_hidden(found, g, ref)
    return wall.hidden_for(found, role, own), own


# One alias per logged operation, so that a route's signature says what it does with personal data.
Consult = Annotated[AuditContext, Depends(Audited(Operation.consultation))]
Collect = Annotated[AuditContext, Depends(Audited(Operation.collection))]
Combine = Annotated[AuditContext, Depends(Audited(Operation.combination))]
Alter = Annotated[AuditContext, Depends(Audited(Operation.alteration))]
Disclose = Annotated[AuditContext, Depends(Audited(Operation.disclosure))]


# -- dates -----------------------------------------------------------------------------------------

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def _within_calendar(day: dt.date | None) -> dt.date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValueError(f"a day from {EARLIEST} to {LATEST}")
    return day


# Every date an API parameter takes: windows are counted back and forward from it (two years of
# targets, a week of movement, a year of right to know), so the first and last days a date can
# hold are refused at the door (400), not overflowed in a handler (500).
Day = Annotated[dt.date, AfterValidator(_within_calendar)]


# -- pagination ------------------------------------------------------------------------------------


class PageParams(BaseModel):
    limit: int = Field(50, ge=1, le=500, description="Items per page (at most 500)")
    offset: int = Field(0, ge=0, le=10_000_000, description="Items to skip")


async def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page (at most 500)")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]

# a table a user takes away, in the two forms their own tools read
ExportFormat = Annotated[Literal["csv", "xlsx"], Path(description="csv (UTF-8 with a BOM) or xlsx")]


async def search_page_params(
    limit: Annotated[int, Query(ge=1, le=50, description="Candidates per page (at most 50)")] = 10,
    offset: Annotated[int, Query(ge=0, le=40, description="Candidates to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


SearchPaging = Annotated[PageParams, Depends(search_page_params)]


def paginate(items: list, paging: PageParams, request: Request, total: int | None = None) -> dict:
    """One page of ``items`` (the whole list, or already the page when ``total`` is given)."""
    if total is None:
        total = len(items)
        items = items[paging.offset : paging.offset + paging.limit]
    nxt = None
    if paging.offset + paging.limit < total:
        nxt = str(request.url.include_query_params(offset=paging.offset + paging.limit, limit=paging.limit))
    return {"items": items, "total": total, "limit": paging.limit, "offset": paging.offset, "next": nxt}


# -- rate limits -----------------------------------------------------------------------------------


class RateLimiter:
    """Sliding one-minute window per account and bucket, in process memory."""

    def __init__(self) -> None:
        self._hits: dict[tuple[int, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, who: int, bucket: str, per_minute: int, count: bool = True) -> float | None:
        """None when allowed (and counted, unless ``count`` is false), else seconds until the next
        request is allowed."""
        if per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault((who, bucket), deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= per_minute:
                return max(0.0, 60 - (now - hits[0]))
            if count:
                hits.append(now)
        return None

    def hit(self, who: int, bucket: str) -> None:
        """Count one event without checking (e.g. a failed sign-in)."""
        with self._lock:
            self._hits.setdefault((who, bucket), deque()).append(time.monotonic())


class RateLimited:
    """Dependency limiting an expensive route family (search) per account."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    async def __call__(self, request: Request) -> None:
        state, principal = app_state(request), await caller(request)
        wait = state.limiter.check(principal.id, self.bucket, state.settings.search_per_minute)
        if wait is not None:
            raise ProblemError(
                429,
                f"at most {state.settings.search_per_minute} {self.bucket} requests a minute",
                "rate-limited",
                headers={"Retry-After": str(int(wait) + 1)},
            )
