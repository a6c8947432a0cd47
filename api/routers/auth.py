"""Authentication: the OAuth2 password flow and the caller's own account."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import security
from api.auth.users import authenticate, user_dict
from api.deps import CurrentPrincipal, app_state
from api.models import Account, Token
from api.problems import ProblemError, problem_responses
from api.routing import AuditedRoute
from api.store.db import User

router = APIRouter(prefix="/auth", tags=["auth"], route_class=AuditedRoute)
LOGINS_PER_MINUTE = 10


@router.post(
    "/token",
    response_model=Token,
    responses=problem_responses(401, 429),
    summary="Exchange a name and password for a short-lived bearer token",
)
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """OAuth2 password flow. Tokens last minutes; ten failed attempts a minute lock a name out."""
    state = app_state(request)
    bucket = "login:" + hashlib.sha256(form.username.encode()).hexdigest()[:16]
    if state.limiter.check(0, bucket, LOGINS_PER_MINUTE, count=False) is not None:
        raise ProblemError(
            429,
            "too many sign-in attempts for this name: wait a minute",
            "rate-limited",
            headers={"Retry-After": "60"},
        )
    user = authenticate(state.sessions, form.username, form.password)
    if user is None:
        state.limiter.hit(0, bucket)  # only failures count towards the lock-out
        raise ProblemError(401, "wrong name or password", "unauthenticated", headers={"WWW-Authenticate": "Bearer"})
    text, seconds = security.issue_token(
        state.settings.jwt_key, user.id, user.role, user.token_version, state.settings.token_minutes
    )
    return Token(access_token=text, expires_in=seconds)


@router.get("/me", response_model=Account, responses=problem_responses(401), summary="The caller's account")
def me(request: Request, principal: CurrentPrincipal) -> Account:
    with app_state(request).sessions() as session:
        user = session.get(User, principal.id)
        return Account(**user_dict(user))
