"""Event entities: one incident recorded by two forces (on a boundary) becomes one event.

Event records are blocked on a shared party (a resolved person id, or the same suspect
surname) within a time window, compared on suspect, victim (resolved ids, else the person
engine's weight for the two records), time apart, offence, place and force, and scored with
the person engine's machinery (linkage/entities/events.yaml). Hard rules: records more than
the window apart are different incidents; records hours apart naming different offences go to
review; and two records of one force are two incidents (a force records an incident once), so
an event holds at most one record per force and a dyad's two incidents on one evening are not
chained together through a third force's record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.arrays import unique
from linkage.entities.engine import REVIEW, Rules, load_kind_settings, resolve_kind, select_levels, steward_codes, train
from linkage.entities.people import PersonEvidence
from linkage.settings import Settings

KIND = "event"
PREFIX = "E"
MAX_PER_KEY = 200  # events per person (or surname) considered for pairing: a guard on prolific names


def parties(involvements: pd.DataFrame, people: PersonEvidence, surnames: pd.Series | None) -> pd.DataFrame:
    """event_key, record_key, role, person_id, surname (folded) for suspects and victims."""
    inv = involvements[["event_key", "record_key", "role"]].dropna(subset=["event_key", "record_key"]).copy()
    inv["role"] = inv["role"].astype(str).str.lower()
    inv = inv[inv["role"].isin(["suspect", "victim"])].drop_duplicates()
    inv["person_id"] = people.person_id(inv["record_key"])
    inv["surname"] = inv["record_key"].map(surnames) if surnames is not None else None
    return inv.reset_index(drop=True)


def build_records(events: pd.DataFrame, party: pd.DataFrame) -> pd.DataFrame:
    """One row per event key with its time, offence, place, force and first suspect and victim."""
    ev = events.drop_duplicates("event_key", keep="last").sort_values("event_key", kind="stable")
    ev = ev.reset_index(drop=True)
    out = pd.DataFrame({"record_key": ev["event_key"].astype(str)})
    for col in (
        "force_code",
        "source_ref",
        "occurred_at",
        "ho_code",
        "offence",
        "offence_group",
        "location_postcode",
        "source_file",
    ):
        out[col] = ev[col].to_numpy() if col in ev else None
    out["minute"] = (pd.to_datetime(out["occurred_at"]) - pd.Timestamp("1970-01-01")) // pd.Timedelta(minutes=1)
    out["minute"] = out["minute"].fillna(-(10**12)).astype(np.int64)
    out["offence_key"] = (
        out["ho_code"].fillna("").astype(str)
        + "|"
        + out["offence"].fillna("").astype(str).str.upper().str.replace(r"[^A-Z]+", " ", regex=True).str.strip()
    )
    pc = out["location_postcode"].fillna("").astype(str).str.upper().str.replace(" ", "", regex=False)
    out["postcode"] = pc
    out["district"] = pc.str[:-3]
    first = party.drop_duplicates(["event_key", "role"], keep="first").set_index(["event_key", "role"])
    for role in ("suspect", "victim"):
        sub = first.xs(role, level="role") if role in first.index.get_level_values("role") else first.iloc[:0]
        out[f"{role}_key"] = out["record_key"].map(sub["record_key"]) if len(sub) else None
        out[f"{role}_person_id"] = out["record_key"].map(sub["person_id"]) if len(sub) else None
        out[f"{role}_surname"] = out["record_key"].map(sub["surname"]) if len(sub) else None
    return out


def candidates(rec: pd.DataFrame, party: pd.DataFrame, window_minutes: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Event pairs within the window that share a resolved person or the same suspect surname."""
    pos = pd.Series(np.arange(len(rec)), index=rec["record_key"].to_numpy())
    minute = rec["minute"].to_numpy()
    report = {}
    ls, rs = [], []
    keyed = [
        ("shared_person", party.dropna(subset=["person_id"]).assign(k=lambda f: f["person_id"])),
        (
            "suspect_surname",
            rec.dropna(subset=["suspect_surname"]).assign(
                event_key=lambda f: f["record_key"], k=lambda f: f["suspect_surname"]
            ),
        ),
    ]
    for name, frame in keyed:
        f = pd.DataFrame({"i": frame["event_key"].map(pos), "k": frame["k"]}).dropna()
        f["i"] = f["i"].astype(np.int64)
        f = f[f["k"].astype(str) != ""].drop_duplicates()
        f["t"] = minute[f["i"].to_numpy()]
        f = f.sort_values(["k", "t"], kind="stable")
        f = f[f.groupby("k")["i"].transform("size") <= MAX_PER_KEY]
        li, ri = _window_pairs(f["k"].to_numpy(), f["t"].to_numpy(), f["i"].to_numpy(), window_minutes)
        ls.append(li)
        rs.append(ri)
        report[name] = {"pairs": int(len(li))}
    n = np.int64(max(len(rec), 1))
    la, ra = np.concatenate(ls), np.concatenate(rs)
    keep = la != ra
    codes = unique(np.minimum(la[keep], ra[keep]) * n + np.maximum(la[keep], ra[keep]))
    return codes // n, codes % n, report


