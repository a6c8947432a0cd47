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

from api.auth.users import UserError, create_user, issue_api_key, resolve_forces, user_dict
from api.deps import Alter, Caller, Collect, Combine, Paging, app_state, paginate, require_roles
from api.jobs.service import job_out, submit
from api.models import Account, JobOut, Page
from api.policy.roles import Role
from api.policy.routing import AuditedRoute
from api.problems import ProblemError, problem_responses
from api.store.db import ApiKey, Job, Upload, User, utcnow

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.admin))],
    responses=problem_responses(401, 403),
)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


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


class IngestRequest(BaseModel):
    upload_ids: list[str] = Field(min_length=1, max_length=100)
    profile: Literal["rms-flat", "rms-relational", "court-orders"] | None = None


class PipelineRequest(BaseModel):
    upload_ids: list[str] = Field(default_factory=list, max_length=100)
    profile: Literal["rms-flat", "rms-relational", "court-orders"] | None = None


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
                sha256=hashlib.sha256("".join(u.sha256 for u in out).encode()).hexdigest(),
                uploaded_by=principal.name,
                uploaded_at=out[0].uploaded_at,
            )
        )
    audit.returned(count=len(out))
    return out


@router.get("/uploads", response_model=Page[UploadOut], summary="Extracts uploaded so far")
def uploads(request: Request, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        total = session.scalar(select(func.count()).select_from(Upload)) or 0
        rows = (
            session.execute(
                select(Upload).order_by(Upload.uploaded_at.desc(), Upload.id).offset(paging.offset).limit(paging.limit)
            )
            .scalars()
            .all()
        )
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
    return submit(app_state(request), "pipeline", body.model_dump(), principal.name)


@router.get("/jobs", response_model=Page[JobOut], summary="Jobs, newest first")
def jobs(request: Request, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        total = session.scalar(select(func.count()).select_from(Job)) or 0
        rows = (
            session.execute(
                select(Job).order_by(Job.created_at.desc(), Job.id).offset(paging.offset).limit(paging.limit)
            )
            .scalars()
            .all()
        )
        items = [job_out(j) for j in rows]
    return paginate(items, paging, request, total)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=problem_responses(404), summary="One job's status")
def job(request: Request, job_id: Annotated[str, Path(max_length=36)]) -> JobOut:
    with app_state(request).sessions() as session:
        row = session.get(Job, job_id)
        if row is None:
            raise ProblemError(404, "no such job", "not-found")
        return job_out(row)


# -- users ------------------------------------------------------------------------------------------


@router.get("/users", response_model=Page[Account], summary="Accounts")
def users(request: Request, paging: Paging) -> dict:
    with app_state(request).sessions() as session:
        total = session.scalar(select(func.count()).select_from(User)) or 0
        rows = session.execute(select(User).order_by(User.id).offset(paging.offset).limit(paging.limit)).scalars()
        items = [Account(**user_dict(u)) for u in rows]
    return paginate(items, paging, request, total)


@router.post(
    "/users",
    status_code=201,
    response_model=CreatedAccount,
    responses=problem_responses(400, 409),
    summary="Create an account (a generated password or API key is returned once)",
)
def add_user(request: Request, principal: Caller, body: NewUser) -> CreatedAccount:
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
            )
    except UserError as exc:
        status = 409 if "already exists" in str(exc) else 400
        raise ProblemError(status, str(exc), "bad-user") from exc
    return CreatedAccount(**created)


@router.patch(
    "/users/{user_id}",
    response_model=Account,
    responses=problem_responses(400, 404),
    summary="Change an account's role, forces or status (revokes its tokens)",
)
def change_user(
    request: Request,
    principal: Caller,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: UserChange,
) -> Account:
    with app_state(request).sessions.begin() as session:
        user = session.get(User, user_id)
        if user is None:
            raise ProblemError(404, "no such user", "not-found")
        if user.id == principal.id and (body.active is False or (body.role and body.role != Role.admin)):
            raise ProblemError(400, "an admin cannot disable or demote their own account", "bad-user")
        if body.role is not None:
            user.role = body.role.value
        if body.forces is not None:
            try:
                codes, named_national = resolve_forces(body.forces)
            except UserError as exc:
                raise ProblemError(400, str(exc), "bad-user") from exc
            user.forces = codes
            if named_national:
                user.national = True
        if body.national is not None:
            user.national = body.national
        if body.active is not None:
            user.active = body.active
        user.token_version += 1
        session.flush()
        return Account(**user_dict(user))


@router.post(
    "/users/{user_id}/api-keys",
    status_code=201,
    response_model=CreatedAccount,
    responses=problem_responses(400, 404),
    summary="Issue another API key to a service account",
)
def new_api_key(request: Request, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> CreatedAccount:
    with app_state(request).sessions.begin() as session:
        user = session.get(User, user_id)
        if user is None:
            raise ProblemError(404, "no such user", "not-found")
        if not user.service:
            raise ProblemError(400, "API keys are for service accounts", "bad-user")
        key = issue_api_key(session, user)
        return CreatedAccount(**user_dict(user), api_key=key)


@router.delete(
    "/users/{user_id}/api-keys",
    status_code=200,
    response_model=Account,
    responses=problem_responses(404),
    summary="Revoke every API key of an account",
)
def revoke_api_keys(request: Request, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Account:
    with app_state(request).sessions.begin() as session:
        user = session.get(User, user_id)
        if user is None:
            raise ProblemError(404, "no such user", "not-found")
        for key in session.execute(
            select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        ).scalars():
            key.revoked_at = utcnow()
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
