"""The true world behind the extracts: forces, addresses, households, people and their moves.

Households are built first so that the hard cases for linkage arise naturally: partners and
relatives at one address sharing a surname, twins (same surname, DOB and address), fathers
and sons sharing a forename, married women whose surname changes during the data window.
Everything is numpy arrays indexed by person number; nothing here knows about extract formats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth.names import ORIGIN_INDEX, NameBank, gendered
from synth.tables import Choice, pick, table

T0 = 16801  # 2016-01-01 as days since 1970-01-01: start of the data window
T1 = 20269  # 2025-06-30: end of the data window (the extract date)
YEAR = 365.25

HH_SINGLE, HH_COUPLE, HH_SINGLE_PARENT, HH_FAMILY = 0, 1, 2, 3
ROLE_HEAD, ROLE_PARTNER, ROLE_CHILD = 0, 1, 2


@dataclass
class Forces:
    """The forces in the run, in data-file order (index = force number)."""

    keys: list[str]
    names: list[str]
    profile: list[str]
    prefix: list[str]
    person_prefix: list[str]
    weight: np.ndarray
    file: list[str]
    encoding: list[str]
    bom: list[bool]
    crlf: list[bool]
    extra: list[str]
    adjacent: list[list[int]]

    @classmethod
    def load(cls) -> Forces:
        t = table("forces.csv")
        keys = t["key"].tolist()
        pos = {k: i for i, k in enumerate(keys)}
        return cls(
            keys=keys,
            names=t["name"].tolist(),
            profile=t["profile"].tolist(),
            prefix=t["prefix"].tolist(),
            person_prefix=t["person_prefix"].tolist(),
            weight=t["weight"].astype(float).to_numpy(),
            file=t["file"].tolist(),
            encoding=t["encoding"].tolist(),
            bom=(t["bom"] == "Y").tolist(),
            crlf=(t["crlf"] == "Y").tolist(),
            extra=t["extra_column"].tolist(),
            adjacent=[[pos[a] for a in s.split(";") if a] for s in t["adjacent"]],
        )

    def __len__(self) -> int:
        return len(self.keys)


_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)
_DIGITS = np.array(list("0123456789"), dtype=object)


class Addresses:
    """Append-only table of addresses; an address number is an index into the final arrays."""

    def __init__(self, forces: Forces, seed: int = 0) -> None:
        # Buildings of flats and the several ways an address is written draw from their own
        # stream, so adding them left every other draw of the generator as it was.
        self.vrng = np.random.default_rng([seed, 0xADD])
        p = table("places.csv")
        self.forces = forces
        fidx = {k: i for i, k in enumerate(forces.keys)}
        self.place_force = p["force"].map(fidx).to_numpy(dtype=np.int16)
        self.place_town = p["town"].to_numpy(dtype=object)
        self.by_force = []
        for f in range(len(forces)):
            rows = np.flatnonzero(self.place_force == f)
            self.by_force.append((rows, Choice(rows, p["weight"].astype(float).to_numpy()[rows])))
        oc = [s.split(";") for s in p["outcodes"]]
        self.oc_flat = np.array([o for lst in oc for o in lst], dtype=object)
        self.oc_count = np.array([len(lst) for lst in oc])
        self.oc_start = np.concatenate([[0], np.cumsum(self.oc_count)[:-1]])
        loc = [[x for x in s.split(";") if x] for s in p["localities"]]
        self.loc_flat = np.array([x for lst in loc for x in lst] + [""], dtype=object)
        self.loc_count = np.array([len(lst) for lst in loc])
        self.loc_start = np.concatenate([[0], np.cumsum(self.loc_count)[:-1]])
        st = table("streets.csv")["name"].drop_duplicates().tolist()
        self.streets = np.array(st, dtype=object)
        ty = table("street_types.csv")
        self.types = Choice(ty["type"].tolist(), ty["weight"].astype(float).tolist())
        self._parts: list[dict[str, np.ndarray]] = []
        self.n = 0
        self.force = self.place = self.town = self.locality = self.line1 = self.postcode = None
        self.flat = self.number = self.street_name = self.street_type = self.building = None

    def new(self, rng: np.random.Generator, force: np.ndarray, place: np.ndarray | None = None) -> np.ndarray:
        """Fresh addresses in the given forces (and towns, when ``place`` is given)."""
        force = np.asarray(force, dtype=np.int16)
        n = len(force)
        if place is None:
            place = np.empty(n, dtype=np.int32)
            for f in range(len(self.forces)):
                m = force == f
                k = int(m.sum())
                if k:
                    place[m] = self.by_force[f][1].draw(rng, k)
        place = np.asarray(place, dtype=np.int32)
        oc = self.oc_flat[self.oc_start[place] + (rng.random(n) * self.oc_count[place]).astype(int)]
        inward = (
            _DIGITS[rng.integers(0, 10, n)]
            + _INWARD_LETTERS[rng.integers(0, 20, n)]
            + _INWARD_LETTERS[rng.integers(0, 20, n)]
        )
        postcode = oc + " " + inward
        has_loc = (self.loc_count[place] > 0) & (rng.random(n) < 0.7)
        li = np.where(
            has_loc,
            self.loc_start[place] + (rng.random(n) * np.maximum(self.loc_count[place], 1)).astype(int),
            len(self.loc_flat) - 1,
        )
        locality = self.loc_flat[li]
        number = np.minimum(1 + rng.geometric(0.025, n), 420)
        sname = self.streets[rng.integers(0, len(self.streets), n)]
        stype = self.types.draw(rng, n)
        is_flat = rng.random(n) < 0.14
        flat = np.zeros(n, dtype=np.int64)
        flat[is_flat] = 1 + rng.integers(0, 40, is_flat.sum())
        building = np.full(n, "", dtype=object)
        _share_buildings(self.vrng, place, number, sname, stype, postcode, locality, flat, building)
        line1 = _line1(flat, building, number, sname, stype)
        self._parts.append(
            {
                "force": force,
                "place": place,
                "locality": locality,
                "line1": line1,
                "postcode": postcode,
                "flat": flat,
                "number": number,
                "street_name": sname,
                "street_type": stype,
                "building": building,
            }
        )
        ids = np.arange(self.n, self.n + n)
        self.n += n
        return ids

    def finish(self) -> None:
        """Concatenate the new parts onto the flat arrays (call before reading them)."""
        if not self._parts:
            return
        for key in ("force", "place", "locality", "line1", "postcode", *_PARTS):
            old = getattr(self, key)
            setattr(
                self, key, np.concatenate(([old] if old is not None else []) + [p[key] for p in self._parts])
            )
        self.town = self.place_town[self.place]
        self._parts = []

    def text(self, ids: np.ndarray) -> np.ndarray:
        """Free-text address without postcode: line 1, locality, town."""
        loc = self.locality[ids]
        sep = np.where(loc == "", "", ", ").astype(object)
        return self.line1[ids] + ", " + loc + sep + self.town[ids]

    def written_line1(self, ids: np.ndarray, p_variant: float = 0.35) -> np.ndarray:
        """Line 1 as a clerk types it: mostly as listed, else another spelling of the same place.

        ``Flat 23, 144 Park Avenue`` may become ``144 PARK AVE F23``, ``23/144 Park Ave``,
        ``Apartment 23, 144 Park Avenue``, ``flat 23 144 park avenue`` or carry a one-letter
        slip in the street name; a building name may be left out.
        """
        ids = np.asarray(ids, dtype=np.int64)
        rng = self.vrng
        n = len(ids)
        flat, bld, num = self.flat[ids], self.building[ids], self.number[ids]
        sname, stype = self.street_name[ids].copy(), self.street_type[ids]
        kind = np.where(rng.random(n) < p_variant, 1 + rng.integers(0, 6, n), 0)
        slip = (kind > 0) & (rng.random(n) < 0.08)
        for i in np.flatnonzero(slip):
            sname[i] = _slip(sname[i], rng)
        short = np.array([_ABBREV.get(t, t) for t in stype], dtype=object)
        keep_bld = np.where(kind > 0, rng.random(n) < 0.5, True)
        out = _line1(flat, np.where(keep_bld, bld, ""), num, sname, stype)
        nums = num.astype(str).astype(object)
        fl = flat.astype(str).astype(object)
        has = flat > 0
        bsep = np.where(keep_bld & (bld != ""), bld + ", ", "").astype(object)
        # 1: upper case, abbreviated type, flat as a suffix: 144 PARK AVE F23
        v = nums + " " + sname + " " + short + np.where(has, " F" + fl, "")
        out = np.where(kind == 1, (bsep + v).astype(str), out)
        # 2: flat/number: 23/144 Park Ave
        v = np.where(has, fl + "/" + nums, nums) + " " + sname + " " + short
        out = np.where(kind == 2, v, out)
        # 3: no commas: Flat 23 144 Park Avenue
        v = np.where(has, "Flat " + fl + " ", "") + bsep.astype(str) + nums + " " + sname + " " + stype
        out = np.where(kind == 3, v, out)
        # 4: Apartment / Apt
        word = np.where(rng.random(n) < 0.5, "Apartment ", "Apt ")
        v = np.where(has, word + fl + ", ", "") + bsep + nums + " " + sname + " " + stype
        out = np.where(kind == 4, v, out)
        # 5: number and street split by a comma: 144, Park Avenue
        v = np.where(has, "Flat " + fl + ", ", "") + bsep + nums + ", " + sname + " " + stype
        out = np.where(kind == 5, v, out)
        out = out.astype(object)
        upper = (kind == 1) | ((kind > 1) & (rng.random(n) < 0.2))
        lower = ~upper & (kind > 1) & (rng.random(n) < 0.1)
        out[upper] = pd.Series(out[upper], dtype=object).str.upper().to_numpy(dtype=object)
        out[lower] = pd.Series(out[lower], dtype=object).str.lower().to_numpy(dtype=object)
        return out

    def written_text(self, ids: np.ndarray) -> np.ndarray:
        """Free-text address without postcode as written: line 1 (spelt as written), locality, town."""
        ids = np.asarray(ids, dtype=np.int64)
        line1 = self.written_line1(ids)
        loc = self.locality[ids].copy()
        drop = self.vrng.random(len(ids)) < 0.15
        loc[drop] = ""
        town = self.town[ids].copy()
        up = self.vrng.random(len(ids)) < 0.1
        town[up] = pd.Series(town[up], dtype=object).str.upper().to_numpy(dtype=object)
        sep = np.where(loc == "", "", ", ").astype(object)
        return line1 + ", " + loc + sep + town


_PARTS = ("flat", "number", "street_name", "street_type", "building")
_ABBREV = {
    "Road": "Rd",
    "Street": "St",
    "Avenue": "Ave",
    "Close": "Cl",
    "Terrace": "Terr",
    "Crescent": "Cres",
    "Drive": "Dr",
    "Lane": "Ln",
    "Gardens": "Gdns",
    "Court": "Ct",
    "Place": "Pl",
    "Grove": "Gro",
    "Square": "Sq",
}
_BUILDING_WORDS = np.array(["House", "Court", "Lodge", "Mansions", "Heights", "Point"], dtype=object)


def _line1(
    flat: np.ndarray, building: np.ndarray, number: np.ndarray, sname: np.ndarray, stype: np.ndarray
) -> np.ndarray:
    """The listed first line: ``Flat 23, Alder House, 144 Park Avenue``."""
    street = number.astype(str).astype(object) + " " + sname + " " + stype
    bld = np.where(building == "", "", building + ", ").astype(object)
    flat_txt = np.where(flat > 0, "Flat " + flat.astype(str).astype(object) + ", ", "").astype(object)
    return (flat_txt + bld + street).astype(object)


def _slip(word: str, rng: np.random.Generator) -> str:
    """One keying slip in a street name: a letter dropped or two neighbours swapped."""
    if len(word) < 5:
        return word
    i = 1 + int(rng.integers(0, len(word) - 2))
    if rng.random() < 0.5:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _share_buildings(
    rng: np.random.Generator,
    place: np.ndarray,
    number: np.ndarray,
    sname: np.ndarray,
    stype: np.ndarray,
    postcode: np.ndarray,
    locality: np.ndarray,
    flat: np.ndarray,
    building: np.ndarray,
) -> None:
    """Turn some new addresses into further flats of another new address's building (in place).

    Flats in one building share number, street and postcode and differ only in the flat, so
    linkage meets the neighbours it must keep apart. Flat numbers stay distinct per building.
    """
    n = len(place)
    if n < 2:
        return
    sib = rng.random(n) < 0.10
    hosts = np.flatnonzero(~sib)
    if len(hosts) == 0:
        return
    order = hosts[np.argsort(place[hosts], kind="stable")]
    hp = place[order]
    si = np.flatnonzero(sib)
    lo = np.searchsorted(hp, place[si], side="left")
    hi = np.searchsorted(hp, place[si], side="right")
    ok = hi > lo
    si, lo, hi = si[ok], lo[ok], hi[ok]
    host = order[lo + (rng.random(len(si)) * (hi - lo)).astype(np.int64)]
    if len(si) == 0:
        return
    number[si] = number[host]
    sname[si] = sname[host]
    stype[si] = stype[host]
    postcode[si] = postcode[host]
    locality[si] = locality[host]
    grp = np.argsort(host, kind="stable")
    si, host = si[grp], host[grp]
    starts = np.r_[0, np.flatnonzero(host[1:] != host[:-1]) + 1]
    ends = np.r_[starts[1:], len(host)]
    named = rng.random(len(starts)) < 0.3
    words = _BUILDING_WORDS[rng.integers(0, len(_BUILDING_WORDS), len(starts))]
    for g, (a, b) in enumerate(zip(starts, ends, strict=True)):
        h = host[a]
        members = si[a:b]
        taken = {int(flat[h])} if flat[h] > 0 else set()
        free = [int(f) for f in (1 + rng.permutation(max(60, 2 * (b - a) + 2))) if int(f) not in taken]
        if flat[h] == 0:
            flat[h] = free.pop()
        flat[members] = free[: len(members)]
        if named[g]:
            name = f"{sname[h]} {words[g]}"
            building[h] = name
            building[members] = name


class History:
    """Who lived where from when: entries (person, from_day, address), looked up by date."""

    _OFF = 1 << 21
    _BIG = 1 << 23

    def __init__(self) -> None:
        self._p: list[np.ndarray] = []
        self._d: list[np.ndarray] = []
        self._a: list[np.ndarray] = []
        self.keys = self.addr = None

    def add(self, person: np.ndarray, day: np.ndarray, addr: np.ndarray) -> None:
        self._p.append(np.asarray(person, dtype=np.int64))
        self._d.append(np.asarray(day, dtype=np.int64))
        self._a.append(np.asarray(addr, dtype=np.int64))

    def finalise(self) -> None:
        p = np.concatenate(self._p)
        d = np.concatenate(self._d)
        a = np.concatenate(self._a)
        order = np.lexsort((d, p))
        self.keys = p[order] * self._BIG + d[order] + self._OFF
        self.addr = a[order]
        self.person = p[order]
        self.day = d[order]

    def at(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The address each person lived at on each day."""
        k = np.asarray(person, dtype=np.int64) * self._BIG + np.asarray(day, dtype=np.int64) + self._OFF
        i = np.searchsorted(self.keys, k, side="right") - 1
        return self.addr[i]


