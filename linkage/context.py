"""Context evidence from relationships: who each record was involved with.

Counterparts are the suspect and victim of one event and the respondent and protected person of
one order. After a first round of scoring and clustering, two records whose counterparts are
the same resolved person (or a probable match) get a "partner" comparison level: the
protected person on an order whose respondent is already resolved to a man with a recorded
victim of the same name is almost certainly that woman. The level only applies where names,
date of birth and sex do not disagree, so a mother and daughter who are both victims of the
same man (same surname, same address) get no lift from it, nor a father and son who share a
victim (their dates of birth disagree). Which victim relationships make counterparts is set in
settings.yaml (intimate, family and unrecorded by default: a son's order protecting his mother
names the son her police records show). Rounds repeat until no partner level changes, since
evidence travels one relationship a round. Records in the same event or order are two people
(the co-involved rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage.arrays import unique
from linkage.blocking import pairs_in_blocks
from linkage.names import in_sorted
from linkage.settings import Settings

MAX_DEGREE = 12  # counterparts per record considered (a prolific offender's victims are capped)
MAX_EVENT_SIZE = 30


@dataclass
class Relations:
    """Counterpart adjacency (CSR over record index) and the co-involved pair codes."""

    n: int
    indptr: np.ndarray
    partners: np.ndarray
    co_codes: np.ndarray  # sorted unique l*n+r (l<r) of records in one event or order

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)


def build_relations(
    index: pd.Series, involvements: pd.DataFrame, orders: pd.DataFrame, settings: Settings
) -> Relations:
    """Counterparts and co-involvement from staging involvements and orders.

    ``index`` maps record_key -> record position.
    """
    n = len(index)
    pa, pb, groups = [], [], []
    if involvements is not None and not involvements.empty:
        cols = ["event_key", "record_key", "role"] + (
            ["relationship"] if "relationship" in involvements else []
        )
        inv = involvements[cols].dropna(subset=["event_key", "record_key"])
        inv = inv.assign(idx=inv["record_key"].map(index), role=inv["role"].astype(str).str.lower())
        allowed = settings.context.get("relationships", ["intimate", None])
        rel_ok = (
            inv["relationship"].isin([a for a in allowed if a is not None]) if "relationship" in inv else True
        )
        if None in allowed and "relationship" in inv:
            rel_ok = rel_ok | inv["relationship"].isna()
        inv = inv.dropna(subset=["idx"]).drop_duplicates(["event_key", "idx", "role"])
        inv["idx"] = inv["idx"].astype(np.int64)
        for role_a, role_b in settings.context.get("roles", [["suspect", "victim"]]):
            a = inv[inv["role"] == role_a][["event_key", "idx"]]
            b = inv[(inv["role"] == role_b) & rel_ok][["event_key", "idx"]]
            j = a.merge(b, on="event_key", suffixes=("_a", "_b"))
            pa.append(j["idx_a"].values)
            pb.append(j["idx_b"].values)
        ev_codes, _ = pd.factorize(inv["event_key"])
        groups.append((ev_codes.astype(np.int64), inv["idx"].values))
    if orders is not None and not orders.empty:
        o = orders[["order_key", "respondent_key", "protected_key"]]
        ra = o["respondent_key"].map(index)
        pr = o["protected_key"].map(index)
        ok = ra.notna() & pr.notna()
        pa.append(ra[ok].astype(np.int64).values)
        pb.append(pr[ok].astype(np.int64).values)
        base = max((int(x[0].max()) + 1 for x in groups if len(x[0])), default=0)
        grp = np.arange(ok.sum(), dtype=np.int64) + base
        groups.append(
            (np.r_[grp, grp], np.r_[ra[ok].astype(np.int64).values, pr[ok].astype(np.int64).values])
        )
    if pa:
        a = np.concatenate(pa).astype(np.int64)
        b = np.concatenate(pb).astype(np.int64)
    else:
        a = b = np.zeros(0, dtype=np.int64)
    src = np.r_[a, b]
    dst = np.r_[b, a]
    keep = src != dst
    src, dst = src[keep], dst[keep]
    codes = unique(src * max(n, 1) + dst)
    src, dst = codes // max(n, 1), codes % max(n, 1)
    # cap the degree so a record with very many counterparts cannot blow up the cross products
    rank = np.arange(len(src)) - np.searchsorted(src, src, "left")
    keep = rank < MAX_DEGREE
    src, dst = src[keep], dst[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)
    co = np.zeros(0, dtype=np.int64)
    if groups:
        g = np.concatenate([x[0] for x in groups])
        r = np.concatenate([x[1] for x in groups])
        sizes = np.bincount(g)
        ok = sizes[g] <= MAX_EVENT_SIZE
        left, rr, _ = pairs_in_blocks(r[ok], g[ok], MAX_EVENT_SIZE)
        co = unique(left * max(n, 1) + rr)
    return Relations(n, indptr, dst.astype(np.int64), co)


def co_involved(rel: Relations, left: np.ndarray, r: np.ndarray) -> np.ndarray:
    """True where the two records appear in the same event or order (so are two people)."""
    lo, hi = np.minimum(left, r).astype(np.int64), np.maximum(left, r).astype(np.int64)
    return in_sorted(lo * max(rel.n, 1) + hi, rel.co_codes)


def _cross(rel: Relations, left: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (pair, counterpart of l, counterpart of r) row for the given pairs."""
    deg = rel.degree()
    dl, dr = deg[left], deg[r]
    per = dl * dr
    total = int(per.sum())
    q = np.repeat(np.arange(len(left)), per)
    off = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
    dr_rep = np.repeat(dr, per)
    i, j = off // np.maximum(dr_rep, 1), off % np.maximum(dr_rep, 1)
    cl = rel.partners[rel.indptr[np.repeat(left, per)] + i]
    cr = rel.partners[rel.indptr[np.repeat(r, per)] + j]
    return q, cl, cr


