"""What a data steward's decision is: 'same' / 'not same' / 'unsure' on a pair, honoured on every run.

Decisions are kept in append-only logs owned by the linkage store (``LinkageStore.
record_person_decision`` and ``record_entity_decision``: who, when, why; the latest decision on a
pair wins). ``resolve`` turns person decisions into must-link and cannot-link constraints that no
model score or rule overrides; entity resolution does the same for address, order, event and
breach pairs.
"""

from __future__ import annotations

DECISIONS = ("same", "not_same", "unsure")
CODES = {"same": 1, "not_same": 2, "unsure": 3}  # as the resolution engines encode them per pair
ENTITY_KINDS = ("address", "order", "event", "breach")


def check_pair(key_l: str, key_r: str, decision: str, user: str) -> tuple[str, str]:
    """Validate a decision and order its pair, so (a, b) and (b, a) are one pair."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    if key_l == key_r:
        raise ValueError("a pair needs two different keys")
    if not user:
        raise ValueError("a decision needs the user who made it")
    left, right = sorted([str(key_l), str(key_r)])
    return left, right
