"""Order entities: one per real order, however many court extracts repeat it.

Two court extracts describe one order under case numbers keyed differently (``FC2019012345``,
``FC2019-012345``, ``fc 2019 012345``) and court names spelt differently. Order records are
compared on the case number (letters and digits only), order type, made and expiry dates
within tolerance, the respondent and the protected person (resolved person ids, else the
person engine's weight for the two court records) and the court, and scored with the person
engine's machinery (linkage/entities/orders.yaml). Hard rules: different order types, made
dates further apart than the tolerance, or two rows of one extract are never one order.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from linkage.arrays import unique
from linkage.entities.engine import (
    Rules,
    block_pairs,
    group_join,
    load_kind_settings,
    resolve_kind,
    select_levels,
    steward_codes,
    train,
)
from linkage.entities.people import PersonEvidence
from linkage.settings import Settings

KIND = "order"
PREFIX = "O"
MAX_BLOCK = 100
_COURT_WORDS = re.compile(r"\b(THE|COURT|COURTS|CENTRE|COMBINED|AND|OF|MAGISTRATES|MAGS|FAMILY|COUNTY|CROWN|HEARING)\b")


def case_key(value: object) -> str:
    """Letters and digits of a case number, upper case: 'fc 2019-012345' -> 'FC2019012345'."""
    return re.sub(r"[^A-Z0-9]", "", str(value).upper()) if isinstance(value, str) else ""


def court_place(value: object) -> str:
    """The place in a court's name: 'Newcastle upon Tyne Family Court' -> 'NEWCASTLE UPON TYNE'."""
    if not isinstance(value, str):
        return ""
    text = re.sub(r"[^A-Z ]+", " ", value.upper().replace("'", ""))
    return " ".join(_COURT_WORDS.sub(" ", text).split())


def build_records(orders: pd.DataFrame, people: PersonEvidence) -> pd.DataFrame:
    """One row per order record key (the latest load wins), with features for comparison."""
    rec = orders.drop_duplicates("order_key", keep="last").sort_values("order_key", kind="stable")
    rec = rec.reset_index(drop=True)
    out = pd.DataFrame({"record_key": rec["order_key"].astype(str)})
    for col in (
        "court_name",
        "court_type",
        "order_type",
        "made_on",
        "expires_on",
        "until_further_order",
        "respondent_key",
        "protected_key",
        "source_file",
        "extract_id",
    ):
        out[col] = rec[col].to_numpy() if col in rec else None
    out["case_key"] = out["record_key"].map(case_key)
    out["court_key"] = out["court_name"].map(court_place)
    out["court_town"] = out["court_key"].str.split().str[0].fillna("")
    out["respondent_person_id"] = people.person_id(out["respondent_key"])
    out["protected_person_id"] = people.person_id(out["protected_key"])
    made = pd.to_datetime(out["made_on"], errors="coerce")
    exp = pd.to_datetime(out["expires_on"], errors="coerce")
    out["made_day"] = ((made - pd.Timestamp("1970-01-01")).dt.days).astype("Int64")
    out["expires_day"] = ((exp - pd.Timestamp("1970-01-01")).dt.days).astype("Int64")
    out["until_further_order"] = out["until_further_order"].fillna(False).astype(bool)
    out["made_month"] = made.dt.strftime("%Y-%m").fillna("")
    return out


