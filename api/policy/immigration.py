"""No purpose serves immigration enforcement (the immigration firewall, shared/domain.md).

None of the purpose codes (:class:`api.policy.roles.Purpose`) is immigration enforcement, so a
request stating one is already invalid; it is answered with its own reason instead of a generic
400: 403, ``/problems/immigration-firewall``, logged as refused like any other refusal. So is a
lawful purpose whose case reference names it (``reference=HOIE/123``): :func:`check_reference`,
called where the reference is read (:class:`api.deps.Audited`), after the caller is known. The words
that name immigration enforcement are configuration (:mod:`reference.immigration`).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from api.problems import ProblemError
from reference.immigration import REFUSAL, is_enforcement_purpose, is_enforcement_reference


def refusal(request: Request, exc: BaseException) -> ProblemError | None:
    """The firewall's refusal when ``exc`` is a request refused for a purpose that names
    immigration enforcement, else None."""
    if not isinstance(exc, RequestValidationError):
        return None
    stated = request.query_params.get("purpose")
    if stated and is_enforcement_purpose(stated):
        return ProblemError(403, REFUSAL, "immigration-firewall")
    return None


def check_reference(reference: str | None) -> None:
    """Refuse (403, ``/problems/immigration-firewall``) a case reference naming immigration
    enforcement, whatever the stated purpose."""
    if reference and is_enforcement_reference(reference):
        raise ProblemError(403, REFUSAL, "immigration-firewall")
