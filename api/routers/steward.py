"""Data stewards: the review queue of uncertain record pairs, each pair side by side with the
evidence for and against, decisions (same / not same / unsure), merges and splits, and history.

Decisions go to the linkage store's decision log (``LinkageStore.record_person_decision``), which every later
resolution run honours as must-link / cannot-link constraints; ``POST /steward/apply`` queues that
run (and the graph load) so the decisions show everywhere.

The professional-standards wall (:mod:`api.policy.wall`) holds here as everywhere: the pairs of walled
people and of workforce records are professional standards' to steward, through these same routes and
the same decision log (within their forces; national oversight nationally), and theirs only. A data
steward sees such a pair in the queue as a stub naming who holds it, and opening or deciding it
answers as a record that does not exist would (404, the walled person named in the s.62 record).
The address, order and incident desk (``/steward/entities``) holds the same way: a walled person's
incident, order or home is professional standards' to decide (:class:`EntityDesk`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from api.deps import (
    Alter,
    AuditContext,
    Combine,
    Consult,
    Paging,
    app_state,
    linkage_outputs,
    paginate,
    require_roles,
    wall_of,
)
from api.jobs.service import submit
from api.models import JobOut, Page
from api.policy import wall
from api.policy.frames import native
from api.policy.roles import Role
from api.policy.scope import Scope
from api.policy.wall import Hidden
from api.problems import ProblemError, problem_responses
from api.routing import AuditedRoute
from api.store.db import StewardDecision, utcnow
from api.views.search import LOCATION_COMPARISONS
from reference.forces import force_name

router = APIRouter(
    prefix="/steward",
    tags=["steward"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.data_steward, Role.professional_standards))],
    responses=problem_responses(400, 401, 403, 404),
)

RecordKey = Annotated[
    str,
    Query(min_length=1, max_length=200, description="person record key", examples=["Northumbria/NOR00018472"]),
]
MAX_SPLIT_PAIRS = 2500
RECORD_FIELDS = [
    "record_key",
    "force_code",
    "source_system",
    "surname_disp",
    "forenames_disp",
    "dob",
    "sex",
    "postcodes",
    "address",
    "pnc",
    "first_seen",
    "last_seen",
]


def _frames(request: Request) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    outputs = linkage_outputs(request)
    if not outputs.resolved():
        raise ProblemError(404, "no resolution output yet: run resolution first", "not-resolved")
    return outputs.pairs(), outputs.entities(), outputs.records()


def _scope(audit: AuditContext) -> Scope:
    assert audit.principal is not None
    return audit.principal.scope


def _record_force(records: pd.DataFrame) -> pd.Series:
    return records.set_index("record_key")["force_code"]


# -- the wall on the desk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """What the professional-standards wall means on the steward desk for one caller."""

    hidden: Hidden  # what the caller may neither see nor decide (wall.steward_hidden)
    held: Hidden  # professional standards' pairs: walled people, their records, every workforce record
    own: Hidden  # the caller's own record and those they are party to (never opened, whatever the role)
    psd: bool  # a professional_standards account: it stewards the held pairs, and only those

    def check(self, audit: AuditContext, keys: list[str], people: list[str], what: str = "record") -> None:
        """Refuse what this caller may not open or decide: their own record or one they are party
        to (403, as everywhere); a walled one, to anyone but the professional standards holding it,
        exactly as a record that does not exist is refused (404: a guessed workforce key learns
        nothing), naming the walled people in the s.62 record only; for professional standards, a
        pair that is no one's in the workforce and walls no one (403: the data stewards' work)."""
        ks, ps = set(keys), {p for p in people if p}
        if ks & self.own.records or ps & self.own.people:
            raise ProblemError(403, "no one consults their own record or a record they are party to",
                               "self-consultation")
        if ks & self.hidden.records or ps & self.hidden.people:
            audit.returned(ps)
            audit.refusal = "walled: held by professional standards"
            raise ProblemError(404, f"no such {what}", "not-found")

    def check_held(self, keys: list[str], people: list[str]) -> None:
        """Professional standards decide the held pairs only (after the record checks)."""
        if self.psd and not (set(keys) & self.held.records or set(people) & self.held.people):
            raise ProblemError(403, "professional standards steward the records of the workforce and of walled "
                               "people only: this is the data stewards' work", "forbidden")


def _desk(request: Request, audit: AuditContext) -> Desk:
    """The caller's desk; its answer is scrubbed with what the desk hides (api.routing)."""
    principal = audit.principal
    assert principal is not None
    found, g = wall_of(request)
    own = wall.own_hidden(found, g, principal.employee_ref) if found is not wall.EMPTY else Hidden()
    hidden = wall.steward_hidden(found, principal.role, principal.forces, principal.national, own)
    audit.hidden = hidden
    return Desk(hidden, found.hidden(), own, wall.sees_through(principal.role))


