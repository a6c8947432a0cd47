"""What happened: abusive relationships over time, their incidents, court orders and breaches.

Roles belong to events, not people: a perpetrator here is only the person who is the suspect
in the incidents of one relationship ("dyad"), and a counter-allegation flips the roles for one
incident. Serial perpetrators get several intimate partners in turn, moving house (sometimes
to a neighbouring force) between them, so their victims end up in different forces' records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.tables import Choice, pick, table
from synth.world import (
    HH_FAMILY,
    HH_SINGLE,
    HH_SINGLE_PARENT,
    T0,
    T1,
    YEAR,
    Addresses,
    Forces,
    History,
    People,
    move_destination,
)

KIND_HOUSEHOLD, KIND_POOL, KIND_FAMILY = 0, 1, 2
# relationship of the victim to the suspect, as a category
CAT_INTIMATE, CAT_PARENT, CAT_CHILD, CAT_SIBLING = 0, 1, 2, 3
FLIP = np.array([CAT_INTIMATE, CAT_CHILD, CAT_PARENT, CAT_SIBLING])

ROLE_SUSPECT, ROLE_VICTIM, ROLE_WITNESS, ROLE_OTHER = 0, 1, 2, 3
ROLE_NAMES = np.array(["SUSPECT", "VICTIM", "WITNESS", "OTHER"], dtype=object)

INTIMATE_LABELS = frozenset(
    {
        "partner",
        "ex-partner",
        "spouse",
        "ex-spouse",
        "girlfriend",
        "boyfriend",
        "ex-girlfriend",
        "ex-boyfriend",
        "civil partner",
        "ex-civil partner",
    }
)

ORDER_TYPES = ["NON_MOLESTATION", "RESTRAINING", "DVPO", "OCCUPATION", "STALKING_PROTECTION", "DAPO"]
DAPO_START = 20054  # 2024-11-27: first DAPO pilots
DAPO_FORCES = {"metropolitan", "cleveland"}

_HOUR_WEIGHTS = [5, 4, 3, 2, 1.5, 1, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4, 4, 4.5, 5, 6, 7, 8, 8, 8, 7, 6]


@dataclass
class Story:
    """Everything that happened, in true terms (people are indices into People)."""

    dyads: pd.DataFrame
    incidents: pd.DataFrame  # one row per true event
    records: pd.DataFrame  # one row per (event, recording force): boundary events have two
    involvements: pd.DataFrame  # one row per person in an event record
    orders: pd.DataFrame  # one row per true order
    history: History


def _segments(
    rng: np.random.Generator, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the data window into k consecutive relationship periods per perpetrator."""
    owner = np.repeat(np.arange(len(k)), k)
    j = np.arange(len(owner)) - np.repeat(np.cumsum(k) - k, k)
    cuts = rng.uniform(T0 + 90, T1 - 90, len(owner))
    # the boundary before segment j (j>=1) is the j-th smallest cut of the owner; sort cuts within owner
    order = np.lexsort((cuts, owner))
    cuts = cuts[order]
    # segment j starts at the (j)th sorted cut (index j-1 within owner); cuts array has k per owner
    first = np.repeat(np.cumsum(k) - k, k)
    pos = first + j - 1
    start = np.where(j == 0, T0, cuts[np.maximum(pos, 0)].astype(np.int64))
    nxt = first + j
    end = np.where(j == k[owner] - 1, T1, cuts[np.minimum(nxt, len(cuts) - 1)].astype(np.int64))
    return owner, j, start, end


