"""Clare's Law (Domestic Violence Disclosure Scheme): cases, checks, candidate identities, the
subject's disclosable history with provenance, decisions, case clocks and right-to-know candidates.

The system finds and lays out; a person decides and is recorded as deciding (DPA 2018 s.49–50).
Disclosure answers are built from typed facts only (no free text that can name a person or a
place, no address of anyone), and :class:`api.policy.leakguard.LeakGuard` checks every string of every
answer again; a decision whose text names a previous victim or an address is refused.

One module per concern: ``cases`` (cases, checks, overdue), ``candidates`` (search),
``history`` (the disclosable history), ``decisions``, ``right_to_know``; ``models`` and
``common`` are what they share.
"""

from __future__ import annotations

from api.routers.disclosure import candidates, cases, decisions, history, right_to_know
from api.routers.disclosure.common import router

# the busiest route (candidate search) first: requests are matched in the order routes were added
__all__ = ["router", "candidates", "cases", "decisions", "history", "right_to_know"]