def _either(frame: pd.DataFrame, ids: frozenset[str]) -> np.ndarray:
    """Which review pairs name one of ``ids`` on either side."""
    return frame[["record_key_l", "record_key_r"]].isin(list(ids)).any(axis=1).to_numpy(dtype=bool)


# -- queue ------------------------------------------------------------------------------------------


class QueueItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "record_key_l": "Durham/DUR00000012",
                    "record_key_r": "Northumbria/NOR00018472",
                    "match_weight": 3.2,
                    "probability": 0.71,
                    "match_key": "+NAME~ +DOB -POSTCODE",
                    "uncertainty": 0.58,
                    "impact": 7.0,
                    "relevance": 3,
                    "priority": 7.58,
                    "cross_force": True,
                    "person_id_l": "P000045",
                    "person_id_r": "P000123",
                    "previous_decision": None,
                }
            ]
        }
    )

    record_key_l: str
    record_key_r: str
    match_weight: float
    probability: float
    match_key: str | None
    uncertainty: float = Field(description="1 at probability 0.5, 0 at 0 or 1")
    impact: float = Field(description="records the decision joins or keeps apart (both people's records)")
    relevance: int = Field(0, description="domestic abuse events and orders the two people are in (counterparts)")
    priority: float = Field(
        description="uncertainty × (1 + ln(1 + impact)) × (1 + ln(1 + relevance)) × (2 if across sources): the order"
    )
    cross_force: bool
    person_id_l: str | None
    person_id_r: str | None
    previous_decision: str | None = Field(description="'unsure' when a steward has already looked")


class QueuePage(Page[QueueItem]):
    elsewhere: int = Field(0, description="pairs needing review that involve other forces' records")


def _latest_decisions(request: Request) -> pd.DataFrame:
    return linkage_outputs(request).person_decisions()


@router.get("/queue", response_model=QueuePage, summary="Pairs to review, most uncertain and most consequential first")
def queue(request: Request, audit: Consult, paging: Paging) -> dict:
    outputs = linkage_outputs(request)
    _, entities, records = _frames(request)
    scope = _scope(audit)
    desk = _desk(request, audit)
    # linkage ranks the queue and keeps it within the team's budget (linkage/review.py)
    review = outputs.review().copy()
    decided = _latest_decisions(request)
    prev = {(r.record_key_l, r.record_key_r): r.decision for r in decided.itertuples()}
    review["previous_decision"] = [
        prev.get((a, b)) for a, b in zip(review["record_key_l"], review["record_key_r"], strict=True)
    ]
    review = review[review["previous_decision"].isna() | (review["previous_decision"] == "unsure")]
    if desk.psd:  # professional standards' queue: the workforce's and walled people's pairs
        review = review[_either(review, desk.held.records)]
    force = _record_force(records)
    fl, fr = review["record_key_l"].map(force), review["record_key_r"].map(force)
    seen = np.array(
        [scope.national or (scope.sees(native(a)) and scope.sees(native(b))) for a, b in zip(fl, fr, strict=True)],
        dtype=bool,
    )
    if desk.psd:  # held by another force's professional standards: elsewhere, not a stub
        seen &= ~_either(review, desk.hidden.records)
    hidden = int(len(review) - sum(seen))
    review = review[seen]
    review["cross_force"] = review["cross_source"].astype(bool)
    review["impact"] = review["records_touched"].astype(float)
    review = review.sort_values(
        ["previous_decision", "priority", "record_key_l", "record_key_r"],
        ascending=[True, False, True, True],
        na_position="first",
    )
    total = len(review)
    page = review.iloc[paging.offset : paging.offset + paging.limit]
    cols = list(QueueItem.model_fields)
    items = [{c: native(r.get(c)) for c in cols} for r in page.to_dict("records")]
    audit.returned([p for it in items for p in (it["person_id_l"], it["person_id_r"]) if p], len(items))
    return {**paginate(items, paging, request, total), "elsewhere": hidden}


# -- one pair ---------------------------------------------------------------------------------------


