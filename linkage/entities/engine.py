"""The person engine's machinery, applied to addresses, orders and events.

Each entity kind is a Fellegi-Sunter model written as data (``linkage/entities/<kind>.yaml``,
read by the person engine's ``load_settings``), scored with its ``score`` / ``field_weights``,
explained with its ``match_keys`` / ``explain_row``, clustered with its guarded ``cluster`` and
given stable ids with its ``assign_ids``. What differs per kind is only how two records are
compared (the kind's module) and which hard rules apply; this module holds what is shared:
u from random pairs, the prior by the person engine's ``estimate_prior``, decisions (steward
first, then rules, then thresholds), clustering and the review-pair table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from linkage.blocking import pairs_in_blocks
from linkage.cluster import assign_ids, cluster
from linkage.decide import BY_MODEL, BY_NAMES, BY_RULE, BY_STEWARD, LINK, NO_LINK, REVIEW
from linkage.explain import match_keys
from linkage.model import Model, estimate_prior, field_weights, prior_model, probability, score
from linkage.settings import Settings, load_settings

HERE = Path(__file__).parent
Compare = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
MIN_RECORDS_FOR_U = 500


def load_kind_settings(kind: str, path: Path | None = None) -> Settings:
    """The model of one entity kind: ``linkage/entities/<kind>.yaml``."""
    return load_settings(path or HERE / f"{kind}.yaml")


def _smooth(counts: np.ndarray, prior: np.ndarray, pseudo: float) -> np.ndarray:
    """Non-null level shares pulled toward the settings prior by ``pseudo`` pairs; null stays 1."""
    c, p = counts[1:], prior[1:] / max(prior[1:].sum(), 1e-300)
    return np.r_[1.0, (c + pseudo * p) / (c.sum() + pseudo)]


def train(settings: Settings, n: int, compare: Compare, levels: dict[str, np.ndarray]) -> Model:
    """u from random record pairs (as for people), m from the settings, prior by EM over the candidates.

    Below ``MIN_RECORDS_FOR_U`` records the settings' u and prior stand (a small data set cannot
    say how often two random records agree). ``model.estimate_u: false`` keeps the settings' u
    at any size: where one entity has many records (a home written on every incident), random
    pairs are too often true matches to stand for non-matches. ``model.estimate_prior: false``
    keeps the settings' prior: the chance that two random forms of an address are one place
    falls as the data grows, but the same street, number and town stay just as convincing.
    """
    model = prior_model(settings, max(n, 2))
    trained: dict = {"records": int(n), "candidate_pairs": int(len(next(iter(levels.values()), [])))}
    if n >= MIN_RECORDS_FOR_U and settings.model.get("estimate_u", True):
        rng = np.random.default_rng(int(settings.model.get("seed", 42)))
        k = int(min(int(settings.model.get("u_sample_pairs", 200_000)), n * (n - 1) // 2))
        li, ri = rng.integers(0, n, k), rng.integers(0, n, k)
        keep = li != ri
        sample = compare(li[keep], ri[keep])
        pseudo = float(settings.model.get("pseudo_u", 1000))
        for comp in settings.comparisons:
            counts = np.bincount(sample[comp.name], minlength=comp.n_levels).astype(np.float64)
            prior_u = np.array([lv.u for lv in comp.levels])
            est = _smooth(counts, prior_u, pseudo)
            fixed = np.array([lv.fixed_u for lv in comp.levels])
            est[fixed] = prior_u[fixed]
            floor = 0.5 / max(counts.sum(), 1)
            model.u[comp.name] = [1.0] + [float(max(x, floor)) for x in est[1:]]
        trained["u_from"] = f"{int(keep.sum())} random pairs"
        model.prior = float(settings.model.get("prior", model.prior))
        if len(next(iter(levels.values()), [])) and settings.model.get("estimate_prior", True):
            model = estimate_prior(model, settings, levels, None, n)
    else:
        trained["u_from"] = (
            "settings (estimate_u is off)" if n >= MIN_RECORDS_FOR_U else "settings prior (too few records to sample)"
        )
        model.prior = float(settings.model.get("prior", model.prior))
        if (
            n >= MIN_RECORDS_FOR_U
            and len(next(iter(levels.values()), []))
            and settings.model.get("estimate_prior", True)
        ):
            model = estimate_prior(model, settings, levels, None, n)
    trained["m_from"] = "settings (domain estimates)"
    model.trained = {**model.trained, **trained}
    model.version = f"{settings.model_name}-v{settings.version}"
    return model


def select_levels(
    settings: Settings, name: str, n: int, conds: list[tuple[np.ndarray, str]], default: str, null: np.ndarray
) -> np.ndarray:
    """Comparison level codes for ``n`` pairs: the first condition that holds names the level,
    ``default`` otherwise, and level 0 (null) where either side is missing."""
    comp = settings.comparison(name)
    res = np.full(n, comp.code(default), dtype=np.int8)
    done = null.copy()
    for cond, level in conds:
        take = cond & ~done
        res[take] = comp.code(level)
        done |= take
    res[null] = 0
    return res


@dataclass
class Rules:
    """Hard rules for one kind: (mask over pairs, reason, outcome) applied in order."""

    items: list[tuple[np.ndarray, str, int]] = field(default_factory=list)
    must: np.ndarray | None = None  # decisive agreement (a shared UPRN): link whatever the score
    must_reason: str = ""

    def add(self, mask: np.ndarray, reason: str, outcome: int = NO_LINK) -> None:
        self.items.append((mask, reason, outcome))


@dataclass
class Decided:
    decision: np.ndarray
    decided_by: np.ndarray
    reason: np.ndarray  # object strings
    cannot: np.ndarray
    must: np.ndarray

    def labels(self) -> np.ndarray:
        base = np.array(["no_link", "review", "link"], dtype=object)[self.decision]
        # a rule that sends a pair to a steward labels it "review" (its reason says which rule), so
        # the steward's queue, which lists the "review" pairs, shows it
        ruled = (self.decided_by == BY_RULE) & (self.decision != REVIEW)
        return np.where(ruled, "rule:" + self.reason, base)


def decide(settings: Settings, weight: np.ndarray, rules: Rules, steward: np.ndarray) -> Decided:
    """Thresholds, then hard rules, then steward decisions (which no rule or score overrides)."""
    n = len(weight)
    decision = np.full(n, NO_LINK, dtype=np.int8)
    decision[weight >= settings.review_weight] = REVIEW
    decision[weight >= settings.link_weight] = LINK
    by = np.zeros(n, dtype=np.int8)
    reason = np.full(n, "", dtype=object)
    cannot = np.zeros(n, dtype=bool)
    must = np.zeros(n, dtype=bool)
    if rules.must is not None:
        hit = rules.must
        decision[hit], by[hit], reason[hit] = LINK, BY_RULE, rules.must_reason
        must |= hit
    for mask, why, outcome in rules.items:
        hit = mask & (by == BY_MODEL)
        decision[hit] = np.minimum(decision[hit], outcome)
        by[hit] = BY_RULE
        reason[hit] = why
        if outcome == NO_LINK:
            cannot |= mask & ~must
    same, not_same, unsure = steward == 1, steward == 2, steward == 3
    decision[same], decision[not_same], decision[unsure] = LINK, NO_LINK, REVIEW
    by[same | not_same | unsure] = BY_STEWARD
    reason[same], reason[not_same], reason[unsure] = "steward_same", "steward_not_same", "steward_unsure"
    cannot = (cannot & ~same) | not_same
    must = (must & ~not_same & ~unsure) | same
    return Decided(decision, by, reason, cannot, must)


@dataclass
class Resolution:
    """One kind resolved: ids per record, scored pairs and what decided them."""

    ids: np.ndarray
    labels: np.ndarray
    li: np.ndarray
    ri: np.ndarray
    levels: dict[str, np.ndarray]
    weight: np.ndarray
    decided: Decided
    cut: np.ndarray
    report: dict


def resolve_kind(
    settings: Settings,
    model: Model,
    keys: np.ndarray,
    li: np.ndarray,
    ri: np.ndarray,
    levels: dict[str, np.ndarray],
    rules: Rules,
    steward: np.ndarray,
    previous: pd.DataFrame | None,
    prefix: str,
) -> Resolution:
    """Score, decide, cluster (guarded against chaining) and name the entities of one kind."""
    n = len(keys)
    weight = score(model, settings, levels, None) if len(li) else np.zeros(0, dtype=np.float32)
    dec = decide(settings, weight, rules, steward)
    clus = cluster(n, li, ri, weight, dec.decision == LINK, dec.cannot, dec.must, settings.cluster)
    prev = None
    if previous is not None and not previous.empty:
        prev = previous.rename(columns={"entity_id": "person_id"})
        prev = prev.assign(person_id="P" + prev["person_id"].astype(str).str[len(prefix) :])
        # ordered categorical keys keep assign_ids' per-entity minimum on pandas' vectorised path
        # (object strings fall back to Python per group: seconds per ten thousand entities)
        cat = pd.CategoricalDtype(sorted(set(prev["record_key"].astype(str)) | set(map(str, keys))), ordered=True)
        prev = prev.assign(record_key=prev["record_key"].astype(str).astype(cat))
    ids = assign_ids(pd.array(np.asarray(keys, dtype=object).astype(str), dtype="string[python]"), clus.labels, prev)
    ids = np.asarray([prefix + str(x)[1:] for x in ids], dtype=object)
    report = {
        "records": int(n),
        "candidate_pairs": int(len(li)),
        "links": int((dec.decision == LINK).sum()),
        "review": int((dec.decision == REVIEW).sum()),
        "rule_decisions": int((dec.decided_by == BY_RULE).sum()),
        "steward_decisions": int((dec.decided_by == BY_STEWARD).sum()),
        "entities": int(len(set(ids))),
        "cluster_guard": clus.report,
    }
    return Resolution(ids, clus.labels, li, ri, levels, weight, dec, clus.cut, report)


def steward_codes(
    keys: np.ndarray, li: np.ndarray, ri: np.ndarray, decisions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steward code per candidate pair, plus decided pairs that blocking did not propose.

    Returns (codes for the candidates, extra li, extra ri, extra codes).
    """
    codes = np.zeros(len(li), dtype=np.int8)
    empty = np.zeros(0, dtype=np.int64)
    if decisions is None or decisions.empty or len(keys) == 0:
        return codes, empty, empty, np.zeros(0, dtype=np.int8)
    from linkage.steward import CODES

    index = pd.Series(np.arange(len(keys)), index=pd.Index(keys))
    index = index[~index.index.duplicated()]
    dl = decisions["key_l"].map(index)
    dr = decisions["key_r"].map(index)
    ok = dl.notna() & dr.notna()
    dl, dr = dl[ok].astype(np.int64).to_numpy(), dr[ok].astype(np.int64).to_numpy()
    dc = decisions["decision"][ok].map(CODES).astype(np.int8).to_numpy()
    n = np.int64(len(keys))
    want = np.minimum(dl, dr) * n + np.maximum(dl, dr)
    have = np.minimum(li, ri).astype(np.int64) * n + np.maximum(li, ri)
    pos = pd.Series(np.arange(len(have)), index=have)
    pos = pos[~pos.index.duplicated()]
    found = pd.Series(want).map(pos)
    hit = found.notna().to_numpy()
    codes[found[hit].astype(np.int64).to_numpy()] = dc[hit]
    return codes, dl[~hit], dr[~hit], dc[~hit]