class OrderComparer:
    """Comparison levels between order records (codes as in orders.yaml)."""

    def __init__(self, rec: pd.DataFrame, settings: Settings, people: PersonEvidence):
        self.rec, self.settings, self.people = rec, settings, people
        self.case = pd.factorize(rec["case_key"].replace("", None), use_na_sentinel=True)[0]
        self.otype = pd.factorize(rec["order_type"].fillna("").replace("", None), use_na_sentinel=True)[0]
        self.made = rec["made_day"].fillna(-(10**9)).astype(np.int64).to_numpy()
        self.exp = rec["expires_day"].fillna(-(10**9)).astype(np.int64).to_numpy()
        self.ufo = rec["until_further_order"].to_numpy(dtype=bool)
        self.court = rec["court_key"].fillna("").to_numpy(dtype=object)
        self.town = pd.factorize(rec["court_town"].replace("", None), use_na_sentinel=True)[0]
        self.rp = rec["respondent_person_id"].to_numpy(dtype=object)
        self.pp = rec["protected_person_id"].to_numpy(dtype=object)
        self.rk = rec["respondent_key"].to_numpy(dtype=object)
        self.pk = rec["protected_key"].to_numpy(dtype=object)
        self.use_person_weights = True

    def _sel(
        self, name: str, n: int, conds: list[tuple[np.ndarray, str]], default: str, null: np.ndarray
    ) -> np.ndarray:
        return select_levels(self.settings, name, n, conds, default, null)

    def _person(self, name: str, pid: np.ndarray, keys: np.ndarray, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
        a, b = pid[li], pid[ri]
        null = pd.isna(a) | pd.isna(b)
        same = (a == b) & ~null
        probable = np.zeros(len(li), dtype=bool)
        if self.use_person_weights:
            idx = np.flatnonzero(~null & ~same)
            if len(idx):
                w = self.people.weights(keys[li[idx]], keys[ri[idx]])
                probable[idx] = np.nan_to_num(w, nan=-99.0) >= self.people.review_weight
        return self._sel(name, len(li), [(same, "same"), (probable, "probable")], "different", null)

    def __call__(self, li: np.ndarray, ri: np.ndarray) -> dict[str, np.ndarray]:
        n = len(li)
        out: dict[str, np.ndarray] = {}
        a, b = self.case[li], self.case[ri]
        out["case"] = self._sel("case", n, [(a == b, "exact")], "different", (a < 0) | (b < 0))
        a, b = self.otype[li], self.otype[ri]
        out["order_type"] = self._sel("order_type", n, [(a == b, "same")], "different", (a < 0) | (b < 0))
        ma, mb = self.made[li], self.made[ri]
        d = np.abs(ma - mb)
        out["made"] = self._sel(
            "made",
            n,
            [(d == 0, "exact"), (d <= 3, "within_3_days"), (d <= 14, "within_14_days")],
            "different",
            (ma < -(10**8)) | (mb < -(10**8)),
        )
        ea, eb, ua, ub = self.exp[li], self.exp[ri], self.ufo[li], self.ufo[ri]
        blank_a, blank_b = (ea < -(10**8)) & ~ua, (eb < -(10**8)) & ~ub
        de = np.abs(ea - eb)
        both_open = ua & ub
        out["expires"] = self._sel(
            "expires",
            n,
            [(both_open | ((de == 0) & ~ua & ~ub), "exact"), ((de <= 14) & ~ua & ~ub, "within_14_days")],
            "different",
            blank_a | blank_b,
        )
        out["respondent"] = self._person("respondent", self.rp, self.rk, li, ri)
        out["protected"] = self._person("protected", self.pp, self.pk, li, ri)
        ca, cb = self.court[li], self.court[ri]
        null = (ca == "") | (cb == "")
        same = (ca == cb) & ~null
        similar = np.zeros(n, dtype=bool)
        idx = np.flatnonzero(~null & ~same)
        if len(idx):
            sc = process.cpdist(list(ca[idx]), list(cb[idx]), scorer=fuzz.token_set_ratio, workers=2)
            similar[idx] = (np.asarray(sc) >= 80) | (self.town[li[idx]] == self.town[ri[idx]]) & (
                self.town[li[idx]] >= 0
            )
        out["court"] = self._sel("court", n, [(same, "exact"), (similar, "similar")], "different", null)
        return {c.name: out[c.name] for c in self.settings.comparisons}


def candidates(rec: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict]:
    """Same case number; same respondent and protected person; same month, type and court town."""
    rules = [
        ("case", ["case_key"]),
        ("parties", ["respondent_person_id", "protected_person_id"]),
        ("protected_month", ["protected_person_id", "made_month"]),
        ("respondent_month", ["respondent_person_id", "made_month"]),
        ("month_type_court", ["made_month", "order_type", "court_town"]),
    ]
    ls, rs, report = [], [], {}
    for name, keys in rules:
        li, ri, dropped = block_pairs(rec, keys, MAX_BLOCK)
        ls.append(li)
        rs.append(ri)
        report[name] = {"pairs": int(len(li)), "oversized_blocks": dropped}
    n = np.int64(max(len(rec), 1))
    codes = unique(
        np.minimum(np.concatenate(ls), np.concatenate(rs)) * n + np.maximum(np.concatenate(ls), np.concatenate(rs))
    )
    return codes // n, codes % n, report


def hard_rules(
    settings: Settings, levels: dict[str, np.ndarray], rec: pd.DataFrame, li: np.ndarray, ri: np.ndarray
) -> Rules:
    rules = Rules()
    cfg = settings.rules
    if cfg.get("types_apart", True):
        rules.add(levels["order_type"] == settings.comparison("order_type").code("different"), "different_type")
    if cfg.get("made_apart", True):
        rules.add(levels["made"] == settings.comparison("made").code("different"), "made_dates_apart")
    if cfg.get("one_extract_lists_once", True) and len(li):
        ex = rec["extract_id"].fillna("").to_numpy(dtype=object)
        rules.add((ex[li] == ex[ri]) & (ex[li] != ""), "same_extract")
    return rules


def resolve_orders(
    orders: pd.DataFrame,
    people: PersonEvidence,
    decisions: pd.DataFrame | None,
    previous: pd.DataFrame | None,
    settings: Settings | None = None,
) -> dict:
    """Resolve staged order records into order entities with their respondent and protected person."""
    settings = settings or load_kind_settings("orders")
    rec = build_records(orders, people)
    cmp = OrderComparer(rec, settings, people)
    li, ri, blocking = candidates(rec)
    keys = rec["record_key"].to_numpy(dtype=object)
    stew, sl, sr, sc = steward_codes(keys, li, ri, decisions)
    if len(sl):
        li, ri, stew = np.r_[li, sl], np.r_[ri, sr], np.r_[stew, sc]
    levels = cmp(li, ri)
    cmp.use_person_weights = False  # random pairs: ids only (the person engine's weights cost per pair)
    model = train(settings, len(rec), cmp, levels)
    cmp.use_person_weights = True
    prev = None
    if previous is not None and not previous.empty:
        prev = previous[["record_key", "order_id"]].rename(columns={"order_id": "entity_id"})
    res = resolve_kind(
        settings, model, keys, li, ri, levels, hard_rules(settings, levels, rec, li, ri), stew, prev, PREFIX
    )
    res.report["blocking"] = blocking
    rec["order_id"] = res.ids
    rec = _entity_people(rec, people)
    values = {
        "case": rec["record_key"].to_numpy(dtype=object),
        "order_type": rec["order_type"].to_numpy(dtype=object),
        "made": rec["made_on"].astype(str).to_numpy(dtype=object),
        "expires": np.where(rec["until_further_order"], "until further order", rec["expires_on"].astype(str)).astype(
            object
        ),
        "respondent": (rec["respondent_key"].astype(str) + " -> " + rec["respondent_person_id"].astype(str)).to_numpy(
            dtype=object
        ),
        "protected": (rec["protected_key"].astype(str) + " -> " + rec["protected_person_id"].astype(str)).to_numpy(
            dtype=object
        ),
        "court": rec["court_name"].astype(str).to_numpy(dtype=object),
    }
    return {"records": rec, "resolution": res, "model": model, "settings": settings, "values": values}


def _entity_people(rec: pd.DataFrame, people: PersonEvidence) -> pd.DataFrame:
    """Each order entity's respondent and protected person: the id most of its records resolve to
    (ties: the person with more records, i.e. the one the police know)."""
    sizes = people.pid.value_counts()
    for side in ("respondent", "protected"):
        col = f"{side}_person_id"
        sub = rec[["order_id", col]].dropna()
        if sub.empty:
            rec[f"{side}_person_ids"] = ""
            continue
        cnt = sub.groupby(["order_id", col]).size().rename("n").reset_index()
        cnt["size"] = cnt[col].map(sizes).fillna(0)
        cnt = cnt.sort_values(["order_id", "n", "size", col], ascending=[True, False, False, True])
        best = cnt.drop_duplicates("order_id").set_index("order_id")[col]
        all_ids = group_join(cnt["order_id"], cnt[col])
        rec[f"{side}_record_person_id"] = rec[col]
        rec[col] = rec["order_id"].map(best)
        rec[f"{side}_person_ids"] = rec["order_id"].map(all_ids).fillna("")
    return rec


def context_people(rec: pd.DataFrame, party: pd.DataFrame, people: PersonEvidence) -> pd.DataFrame:
    """Link an order's party whom person resolution left court-only, through the other party.

    When the protected person is someone the forces know and the respondent resolved only to
    court records (no date of birth, a misspelt name), the respondent is taken to be the one
    suspect of that person's police incidents whose record names the same person (the person
    engine finds forename and surname agreeing, nothing against); likewise the protected person
    through the respondent's victims. Only a single such candidate counts. The person entities
    are not changed: the order records the link and says how it was made (``*_linked_by``).
    """
    rec = rec.copy()
    for side in ("respondent", "protected"):
        rec[f"{side}_linked_by"] = np.where(rec[f"{side}_person_id"].notna(), "person resolution", "")
    if party is None or party.empty or people.settings is None or rec.empty:
        return rec
    known = set(party["person_id"].dropna())
    sus = party[party["role"] == "suspect"][["event_key", "record_key", "person_id"]]
    vic = party[party["role"] == "victim"][["event_key", "record_key", "person_id"]]
    pairs = sus.merge(vic, on="event_key", suffixes=("_s", "_v")).dropna(subset=["person_id_s", "person_id_v"])
    for side, other, mine, theirs in (("respondent", "protected", "s", "v"), ("protected", "respondent", "v", "s")):
        col, ocol = f"{side}_person_id", f"{other}_person_id"
        ents = rec.drop_duplicates("order_id")
        todo = ents[~ents[col].isin(known) & ents[ocol].isin(known)]
        if todo.empty:
            continue
        cand = todo[["order_id", ocol]].merge(pairs, left_on=ocol, right_on=f"person_id_{theirs}")
        cand = cand[cand[f"person_id_{mine}"].isin(known)]
        if cand.empty:
            continue
        keys = rec[["order_id", f"{side}_key"]].dropna()
        cand = cand.merge(keys, on="order_id").drop_duplicates(["order_id", f"{side}_key", f"record_key_{mine}"])
        cand["named"] = people.same_name(cand[f"{side}_key"].to_numpy(), cand[f"record_key_{mine}"].to_numpy())
        hit = cand[cand["named"]].drop_duplicates(["order_id", f"person_id_{mine}"])
        n = hit.groupby("order_id")[f"person_id_{mine}"].transform("size")
        chosen = hit[n == 1].set_index("order_id")[f"person_id_{mine}"]
        if chosen.empty:
            continue
        m = rec["order_id"].isin(chosen.index)
        rec.loc[m, col] = rec.loc[m, "order_id"].map(chosen)
        rec.loc[m, f"{side}_linked_by"] = f"context: the {other}'s police incidents name this person"
    return rec
