"""Blocking: candidate pairs are the union of rules, each a set of derived keys that must agree.

A block (records sharing a rule's key) larger than the rule's ``max_block`` is split by its
``subblock`` key; a sub-block that is still too large is dropped. Nothing explodes, and the
report counts what each rule produced, what it added to the rules before it, and what was
capped or dropped (plus, when the truth is known, the share of true pairs each rule keeps).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from linkage.arrays import unique
from linkage.dates import real_neighbours
from linkage.features import FeatureTable
from linkage.names import in_sorted
from linkage.settings import BlockingRule, Settings

_MIX = np.int64(1_000_003)
THREADS = 2  # rules are blocked side by side: their sorts and joins run without the GIL


def _single(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(record index, key) for a one-value-per-record key; missing (<0 or 0 for dob) dropped."""
    idx = np.flatnonzero(values >= 0)
    return idx.astype(np.int64), values[idx].astype(np.int64)


def _multi(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(record index, key) exploded over a (n, k) multi-valued key."""
    rows, cols = np.nonzero(values >= 0)
    return rows.astype(np.int64), values[rows, cols].astype(np.int64)


MIN_DELETION_LENGTH = 4  # shorter names block on themselves only ('JO' would meet every 'J?')


def deletion_table(vocab: np.ndarray) -> np.ndarray:
    """(len(vocab) + 1, k) codes of each name and every string one deletion away (-1 padded).

    Two names within one edit (a typo, a dropped or doubled letter, or two letters swapped:
    SARAH/SARHA both give SARA) share a code, so blocking on these codes tolerates a typo
    without comparing every name with every other (the symmetric-delete idea of SymSpell).
    The last row (for a missing name, code -1) is empty.
    """
    names = [str(name) for name in vocab]
    variants = [
        [name] + ([name[:i] + name[i + 1 :] for i in range(len(name))] if len(name) >= MIN_DELETION_LENGTH else [])
        for name in names
    ]  # a doubled letter gives one variant twice: blocking drops repeated (record, key) rows
    lengths = np.fromiter((len(v) for v in variants), dtype=np.int64, count=len(variants))
    width = int(lengths.max()) if len(variants) else 1
    codes, _ = pd.factorize(np.fromiter((x for v in variants for x in v), dtype=object, count=int(lengths.sum())))
    table = np.full((len(vocab) + 1, width), -1, dtype=np.int64)
    rows = np.repeat(np.arange(len(variants)), lengths)
    cols = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    table[rows, cols] = codes
    return table


def _deletions(ft: FeatureTable, names: np.ndarray) -> np.ndarray:
    """Per record, the deletion-neighbourhood codes of name codes (see deletion_table).

    Codes are consistent within one call only (one rule uses one deletion key).
    """
    present = unique(names[names >= 0].astype(np.int64))
    table = deletion_table(ft.vocab[present])
    pos = np.searchsorted(present, np.maximum(names, 0))
    return table[np.where(names >= 0, pos, len(table) - 1)]


def _key(ft: FeatureTable, name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "pnc":
        return _single(ft.pnc)
    if name == "cro":
        return _single(ft.cro)
    if name == "dob":
        return _single(np.where(ft.dob > 0, ft.dob, -1))
    if name == "dob_repaired":
        # the date, and for a date no one could be born on each real date one keystroke away:
        # 1374-05-12 (a slip in the year) meets 1974-05-12, whatever else it is blocked with
        own, codes = _single(np.where(ft.dob > 0, ft.dob, -1))
        rows, near = real_neighbours(ft.dob)
        return np.concatenate([own, rows]), np.concatenate([codes, near])
    if name == "birth_year":
        return _single(np.where(ft.dob > 0, ft.dob // 10000, -1))
    if name == "dob_unordered":
        # the date with day and month in either order: 1974-05-11 meets 1974-11-05
        d = ft.dob.astype(np.int64)
        day, month = d % 100, d // 100 % 100
        return _single(np.where(d > 0, d // 10000 * 10000 + np.minimum(day, month) * 100 + np.maximum(day, month), -1))
    if name == "sn_sound":
        return _single(ft.sn_sound)
    if name == "sn_exact":
        return _single(ft.sn)
    if name == "fn_key":
        return _single(ft.fn_key)
    if name == "fn_initial":
        return _single(ft.fn_initial)
    if name == "sex":
        return _single(np.where(ft.sex > 0, ft.sex, -1).astype(np.int64))
    if name == "district":
        return _multi(ft.pc_district)
    if name == "postcode":
        return _multi(ft.pc_full)
    if name == "area":
        return _multi(ft.pc_area)
    if name == "phone":
        return _multi(ft.phone)
    if name == "phone_deletions":
        # each phone and every string one deletion from it: a mistyped identifier meets its original
        rows, codes = _multi(ft.phone)
        variants = deletion_table(np.asarray(ft.value_codes["phone"], dtype=object))[codes]
        r, c = np.nonzero(variants >= 0)
        return rows[r], variants[r, c]
    if name == "address_numbers":
        return _single(ft.address_numbers)
    if name == "street_start":
        return _single(_street_start(ft.address))
    if name == "name_deletions":
        # forename and surname, and every string one deletion from each, whichever field holds them
        return _multi(_deletions(ft, np.stack([ft.fn, ft.sn], axis=1)).reshape(ft.n, -1))
    if name == "fn_deletions":
        return _multi(_deletions(ft, ft.fn))
    if name == "sn_deletions":
        return _multi(_deletions(ft, ft.sn))
    if name == "names_either_order":
        # the unordered pair of forename and surname sounds: 'SMITH David' meets 'David SMITH'
        a, b = ft.fn_sound.astype(np.int64), ft.sn_sound.astype(np.int64)
        ok = (a >= 0) & (b >= 0)
        key = np.where(ok, np.minimum(a, b) * _MIX + np.maximum(a, b), -1)
        return _single(key)
    raise KeyError(f"unknown blocking key {name!r}")


_NOT_STREET = {"FLAT", "APARTMENT", "APT", "UNIT", "HOUSE", "ROOM", "BLOCK"}


def _street_start(addresses: np.ndarray) -> np.ndarray:
    """Code of the first three letters of an address's first word that names a street (-1: none).

    With the postcode and house numbers, one home: in a postcode that covers a suburb (another
    country's) the same number on another street is not one home.
    """
    codes, uniques = pd.factorize(np.asarray(addresses, dtype=object))

    def start(text: object) -> str:
        for word in str(text).split():
            if len(word) >= 3 and word.isalpha() and word not in _NOT_STREET:
                return word[:3]
        return ""

    starts = np.asarray([start(u) for u in uniques], dtype=object)
    scodes = np.where(starts == "", -1, pd.factorize(starts)[0]) if len(starts) else np.zeros(0, dtype=np.int64)
    return np.r_[scodes, -1].astype(np.int64)[codes]  # code -1 (no address) takes the last: none


KEY_BUILDERS = [
    "pnc",
    "cro",
    "dob",
    "dob_repaired",
    "birth_year",
    "dob_unordered",
    "sn_sound",
    "sn_exact",
    "fn_key",
    "fn_initial",
    "sex",
    "district",
    "postcode",
    "area",
    "phone",
    "phone_deletions",
    "names_either_order",
    "fn_deletions",
    "sn_deletions",
    "name_deletions",
    "address_numbers",
    "street_start",
]


MULTI_VALUED = {
    "dob_repaired",
    "district",
    "postcode",
    "area",
    "phone",
    "phone_deletions",
    "fn_deletions",
    "sn_deletions",
    "name_deletions",
}


def _per_record(ft: FeatureTable, name: str) -> np.ndarray:
    """A one-value-per-record key as a full-length array (-1 missing)."""
    rec, key = _key(ft, name)
    out = np.full(ft.n, -1, dtype=np.int64)
    out[rec] = key
    return out


def rule_keys(ft: FeatureTable, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(record index, combined key) rows for a rule: the join of its component keys."""
    single = [k for k in keys if k not in MULTI_VALUED]
    multi = [k for k in keys if k in MULTI_VALUED]
    if single:
        combined = _per_record(ft, single[0])
        ok = combined >= 0
        for name in single[1:]:
            part = _per_record(ft, name)
            ok &= part >= 0
            combined = combined * _MIX + part
        rec = np.flatnonzero(ok)
        key = combined[rec]
    else:
        rec, key = _key(ft, multi[0])
        multi = multi[1:]
    for name in multi:
        r2, k2 = _key(ft, name)
        rec, key = _join(rec, key, r2, k2)
    return rec, key


def _join(rec: np.ndarray, key: np.ndarray, r2: np.ndarray, k2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Combine two (record, key) row sets on record (exploding multi-valued keys)."""
    order = np.argsort(r2, kind="stable")
    r2, k2 = r2[order], k2[order]
    lo = np.searchsorted(r2, rec, "left")
    hi = np.searchsorted(r2, rec, "right")
    counts = hi - lo
    keep = counts > 0
    rec, key, lo, counts = rec[keep], key[keep], lo[keep], counts[keep]
    rep_rec = np.repeat(rec, counts)
    rep_key = np.repeat(key, counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    other = k2[np.repeat(lo, counts) + offs]
    return rep_rec, rep_key * _MIX + other


def pairs_in_blocks(rec: np.ndarray, key: np.ndarray, max_block: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """All within-block pairs for blocks no larger than max_block, and the oversized blocks' rows."""
    if len(rec) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, {"blocks": 0, "oversized": 0, "largest": 0, "big_rows": empty, "big_keys": empty}
    order = np.lexsort((rec, key))
    rec, key = rec[order], key[order]
    # one row per (record, key): a record appearing twice in a block pairs with itself otherwise
    dup = np.zeros(len(rec), dtype=bool)
    dup[1:] = (rec[1:] == rec[:-1]) & (key[1:] == key[:-1])
    rec, key = rec[~dup], key[~dup]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    big = sizes > max_block
    info = {
        "blocks": int((sizes > 1).sum()),
        "oversized": int(big.sum()),
        "largest": int(sizes.max()) if len(sizes) else 0,
    }
    block_of = np.repeat(np.arange(len(sizes)), sizes)
    in_big = big[block_of]
    info["big_rows"] = rec[in_big]
    info["big_keys"] = key[in_big]
    ok_blocks = ~big & (sizes > 1)
    pos_in_block = np.arange(len(rec)) - np.repeat(starts, sizes)
    size_of = sizes[block_of]
    take = ok_blocks[block_of]
    counts = np.where(take, size_of - 1 - pos_in_block, 0)
    total = int(counts.sum())
    left_pos = np.repeat(np.arange(len(rec)), counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    right_pos = left_pos + 1 + offs
    a, b = rec[left_pos], rec[right_pos]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    return lo[keep], hi[keep], info


@dataclass
class Candidates:
    """The union of all rules' pairs (l < r), with a bitmask of the rules that produced each."""

    left: np.ndarray
    right: np.ndarray
    rules: np.ndarray
    rule_names: list[str]
    report: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.left)


DELETION_KEYS = {"fn_deletions": "fn", "sn_deletions": "sn"}


def _units(ft: FeatureTable, keys: tuple[str, ...]) -> np.ndarray:
    """Per record, a code for its values of a rule's keys (the name for a deletion key); -1 missing."""
    combined = np.zeros(ft.n, dtype=np.int64)
    ok = np.ones(ft.n, dtype=bool)
    for name in keys:
        part = getattr(ft, DELETION_KEYS[name]).astype(np.int64) if name in DELETION_KEYS else _per_record(ft, name)
        ok &= part >= 0
        combined = combined * _MIX + np.maximum(part, 0)
    codes, _ = pd.factorize(np.where(ok, combined, -1))
    return np.where(ok, codes, -1).astype(np.int64)


def _members(unit: np.ndarray, mask: np.ndarray, n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records (where mask) grouped by unit: (records in unit order, start per unit, count per unit)."""
    has = np.flatnonzero(mask & (unit >= 0))
    members = has[np.argsort(unit[has], kind="stable")]
    counts = np.bincount(unit[has], minlength=n_units)
    return members, np.r_[0, np.cumsum(counts)[:-1]], counts


def _expand(
    ul: np.ndarray, ur: np.ndarray, a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Every record of unit ul[i] in grouping a with every record of unit ur[i] in grouping b."""
    (ma, sa, ca), (mb, sb, cb) = a, b
    per = ca[ul] * cb[ur]
    q = np.repeat(np.arange(len(ul)), per)
    off = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    width = np.maximum(np.repeat(cb[ur], per), 1)
    return ma[sa[ul[q]] + off // width], mb[sb[ur[q]] + off % width]


def _typo_pairs(ft: FeatureTable, rule: BlockingRule) -> tuple[np.ndarray, np.ndarray, dict]:
    """Pairs for a rule on one name's deletion keys: different names one edit apart.

    Two records with the same name share every one of its deletion keys, so blocking records
    would list their pair once per key, and such pairs are the exact-name rules' work anyway.
    Here the distinct (name, other keys) units are blocked instead: a block's size counts
    distinct names; a pair of units is expanded to the pairs of their records (with an undated
    side, for an ``only_undated`` rule), unless that would make more than max_block pairs (then
    it is dropped and counted as an oversized block).
    """
    unit = _units(ft, rule.keys)
    n_units = int(unit.max()) + 1 if ft.n else 0
    side = ft.dob <= 0 if rule.only_undated else np.ones(ft.n, dtype=bool)
    undated_units = np.zeros(n_units, dtype=bool)
    undated_units[unit[side & (unit >= 0)]] = True
    # the keys of one record per unit (a unit's records share them)
    _, reps = np.unique(unit, return_index=True)
    reps = reps[unit[reps] >= 0]
    u = unit[reps]
    combined = np.zeros(len(reps), dtype=np.int64)
    for name in rule.keys:
        if name not in DELETION_KEYS:
            combined = combined * _MIX + _per_record(ft, name)[reps]
    (name,) = [k for k in rule.keys if k in DELETION_KEYS]
    rows, variant = _multi(_deletions(ft, getattr(ft, DELETION_KEYS[name])[reps]))
    u, key = u[rows], combined[rows] * _MIX + variant
    # only blocks holding an undated unit can give a pair
    keep = in_sorted(key, unique(key[undated_units[u]]))
    ul, ur, info = pairs_in_blocks(u[keep], key[keep], rule.max_block)
    codes = unique(ul * np.int64(max(n_units, 1)) + ur)
    ul, ur = codes // max(n_units, 1), codes % max(n_units, 1)
    everyone = _members(unit, np.ones(ft.n, dtype=bool), n_units)
    sizes = everyone[2]
    if rule.only_undated:
        undated = _members(unit, side, n_units)
        expanded = undated[2][ul] * sizes[ur] + sizes[ul] * undated[2][ur]
    else:
        expanded = sizes[ul] * sizes[ur]
    too_big = expanded > rule.max_block
    ul, ur = ul[~too_big], ur[~too_big]
    if rule.only_undated:
        l1, r1 = _expand(ul, ur, undated, everyone)
        l2, r2 = _expand(ul, ur, everyone, undated)
    else:
        l1, r1 = _expand(ul, ur, everyone, everyone)
        l2 = r2 = np.zeros(0, dtype=np.int64)
    info["oversized"] += int(too_big.sum())
    info["big_rows"] = np.flatnonzero(np.isin(unit, info["big_rows"]))
    info["big_keys"] = np.zeros(len(info["big_rows"]), dtype=np.int64)
    left, right = np.r_[l1, l2], np.r_[r1, r2]
    return np.minimum(left, right), np.maximum(left, right), info


def _stats(rule: BlockingRule, info: dict) -> dict:
    return {
        "rule": rule.name,
        "keys": "+".join(rule.keys),
        "max_block": rule.max_block,
        "blocks": info["blocks"],
        "largest_block": info["largest"],
        "oversized_blocks": info["oversized"],
        "subblocked_by": None,
        "dropped_blocks": 0,
        "records_in_dropped_blocks": 0,
    }


def block_rule(ft: FeatureTable, rule: BlockingRule) -> tuple[np.ndarray, np.ndarray, dict]:
    """Pairs for one rule, sub-blocking or dropping oversized blocks."""
    multi = [k for k in rule.keys if k in MULTI_VALUED]
    if len(multi) == 1 and multi[0] in DELETION_KEYS:
        left, r, info = _typo_pairs(ft, rule)
        stats = _stats(rule, info)
        stats["dropped_blocks"] = info["oversized"]
        stats["records_in_dropped_blocks"] = int(len(info["big_rows"]))
        return left, r, stats
    rec, key = rule_keys(ft, rule.keys)
    if rule.only_undated:
        # only blocks holding an undated record can give a pair: drop the others before pairing
        held = unique(key[ft.dob[rec] <= 0])
        keep = in_sorted(key, held)
        rec, key = rec[keep], key[keep]
    left, r, info = pairs_in_blocks(rec, key, rule.max_block)
    stats = _stats(rule, info)
    if info["oversized"]:
        big_rec, big_key = info["big_rows"], info["big_keys"]
        if rule.subblock:
            stats["subblocked_by"] = rule.subblock
            r2, k2 = _key(ft, rule.subblock)
            sub_rec, sub_key = _join(big_rec, big_key, r2, k2)
            l2, rr2, info2 = pairs_in_blocks(sub_rec, sub_key, rule.max_block)
            left, r = np.concatenate([left, l2]), np.concatenate([r, rr2])
            dropped_rows = unique(info2["big_rows"])
            no_sub = np.setdiff1d(unique(big_rec), unique(sub_rec), assume_unique=True)
            stats["dropped_blocks"] = info2["oversized"]
            stats["records_in_dropped_blocks"] = int(len(np.union1d(dropped_rows, no_sub)))
        else:
            stats["dropped_blocks"] = info["oversized"]
            stats["records_in_dropped_blocks"] = int(len(unique(big_rec)))
    if rule.only_undated:
        keep = (ft.dob[left] <= 0) | (ft.dob[r] <= 0)
        left, r = left[keep], r[keep]
    return left, r, stats


def block(
    ft: FeatureTable,
    settings: Settings,
    extra: list[tuple[str, np.ndarray, np.ndarray]] | None = None,
    truth: tuple[np.ndarray, np.ndarray] | None = None,
) -> Candidates:
    """Union of every blocking rule (plus extra named pair sets, e.g. steward or partner pairs)."""
    n = np.int64(max(ft.n, 1))
    codes, ids, report = [], [], []
    names = [r.name for r in settings.blocking] + [name for name, _, _ in (extra or [])]
    truth_codes = None
    if truth is not None:
        tl, tr = np.minimum(truth[0], truth[1]), np.maximum(truth[0], truth[1])
        truth_codes = unique(tl.astype(np.int64) * n + tr)
    sources = [(rule, None, None) for rule in settings.blocking] + [
        (name, left, r) for name, left, r in (extra or [])
    ]

    def pairs(source: tuple) -> tuple[np.ndarray, dict]:
        """One rule's (or supplied set's) pairs as sorted distinct codes l * n + r, and its report."""
        rule, el, er = source
        if isinstance(rule, BlockingRule):
            left, r, stats = block_rule(ft, rule)
        else:
            left, r = np.minimum(el, er).astype(np.int64), np.maximum(el, er).astype(np.int64)
            keep = left != r
            left, r = left[keep], r[keep]
            stats = {
                "rule": rule,
                "keys": "(pairs supplied)",
                "max_block": None,
                "blocks": None,
                "largest_block": None,
                "oversized_blocks": 0,
                "subblocked_by": None,
                "dropped_blocks": 0,
                "records_in_dropped_blocks": 0,
            }
        c = unique(left * n + r)
        stats["pairs"] = int(len(c))
        if truth_codes is not None:
            stats["true_pairs_kept"] = _share(truth_codes, c)
        return c, stats

    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # answers in the rules' order
        for i, (c, stats) in enumerate(pool.map(pairs, sources)):
            report.append(stats)
            codes.append(c)
            ids.append(np.full(len(c), i, dtype=np.int8))
    if not codes or sum(len(c) for c in codes) == 0:
        empty = np.zeros(0, dtype=np.int32)
        return Candidates(empty, empty, np.zeros(0, dtype=np.uint32), names, report)
    allc = np.concatenate(codes)
    rule_id = np.concatenate(ids)
    order = np.argsort(allc, kind="stable")  # ties keep rule order: the first is the earliest rule
    allc, rule_id = allc[order], rule_id[order]
    starts = np.flatnonzero(np.r_[True, allc[1:] != allc[:-1]])
    uniq = allc[starts]
    bits = np.bitwise_or.reduceat(np.left_shift(np.uint32(1), rule_id.astype(np.uint32)), starts)
    first = rule_id[starts]
    new = np.bincount(first, minlength=len(sources))
    for i, stats in enumerate(report):
        stats["new_pairs"] = int(new[i])
    if truth_codes is not None and len(truth_codes):
        pos = np.clip(np.searchsorted(uniq, truth_codes), 0, len(uniq) - 1)
        found = uniq[pos] == truth_codes
        first_t = np.where(found, first[pos], 127)
        for i, stats in enumerate(report):
            stats["cumulative_true_pairs_kept"] = float((first_t <= i).mean())
    return Candidates(
        (uniq // n).astype(np.int32), (uniq % n).astype(np.int32), bits.astype(np.uint32), names, report
    )


def _share(truth_codes: np.ndarray, sorted_codes: np.ndarray) -> float:
    """Share of the true pairs found in a sorted unique code array."""
    if len(truth_codes) == 0:
        return float("nan")
    return float(in_sorted(truth_codes, sorted_codes).mean())


def rules_of(bits: int, names: list[str]) -> list[str]:
    """Names of the rules whose bit is set."""
    return [name for i, name in enumerate(names) if bits >> i & 1]
