"""Admin: upload extracts, run ingest, resolution and graph load as background jobs, manage users.

Uploading and running the pipeline collect and combine personal data, so those routes carry a
purpose and reference and are logged like any other; user management concerns staff accounts.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.auth.users import UserError, beyond_scope, create_user, issue_api_key, resolve_forces, scope_label, user_dict
from api.deps import (
    Alter,
    AuditContext,
    Audited,
    Caller,
    Collect,
    Combine,
    Paging,
    Principal,
    app_state,
    paginate,
    require_roles,
)
from api.jobs.service import job_out, submit
from api.models import Account, JobOut, Page
from api.policy.roles import Operation, Role
from api.problems import ProblemError, problem_responses
from api.routing import AuditedRoute
from api.store.db import ApiKey, Job, Upload, User, upload_sha256, utcnow
from loaders.mapping import builtin_profiles

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.admin))],
    responses=problem_responses(401, 403),
)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120  # characters of an uploaded file's stored name


class UploadOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b6f…",
                    "filename": "northumbria-rms.csv",
                    "size": 482113,
                    "sha256": "9f2c…",
                    "uploaded_by": "admin",
                    "uploaded_at": "2024-11-25T10:00:00Z",
                }
            ]
        }
    )

    id: str
    filename: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: Any


# every built-in loader profile (custody, notices, referrals too), read from loaders/profiles
ProfileName = Literal[tuple(sorted(builtin_profiles()))]  # type: ignore[valid-type]


class IngestRequest(BaseModel):
    upload_ids: list[str] = Field(min_length=1, max_length=100)
    profile: ProfileName | None = None


class PipelineRequest(BaseModel):
    upload_ids: list[str] = Field(default_factory=list, max_length=100)
    profile: ProfileName | None = None


class NewUser(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "a.khan",
                    "role": "analyst",
                    "forces": ["Northumbria"],
                    "national": False,
                    "service": False,
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
    role: Role
    forces: list[str] = Field(default_factory=list, max_length=50, description="force names or ONS codes")
    national: bool = False
    service: bool = Field(False, description="service account: authenticates with an API key only")
    password: str | None = Field(
        None, min_length=12, max_length=256, description="omit to have one generated and returned once"
    )
    employee_ref: str | None = Field(
        None, max_length=200, description="the user's own workforce record, FORCE/REF: never consulted by the account"
    )


class CreatedAccount(Account):
    password: str | None = Field(None, description="generated password, shown once")
    api_key: str | None = Field(None, description="service account API key, shown once")


class UserChange(BaseModel):
    role: Role | None = None
    forces: list[str] | None = Field(None, max_length=50)
    national: bool | None = None
    active: bool | None = None


# -- uploads and jobs --------------------------------------------------------------------------------


@router.post(
    "/uploads",
    status_code=201,
    response_model=list[UploadOut],
    responses=problem_responses(400, 413),
    summary="Upload one extract (a file, or the files of one relational folder)",
)
def upload(
    request: Request,
    principal: Caller,
    audit: Collect,
    files: Annotated[list[UploadFile], File(description="CSV extract file(s) delivered together")],
) -> list[UploadOut]:
    state = app_state(request)
    upload_id = str(uuid.uuid4())
    folder = state.settings.uploads_dir / upload_id
    folder.mkdir(parents=True)
    out: list[UploadOut] = []
    limit = state.settings.upload_max_bytes
    try:
        for f in files:
            name = SAFE_NAME.sub("_", (f.filename or "extract.csv").rsplit("/", 1)[-1]).strip("._") or "extract.csv"
            if not name.lower().endswith(".csv"):
                raise ProblemError(400, "only .csv extracts may be uploaded", "bad-upload")
            if len(name) > MAX_NAME:  # a file system's limit is 255 bytes: keep the start and the extension
                name = name[: MAX_NAME - 4].rstrip("._") + name[-4:]
            target = folder / name
            if target.exists():
                raise ProblemError(400, f"two files named {name} in one upload", "bad-upload")
            digest, size = hashlib.sha256(), 0
            with target.open("wb") as fh:
                while chunk := f.file.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise ProblemError(413, f"an upload may be at most {limit} bytes", "too-large")
                    digest.update(chunk)
                    fh.write(chunk)
            out.append(
                UploadOut(
                    id=upload_id,
                    filename=name,
                    size=size,
                    sha256=digest.hexdigest(),
                    uploaded_by=principal.name,
                    uploaded_at=utcnow(),
                )
            )
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    with state.sessions.begin() as session:
        # one row per delivered extract; a relational folder's files share its id
        session.add(
            Upload(
                id=upload_id,
                filename=", ".join(u.filename for u in out)[:255],
                path=str(folder / out[0].filename),
                size=sum(u.size for u in out),
                sha256=upload_sha256([u.sha256 for u in out]),
                uploaded_by=principal.name,
                uploaded_at=out[0].uploaded_at,
            )
        )
    audit.returned(count=len(out))
    return out


def _colleagues(session: Any, principal: Principal) -> set[str] | None:
    """The accounts whose uploads and jobs an admin sees: those within its forces (as for
    ``/admin/users``); None for a national admin, who sees every one. A force's admin learns
    nothing of another force's deliveries (file names, sizes, who sent them, what a job found)."""
    if principal.national:
        return None
    return {
        u.name
        for u in session.execute(select(User)).scalars()
        if not beyond_scope(principal.forces, principal.national, list(u.forces or []), bool(u.national))
    }