def partner_levels(
    rel: Relations,
    settings: Settings,
    left: np.ndarray,
    r: np.ndarray,
    levels: dict[str, np.ndarray],
    labels: np.ndarray,
    soft_codes: np.ndarray,
) -> np.ndarray:
    """The partner comparison level per pair.

    ``labels``: entity label per record after the previous round (linked people);
    ``soft_codes``: sorted codes of pairs scored at or above the review threshold.
    """
    comp = settings.comparison("partner")
    fcomp, scomp = settings.comparison("forename"), settings.comparison("surname")
    dcomp, xcomp = settings.comparison("dob"), settings.comparison("sex")
    out = np.zeros(len(left), dtype=np.int8)
    deg = rel.degree()
    # only where nothing personal disagrees: a father and son share names and a victim (the mother)
    agree = (
        (levels["forename"] != fcomp.code("else"))
        & (levels["surname"] != scomp.code("else"))
        & ~np.isin(levels["dob"], [dcomp.code("else"), dcomp.code("generation")])
        & (levels["sex"] != xcomp.code("different"))
    )
    both = (deg[left] > 0) & (deg[r] > 0) & agree
    idx = np.flatnonzero(both)
    if len(idx) == 0:
        return out
    q, cl, cr = _cross(rel, left[idx].astype(np.int64), r[idx].astype(np.int64))
    same = (labels[cl] == labels[cr]) | (cl == cr)
    lo, hi = np.minimum(cl, cr), np.maximum(cl, cr)
    soft = in_sorted(lo * max(rel.n, 1) + hi, soft_codes)
    has_same = np.zeros(len(idx), dtype=bool)
    has_soft = np.zeros(len(idx), dtype=bool)
    has_same[q[same]] = True
    has_soft[q[soft]] = True
    # counterparts in common add evidence; none in common is no evidence against (a man's new
    # partner in another force is the serial case this product exists to find), unless the
    # settings list a level for it
    lv = np.full(len(idx), comp.code("partners_differ") if comp.has("partners_differ") else 0, dtype=np.int8)
    lv[has_soft] = comp.code("partner_candidate")
    lv[has_same] = comp.code("shared_partner")
    out[idx] = lv
    return out


def partner_pairs(rel: Relations, labels: np.ndarray, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs among the counterparts of one resolved person (collective blocking)."""
    deg = rel.degree()
    src = np.repeat(np.arange(rel.n), deg)
    ent = labels[src].astype(np.int64)
    left, r, _ = pairs_in_blocks(rel.partners.astype(np.int64), ent, max_block)
    return left, r
