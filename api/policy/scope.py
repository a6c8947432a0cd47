"""Force scoping: what an account may see of people and events held by each force.

A user sees in full the records of the forces on their account (every force for a national
account). For anything held elsewhere they learn only that something exists and which force
holds it, so they know whom to ask. Court records have no force: courts deliver to the service
as a whole, so they are visible to every account that may see personal data at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reference.forces import force_name


@dataclass(frozen=True)
class Scope:
    forces: frozenset[str]
    national: bool

    def sees(self, force_code: str | None) -> bool:
        """Whether a record held by ``force_code`` (None: a court record) is visible in full."""
        return self.national or force_code is None or force_code == "" or force_code in self.forces

    def sees_any(self, force_codes: Iterable[str | None]) -> bool:
        return any(self.sees(f) for f in force_codes)

    def label(self) -> str:
        return "national" if self.national else ",".join(sorted(self.forces))


def held_by(force_codes: Iterable[str | None]) -> list[dict[str, str | None]]:
    """The forces holding some records, as the restricted view names them."""
    codes = sorted({c for c in force_codes if c})
    return [{"force_code": c, "force": force_name(c)} for c in codes]