def pairs_frame(
    kind: str,
    settings: Settings,
    model: Model,
    keys: np.ndarray,
    res: Resolution,
    values: dict[str, np.ndarray] | None = None,
    min_weight: float | None = None,
) -> pd.DataFrame:
    """Review table: scored pairs at or above review, and every rule or steward decision worth showing.

    One row per pair with ``kind, key_l, key_r, weight, probability, decision, decided_by,
    match_key`` and per comparison its level, weight and the values compared on each side.
    """
    cut_review = res.cut & (res.decided.decision == LINK)
    floor = settings.review_weight if min_weight is None else min_weight
    # what a steward should see: pairs the model thinks may match (whatever a rule then said),
    # steward decisions, decisive rules (a shared UPRN) and links the cluster guard cut
    decisive = res.decided.must & (res.decided.decided_by == BY_RULE)
    keep = (res.weight >= floor) | (res.decided.decided_by == BY_STEWARD) | decisive | res.cut
    idx = np.flatnonzero(keep)
    lv = {k: v[idx] for k, v in res.levels.items()}
    w = field_weights(model, settings, lv, None) if len(idx) else {k: np.zeros(0) for k in lv}
    labels = res.decided.labels()[idx]
    labels = np.where(cut_review[idx], "review", labels)
    kl, kr = keys[res.li[idx]], keys[res.ri[idx]]
    swap = kl > kr
    out = pd.DataFrame(
        {
            "kind": kind,
            "key_l": np.where(swap, kr, kl),
            "key_r": np.where(swap, kl, kr),
            "weight": np.round(res.weight[idx], 4),
            "probability": np.round(probability(res.weight[idx]), 6),
            "decision": labels,
            "decided_by": BY_NAMES[res.decided.decided_by[idx]],
            "reason": res.decided.reason[idx],
            "cluster_cut": res.cut[idx],
            "match_key": match_keys(settings, lv, w) if len(idx) else np.zeros(0, dtype=object),
            "model_version": model.version,
        }
    )
    for comp in settings.comparisons:
        names = np.array([level.name for level in comp.levels], dtype=object)
        out[f"{comp.name}_level"] = names[lv[comp.name]]
        out[f"{comp.name}_weight"] = np.round(w[comp.name], 4)
        if values is not None and comp.name in values:
            vl, vr = values[comp.name][res.li[idx]], values[comp.name][res.ri[idx]]
            out[f"{comp.name}_l"] = np.where(swap, vr, vl)
            out[f"{comp.name}_r"] = np.where(swap, vl, vr)
    return out.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)


