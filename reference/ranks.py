"""Who may authorise: the police rank ladder, and a court above it, as extracts write them.

Custody and notice extracts record the rank that authorised a decision (bail, its extension, its
cancellation into RUI, a DVPN or DAPN). Rules compare ranks ("an inspector or above"), so a rank
is stored in one canonical spelling whose place in :data:`LADDER` says how senior it is. The
Metropolitan Police's and City of London's senior ranks sit beside the county forces' equivalents
(a commander at the level of an assistant chief constable). ``COURT`` is above every police rank:
bail beyond the superintendent's limit needs a magistrates' court.
"""

from __future__ import annotations

import re

from anyascii import anyascii

# Most junior first. Ranks of the same level share an index in LEVEL.
LADDER: tuple[str, ...] = (
    "CONSTABLE",
    "SERGEANT",
    "INSPECTOR",
    "CHIEF_INSPECTOR",
    "SUPERINTENDENT",
    "CHIEF_SUPERINTENDENT",
    "ACC",
    "COMMANDER",
    "DCC",
    "DEPUTY_ASSISTANT_COMMISSIONER",
    "CHIEF_CONSTABLE",
    "ASSISTANT_COMMISSIONER",
    "COMMISSIONER",
    "COURT",
)
LEVEL: dict[str, int] = {
    "CONSTABLE": 0,
    "SERGEANT": 1,
    "INSPECTOR": 2,
    "CHIEF_INSPECTOR": 3,
    "SUPERINTENDENT": 4,
    "CHIEF_SUPERINTENDENT": 5,
    "ACC": 6,
    "COMMANDER": 6,
    "DCC": 7,
    "DEPUTY_ASSISTANT_COMMISSIONER": 7,
    "CHIEF_CONSTABLE": 8,
    "ASSISTANT_COMMISSIONER": 8,
    "COMMISSIONER": 9,
    "COURT": 10,
}
ALIASES: dict[str, str] = {
    "PC": "CONSTABLE",
    "DC": "CONSTABLE",
    "POLICE CONSTABLE": "CONSTABLE",
    "DETECTIVE CONSTABLE": "CONSTABLE",
    "SGT": "SERGEANT",
    "PS": "SERGEANT",
    "DS": "SERGEANT",
    "CUSTODY SERGEANT": "SERGEANT",
    "CUSTODY OFFICER": "SERGEANT",
    "DETECTIVE SERGEANT": "SERGEANT",
    "INSP": "INSPECTOR",
    "DI": "INSPECTOR",
    "DETECTIVE INSPECTOR": "INSPECTOR",
    "CH INSP": "CHIEF_INSPECTOR",
    "CI": "CHIEF_INSPECTOR",
    "DCI": "CHIEF_INSPECTOR",
    "DETECTIVE CHIEF INSPECTOR": "CHIEF_INSPECTOR",
    "SUPT": "SUPERINTENDENT",
    "SUPER": "SUPERINTENDENT",
    "DSU": "SUPERINTENDENT",
    "DETECTIVE SUPERINTENDENT": "SUPERINTENDENT",
    "CH SUPT": "CHIEF_SUPERINTENDENT",
    "CHIEF SUPT": "CHIEF_SUPERINTENDENT",
    "DCS": "CHIEF_SUPERINTENDENT",
    "DETECTIVE CHIEF SUPERINTENDENT": "CHIEF_SUPERINTENDENT",
    "ASSISTANT CHIEF CONSTABLE": "ACC",
    "DEPUTY CHIEF CONSTABLE": "DCC",
    "DAC": "DEPUTY_ASSISTANT_COMMISSIONER",
    "AC": "ASSISTANT_COMMISSIONER",
    "MAGISTRATES": "COURT",
    "MAGISTRATES COURT": "COURT",
    "MAGISTRATES' COURT": "COURT",
}
# a detective holds the same rank: "D/Insp", "Det Supt"
for _prefix in ("D", "DET"):
    for _short in ("SGT", "INSP", "CH INSP", "SUPT", "CH SUPT"):
        ALIASES[f"{_prefix} {_short}"] = ALIASES[_short]
_NOT_WORD = re.compile(r"[^A-Z]+")


def canonical_rank(text: str | None) -> str | None:
    """The canonical rank for a rank as written (``Supt``, ``Ch. Insp``, ``chief_inspector``), or
    None when blank or not a rank."""
    if text is None or not str(text).strip():
        return None
    words = _NOT_WORD.sub(" ", anyascii(str(text)).upper().replace("'", "")).strip()
    if words in ALIASES:
        return ALIASES[words]
    joined = words.replace(" ", "_")
    return joined if joined in LEVEL else None


def at_least(rank: str | None, minimum: str) -> bool:
    """True when ``rank`` (canonical) is ``minimum`` or more senior; False when unknown or blank."""
    return rank in LEVEL and LEVEL[rank] >= LEVEL[minimum]
