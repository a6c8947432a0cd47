"""Roles, purpose codes and logged operations: the vocabulary of authorisation and the s.62 log.

One role per account, each limited to its own routes (the route × role matrix is in the tests).
Purpose codes are the justification a consultation or disclosure log must carry (DPA 2018 s.62);
a request to a personal-data route without one, or without a case or occurrence reference,
is refused with 400 and the refusal itself is logged.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    analyst = "analyst"
    da_team = "da_team"
    disclosure_officer = "disclosure_officer"
    data_steward = "data_steward"
    auditor = "auditor"
    admin = "admin"
    # police-perpetrated DA: sees walled workforce records in full within its forces; with national
    # scope it is national oversight (api.policy.wall)
    professional_standards = "professional_standards"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)


class Operation(StrEnum):
    """The kinds of processing s.62(1) requires to be logged."""

    collection = "collection"
    consultation = "consultation"
    disclosure = "disclosure"
    combination = "combination"
    alteration = "alteration"
    erasure = "erasure"


class Purpose(StrEnum):
    """Why personal data is processed; configurable lists belong here, not in each route."""

    intelligence = "intelligence"  # intelligence analysis and development
    investigation = "investigation"  # a crime or incident under investigation
    safeguarding = "safeguarding"  # protecting a person at risk
    tasking = "tasking"  # DA problem-solving / MATAC tasking
    dvds = "dvds"  # Clare's Law disclosure scheme case
    data_quality = "data_quality"  # stewardship of the person index
    audit = "audit"  # checking lawfulness of processing (auditors)
    administration = "administration"  # loading and operating the system
    statistics = "statistics"  # strategic statistics (HMIC's figures): aggregates computed from personal data
    records_management = "records_management"  # MoPI review, retention and erasure of records


# A case (DVDS-12), occurrence (NO/0003714/19), incident or task reference: letters, digits and a
# few separators, so a reference cannot smuggle a name or an address into the log.
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._:-]{1,63}$")
