"""Comparison levels for record pairs, vectorised over arrays of pair indices.

Each function returns one int8 level per pair, with codes as listed in settings.yaml
(0 = null). No per-pair Python: equality is integer comparison of codes, string similarity
is computed once per distinct value pair with rapidfuzz's ``cpdist``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from linkage.arrays import unique_inverse
from linkage.dates import impossible_dates
from linkage.features import FeatureTable
from linkage.names import PAIR_BASE, in_sorted
from linkage.settings import Comparison, Settings

JW_THRESHOLD = 0.92
ADDRESS_SAME = 90
GENERATION_YEARS = 12
WORKERS = 2
SPLIT_PAIRS = 1_000_000  # pairs from which compare() runs two halves side by side


def _unique_pairs(vocab: np.ndarray, a: np.ndarray, b: np.ndarray, func) -> np.ndarray:
    """Apply func(strings_a, strings_b) -> bool array once per distinct code pair."""
    out = np.zeros(len(a), dtype=bool)
    ok = (a >= 0) & (b >= 0)
    if not ok.any():
        return out
    size = np.int64(len(vocab))
    key = a[ok].astype(np.int64) * size + b[ok].astype(np.int64)
    uniq, inv = unique_inverse(key)
    out[ok] = func(vocab[uniq // size], vocab[uniq % size])[inv]
    return out


def _typo(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """A typo: Jaro-Winkler >= 0.92, or one edit (OSA, so a transposition counts once), two if long
    (eight letters or more); three-letter names only by a letter dropped or added."""
    jw = process.cpdist(
        list(sa), list(sb), scorer=JaroWinkler.normalized_similarity, workers=WORKERS, dtype=np.float32
    )
    out = jw >= JW_THRESHOLD
    # edit distance only where lengths allow a one- or two-edit typo to count
    la = np.fromiter((len(x) for x in sa), dtype=np.int32, count=len(sa))
    lb = np.fromiter((len(x) for x in sb), dtype=np.int32, count=len(sb))
    shortest = np.minimum(la, lb)
    # three letters: a letter dropped or added only (Eid/Reid); a changed one makes another name (Lee/Lea)
    gap = np.abs(la - lb)
    idx = np.flatnonzero(~out & (((shortest >= 4) & (gap <= 2)) | ((shortest == 3) & (gap == 1))))
    if len(idx):
        dist = process.cpdist(
            list(sa[idx]), list(sb[idx]), scorer=OSA.distance, workers=WORKERS, dtype=np.int32, score_cutoff=2
        )
        out[idx] = (dist <= 1) | ((dist <= 2) & (shortest[idx] >= 8))
    return out


def _short_form(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """One name starts the other (Nat/Natalie, Chris/Christopher) or both share five first letters."""
    a, b = sa.astype(str), sb.astype(str)
    la, lb = np.char.str_len(a), np.char.str_len(b)
    prefix = ((la >= 3) & np.char.startswith(b, a)) | ((lb >= 3) & np.char.startswith(a, b))
    five = (la >= 5) & (lb >= 5) & (np.char.ljust(a, 5).astype("U5") == np.char.ljust(b, 5).astype("U5"))
    return prefix | five


SLIP_RATIO = 20  # a spelling this many times rarer than the other is a slip of the pen, not another name
SLIP_COUNT = 2  # a spelling held by this few records is a slip wherever it appears


def _near(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """Two edits apart (three letters or more); or the shorter name the start of the longer with at
    most one letter changed (Sau/Samuel); or two letters found whole in the longer (My/Amy, Sh/Ash)."""
    la = np.fromiter((len(x) for x in sa), dtype=np.int32, count=len(sa))
    lb = np.fromiter((len(x) for x in sb), dtype=np.int32, count=len(sb))
    shortest = np.minimum(la, lb)
    out = np.zeros(len(sa), dtype=bool)
    ok = np.flatnonzero(shortest >= 2)
    if not len(ok):
        return out
    a, b = sa[ok], sb[ok]
    two = process.cpdist(list(a), list(b), scorer=OSA.distance, workers=WORKERS, dtype=np.int32, score_cutoff=2) <= 2
    two &= shortest[ok] >= 3
    short = np.where(la[ok] <= lb[ok], a, b)
    long = np.where(la[ok] <= lb[ok], b, a)
    start = [lng[: len(sh)] for sh, lng in zip(short, long, strict=True)]
    clipped = process.cpdist(list(short), start, scorer=OSA.distance, workers=WORKERS, dtype=np.int32, score_cutoff=1)
    inside = np.fromiter((len(sh) == 2 and sh in lng for sh, lng in zip(short, long, strict=True)), dtype=bool)
    out[ok] = two | ((clipped <= 1) & (shortest[ok] >= 3)) | inside
    return out


ABBREVIATION_MAX = 3  # letters: a forename this short beside a longer one may be its first letters


def _abbreviation(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """The shorter name (three letters or fewer) is the start of the longer written with one slip:
    a letter changed, dropped, added or two swapped (Osh/Joshua, Nth/Nathan, Tla/Talia)."""
    la = np.fromiter((len(x) for x in sa), dtype=np.int32, count=len(sa))
    lb = np.fromiter((len(x) for x in sb), dtype=np.int32, count=len(sb))
    short_len = np.minimum(la, lb)
    ok = np.flatnonzero((short_len >= 2) & (short_len <= ABBREVIATION_MAX) & (np.maximum(la, lb) > short_len))
    out = np.zeros(len(sa), dtype=bool)
    if not len(ok):
        return out
    a, b = sa[ok], sb[ok]
    short = np.where(la[ok] <= lb[ok], a, b)
    long = np.where(la[ok] <= lb[ok], b, a)
    for extra in (0, 1):
        start = [lng[: len(sh) + extra] for sh, lng in zip(short, long, strict=True)]
        dist = process.cpdist(list(short), start, scorer=OSA.distance, workers=WORKERS, dtype=np.int32, score_cutoff=1)
        out[ok] |= dist <= 1
    return out


HEAD_CHUNK = 4096  # spellings compared with the common ones at a time (bounds the distance matrix)


def common_spelling(ft: FeatureTable, codes: np.ndarray) -> np.ndarray:
    """The spelling each name code is a slip of: the commonest spelling one keystroke away (a letter
    changed, dropped, added, or two swapped) held by SLIP_RATIO times as many records; else itself.

    Why: in a large file a slip repeats (Sopihe five times, Ssophie four), so neither of two slips
    is rare next to the other, yet each is rare next to the name both were meant to be (Sophie).
    """
    codes = np.asarray(codes, dtype=np.int64)
    out = codes.copy()
    uniq, inv = unique_inverse(codes)
    count = ft.vocab_count
    heads = np.flatnonzero(count >= SLIP_RATIO * max(1, int(count[uniq].min(initial=1))))
    if not len(uniq) or not len(heads):
        return out
    head_text = list(ft.vocab[heads])
    best = uniq.copy()
    for start in range(0, len(uniq), HEAD_CHUNK):
        part = uniq[start : start + HEAD_CHUNK]
        dist = process.cdist(
            list(ft.vocab[part]), head_text, scorer=OSA.distance, score_cutoff=1, dtype=np.int32, workers=WORKERS
        )
        ok = (dist == 1) & (count[heads][None, :] >= SLIP_RATIO * count[part][:, None])
        weight = np.where(ok, count[heads][None, :], -1)
        pick = weight.argmax(axis=1)
        found = weight[np.arange(len(part)), pick] > 0
        best[start : start + len(part)] = np.where(found, heads[pick], part)
    return best[inv]


def slips_of_one_spelling(ft: FeatureTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two different spellings that are each a slip of one common spelling (Sopihe and Ssophie of
    Sophie): one name written badly twice, not two names, so never evidence of twins."""
    ha, hb = common_spelling(ft, a), common_spelling(ft, b)
    return (ha == hb) & ((ha != a) | (hb != b))


