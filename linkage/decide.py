"""Decisions: thresholds on the match weight, then hard rules the model cannot override.

Order of precedence: a steward's decision, then the hard rules (two valid PNC IDs or CRO numbers
that differ, two records in one event or order, two in one role of one event, likely twins), then
the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.settings import Settings

NO_LINK, REVIEW, LINK = 0, 1, 2
MAX_LINKS_CHECKED = 60  # a record with more links than this is not checked for ambiguity
BY_MODEL, BY_RULE, BY_STEWARD = 0, 1, 2
BY_NAMES = np.array(["model", "rule", "steward"], dtype=object)
REASONS = [
    "",
    "pnc_conflict",
    "cro_conflict",
    "co_involved",
    "twins",
    "generations",
    "steward_same",
    "steward_not_same",
    "steward_unsure",
    "ambiguous",
    "co_involved_undated",
    "same_role",
    "related",
    "other_relation",
]


@dataclass
class Decisions:
    decision: np.ndarray  # NO_LINK / REVIEW / LINK
    decided_by: np.ndarray  # BY_MODEL / BY_RULE / BY_STEWARD
    reason: np.ndarray  # index into REASONS
    cannot_link: np.ndarray  # bool: the pair must end in different entities
    must_link: np.ndarray  # bool: the pair must end in one entity (steward "same")

    def labels(self) -> np.ndarray:
        """Decision strings: link / review / no_link / rule:<reason>."""
        base = np.array(["no_link", "review", "link"], dtype=object)[self.decision]
        rule = self.decided_by == BY_RULE
        reasons = np.array(REASONS, dtype=object)[self.reason]
        return np.where(rule, "rule:" + reasons, base)


def _household(settings: Settings, levels: dict[str, np.ndarray], street: bool = False) -> np.ndarray:
    """Same home and (nearly) the same surname: the setting of the commonest false merges.

    ``street``: one postcode with another house number counts too (a family on one street; a
    house number mistyped in one home)."""
    sn, pc = settings.comparison("surname"), settings.comparison("postcode")
    homes = ["same_address", "full", "address_only"] + (["neighbour"] if street and pc.has("neighbour") else [])
    same_home = np.isin(levels["postcode"], [pc.code(x) for x in homes])
    # the surname written in the forename field (names transposed) is still the same surname
    alike = ["exact", "alias", "fuzzy", "variant", "phonetic", "swapped"]
    surname = np.isin(levels["surname"], [sn.code(x) for x in alike if sn.has(x)])
    return same_home & surname


DOB_ALIKE = ("exact", "day_month_swapped", "one_off_impossible", "one_off")


def dated_alike(settings: Settings, levels: dict[str, np.ndarray]) -> np.ndarray:
    """Both dates of birth recorded and one date, or one date with a slip of a keystroke or a swap."""
    dob = settings.comparison("dob")
    return np.isin(levels["dob"], [dob.code(n) for n in DOB_ALIKE if dob.has(n)])


def likely_twins(settings: Settings, levels: dict[str, np.ndarray]) -> np.ndarray:
    """Same surname and address (or postcode: twins grown up may live apart on one street), the same or a
    near date of birth, different forename (no shared PNC ID). One person written under another
    forename at the same date and postcode is rarer than two siblings born together."""
    fn, pnc = settings.comparison("forename"), settings.comparison("pnc")
    return (
        _household(settings, levels, street=True)
        & dated_alike(settings, levels)
        & (levels["forename"] == fn.code("else"))
        & (levels["pnc"] != pnc.code("exact"))
    )


def evidently_two(settings: Settings, levels: dict[str, np.ndarray]) -> np.ndarray:
    """The records themselves say two people: forenames that are not one name mistyped, shortened
    or as an initial (level 'else'), dates of birth that are not one date mistyped, or a
    different sex or identifier. Rules about where two records sit (one event, one home) act
    only on these: the same name, date of birth and address twice in one incident is one person
    written twice (a victim recorded again as suspect, a duplicate nominal)."""
    return (levels["forename"] == settings.comparison("forename").code("else")) | plainly_two(settings, levels)


def plainly_two(settings: Settings, levels: dict[str, np.ndarray]) -> np.ndarray:
    """What says two people whatever chain of links joins the records: dates of birth both recorded
    and far apart (not a slip of a keystroke or a swap), another sex, another PNC ID or CRO number,
    one person recorded as one's partner and as the other's family. Not the forename: links drift
    along a chain (Dan, Daniel, Deniel), so the chain's ends may compare as two names and still be
    one person; a date of birth does not drift so."""
    dob, sex = settings.comparison("dob"), settings.comparison("sex")
    pnc, cro = settings.comparison("pnc"), settings.comparison("cro")
    return (
        np.isin(levels["dob"], [dob.code("else"), dob.code("generation")])
        | (levels["sex"] == sex.code("different"))
        | (levels["pnc"] == pnc.code("different"))
        | (levels["cro"] == cro.code("different"))
        | other_relation(settings, levels)
    )


def other_relation(settings: Settings, levels: dict[str, np.ndarray]) -> np.ndarray:
    """One person recorded as one record's partner and as the other's family (linkage.context)."""
    partner = levels.get("partner")
    comp = next((c for c in settings.comparisons if c.name == "partner"), None)
    if partner is None or comp is None or not comp.has("other_relation"):
        return np.zeros(len(levels["dob"]), dtype=bool)
    return partner == comp.code("other_relation")


def likely_generations(settings: Settings, levels: dict[str, np.ndarray]) -> np.ndarray:
    """Same names and address (or postcode: a son grown up may live on his father's street), dates of
    birth a generation apart: father and son, mother and daughter."""
    dob = settings.comparison("dob")
    return _household(settings, levels, street=True) & (levels["dob"] == dob.code("generation"))


def decide(
    settings: Settings,
    weight: np.ndarray,
    levels: dict[str, np.ndarray],
    co_involved: np.ndarray,
    steward: np.ndarray | None = None,
    apart: dict[str, np.ndarray] | None = None,
) -> Decisions:
    """Apply thresholds, hard rules and steward decisions.

    ``steward`` holds per pair 0 (none), 1 (same), 2 (not same), 3 (unsure). ``apart``: per reason
    (a rule name), the pairs an incident itself says are two people (linkage.context.apart).
    """
    n = len(weight)
    decision = np.full(n, NO_LINK, dtype=np.int8)
    decision[weight >= settings.review_weight] = REVIEW
    decision[weight >= settings.link_weight] = LINK
    by = np.zeros(n, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)
    cannot = np.zeros(n, dtype=bool)
    rules = settings.rules

    def apply(mask: np.ndarray, why: str, outcome: int) -> None:
        nonlocal cannot
        hit = mask & (by == BY_MODEL)
        decision[hit] = np.minimum(decision[hit], outcome)
        by[hit] = BY_RULE
        reason[hit] = REASONS.index(why)
        cannot |= mask

    if rules.get("pnc_conflict", True):
        apply(levels["pnc"] == settings.comparison("pnc").code("different"), "pnc_conflict", NO_LINK)
    if rules.get("cro_conflict", True):
        apply(levels["cro"] == settings.comparison("cro").code("different"), "cro_conflict", NO_LINK)
    if rules.get("co_involved", True):
        # two records in one event or order are two people when they say so; one person written
        # twice (same name and date of birth) is left to the model; without dates, a steward decides
        two = evidently_two(settings, levels)
        apply(co_involved & two, "co_involved", NO_LINK)
        apply(co_involved & ~two & ~dated_alike(settings, levels), "co_involved_undated", REVIEW)
    for why, mask in (apart or {}).items():
        # twins of one name, both children in one incident, or a victim who is the suspect's
        # brother, are two people however alike their records: a steward decides, never the model
        if rules.get(why, True):
            apply(mask, why, REVIEW)
    if rules.get("twins", True):
        apply(likely_twins(settings, levels), "twins", REVIEW)
    if rules.get("generations", True):
        apply(likely_generations(settings, levels), "generations", REVIEW)
    if rules.get("other_relation", True):
        apply(other_relation(settings, levels), "other_relation", REVIEW)
    must = np.zeros(n, dtype=bool)
    if steward is not None:
        same, not_same, unsure = steward == 1, steward == 2, steward == 3
        decision[same], decision[not_same], decision[unsure] = LINK, NO_LINK, REVIEW
        by[same | not_same | unsure] = BY_STEWARD
        reason[same], reason[not_same] = REASONS.index("steward_same"), REASONS.index("steward_not_same")
        reason[unsure] = REASONS.index("steward_unsure")
        cannot = (cannot & ~same) | not_same
        must = same
    return Decisions(decision, by, reason, cannot, must)


def ambiguous_links(
    dec: Decisions, left: np.ndarray, right: np.ndarray, weight: np.ndarray, n: int, margin: float
) -> np.ndarray:
    """Send to review the links of a record that would join two people who must be kept apart.

    An undated 'Liam Carter' whose order protects Janet Carter matches both the son who abused
    his mother and the father who abused his wife: linked to both, the cluster guard would give
    him to whichever link is a shade stronger. Where a record links to two records that must
    not link (a hard rule or a steward's "not same") and its two links differ by less than
    ``margin`` bits, neither link is made: a steward decides. Returns the pairs changed.
    """
    from linkage.blocking import pairs_in_blocks

    links = np.flatnonzero((dec.decision == LINK) & (dec.decided_by != BY_STEWARD))
    changed = np.zeros(len(weight), dtype=bool)
    if len(links) < 2 or not dec.cannot_link.any():
        return changed
    size = np.int64(max(n, 1))
    lo, hi = np.minimum(left, right).astype(np.int64), np.maximum(left, right).astype(np.int64)
    codes = lo * size + hi
    order = np.argsort(codes)
    sorted_codes = codes[order]
    cannot = np.sort(codes[dec.cannot_link])
    # every record's pairs of linked neighbours (the record is the block)
    centre = np.r_[left[links], right[links]].astype(np.int64)
    other = np.r_[right[links], left[links]].astype(np.int64)
    ra, rb, _ = pairs_in_blocks(np.arange(len(centre)), centre, MAX_LINKS_CHECKED)
    if len(ra) == 0:
        return changed
    x1, x2, u = other[ra], other[rb], centre[ra]
    pair = np.minimum(x1, x2) * size + np.maximum(x1, x2)
    pos = np.clip(np.searchsorted(cannot, pair), 0, max(len(cannot) - 1, 0))
    apart = cannot[pos] == pair
    if not apart.any():
        return changed
    u, x1, x2 = u[apart], x1[apart], x2[apart]

    def row_of(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        c = np.minimum(p, q) * size + np.maximum(p, q)
        return order[np.searchsorted(sorted_codes, c)]

    r1, r2 = row_of(u, x1), row_of(u, x2)
    close = np.abs(weight[r1] - weight[r2]) < margin
    hit = np.r_[r1[close], r2[close]]
    changed[hit] = True
    dec.decision[hit] = REVIEW
    dec.decided_by[hit] = BY_RULE
    dec.reason[hit] = REASONS.index("ambiguous")
    return changed