@dataclass
class People:
    """The true people, one array element per person."""

    n: int
    hh: np.ndarray
    role: np.ndarray
    female: np.ndarray
    dob: np.ndarray
    origin: np.ndarray
    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    birth_surname: np.ndarray
    name_change_day: np.ndarray
    twin_of: np.ndarray
    junior_of: np.ndarray
    phone: np.ndarray
    hh_type: np.ndarray
    hh_force: np.ndarray
    hh_married: np.ndarray
    hh_members: np.ndarray  # (households, 5): head, partner, child1..3 or -1
    home: np.ndarray  # first address of each household

    def surname_on(self, day: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """The surname a person went by on a day (birth surname before a marriage in the window)."""
        before = (self.name_change_day[idx] > 0) & (day < self.name_change_day[idx])
        return np.where(before, self.birth_surname[idx], self.surname[idx])


def _dob(
    rng: np.random.Generator, mean_year: np.ndarray | float, sd: float, lo: int, hi: int, n: int
) -> np.ndarray:
    year = np.clip(rng.normal(mean_year, sd, n), lo, hi + 0.999)
    return np.round((year - 1970) * YEAR).astype(np.int32)


def build_people(
    rng: np.random.Generator, n: int, forces: Forces, addresses: Addresses, bank: NameBank
) -> People:
    """Households of realistic shape, then their members with names, dates of birth and phones."""
    hh_probs = [0.30, 0.38, 0.17, 0.15]
    h = int(n / 2.35) + 16
    hh_type = pick(rng, hh_probs, h)
    two_parents = (hh_type == HH_COUPLE) | ((hh_type == HH_FAMILY) & (rng.random(h) < 0.7))
    kids = np.zeros(h, dtype=np.int64)
    m = hh_type == HH_COUPLE
    kids[m] = pick(rng, [0.45, 0.2, 0.22, 0.13], int(m.sum()))
    m = hh_type == HH_SINGLE_PARENT
    kids[m] = 1 + pick(rng, [0.5, 0.35, 0.15], int(m.sum()))
    m = hh_type == HH_FAMILY
    kids[m] = 1 + pick(rng, [0.45, 0.4, 0.15], int(m.sum()))
    size = 1 + two_parents.astype(np.int64) + kids
    end = np.cumsum(size)
    keep = end <= n
    hh_type, two_parents, kids, size = hh_type[keep], two_parents[keep], kids[keep], size[keep]
    short = n - int(size.sum())
    if short > 0:  # top up with one-person households to land exactly on n people
        hh_type = np.concatenate([hh_type, np.zeros(short, dtype=hh_type.dtype)])
        two_parents = np.concatenate([two_parents, np.zeros(short, dtype=bool)])
        kids = np.concatenate([kids, np.zeros(short, dtype=np.int64)])
        size = np.concatenate([size, np.ones(short, dtype=np.int64)])
    h = len(hh_type)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])

    hh_force = Choice(list(range(len(forces))), forces.weight).idx(rng, h).astype(np.int16)
    mix = table("origins.csv")
    hh_origin = np.zeros(h, dtype=np.int8)
    origin_choice = {}
    for f, key in enumerate(forces.keys):
        g = mix[mix["force"] == key]
        origin_choice[f] = Choice([ORIGIN_INDEX[o] for o in g["origin"]], g["weight"].astype(float).tolist())
        m = hh_force == f
        hh_origin[m] = origin_choice[f].draw(rng, int(m.sum())).astype(np.int8)
    hh_married = two_parents & (rng.random(h) < np.where(hh_type == HH_FAMILY, 0.7, 0.5))
    same_sex = (hh_type == HH_COUPLE) & (rng.random(h) < 0.04)

    # person arrays
    hh = np.repeat(np.arange(h), size)
    slot = np.arange(n) - start[hh]
    role = np.where(slot == 0, ROLE_HEAD, np.where((slot == 1) & two_parents[hh], ROLE_PARTNER, ROLE_CHILD))
    members = np.full((h, 5), -1, dtype=np.int64)
    members[:, 0] = start
    members[two_parents, 1] = start[two_parents] + 1
    for c in range(3):
        mk = kids > c
        members[mk, 2 + c] = start[mk] + 1 + two_parents[mk] + c

    # sex
    head_f = np.select(
        [hh_type == HH_SINGLE, hh_type == HH_SINGLE_PARENT, two_parents],
        [rng.random(h) < 0.5, rng.random(h) < 0.88, rng.random(h) < 0.04],
        rng.random(h) < 0.75,
    )
    female = np.zeros(n, dtype=bool)
    female[start] = head_f
    pidx = members[two_parents, 1]
    female[pidx] = np.where(same_sex[two_parents], head_f[two_parents], ~head_f[two_parents])
    cm = role == ROLE_CHILD
    female[cm] = rng.random(int(cm.sum())) < 0.5

    # dates of birth
    dob = np.zeros(n, dtype=np.int32)
    mean = np.select(
        [hh_type == HH_SINGLE, hh_type == HH_COUPLE, hh_type == HH_SINGLE_PARENT], [1986, 1983, 1988], 1965
    )
    sd = np.select([hh_type == HH_FAMILY], [6.0], 9.5)
    year = np.clip(
        rng.normal(mean, sd),
        np.where(hh_type == HH_FAMILY, 1944, 1952),
        np.where(hh_type == HH_FAMILY, 1978, 2003) + 0.999,
    )
    dob[start] = np.round((year - 1970) * YEAR).astype(np.int32)
    gap = rng.normal(np.where(head_f[two_parents], 1.5, -2.0), 3.5) * YEAR
    dob[pidx] = np.minimum(dob[start[two_parents]] + gap.astype(np.int32), int((2003.9 - 1970) * YEAR))
    # children: relative to the mother (or the lone parent)
    mother = np.where(two_parents & ~head_f, members[:, 1], start)
    ch = np.flatnonzero(cm)
    mum_dob = dob[mother[hh[ch]]]
    is_family = hh_type[hh[ch]] == HH_FAMILY
    age_at_birth = np.where(is_family, rng.uniform(18, 36, len(ch)), rng.uniform(17, 40, len(ch)))
    cdob = mum_dob + (age_at_birth * YEAR).astype(np.int32)
    cap = np.where(is_family, int((2006.5 - 1970) * YEAR), int((2023.5 - 1970) * YEAR))
    dob[ch] = np.minimum(cdob, cap - rng.integers(0, 900, len(ch)))

    # twins: the second child shares the first child's date of birth (and often sex)
    twin_of = np.full(n, -1, dtype=np.int64)
    tw = (kids >= 2) & (rng.random(h) < 0.05)
    a, b = members[tw, 2], members[tw, 3]
    dob[b] = dob[a]
    same = rng.random(len(b)) < 0.6
    female[b[same]] = female[a[same]]
    twin_of[b] = a
    twin_of[a] = b

    # names
    origin = hh_origin[hh].copy()
    po = pidx[rng.random(len(pidx)) < 0.15]
    for f in range(len(forces)):
        sel = po[hh_force[hh[po]] == f]
        origin[sel] = origin_choice[f].draw(rng, len(sel)).astype(np.int8)
    birth_year = 1970 + dob / YEAR
    forename = bank.forename(rng, origin, female, birth_year)
    middle = bank.forename(rng, origin, female, birth_year)
    no_middle = rng.random(n) < 0.42
    middle[no_middle] = ""
    middle[middle == forename] = ""
    birth_surname = bank.surname(rng, origin)
    # children take the father's (head's) surname mostly; married partners take the head's
    head_sn = birth_surname[start]
    kid_fathers = head_sn[hh[ch]]
    lone = hh_type[hh[ch]] == HH_SINGLE_PARENT
    other_sn = birth_surname[ch]
    birth_surname[ch] = np.where(
        lone & (rng.random(len(ch)) < 0.4),
        other_sn,
        np.where(rng.random(len(ch)) < 0.9, kid_fathers, birth_surname[mother[hh[ch]]]),
    )
    surname = birth_surname.copy()
    married_partner = members[hh_married, 1]
    surname[married_partner] = head_sn[hh_married]
    # when the head is the woman, the man usually keeps his name and she takes his
    fem_head_married = hh_married & head_f
    surname[members[fem_head_married, 0]] = birth_surname[members[fem_head_married, 1]]
    surname[members[fem_head_married, 1]] = birth_surname[members[fem_head_married, 1]]
    surname = gendered(surname, female)
    birth_surname = gendered(birth_surname, female)
    name_change_day = np.full(n, -1, dtype=np.int32)
    changed = np.flatnonzero(surname != birth_surname)
    in_window = rng.random(len(changed)) < 0.25
    name_change_day[changed[in_window]] = rng.integers(T0 + 60, T1 - 200, int(in_window.sum()))

    # fathers and sons sharing a forename (Jr/Sr)
    junior_of = np.full(n, -1, dtype=np.int64)
    dad = np.where(two_parents & head_f, members[:, 1], np.where(~head_f, start, -1))
    c1 = members[:, 2]
    jr = (c1 >= 0) & (dad >= 0) & (rng.random(h) < 0.10)
    jr &= ~female[np.maximum(c1, 0)] & (dad >= 0)
    jr &= ~female[np.maximum(dad, 0)]
    forename[c1[jr]] = forename[dad[jr]]
    junior_of[c1[jr]] = dad[jr]

    phone = np.full(n, "", dtype=object)
    has = rng.random(n) < 0.72
    digits = rng.integers(100_000_000, 999_999_999, int(has.sum())).astype(str).astype(object)
    phone[has] = "07" + digits

    home = addresses.new(rng, hh_force)
    return People(
        n=n,
        hh=hh,
        role=role,
        female=female,
        dob=dob,
        origin=origin,
        forename=forename,
        middle=middle,
        surname=surname,
        birth_surname=birth_surname,
        name_change_day=name_change_day,
        twin_of=twin_of,
        junior_of=junior_of,
        phone=phone,
        hh_type=hh_type,
        hh_force=hh_force,
        hh_married=hh_married,
        hh_members=members,
        home=home,
    )


def move_destination(
    rng: np.random.Generator,
    addresses: Addresses,
    forces: Forces,
    from_addr: np.ndarray,
    p_same_town: float,
    p_other_force: float,
) -> np.ndarray:
    """New addresses for people moving from ``from_addr``: same town, same force, or a neighbouring force."""
    n = len(from_addr)
    addresses.finish()
    f = addresses.force[from_addr].astype(np.int64)
    u = rng.random(n)
    dest_force = f.copy()
    cross = u < p_other_force
    r = rng.random(n)
    for src in range(len(forces)):
        adj = forces.adjacent[src]
        m = cross & (f == src)
        if adj and m.any():
            dest_force[m] = np.asarray(adj)[(r[m] * len(adj)).astype(int)]
    same_town = (~cross) & (u < p_other_force + p_same_town)
    place = np.full(n, -1, dtype=np.int32)
    place[same_town] = addresses.place[from_addr[same_town]]
    out = np.empty(n, dtype=np.int64)
    st = place >= 0
    if st.any():
        out[st] = addresses.new(rng, dest_force[st], place[st])
    if (~st).any():
        out[~st] = addresses.new(rng, dest_force[~st])
    return out
