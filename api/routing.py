"""The route class of every router: personal-data routes write their s.62 record before answering.

A route is a personal-data route when it depends on :class:`api.deps.Audited`. For such a route
the handler's response is held until its audit record is committed; if the record cannot be
written the caller gets a 500 and no data. A request that fails (401, 403, 400 without purpose,
404, 429, 5xx) is logged as a refusal or error with whatever is known about the caller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import AuditContext, Principal
from api.policy import immigration, wall
from api.policy.audit import PURPOSE_WIDTH, REFERENCE_WIDTH, Entry, as_sent, not_kept
from api.problems import ProblemError

# Person ids as linkage makes them (linkage.cluster: 'P' and 12 hex digits). Every one an answer
# carries is named in its audit record, whichever field carried it (a related person, a network
# node, a candidate, a pair's other record): the record is built from the answer, not from what
# each route remembered to note.
PERSON_ID = re.compile(rb"(?<![A-Za-z0-9])P[0-9A-F]{12}(?![A-Za-z0-9])")
UNNAMED = ("/audit/",)  # the log itself: reading records is logged by count, not by every person they name


def people_in(body: bytes) -> set[str]:
    """The person ids an answer's body carries."""
    return {m.decode() for m in PERSON_ID.findall(body)}


def _find(dependant: Dependant, attr: str) -> Any:
    for dep in dependant.dependencies:
        value = getattr(dep.call, attr, None)
        if value is not None:
            return value
        found = _find(dep, attr)
        if found is not None:
            return found
    return None


def _status(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, ProblemError):
        return exc.status, exc.detail
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return 400, "the request is not valid: " + invalid_fields(exc)
    return 500, f"internal error: {type(exc).__name__}"


def invalid_fields(exc: RequestValidationError, most: int = 8) -> str:
    """Which parameters failed validation and how (``query.purpose: enum``), for the record of the
    refusal: never the values sent, each name bounded (a body's unknown key is the caller's text)."""
    def plain(part: object) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "?", str(part))[:40]

    errors = exc.errors()
    shown = [f"{'.'.join(plain(p) for p in e.get('loc', ()))}: {plain(e.get('type', ''))}" for e in errors[:most]]
    more = f" and {len(errors) - most} more" if len(errors) > most else ""
    return ", ".join(shown) + more


def _subject(answer: Any) -> dict:
    subject = answer.get("subject") if isinstance(answer, dict) else None
    return subject if isinstance(subject, dict) else {}


def walled(request: Request, response: Response, ctx: AuditContext | None) -> Response:
    """The answer with the professional-standards wall applied (:mod:`api.policy.wall`): a route
    about a walled person answers only that a record exists and who holds it; any other JSON answer
    has each object naming a walled id replaced so. Files apply it as they are made
    (:mod:`api.downloads`, the network chart). Every walled answer is logged as restricted."""
    hidden = ctx.hidden if ctx is not None else None
    if not hidden or response.status_code >= 400:
        return response
    route = request.scope.get("route")
    disclosure = getattr(route, "path", "").startswith("/disclosure")
    about = wall.opened(request.path_params, hidden)
    count = 0
    if about:
        body: Any = {**about, **wall.stub(hidden, about.values(), disclosure)}
        count = 1
    elif (response.media_type or "").startswith("application/json") and isinstance(response.body, bytes):
        answer = json.loads(response.body)
        body, count = wall.scrub(answer, hidden, disclosure)
        if _subject(body).get("restricted") and not _subject(answer).get("restricted"):
            body = body["subject"]  # an answer about a walled subject (a case's history) is walled whole
    if not count:
        return response
    assert ctx is not None
    ctx.outcome = "restricted"
    ctx.detail = f"{count} walled record(s) shown only as held elsewhere" + (f"; {ctx.detail}" if ctx.detail else "")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=response.status_code, headers=headers, media_type="application/json")


def entry_for(request: Request, operation: str, status: int, outcome: str, detail: str | None) -> Entry:
    """The log entry for this request from what the dependencies learnt about it."""
    ctx: AuditContext | None = getattr(request.state, "audit", None)
    principal: Principal | None = getattr(request.state, "principal", None)
    route = request.scope.get("route")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    entry = Entry(
        operation=operation,
        method=request.method,
        route=getattr(route, "path", request.url.path),
        path=path[:2000],
        outcome=outcome,
        status=status,
        detail=detail,
    )
    if principal is not None:
        entry.user_id, entry.user_name, entry.role = principal.id, principal.name, principal.role
        entry.forces = principal.scope.label()
    if ctx is not None:
        entry.purpose, entry.reference = ctx.purpose, ctx.reference
        entry.person_ids, entry.count, entry.recipients = sorted(ctx.person_ids), ctx.count, ctx.recipients
        if outcome == "ok":
            entry.outcome, entry.detail = ctx.outcome, ctx.detail
        elif ctx.refusal:
            entry.detail = f"{detail}; {ctx.refusal}" if detail else ctx.refusal
    if outcome != "ok":  # what the caller asked for, whether or not it got as far as Audited (422s do not)
        sent = {"purpose": (request.query_params.get("purpose"), PURPOSE_WIDTH),
                "reference": (request.query_params.get("reference"), REFERENCE_WIDTH)}
        entry.purpose, entry.reference = (as_sent(*sent["purpose"]), as_sent(*sent["reference"]))
        kept_out = not_kept(**sent)
        if kept_out:
            entry.detail = f"{entry.detail}; {kept_out}" if entry.detail else kept_out
    return entry


class AuditedRoute(APIRoute):
    """APIRoute that logs personal-data requests (see module docstring)."""

    @property
    def dots_operation(self) -> str | None:
        """The logged operation when this is a personal-data route, else None."""
        return _find(self.dependant, "dots_operation")

    @property
    def dots_justified(self) -> bool:
        """Whether the route requires a purpose and a reference (account administration does not)."""
        return _find(self.dependant, "dots_justified") is not False

    @property
    def dots_roles(self) -> tuple[str, ...] | None:
        """The roles allowed by the router's role check (None: any authenticated caller)."""
        return _find(self.dependant, "dots_roles")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        operation = self.dots_operation
        if operation is None:
            return handler
        named_elsewhere = self.path.startswith(UNNAMED)

        async def audited(request: Request) -> Response:
            log = request.app.state.dots.audit
            try:
                response = await handler(request)
            except Exception as exc:
                refused = immigration.refusal(request, exc)  # a purpose naming immigration enforcement
                status, detail = _status(refused or exc)
                outcome = "refused" if status < 500 else "error"
                await log.append_async(entry_for(request, operation, status, outcome, detail))
                if refused is not None:
                    raise refused from exc
                raise
            ctx = getattr(request.state, "audit", None)
            response = walled(request, response, ctx)
            status = response.status_code
            body = getattr(response, "body", None)
            if ctx is not None and status < 400 and isinstance(body, bytes) and not named_elsewhere:
                ctx.person_ids.update(people_in(body))
            entry = entry_for(request, operation, status, "ok" if status < 400 else "refused", None)
            rows = ctx.rows if ctx is not None and status < 400 else None
            await log.append_async(entry, rows)  # raises (-> 500, no data) if it cannot be written
            if ctx is not None:
                ctx.recorded = True
            return response

        return audited
