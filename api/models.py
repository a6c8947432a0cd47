"""Pydantic models at the edges shared by several routers (each router keeps its own too)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.policy.roles import Role

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: every list route answers with this envelope."""

    items: list[T]
    total: int = Field(description="Items in the whole list")
    limit: int
    offset: int
    next: str | None = Field(None, description="URL of the next page, if any")


class Token(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
                    "token_type": "bearer",
                    "expires_in": 900,
                }
            ]
        }
    )

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Account(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "name": "a.khan",
                    "role": "analyst",
                    "forces": ["E23000007"],
                    "national": False,
                    "service": False,
                    "active": True,
                    "created_at": "2024-11-25T10:00:00Z",
                    "created_by": "admin",
                }
            ]
        }
    )

    id: int
    name: str
    role: Role
    forces: list[str]
    national: bool
    service: bool
    active: bool
    created_at: dt.datetime
    created_by: str | None = None


class ForceRef(BaseModel):
    force_code: str
    force: str | None = None


class ForceCount(ForceRef):
    count: int


class Restricted(BaseModel):
    """What an account learns about people or events outside its forces."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "restricted": True,
                    "held_by": [{"force_code": "E23000008", "force": "Durham Constabulary"}],
                    "detail": "held by another force: ask its intelligence unit",
                }
            ]
        }
    )

    restricted: bool = True
    held_by: list[ForceRef]
    detail: str = "held by another force: ask its intelligence unit"


class JobOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5d1e…",
                    "kind": "ingest",
                    "status": "running",
                    "progress": 0.5,
                    "message": "ingesting upload 0b6f…",
                    "params": {"upload_ids": ["0b6f…"]},
                    "result": None,
                    "created_by": "admin",
                    "created_at": "2024-11-25T10:00:00Z",
                    "started_at": "2024-11-25T10:00:01Z",
                    "finished_at": None,
                }
            ]
        }
    )

    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float
    message: str | None
    params: dict
    result: dict | None
    created_by: str
    created_at: Any
    started_at: Any | None
    finished_at: Any | None


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