class PairDetail(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "record_key_l": "Durham/DUR00000012",
                    "record_key_r": "Northumbria/NOR00018472",
                    "left": {
                        "record_key": "Durham/DUR00000012",
                        "force": "Durham Constabulary",
                        "surname": "HALL",
                        "forenames": "Dave",
                        "dob": "1984-03-12",
                        "sex": "M",
                        "postcodes": "DH1 9BY",
                        "address": "",
                        "pnc": None,
                    },
                    "right": {
                        "record_key": "Northumbria/NOR00018472",
                        "force": "Northumbria Police",
                        "surname": "Hall",
                        "forenames": "David John",
                        "dob": "1984-12-03",
                        "sex": "M",
                        "postcodes": "NE1 4ST",
                        "address": "",
                        "pnc": None,
                    },
                    "explanation": {
                        "prior_weight": -9.1,
                        "match_weight": 3.2,
                        "probability": 0.71,
                        "match_key": "+NAME~ +DOB~ -POSTCODE",
                        "fields": [
                            {
                                "comparison": "forename",
                                "level": "nickname",
                                "weight": 4.1,
                                "cumulative_weight": -5.0,
                            }
                        ],
                        "decision": "review",
                        "decided_by": "model",
                    },
                    "history": [],
                }
            ]
        }
    )

    record_key_l: str
    record_key_r: str
    left: dict[str, Any]
    right: dict[str, Any]
    explanation: dict[str, Any]
    history: list[dict[str, Any]]
    entity_l: list[dict[str, Any]] = Field(
        default_factory=list, description="the other records already in the left record's entity (scoped)"
    )
    entity_r: list[dict[str, Any]] = Field(
        default_factory=list, description="the other records already in the right record's entity (scoped)"
    )
    person_id_l: str | None = Field(None, description="the person the left record is in now")
    person_id_r: str | None = Field(None, description="the person the right record is in now")
    linked: bool = Field(False, description="both records are already in one person")


def _record_view(records: pd.DataFrame, key: str, hidden: set[str] | None = None) -> dict[str, Any]:
    """One record as a steward compares it; its address and postcodes withheld when ``hidden``
    (the confidential records) holds it."""
    hit = records[records["record_key"] == key]
    if hit.empty:
        raise ProblemError(404, "no such record", "not-found")
    r = hit.iloc[0]
    out = {c: native(r.get(c)) for c in RECORD_FIELDS if c in r.index}
    out["surname"], out["forenames"] = out.pop("surname_disp", None), out.pop("forenames_disp", None)
    out["force"] = force_name(out.get("force_code")) or "court"
    for c in ("postcodes", "pnc"):
        if isinstance(out.get(c), list):
            out[c] = ";".join(map(str, out[c]))
    out["confidential"] = hidden is not None and key in hidden
    if out["confidential"]:
        out["address"] = out["postcodes"] = None
    return out


def _confidential(request: Request, entities: pd.DataFrame, records: pd.DataFrame, keys: list[str]) -> set[str]:
    """Which of ``keys`` hold a confidential address: confidential follows the person (linkage's
    ``confidential.parquet``), from the day a source first withheld their address. The review desk
    is no place for a refuge: stewards decide on names, dates of birth, identifiers and the
    explanation's postcode level, as every view but the recording force's analysts' does."""
    from linkage.confidential import follows

    people = linkage_outputs(request).confidential()
    if people is None or people.empty:
        return set()
    mine = records[records["record_key"].isin(keys)]
    person = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
    flagged = follows(mine["record_key"].map(person), mine["last_seen"], people)
    return set(mine.loc[flagged.to_numpy(dtype=bool), "record_key"].astype(str))


def _at_walled_home(records: pd.DataFrame, keys: list[str], hidden: Hidden) -> set[str]:
    """Which of ``keys`` give a walled person's home as their address (a lodger at an officer's):
    withheld from this caller as a confidential address is, the record itself still compared on its
    names, dates and identifiers (the wall decides which homes: :func:`api.policy.wall.named`)."""
    if not hidden.places:
        return set()
    mine = records[records["record_key"].isin(keys)]
    return {str(k) for k, a in zip(mine["record_key"], mine["address"], strict=True)
            if wall.named(a, frozenset(), hidden.places)}


def _entity_others(
    entities: pd.DataFrame, records: pd.DataFrame, scope: Scope, key: str, pair: set[str], hidden: set[str]
) -> list:
    """The other records of ``key``'s entity: shown when in scope, else only the holding force."""
    keys = _entity_keys(entities, key, pair)
    out = []
    for k in keys:
        view = _record_view(records, k, hidden)
        if scope.sees(view.get("force_code")):
            out.append({c: view.get(c) for c in ("record_key", "force", "surname", "forenames", "dob", "postcodes",
                                                 "confidential")})
        else:
            out.append({"restricted": True, "held_by": view["force"]})
    return out