def _rare_beside(ft: FeatureTable, ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """One spelling of each pair (distinct name codes) held by at most SLIP_COUNT records, or by
    SLIP_RATIO times fewer than the other."""
    na, nb = ft.vocab_count[ca], ft.vocab_count[cb]
    rare, common = np.minimum(na, nb), np.maximum(na, nb)
    return (rare <= SLIP_COUNT) | (rare * SLIP_RATIO <= common)


def _distinct_pairs(
    ft: FeatureTable, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(present, inverse, left codes, right codes) of the distinct pairs of present name codes."""
    ok = (a >= 0) & (b >= 0)
    size = np.int64(len(ft.vocab))
    uniq, inv = unique_inverse(a[ok].astype(np.int64) * size + b[ok].astype(np.int64))
    return ok, inv, uniq // size, uniq % size


def slips(ft: FeatureTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which pairs of different spellings (name codes) are one name written by a slip of the pen
    rather than two names: one spelling rare beside the other (_rare_beside), or both slips of one
    common spelling (slips_of_one_spelling).

    Two real names a keystroke apart (John and Joan, Smith and Smyth, Clark and Clarke) are both
    common, so a stranger meets the other often; a slip (Smiht) is rare next to the name it was
    meant to be. Counts are the forenames and surnames of the records resolved together, so the
    answer for a pair can change as records arrive (see refresh_counted).
    """
    out = np.zeros(len(a), dtype=bool)
    ok, inv, ca, cb = _distinct_pairs(ft, a, b)
    if not len(ca):
        return out
    slip = _rare_beside(ft, ca, cb)
    other = np.flatnonzero(~slip)
    if len(other):
        slip[other] = slips_of_one_spelling(ft, ca[other], cb[other])
    out[ok] = slip[inv]
    return out


def near_forenames(ft: FeatureTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Forenames too far apart for a typo level yet written by slips (Blgke/Jlake, Sau/Samuel): near
    in spelling (see _near) with one spelling rare beside the other, or both slips of one common
    spelling (see slips)."""
    out = np.zeros(len(a), dtype=bool)
    ok, inv, ca, cb = _distinct_pairs(ft, a, b)
    if not len(ca):
        return out
    rare = _rare_beside(ft, ca, cb)
    hit = np.zeros(len(ca), dtype=bool)
    idx = np.flatnonzero(rare)
    if len(idx):
        hit[idx] = _near(ft.vocab[ca[idx]], ft.vocab[cb[idx]])
    other = np.flatnonzero(~rare)
    if len(other):  # each a keystroke from one common spelling: within two of each other by construction
        hit[other] = slips_of_one_spelling(ft, ca[other], cb[other])
    out[ok] = hit[inv]
    return out


def refresh_counted(
    ft: FeatureTable, settings: Settings, levels: dict[str, np.ndarray], left: np.ndarray, r: np.ndarray
) -> dict[str, np.ndarray]:
    """Name levels kept from an earlier run, with those that depend on how common each spelling is
    decided again on today's counts: the forename's 'near' (see near_forenames) and both names'
    'fuzzy' against 'variant' (see slips). Every other level depends on the two records alone.
    New records change the counts, so without this a resolve in two steps would differ from one."""
    out = dict(levels)
    fn, sn = settings.comparison("forename"), settings.comparison("surname")
    near_codes = [fn.code(name) for name in ("near", "abbreviated", "else") if fn.has("near") and fn.has(name)]
    slip_codes = {c.name: [c.code("fuzzy"), c.code("variant")] if c.has("variant") else [] for c in (fn, sn)}
    # the forenames' pairs are oriented once (the costly part) for both decisions
    level = out["forename"].copy()
    idx = np.flatnonzero(np.isin(level, near_codes + slip_codes[fn.name]))
    if len(idx):
        fl, fr = forename_pair(ft, left[idx], r[idx], name_orientation(ft, left[idx], r[idx]))
    redo = np.isin(level[idx], near_codes)
    if redo.any():
        near = near_forenames(ft, fl[redo], fr[redo])
        new = np.where(near, fn.code("near"), fn.code("else"))
        if fn.has("abbreviated"):
            abbreviated = _unique_pairs(ft.vocab, fl[redo], fr[redo], _abbreviation) & ~near
            new[abbreviated] = fn.code("abbreviated")
        level[idx[redo]] = new
    if (~redo).any():
        level[idx[~redo]] = _slip_or_variant(ft, fn, fl[~redo], fr[~redo])
    out["forename"] = level
    level = out["surname"].copy()
    idx = np.flatnonzero(np.isin(level, slip_codes[sn.name]))
    if len(idx):  # a fuzzy surname is never a transposed or crossed one (those levels come first)
        level[idx] = _slip_or_variant(ft, sn, ft.sn[left[idx]], ft.sn[r[idx]])
    out["surname"] = level
    return out


def _slip_or_variant(ft: FeatureTable, comp: Comparison, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The level of name pairs a keystroke apart: 'fuzzy' for a slip, 'variant' for two real names."""
    return np.where(slips(ft, a, b), comp.code("fuzzy"), comp.code("variant"))


def _variants(ft: FeatureTable, comp: Comparison, typo: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The typo-level pairs that are two real names rather than a slip (see slips), where the
    comparison has a 'variant' level; else none."""
    out = np.zeros(len(typo), dtype=bool)
    if comp.has("variant"):
        idx = np.flatnonzero(typo)
        out[idx] = ~slips(ft, a[idx], b[idx])
    return out


def typo_codes(vocab: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Typo-level similarity of name codes a and b, computed once per distinct pair."""
    return _unique_pairs(vocab, a, b, _typo)


def _select(n: int, choices: list[tuple[np.ndarray, int]], default: int, null: np.ndarray) -> np.ndarray:
    """First true condition wins (conditions in priority order); null overrides."""
    out = np.full(n, default, dtype=np.int8)
    done = null.copy()
    for cond, code in choices:
        take = cond & ~done
        out[take] = code
        done |= take
    out[null] = 0
    return out


def forename_levels(
    ft: FeatureTable, settings: Settings, fl: np.ndarray, fr: np.ndarray, ml: np.ndarray, mr: np.ndarray
) -> np.ndarray:
    """Levels for forename codes fl/fr (middle-name codes ml/mr)."""
    comp = settings.comparison("forename")
    n = len(fl)
    null = (fl < 0) | (fr < 0)
    exact = (fl == fr) & ~null
    size = PAIR_BASE
    rest = ~exact & ~null
    nick = np.zeros(n, dtype=bool)
    nick[rest] = in_sorted(fl[rest].astype(np.int64) * size + fr[rest], ft.fn_eq)
    short = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(rest & ~nick)
    short[idx] = _unique_pairs(ft.vocab, fl[idx], fr[idx], _short_form)
    if not comp.has("short_form"):  # one level for both
        nick |= short
        short[:] = False
    rest &= ~nick & ~short
    fuzzy = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(rest)
    fuzzy[idx] = typo_codes(ft.vocab, fl[idx], fr[idx])
    variant = _variants(ft, comp, fuzzy, fl, fr)
    fuzzy &= ~variant
    safe_l, safe_r = np.maximum(fl, 0), np.maximum(fr, 0)
    phon = (ft.vocab_sound[safe_l] == ft.vocab_sound[safe_r]) & (ft.vocab_sound[safe_l] >= 0)
    middle = ((fl == mr) & (mr >= 0)) | ((ml == fr) & (ml >= 0))
    is_init = (ft.vocab_len[safe_l] == 1) | (ft.vocab_len[safe_r] == 1)
    initial = is_init & (ft.vocab_first[safe_l] == ft.vocab_first[safe_r])
    choices = [
        (exact, comp.code("exact")),
        (nick, comp.code("nickname")),
        *([(short, comp.code("short_form"))] if comp.has("short_form") else []),
        (fuzzy, comp.code("fuzzy")),
        *([(variant, comp.code("variant"))] if comp.has("variant") else []),
        (phon, comp.code("phonetic")),
        (middle, comp.code("middle")),
        (initial, comp.code("initial")),
    ]
    if comp.has("near"):
        rest = np.flatnonzero(~null & ~exact & ~nick & ~short & ~fuzzy & ~variant & ~phon & ~middle & ~initial)
        near = np.zeros(n, dtype=bool)
        near[rest] = near_forenames(ft, fl[rest], fr[rest])
        choices.append((near, comp.code("near")))
    if comp.has("abbreviated"):
        rest = np.flatnonzero(~null & ~exact & ~nick & ~short & ~fuzzy & ~variant & ~phon & ~middle & ~initial)
        abbreviated = np.zeros(n, dtype=bool)
        abbreviated[rest] = _unique_pairs(ft.vocab, fl[rest], fr[rest], _abbreviation)
        choices.append((abbreviated, comp.code("abbreviated")))
    return _select(n, choices, comp.code("else"), null)


def middle_levels(
    ft: FeatureTable,
    settings: Settings,
    ml: np.ndarray,
    mr: np.ndarray,
    fl: np.ndarray | None = None,
    fr: np.ndarray | None = None,
) -> np.ndarray:
    """First middle names: exact, initial, typo or nickname, different.

    Forenames written in the other order ('Elizabeth Siobhan' / 'Siobhan Elizabeth', given the
    forenames ``fl``/``fr``) agree here: the forename comparison already counts the order.
    """
    comp = settings.comparison("middle")
    n = len(ml)
    null = (ml < 0) | (mr < 0)
    exact = (ml == mr) & ~null
    if fl is not None and fr is not None:
        exact |= (ml == fr) & (mr == fl) & ~null
    safe_l, safe_r = np.maximum(ml, 0), np.maximum(mr, 0)
    is_init = (ft.vocab_len[safe_l] == 1) | (ft.vocab_len[safe_r] == 1)
    initial = is_init & (ft.vocab_first[safe_l] == ft.vocab_first[safe_r])
    idx = np.flatnonzero(~null & ~exact & ~is_init)
    fuzzy = np.zeros(n, dtype=bool)
    if len(idx):
        size = PAIR_BASE
        fuzzy[idx] = in_sorted(ml[idx].astype(np.int64) * size + mr[idx], ft.fn_eq) | typo_codes(
            ft.vocab, ml[idx], mr[idx]
        )
    return _select(
        n,
        [(exact, comp.code("exact")), (initial, comp.code("initial")), (fuzzy, comp.code("fuzzy"))],
        comp.code("else"),
        null,
    )


def _alike_codes(ft: FeatureTable, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Names by code that may be one name written badly: equal, nickname forms, a typo, or two slips
    or a mistyped short form where one spelling is rare next to the other (see near_forenames: a
    copy of a copy carries two slips; Ethan and Nathan are two names)."""
    out = (a == b) | in_sorted(a.astype(np.int64) * PAIR_BASE + b, ft.fn_eq)
    rest = np.flatnonzero(~out)
    if len(rest):
        out[rest] = typo_codes(ft.vocab, a[rest], b[rest])
    rest = np.flatnonzero(~out)
    if len(rest):
        out[rest] = near_forenames(ft, a[rest], b[rest])
    return out


STRAIGHT, SWAPPED, CROSSED_LEFT, CROSSED_RIGHT = 0, 1, 2, 3


def name_orientation(ft: FeatureTable, left: np.ndarray, r: np.ndarray) -> np.ndarray:
    """How the two records' name fields line up: straight, swapped, or crossed (per pair, int8).

    Swapped: forename and surname transposed on one side ('SMITH David' entered as forename SMITH):
    each crossed pair (the surname of one and the forename of the other, and the other way round)
    is one name written badly (see _alike_codes), while the names in their own fields differ.
    Crossed: only one crossed pair agrees and neither name agrees in its own field: the fields were
    transposed and the other name changed as well (married, an alias, shortened: 'Novak Braithwaite'
    and 'Tegan Novak'). CROSSED_LEFT: the left surname is the right forename; CROSSED_RIGHT: the
    left forename is the right surname. Only pairs sharing a first letter, a last two letters, a
    sound or a name across the fields are looked at.
    """
    sl, fr, fl, sr = ft.sn[left], ft.fn[r], ft.fn[left], ft.sn[r]
    snd, first, tail = ft.vocab_sound, ft.vocab_first, ft.vocab_last2

    def hint(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = np.maximum(x, 0), np.maximum(y, 0)
        return (x == y) | (snd[x] == snd[y]) | (first[x] == first[y]) | (tail[x] == tail[y])

    present = (sl >= 0) & (fr >= 0) & (fl >= 0) & (sr >= 0) & (sl != sr) & (fl != sl) & (fl != fr)
    out = np.zeros(len(left), dtype=np.int8)
    cand = np.flatnonzero(present & (hint(sl, fr) | hint(fl, sr)))
    if len(cand) == 0:
        return out
    one = _alike_codes(ft, sl[cand], fr[cand])
    two = _alike_codes(ft, fl[cand], sr[cand])
    out[cand[one & two]] = SWAPPED
    single = np.flatnonzero(one ^ two)
    if len(single):
        at = cand[single]
        straight = _alike_codes(ft, fl[at], fr[at]) | _alike_codes(ft, sl[at], sr[at])
        crossed = np.where(one[single], CROSSED_LEFT, CROSSED_RIGHT).astype(np.int8)
        out[at[~straight]] = crossed[~straight]
    return out


def forename_pair(
    ft: FeatureTable, left: np.ndarray, r: np.ndarray, orient: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The forename codes to compare, once the name fields are lined up: where the fields were
    transposed on one side, its surname field holds its forename."""
    fl = np.where(orient == CROSSED_RIGHT, ft.sn[left], ft.fn[left])
    fr = np.where(np.isin(orient, [SWAPPED, CROSSED_LEFT]), ft.sn[r], ft.fn[r])
    return fl, fr


def surname_levels(
    ft: FeatureTable, settings: Settings, left: np.ndarray, r: np.ndarray, orient: np.ndarray
) -> np.ndarray:
    comp = settings.comparison("surname")
    swapped = orient == SWAPPED
    crossed = np.isin(orient, [CROSSED_LEFT, CROSSED_RIGHT]) if comp.has("crossed") else np.zeros(len(left), bool)
    sl = ft.sn[left]
    sr = np.where(swapped, ft.fn[r], ft.sn[r])
    n = len(left)
    null = (sl < 0) | (sr < 0)
    exact = (sl == sr) & ~null & ~swapped & ~crossed
    size = PAIR_BASE
    al, ar = ft.sn_alts[left], ft.sn_alts[r]
    alias = np.zeros(n, dtype=bool)
    for j in range(al.shape[1]):
        alias |= (al[:, j] >= 0) & ((al[:, j] == sr) | (al[:, j][:, None] == ar).any(axis=1))
        alias |= (ar[:, j] >= 0) & (ar[:, j] == sl)
    rest = ~exact & ~null & ~swapped & ~alias
    alias[rest] = in_sorted(sl[rest].astype(np.int64) * size + sr[rest], ft.sn_eq)
    alias &= ~swapped
    rest &= ~alias
    fuzzy = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(rest)
    fuzzy[idx] = typo_codes(ft.vocab, sl[idx], sr[idx])
    variant = _variants(ft, comp, fuzzy, sl, sr)
    fuzzy &= ~variant
    s_l, s_r = np.maximum(sl, 0), np.maximum(sr, 0)
    phon = (ft.vocab_sound[s_l] == ft.vocab_sound[s_r]) & (ft.vocab_sound[s_l] >= 0)
    return _select(
        n,
        [
            (exact, comp.code("exact")),
            (swapped & ~null, comp.code("swapped")),
            *([(crossed & ~null, comp.code("crossed"))] if comp.has("crossed") else []),
            (alias, comp.code("alias")),
            (fuzzy, comp.code("fuzzy")),
            *([(variant, comp.code("variant"))] if comp.has("variant") else []),
            (phon, comp.code("phonetic")),
        ],
        comp.code("else"),
        null,
    )


def _digits(codes: np.ndarray) -> np.ndarray:
    """(n, 8) digits of YYYYMMDD codes, least significant first (a divmod a digit into one small
    array: a tenth of the time of eight int64 divisions and a stack, at millions of pairs)."""
    out = np.empty((len(codes), 8), dtype=np.int8)
    rest = np.asarray(codes, dtype=np.int64)
    for k in range(8):
        rest, out[:, k] = np.divmod(rest, 10)
    return out


def _keystrokes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(one, two): codes one keystroke apart (a digit changed, or two adjacent digits swapped) and two."""
    da, db = _digits(a), _digits(b)
    diff = da != db
    ham = diff.sum(axis=1)
    trans = np.zeros(len(a), dtype=bool)
    for k in range(7):
        trans |= diff[:, k] & diff[:, k + 1] & (da[:, k] == db[:, k + 1]) & (da[:, k + 1] == db[:, k])
    one = (ham == 1) | ((ham == 2) & trans)
    two = ~one & ((ham == 2) | ((ham == 3) & trans))
    return one, two


def _day_month_swapped(codes: np.ndarray) -> np.ndarray:
    return codes // 10000 * 10000 + codes % 100 * 100 + codes // 100 % 100


def dob_levels(settings: Settings, dl: np.ndarray, dr: np.ndarray) -> np.ndarray:
    """Exact / day-month swapped / one keystroke off / two keystrokes off / same year / else / a generation apart.

    Codes are the dates as written (YYYYMMDD digits, impossible ones too: 1974-15-11 is one
    keystroke from 1974-11-15 and a day-month swap of 1974-11-15). Two keystrokes: two digits
    changed, or one changed on top of a swap of adjacent digits or of day and month. Only
    comparisons whose settings list ``two_off`` get it.

    ``one_off_impossible`` (where listed): one keystroke off, one side a date no one could be born
    on (:mod:`linkage.dates`): a stranger's date is almost never one of its few real neighbours, so
    the level says nearly as much as agreement.
    """
    comp = settings.comparison("dob")
    n = len(dl)
    dl, dr = dl.astype(np.int64), dr.astype(np.int64)
    null = (dl <= 0) | (dr <= 0)
    exact = (dl == dr) & ~null
    yl, yr = dl // 10000, dr // 10000
    swapped = (_day_month_swapped(dl) == dr) & (dl // 100 % 100 != dl % 100) & ~exact & ~null
    one_off = np.zeros(n, dtype=bool)
    two_off = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(~null & ~exact & ~swapped)
    if len(idx):
        one, two = _keystrokes(dl[idx], dr[idx])
        swap_one, _ = _keystrokes(_day_month_swapped(dl[idx]), dr[idx])
        one_off[idx] = one
        two_off[idx] = two | (swap_one & ~one)
    choices = [
        (exact, comp.code("exact")),
        (swapped, comp.code("day_month_swapped")),
    ]
    if comp.has("one_off_impossible"):
        impossible = impossible_dates(dl) | impossible_dates(dr)
        choices.append((one_off & impossible, comp.code("one_off_impossible")))
    choices.append((one_off, comp.code("one_off")))
    if comp.has("two_off"):
        choices.append((two_off, comp.code("two_off")))
    same_year = (yl == yr) & ~null
    near = np.abs(yl - yr) < GENERATION_YEARS
    choices += [(same_year, comp.code("same_year")), (near, comp.code("else"))]
    return _select(n, choices, comp.code("generation"), null)


def sex_levels(settings: Settings, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    comp = settings.comparison("sex")
    null = (a == 0) | (b == 0)
    return _select(len(a), [(a == b, comp.code("same"))], comp.code("different"), null)


def postcode_levels(ft: FeatureTable, settings: Settings, left: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Address and postcode as one comparison (a shared home is one piece of evidence, not two).

    Postcodes: best level over every pairing of the recent postcodes on each side (people move).
    Address text (token-set similarity of the latest address) is compared only where the
    postcodes are near or missing.
    """
    comp = settings.comparison("postcode")
    order = [
        ("full", comp.code("full")),
        ("sector", comp.code("sector")),
        ("district", comp.code("district")),
        ("area", comp.code("area")),
    ]
    worst = comp.code("else")
    n = len(left)
    best = np.full(n, 99, dtype=np.int8)
    k = ft.pc_full.shape[1]
    tables = {name: getattr(ft, f"pc_{name}") for name, _ in order}
    # how many postcodes each side holds: most records hold one, so most pairings are skipped
    count_l = (ft.pc_full[left] >= 0).sum(axis=1)
    count_r = (ft.pc_full[r] >= 0).sum(axis=1)
    for i in range(k):
        for j in range(k):
            rows = np.flatnonzero((count_l > i) & (count_r > j))
            if len(rows) == 0:
                continue
            li, ri = left[rows], r[rows]
            level = np.full(len(rows), worst, dtype=np.int8)
            for name, code in reversed(order):
                a, b = tables[name][li, i], tables[name][ri, j]
                level[(a == b) & (a >= 0)] = code
            best[rows] = np.minimum(best[rows], level)
    no_pc = best == 99
    best[no_pc] = 0
    al, ar = ft.address[left], ft.address[r]
    has = (al != "") & (ar != "")
    # house and flat numbers must agree ('HIGH STREET' is not an address); a mistyped postcode
    # does not stop the same address text from counting
    num_l = ft.address_numbers[left]
    numbers = num_l == ft.address_numbers[r]
    near = no_pc | np.isin(best, [comp.code("full"), comp.code("sector"), comp.code("district")])
    idx = np.flatnonzero(has & numbers & ((num_l >= 0) | near))
    same = np.zeros(n, dtype=bool)
    if len(idx):
        same[idx] = _same_address_text(al[idx], ar[idx])
    out = best.copy()
    full = best == comp.code("full")
    out[same & (full | no_pc)] = comp.code("same_address")
    out[same & ~full & ~no_pc] = comp.code("address_only")
    out[no_pc & has & ~same] = worst
    if comp.has("neighbour"):
        # one postcode, two house numbers: next door, not one home (a UK unit is about 15 homes)
        both_numbered = (num_l >= 0) & (ft.address_numbers[r] >= 0)
        out[full & has & both_numbered & ~numbers & ~same] = comp.code("neighbour")
    if comp.has("moved"):
        # a different address says less when the records were seen years apart (or when is unknown)
        apart = _years_apart(ft, left, r) >= float(comp.params.get("recent_years", 2))
        out[(out == worst) & apart] = comp.code("moved")
    if comp.has("street"):
        # optional (settings): the same street and locality with another house number
        idx = np.flatnonzero(has & ~same & ~numbers)
        street = np.zeros(n, dtype=bool)
        if len(idx):
            street[idx] = _same_street_text(al[idx], ar[idx])
        out[street] = comp.code("street")
    return out


def _years_apart(ft: FeatureTable, left: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Years between when two records were seen (0 when their spans overlap, inf when unknown)."""
    fl, ll, fr, lr = ft.seen_first[left], ft.seen_last[left], ft.seen_first[r], ft.seen_last[r]
    known = (fl >= 0) & (ll >= 0) & (fr >= 0) & (lr >= 0)
    gap = np.maximum(np.maximum(fl, fr) - np.minimum(ll, lr), 0) / 365.25
    return np.where(known, gap, np.inf)


def _same_street_text(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Address texts alike once their numbers are dropped (a street and a locality: three words or more).

    Where a postcode covers a suburb rather than a street (FEBRL's Australian ones), the street
    and locality agreeing says more than the postcode; in the UK a postcode unit is one street's
    15 or so homes, so settings.yaml does not use this.
    """

    def words(x: str) -> str:
        return " ".join(w for w in x.split() if not any(ch.isdigit() for ch in w))

    wa, wb = (np.asarray([words(str(x)) for x in side], dtype=object) for side in (a, b))
    enough = np.asarray([len(x.split()) >= 3 and len(y.split()) >= 3 for x, y in zip(wa, wb, strict=True)])
    out = np.zeros(len(a), dtype=bool)
    idx = np.flatnonzero(enough)
    if len(idx):
        out[idx] = _same_without_spaces(wa[idx], wb[idx])
    return out


def _same_without_spaces(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Texts alike once spaces are dropped: a clerk's joined or split word ('MCKINLEYCIRCUIT')."""
    squeeze = np.vectorize(lambda x: x.replace(" ", ""), otypes=[object])
    score = process.cpdist(list(squeeze(a)), list(squeeze(b)), scorer=fuzz.ratio, workers=WORKERS, dtype=np.uint8)
    return score >= ADDRESS_SAME


def _same_address_text(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Address texts alike: words in any order, or the same letters with a space lost or gained.

    Token-sort similarity forgives reordered words ('FLAT 4 14 X ROAD' / '14 X ROAD FLAT 4');
    the space-free ratio forgives a clerk's joined or split word ('MCKINLEYCIRCUIT').
    """
    score = process.cpdist(list(a), list(b), scorer=fuzz.token_sort_ratio, workers=WORKERS, dtype=np.uint8)
    out = score >= ADDRESS_SAME
    rest = np.flatnonzero(~out)
    if len(rest):
        out[rest] = _same_without_spaces(a[rest], b[rest])
    return out


def code_levels(comp_name: str, settings: Settings, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact / different for identifier codes (PNC, CRO)."""
    comp = settings.comparison(comp_name)
    null = (a < 0) | (b < 0)
    return _select(len(a), [(a == b, comp.code("exact"))], comp.code("different"), null)


IDENTIFIER_MIN_LENGTH = 6  # a one-edit level on shorter codes would meet too many other people's


def _one_edit(sa: np.ndarray, sb: np.ndarray) -> np.ndarray:
    """One character substituted, dropped, added, or two adjacent ones swapped (OSA distance 1)."""
    la = np.fromiter((len(x) for x in sa), dtype=np.int32, count=len(sa))
    lb = np.fromiter((len(x) for x in sb), dtype=np.int32, count=len(sb))
    out = np.zeros(len(sa), dtype=bool)
    idx = np.flatnonzero((np.minimum(la, lb) >= IDENTIFIER_MIN_LENGTH) & (np.abs(la - lb) <= 1))
    if len(idx):
        dist = process.cpdist(
            list(sa[idx]), list(sb[idx]), scorer=OSA.distance, workers=WORKERS, dtype=np.int32, score_cutoff=1
        )
        out[idx] = dist <= 1
    return out


def set_levels(
    comp_name: str, settings: Settings, a: np.ndarray, b: np.ndarray, values: np.ndarray | None = None
) -> np.ndarray:
    """Exact if any value on one side equals any on the other (phones).

    If the comparison lists a `one_off` level and the values behind the codes are given, a
    pair with no value in common but two values one keystroke apart (see _one_edit) gets it.
    """
    comp = settings.comparison(comp_name)
    has_a, has_b = (a >= 0).any(axis=1), (b >= 0).any(axis=1)
    hit = np.zeros(len(a), dtype=bool)
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            hit |= (a[:, i] == b[:, j]) & (a[:, i] >= 0)
    choices = [(hit, comp.code("exact"))]
    if values is not None and comp.has("one_off"):
        near = np.zeros(len(a), dtype=bool)
        for i in range(a.shape[1]):
            for j in range(b.shape[1]):
                idx = np.flatnonzero(~hit & ~near & (a[:, i] >= 0) & (b[:, j] >= 0))
                if len(idx):
                    near[idx] = _unique_pairs(values, a[idx, i], b[idx, j], _one_edit)
        choices.append((near, comp.code("one_off")))
    return _select(len(a), choices, comp.code("else"), ~(has_a & has_b))


def compare(
    ft: FeatureTable, settings: Settings, left: np.ndarray, r: np.ndarray, absent: frozenset[str] = frozenset()
) -> dict[str, np.ndarray]:
    """Every non-context comparison for pairs (l[i], r[i]); context levels start null.

    ``absent``: comparisons whose value the caller knows one side of every pair lacks (a search's
    query without a date of birth, say): their level is null without comparing.

    A pair's levels depend on its two records alone (the cache of an incremental resolve rests on
    it), so from ``SPLIT_PAIRS`` pairs the two halves are compared side by side on two threads:
    most of the work is numpy's and rapidfuzz's, which run without the GIL."""
    left = np.asarray(left, dtype=np.int64)
    r = np.asarray(r, dtype=np.int64)
    if len(left) < SPLIT_PAIRS:
        return _compare(ft, settings, left, r, absent)
    half = len(left) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(
            lambda part: _compare(ft, settings, left[part], r[part], absent), (slice(0, half), slice(half, None))
        )
    return {name: np.concatenate([first[name], second[name]]) for name in first}


def _compare(
    ft: FeatureTable, settings: Settings, left: np.ndarray, r: np.ndarray, absent: frozenset[str]
) -> dict[str, np.ndarray]:
    orient = name_orientation(ft, left, r)
    fl, fr = forename_pair(ft, left, r, orient)
    levels = {
        "forename": lambda: forename_levels(ft, settings, fl, fr, ft.mn[left], ft.mn[r]),
        "middle": lambda: middle_levels(ft, settings, ft.mn[left], ft.mn[r], ft.fn[left], ft.fn[r]),
        "surname": lambda: surname_levels(ft, settings, left, r, orient),
        "dob": lambda: dob_levels(settings, ft.dob[left], ft.dob[r]),
        "sex": lambda: sex_levels(settings, ft.sex[left], ft.sex[r]),
        "postcode": lambda: postcode_levels(ft, settings, left, r),
        "phone": lambda: set_levels("phone", settings, ft.phone[left], ft.phone[r], ft.value_codes.get("phone")),
        "pnc": lambda: code_levels("pnc", settings, ft.pnc[left], ft.pnc[r]),
        "cro": lambda: code_levels("cro", settings, ft.cro[left], ft.cro[r]),
    }
    return {
        c.name: levels[c.name]() if c.name in levels and c.name not in absent else np.zeros(len(left), dtype=np.int8)
        for c in settings.comparisons
    }


def pair_tf(ft: FeatureTable, left: np.ndarray) -> dict[str, np.ndarray]:
    """Term frequency of the agreeing value (taken from the left record) for TF-adjusted fields."""
    return {name: ft.tf[name][left] for name in ("forename", "surname", "fullname", "forename_units", "dob")}