def _labels(
    rng: np.random.Generator, cat: np.ndarray, ex: np.ndarray, married: np.ndarray, vfem: np.ndarray
) -> np.ndarray:
    """The words an officer writes for the victim's relationship to the suspect."""
    n = len(cat)
    u = rng.random(n)
    fem = vfem
    inti = cat == CAT_INTIMATE
    conds = [
        inti & ~ex & married & (u < 0.85),
        inti & ~ex & married,
        inti & ~ex & (u < 0.6),
        inti & ~ex & fem,
        inti & ~ex,
        inti & ex & married & (u < 0.6),
        inti & ex & (u < 0.85),
        inti & ex & fem,
        inti & ex,
        (cat == CAT_PARENT) & (u < 0.03),
        (cat == CAT_PARENT) & fem,
        cat == CAT_PARENT,
        (cat == CAT_CHILD) & (u < 0.03),
        (cat == CAT_CHILD) & fem,
        cat == CAT_CHILD,
        (cat == CAT_SIBLING) & (u < 0.04),
        (cat == CAT_SIBLING) & fem,
    ]
    choices = [
        "Spouse",
        "Partner",
        "Partner",
        "Girlfriend",
        "Boyfriend",
        "Ex-spouse",
        "Ex-partner",
        "Ex-girlfriend",
        "Ex-boyfriend",
        "Other family",
        "Mother",
        "Father",
        "Other family",
        "Daughter",
        "Son",
        "Other family",
        "Sister",
    ]
    out = np.select(conds, choices, "Brother").astype(object)
    out[rng.random(n) < 0.015] = ""  # left blank by the officer
    return out


def _pool_pick(
    rng: np.random.Generator,
    pool: np.ndarray,
    pool_force: np.ndarray,
    pool_fem: np.ndarray,
    pool_dob: np.ndarray,
    force: np.ndarray,
    fem: np.ndarray,
    dob: np.ndarray,
) -> np.ndarray:
    """Choose partners near a target date of birth from the pool living in the wanted force."""
    key_pool = (pool_force.astype(np.int64) * 2 + pool_fem) * 100_000 + pool_dob.astype(np.int64) + 40_000
    order = np.argsort(key_pool, kind="stable")
    key_sorted = key_pool[order]
    block = (force.astype(np.int64) * 2 + fem) * 100_000
    lo = np.searchsorted(key_sorted, block, side="left")
    hi = np.searchsorted(key_sorted, block + 100_000, side="left")
    pos = np.searchsorted(key_sorted, block + dob.astype(np.int64) + 40_000)
    pos = pos + rng.integers(-25, 26, len(pos))
    # a target beyond the youngest (or oldest) candidate must not pile onto that one person
    pos = np.where(pos >= hi, hi - 1 - rng.integers(0, 400, len(pos)), pos)
    pos = np.where(pos < lo, lo + rng.integers(0, 400, len(pos)), pos)
    empty = hi <= lo
    pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
    out = pool[order[np.minimum(pos, len(order) - 1)]]
    if empty.any():  # nobody of that sex in that force: take anyone of that sex
        for f in (False, True):
            m = empty & (fem == f)
            cand = pool[pool_fem == f]
            if m.any() and len(cand):
                out[m] = cand[rng.integers(0, len(cand), int(m.sum()))]
    return out