def _unvalued(field: dict[str, Any], left: bool, right: bool) -> dict[str, Any]:
    """An explanation's field without the address it compared on a confidential side (its level
    and weight stay: they say whether the homes agreed, not where either is)."""
    if field.get("comparison") not in LOCATION_COMPARISONS:
        return field
    return {**field, **({"value_l": None} if left else {}), **({"value_r": None} if right else {})}


def _entity_keys(entities: pd.DataFrame, key: str, pair: set[str]) -> list[str]:
    """The other record keys of ``key``'s entity (none when the record is in no entity)."""
    pid = entities.loc[entities["record_key"] == key, "person_id"]
    if pid.empty:
        return []
    return sorted(set(entities.loc[entities["person_id"] == pid.iloc[0], "record_key"].astype(str)) - pair)


def _check_pair_scope(audit: AuditContext, *records: dict[str, Any]) -> None:
    scope = _scope(audit)
    for r in records:
        if not scope.sees(r.get("force_code")):
            raise ProblemError(403, f"record held by {force_name(r.get('force_code'))}", "forbidden-force")


@router.get("/pair", response_model=PairDetail, summary="Two records side by side with the evidence, field by field")
def pair(request: Request, left: RecordKey, right: RecordKey, audit: Consult) -> dict:
    from linkage.explain import explain_pair

    if left == right:
        raise ProblemError(400, "a pair needs two different records", "bad-parameter")
    _, entities, records = _frames(request)
    person = entities.set_index("record_key")["person_id"]
    desk = _desk(request, audit)
    desk.check(audit, [left, right], [person.get(left), person.get(right)])
    pair_keys = {left, right}
    shown = [left, right, *_entity_keys(entities, left, pair_keys), *_entity_keys(entities, right, pair_keys)]
    hidden = _confidential(request, entities, records, shown) | _at_walled_home(records, shown, desk.hidden)
    lv, rv = _record_view(records, left, hidden), _record_view(records, right, hidden)
    _check_pair_scope(audit, lv, rv)
    desk.check_held([left, right], [])
    try:
        explanation = explain_pair(app_state(request).settings.data_dir, left, right)
    except FileNotFoundError as exc:
        raise ProblemError(404, "the pair cannot be explained: run resolution again", "not-resolved") from exc
    except KeyError as exc:  # records newer than the last resolution run; anything else is a fault
        if "unknown record keys" not in str(exc):
            raise
        raise ProblemError(404, "the pair cannot be explained: run resolution again", "not-resolved") from exc
    explanation = {k: native(v) if not isinstance(v, list | dict) else v for k, v in explanation.items()}
    explanation["fields"] = [_unvalued(f, left in hidden, right in hidden) for f in explanation.get("fields", [])]
    history = _history(request, [left, right], exact_pair=True)
    audit.returned([person.get(left), person.get(right)], 2)
    return {
        "record_key_l": left,
        "record_key_r": right,
        "left": lv,
        "right": rv,
        "explanation": explanation,
        "history": history,
        "entity_l": _entity_others(entities, records, _scope(audit), left, pair_keys, hidden),
        "entity_r": _entity_others(entities, records, _scope(audit), right, pair_keys, hidden),
        "person_id_l": native(person.get(left)),
        "person_id_r": native(person.get(right)),
        "linked": person.get(left) is not None and person.get(left) == person.get(right),
    }


# -- decisions --------------------------------------------------------------------------------------


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "record_key_l": "Durham/DUR00000012",
                    "record_key_r": "Northumbria/NOR00018472",
                    "decision": "same",
                    "note": "Same PNC on custody record; DOB day/month swapped",
                }
            ]
        }
    )

    record_key_l: str = Field(min_length=1, max_length=200)
    record_key_r: str = Field(min_length=1, max_length=200)
    decision: Literal["same", "not_same", "unsure"]
    note: str | None = Field(None, max_length=2000)


class DecisionOut(BaseModel):
    id: int
    kind: str
    record_key_l: str
    record_key_r: str | None
    decision: str
    note: str | None
    person_ids: list[str]
    decided_by: str
    decided_at: Any


def _out(d: StewardDecision) -> dict:
    return {k: getattr(d, k) for k in DecisionOut.model_fields}


