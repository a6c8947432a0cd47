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

Counterparts are of a kind (settings.yaml `context.roles`): partners (suspect and victim,
respondent and protected) and those present at a victim's incident (children, witnesses, the child
a school referral names). Only counterparts of one kind give evidence: a son and his father of one
name are both counterparts of the son's mother, as one present and as her partner, and that she is
one person says nothing of whether they are.

One role of one event holds each person once: two children of the household in one incident, two
witnesses, two school notifications (Operation Encompass referrals) about one incident. A person
written twice in one incident is written in two roles (a witness and a child, a victim and a
suspect), so two records in the same role and relationship are two people even when their names
and dates agree, as twins' may (the same-role rule, decide.py). A referral's child has no role in
the event, only in its referral: referral children of one event or notice are one role. And a
relationship to the suspect, where recorded, says the record is not the suspect (the related rule),
and one person recorded as one record's partner and as the other's family (his ex-partner, her son's
mother) says the two records are two people (the other_relation rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage.arrays import unique, unique_inverse
from linkage.blocking import pairs_in_blocks
from linkage.names import in_sorted
from linkage.settings import Settings

MAX_DEGREE = 12  # counterparts per record considered (a prolific offender's victims are capped)
MAX_EVENT_SIZE = 30
# what a victim was recorded as to her suspect (staging's categories), as bits of a counterpart link:
# one woman recorded as one man's partner and as another's mother says they are two men
RELATION = {"intimate": 1, "family": 2}


@dataclass
class Relations:
    """Counterpart adjacency (CSR over record index), each link's kind, and the co-involved pair codes."""

    n: int
    indptr: np.ndarray
    partners: np.ndarray
    kinds: np.ndarray  # per counterpart link: its kind, an index into kind_names
    co_codes: np.ndarray  # sorted unique l*n+r (l<r) of records in one event or order
    same_role_codes: np.ndarray  # the subset in one role and relationship of one event
    related_codes: np.ndarray  # the subset of a suspect and a record whose relationship to the suspect is recorded
    kind_names: tuple[str, ...] = ("partner",)
    relations: np.ndarray | None = None  # per counterpart link: RELATION bits of what they were recorded as

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)