def _own_uploads(request: Request, principal: Principal, upload_ids: list[str]) -> None:
    """404 for an upload sent by an account outside the admin's forces, as for one never sent."""
    if not upload_ids:
        return
    with app_state(request).sessions() as session:
        mine = _colleagues(session, principal)
        if mine is None:
            return
        held = session.execute(select(Upload.id, Upload.uploaded_by).where(Upload.id.in_(upload_ids))).all()
    others = sorted(i for i, by in held if by not in mine)
    if others:
        raise ProblemError(404, f"no such upload: {', '.join(others)[:200]}", "not-found")


def _newest_first(session: Any, principal: Principal, table: Any, owner: Any, at: Any, paging: Any) -> tuple:
    """One page of ``table``'s rows whose ``owner`` the admin sees (:func:`_colleagues`), newest
    first, and how many there are in all."""
    mine = _colleagues(session, principal)
    seen = select(table) if mine is None else select(table).where(owner.in_(mine))
    total = session.scalar(select(func.count()).select_from(seen.subquery())) or 0
    page = seen.order_by(at.desc(), table.id).offset(paging.offset).limit(paging.limit)
    return session.execute(page).scalars().all(), total


@router.get("/uploads", response_model=Page[UploadOut], summary="Extracts uploaded by accounts within your forces")
def uploads(request: Request, principal: Caller, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        rows, total = _newest_first(session, principal, Upload, Upload.uploaded_by, Upload.uploaded_at, paging)
        items = [UploadOut(**{k: getattr(u, k) for k in UploadOut.model_fields}) for u in rows]
    return paginate(items, paging, request, total)


@router.post(
    "/jobs/ingest",
    status_code=202,
    response_model=JobOut,
    responses=problem_responses(400, 404),
    summary="Ingest uploaded extracts into staging (background job)",
)
def job_ingest(
    request: Request,
    principal: Caller,
    body: IngestRequest,
    audit: Collect,
) -> JobOut:
    _own_uploads(request, principal, body.upload_ids)
    return submit(app_state(request), "ingest", body.model_dump(), principal.name)


@router.post(
    "/jobs/resolve",
    status_code=202,
    response_model=JobOut,
    responses=problem_responses(400),
    summary="Link person records into entities (background job)",
)
def job_resolve(
    request: Request,
    principal: Caller,
    audit: Combine,
) -> JobOut:
    return submit(app_state(request), "resolve", {}, principal.name)


@router.post(
    "/jobs/graph-load",
    status_code=202,
    response_model=JobOut,
    responses=problem_responses(400),
    summary="Write staged records and entities into the graph (background job)",
)
def job_graph_load(
    request: Request,
    principal: Caller,
    audit: Alter,
) -> JobOut:
    return submit(app_state(request), "graph_load", {}, principal.name)


@router.post(
    "/jobs/pipeline",
    status_code=202,
    response_model=JobOut,
    responses=problem_responses(400, 404),
    summary="Ingest (if uploads are named), resolve and load the graph in one job",
)
def job_pipeline(
    request: Request,
    principal: Caller,
    body: PipelineRequest,
    audit: Combine,
) -> JobOut:
    _own_uploads(request, principal, body.upload_ids)
    return submit(app_state(request), "pipeline", body.model_dump(), principal.name)


@router.get("/jobs", response_model=Page[JobOut], summary="Jobs of accounts within your forces, newest first")
def jobs(request: Request, principal: Caller, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        rows, total = _newest_first(session, principal, Job, Job.created_by, Job.created_at, paging)
        items = [job_out(j) for j in rows]
    return paginate(items, paging, request, total)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=problem_responses(404), summary="One job's status")
def job(request: Request, principal: Caller, job_id: Annotated[str, Path(max_length=36)]) -> JobOut:
    with app_state(request).sessions() as session:
        row = session.get(Job, job_id)
        mine = _colleagues(session, principal) if row is not None else None
        if row is None or (mine is not None and row.created_by not in mine):
            raise ProblemError(404, "no such job", "not-found")
        return job_out(row)


# -- users ------------------------------------------------------------------------------------------
# Account administration is logged as alteration (s.62), purpose and reference optional; refused
# attempts too (AuditedRoute). An admin works within its own forces; only a national admin grants
# national scope or another force's; no account changes its own role or scope.

Alteration = Annotated[AuditContext, Depends(Audited(Operation.alteration, justified=False))]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _forbid_beyond(principal: Principal, forces: list[str], national: bool) -> None:
    reason = beyond_scope(principal.forces, principal.national, forces, national)
    if reason:
        raise ProblemError(403, reason, "forbidden-scope")


def _target(session: Any, principal: Principal, user_id: int) -> User:
    """The account ``user_id``, when it lies within the admin's forces (403 otherwise)."""
    user = session.get(User, user_id)
    if user is None:
        raise ProblemError(404, "no such user", "not-found")
    if beyond_scope(principal.forces, principal.national, list(user.forces or []), bool(user.national)):
        raise ProblemError(403, "that account lies outside your forces", "forbidden-scope")
    return user


@router.get("/users", response_model=Page[Account], summary="Accounts within the admin's forces")
def users(request: Request, principal: Caller, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        rows = session.execute(select(User).order_by(User.id)).scalars().all()
        mine = [
            Account(**user_dict(u))
            for u in rows
            if not beyond_scope(principal.forces, principal.national, list(u.forces or []), bool(u.national))
        ]
    return paginate(mine, paging, request)


@router.post(
    "/users",
    status_code=201,
    response_model=CreatedAccount,
    responses=problem_responses(400, 409),
    summary="Create an account within your forces (a generated password or API key is returned once)",
)
def add_user(request: Request, principal: Caller, body: NewUser, audit: Alteration) -> CreatedAccount:
    try:
        codes, named_national = resolve_forces(body.forces)
    except UserError as exc:
        raise ProblemError(400, str(exc), "bad-user") from exc
    _forbid_beyond(principal, codes, body.national or named_national)
    try:
        with app_state(request).sessions.begin() as session:
            created = create_user(
                session,
                body.name,
                body.role.value,
                body.forces,
                body.password,
                national=body.national,
                service=body.service,
                created_by=principal.name,
                employee_ref=body.employee_ref,
            )
    except UserError as exc:
        status = 409 if "already exists" in str(exc) else 400
        raise ProblemError(status, str(exc), "bad-user") from exc
    audit.detail = (
        f"account {created['name']} (id {created['id']}) created: role {created['role']}, "
        f"scope {scope_label(created['forces'], created['national'])}" + (", service" if body.service else "")
    )
    return CreatedAccount(**created)


@router.patch(
    "/users/{user_id}",
    response_model=Account,
    responses=problem_responses(400, 404),
    summary="Change an account's role, forces or status within your forces (revokes its tokens)",
)
def change_user(request: Request, principal: Caller, user_id: UserId, body: UserChange, audit: Alteration) -> Account:
    with app_state(request).sessions.begin() as session:
        user = _target(session, principal, user_id)
        before = f"role {user.role}, scope {scope_label(user.forces, user.national)}, active {user.active}"
        if user.id == principal.id:
            if (body.role and body.role.value != user.role) or body.forces is not None or body.national is not None:
                raise ProblemError(403, "no account may change its own role or scope", "forbidden-self")
            if body.active is False:
                raise ProblemError(400, "an admin cannot disable their own account", "bad-user")
        forces, national = list(user.forces or []), bool(user.national)
        if body.forces is not None:
            try:
                forces, named_national = resolve_forces(body.forces)
            except UserError as exc:
                raise ProblemError(400, str(exc), "bad-user") from exc
            national = national or named_national
        if body.national is not None:
            national = body.national
        _forbid_beyond(principal, forces, national)
        if body.role is not None:
            user.role = body.role.value
        user.forces, user.national = forces, national
        if body.active is not None:
            user.active = body.active
        user.token_version += 1
        session.flush()
        after = f"role {user.role}, scope {scope_label(user.forces, user.national)}, active {user.active}"
        audit.detail = f"account {user.name} (id {user.id}) changed: {before} -> {after}"
        return Account(**user_dict(user))


@router.post(
    "/users/{user_id}/api-keys",
    status_code=201,
    response_model=CreatedAccount,
    responses=problem_responses(400, 404),
    summary="Issue another API key to a service account within your forces",
)
def new_api_key(request: Request, principal: Caller, user_id: UserId, audit: Alteration) -> CreatedAccount:
    with app_state(request).sessions.begin() as session:
        user = _target(session, principal, user_id)
        if not user.service:
            raise ProblemError(400, "API keys are for service accounts", "bad-user")
        key = issue_api_key(session, user)
        audit.detail = f"API key issued to account {user.name} (id {user.id})"
        return CreatedAccount(**user_dict(user), api_key=key)


@router.delete(
    "/users/{user_id}/api-keys",
    status_code=200,
    response_model=Account,
    responses=problem_responses(404),
    summary="Revoke every API key of an account within your forces",
)
def revoke_api_keys(request: Request, principal: Caller, user_id: UserId, audit: Alteration) -> Account:
    with app_state(request).sessions.begin() as session:
        user = _target(session, principal, user_id)
        revoked = 0
        for key in session.execute(
            select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        ).scalars():
            key.revoked_at = utcnow()
            revoked += 1
        audit.detail = f"{revoked} API key(s) of account {user.name} (id {user.id}) revoked"
        return Account(**user_dict(user))


# -- caches ------------------------------------------------------------------------------------------


class CacheStats(BaseModel):
    enabled: bool
    generation: int = Field(description="bumped when a graph load starts and ends (or the search index changes)")
    entries: int
    hits: int
    misses: int
    hit_ratio: float


class Caches(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "graph": {
                        "enabled": True,
                        "generation": 0,
                        "entries": 126350,
                        "hits": 9120,
                        "misses": 80,
                        "hit_ratio": 0.9913,
                    },
                    "prefill": {"filled": 126350, "people": 126350, "seconds": 12.9},
                    "searches": {
                        "enabled": True,
                        "generation": 1,
                        "entries": 2000,
                        "hits": 4000,
                        "misses": 2000,
                        "hit_ratio": 0.6667,
                    },
                }
            ]
        }
    )

    graph: CacheStats = Field(description="people's graph facts kept per graph load")
    prefill: dict[str, Any] = Field(description="the last fill of that cache from whole-graph reads")
    searches: CacheStats = Field(description="ranked candidate searches kept per search index and day")


@router.get("/caches", response_model=Caches, summary="What the server keeps per graph load (counts, no personal data)")
def caches(request: Request) -> dict:
    state = app_state(request)
    return {"graph": state.cache.stats(), "prefill": state.prefill.last, "searches": state.searches.stats()}
