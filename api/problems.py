"""Errors as RFC 9457 problem details (``application/problem+json``), and nothing more.

An error says what went wrong with the request, never what the data holds: validation errors
drop the offending input (which may be a name or an address the caller typed), and unexpected
failures say only that something failed, with an id to find the server log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"
log = logging.getLogger("dots.api")

TITLES = {
    308: "Permanent redirect",
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/purpose-required",
                    "title": "Bad request",
                    "status": 400,
                    "detail": "a purpose code and a case or occurrence reference are required",
                    "instance": "/analyst/persons/P1",
                }
            ]
        },
    )

    type: str = Field("about:blank", description="URI reference identifying the problem type")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ProblemError(Exception):
    """Raise anywhere to answer with a problem; ``kind`` becomes the ``type`` URI."""

    def __init__(
        self,
        status: int,
        detail: str,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.detail, self.kind, self.headers, self.extra = status, detail, kind, headers, extra


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        # the route template, never the path as typed: an error echoes nothing the caller sent
        "instance": getattr(request.scope.get("route"), "path", None),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    return {c: {"model": Problem, "description": TITLES.get(c, "Error"), "content": {PROBLEM: {}}} for c in codes}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, exc.kind, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(request, exc.status_code, detail, None, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem_response(request, 400, "the request is not valid", "invalid-request", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", incident, request.method, request.url.path)
        return problem_response(
            request, 500, f"an internal error occurred (incident {incident})", "internal", incident=incident
        )


class RejectNul:
    """ASGI middleware: a NUL character in the path, query or a JSON body is refused with 400.

    No field of this API has a use for one, and PostgreSQL cannot store one in text: refusing
    it at the door keeps it out of every query, record and log line."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bad = "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"").lower()
        headers = dict(scope.get("headers") or [])
        if not bad and headers.get(b"content-type", b"").startswith(b"application/json"):
            body, more, messages = b"", True, []
            while more:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False)
            bad = b"\x00" in body or b"\\u0000" in body

            async def replay() -> dict:
                return messages.pop(0) if messages else {"type": "http.request", "body": b"", "more_body": False}

            receive = replay
        if bad:
            body = json.dumps(
                {
                    "type": "/problems/invalid-request",
                    "title": "Bad request",
                    "status": 400,
                    "detail": "NUL characters are not accepted",
                    "instance": None,
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
