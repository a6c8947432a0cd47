"""Linkage's ranked candidates for a name (with a date of birth or age and a place), as the server
ranks them: in its ranker processes (:mod:`api.performance.ranker`), kept per search index and day.

What an answer may show is decided by the route that asks (force scope, the withholding of a case
subject's victims, the leak guard): :func:`ranked` only ranks, and runs on the event loop;
:func:`candidate_items` gives the ranked candidates the one shape both searches answer with.
"""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

from api.policy.frames import visible_person
from api.policy.scope import Scope, held_by
from linkage.search import current_stamp


def sees(scope: Scope) -> frozenset[str] | None:
    """The forces whose records a search compares in full for ``scope`` (None: every force).
    Another force's records are compared on the name alone (``linkage.search.NAME_ONLY``)."""
    return None if scope.national else frozenset(scope.forces)


async def ranked(state: Any, query: dict[str, Any], limit: int, scope: Scope) -> list[dict]:
    """Ranked candidates for ``query`` (name, dob, age, place) as ``scope`` may compare them, kept
    while the resolution output (the search index) and the day (ages count from today) stay the
    same: the same search asked again, by a user of the same scope, is answered without ranking
    again. Raises FileNotFoundError before the first resolution."""
    stamp = current_stamp(state.settings.data_dir)
    forces = sees(scope)
    key = ("search", stamp, dt.date.today(), query["name"], query["dob"], query["age"], query["place"], limit, forces)
    kept = state.searches.peek(key)
    if kept is not None:
        return pickle.loads(kept)  # noqa: S301 - made below, in this process
    state.searches.missed()
    generation = state.searches.generation
    used, found = await state.ranker.search(
        query["name"], query["dob"], query["age"], query["place"], limit, stamp, forces
    )
    if used == stamp:  # never kept under a newer stamp than the outputs ranked
        # kept as one flat object: thousands of kept searches as dicts and lists would be millions
        # of objects for every full garbage collection to walk (about 120 per answer; see benchmarks/api.md)
        state.searches.fill(generation, {key: pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)})
    return found


_people: list[Any] = [None, frozenset()]  # the last confidential table read, and its person ids


def confidential_ids(outputs: Any) -> frozenset[str]:
    """Person ids whose address a source withholds (``LinkageStore.confidential``; the server's
    store hands back the same frame until the file changes, so the set is built once per version)."""
    frame = outputs.confidential() if outputs.resolved() else None
    if frame is None or frame.empty:
        return frozenset()
    if _people[0] is not frame:
        _people[:] = [frame, frozenset(frame["person_id"].astype(str))]
    return _people[1]


async def placed(
    state: Any, query: dict[str, Any], limit: int, confidential: frozenset[str], scope: Scope
) -> list[dict]:
    """:func:`ranked`, but a person whose address a source withholds (``confidential``) is ranked,
    scored and explained as by the same search without its place, for everyone.

    Else the search is an oracle for where she lives: ask again with another postcode and watch her
    confidence, her match key, a name weight (the name's frequency is counted within the postcode)
    or her presence among the first ``limit`` move. Her rows come from the search without the
    place (kept like any other, so asking the same name with many places ranks it once)."""
    found = await ranked(state, query, limit, scope)
    if not query.get("place") or not confidential:
        return found
    plain = await ranked(state, {**query, "place": None}, limit, scope)
    mixed = [c for c in found if c["person_id"] not in confidential]
    mixed += [c for c in plain if c["person_id"] in confidential]
    return sorted(mixed, key=lambda c: -float(c["match_weight"]))[:limit]


# The comparisons of where someone lives: linkage's postcode comparison (settings key POSTCODE; its
# name is checked against the settings in tests/test_red_api.py) and a search's place.
LOCATION_COMPARISONS = frozenset({"postcode", "place"})


def candidate_items(
    found: list[dict], scope: Scope, forces: dict[str, frozenset[str | None]]
) -> list[dict[str, Any]]:
    """Ranked candidates as ``scope`` may see them: rank, confidence, match key and the forces
    holding each for everyone; who it is and why only for a person in scope (else ``restricted``).
    ``forces``: the forces holding each person id (None for a court record); a national scope
    needs none. The analysts' and the disclosure officers' searches answer with these rows."""
    items = []
    for i, c in enumerate(found, start=1):
        held = forces.get(c["person_id"])
        base = {
            "rank": i,
            "probability": round(float(c["probability"]), 4),
            "match_key": c.get("match_key"),
            "held_by": held_by(held or set()),
        }
        if not visible_person(scope, held):
            items.append({**base, "restricted": True})
            continue
        items.append(
            {
                **base,
                "person_id": c["person_id"],
                "name": c.get("preferred_name"),
                "dob": c.get("dob"),
                "record_key": c.get("record_key"),
                "match_weight": c.get("match_weight"),
                "fields": c.get("fields", []),
                "restricted": False,
            }
        )
    return items