def _pair_codes_in_groups(groups: list[tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """Sorted unique l*n+r codes of the record pairs within each group (groups over the cap skipped)."""
    if not groups:
        return np.zeros(0, dtype=np.int64)
    g = np.concatenate([x[0] for x in groups]).astype(np.int64)
    r = np.concatenate([x[1] for x in groups]).astype(np.int64)
    if len(g) == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = np.bincount(g)
    ok = sizes[g] <= MAX_EVENT_SIZE
    left, rr, _ = pairs_in_blocks(r[ok], g[ok], MAX_EVENT_SIZE)
    return unique(left * max(n, 1) + rr)


def _referral_children(
    index: pd.Series, referrals: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per referral that names a child: the event (else notice) it was sent for as a group code, the
    child's record and the referred person's record (-1: not among the records)."""
    empty = np.zeros(0, dtype=np.int64)
    if referrals is None or referrals.empty or "child_key" not in referrals:
        return empty, empty, empty
    child = referrals["child_key"].map(index)
    ok = child.notna()
    referred = referrals["record_key"].map(index) if "record_key" in referrals else pd.Series(np.nan, index=child.index)
    about = pd.Series(None, index=referrals.index, dtype=object)
    for c in ("event_key", "notice_key"):
        if c in referrals:
            about = about.fillna(referrals[c])
    codes, _ = pd.factorize(about[ok])  # -1: sent for nothing named (the child is in no group)
    return (
        codes.astype(np.int64),
        child[ok].astype(np.int64).to_numpy(),
        referred[ok].fillna(-1).astype(np.int64).to_numpy(),
    )


def build_relations(
    index: pd.Series,
    involvements: pd.DataFrame,
    orders: pd.DataFrame,
    settings: Settings,
    referrals: pd.DataFrame | None = None,
) -> Relations:
    """Counterparts and co-involvement from staging involvements, orders and referrals.

    ``index`` maps record_key -> record position.
    """
    n = len(index)
    pa, pb, pk, pr_bits, groups, roles = [], [], [], [], [], []
    related = np.zeros(0, dtype=np.int64)
    kinds = ["partner"]  # suspect and victim; respondent and protected

    def kind(name: str) -> int:
        if name not in kinds:
            kinds.append(name)
        return kinds.index(name)
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
        bits = (
            inv["relationship"].map(RELATION).fillna(0).astype(np.int64)
            if "relationship" in inv
            else pd.Series(0, index=inv.index, dtype=np.int64)
        )
        inv = inv.assign(bits=bits)
        for role_a, role_b, *named in settings.context.get("roles", [["suspect", "victim"]]):
            a = inv[inv["role"] == role_a][["event_key", "idx"]]
            b = inv[(inv["role"] == role_b) & rel_ok][["event_key", "idx", "bits"]]
            j = a.merge(b, on="event_key", suffixes=("_a", "_b"))
            pa.append(j["idx_a"].values)
            pb.append(j["idx_b"].values)
            pk.append(np.full(len(j), kind(named[0] if named else "partner"), dtype=np.int64))
            # the relationship on the victim's row is hers to the suspect: it says what the two are
            # to each other only between the suspect and the victim (a child's is to the suspect too)
            between = role_a == "suspect" and role_b == "victim"
            pr_bits.append(j["bits"].values if between else np.zeros(len(j), dtype=np.int64))
        ev_codes, _ = pd.factorize(inv["event_key"])
        groups.append((ev_codes.astype(np.int64), inv["idx"].values))
        # one slot per (event, role, relationship): integer codes combined, then made compact
        role_code, role_names = pd.factorize(inv["role"])
        rel_code = np.zeros(len(inv), dtype=np.int64)
        if "relationship" in inv:
            rel_code = pd.factorize(inv["relationship"])[0] + 1  # 0: none recorded
        slot = (ev_codes.astype(np.int64) * max(len(role_names), 1) + role_code) * (int(rel_code.max(initial=0)) + 1)
        roles.append((unique_inverse(slot + rel_code)[1], inv["idx"].values))
        if "relationship" in inv:
            # the relationship is to the suspect: a victim who is the suspect's brother is not him.
            # Only where the event has one suspect (with two, a victim may be the other: a
            # counter-allegation writes her as victim and as suspect)
            s = inv[inv["role"] == "suspect"][["event_key", "idx"]]
            s = s[~s["event_key"].duplicated(keep=False)]
            o = inv[inv["relationship"].notna() & (inv["role"] != "suspect")][["event_key", "idx"]]
            j = s.merge(o, on="event_key", suffixes=("_s", "_o"))
            j = j[j["idx_s"] != j["idx_o"]]
            lo, hi = np.minimum(j["idx_s"].values, j["idx_o"].values), np.maximum(j["idx_s"].values, j["idx_o"].values)
            related = unique(lo.astype(np.int64) * max(n, 1) + hi)
    if orders is not None and not orders.empty:
        o = orders[["order_key", "respondent_key", "protected_key"]]
        ra = o["respondent_key"].map(index)
        pr = o["protected_key"].map(index)
        ok = ra.notna() & pr.notna()
        pa.append(ra[ok].astype(np.int64).values)
        pb.append(pr[ok].astype(np.int64).values)
        pk.append(np.full(int(ok.sum()), kind("partner"), dtype=np.int64))
        pr_bits.append(np.zeros(int(ok.sum()), dtype=np.int64))  # an order does not say what they are
        base = max((int(x[0].max()) + 1 for x in groups if len(x[0])), default=0)
        grp = np.arange(ok.sum(), dtype=np.int64) + base
        groups.append(
            (np.r_[grp, grp], np.r_[ra[ok].astype(np.int64).values, pr[ok].astype(np.int64).values])
        )
    about, child, referred = _referral_children(index, referrals)
    as_kind = settings.context.get("referral_children")
    if as_kind and len(child):
        # the child a referral names and the person it refers (the victim whose incident the school
        # is told of): counterparts of the kind the settings name, as the victim and a child present
        known = referred >= 0
        pa.append(referred[known])
        pb.append(child[known])
        pk.append(np.full(int(known.sum()), kind(str(as_kind)), dtype=np.int64))
        pr_bits.append(np.zeros(int(known.sum()), dtype=np.int64))
    grouped = about >= 0
    if grouped.any():
        for into in (groups, roles):
            base = max((int(x[0].max()) + 1 for x in into if len(x[0])), default=0)
            into.append((about[grouped] + base, child[grouped]))
    if pa:
        a = np.concatenate(pa).astype(np.int64)
        b = np.concatenate(pb).astype(np.int64)
        k = np.concatenate(pk).astype(np.int64)
        rb = np.concatenate(pr_bits).astype(np.int64)
    else:
        a = b = k = rb = np.zeros(0, dtype=np.int64)
    src = np.r_[a, b]
    dst = np.r_[b, a]
    k = np.r_[k, k]
    rb = np.r_[rb, rb]
    keep = src != dst
    src, dst, k, rb = src[keep], dst[keep], k[keep], rb[keep]
    n_kinds, size = np.int64(len(kinds)), np.int64(max(n, 1))
    all_codes = (src * n_kinds + k) * size + dst
    codes = unique(all_codes)  # sorted by record, then kind
    bits = np.zeros(len(codes), dtype=np.int64)
    np.bitwise_or.at(bits, np.searchsorted(codes, all_codes), rb)  # every relationship a link was recorded as
    group, dst = codes // size, codes % size
    src, k = group // n_kinds, group % n_kinds
    # cap the degree of each kind so a record with very many counterparts cannot blow up the cross
    # products, nor a victim's many children and witnesses crowd out her partners
    rank = np.arange(len(group)) - np.searchsorted(group, group, "left")
    keep = rank < MAX_DEGREE
    src, dst, k, bits = src[keep], dst[keep], k[keep], bits[keep]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    indptr = np.cumsum(indptr)
    co = _pair_codes_in_groups(groups, n)
    same_role = _pair_codes_in_groups(roles, n)
    return Relations(
        n, indptr, dst.astype(np.int64), k.astype(np.int8), co, same_role, related, tuple(kinds), bits.astype(np.int8)
    )


def co_involved(rel: Relations, left: np.ndarray, r: np.ndarray) -> np.ndarray:
    """True where the two records appear in the same event or order (so are two people)."""
    lo, hi = np.minimum(left, r).astype(np.int64), np.maximum(left, r).astype(np.int64)
    return in_sorted(lo * max(rel.n, 1) + hi, rel.co_codes)


def apart(rel: Relations, left: np.ndarray, r: np.ndarray) -> dict[str, np.ndarray]:
    """Pairs an incident itself says are two people, by the reason (a rule of settings.yaml) it says so:

    * same_role: the same role and relationship in one event (two children, two witnesses, two
      school notifications of one incident): one role holds each person once;
    * related: an event's one suspect and a record whose relationship to him is recorded (a victim
      who is his brother, a child present): no one is their own brother.
    """
    lo, hi = np.minimum(left, r).astype(np.int64), np.maximum(left, r).astype(np.int64)
    codes = lo * max(rel.n, 1) + hi
    return {"same_role": in_sorted(codes, rel.same_role_codes), "related": in_sorted(codes, rel.related_codes)}


def _cross(
    rel: Relations, left: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (pair, counterpart of l, counterpart of r, kind) row for the given pairs, counterparts of
    one kind, and whether the two links were recorded as different relationships (one intimate, the
    other family; each link recorded as one of them only)."""
    deg = rel.degree()
    dl, dr = deg[left], deg[r]
    per = dl * dr
    total = int(per.sum())
    q = np.repeat(np.arange(len(left)), per)
    off = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
    dr_rep = np.repeat(dr, per)
    i, j = off // np.maximum(dr_rep, 1), off % np.maximum(dr_rep, 1)
    el = rel.indptr[np.repeat(left, per)] + i
    er = rel.indptr[np.repeat(r, per)] + j
    # a son and his father are counterparts of one woman, one as her child and one as her partner:
    # that she is the same person says nothing of whether they are
    alike = rel.kinds[el] == rel.kinds[er]
    el, er = el[alike], er[alike]
    if rel.relations is None:
        other = np.zeros(len(el), dtype=bool)
    else:
        bl, br = rel.relations[el], rel.relations[er]
        one = np.isin(bl, list(RELATION.values())) & np.isin(br, list(RELATION.values()))
        other = one & (bl != br)
    return q[alike], rel.partners[el], rel.partners[er], rel.kinds[el], other


def partner_levels(
    rel: Relations,
    settings: Settings,
    left: np.ndarray,
    r: np.ndarray,
    levels: dict[str, np.ndarray],
    labels: np.ndarray,
    soft_codes: np.ndarray,
    strength: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The partner comparison level per pair.

    ``labels``: entity label per record after the previous round (linked people);
    ``soft_codes``: sorted codes of pairs scored at or above the review threshold;
    ``strength``: sorted pair codes and each pair's weight from the records alone, which decides
    which of two pairs a relationship conflict says is two people (below).
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
    q, cl, cr, kind, other = _cross(rel, left[idx].astype(np.int64), r[idx].astype(np.int64))
    # siblings are counterparts of one mother: for such kinds a date of birth only near (two
    # keystrokes off, the same year) is not agreement
    near = [dcomp.code(x) for x in ("two_off", "same_year") if dcomp.has(x)]
    kin = np.isin(np.asarray(rel.kind_names, dtype=object), list(settings.context.get("strict_dob", [])))
    loose = np.isin(levels["dob"][idx], near)
    keep = ~(kin[kind] & loose[q]) if len(near) and kin.any() else np.ones(len(q), dtype=bool)
    q, cl, cr, kind, other = q[keep], cl[keep], cr[keep], kind[keep], other[keep]
    same = (labels[cl] == labels[cr]) | (cl == cr)
    lo, hi = np.minimum(cl, cr), np.maximum(cl, cr)
    soft = in_sorted(lo * max(rel.n, 1) + hi, soft_codes)
    # counterparts in common add evidence; none in common is no evidence against (a man's new
    # partner in another force is the serial case this product exists to find), unless the
    # settings list a level for it. Each kind has its levels, `shared_<kind>` (the counterparts are
    # one resolved person) and `<kind>_candidate` (a probable match); a kind the settings give no
    # level gives no evidence. Where several apply, the strongest (first listed) is the pair's.
    lv = np.full(len(idx), comp.code("partners_differ") if comp.has("partners_differ") else 0, dtype=np.int8)
    found = []
    for k, name in enumerate(rel.kind_names):
        for level, hit in ((f"shared_{name}", same), (f"{name}_candidate", soft)):
            if comp.has(level):
                mask = np.zeros(len(idx), dtype=bool)
                mask[q[hit & (kind == k)]] = True
                found.append((comp.code(level), mask))
    for code, mask in sorted(found, key=lambda x: -x[0]):
        lv[mask] = code
    if comp.has("other_relation"):
        # one person recorded as one record's partner and as the other's family (his mother, her
        # son): two people, whatever else they share (a father and son of one name, the son's
        # records undated, with the woman who is one's ex-partner and the other's mother). Either
        # the two men are two or the woman's two records are two women: the conflict says it of
        # this pair only where her records are one record, or are joined by stronger evidence of
        # their own than this pair's (a woman's two records sharing a PNC ID against two men's
        # sharing a name), so it does not turn on the pair that should stand
        conflict = same & other
        if conflict.any():
            mine = _strength(strength, left[idx][q[conflict]], r[idx][q[conflict]], rel.n)
            theirs = _strength(strength, cl[conflict], cr[conflict], rel.n)
            theirs[cl[conflict] == cr[conflict]] = np.inf
            mask = np.zeros(len(idx), dtype=bool)
            mask[q[conflict][theirs > mine]] = True
            lv[mask] = comp.code("other_relation")
    out[idx] = lv
    return out


def _strength(strength: tuple[np.ndarray, np.ndarray] | None, a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Each pair's weight from the records alone (-inf where it was never scored)."""
    out = np.full(len(a), -np.inf)
    if strength is None or len(strength[0]) == 0 or len(a) == 0:
        return out
    codes, weights = strength
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    want = lo * max(n, 1) + hi
    pos = np.clip(np.searchsorted(codes, want), 0, len(codes) - 1)
    hit = codes[pos] == want
    out[hit] = weights[pos[hit]]
    return out


def partner_pairs(rel: Relations, labels: np.ndarray, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs among the counterparts of one kind of one resolved person (collective blocking)."""
    deg = rel.degree()
    src = np.repeat(np.arange(rel.n), deg)
    ent = labels[src].astype(np.int64) * np.int64(len(rel.kind_names)) + rel.kinds
    left, r, _ = pairs_in_blocks(rel.partners.astype(np.int64), ent, max_block)
    return left, r
