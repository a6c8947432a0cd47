"""Children present at domestic abuse incidents, as the RMS extracts record them (Operation Encompass).

A child of the victim's household, under 18 on the day, is sometimes recorded at a DA incident
as an ``OTHER`` involvement with relationship ``Child`` (rms-flat) or ``other``/``Child``
(rms-relational), with a date of birth where known. More are recorded at incidents whose next
school day is not the next morning (Friday and Saturday nights, the eve of a bank holiday), so
the Encompass clock meets weekends and bank holidays. All draws use the duties' own random
stream, so every other row of the files is as it was without the children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.clock import DAY, school_due
from synth.records import write_people
from synth.world import YEAR

P_EVENT = 0.3  # a DA incident with children in the victim's household records them
P_EVENT_AWKWARD = 0.55  # ... when the next school day is not the next morning
P_CHILD = 0.85  # each child of such a household is recorded
CHILD_NUMBERS = 60_000_000  # child nominals are numbered apart from the force's other references


def present(ctx, f: int, events: pd.DataFrame) -> pd.DataFrame:  # noqa: ANN001 (synth.extracts.Context)
    """Children recorded at force ``f``'s DA incident records (``events``: ``rec``, ``ref``,
    ``minute``, ``victim``, ``suspect``, ``da``): ``rec``, ``ref``, ``minute``, ``child``,
    ``victim``, with each child's nominal and written identity."""
    rng, people = ctx.drng, ctx.people
    recs = events
    minute = recs["minute"].to_numpy(dtype=np.int64)
    day = minute // DAY
    victim = recs["victim"].to_numpy(dtype=np.int64)
    suspect = recs["suspect"].to_numpy(dtype=np.int64)
    awkward = np.array([school_due(int(m)) - int(m) > DAY for m in minute], dtype=bool)
    chance = np.where(awkward, P_EVENT_AWKWARD, P_EVENT)
    recorded = recs["da"].to_numpy(dtype=bool) & (rng.random(len(recs)) < chance)
    kids = people.hh_members[people.hh[victim]][:, 2:5]
    parts = []
    for slot in range(kids.shape[1]):
        child = kids[:, slot]
        ok = recorded & (child >= 0) & (child != victim) & (child != suspect)
        ok &= rng.random(len(recs)) < P_CHILD
        idx = np.flatnonzero(ok)
        age = day[idx] - people.dob[child[idx]]
        idx = idx[(age >= 0) & (age < 18 * YEAR)]
        parts.append(
            pd.DataFrame(
                {
                    "rec": recs["rec"].to_numpy()[idx],
                    "ref": recs["ref"].to_numpy()[idx],
                    "minute": minute[idx],
                    "child": child[idx],
                    "victim": victim[idx],
                    "slot": slot,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).sort_values(["minute", "rec", "slot"], kind="stable")
    out = out.reset_index(drop=True)
    # one nominal per child per force, written once as the force first recorded the child
    first = out.drop_duplicates("child").reset_index(drop=True)
    numbers = CHILD_NUMBERS + np.cumsum(rng.integers(1, 9, len(first)))
    first["key"] = ctx.forces.person_prefix[f] + pd.Series(numbers).astype(str).str.zfill(8)
    who = write_people(
        rng,
        ctx.bank,
        people,
        first["child"].to_numpy(),
        first["minute"].to_numpy() // DAY,
        p_fault=np.full(len(first), 0.05),
        p_dob_blank=np.full(len(first), 0.05),
    )
    first["forename"] = who.forename
    first["middle"] = who.middle
    first["surname"] = who.surname
    first["dob"] = who.dob
    first["sex"] = who.sex
    cols = ["child", "key", "forename", "middle", "surname", "dob", "sex"]
    return out.merge(first[cols], on="child", how="left")


def insert_after(frame: pd.DataFrame, added: pd.DataFrame, ref_column: str) -> tuple[pd.DataFrame, np.ndarray]:
    """``added`` rows placed after the last row of ``frame`` with the same reference; and a mask
    of which rows of the result came from ``added``."""
    last = pd.Series(np.arange(len(frame)), index=frame[ref_column].to_numpy()).groupby(level=0).max()
    position = last.reindex(added[ref_column].to_numpy()).to_numpy(dtype=float)
    within = np.arange(len(added)) / (len(added) + 1)  # added rows keep their order among themselves
    order_key = np.concatenate([np.arange(len(frame)) * 2.0, position * 2 + 1 + within])
    both = pd.concat([frame, added[frame.columns]], ignore_index=True)
    order = np.argsort(order_key, kind="stable")
    is_added = np.r_[np.zeros(len(frame), dtype=bool), np.ones(len(added), dtype=bool)][order]
    return both.iloc[order].reset_index(drop=True), is_added
