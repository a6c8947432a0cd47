"""What the disclosure routes share: the case as answered, its force check, and its leak guard."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from api.deps import AuditContext, app_state, require_roles
from api.policy.clocks import case_clocks
from api.policy.leakguard import LeakGuard
from api.policy.mentions import Mentions
from api.policy.roles import Role
from api.policy.scope import Scope
from api.problems import ProblemError, problem_responses
from api.routing import AuditedRoute
from api.store.db import Case, CaseCheck, CaseDecision
from reference.forces import force_name

# One router for the package: each module adds its routes to it (a router included in another is
# kept nested, and the role check and the audit route class must hold on every route).
router = APIRouter(
    prefix="/disclosure",
    tags=["disclosure"],
    route_class=AuditedRoute,
    dependencies=[Depends(require_roles(Role.disclosure_officer))],
    responses=problem_responses(400, 401, 403, 503),
)
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="case number", examples=[12])]


def case_out(c: Case, full: bool = False, checks: list | None = None, decisions: list | None = None) -> dict:
    out = {
        k: getattr(c, k)
        for k in (
            "id",
            "route",
            "force_code",
            "reference",
            "status",
            "applicant",
            "person_at_risk",
            "subject",
            "relationship",
            "subject_person_id",
            "opened_at",
            "opened_by",
            "initial_contact_at",
            "meeting_at",
            "closed_at",
            "exceptional_circumstances",
        )
    }
    out["case_ref"] = f"DVDS-{c.id}"
    out["force"] = force_name(c.force_code)
    out["applicant"] = c.applicant or None
    out["clocks"] = case_clocks(c.opened_at, c.initial_contact_at, c.meeting_at, c.closed_at)
    if full:
        out["checks"] = [check_out(x) for x in checks or []]
        out["decisions"] = [decision_out(x) for x in decisions or []]
    return out


def check_out(x: CaseCheck) -> dict:
    return {
        k: getattr(x, k)
        for k in ("id", "case_id", "system", "searched_for", "result", "details", "checked_by", "checked_at")
    }


def decision_out(x: CaseDecision) -> dict:
    return {
        k: getattr(x, k)
        for k in (
            "id",
            "case_id",
            "decision",
            "rationale",
            "forum",
            "disclosed_info",
            "disclosed_to",
            "disclosed_by",
            "disclosed_at",
            "decided_by",
            "decided_at",
        )
    }


def scope_of(audit: AuditContext) -> Scope:
    assert audit.principal is not None
    return audit.principal.scope


def load_case(session: Any, audit: AuditContext, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise ProblemError(404, "no such case", "not-found")
    if not scope_of(audit).sees(case.force_code):
        raise ProblemError(403, f"case held by {force_name(case.force_code)}", "forbidden-force")
    return case


def case_people(case: Case) -> list[str]:
    return [p for p in (case.subject_person_id, (case.person_at_risk or {}).get("person_id")) if p]


def handling_force(audit: AuditContext, force: str | None) -> str:
    from reference.forces import lookup_force

    scope = scope_of(audit)
    if force:
        found = lookup_force(force)
        if found is None:
            raise ProblemError(400, "unknown force", "bad-parameter")
        if not scope.sees(found.code):
            raise ProblemError(403, "cases may be opened only for your account's forces", "forbidden-force")
        return found.code
    if len(scope.forces) == 1:
        return next(iter(scope.forces))
    raise ProblemError(400, "name the handling force", "bad-parameter")


def names_on_case(case: Any) -> list[str]:
    """The names the officer typed on the case (subject, person at risk, applicant): these may be
    written in a decision and shown on the case; a previous victim's may not."""
    found = [(case.subject or {}).get("name"), (case.person_at_risk or {}).get("name")]
    found.append((getattr(case, "applicant", None) or {}).get("name"))
    return [n for n in found if n]


def guarded(request: Request, case: Any, out: Any) -> Any:
    """``out`` (a case, a check, a decision) with every string that mentions one of the case's
    subject's victims, or any address, withheld. Cases are worked before the graph is loaded: then
    only addresses are looked for."""
    try:
        g = app_state(request).graph()
    except Exception:  # noqa: BLE001 - no graph yet: nobody's victims are known
        return LeakGuard(Mentions(any_address=True)).scrub(out)
    return case_guard(g, case, app_state(request).cache.generation).scrub(out)


def case_guard(g: Any, case: Any, generation: int = 0) -> LeakGuard:
    """The leak guard of one case: its subject's victims, protected people and partners (but the
    case's own person at risk), every confidential address, any address at all."""
    return LeakGuard.for_subject(
        g,
        case.subject_person_id,
        names_on_case(case),
        keep=(case.person_at_risk or {}).get("person_id"),
        generation=generation,
    )
