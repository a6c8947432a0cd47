"""Linkage's ranked candidates for a name (with a date of birth or age and a place), as the server
ranks them: in its ranker processes (:mod:`api.performance.ranker`), kept per search index and day.

What an answer may show is decided by the route that asks (force scope, the withholding of a case
subject's victims, the leak guard): this only ranks, and runs on the event loop.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

from linkage.search import current_stamp


async def ranked(state: Any, query: dict[str, Any], limit: int) -> list[dict]:
    """Ranked candidates for ``query`` (name, dob, age, place), kept while the resolution output
    (the search index) and the day (ages count from today) stay the same: the same search asked
    again, by this user or another, is answered without ranking again. Raises FileNotFoundError
    before the first resolution."""
    stamp = current_stamp(state.settings.data_dir)
    key = ("search", stamp, dt.date.today(), query["name"], query["dob"], query["age"], query["place"], limit)
    kept = state.searches.peek(key)
    if kept is not None:
        return pickle.loads(kept)  # noqa: S301 - made below, in this process
    state.searches.missed()
    generation = state.searches.generation
    used, found = await state.ranker.search(query["name"], query["dob"], query["age"], query["place"], limit, stamp)
    if used == stamp:  # never kept under a newer stamp than the outputs ranked
        # kept as one flat object: thousands of kept searches as dicts and lists would be millions
        # of objects for every full garbage collection to walk (about 120 per answer; see benchmarks/api.md)
        state.searches.fill(generation, {key: pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)})
    return found
