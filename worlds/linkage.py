"""A quick, vectorised generator of staging-shaped person data with known truth.

Not the product's synthetic extracts (synth/ writes those as CSV for the loaders): this writes
the staging tables directly so the linkage benchmark can reach a million records in seconds and
unit tests can build fixtures. People come in couples (suspect/victim events in forces, some
with court orders), households hold namesakes (fathers and sons, twins, mothers and
daughters), and each record copies a person with the faults real records carry: nicknames,
typos, swapped fields, maiden names, transliterations, missing or mistyped dates of birth,
moves, duplicate nominals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from faker.providers.person.en_GB import Provider as _FakerNames
from nicknames import NickNamer

from staging.schema import columns

_FOREIGN_M = [
    "Mohammed",
    "Muhammad",
    "Ahmed",
    "Ali",
    "Hussain",
    "Omar",
    "Yusuf",
    "Ibrahim",
    "Piotr",
    "Krzysztof",
    "Tomasz",
    "Andrei",
    "Sergei",
    "Dmitri",
    "Oleksandr",
    "Imran",
    "Bilal",
    "Tariq",
]
_FOREIGN_F = [
    "Fatima",
    "Aisha",
    "Maryam",
    "Zainab",
    "Khadija",
    "Agnieszka",
    "Katarzyna",
    "Natalia",
    "Tatiana",
    "Olga",
    "Yasmin",
    "Samira",
    "Noor",
    "Irina",
]
_TRANSLIT = {
    "Mohammed": ["Muhammad", "Mohammad", "Mohamed"],
    "Muhammad": ["Mohammed", "Muhammed"],
    "Ahmed": ["Ahmad"],
    "Hussain": ["Hussein", "Husain"],
    "Yusuf": ["Yousef", "Youssef"],
    "Ibrahim": ["Ebrahim"],
    "Omar": ["Umar"],
    "Aisha": ["Ayesha", "Aysha"],
    "Fatima": ["Fatimah"],
    "Maryam": ["Mariam"],
    "Zainab": ["Zaynab"],
    "Sergei": ["Sergey"],
    "Dmitri": ["Dmitry"],
    "Oleksandr": ["Aleksandr"],
    "Natalia": ["Natalya"],
    "Tatiana": ["Tatyana"],
    "Yasmin": ["Yasmine"],
}
_FOREIGN_SN = [
    "Khan",
    "Hussain",
    "Ahmed",
    "Ali",
    "Begum",
    "Rahman",
    "Mahmood",
    "Iqbal",
    "Chaudhry",
    "Kowalski",
    "Nowak",
    "Wojcik",
    "Kaminski",
    "Ivanov",
    "Popescu",
    "Shevchenko",
    "Abdi",
    "Osman",
    "Mohamed",
]
_SN_TRANSLIT = {
    "Hussain": ["Hussein"],
    "Chaudhry": ["Chowdhury", "Choudhury"],
    "Rahman": ["Rehman"],
    "Mahmood": ["Mahmud"],
    "Mohamed": ["Mohammed", "Muhammad"],
}
_PRE = [
    "Ash",
    "Bar",
    "Black",
    "Brad",
    "Brook",
    "Cal",
    "Carr",
    "Cole",
    "Craw",
    "Dal",
    "Dun",
    "Eld",
    "Fair",
    "Fern",
    "Gold",
    "Green",
    "Hal",
    "Hart",
    "Hawk",
    "Hol",
    "Kings",
    "Lang",
    "Lock",
    "Mar",
    "Mid",
    "Mill",
    "Moor",
    "New",
    "North",
    "Oak",
    "Pem",
    "Pen",
    "Red",
    "Rock",
    "Rose",
    "Sand",
    "Shel",
    "Stan",
    "Stone",
    "Sut",
    "Thorn",
    "Wal",
    "West",
    "Whit",
    "Wil",
    "Wins",
    "Wood",
    "Wren",
    "Yar",
    "Ames",
    "Bel",
    "Crom",
    "Dray",
    "Farn",
    "Glen",
    "Har",
    "Ing",
    "Kel",
    "Lind",
    "Mor",
    "Nor",
    "Pax",
    "Quil",
    "Rad",
    "Sel",
    "Tam",
    "Ux",
    "Vick",
]
_MID = ["", "", "", "er", "ing", "en", "el", "an", "ow", "in"]
_SUF = [
    "ford",
    "ley",
    "ton",
    "worth",
    "by",
    "well",
    "ham",
    "field",
    "wood",
    "croft",
    "shaw",
    "more",
    "dale",
    "stone",
    "bridge",
    "brook",
    "hurst",
    "wick",
    "cott",
    "combe",
    "den",
    "low",
    "thwaite",
    "holme",
    "land",
    "gate",
    "ridge",
    "ington",
    "sby",
    "ell",
    "son",
    "man",
    "ard",
    "ock",
    "er",
    "ey",
    "in",
    "ers",
]
_STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Avenue",
    "Victoria Road",
    "Green Lane",
    "Manor Road",
    "Mill Lane",
    "School Lane",
    "Queen Street",
    "King Street",
    "New Road",
    "Albert Road",
    "Grange Road",
    "York Road",
    "West Street",
    "North Road",
    "Chapel Street",
    "Springfield Road",
]
_TOWNS = [
    "Sunderland",
    "Newcastle upon Tyne",
    "Durham",
    "Leeds",
    "Manchester",
    "Liverpool",
    "Birmingham",
    "Bristol",
    "Cardiff",
    "Swansea",
    "Norwich",
    "Exeter",
    "Plymouth",
    "Nottingham",
    "Leicester",
    "Sheffield",
    "York",
    "Hull",
    "London",
    "Brighton",
    "Reading",
    "Oxford",
    "Cambridge",
    "Preston",
]
_AREAS = [
    "SR",
    "NE",
    "DH",
    "LS",
    "M",
    "L",
    "B",
    "BS",
    "CF",
    "SA",
    "NR",
    "EX",
    "PL",
    "NG",
    "LE",
    "S",
    "YO",
    "HU",
    "E",
    "BN",
    "RG",
    "OX",
    "CB",
    "PR",
    "TS",
    "WF",
    "BD",
    "HX",
    "CH",
    "WA",
    "ST",
    "CV",
    "DE",
    "LN",
    "PE",
    "IP",
    "CO",
    "SS",
    "ME",
    "CT",
    "TN",
    "GU",
    "PO",
    "SO",
    "BH",
    "DT",
    "TA",
    "TR",
]
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"
_PNC_ALPHA = "ZABCDEFGHJKLMNPQRTUVWXY"
N_FORCES = 43


@dataclass
class Synthetic:
    """Staging frames plus the truth (record_key -> true_person_id)."""

    person_records: pd.DataFrame
    involvements: pd.DataFrame
    orders: pd.DataFrame
    truth: pd.DataFrame
    referrals: pd.DataFrame | None = None


def _zipf(rng: np.random.Generator, n_values: int, size: int, a: float = 1.0) -> np.ndarray:
    w = 1.0 / np.arange(1, n_values + 1) ** a
    return rng.choice(n_values, size=size, p=w / w.sum())


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 4:
        return s
    i = int(rng.integers(1, len(s) - 1))
    op = int(rng.integers(0, 3))
    if op == 0:
        return s[:i] + s[i + 1 :]
    if op == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + "aeioulnrst"[int(rng.integers(0, 10))] + s[i + 1 :]


def _vocab_map(rng: np.random.Generator, vocab: np.ndarray, func) -> np.ndarray:
    return np.array([func(rng, v) for v in vocab], dtype=object)


def _pnc(rng: np.random.Generator, n: int) -> np.ndarray:
    year = rng.integers(1985, 2023, n)
    serial = rng.integers(1, 9_999_999, n)
    check = (((year % 100) * 10_000_000 + serial) % 23).astype(int)
    letters = np.array(list(_PNC_ALPHA))[check]
    return np.char.add(
        np.char.add(np.char.add(year.astype(str), "/"), np.char.zfill(serial.astype(str), 7)), letters
    ).astype(object)


def _postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    area = np.array(_AREAS)[rng.integers(0, len(_AREAS), n)]
    district = rng.integers(1, 30, n).astype(str)
    sector = rng.integers(0, 10, n).astype(str)
    u = np.array(list(_UNIT))
    unit = np.char.add(u[rng.integers(0, len(u), n)], u[rng.integers(0, len(u), n)])
    return np.char.add(np.char.add(np.char.add(area, district), " "), np.char.add(sector, unit)).astype(
        object
    )


def generate(people: int, seed: int = 1, dob_missing_court: float = 0.5) -> Synthetic:
    """People in couples with events, orders and faulty records; about 1.45 records per person."""
    rng = np.random.default_rng(seed)
    base = int(people / 1.07)
    # -- people ---------------------------------------------------------------------------------------
    male = rng.random(base) < 0.5
    fm = np.array([n for n in _FakerNames.first_names_male] + _FOREIGN_M, dtype=object)
    ff = np.array([n for n in _FakerNames.first_names_female] + _FOREIGN_F, dtype=object)
    fore = np.where(male, fm[_zipf(rng, len(fm), base, 0.9)], ff[_zipf(rng, len(ff), base, 0.9)])
    mid_pool = np.concatenate([fm, ff])
    middle = np.where(rng.random(base) < 0.45, mid_pool[rng.integers(0, len(mid_pool), base)], "")
    faker_sn = list(_FakerNames.last_names.items())
    top = np.array(
        ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson"]
        + [k for k, _ in faker_sn],
        dtype=object,
    )
    tail = np.array(sorted({p + m + s for p in _PRE for m in _MID for s in _SUF}), dtype=object)
    tail = np.array([t[0] + t[1:].lower() for t in tail], dtype=object)
    kind = rng.random(base)
    surname = np.where(
        kind < 0.45,
        top[_zipf(rng, len(top), base, 0.8)],
        np.where(
            kind < 0.95,
            tail[rng.integers(0, len(tail), base)],
            np.array(_FOREIGN_SN, dtype=object)[rng.integers(0, len(_FOREIGN_SN), base)],
        ),
    )
    dob = np.datetime64("1950-01-01") + rng.integers(0, 55 * 365, base).astype("timedelta64[D]")
    postcode = _postcodes(rng, base)
    street = np.char.add(
        np.char.add(rng.integers(1, 200, base).astype(str), " "),
        np.array(_STREETS)[rng.integers(0, len(_STREETS), base)],
    ).astype(object)
    town = np.array(_TOWNS)[rng.integers(0, len(_TOWNS), base)].astype(object)
    # -- household namesakes: sons (some named after the father), twins, daughters ----------------------
    n_rel = people - base
    src = rng.integers(0, base, n_rel)
    rel_kind = rng.choice(3, n_rel, p=[0.5, 0.15, 0.35])  # son, twin, daughter
    r_male = np.where(rel_kind == 0, True, np.where(rel_kind == 2, False, rng.random(n_rel) < 0.5))
    r_fore = np.where(r_male, fm[_zipf(rng, len(fm), n_rel, 0.9)], ff[_zipf(rng, len(ff), n_rel, 0.9)])
    same_name = (rel_kind == 0) & (rng.random(n_rel) < 0.4)
    r_fore = np.where(same_name & male[src], fore[src], r_fore)
    clash = (rel_kind == 1) & (r_fore == fore[src])
    r_fore[clash] = np.where(r_male[clash], "Liam", "Chloe")
    gap = rng.integers(18 * 365, 36 * 365, n_rel).astype("timedelta64[D]")
    r_dob = np.where(rel_kind == 1, dob[src], dob[src] + gap)
    male = np.r_[male, r_male]
    fore = np.r_[fore, r_fore]
    middle = np.r_[
        middle, np.where(rng.random(n_rel) < 0.45, mid_pool[rng.integers(0, len(mid_pool), n_rel)], "")
    ]
    surname = np.r_[surname, surname[src]]
    dob = np.r_[dob, r_dob]
    postcode = np.r_[postcode, postcode[src]]
    street = np.r_[street, street[src]]
    town = np.r_[town, town[src]]
    P = people
    moved = rng.random(P) < 0.3
    postcode2 = np.where(rng.random(P) < 0.5, _postcodes(rng, P), postcode)  # half move nearby? new code
    street2 = np.char.add(
        np.char.add(rng.integers(1, 200, P).astype(str), " "),
        np.array(_STREETS)[rng.integers(0, len(_STREETS), P)],
    ).astype(object)
    phone = np.char.add("+447", np.char.zfill(rng.integers(0, 10**9, P).astype(str), 9)).astype(object)
    has_pnc = rng.random(P) < np.where(male, 0.45, 0.2)
    pnc = np.where(has_pnc, _pnc(rng, P), None)
    area_of = pd.Series(postcode).str.extract(r"^([A-Z]+)")[0]
    home_force = (
        area_of.map({a: i for i, a in enumerate(_AREAS)}).fillna(0).astype(int).values * 7
    ) % N_FORCES
    # -- couples: a man and a woman where possible; women may take his surname --------------------------
    order = rng.permutation(P)
    men, women = order[male[order]], order[~male[order]]
    k = min(len(men), len(women))
    a, b = men[:k], women[:k]
    rest = np.r_[men[k:], women[k:]]
    if len(rest) > 1:
        half = len(rest) // 2
        a, b = np.r_[a, rest[:half]], np.r_[b, rest[half : 2 * half]]
    maiden = surname.copy()
    married = rng.random(len(a)) < 0.3
    surname[b[married]] = surname[a[married]]
    postcode[b[married]] = postcode[a[married]]
    street[b[married]] = street[a[married]]
    town[b[married]] = town[a[married]]
    # -- events: 1 + Poisson(0.5) per couple, suspect usually the man --------------------------------
    n_ev = 1 + rng.poisson(0.5, len(a))
    ci = np.repeat(np.arange(len(a)), n_ev)
    flip = rng.random(len(ci)) < 0.12
    sus = np.where(flip, b[ci], a[ci])
    vic = np.where(flip, a[ci], b[ci])
    ev_force = np.where(rng.random(len(ci)) < 0.82, home_force[a[ci]], rng.integers(0, N_FORCES, len(ci)))
    ev_day = np.datetime64("2015-01-01") + rng.integers(0, 9 * 365, len(ci)).astype("timedelta64[D]")
    ev_key = np.char.add(
        np.char.add("E", ev_force.astype(str)), np.char.add("/OCC", np.arange(len(ci)).astype(str))
    )
    # mentions: one per (event, role)
    m_person = np.r_[sus, vic]
    m_role = np.r_[np.full(len(ci), "suspect"), np.full(len(ci), "victim")].astype(object)
    m_force = np.r_[ev_force, ev_force]
    m_day = np.r_[ev_day, ev_day]
    m_event = np.r_[ev_key, ev_key].astype(object)
    # nominal: one per (person, force), a duplicate nominal for 12% of mentions
    nominal_key = m_person.astype(np.int64) * 64 + m_force
    dup = rng.random(len(m_person)) < 0.12
    nominal_key = np.where(dup, -(np.arange(len(m_person)) + 1), nominal_key)
    nom_codes, nom_idx = np.unique(nominal_key, return_inverse=True)
    f_code = np.array([f"E230000{i:02d}" for i in range(N_FORCES)], dtype=object)
    rec_key = np.char.add(np.char.add(f_code[m_force].astype(str), "/NOM"), nom_idx.astype(str)).astype(
        object
    )
    # -- court orders for 20% of couples --------------------------------------------------------------
    has_order = rng.random(len(a)) < 0.2
    oi = np.flatnonzero(has_order)
    case = np.char.add("FC", (100000 + oi).astype(str)).astype(object)
    o_day = np.datetime64("2016-01-01") + rng.integers(0, 8 * 365, len(oi)).astype("timedelta64[D]")
    c_person = np.r_[a[oi], b[oi]]
    c_key = np.r_[np.char.add(case.astype(str), "/respondent"), np.char.add(case.astype(str), "/protected")]
    c_day = np.r_[o_day, o_day]
    # -- all mentions -------------------------------------------------------------------------------
    person = np.r_[m_person, c_person]
    key = np.r_[rec_key, c_key.astype(object)]
    court = np.r_[np.zeros(len(m_person), bool), np.ones(len(c_person), bool)]
    day = np.r_[m_day, c_day]
    n = len(person)
    # record-level faults: decided once per record key so repeated mentions agree
    rk_codes, rk_inv = np.unique(key, return_inverse=True)
    nrec = len(rk_codes)
    rr = rng.random((nrec, 10))
    rec_rand = rr[rk_inv]
    dupn = np.r_[dup, np.zeros(len(c_person), bool)]
    boost = np.where(dupn, 2.5, 1.0)  # duplicate nominals exist because details differed
    fn = fore[person].copy()
    nn = NickNamer()
    fvocab = np.unique(fore)
    nick_of = {}
    for v in fvocab:
        opts = sorted(x for x in nn.nicknames_of(v.lower()) if len(x) > 2)
        nick_of[v] = opts[0].capitalize() if opts else v
    for v, opts in _TRANSLIT.items():
        nick_of[v] = opts[0]
    use_nick = rec_rand[:, 0] < 0.10 * boost
    fn[use_nick] = np.array([nick_of.get(v, v) for v in fn[use_nick]], dtype=object)
    typo_fn = rec_rand[:, 1] < 0.03 * boost
    fn[typo_fn] = np.array([_typo(rng, v) for v in fn[typo_fn]], dtype=object)
    initial = rec_rand[:, 1] > 0.985
    fn[initial] = np.array([v[0] for v in fn[initial]], dtype=object)
    sn = surname[person].copy()
    use_maiden = (maiden[person] != surname[person]) & (rec_rand[:, 2] < 0.35)
    sn[use_maiden] = maiden[person][use_maiden]
    tr = rec_rand[:, 3] < 0.3
    for v, opts in _SN_TRANSLIT.items():
        hit = tr & (sn == v)
        sn[hit] = opts[0]
    typo_sn = rec_rand[:, 4] < 0.04 * boost
    sn[typo_sn] = np.array([_typo(rng, v) for v in sn[typo_sn]], dtype=object)
    swap = rec_rand[:, 5] < 0.02 * boost
    fn_out = np.where(swap, sn, fn)
    sn_out = np.where(swap, fn, sn)
    mid_out = np.where(rec_rand[:, 6] < 0.5, middle[person], "")
    # date of birth: missing, one digit off, day and month swapped
    d = dob[person].astype("datetime64[D]")
    ys = d.astype("datetime64[Y]").astype(int) + 1970
    ms = (d.astype("datetime64[M]").astype(int) % 12) + 1
    ds = (d - d.astype("datetime64[M]")).astype(int) + 1
    u7 = rec_rand[:, 7]
    digit = (u7 > 0.02) & (u7 < 0.02 + 0.025 * boost)
    ys = np.where(digit & (rng.random(n) < 0.5), ys + rng.choice([-1, 1, -10, 10], n), ys)
    ds = np.where(digit & (ys == (d.astype("datetime64[Y]").astype(int) + 1970)) & (ds < 20), ds + 10, ds)
    dm = (u7 < 0.02 * boost) & (ds <= 12)
    ms2, ds2 = np.where(dm, ds, ms), np.where(dm, ms, ds)
    dob_s = pd.to_datetime(pd.DataFrame({"year": ys, "month": ms2, "day": ds2}), errors="coerce")
    miss = np.where(court, rec_rand[:, 8] < dob_missing_court, rec_rand[:, 8] < 0.08 * boost)
    dob_s[miss] = pd.NaT
    # address at the time: moved people use their second address after a date
    late = day > np.datetime64("2019-06-01")
    pc = np.where(moved[person] & late, postcode2[person], postcode[person])
    st = np.where(moved[person] & late, street2[person], street[person])
    pc_missing = rng.random(n) < np.where(court, 0.3, 0.1)
    conf = court & (np.char.endswith(key.astype(str), "/protected")) & (rng.random(n) < 0.3)
    addr = np.char.add(np.char.add(st.astype(str), ", "), town[person].astype(str)).astype(object)
    addr = np.where(
        court & ~pc_missing, np.char.add(np.char.add(addr.astype(str), ", "), pc.astype(str)), addr
    )
    addr = np.where(conf, "CONFIDENTIAL", addr)
    pc_out = np.where(pc_missing | conf, None, pc)
    sex = np.where(court, None, np.where(rng.random(n) < 0.03, "U", np.where(male[person], "M", "F")))
    ph = np.where(~court & (rng.random(n) < 0.45), phone[person], None)
    role_all = np.r_[m_role, np.full(len(c_person), "court", dtype=object)]
    pnc_out = np.where(~court & (role_all == "suspect") & (rng.random(n) < 0.7), pnc[person], None)
    # aliases: a married woman's other surname, on some records
    alias = np.where(use_maiden & (rng.random(n) < 0.5), fore[person] + " " + surname[person], None)
    alias = np.where(
        ~use_maiden & (maiden[person] != surname[person]) & (rng.random(n) < 0.3),
        fore[person] + " " + maiden[person],
        alias,
    )
    force_c = np.r_[f_code[m_force], np.full(len(c_person), None, dtype=object)]
    pr = _frame(
        key, court, force_c, fn_out, mid_out, sn_out, dob_s, sex, addr, pc_out, pnc_out, ph, day, conf, alias
    )
    inv = pd.DataFrame(
        {
            "event_key": m_event,
            "record_key": rec_key,
            "role": m_role,
            "relationship_raw": None,
            "relationship": np.where(m_role == "victim", "intimate", None),
            "dash_risk": None,
        }
    )
    orders = pd.DataFrame(
        {
            "order_key": case,
            "court_name": "Family Court",
            "court_type": "family",
            "order_type": "NON_MOLESTATION",
            "made_on": o_day,
            "expires_on": pd.NaT,
            "until_further_order": False,
            "respondent_key": np.char.add(case.astype(str), "/respondent").astype(object),
            "protected_key": np.char.add(case.astype(str), "/protected").astype(object),
            "conditions": None,
            "power_of_arrest": True,
            "extra": None,
        }
    )
    truth = pd.DataFrame({"record_key": key, "true_person_id": person}).drop_duplicates("record_key")
    return Synthetic(pr, inv, orders, truth.reset_index(drop=True))


def _frame(
    key, court, force_c, fn, mid, sn, dob, sex, addr, pc, pnc, phone, day, conf, alias
) -> pd.DataFrame:
    from linkage.names import fold

    fn_s = pd.Series(fn, dtype=object)
    sn_s = pd.Series(sn, dtype=object)
    mid_s = pd.Series(mid, dtype=object)
    forenames = (fn_s + " " + mid_s).str.strip()
    fold_u = _map_unique
    frame = pd.DataFrame(
        {
            "record_key": key,
            "source_system": np.where(court, "court", force_c),
            "force_code": force_c,
            "name_raw": (forenames + " " + sn_s.str.upper()).values,
            "surname": sn_s.values,
            "forenames": forenames.values,
            "surname_norm": fold_u(sn_s, fold),
            "forename_norm": fold_u(fn_s, fold),
            "middle_norm": fold_u(mid_s, fold),
            "aliases": alias,
            "dob": dob.values,
            "dob_raw": None,
            "sex": sex,
            "address_raw": addr,
            "postcode": pc,
            "postcode_raw": pc,
            "pnc_raw": pnc,
            "pnc": pnc,
            "pnc_valid": pd.Series(pnc).notna().values,
            "cro_raw": None,
            "cro": None,
            "phone_raw": phone,
            "phone": phone,
            "seen_on": pd.to_datetime(day),
            "confidential_address": conf,
            "extra": None,
        }
    )
    frame["middle_norm"] = frame["middle_norm"].replace("", None)
    return frame[[c for c in columns("person_records") if c in frame.columns]]


def _map_unique(series: pd.Series, func) -> np.ndarray:
    codes, uniques = pd.factorize(series)
    mapped = np.array([func(v) for v in uniques] + [None], dtype=object)
    return mapped[codes]


def to_staging(data_dir, synthetic: Synthetic, part_id: str = "synthetic") -> None:
    """Commit the frames as one staging part (what the loader would have written)."""
    from staging.schema import arrow_schema
    from staging.store import StagingStore

    frames = {
        "person_records": synthetic.person_records,
        "involvements": synthetic.involvements,
        "orders": synthetic.orders,
    }
    if synthetic.referrals is not None:
        frames["referrals"] = synthetic.referrals
    now = pd.Timestamp.now().floor("us")
    full = {}
    for name, frame in frames.items():
        f = frame.copy()
        for col in arrow_schema(name).names:
            if col not in f.columns:
                f[col] = None
        f["source_file"] = f"synthetic/{name}.csv"
        f["source_line"] = np.arange(2, len(f) + 2)
        f["extract_id"] = part_id
        f["row_hash"] = ""
        f["loaded_at"] = now
        f["profile"] = "synthetic"
        full[name] = f
    StagingStore(data_dir).commit_part(part_id, full, {"part": part_id})


def mention(record_key: str, forenames: str, surname: str, **fields: object) -> dict:
    """One staging person_records row from readable values (test fixtures, examples).

    ``fields`` may set dob ('YYYY-MM-DD'), sex, postcode, address, pnc, cro, phone, aliases,
    seen_on, source_system, force_code, confidential_address. Folded name columns are derived.
    """
    from linkage.names import first_and_middle, fold

    first, middle = first_and_middle(forenames)
    court = record_key.endswith(("/respondent", "/protected"))
    source = fields.pop("source_system", "court" if court else record_key.split("/")[0])
    row: dict[str, object] = {c: None for c in columns("person_records")}
    row.update(
        {
            "record_key": record_key,
            "source_system": source,
            "force_code": fields.pop("force_code", None if court else source),
            "name_raw": f"{forenames} {surname.upper()}",
            "surname": surname,
            "forenames": forenames,
            "surname_norm": fold(surname),
            "forename_norm": first or None,
            "middle_norm": middle or None,
        }
    )
    for key in ("dob", "seen_on"):
        if fields.get(key) is not None:
            fields[key] = pd.Timestamp(fields[key])
    if fields.get("postcode") is not None:
        fields.setdefault("postcode_raw", fields["postcode"])
    if fields.get("pnc") is not None:
        fields.setdefault("pnc_raw", fields["pnc"])
        fields.setdefault("pnc_valid", True)
    fields.setdefault("confidential_address", False)
    if "address" in fields:
        fields["address_raw"] = fields.pop("address")
    row.update(fields)
    return row


def stage(
    data_dir,
    mentions: list[dict],
    involvements: list[dict] | None = None,
    orders: list[dict] | None = None,
    part_id: str = "fixture",
    referrals: list[dict] | None = None,
) -> None:
    """Commit hand-written rows to staging as one part (what the loader would write)."""
    inv_cols = columns("involvements")
    ord_cols = columns("orders")
    ref_cols = columns("referrals")
    inv = pd.DataFrame([{**{c: None for c in inv_cols}, **r} for r in (involvements or [])], columns=inv_cols)
    od = pd.DataFrame([{**{c: None for c in ord_cols}, **r} for r in (orders or [])], columns=ord_cols)
    ref = pd.DataFrame([{**{c: None for c in ref_cols}, **r} for r in (referrals or [])], columns=ref_cols)
    ref["sent_at"] = pd.to_datetime(ref["sent_at"])
    for col in ("made_on", "expires_on"):
        od[col] = pd.to_datetime(od[col])
    frame = pd.DataFrame(mentions, columns=columns("person_records"))
    for col in ("dob", "seen_on"):
        frame[col] = pd.to_datetime(frame[col])
    to_staging(data_dir, Synthetic(frame, inv, od, pd.DataFrame(), ref if referrals else None), part_id=part_id)
