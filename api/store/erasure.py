"""What the API's state store holds of an erased source record, and forgets with it.

A steward's decision names two record keys and may carry a note about the person ("Joan REED is
his wife, 12 Bank Top"): once one of its records is erased (``dots erase``), the decision rests
on nothing and its note is the erased person's data, so it goes, as linkage's own decision logs
do. What stays is a record of what was done, each under its own retention: the audit log (its
erasure record names the key, never the content), Clare's Law cases with their checks and
disclosure decisions, and issued target lists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from api.config import database_url
from api.store.db import StewardDecision, session_factory


def forget_decisions(data_dir: Path, gone: Callable[[str], bool]) -> int:
    """Delete the steward decisions naming a record key that is ``gone``; how many went. A data
    directory whose state store was never made holds none."""
    url = database_url(Path(data_dir))
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return 0
    with session_factory(url).begin() as session:
        named = [
            d for d in session.execute(select(StewardDecision)).scalars()
            if gone(d.record_key_l) or (d.record_key_r is not None and gone(d.record_key_r))
        ]
        for decision in named:
            session.delete(decision)
    return len(named)
