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


class Profile(BaseModel):
    """One person as an account may see them (``api.views.person``): analysts in full within their
    forces, DA teams without the people around them (victims are counts on their lists)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "person_id": "P000123",
                    "restricted": False,
                    "golden": {
                        "preferred_name": "David Hall",
                        "surname": "Hall",
                        "forenames": "David John",
                        "dob": "1984-03-12",
                        "sex": "M",
                    },
                    "name_variants": ["HALL, David", "David John Hall"],
                    "records": [
                        {
                            "record_key": "Northumbria/NOR00018472",
                            "source_system": "E23000007",
                            "force_code": "E23000007",
                            "force": "Northumbria Police",
                            "name_raw": "David John Hall",
                            "dob": "1984-03-12",
                            "pnc": None,
                            "source_file": "northumbria-rms.csv",
                            "source_line": 17,
                            "confidence": 0.998,
                            "decided_by": "model",
                            "model_version": "m1",
                        }
                    ],
                    "timeline": [
                        {
                            "event_id": "E23000007/NO/0003714/19",
                            "occurred_on": "2019-04-05",
                            "role": "suspect",
                            "force_code": "E23000007",
                            "force": "Northumbria Police",
                            "offence": "Assault occasioning ABH",
                            "ho_code": "8/1",
                            "offence_group": "violence_with_injury",
                            "da": True,
                            "gravity": 365.0,
                            "relationship": None,
                            "record_key": "Northumbria/NOR00018472",
                        }
                    ],
                    "relationships": [
                        {
                            "other_id": "P000456",
                            "other_name": "Elizabeth Hall",
                            "kind": "intimate",
                            "first_seen": "2019-04-05",
                            "last_seen": "2021-02-01",
                            "n_events": 3,
                        }
                    ],
                    "orders": [],
                    "addresses": [],
                    "elsewhere": [{"force_code": "E23000008", "force": "Durham", "count": 2}],
                }
            ]
        }
    )

    person_id: str
    restricted: bool = False
    held_by: list[ForceRef] = Field(default_factory=list)
    golden: dict[str, Any] | None = None
    name_variants: list[str] = Field(default_factory=list)
    records: list[dict[str, Any]] = Field(default_factory=list)
    timeline: list[dict[str, Any]] = Field(default_factory=list)
    relationships: list[dict[str, Any]] = Field(default_factory=list)
    orders: list[dict[str, Any]] = Field(default_factory=list)
    addresses: list[dict[str, Any]] = Field(default_factory=list)
    duties: list[dict[str, Any]] = Field(
        default_factory=list, description="bail periods, RUIs and notices as subject or protected person, with state"
    )
    elsewhere: list[ForceCount] = Field(default_factory=list)


SafeguardingName = Literal["bail", "notices", "gaps", "encompass"]
SAFEGUARDING = {  # each list's route summary
    "bail": "Safeguarding: pre-charge bail lapsed or due with no decision, beyond its authoriser's limit, "
    "into RUI without authority, RUI reviews overdue",
    "notices": "Safeguarding: DVPN/DAPN hearings due, late or missing; DVPO caseworker referrals late or missing",
    "gaps": "Safeguarding: orders and bail conditions ending with nothing following while the perpetrator is active",
    "encompass": "Safeguarding: children at DA incidents whose school was not told before the next school day",
}


class SafeguardingRow(BaseModel):
    """One duty whose clock has run out, is about to, or ran without authority, explained."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "bail",
                    "state": "lapsed_no_decision",
                    "due": "2025-06-26",
                    "days_over": 4,
                    "record_key": "Durham/custody/DUR/C/25/00142",
                    "subject_id": "P000123",
                    "subject_name": "David Hall",
                    "protected_id": None,
                    "force_code": "E23000008",
                    "force": "Durham Constabulary",
                    "rule": "PCB lapse: decision and rationale on lapse (NPCC rec. 3)",
                    "explanation": "bail period 1 ended 2025-06-26 with no recorded decision",
                    "source": "custody-2025-06-30.csv:143",
                    "fields": {"custody_ref": "DUR/C/25/00142", "regime": "2022"},
                }
            ]
        }
    )

    name: SafeguardingName = Field(description="the list: bail, notices, gaps or encompass")
    state: str = Field(description="which clock failed or runs: e.g. lapsed_no_decision, hearing_missing")
    due: str | None = Field(description="the date (or instant) it was or is due by")
    days_over: int | None = Field(None, description="days past due (negative: days left); bail only")
    record_key: str | None = Field(description="the custody, notice, order or event record it is about")
    subject_id: str | None = Field(description="the suspect, notice subject, respondent or child")
    subject_name: str | None = None
    protected_id: str | None = Field(None, description="the person a notice, order or bail condition protects")
    force_code: str | None = None
    force: str | None = None
    rule: str = Field(description="the rule that lists it")
    explanation: str = Field(description="which dates, which authority was missing")
    source: str | None = Field(None, description="extract file and line of the fact")
    fields: dict[str, str] = Field(description="every column of the list, as text")


class SafeguardingPage(Page[SafeguardingRow]):
    name: SafeguardingName
    as_of: dt.date
    force_code: str | None