def _window_pairs(key: np.ndarray, t: np.ndarray, idx: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows (sorted by key then time) with the same key no more than ``window`` apart."""
    ls, rs = [], []
    codes = pd.factorize(key)[0].astype(np.int64)
    span = np.int64(10**13)
    val = codes * span + t
    for lag in range(1, MAX_PER_KEY):
        if lag >= len(val):
            break
        ok = (codes[lag:] == codes[:-lag]) & (val[lag:] - val[:-lag] <= window)
        if not ok.any():
            break
        ls.append(idx[:-lag][ok])
        rs.append(idx[lag:][ok])
    if not ls:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(ls), np.concatenate(rs)


class EventComparer:
    """Comparison levels between event records (codes as in events.yaml)."""

    def __init__(self, rec: pd.DataFrame, settings: Settings, people: PersonEvidence):
        self.settings, self.people = settings, people
        self.minute = rec["minute"].to_numpy()
        self.offence = pd.factorize(rec["offence_key"].replace("|", None), use_na_sentinel=True)[0]
        self.group = pd.factorize(rec["offence_group"].fillna("").replace("", None), use_na_sentinel=True)[0]
        self.pc = pd.factorize(rec["postcode"].replace("", None), use_na_sentinel=True)[0]
        self.district = pd.factorize(rec["district"].replace("", None), use_na_sentinel=True)[0]
        self.force = pd.factorize(rec["force_code"].fillna("").replace("", None), use_na_sentinel=True)[0]
        self.pid = {role: rec[f"{role}_person_id"].to_numpy(dtype=object) for role in ("suspect", "victim")}
        self.key = {role: rec[f"{role}_key"].to_numpy(dtype=object) for role in ("suspect", "victim")}
        self.use_person_weights = True

    def _sel(
        self, name: str, n: int, conds: list[tuple[np.ndarray, str]], default: str, null: np.ndarray
    ) -> np.ndarray:
        return select_levels(self.settings, name, n, conds, default, null)

    def _person(self, role: str, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
        a, b = self.pid[role][li], self.pid[role][ri]
        null = pd.isna(a) | pd.isna(b)
        same = (a == b) & ~null
        probable = np.zeros(len(li), dtype=bool)
        if self.use_person_weights:
            idx = np.flatnonzero(~null & ~same)
            if len(idx):
                w = self.people.weights(self.key[role][li[idx]], self.key[role][ri[idx]])
                probable[idx] = np.nan_to_num(w, nan=-99.0) >= self.people.review_weight
        return self._sel(role, len(li), [(same, "same"), (probable, "probable")], "different", null)

    def __call__(self, li: np.ndarray, ri: np.ndarray) -> dict[str, np.ndarray]:
        n = len(li)
        out: dict[str, np.ndarray] = {}
        out["suspect"] = self._person("suspect", li, ri)
        out["victim"] = self._person("victim", li, ri)
        ta, tb = self.minute[li], self.minute[ri]
        d = np.abs(ta - tb)
        out["time"] = self._sel(
            "time",
            n,
            [(d <= 30, "within_30_min"), (d <= 120, "within_2_hours"), (d <= 360, "within_6_hours")],
            "apart",
            (ta < -(10**11)) | (tb < -(10**11)),
        )
        a, b = self.offence[li], self.offence[ri]
        ga, gb = self.group[li], self.group[ri]
        out["offence"] = self._sel(
            "offence",
            n,
            [(a == b, "same"), ((ga == gb) & (ga >= 0), "same_group")],
            "different",
            (a < 0) | (b < 0),
        )
        a, b = self.pc[li], self.pc[ri]
        da, db = self.district[li], self.district[ri]
        out["place"] = self._sel(
            "place",
            n,
            [(a == b, "same_postcode"), ((da == db) & (da >= 0), "same_district")],
            "different",
            (a < 0) | (b < 0),
        )
        a, b = self.force[li], self.force[ri]
        out["force"] = self._sel("force", n, [(a != b, "other_force")], "same_force", (a < 0) | (b < 0))
        return {c.name: out[c.name] for c in self.settings.comparisons}


def hard_rules(settings: Settings, levels: dict[str, np.ndarray]) -> Rules:
    rules = Rules()
    cfg = settings.rules
    rules.add(levels["time"] == settings.comparison("time").code("apart"), "time_apart")
    if cfg.get("one_record_per_force", True):
        rules.add(levels["force"] == settings.comparison("force").code("same_force"), "same_force")
    if cfg.get("late_and_different_review", True):
        # hours apart and a different offence: more likely the dyad's next incident than the same
        # one recorded twice, so a steward decides
        late = levels["time"] == settings.comparison("time").code("within_6_hours")
        other = levels["offence"] == settings.comparison("offence").code("different")
        rules.add(late & other, "late_and_different_offence", REVIEW)
    return rules


def resolve_events(
    events: pd.DataFrame,
    involvements: pd.DataFrame,
    people: PersonEvidence,
    surnames: pd.Series | None,
    decisions: pd.DataFrame | None,
    previous: pd.DataFrame | None,
    settings: Settings | None = None,
) -> dict:
    """Resolve staged event records into event entities (boundary incidents merged)."""
    settings = settings or load_kind_settings("events")
    window = int(settings.rules.get("window_minutes", 360))
    party = parties(involvements, people, surnames)
    rec = build_records(events, party)
    cmp = EventComparer(rec, settings, people)
    li, ri, blocking = candidates(rec, party, window)
    keys = rec["record_key"].to_numpy(dtype=object)
    stew, sl, sr, sc = steward_codes(keys, li, ri, decisions)
    if len(sl):
        li, ri, stew = np.r_[li, sl], np.r_[ri, sr], np.r_[stew, sc]
    levels = cmp(li, ri)
    cmp.use_person_weights = False
    model = train(settings, len(rec), cmp, levels)
    cmp.use_person_weights = True
    prev = None
    if previous is not None and not previous.empty:
        prev = previous[["record_key", "event_id"]].rename(columns={"event_id": "entity_id"})
    res = resolve_kind(settings, model, keys, li, ri, levels, hard_rules(settings, levels), stew, prev, PREFIX)
    res.report["blocking"] = blocking
    rec["event_id"] = res.ids
    values = {
        "suspect": (rec["suspect_key"].astype(str) + " -> " + rec["suspect_person_id"].astype(str)).to_numpy(object),
        "victim": (rec["victim_key"].astype(str) + " -> " + rec["victim_person_id"].astype(str)).to_numpy(object),
        "time": rec["occurred_at"].astype(str).to_numpy(dtype=object),
        "offence": (rec["ho_code"].fillna("").astype(str) + " " + rec["offence"].fillna("").astype(str))
        .str.strip()
        .to_numpy(dtype=object),
        "place": rec["location_postcode"].fillna("").astype(str).to_numpy(dtype=object),
        "force": rec["force_code"].fillna("").astype(str).to_numpy(dtype=object),
    }
    return {
        "records": rec,
        "party": party,
        "resolution": res,
        "model": model,
        "settings": settings,
        "values": values,
    }
