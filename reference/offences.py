"""Home Office offence codes: the code form, the offence groups DA analysis uses, and the code
table that puts each code (or a whole class of codes) in a group.

``data/offences.csv`` lists codes exactly (``8/1``) or by class (``105/*``) with their group and
whether the offence itself implies a domestic context. How an extract's code and description are
classified with it is the loaders' business (``loaders.standardise.offences``); the groups and the
table are shared by every layer.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"
GROUPS = (
    "homicide",
    "rape",
    "other_sexual",
    "violence_with_injury",
    "violence_without_injury",
    "stalking_harassment",
    "criminal_damage",
    "public_order",
    "breach_of_order",
    "other",
    "non_crime",
)

_CODE = re.compile(r"^(?:(\d{1,3})\s*[/.\-]\s*(\d{1,2})|(\d{3})(\d{2}))$")


@cache
def offence_table(path: Path | None = None) -> pd.DataFrame:
    """The HO code table: ``ho_code`` (``8/1`` exact or ``105/*`` whole class), group, DA flag.

    Cached: treat the returned frame as read-only.
    """
    table = pd.read_csv(path or DATA / "offences.csv", dtype=str, keep_default_na=False)
    table["da_indicator"] = table["da_indicator"].str.lower().eq("true")
    bad = sorted(set(table["offence_group"]) - set(GROUPS))
    if bad:
        raise ValueError(f"offences table: unknown offence groups {bad}")
    return table


def normalise_ho_code(code: str) -> str | None:
    """``008/01`` -> ``8/1``; ``08805`` -> ``88/5``; None when not a Home Office code."""
    m = _CODE.match(code.strip())
    if not m:
        return None
    cls, sub = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{int(cls)}/{int(sub)}" if int(cls) > 0 else None