def _save(
    request: Request,
    audit: AuditContext,
    kind: str,
    pairs: list[tuple[str, str]],
    decision: str,
    note: str | None,
    person_ids: list[str],
    rows_decision: str | None = None,
) -> dict:
    assert audit.principal is not None
    outputs = linkage_outputs(request)
    for a, b in pairs:
        outputs.record_person_decision(a, b, decision, audit.principal.name, note or "")
    with app_state(request).sessions.begin() as session:
        row = StewardDecision(
            kind=kind,
            record_key_l=pairs[0][0],
            record_key_r=pairs[0][1] if kind == "pair" else None,
            decision=rows_decision or decision,
            note=note,
            person_ids=person_ids,
            decided_by=audit.principal.name,
            decided_at=utcnow(),
        )
        session.add(row)
        session.flush()
        out = _out(row)
    audit.returned(person_ids, len(pairs))
    return out


@router.post(
    "/decisions",
    status_code=201,
    response_model=DecisionOut,
    summary="Decide a pair: same, not same or unsure (honoured on every later run)",
)
def decide(request: Request, body: DecisionIn, audit: Combine) -> dict:
    if body.record_key_l == body.record_key_r:
        raise ProblemError(400, "a pair needs two different records", "bad-parameter")
    _, entities, records = _frames(request)
    person = entities.set_index("record_key")["person_id"]
    keys = [body.record_key_l, body.record_key_r]
    desk = _desk(request, audit)
    desk.check(audit, keys, [person.get(k) for k in keys])
    _check_pair_scope(audit, _record_view(records, body.record_key_l), _record_view(records, body.record_key_r))
    desk.check_held(keys, [])
    ids = sorted({str(person.get(k)) for k in (body.record_key_l, body.record_key_r) if person.get(k)})
    return _save(request, audit, "pair", [(body.record_key_l, body.record_key_r)], body.decision, body.note, ids)


class MergeIn(BaseModel):
    person_ids: list[str] = Field(min_length=2, max_length=10, description="entities that are one person")
    note: str | None = Field(None, max_length=2000)


def _entity_records(
    entities: pd.DataFrame, records: pd.DataFrame, audit: AuditContext, pid: str, desk: Desk
) -> list[str]:
    """The records of person ``pid`` this caller may steward (a workforce record hidden from it is
    left out, as if it did not exist)."""
    desk.check(audit, [], [pid], "person")
    keys = sorted(entities.loc[entities["person_id"] == pid, "record_key"].astype(str))
    keys = [k for k in keys if k not in desk.hidden.records]
    if not keys:
        raise ProblemError(404, "no such person", "not-found")
    force = _record_force(records)
    scope = _scope(audit)
    if not all(scope.sees(native(force.get(k))) for k in keys):
        raise ProblemError(403, "the person has records held by other forces", "forbidden-force")
    return keys


@router.post(
    "/merge",
    status_code=201,
    response_model=DecisionOut,
    summary="Merge entities: a must-link between each pair of them",
)
def merge(request: Request, body: MergeIn, audit: Combine) -> dict:
    _, entities, records = _frames(request)
    ids = sorted(set(body.person_ids))
    if len(ids) < 2:
        raise ProblemError(400, "name two or more different people", "bad-parameter")
    desk = _desk(request, audit)
    firsts = [_entity_records(entities, records, audit, pid, desk)[0] for pid in ids]
    desk.check_held([], ids)
    pairs = list(combinations(firsts, 2))
    return _save(request, audit, "merge", pairs, "same", body.note, ids, "merge")


class SplitIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=64)
    record_keys: list[str] = Field(min_length=1, max_length=50, description="records that are someone else")
    note: str | None = Field(None, max_length=2000)


@router.post(
    "/split",
    status_code=201,
    response_model=DecisionOut,
    summary="Split records off an entity: a cannot-link between them and the rest",
)
def split_entity(
    request: Request, body: SplitIn, audit: Alter
) -> dict:
    _, entities, records = _frames(request)
    desk = _desk(request, audit)
    keys = _entity_records(entities, records, audit, body.person_id, desk)
    desk.check_held([], [body.person_id])
    off = sorted(set(body.record_keys))
    if not set(off) <= set(keys):
        raise ProblemError(400, "every record to split off must belong to the person", "bad-parameter")
    rest = [k for k in keys if k not in off]
    if not rest:
        raise ProblemError(400, "leave at least one record with the person", "bad-parameter")
    pairs = [(a, b) for a in off for b in rest]
    if len(pairs) > MAX_SPLIT_PAIRS:
        raise ProblemError(400, "split in smaller steps", "bad-parameter")
    return _save(request, audit, "split", pairs, "not_same", body.note, [body.person_id], "split")