def build_story(
    rng: np.random.Generator, people: People, forces: Forces, addresses: Addresses, intensity: float = 1.0
) -> Story:
    """Relationships, moves, incidents, orders and breaches for the whole population."""
    n = people.n
    mem = people.hh_members
    h = len(mem)
    hh_type = people.hh_type
    female = people.female
    dob = people.dob

    # 1. perpetrators ----------------------------------------------------------------------
    has_partner = mem[:, 1] >= 0
    couple_da = has_partner & (rng.random(h) < 0.36 * intensity)
    head, partner = mem[:, 0], mem[:, 1]
    male_head = ~female[head]
    mixed = has_partner & (female[head] != female[np.maximum(partner, 0)])
    perp_is_male = rng.random(h) < 0.82
    c_perp = np.where(mixed, np.where(male_head == perp_is_male, head, partner), head)[couple_da]
    c_vict = np.where(c_perp == head[couple_da], partner[couple_da], head[couple_da])
    c_married = people.hh_married[couple_da]

    single = hh_type == HH_SINGLE
    s_rate = np.where(female[head], 0.06, 0.24) * intensity
    single_da = single & (rng.random(h) < s_rate)
    s_perp = head[single_da]

    # partner counts: most have one, a minority are serial
    k_couple = 1 + pick(rng, [0.76, 0.15, 0.055, 0.022, 0.013], len(c_perp))
    k_single = 1 + pick(rng, [0.60, 0.23, 0.095, 0.047, 0.028], len(s_perp))
    perps = np.concatenate([c_perp, s_perp])
    k = np.concatenate([k_couple, k_single])
    from_couple = np.concatenate([np.ones(len(c_perp), bool), np.zeros(len(s_perp), bool)])
    owner, j, seg_start, seg_end = _segments(rng, k)
    seg_perp = perps[owner]

    # family abuse: adult child against parent, parent against adult child, sibling against sibling
    c1, c2 = mem[:, 2], mem[:, 3]
    c1_16 = np.where(c1 >= 0, dob[np.maximum(c1, 0)] + int(16 * YEAR), T1 + 1)
    fam_ok = ((hh_type == HH_FAMILY) | (hh_type == HH_SINGLE_PARENT)) & (c1 >= 0) & (c1_16 < T1 - 365)
    twinish = (people.twin_of[np.maximum(c1, 0)] >= 0) | (people.junior_of[np.maximum(c1, 0)] >= 0)
    fam_da = fam_ok & (rng.random(h) < np.where(twinish, 0.75, 0.38) * intensity)
    fh = np.flatnonzero(fam_da)
    mum = np.where(has_partner[fh] & female[np.maximum(partner[fh], 0)], partner[fh], head[fh])
    mum = np.where(female[mum], mum, -1)
    dad = np.where(~female[head[fh]], head[fh], np.where(has_partner[fh], partner[fh], -1))
    dad = np.where((dad >= 0) & ~female[np.maximum(dad, 0)], dad, -1)
    ftype = pick(rng, [0.42, 0.16, 0.22, 0.20], len(fh))
    child = c1[fh]
    sib = c2[fh]
    sib16 = np.where(sib >= 0, dob[np.maximum(sib, 0)] + int(16 * YEAR), T1 + 1)
    ftype = np.where((ftype == 3) & ((sib < 0) | (sib16 > T1 - 365)), 0, ftype)
    parent_any = np.where(mum >= 0, mum, dad)
    f_perp = np.select(
        [ftype == 0, ftype == 1, ftype == 2],
        [child, child, np.where(dad >= 0, dad, parent_any)],
        np.where(rng.random(len(fh)) < 0.5, child, sib),
    )
    f_vict = np.select(
        [ftype == 0, ftype == 1, ftype == 2],
        [parent_any, np.where(dad >= 0, dad, parent_any), child],
        np.where(f_perp == child, sib, child),
    )
    f_cat = np.select([ftype <= 1, ftype == 2], [CAT_PARENT, CAT_CHILD], CAT_SIBLING)
    f_start = np.maximum(np.maximum(dob[f_perp], dob[f_vict]) + int(16 * YEAR), T0)
    okf = (f_vict >= 0) & (f_vict != f_perp) & (f_start < T1 - 200)
    f_perp, f_vict, f_cat, f_start = f_perp[okf], f_vict[okf], f_cat[okf], f_start[okf]

    # 2. moves ------------------------------------------------------------------------------
    hist = History()
    hist.add(np.arange(n), np.full(n, -1_000_000), people.home[people.hh])
    addresses.finish()
    # a perpetrator moves out at the start of each new relationship
    mv = j >= 1
    mv_p = seg_perp[mv]
    mv_to = move_destination(rng, addresses, forces, people.home[people.hh[mv_p]], 0.35, 0.24)
    hist.add(mv_p, seg_start[mv], mv_to)
    first_move = np.full(n, T1 + 1, dtype=np.int64)
    np.minimum.at(first_move, mv_p, seg_start[mv])
    # ordinary individual moves of adults
    adult = dob < T0 - int(17 * YEAR)
    nm = np.where(adult, pick(rng, [0.72, 0.22, 0.06], n), 0)
    movers = np.repeat(np.arange(n), nm)
    mdays = rng.integers(T0, T1, len(movers))
    mto = move_destination(rng, addresses, forces, people.home[people.hh[movers]], 0.55, 0.07)
    hist.add(movers, mdays, mto)
    np.minimum.at(first_move, movers, mdays)
    # whole households move together (members who have not already left)
    hm = rng.random(h) < 0.26
    hh_ids = np.flatnonzero(hm)
    hdays = rng.integers(T0, T1, len(hh_ids))
    hto = move_destination(rng, addresses, forces, people.home[hh_ids], 0.55, 0.08)
    for slot in range(5):
        who = mem[hh_ids, slot]
        ok = who >= 0
        ok[ok] &= first_move[who[ok]] > hdays[ok]
        hist.add(who[ok], hdays[ok], hto[ok])
    hist.finalise()
    addresses.finish()

    # 3. partners from outside the household for new relationships -----------------------
    perp_set = np.zeros(n, dtype=bool)
    perp_set[perps] = True
    perp_set[f_perp] = True
    pool_mask = (
        (~perp_set)
        & (dob < T1 - int(20 * YEAR))
        & (
            ((hh_type[people.hh] == HH_SINGLE) | (hh_type[people.hh] == HH_SINGLE_PARENT))
            & (people.role == 0)
            | ((hh_type[people.hh] == HH_FAMILY) & (people.role == 2))
        )
    )
    pool = np.flatnonzero(pool_mask)
    is_pool_seg = ~((j == 0) & from_couple[owner])
    ps = np.flatnonzero(is_pool_seg)
    p_perp = seg_perp[ps]
    p_addr = hist.at(p_perp, seg_start[ps] + 1)
    want_fem = np.where(rng.random(len(ps)) < 0.97, ~female[p_perp], female[p_perp])
    target_dob = dob[p_perp] + np.where(female[p_perp], -1.5, 2.0) * YEAR + rng.normal(0, 4, len(ps)) * YEAR
    p_vict = _pool_pick(
        rng,
        pool,
        addresses.force[people.home[people.hh[pool]]],
        female[pool],
        dob[pool],
        addresses.force[p_addr],
        want_fem,
        target_dob.astype(np.int64),
    )
    # some new partners move in with the perpetrator
    cohab = rng.random(len(ps)) < 0.45
    cday = seg_start[ps][cohab] + rng.integers(0, 60, int(cohab.sum()))
    hist.add(p_vict[cohab], cday, hist.at(p_perp[cohab], cday))
    hist.finalise()

    # 4. dyads ------------------------------------------------------------------------------
    seg_vict = np.empty(len(seg_perp), dtype=np.int64)
    seg_vict[ps] = p_vict
    hs = np.flatnonzero(~is_pool_seg)
    seg_vict[hs] = c_vict[owner[hs]]
    seg_married = np.zeros(len(seg_perp), dtype=bool)
    seg_married[hs] = c_married[owner[hs]]
    seg_married[ps] = rng.random(len(ps)) < 0.08
    last = j == k[owner] - 1
    length = seg_end - seg_start
    sep = np.where(
        ~last,
        seg_end - (rng.uniform(0, 0.5, len(j)) * length).astype(np.int64),
        np.where(
            rng.random(len(j)) < 0.65,
            seg_start + (rng.uniform(0.1, 0.9, len(j)) * length).astype(np.int64),
            T1 + 1,
        ),
    )
    intense = rng.gamma(0.75, 1 / 0.75, len(perps))
    dy = pd.DataFrame(
        {
            "perp": np.concatenate([seg_perp, f_perp]),
            "victim": np.concatenate([seg_vict, f_vict]),
            "kind": np.concatenate(
                [np.where(is_pool_seg, KIND_POOL, KIND_HOUSEHOLD), np.full(len(f_perp), KIND_FAMILY)]
            ),
            "cat": np.concatenate([np.full(len(seg_perp), CAT_INTIMATE), f_cat]),
            "married": np.concatenate([seg_married, np.zeros(len(f_perp), bool)]),
            "start": np.concatenate([seg_start, f_start]),
            "end": np.concatenate([seg_end, np.full(len(f_perp), T1)]),
            "sep": np.concatenate([sep, np.full(len(f_perp), T1 + 1)]),
            "intensity": np.concatenate([intense[owner], rng.gamma(0.75, 1 / 0.75, len(f_perp))]),
            "n_partners": np.concatenate([k[owner], np.zeros(len(f_perp), dtype=np.int64)]),
        }
    )
    dy = dy[(dy["victim"] >= 0) & (dy["victim"] != dy["perp"])].reset_index(drop=True)
    nd = len(dy)

    # 5. incidents ----------------------------------------------------------------------------
    lam = 1.3 * dy["intensity"].to_numpy()
    count = np.minimum(1 + rng.poisson(lam), 40)
    d_idx = np.repeat(np.arange(nd), count)
    s = dy["start"].to_numpy()[d_idx]
    e = dy["end"].to_numpy()[d_idx]
    a_off = rng.uniform(0, 0.4, nd)
    span = dy["end"].to_numpy() - dy["start"].to_numpy()
    active_start = dy["start"].to_numpy() + (a_off * span).astype(np.int64)
    active_len = np.minimum(
        dy["end"].to_numpy() - active_start, rng.exponential(450, nd).astype(np.int64) + 30
    )
    # many incidents follow a separation: move the separation into the abusive period for most
    intimate = dy["cat"].to_numpy() == CAT_INTIMATE
    resep = intimate & (rng.random(nd) < 0.6)
    new_sep = active_start + (rng.uniform(0.0, 1.0, nd) * active_len).astype(np.int64)
    dy.loc[resep, "sep"] = np.minimum(new_sep, dy["sep"].to_numpy())[resep]
    day = active_start[d_idx] + (rng.random(len(d_idx)) * np.maximum(active_len[d_idx], 1)).astype(np.int64)
    day = np.clip(day, s, e)
    order = np.lexsort((day, d_idx))
    d_idx, day = d_idx[order], day[order]
    first_of = np.r_[True, d_idx[1:] != d_idx[:-1]]
    rank = np.arange(len(d_idx)) - np.maximum.accumulate(np.where(first_of, np.arange(len(d_idx)), 0))
    cnt = count[d_idx]
    # counter-allegations: one later incident of some relationships has the roles reversed
    flip_dy = (count >= 2) & (rng.random(nd) < 0.15)
    flip_at = 1 + (rng.random(nd) * np.maximum(count - 1, 1)).astype(np.int64)
    flipped = flip_dy[d_idx] & (rank == flip_at[d_idx])
    del cnt

    off = table("offences.csv")
    regular = off[~off["kind"].str.startswith("breach")]
    off_choice = Choice(regular.index.to_numpy(), regular["weight"].astype(float).to_numpy())
    offence = off_choice.draw(rng, len(d_idx)).astype(np.int64)

    inc = pd.DataFrame({"dyad": d_idx, "day": day, "flipped": flipped, "offence": offence, "order": -1})

    # 6. orders and breaches ---------------------------------------------------------------------
    risk = pick(rng, [0.12, 0.64, 0.23, 0.01], len(inc))  # HIGH, MEDIUM, STANDARD, blank
    grp = off["group"].to_numpy()[inc["offence"].to_numpy()]
    serious = np.isin(grp, ["homicide", "rape", "violence with injury"]) & (rng.random(len(inc)) < 0.8)
    risk = np.where(serious, 0, risk)
    inc["risk"] = risk
    any_high = np.zeros(nd, dtype=bool)
    any_high[inc["dyad"].to_numpy()[risk == 0]] = True
    p_order = (0.05 + 0.12 * any_high) * np.where(dy["cat"].to_numpy() == CAT_INTIMATE, 1.0, 0.6)
    has_order = rng.random(nd) < p_order
    od = np.flatnonzero(has_order)
    # the order follows one of the relationship's incidents (not a counter-allegation)
    first_row = np.searchsorted(inc["dyad"].to_numpy(), od)
    pick_row = first_row + (rng.random(len(od)) * count[od]).astype(np.int64)
    base_day = inc["day"].to_numpy()[pick_row]
    otype = pick(rng, [0.50, 0.22, 0.15, 0.05, 0.04, 0.04], len(od))
    family = dy["cat"].to_numpy()[od] != CAT_INTIMATE
    otype = np.where(family & np.isin(otype, [3, 4]), 0, otype)
    delay = np.where(otype == 2, rng.integers(1, 3, len(od)), rng.integers(3, 75, len(od)))
    made = base_day + delay
    vict = dy["victim"].to_numpy()[od]
    perp = dy["perp"].to_numpy()[od]
    v_force = addresses.force[hist.at(vict, made)]
    dapo_ok = np.isin(np.asarray(forces.keys, dtype=object)[v_force], list(DAPO_FORCES)) & (
        made >= DAPO_START
    )
    otype = np.where((otype == 5) & ~dapo_ok, 0, otype)
    otype = np.where((rng.random(len(od)) < 0.5) & dapo_ok & (otype == 0), 5, otype)
    keep = made <= T1 - 3
    od, made, otype, vict, perp, v_force = (
        od[keep],
        made[keep],
        otype[keep],
        vict[keep],
        perp[keep],
        v_force[keep],
    )
    no = len(od)
    # expiry: -1 = until further order, -2 = blank in the extract
    dur = np.select(
        [otype == 0, otype == 1, otype == 2, otype == 3, otype == 4],
        [
            np.where(rng.random(no) < 0.5, 182, 365),
            (rng.integers(1, 6, no) * 365.25).astype(np.int64),
            rng.integers(14, 29, no),
            np.full(no, 182),
            np.where(rng.random(no) < 0.6, 730, 1095),
        ],
        np.where(rng.random(no) < 0.5, 365, 730),
    )
    ufo_p = np.select([otype == 0, otype == 1, otype == 4, otype == 5], [0.25, 0.35, 0.3, 0.3], 0.0)
    u = rng.random(no)
    expires = np.where(u < ufo_p, -1, made + dur)
    blank = (otype == 0) & (rng.random(no) < 0.04)
    active_end = np.where(expires < 0, T1, np.minimum(expires, T1))  # for breach timing; blank = unknown
    expires = np.where(blank, -2, expires)
    orders = pd.DataFrame(
        {
            "dyad": od,
            "type": np.asarray(ORDER_TYPES, dtype=object)[otype],
            "made": made,
            "expires": expires,
            "respondent": perp,
            "protected": vict,
            "force": v_force,
        }
    )
    # breaches while the order is active
    br = (rng.random(no) < 0.35) & (active_end > made + 1)
    nb = np.where(br, 1 + rng.poisson(0.5, no), 0)
    b_order = np.repeat(np.arange(no), nb)
    lo = made[b_order] + 1
    hi = np.minimum(active_end[b_order], made[b_order] + 730)
    b_day = lo + (rng.random(len(b_order)) * np.maximum(hi - lo, 1)).astype(np.int64)
    kinds = off["kind"].to_numpy()
    breach_offence = {t: int(np.flatnonzero(kinds == f"breach:{t}")[0]) for t in ORDER_TYPES}
    b_off = np.array([breach_offence[t] for t in orders["type"].to_numpy()[b_order]], dtype=np.int64)
    b_inc = pd.DataFrame(
        {
            "dyad": od[b_order],
            "day": b_day,
            "flipped": False,
            "offence": b_off,
            "order": b_order,
            "risk": pick(rng, [0.3, 0.55, 0.14, 0.01], len(b_order)),
        }
    )
    inc = pd.concat([inc, b_inc], ignore_index=True)
    inc = inc[inc["day"] <= T1].sort_values(["day", "dyad"], kind="stable").reset_index(drop=True)
    ni = len(inc)
    hour = Choice(list(range(24)), _HOUR_WEIGHTS).idx(rng, ni)
    inc["minute"] = inc["day"].to_numpy() * 1440 + hour * 60 + rng.integers(0, 60, ni)

    # who was suspect and victim, and where it happened
    dyp = dy["perp"].to_numpy()[inc["dyad"].to_numpy()]
    dyv = dy["victim"].to_numpy()[inc["dyad"].to_numpy()]
    fl = inc["flipped"].to_numpy()
    inc["suspect"] = np.where(fl, dyv, dyp)
    inc["victim"] = np.where(fl, dyp, dyv)
    at_victim = rng.random(ni) < 0.8
    inc["location"] = np.where(
        at_victim,
        hist.at(inc["victim"].to_numpy(), inc["day"].to_numpy()),
        hist.at(inc["suspect"].to_numpy(), inc["day"].to_numpy()),
    )
    inc["force"] = addresses.force[inc["location"].to_numpy()].astype(np.int64)
    cat = dy["cat"].to_numpy()[inc["dyad"].to_numpy()]
    cat = np.where(fl, FLIP[cat], cat)
    ex = inc["day"].to_numpy() >= dy["sep"].to_numpy()[inc["dyad"].to_numpy()]
    married = dy["married"].to_numpy()[inc["dyad"].to_numpy()]
    inc["relationship"] = _labels(rng, cat, ex, married, female[inc["victim"].to_numpy()])
    inc["da"] = rng.random(ni) < 0.94
    inc["event"] = np.arange(ni)

    # 7. recording forces: a few events on a force boundary are recorded by two forces ----------
    adj_n = np.array([len(a) for a in forces.adjacent])
    dup = (adj_n[inc["force"].to_numpy()] > 0) & (rng.random(ni) < 0.012)
    di = np.flatnonzero(dup)
    other = np.array(
        [
            forces.adjacent[f][int(r * len(forces.adjacent[f]))]
            for f, r in zip(inc["force"].to_numpy()[di], rng.random(len(di)), strict=True)
        ],
        dtype=np.int64,
    )
    rec = pd.DataFrame(
        {
            "event": np.concatenate([inc["event"].to_numpy(), di]),
            "force": np.concatenate([inc["force"].to_numpy(), other]),
            "minute": np.concatenate(
                [inc["minute"].to_numpy(), inc["minute"].to_numpy()[di] + rng.integers(0, 120, len(di))]
            ),
            "second": np.concatenate([np.zeros(ni, bool), np.ones(len(di), bool)]),
        }
    )
    rec["rec"] = np.arange(len(rec))

    # 8. who is in each record: suspect, victim, sometimes witnesses and others present ----------
    ev = rec["event"].to_numpy()
    rows = [
        (rec["rec"].to_numpy(), inc["suspect"].to_numpy()[ev], ROLE_SUSPECT),
        (rec["rec"].to_numpy(), inc["victim"].to_numpy()[ev], ROLE_VICTIM),
    ]
    first_rec = rec[~rec["second"]]
    for role, p_in, min_age, slots in (
        (ROLE_WITNESS, 0.22, 8, (0, 1, 2, 3, 4)),
        (ROLE_WITNESS, 0.04, 8, (0, 1, 2, 3, 4)),
        (ROLE_OTHER, 0.05, 0, (2, 3, 4)),
    ):
        sel = first_rec[rng.random(len(first_rec)) < p_in]
        e2 = sel["event"].to_numpy()
        vic = inc["victim"].to_numpy()[e2]
        sus = inc["suspect"].to_numpy()[e2]
        dday = inc["day"].to_numpy()[e2]
        slot = np.asarray(slots)[rng.integers(0, len(slots), len(sel))]
        cand = mem[people.hh[vic], slot]
        okc = cand >= 0
        okc[okc] &= (cand[okc] != vic[okc]) & (cand[okc] != sus[okc])
        okc[okc] &= dob[cand[okc]] <= dday[okc] - int(min_age * YEAR)
        # otherwise a neighbour or passer-by from the same force
        f = inc["force"].to_numpy()[e2]
        neighbour = _random_in_force(rng, people, addresses, f)
        who = np.where(okc & (rng.random(len(sel)) < 0.6), cand, neighbour)
        okw = (who != vic) & (who != sus)
        rows.append((sel["rec"].to_numpy()[okw], who[okw], role))
    inv = pd.DataFrame(
        {
            "rec": np.concatenate([r[0] for r in rows]),
            "person": np.concatenate([r[1] for r in rows]).astype(np.int64),
            "role": np.concatenate([np.full(len(r[0]), r[2]) for r in rows]).astype(np.int8),
        }
    )
    inv = inv.drop_duplicates(["rec", "person"], keep="first")
    inv = inv.sort_values(["rec", "role"], kind="stable").reset_index(drop=True)
    return Story(dyads=dy, incidents=inc, records=rec, involvements=inv, orders=orders, history=hist)


def _random_in_force(
    rng: np.random.Generator, people: People, addresses: Addresses, force: np.ndarray
) -> np.ndarray:
    """Random adults whose home is in the given force (neighbours, friends, passers-by)."""
    home_force = addresses.force[people.home[people.hh]].astype(np.int64)
    order = np.argsort(home_force, kind="stable")
    hf = home_force[order]
    lo = np.searchsorted(hf, force, side="left")
    hi = np.searchsorted(hf, force, side="right")
    pos = lo + (rng.random(len(force)) * np.maximum(hi - lo, 1)).astype(np.int64)
    pos = np.minimum(pos, len(order) - 1)
    return order[pos].astype(np.int64)
