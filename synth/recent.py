"""DA incidents in the months before the extract date, so that the clocks have work on it.

The story's relationships are mostly abusive early in the data window, so few of its incidents
fall in the weeks before the extract date, where every "due" and "overdue" list is judged. This
adds, per force, about as many incidents in the last ``RECENT_DAYS`` as the force records in an
average stretch of that length: a perpetrator of one of the story's relationships offends again
against the same victim, recorded by the force the victim then lives in, with suspect and victim
written by the nominals the force already holds for them (or new ones). They are ordinary
incidents in every truth file. All draws use the duties' own stream, so the story's rows are as
they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth.clock import DAY
from synth.records import Nominal, write_people
from synth.story import CAT_INTIMATE, _labels
from synth.tables import Choice, pick, table
from synth.world import T0, T1

RECENT_DAYS = 150
NEW_NOMINALS = 70_000_000  # numbers of nominals created for recent incidents
_HOURS = [5, 4, 3, 2, 1.5, 1, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4, 4, 4.5, 5, 6, 7, 8, 8, 8, 7, 6]


def incidents(ctx, f: int) -> pd.DataFrame:  # noqa: ANN001 (synth.extracts.Context)
    """New incidents of force ``f``: event, ref, minute, suspect, victim, relationship, offence,
    risk (0 high, 1 medium, 2 standard, 3 blank), da, suspect_addr, victim_addr."""
    rng, story, addresses = ctx.drng, ctx.story, ctx.addresses
    dy = story.dyads
    n_force = int((story.records["force"].to_numpy() == f).sum())
    n = int(round(n_force * RECENT_DAYS / (T1 - T0)))
    if n == 0 or len(dy) == 0:
        return pd.DataFrame()
    day = T1 - rng.integers(0, RECENT_DAYS, 4 * n)
    pick_dyad = rng.integers(0, len(dy), 4 * n)
    victim = dy["victim"].to_numpy()[pick_dyad]
    where = story.history.at(victim, day)
    here = np.flatnonzero(addresses.force[where] == f)[:n]
    d, day, where = pick_dyad[here], day[here], where[here]
    perp, victim = dy["perp"].to_numpy()[d], dy["victim"].to_numpy()[d]
    cat = dy["cat"].to_numpy()[d]
    ex = (cat == CAT_INTIMATE) & (rng.random(len(d)) < 0.7)  # most are separated by now
    label = _labels(rng, cat, ex, dy["married"].to_numpy()[d], ctx.people.female[victim])
    off = table("offences.csv")
    regular = off[~off["kind"].str.startswith("breach")]
    offence = Choice(regular.index.to_numpy(), regular["weight"].astype(float).to_numpy()).draw(rng, len(d))
    minute = day * DAY + Choice(list(range(24)), _HOURS).idx(rng, len(d)) * 60 + rng.integers(0, 60, len(d))
    start = ctx.next_event
    ctx.next_event += len(d)
    year = pd.Series(pd.to_datetime(day, unit="D").year)
    serial = 8_000_000 + np.cumsum(rng.integers(1, 30, len(d)))
    prefix = ctx.forces.person_prefix[f] if ctx.forces.profile[f] == "rms-relational" else ctx.forces.prefix[f]
    if ctx.forces.profile[f] == "rms-relational":
        ref = prefix + "-" + year.astype(str) + "-" + pd.Series(serial).astype(str)
    else:
        ref = prefix + "/" + pd.Series(serial).astype(str) + "/" + year.astype(str).str[2:]
    out = pd.DataFrame(
        {
            "event": start + np.arange(len(d)),
            "ref": ref.to_numpy(dtype=object),
            "minute": minute.astype(np.int64),
            "suspect": perp,
            "victim": victim,
            "relationship": label,
            "offence": offence.astype(np.int64),
            "risk": pick(rng, [0.2, 0.55, 0.24, 0.01], len(d)),
            "da": rng.random(len(d)) < 0.94,
            "suspect_addr": story.history.at(perp, day),
            "victim_addr": where,
        }
    )
    return out.sort_values(["minute", "event"], kind="stable").reset_index(drop=True)


def nominals(ctx, f: int, people: np.ndarray, days: np.ndarray) -> dict[int, Nominal]:  # noqa: ANN001
    """The nominal force ``f`` holds for each person (its first), or a new one written for them."""
    known = pd.concat([n for n in ctx.written.nominals if len(n) and int(n["force"].iat[0]) == f], ignore_index=True)
    known = known.drop_duplicates("person").set_index("person")
    out: dict[int, Nominal] = {}
    missing = []
    for person, day in zip(people.tolist(), days.tolist(), strict=True):
        if person in out:
            continue
        if person in known.index:
            k = known.loc[person]
            out[person] = Nominal(str(k["key"]), str(k["surname"]), str(k["forenames"]), int(k["dob"]), str(k["sex"]))
        else:
            out[person] = None  # type: ignore[assignment]
            missing.append((person, day))
    if missing:
        who_p = np.array([m[0] for m in missing], dtype=np.int64)
        who = write_people(
            ctx.drng, ctx.bank, ctx.people, who_p, np.array([m[1] for m in missing], dtype=np.int64),
            p_fault=np.full(len(missing), 0.1), p_dob_blank=np.full(len(missing), 0.03),
        )
        numbers = NEW_NOMINALS + np.cumsum(ctx.drng.integers(1, 9, len(missing))) + f * 1_000_000
        for i, person in enumerate(who_p.tolist()):
            forenames = who.forename[i] + (" " + who.middle[i] if who.middle[i] else "")
            key = f"{ctx.forces.person_prefix[f]}{int(numbers[i]):08d}"
            out[person] = Nominal(key, str(who.surname[i]), forenames, int(who.dob[i]), str(who.sex[i]))
        new = pd.DataFrame(
            {
                "force": f,
                "person": who_p,
                "key": [out[p].key for p in who_p.tolist()],
                "surname": [out[p].surname for p in who_p.tolist()],
                "forenames": [out[p].forenames for p in who_p.tolist()],
                "dob": [out[p].dob for p in who_p.tolist()],
                "sex": [out[p].sex for p in who_p.tolist()],
            }
        )
        ctx.written.nominals.append(new)
        name = ctx.forces.names[f]
        ctx.written.persons.append(pd.DataFrame({"record_key": name + "/" + new["key"], "person": new["person"]}))
    return out