def _history(request: Request, keys: list[str], exact_pair: bool = False) -> list[dict]:
    with app_state(request).sessions() as session:
        q = select(StewardDecision)
        if exact_pair:
            a, b = sorted(keys)
            q = q.where(
                or_(
                    (StewardDecision.record_key_l == a) & (StewardDecision.record_key_r == b),
                    (StewardDecision.record_key_l == b) & (StewardDecision.record_key_r == a),
                )
            )
        return [_out(d) for d in session.execute(q.order_by(StewardDecision.id.desc()).limit(100)).scalars()]


@router.get("/decisions", response_model=Page[DecisionOut], summary="Decision history, newest first")
def decisions(
    request: Request,
    audit: Consult,
    paging: Paging,
    record_key: Annotated[str | None, Query(max_length=200)] = None,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict:
    q = select(StewardDecision)
    if record_key:
        q = q.where(or_(StewardDecision.record_key_l == record_key, StewardDecision.record_key_r == record_key))
    with app_state(request).sessions() as session:
        found = [_out(d) for d in session.execute(q.order_by(StewardDecision.id.desc())).scalars()]
    if person_id:
        found = [d for d in found if person_id in d["person_ids"]]
    desk = _desk(request, audit)
    if desk.psd:  # professional standards' history: their pairs
        found = [d for d in found if {d["record_key_l"], d["record_key_r"]} & desk.held.records
                 or set(d["person_ids"]) & desk.held.people]
    scope = _scope(audit)
    if not scope.national:
        outputs = linkage_outputs(request)
        found = _decisions_in_scope(outputs.entities(), outputs.records(), scope, found) if outputs.resolved() else []
    out = paginate(found, paging, request)
    audit.returned([p for d in out["items"] for p in d["person_ids"]], len(out["items"]))
    return out


def _decisions_in_scope(entities: pd.DataFrame, records: pd.DataFrame, scope: Scope, found: list[dict]) -> list[dict]:
    """The decisions a force-scoped steward may read: every record each names, and every record of
    every person it names, is held by the steward's forces (as a pair, merge or split must be to be
    decided). Their notes and record keys are that force's data; a record no longer known is not."""
    force = _record_force(records)
    ids = {p for d in found for p in d["person_ids"]}
    mine = entities[entities["person_id"].isin(ids)]
    keys_of = mine.groupby("person_id")["record_key"].agg(list).to_dict() if len(mine) else {}

    def readable(d: dict) -> bool:
        keys = {k for k in (d["record_key_l"], d["record_key_r"]) if k}
        keys |= {str(k) for p in d["person_ids"] for k in keys_of.get(p, [])}
        return all(k in force.index and scope.sees(native(force.get(k))) for k in keys)

    return [d for d in found if readable(d)]


@router.post(
    "/apply",
    status_code=202,
    response_model=JobOut,
    summary="Run resolution and the graph load so decisions take effect (background job)",
)
def apply(request: Request, audit: Combine) -> JobOut:
    assert audit.principal is not None
    state = app_state(request)
    with state.sessions() as session:
        n = session.scalar(select(func.count()).select_from(StewardDecision)) or 0
    audit.returned(count=n)
    return submit(state, "pipeline", {}, audit.principal.name)


# -- addresses, orders, incidents and breaches --------------------------------------------------------
EntityKind = Literal["address", "order", "event", "breach"]
EntityKey = Annotated[str, Query(min_length=1, max_length=200, description="key as shown in the entity queue")]


class EntityPairOut(BaseModel):
    kind: str
    key_l: str | None = Field(None, description="absent on a restricted pair")
    key_r: str | None = None
    restricted: bool = Field(False, description="a walled incident, order or home: only who holds it is said")
    held_by: list[dict[str, Any]] | None = None
    probability: float | None = None
    weight: float | None = None
    match_key: str | None = None
    previous_decision: str | None = None


class EntityDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: EntityKind
    key_l: str = Field(min_length=1, max_length=200)
    key_r: str = Field(min_length=1, max_length=200)
    decision: Literal["same", "not_same", "unsure"]
    note: str | None = Field(None, max_length=2000)


class EntityDecisionOut(BaseModel):
    kind: str
    key_l: str
    key_r: str
    decision: str
    decided_by: str


def _national_steward(audit: AuditContext) -> None:
    """Addresses, court orders and cross-force incidents are not held by one force: national review."""
    if not _scope(audit).national:
        raise ProblemError(403, "reviewing address, order and incident matches needs a national account", "forbidden")


@dataclass(frozen=True)
class EntityDesk:
    """The wall on the entity desk for one caller: which walled incidents, orders and addresses
    (graph ids) an entity pair stands for, and what the caller may do with it. A walled person's
    incident, order or home is professional standards' to decide (the force holding them; national
    oversight: all); data stewards see it as a stub and cannot open or decide it; no one opens their
    own (self-consultation)."""

    desk: Desk
    ids_of: Callable[[str, list[str]], set[str]]  # (kind, keys) -> the walled or own ids they stand for
    known: Callable[[str, list[str]], bool]  # (kind, keys) -> both keys are of the latest resolution
    people_of: Callable[[set[str]], set[str]]  # walled ids -> the walled people they are party to

    def classify(self, kind: str, keys: list[str]) -> tuple[str, set[str]]:
        """'own' (the caller is party to it), 'walled' (not the caller's to see), 'held' (a walled
        pair the caller decides: professional standards), 'ordinary' (anyone else's pair), with the
        walled ids it stands for."""
        ids = self.ids_of(kind, keys)
        d = self.desk
        if ids & _graph_ids(d.own):
            return "own", ids
        if ids & _graph_ids(d.hidden):
            return "walled", ids
        if ids & _graph_ids(d.held):
            return "held", ids
        return "ordinary", ids

    def check(self, audit: AuditContext, kind: str, keys: list[str], detail: str) -> None:
        """Refuse what this caller may not open or decide (as :meth:`Desk.check` on the person desk):
        their own (403), a walled pair not theirs (404, exactly as an unknown pair, the s.62 record
        naming the walled people and why), an ordinary pair to professional standards (403)."""
        if not self.desk.psd:
            _national_steward(audit)
        what, ids = self.classify(kind, keys)
        if what == "own":
            raise ProblemError(403, "no one consults their own record or a record they are party to",
                               "self-consultation")
        if what == "walled":
            audit.returned(self.people_of(ids))
            audit.refusal = f"walled: held by professional standards ({len(ids)} walled incident/order/address id(s))"
            raise ProblemError(404, detail, "not-found")
        if what == "held":
            audit.returned(self.people_of(ids))
        elif self.desk.psd and not self.known(kind, keys):
            raise ProblemError(404, detail, "not-found")  # an unknown pair is unknown to everyone alike
        elif self.desk.psd:
            raise ProblemError(403, "professional standards decide the matches of walled people's incidents, orders "
                               "and addresses only: this is the data stewards' work", "forbidden")


def _graph_ids(hidden: Hidden) -> frozenset[str]:
    return hidden.events | hidden.orders | hidden.addresses


def _entity_desk(request: Request, audit: AuditContext) -> EntityDesk:
    """The caller's entity desk (its answer is scrubbed with what the desk hides, api.routing). An
    entity pair's keys are record keys (incidents, orders, breaches) or address forms (addresses):
    each is mapped to the graph id the wall names (linkage's events, orders and addresses tables)."""
    desk = _desk(request, audit)
    found, _ = wall_of(request)
    watched = _graph_ids(desk.held) | _graph_ids(desk.own) | _graph_ids(desk.hidden)
    if not watched:
        return EntityDesk(desk, lambda kind, keys: set(), lambda kind, keys: True, lambda ids: set())
    outputs = linkage_outputs(request)
    ev, od, ad = outputs.events(), outputs.orders(), outputs.addresses()
    ad = ad.dropna(subset=["form_key", "address_id"])
    ids: dict[str, dict[str, set[str]]] = {
        "event": {k: {str(i)} for k, i in zip(ev["record_key"], ev["event_id"], strict=True)},
        "order": {k: {str(i)} for k, i in zip(od["record_key"], od["order_id"], strict=True)},
        "address": {str(k): set(map(str, v)) for k, v in ad.groupby("form_key")["address_id"].agg(set).items()},
    }

    def kinds(kind: str) -> tuple[str, ...]:
        return ("event", "order") if kind == "breach" else (kind,) if kind in ids else ()

    def ids_of(kind: str, keys: list[str]) -> set[str]:
        return {i for k in kinds(kind) for key in keys for i in ids[k].get(key, ())} & watched

    def known(kind: str, keys: list[str]) -> bool:
        if kind == "breach":  # an incident record and an order record
            return len(keys) == 2 and keys[0] in ids["event"] and keys[1] in ids["order"]
        return all(any(key in ids[k] for k in kinds(kind)) for key in keys)

    return EntityDesk(desk, ids_of, known, found.people_of)


def _entity_review(request: Request) -> pd.DataFrame:
    pairs = linkage_outputs(request).entity_pairs()
    return pairs[pairs["decision"] == "review"]


class EntityQueuePage(Page[EntityPairOut]):
    elsewhere: int = Field(0, description="walled matches that are not this professional standards account's to "
                           "decide: another force's, or its own (self-consultation)")


@router.get(
    "/entities/queue",
    response_model=EntityQueuePage,
    summary="Address, order, incident and breach matches to review, most uncertain first",
)
def entity_queue(request: Request, audit: Consult, paging: Paging, kind: EntityKind | None = None) -> dict:
    """Data stewards (national): every match, a walled person's as a stub naming who holds it.
    Professional standards: the matches of walled people's incidents, orders and addresses their
    forces hold (national oversight: all); those another force holds are counted in ``elsewhere``."""
    entity = _entity_desk(request, audit)
    psd = entity.desk.psd
    if not psd:
        _national_steward(audit)
    review = _entity_review(request)
    if kind:
        review = review[review["kind"] == kind]
    decided = linkage_outputs(request).entity_decisions()
    prev = {(r.kind, r.key_l, r.key_r): r.decision for r in decided.itertuples()}
    items: list[dict] = []
    elsewhere, people = 0, set()
    for r in review.assign(u=(review["probability"] - 0.5).abs()).sort_values("u", kind="stable").itertuples():
        before = prev.get((r.kind, *sorted([r.key_l, r.key_r])))
        if before not in (None, "unsure"):
            continue
        what, held = entity.classify(r.kind, [r.key_l, r.key_r])
        if what in ("own", "walled") and psd:
            elsewhere += 1
        elif what in ("own", "walled"):
            items.append({"kind": r.kind, **wall.stub(audit.hidden, held)})
            audit.outcome = "restricted"
        elif what == "held" or not psd:
            items.append({"kind": r.kind, "key_l": r.key_l, "key_r": r.key_r, "probability": native(r.probability),
                          "weight": native(r.weight), "match_key": r.match_key, "previous_decision": before})
            if what == "held":
                people |= entity.people_of(held)
    out = paginate(items, paging, request)
    audit.returned(people, count=len(out["items"]))
    return {**out, "elsewhere": elsewhere}


@router.get("/entities/pair", summary="One address, order, incident or breach match, field by field")
def entity_pair(request: Request, kind: EntityKind, left: EntityKey, right: EntityKey, audit: Consult) -> dict:
    from linkage.entities.explain import explain_breach, explain_entity_pair

    _entity_desk(request, audit).check(audit, kind, [left, right], "no such pair in the latest resolution")
    data_dir = app_state(request).settings.data_dir
    try:
        if kind == "breach":
            explained = explain_breach(data_dir, left, right)
        else:
            explained = explain_entity_pair(data_dir, kind, left, right)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise ProblemError(404, "no such pair in the latest resolution", "not-found") from exc
    audit.returned(count=1)
    return _plain(explained)


def _plain(value: Any) -> Any:
    """JSON-ready all the way down: numpy and pandas values, NaN as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [_plain(v) for v in list(value)]
    plain = native(value)
    return None if isinstance(plain, float) and not math.isfinite(plain) else plain


@router.post(
    "/entities/decisions",
    status_code=201,
    response_model=EntityDecisionOut,
    summary="Decide an address, order, incident or breach match (honoured on every later run)",
)
def entity_decide(request: Request, body: EntityDecisionIn, audit: Combine) -> dict:
    assert audit.principal is not None
    entity = _entity_desk(request, audit)
    review = _entity_review(request)
    pair = {body.key_l, body.key_r}
    known = review[(review["kind"] == body.kind) & review["key_l"].isin(pair) & review["key_r"].isin(pair)]
    if not entity.desk.psd:
        _national_steward(audit)  # before anything is said about the pair
    if body.key_l == body.key_r or known.empty:
        raise ProblemError(404, "no such pair in the review queue", "not-found")
    entity.check(audit, body.kind, [body.key_l, body.key_r], "no such pair in the review queue")
    linkage_outputs(request).record_entity_decision(
        body.kind, body.key_l, body.key_r, body.decision, audit.principal.name, body.note or ""
    )
    audit.returned(count=1)
    return {**body.model_dump(exclude={"note"}), "decided_by": audit.principal.name}