def block_pairs(
    frame: pd.DataFrame, keys: list[str], max_block: int, side: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """All pairs of rows sharing the values of ``keys`` (blank keys never block), by the person
    engine's ``pairs_in_blocks``; blocks over ``max_block`` are dropped. With ``side`` (a mask
    over the rows), only pairs with at least one side row, from blocks that hold one (as the
    person engine's ``only_undated`` rules). Returns (li, ri, dropped)."""
    ok = np.ones(len(frame), dtype=bool)
    for k in keys:
        v = frame[k]
        ok &= v.notna().to_numpy() & (v.astype(str) != "").to_numpy()
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    sub = frame[keys].iloc[idx].astype(str)
    codes = sub.iloc[:, 0]
    for col in sub.columns[1:]:
        codes = codes + "\x1f" + sub[col]
    grp, _ = pd.factorize(codes)
    grp = grp.astype(np.int64)
    if side is not None:
        held = np.zeros(int(grp.max()) + 1, dtype=bool)
        held[grp[side[idx]]] = True
        idx, grp = idx[held[grp]], grp[held[grp]]
    li, ri, info = pairs_in_blocks(idx.astype(np.int64), grp, max_block)
    if side is not None:
        keep = side[li] | side[ri]
        li, ri = li[keep], ri[keep]
    return li.astype(np.int64), ri.astype(np.int64), int(info["oversized"])


def group_join(groups: pd.Series | np.ndarray, values: pd.Series | np.ndarray, sep: str = ";") -> pd.Series:
    """Distinct non-null values per group, sorted and joined (vectorised: no Python per group)."""
    frame = pd.DataFrame({"g": np.asarray(groups, dtype=object), "v": np.asarray(values, dtype=object)})
    frame = frame.dropna().drop_duplicates().sort_values(["g", "v"], kind="stable")
    if frame.empty:
        return pd.Series(dtype=object)
    g = frame["g"].to_numpy(dtype=object)
    v = frame["v"].astype(str).to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    joined = np.add.reduceat(v + sep, starts)
    return pd.Series([j[: -len(sep)] for j in joined], index=g[starts], dtype=object)


def sorted_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` for strings (codes in the strings' sorted order, -1 for
    null), sorting the distinct strings as fixed-width text in C rather than as Python objects:
    the same order (code points) for text without NUL characters (every key and id here), a
    tenth of the time."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    uniq = np.asarray(uniq, dtype=object)
    order = np.argsort(uniq.astype(str), kind="stable")
    rank = np.full(len(uniq) + 1, -1, dtype=np.int64)  # the last slot: null stays -1
    rank[order] = np.arange(len(uniq))
    return rank[codes], uniq[order]


def join_per_group(codes: np.ndarray, values: pd.Series | np.ndarray, n_groups: int, sep: str = ";") -> np.ndarray:
    """What :func:`group_join` gives, for groups already numbered ``0 .. n_groups - 1`` (a
    groupby's ``ngroup``): per group its distinct non-null values, sorted and joined (None for a
    group without one). Integer codes and one sort instead of a string key per row and a map."""
    out = np.full(n_groups, None, dtype=object)
    vcodes, uniq = sorted_codes(values)
    if not len(uniq):
        return out
    width = np.int64(len(uniq))
    have = vcodes >= 0
    key = np.unique(np.asarray(codes, dtype=np.int64)[have] * width + vcodes[have])
    g, v = key // width, np.asarray([str(x) + sep for x in uniq], dtype=object)[key % width]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    out[g[starts]] = [j[: -len(sep)] for j in np.add.reduceat(v, starts)]
    return out


__all__ = [
    "BY_MODEL",
    "BY_RULE",
    "BY_STEWARD",
    "LINK",
    "NO_LINK",
    "REVIEW",
    "Model",
    "Rules",
    "Resolution",
    "block_pairs",
    "decide",
    "group_join",
    "join_per_group",
    "load_kind_settings",
    "pairs_frame",
    "resolve_kind",
    "sorted_codes",
    "steward_codes",
    "train",
]
