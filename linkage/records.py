"""Staging person mentions -> one row per record_key with the features linkage compares.

A record key (a force nominal, a court respondent) can be mentioned many times (one row per
occurrence in a flat extract). Linkage compares records, not mentions: the latest name, every
name and surname variant (aliases, married names, earlier spellings), the most frequent date
of birth, up to three recent postcodes, phones and identifiers.

Everything here is array work over integer codes (record keys and values factorised once);
string functions run once per distinct value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pac
from anyascii import anyascii

from linkage.arrays import first_index
from linkage.names import first_and_middle, fold, parse_full_name, squash

_SEPARATOR = re.compile(r"[- ]")
_INWARD = re.compile(r"^[0-9][A-Z]{2}$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
MAX_POSTCODES = 3
MAX_PHONES = 2
MAX_ALTS = 3

# Columns that decide a record's comparisons: a change in any of them makes it "changed".
FEATURE_COLUMNS = [
    "fn",
    "mn",
    "sn",
    "sn_alts",
    "dob_code",
    "sex",
    "postcodes",
    "address",
    "phones",
    "pnc",
    "cro",
    "first_seen",
    "last_seen",
]
# The staging person_records columns linkage reads (records and golden records); the rest
# (raw forms, provenance) are not read, which keeps a million-row read short.
MENTION_COLUMNS = [
    "record_key",
    "source_system",
    "force_code",
    "name_raw",
    "surname",
    "forenames",
    "surname_norm",
    "forename_norm",
    "middle_norm",
    "aliases",
    "dob",
    "dob_raw",
    "sex",
    "address_raw",
    "postcode",
    "postcode_raw",
    "pnc",
    "cro",
    "phone",
    "seen_on",
    "confidential_address",
]
RECORD_COLUMNS = [
    "record_key",
    "n_mentions",
    "fn",
    "mn",
    "sn",
    "sex",
    "pnc",
    "cro",
    "source_system",
    "force_code",
    "surname_disp",
    "forenames_disp",
    "address",
    "address_numbers",
    "first_seen",
    "last_seen",
    "dob",
    "dob_code",
    "postcodes",
    "phones",
    "sn_alts",
    "is_court",
    "feature_hash",
]


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _map_unique(values: np.ndarray, func, blank: object = "") -> np.ndarray:
    """Apply a per-string function once per distinct value (vocabulary-sized work)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(v) for v in uniques]
    mapped[-1] = blank
    return mapped[codes]


def _blank(values: np.ndarray) -> np.ndarray:
    """True where a value is missing or empty."""
    return pd.isna(values) | (values == "")


_NON_ALNUM = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r"})


def fold_address(value: object) -> tuple[str, str]:
    """(address words without the postcode, upper ASCII; its house/flat numbers)."""
    if value is None or (isinstance(value, float) and value != value):
        return "", ""
    text = str(value)
    if not text.isascii():
        text = anyascii(text)
    words = text.upper().translate(_NON_ALNUM).split()
    if words == ["CONFIDENTIAL"]:
        return "", ""
    # a trailing postcode ('..., SR6 5JZ') is compared as a postcode, not as address words
    if len(words) >= 2 and _INWARD.match(words[-1]) and _OUTWARD.match(words[-2]):
        words = words[:-2]
    numbers = [w for w in words if w[0].isdigit()]
    return " ".join(words), " ".join(numbers)


_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def _postcode(value: object) -> object:
    text = _NOT_ALNUM.sub("", str(value).upper())
    if not text:
        return None
    if 5 <= len(text) <= 7 and text[-3].isdigit() and text[-2:].isalpha():
        return text[:-3] + " " + text[-3:]
    return text  # not a UK postcode (another country's, or garbled): compared as it stands


def normalise_postcode(values: np.ndarray) -> np.ndarray:
    """Upper case with one space before the inward code ('dh19by' -> 'DH1 9BY'); None if not one."""
    return _map_unique(values, _postcode, blank=None)


def _last_per_group(group: np.ndarray, rows: np.ndarray, n_groups: int) -> np.ndarray:
    """For rows sorted by group (and by time within a group), the last row index per group (-1: none)."""
    out = np.full(n_groups, -1, dtype=np.int64)
    out[group[rows]] = rows  # later rows overwrite earlier ones
    return out


