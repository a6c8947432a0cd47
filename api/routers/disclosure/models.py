"""The disclosure router's request and response models (pydantic, with examples for the OpenAPI
document). A disclosure answer is made of typed fields: the history's events and orders carry
categories and codes, never a source's free text, and no address of anyone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models import ForceCount, Page
from reference.disclosable import CONDITIONS, OUTCOMES

SYSTEMS = ("PNC", "PND", "LOCAL", "VISOR", "MARAC", "OTHER_FORCE", "PARTNER_AGENCY", "DOTS")
Text = Annotated[str, Field(min_length=1, max_length=200)]
NOTE = "Decision support: what may be disclosed is decided by the officer and the forum."


class Applicant(BaseModel):
    name: Text
    contact: str | None = Field(None, max_length=200, description="how to reach them safely")
    is_person_at_risk: bool = Field(True, description="right to ask by A herself/himself, or by a third party")


class PersonAtRisk(BaseModel):
    name: Text
    dob: dt.date | None = None
    person_id: str | None = Field(None, max_length=64, description="resolved id, when known (right to know)")


class Subject(BaseModel):
    name: Text
    dob: dt.date | None = None
    age: int | None = Field(None, ge=16, le=110)
    place: str | None = Field(None, max_length=100, description="where they live or are known, as said")
    person_id: str | None = Field(None, max_length=64)


class CaseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "route": "ask",
                    "force": "Northumbria",
                    "reference": "NO/0012345/24",
                    "applicant": {
                        "name": "Jane Doe",
                        "contact": "mobile, after 6pm",
                        "is_person_at_risk": True,
                    },
                    "person_at_risk": {"name": "Jane Doe"},
                    "subject": {"name": "Dave Smith", "age": 40, "place": "Sunderland"},
                    "relationship": "current_partner",
                }
            ]
        }
    )

    route: Literal["ask", "know"] = Field(description="right to ask (applicant) or right to know (police)")
    force: str | None = Field(None, max_length=60, description="handling force (default: the account's only force)")
    reference: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._:-]*$")
    applicant: Applicant | None = Field(None, description="required for right to ask")
    person_at_risk: PersonAtRisk
    subject: Subject
    relationship: Literal["current_partner", "former_partner", "new_partner"]


class CaseChange(BaseModel):
    initial_contact_at: dt.datetime | None = None
    meeting_at: dt.datetime | None = None
    exceptional_circumstances: str | None = Field(None, max_length=2000)
    close: bool = False


class Clock(BaseModel):
    clock: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    state: Literal["running", "overdue", "met", "met_late"]
    hours_left: float | None


class CheckIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"system": "PNC", "searched_for": "David SMITH b. 1984, Sunderland", "result": "no_trace"}]
        }
    )

    system: Literal[SYSTEMS]  # type: ignore[valid-type]
    searched_for: str = Field(min_length=1, max_length=500)
    result: Literal["trace", "no_trace"]
    details: str | None = Field(None, max_length=4000)
    checked_at: dt.datetime | None = Field(None, description="when the check was made (default now)")


class CheckOut(CheckIn):
    id: int
    case_id: int
    checked_by: str
    checked_at: dt.datetime


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "disclose",
                    "forum": "DVDS decision forum 2024-06-20",
                    "rationale": "Pressing need: two previous partners assaulted; lawful, necessary, proportionate.",
                    "disclosed_info": "He has convictions for violence against two previous partners (2019, 2022).",
                    "disclosed_to": "Jane Doe (person at risk), in person, with safety plan",
                }
            ]
        }
    )

    decision: Literal["disclose", "no_disclosure"]
    rationale: str = Field(min_length=1, max_length=4000)
    forum: str | None = Field(None, max_length=500)
    disclosed_info: str | None = Field(None, max_length=4000, description="the exact words disclosed")
    disclosed_to: str | None = Field(None, max_length=200)
    disclosed_at: dt.datetime | None = None


class DecisionOut(DecisionIn):
    id: int
    case_id: int
    decided_by: str
    decided_at: dt.datetime
    disclosed_by: str | None


class CaseOut(BaseModel):
    id: int
    case_ref: str
    route: str
    force_code: str
    force: str | None
    reference: str | None
    status: str
    applicant: dict | None
    person_at_risk: dict
    subject: dict
    relationship: str
    subject_person_id: str | None
    opened_at: dt.datetime
    opened_by: str
    initial_contact_at: dt.datetime | None
    meeting_at: dt.datetime | None
    closed_at: dt.datetime | None
    exceptional_circumstances: str | None
    clocks: list[Clock]
    checks: list[CheckOut] | None = None
    decisions: list[DecisionOut] | None = None


class SubjectChoice(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)


class Candidate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rank": 1,
                    "person_id": "P000123",
                    "name": "David John HALL",
                    "dob": "1984-03-12",
                    "record_key": "Northumbria/NOR00018472",
                    "probability": 0.97,
                    "match_weight": 5.1,
                    "match_key": "+NAME~ +AGE +PLACE",
                    "fields": [{"comparison": "forename", "level": "nickname", "weight": 4.6}],
                    "held_by": [{"force_code": "E23000007", "force": "Northumbria Police"}],
                    "restricted": False,
                },
                {
                    "rank": 2,
                    "restricted": True,
                    "probability": 0.41,
                    "match_key": "+NAME -AGE",
                    "held_by": [{"force_code": "E23000008", "force": "Durham Constabulary"}],
                },
            ]
        }
    )

    rank: int
    restricted: bool = False
    person_id: str | None = None
    name: str | None = None
    dob: str | None = None
    record_key: str | None = None
    probability: float
    match_weight: float | None = None
    match_key: str | None = None
    fields: list[dict[str, Any]] = Field(default_factory=list, description="evidence for and against, per field")
    held_by: list[dict[str, Any]] = Field(default_factory=list)


class CandidatePage(Page[Candidate]):
    searched_for: dict[str, Any]
    note: str = "Candidates are assessments: the officer decides who the subject is (POST …/subject)."


class Provenance(BaseModel):
    record_key: str
    source_system: str | None = None
    force_code: str | None = None
    source_file: str | None = Field(None, description="the extract's file name (no server path)")
    source_line: int | None = None


class HistoryEvent(BaseModel):
    """One domestic abuse event with the subject as suspect, as typed facts."""

    event_id: str
    occurred_on: dt.date | None = None
    force_code: str | None = None
    force: str | None = None
    ho_code: str | None = Field(None, description="Home Office classification, e.g. 8/1")
    offence: str = Field(description="the offence as the Home Office classification names it, else its group")
    offence_group: str | None = None
    is_crime: bool | None = None
    outcome: str | None = Field(None, description=f"outcome category, when one is recorded: {', '.join(OUTCOMES)}")
    event_record_keys: list[str] = Field(default_factory=list)
    provenance: list[Provenance] = Field(default_factory=list)


class HistoryOrder(BaseModel):
    """One order against the subject, as typed facts: its conditions as categories, never as text."""

    order_id: str
    order_type: str | None = None
    court: str | None = None
    issued_by: str | None = Field(None, description="court or police")
    made_on: dt.date | None = None
    expires_on: dt.date | None = None
    until_further_order: bool | None = None
    power_of_arrest: bool | None = None
    active: bool | None = None
    condition_categories: list[str] = Field(
        default_factory=list,
        description="what the conditions forbid or require, without the place or person: " + ", ".join(CONDITIONS),
    )
    breaches: int = Field(0, description="possible breaches: the subject's events while the order was active")
    breach_event_ids: list[str] = Field(default_factory=list)
    record_keys: list[str] = Field(default_factory=list)


class HistorySubject(BaseModel):
    person_id: str
    name: str | None = None
    dob: dt.date | None = None
    sex: str | None = None


class History(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": 12,
                    "as_of": "2024-06-30",
                    "subject": {"person_id": "P000123", "name": "David Smith", "dob": "1984-03-12", "sex": "M"},
                    "history": [
                        {
                            "event_id": "E23000007/NO/0003714/19",
                            "occurred_on": "2019-04-05",
                            "force_code": "E23000007",
                            "force": "Northumbria Police",
                            "ho_code": "8/1",
                            "offence": "Assault occasioning actual bodily harm",
                            "offence_group": "violence_with_injury",
                            "is_crime": True,
                            "outcome": "charged",
                            "event_record_keys": ["E23000007/NO/0003714/19"],
                            "provenance": [
                                {
                                    "record_key": "Northumbria/NOR00018472",
                                    "source_system": "E23000007",
                                    "force_code": "E23000007",
                                    "source_file": "northumbria-rms.csv",
                                    "source_line": 17,
                                }
                            ],
                        }
                    ],
                    "orders": [
                        {
                            "order_id": "FC2023001",
                            "order_type": "NON_MOLESTATION",
                            "court": "Sunderland Family Court",
                            "issued_by": "court",
                            "made_on": "2023-10-01",
                            "expires_on": "2025-09-30",
                            "until_further_order": False,
                            "power_of_arrest": True,
                            "active": True,
                            "condition_categories": ["no_contact", "not_to_attend_address"],
                            "breaches": 1,
                            "breach_event_ids": ["E23000007/NO/0000003/24"],
                            "record_keys": ["FC2023001"],
                        }
                    ],
                    "previous_partners": 2,
                    "victims": 2,
                    "elsewhere": [],
                    "note": NOTE,
                }
            ]
        }
    )

    case_id: int
    as_of: dt.date
    subject: HistorySubject | None
    restricted: bool = False
    held_by: list[dict[str, Any]] = Field(default_factory=list)
    history: list[HistoryEvent] = Field(default_factory=list)
    orders: list[HistoryOrder] = Field(default_factory=list)
    previous_partners: int | None = None
    victims: int | None = None
    elsewhere: list[ForceCount] = Field(default_factory=list)
    note: str = NOTE


class RtkCandidate(BaseModel):
    candidate_id: str = Field(description="the person who may be at risk")
    candidate_name: str | None
    perpetrator_id: str
    perpetrator_name: str | None
    basis: list[str] = Field(description="recent_event_as_partner, protected_by_new_order, shared_address")
    evidence: list[str] = Field(description="event, order or address ids behind the basis")
    serial: bool
    high_harm: bool
    partners_harmed: int
    harm: float
