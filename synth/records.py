"""How a true person is written down in one record, with the faults real records carry.

A record (a force's nominal, a relational person row, a court party) copies the person's
name and date of birth as known at the time and then, with some probability, gets it wrong:
a dropped letter, a nickname, fields swapped, a missing or transposed date of birth, a
transliteration, the maiden name. Duplicate nominals for one person in one force exist
because details differed, so they are far more often faulty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth.formats import days_to_text, from_ymd, ymd
from synth.names import NameBank, apply_each, strip_diacritics, typo
from synth.tables import pick
from synth.world import People

BLANK = -9_999_999  # a date of birth left blank (days can be negative: born before 1970)
FAULTS = [
    "typo_forename",
    "typo_surname",
    "nickname",
    "swap",
    "dob_missing",
    "dob_swap",
    "dob_digit",
    "variant",
    "old_surname",
    "sex_unknown",
]
_FAULT_WEIGHTS = [0.14, 0.15, 0.17, 0.05, 0.13, 0.08, 0.1, 0.08, 0.05, 0.05]


@dataclass
class Written:
    """Name, date of birth and sex as written in each record (dob BLANK = not written)."""

    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    dob: np.ndarray
    sex: np.ndarray  # "M", "F", "U"
    swapped: np.ndarray
    fault: np.ndarray  # fault number or -1


def _choose_from(
    values: np.ndarray, mask: np.ndarray, table: dict[str, list[str]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Replace masked values by one of their listed alternatives; report which had one."""
    out = values.copy()
    done = np.zeros(len(values), dtype=bool)
    idx = np.flatnonzero(mask)
    r = rng.random(len(idx))
    for j, i in enumerate(idx):
        alts = table.get(out[i])
        if alts:
            out[i] = alts[int(r[j] * len(alts))]
            done[i] = True
    return out, done


def write_people(
    rng: np.random.Generator,
    bank: NameBank,
    people: People,
    person: np.ndarray,
    day: np.ndarray,
    p_fault: np.ndarray,
    p_dob_blank: np.ndarray,
    p_middle: float = 0.75,
    p_strip: float = 0.3,
) -> Written:
    """Each record's written identity for ``person`` as of ``day``."""
    n = len(person)
    fore = people.forename[person].copy()
    mid = people.middle[person].copy()
    sur = people.surname_on(day, person).astype(object)
    dob = people.dob[person].astype(np.int64).copy()
    sex = np.where(people.female[person], "F", "M").astype(object)
    faulty = rng.random(n) < p_fault
    kind = np.where(faulty, pick(rng, _FAULT_WEIGHTS, n), -1)
    # a second, independent fault for some faulty records
    kind2 = np.where(faulty & (rng.random(n) < 0.25), pick(rng, _FAULT_WEIGHTS, n), -1)

    def has(k: int) -> np.ndarray:
        return (kind == k) | (kind2 == k)

    fore = apply_each(fore, has(0), typo, rng)
    sur = apply_each(sur, has(1), typo, rng)
    fore, nick_ok = _choose_from(fore, has(2), bank.nicknames, rng)
    miss = has(2) & ~nick_ok  # no nickname known: fall back to a typo
    fore = apply_each(fore, miss, typo, rng)
    fore, _ = _choose_from(fore, has(7), bank.variants, rng)
    sur, _ = _choose_from(sur, has(7), bank.variants, rng)
    old = has(8) & (people.birth_surname[person] != sur)
    sur = np.where(old, people.birth_surname[person], sur)
    sex = np.where(has(9), "U", sex)
    # dates of birth
    dob = np.where(has(4) | (rng.random(n) < p_dob_blank), BLANK, dob)
    y, m, d = ymd(np.where(dob == BLANK, 0, dob))
    sw = has(5) & (dob != BLANK) & (d <= 12) & (d != m)
    if sw.any():
        dob[sw] = from_ymd(y[sw], d[sw], m[sw])
    dg = has(6) & (dob != BLANK)
    if dg.any():
        u = rng.random(int(dg.sum()))
        shift_day = np.where(u < 0.5, np.where(u < 0.25, -1, 1), 0)
        shift_year = np.where(u >= 0.5, np.where(u < 0.75, -1, 1), 0)
        yy, mm, dd = y[dg] + shift_year, m[dg], d[dg]
        # keep the day valid when moving year (29 Feb -> 28 Feb)
        dd = np.where((mm == 2) & (dd == 29), 28, dd)
        dob[dg] = from_ymd(yy, mm, dd) + shift_day
    # middle names often not captured; diacritics often lost
    mid = np.where(rng.random(n) < p_middle, mid, "").astype(object)
    strip = rng.random(n) < p_strip
    for arr in (fore, mid, sur):
        idx = np.flatnonzero(strip)
        for i in idx:
            v = arr[i]
            if not v.isascii():
                arr[i] = strip_diacritics(v)
    swapped = has(3)
    return Written(forename=fore, middle=mid, surname=sur, dob=dob, sex=sex, swapped=swapped, fault=kind)


def dob_text(dob: np.ndarray, style: str) -> np.ndarray:
    """Dates of birth as written (``dmy`` or ``iso``), blank where not written."""
    blank = dob == BLANK
    return np.where(blank, "", days_to_text(np.where(blank, 0, dob), style)).astype(object)


@dataclass
class Nominal:
    """One force-local person reference and the identity the force wrote under it."""

    key: str  # the nominal reference, without the force
    surname: str
    forenames: str
    dob: int  # days since 1970, or BLANK
    sex: str