def _top_distinct(group: np.ndarray, values: np.ndarray, k: int, n_groups: int) -> list[np.ndarray]:
    """Up to k distinct non-blank values per group, most recent first.

    ``group``/``values`` are in latest-first order with groups contiguous.
    """
    out = [np.full(n_groups, "", dtype=object) for _ in range(k)]
    keep = ~_blank(values)
    if not keep.any():
        return out
    g, v = group[keep], values[keep]
    vcodes, _ = pd.factorize(v)
    combo = g.astype(np.int64) * np.int64(len(vcodes) + 1) + vcodes
    first = first_index(combo)
    g, v = g[first], v[first]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(g)])
    rank = np.arange(len(g)) - np.repeat(starts, sizes)
    for j in range(k):
        sel = rank == j
        out[j][g[sel]] = v[sel]
    return out


def join_columns(cols: list[np.ndarray]) -> np.ndarray:
    """'|'-join per row; columns fill in order (a value in column j means one in column j-1)."""
    result = cols[0].copy()
    for c in cols[1:]:
        has = c != ""
        if has.any():
            result[has] = result[has] + "|" + c[has]
    return result


def record_index(mentions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(record position of each mention, the record keys in order): the rows of ``build_records``.

    Records are in record-key order (code point order, as Python compares text; sorted by pyarrow).
    """
    keys = mentions["record_key"].astype(str).to_numpy()
    codes, uniq_keys = pd.factorize(keys)
    perm = pac.sort_indices(pa.array(np.asarray(uniq_keys, dtype=object), type=pa.string())).to_numpy()
    rank = np.empty(len(perm), dtype=np.int64)
    rank[perm] = np.arange(len(perm))
    return rank[codes], np.asarray(uniq_keys, dtype=object)[perm]


def build_records(mentions: pd.DataFrame) -> pd.DataFrame:
    """Collapse person mentions (staging person_records) into one feature row per record key."""
    if mentions.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RECORD_COLUMNS})
    rec, uniq_keys = record_index(mentions)
    n = len(uniq_keys)
    seen = (
        pd.to_datetime(mentions["seen_on"], errors="coerce").to_numpy().astype("datetime64[ns]")
        if "seen_on" in mentions
        else np.full(len(mentions), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    seen_i = seen.view("int64").copy()
    order = np.lexsort((np.arange(len(rec)), seen_i, rec))  # by record, then oldest (undated) first
    r_sorted = rec[order]

    def sorted_col(name: str) -> np.ndarray:
        return _col(mentions, name)[order]

    # names: prefer the loader's folded forms, fall back to folding the display forms
    # names: the loader's folded forms (upper ASCII already), else fold the display forms
    sn_norm = sorted_col("surname_norm")
    no_sn = _blank(sn_norm)
    sn = np.where(no_sn, "", sn_norm).astype(object)
    if no_sn.any():
        sn[no_sn] = _map_unique(sorted_col("surname")[no_sn], fold)
    fore = sorted_col("forenames")
    fn_norm, mid_norm = sorted_col("forename_norm"), sorted_col("middle_norm")
    no_fn = _blank(fn_norm)
    fn = np.where(no_fn, "", np.where(pd.isna(fn_norm), "", fn_norm)).astype(object)
    mn = np.where(pd.isna(mid_norm), "", mid_norm).astype(object)
    if no_fn.any():
        split = _map_unique(fore[no_fn], first_and_middle, blank=("", ""))
        fn[no_fn] = [p[0] for p in split]
        mn[no_fn] = [p[1] for p in split]
    raw = sorted_col("name_raw")
    missing = (sn == "") & (fn == "") & ~_blank(raw)
    if missing.any():
        parsed = [parse_full_name(v) for v in raw[missing]]
        fn[missing] = [first_and_middle(p[0])[0] for p in parsed]
        mn[missing] = [first_and_middle(p[0])[1] for p in parsed]
        sn[missing] = [p[1] for p in parsed]
    mn = _map_unique(mn, lambda v: v.split(" ")[0] if v else "")

    out: dict[str, np.ndarray] = {"record_key": uniq_keys.astype(object)}
    out["n_mentions"] = np.bincount(rec, minlength=n)
    all_rows = np.arange(len(order))

    def latest(values: np.ndarray, blank_ok: bool = False) -> np.ndarray:
        rows = all_rows if blank_ok else all_rows[~_blank(values)]
        last = _last_per_group(r_sorted, rows, n)
        res = np.where(last >= 0, values[np.maximum(last, 0)], None)
        return res

    for name, values in (("fn", fn), ("mn", mn), ("sn", sn)):
        value = latest(values)
        out[name] = np.where(pd.isna(value), "", value).astype(object)
    sex = _map_unique(
        sorted_col("sex"),
        lambda v: str(v).upper()[:1] if str(v).upper()[:1] in ("M", "F") else None,
        blank=None,
    )
    out["sex"] = latest(sex)
    for name in ("pnc", "cro", "source_system", "force_code"):
        out[name] = latest(sorted_col(name))
    out["surname_disp"] = latest(sorted_col("surname"))
    out["forenames_disp"] = latest(sorted_col("forenames"))
    conf = sorted_col("confidential_address")
    conf = np.where(pd.isna(conf), False, conf).astype(bool)
    addr_raw = np.where(conf, None, sorted_col("address_raw"))
    codes, uniques = pd.factorize(addr_raw, use_na_sentinel=True)
    folded = [fold_address(v) for v in uniques] + [("", "")]  # the last: missing (code -1)
    addr = np.array([f[0] for f in folded], dtype=object)[codes]
    nums = np.array([f[1] for f in folded], dtype=object)[codes]
    last = _last_per_group(r_sorted, all_rows[addr != ""], n)
    out["address"] = np.where(last >= 0, addr[np.maximum(last, 0)], "")
    out["address_numbers"] = np.where(last >= 0, nums[np.maximum(last, 0)], "")
    seen_sorted = seen[order]
    dated = all_rows[~np.isnat(seen_sorted)]
    first_row = np.full(n, -1, dtype=np.int64)
    first_row[r_sorted[dated[::-1]]] = dated[::-1]
    last_row = _last_per_group(r_sorted, dated, n)
    out["first_seen"] = np.where(first_row >= 0, seen_sorted[np.maximum(first_row, 0)], np.datetime64("NaT"))
    out["last_seen"] = np.where(last_row >= 0, seen_sorted[np.maximum(last_row, 0)], np.datetime64("NaT"))
    dob = (
        pd.to_datetime(mentions["dob"], errors="coerce").to_numpy().astype("datetime64[ns]")[order]
        if "dob" in mentions
        else np.full(len(order), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    out["dob"] = _mode_date(r_sorted, dob, n)
    # the date as written, where it is no calendar date (1974-15-11: a typo linkage can still read)
    code = date_codes(dob)
    raw = sorted_col("dob_raw")
    unread = (code == 0) & ~_blank(raw)
    if unread.any():
        code[unread] = _map_unique(raw[unread], written_date_code, blank=0).astype(np.int64)
    out["dob_code"] = _mode_code(r_sorted, code, n)

    # latest-first views for "recent distinct" values
    rev = slice(None, None, -1)
    g_rev = r_sorted[rev]
    # staging holds normalised postcodes; only a raw one without a normalised form needs work
    pc = sorted_col("postcode")
    no_pc = _blank(pc)
    pc = np.where(no_pc, None, pc).astype(object)
    if no_pc.any():
        pc[no_pc] = normalise_postcode(sorted_col("postcode_raw")[no_pc])
    pc[conf] = None
    pcs = _top_distinct(g_rev, np.where(pd.isna(pc), "", pc)[rev].astype(object), MAX_POSTCODES, n)
    phones = _top_distinct(g_rev, sorted_col("phone")[rev], MAX_PHONES, n)
    out["postcodes"] = join_columns(pcs)
    out["phones"] = join_columns(phones)
    primary = _map_unique(out["sn"], squash)
    out["sn_alts"] = _alternatives(r_sorted, sn, sorted_col("aliases"), primary, n)
    out["is_court"] = (
        pd.Series(out["source_system"]).astype(str).str.lower().eq("court") | pd.isna(out["force_code"])
    ).to_numpy()
    out["dob"] = pd.to_datetime(out["dob"])
    # copy=False: columns stay separate arrays (no stacking of a million-row object block)
    frame = pd.DataFrame({c: out[c] for c in RECORD_COLUMNS if c != "feature_hash"}, copy=False)
    frame["feature_hash"] = record_hash(frame)
    return frame


def _mode_date(group: np.ndarray, dob: np.ndarray, n: int) -> np.ndarray:
    """Most frequent date of birth per record (ties: the latest mention's)."""
    ok = ~np.isnat(dob)
    codes = np.where(ok, dob.view("int64"), np.iinfo(np.int64).min)
    best = _mode_code(group, codes, n, missing=np.iinfo(np.int64).min)
    return best.view("datetime64[ns]")


def _mode_code(group: np.ndarray, codes: np.ndarray, n: int, missing: int = 0) -> np.ndarray:
    """Most frequent code per group (ties: the latest row's); ``missing`` where a group has none."""
    out = np.full(n, missing, dtype=np.int64)
    rows = np.flatnonzero(codes != missing)
    if not len(rows):
        return out
    combo = pd.DataFrame({"g": group[rows], "d": codes[rows], "pos": rows})
    stats = combo.groupby(["g", "d"], sort=False)["pos"].agg(["size", "max"]).reset_index()
    stats = stats.sort_values(["g", "size", "max"], ascending=[True, False, False])
    best = stats.drop_duplicates("g")
    out[best["g"].to_numpy()] = best["d"].to_numpy()
    return out


def date_codes(dates: np.ndarray) -> np.ndarray:
    """Dates as integers YYYYMMDD (0 where missing): the form dates of birth are compared in."""
    d = pd.DatetimeIndex(dates)
    code = (d.year * 10000 + d.month * 100 + d.day).to_numpy(dtype=np.float64)
    return np.nan_to_num(code, nan=0.0).astype(np.int64)


_DIGIT_RUNS = re.compile(r"\d+")


def written_date_code(text: object) -> int:
    """A date of birth as written, as YYYYMMDD digits even when it is no calendar date (0: unreadable).

    Year first ('1974-15-11') reads year, month, day; year last ('11/15/1974', as UK extracts
    write dates) reads day, month, year; eight digits alone read as YYYYMMDD when they start
    with 19 or 20, else DDMMYYYY. A two-digit year is not guessed. The comparison then sees
    '1974-15-11' as one keystroke (or a day-month swap) from 1974-11-15.
    """
    runs = _DIGIT_RUNS.findall(str(text))
    if len(runs) == 1 and len(runs[0]) == 8:
        d = runs[0]
        runs = [d[:4], d[4:6], d[6:]] if d[:2] in ("19", "20") else [d[:2], d[2:4], d[4:]]
    if len(runs) < 3:
        return 0
    a, b, c = runs[:3]  # a time after the date ('16/02/1988 00:00') is ignored
    if len(a) == 4:
        year, month, day = a, b, c
    elif len(c) == 4:
        day, month, year = a, b, c
    else:
        return 0
    if len(month) > 2 or len(day) > 2:
        return 0
    return int(year) * 10000 + int(month) * 100 + int(day)


def _alternatives(group: np.ndarray, sn: np.ndarray, aliases: np.ndarray, primary: np.ndarray, n: int) -> np.ndarray:
    """Other surnames a record is known by: earlier mentions, aliases, parts of a double-barrelled name."""
    sn_sq = _map_unique(sn, squash)
    split = _map_unique(sn, lambda v: bool(_SEPARATOR.search(v or "")), blank=False).astype(bool)
    keep = (sn_sq != primary[group]) | split
    g_parts, s_parts = [group[keep]], [sn[keep]]
    has_alias = ~_blank(aliases)
    if has_alias.any():
        ag, names = [], []
        for i in np.flatnonzero(has_alias):
            for alias in str(aliases[i]).split(";"):
                if alias.strip():
                    ag.append(group[i])
                    names.append(alias.strip())
        g_parts.append(np.asarray(ag, dtype=np.int64))
        s_parts.append(_map_unique(np.asarray(names, dtype=object), lambda v: parse_full_name(v)[1]))
    g_all = np.concatenate(g_parts)
    s_all = np.concatenate(s_parts).astype(object)
    # hyphenated or double-barrelled surnames: each part is a name the person may use
    extra_g, extra_s = [], []
    for i in np.flatnonzero(_map_unique(s_all, lambda v: bool(_SEPARATOR.search(v or "")), blank=False)):
        for part in _SEPARATOR.split(s_all[i]):
            if len(part) > 1:
                extra_g.append(g_all[i])
                extra_s.append(part)
    if extra_g:
        g_all = np.r_[g_all, np.asarray(extra_g, dtype=np.int64)]
        s_all = np.r_[s_all, np.asarray(extra_s, dtype=object)]
    s_all = _map_unique(s_all, squash)
    other = (s_all != primary[g_all]) & (s_all != "")  # the record's own latest surname is not an alternative
    g_all, s_all = g_all[other], s_all[other]
    o = np.lexsort((-np.arange(len(g_all)), g_all))  # by record, later rows first
    return join_columns(_top_distinct(g_all[o], s_all[o], MAX_ALTS, n))


def record_hash(records: pd.DataFrame) -> np.ndarray:
    """Content hash of the compared features: tells incremental runs which records changed."""
    h = np.zeros(len(records), dtype=np.uint64)
    for col in FEATURE_COLUMNS:
        values = records[col]
        if values.dtype.kind == "M":
            arr = values.to_numpy().view("int64").astype(np.uint64)
        else:
            arr = pd.util.hash_array(values.to_numpy(dtype=object), categorize=True)
        h = h * np.uint64(1_000_003) ^ arr
    return h
