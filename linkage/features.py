"""Derived keys for comparison and blocking: integer codes, phonetic codes, nickname canonical forms.

Every string field becomes an integer code over a vocabulary so that pair comparisons are
array operations (``codes[l] == codes[r]``) and anything costly (metaphone, nickname lookup,
Jaro-Winkler) is done once per distinct value or per distinct value pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from linkage.names import (
    equivalent_pairs,
    forename_block_key,
    forename_keys,
    phonetic,
    squash,
    surname_keys,
)
from linkage.records import MAX_ALTS, MAX_PHONES, MAX_POSTCODES, date_codes

_UK_POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][A-Z0-9]?) ([0-9])([A-Z]{2})$")


@dataclass
class FeatureTable:
    """Column arrays, one row per record, aligned with the records frame."""

    n: int
    record_key: np.ndarray
    vocab: np.ndarray  # name strings (squashed) by code
    vocab_sound: np.ndarray  # metaphone code by name code
    vocab_first: np.ndarray  # first letter (int) by name code
    vocab_last2: np.ndarray  # last two letters (int) by name code
    vocab_len: np.ndarray  # length by name code
    vocab_count: np.ndarray  # records holding the name as their forename or surname, by name code
    fn: np.ndarray
    mn: np.ndarray
    sn: np.ndarray
    sn_alts: np.ndarray  # (n, MAX_ALTS) name codes, -1 empty
    fn_sound: np.ndarray
    sn_sound: np.ndarray
    fn_key: np.ndarray  # nickname-canonical forename code (blocking)
    fn_initial: np.ndarray  # first letter as int, -1 empty
    fn_is_initial: np.ndarray
    fn_eq: np.ndarray  # sorted pair codes a*PAIR_BASE+b of nickname/transliteration-equivalent forenames
    sn_eq: np.ndarray  # same for surname transliterations
    dob: np.ndarray  # int32 YYYYMMDD, 0 missing
    sex: np.ndarray  # int8 0 missing, 1 M, 2 F
    pc_full: np.ndarray  # (n, MAX_POSTCODES) int32 codes, -1 missing
    pc_sector: np.ndarray
    pc_district: np.ndarray
    pc_area: np.ndarray
    address: np.ndarray  # object strings, '' missing
    address_numbers: np.ndarray  # code of the address's numbers ('FLAT 2 14 X ROAD' -> '2 14'), -1 none
    phone: np.ndarray  # (n, MAX_PHONES) codes into value_codes["phone"]
    pnc: np.ndarray
    cro: np.ndarray
    seen_first: np.ndarray  # int32 days since 1970 the record was first seen, -1 unknown
    seen_last: np.ndarray  # and last seen
    tf: dict[str, np.ndarray] = field(default_factory=dict)  # per-record term frequency by field
    value_codes: dict[str, np.ndarray] = field(default_factory=dict)  # code -> value, for search encoding

    def take(self, idx: np.ndarray, plus: dict | None = None) -> FeatureTable:
        """A sub-table of rows ``idx``, and ``plus`` (one row, as per-field arrays of length 1)
        after them: a search's candidates and its query, in one copy."""
        out = {}
        for name, value in self.__dict__.items():
            if isinstance(value, np.ndarray) and not name.startswith("vocab") and name not in ("fn_eq", "sn_eq"):
                out[name] = (
                    value[idx]
                    if plus is None
                    else np.concatenate([value[idx], np.asarray(plus[name], dtype=value.dtype)])
                )
            elif plus is not None and (name.startswith("vocab") or name in ("fn_eq", "sn_eq")):
                out[name] = plus.get(name, value)
            else:
                out[name] = value
        out["n"] = len(idx) + (plus is not None)
        out["tf"] = {k: v[idx] if plus is None else np.r_[v[idx], 0.0] for k, v in self.tf.items()}
        return FeatureTable(**out)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing or empty) and the distinct values (never '')."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    empty = np.flatnonzero(uniques == "")
    if len(empty):  # renumber without the empty string
        e = int(empty[0])
        remap = np.r_[np.arange(e), -1, np.arange(e, len(uniques) - 1), -1].astype(np.int32)
        codes = remap[codes]
        uniques = np.delete(uniques, e)
    return codes.astype(np.int32), uniques


def _split_codes(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """'|'-joined values -> (n, k) codes over the distinct parts, and the distinct parts.

    Most values hold one part: only those with a separator are split in Python.
    """
    codes, uniques = _codes(values)
    text = uniques.astype(str) if len(uniques) else np.zeros(0, dtype=str)
    multi = np.flatnonzero(np.char.find(text, "|") >= 0) if len(text) else np.zeros(0, dtype=np.int64)
    rows = [np.arange(len(uniques))]
    cols = [np.zeros(len(uniques), dtype=np.int64)]
    vals = [uniques.copy()]
    if len(multi):
        split = [str(uniques[i]).split("|")[:k] for i in multi]
        vals[0][multi] = [p[0] for p in split]
        extra = [
            (i, j, part) for i, ps in zip(multi, split, strict=True) for j, part in enumerate(ps) if j > 0
        ]
        if extra:
            rows.append(np.asarray([e[0] for e in extra]))
            cols.append(np.asarray([e[1] for e in extra]))
            vals.append(np.asarray([e[2] for e in extra], dtype=object))
    part_codes, part_values = _codes(np.concatenate(vals))
    table = np.full((len(uniques) + 1, k), -1, dtype=np.int32)
    table[np.concatenate(rows), np.concatenate(cols)] = part_codes
    return table[codes], part_values


def _postcode_split(pc: str) -> tuple[str, str, str]:
    """(sector, district, area) of a normalised UK postcode.

    Another country's postcode (or a garbled one) has no sector or area and is its own
    district, so blocking rules on the district still place it ('2315' in Australia).
    """
    outward, _, inward = pc.partition(" ")
    if not inward or len(inward) != 3 or not inward[0].isdigit() or not 2 <= len(outward) <= 4:
        return "", pc, ""
    area = outward[:2] if len(outward) > 1 and outward[1].isalpha() else outward[:1]
    if not area.isalpha() or not outward[len(area)].isdigit():
        return "", pc, ""
    return f"{outward} {inward[0]}", outward, area


def postcode_parts(values: np.ndarray) -> dict[str, np.ndarray]:
    """Sector ('DH1 9'), district ('DH1') and area ('DH') of UK postcodes; '' where not one."""
    parts = [_postcode_split(str(v)) if isinstance(v, str) else ("", "", "") for v in values]
    out = {}
    for j, name in enumerate(("sector", "district", "area")):
        out[name] = np.asarray([p[j] for p in parts], dtype=object)
    return out


def build_features(records: pd.DataFrame) -> FeatureTable:
    """Encode a records frame (linkage.records.build_records) as comparison-ready arrays."""
    n = len(records)
    cols = {}
    for name in ("fn", "mn", "sn"):
        codes, uniques = _codes(records[name].to_numpy(dtype=object))
        cols[name] = (codes, np.asarray([squash(str(u)) for u in uniques], dtype=object))
    alt_codes, alt_values = _split_codes(records["sn_alts"].to_numpy(dtype=object), MAX_ALTS)
    vocab_list = sorted({*cols["fn"][1], *cols["mn"][1], *cols["sn"][1], *alt_values} - {""})
    index = {v: i for i, v in enumerate(vocab_list)}

    def to_vocab(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
        lookup = np.asarray([index.get(v, -1) for v in values] + [-1], dtype=np.int32)
        return lookup[codes]

    fn, mn, sn = (to_vocab(*cols[c]) for c in ("fn", "mn", "sn"))
    alts = to_vocab(alt_codes, np.asarray([squash(str(v)) for v in alt_values], dtype=object))

    sounds = np.array([phonetic(v) for v in vocab_list] + [""], dtype=object)
    sound_codes, sound_values = _codes(sounds)
    fn_sound = np.where(fn >= 0, sound_codes[fn], -1).astype(np.int32)
    sn_sound = np.where(sn >= 0, sound_codes[sn], -1).astype(np.int32)
    block_keys = np.array([forename_block_key(v) for v in vocab_list] + [""], dtype=object)
    bk_codes, _ = _codes(block_keys)
    fn_key = np.where(fn >= 0, bk_codes[fn], -1).astype(np.int32)
    first = np.array([ord(v[0]) if v else -1 for v in vocab_list] + [-1], dtype=np.int32)
    lens = np.array([len(v) for v in vocab_list] + [0], dtype=np.int32)
    fn_initial = first[fn]
    fn_is_initial = (lens[fn] == 1) & (fn >= 0)

    dob_int = dob_codes(records).astype(np.int32)
    sex = records["sex"].map({"M": 1, "F": 2}).fillna(0).astype(np.int8).to_numpy()

    pc_codes, pc_values = _split_codes(records["postcodes"].to_numpy(dtype=object), MAX_POSTCODES)
    pc = {"full": pc_codes}
    value_codes = {"pc_full": pc_values}
    for name, part in postcode_parts(pc_values).items():
        part_codes, part_values = _codes(part)
        pc[name] = np.r_[part_codes, -1].astype(np.int32)[pc_codes]
        value_codes[f"pc_{name}"] = part_values
    phone, phone_values = _split_codes(records["phones"].to_numpy(dtype=object), MAX_PHONES)
    value_codes["phone"] = phone_values
    pnc, _ = _codes(records["pnc"].to_numpy(dtype=object))
    cro, _ = _codes(records["cro"].to_numpy(dtype=object))
    numbers = (
        records["address_numbers"].to_numpy(dtype=object)
        if "address_numbers" in records
        else np.full(n, "", dtype=object)
    )

    return FeatureTable(
        n=n,
        record_key=records["record_key"].astype(str).to_numpy(dtype=object),
        vocab=np.asarray(vocab_list, dtype=object),
        vocab_sound=sound_codes[:-1].astype(np.int32),
        vocab_first=first[:-1],
        vocab_last2=np.array([name_tail(v) for v in vocab_list], dtype=np.int32),
        vocab_len=lens[:-1],
        vocab_count=np.bincount(np.r_[fn[fn >= 0], sn[sn >= 0]], minlength=len(vocab_list)).astype(np.int64),
        fn=fn,
        mn=mn,
        sn=sn,
        sn_alts=alts,
        fn_sound=fn_sound,
        sn_sound=sn_sound,
        fn_key=fn_key,
        fn_initial=fn_initial,
        fn_is_initial=fn_is_initial,
        fn_eq=equivalent_pairs(vocab_list, forename_keys),
        sn_eq=equivalent_pairs(vocab_list, surname_keys),
        dob=dob_int,
        sex=sex,
        pc_full=pc["full"],
        pc_sector=pc["sector"],
        pc_district=pc["district"],
        pc_area=pc["area"],
        address=records["address"].fillna("").to_numpy(dtype=object),
        address_numbers=_codes(numbers)[0],
        phone=phone,
        pnc=pnc,
        cro=cro,
        seen_first=_days(records, "first_seen"),
        seen_last=_days(records, "last_seen"),
        value_codes={**value_codes, "sound": sound_values},
    )


def name_tail(name: str) -> int:
    """The last two letters of a name as one integer (a hint that two spellings may be one name)."""
    return ord(name[-1]) * 256 + (ord(name[-2]) if len(name) > 1 else 0) if name else -1


def _days(records: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as int32 days since 1970 (-1: unknown)."""
    if column not in records:
        return np.full(len(records), -1, dtype=np.int32)
    days = pd.to_datetime(records[column], errors="coerce").to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(days), -1, days.astype(np.int64)).astype(np.int32)


def dob_codes(records: pd.DataFrame) -> np.ndarray:
    """Each record's date of birth as YYYYMMDD digits, as written where it is no calendar date (0: none)."""
    if "dob_code" in records:
        return records["dob_code"].fillna(0).to_numpy(dtype=np.int64)
    return date_codes(pd.to_datetime(records["dob"], errors="coerce").to_numpy())


def _shown_date(code: int) -> str:
    if not code:
        return ""
    text = f"{code // 10000:04d}-{code // 100 % 100:02d}-{code % 100:02d}"
    return text if not pd.isna(pd.to_datetime(text, errors="coerce")) else f"{text} (as written: no such date)"


def display_values(records: pd.DataFrame) -> dict[str, np.ndarray]:
    """The values behind each comparison, as a person reads them (for explanations)."""
    return {
        "fn": records["fn"].fillna("").astype(str).to_numpy(),
        "mn": records["mn"].fillna("").astype(str).to_numpy(),
        "sn": records["sn"].fillna("").astype(str).to_numpy(),
        "dob": np.asarray([_shown_date(int(c)) for c in dob_codes(records)], dtype=object),
        "sex": records["sex"].fillna("").astype(str).to_numpy(),
        "postcode": (
            records["postcodes"].fillna("").astype(str) + " / " + records["address"].fillna("").astype(str)
        )
        .str.strip(" /")
        .to_numpy(),
        "phone": records["phones"].fillna("").astype(str).to_numpy(),
        "pnc": records["pnc"].fillna("").astype(str).to_numpy(),
        "cro": records["cro"].fillna("").astype(str).to_numpy(),
    }


def _tf_values(records: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """The values whose frequencies adjust weights: forename, surname, full name, dob."""
    fn = pd.Series(_squash_all(records["fn"].to_numpy(dtype=object)), index=records.index)
    sn = pd.Series(_squash_all(records["sn"].to_numpy(dtype=object)), index=records.index)
    full = (fn + "|" + sn).where((fn != "") & (sn != ""), "")
    code = dob_codes(records)
    dob = pd.Series(code.astype(str), index=records.index).where(code > 0, None)
    return [("forename", fn), ("surname", sn), ("fullname", full), ("dob", dob), ("forename_units", fn)]


def _squash_all(values: np.ndarray) -> np.ndarray:
    codes, uniques = _codes(values)
    return np.asarray([squash(str(u)) for u in uniques] + [""], dtype=object)[codes]


TOTALS = "__total__"


def term_frequencies(records: pd.DataFrame) -> dict[str, pd.Series]:
    """How many records hold each forename, surname and dob (for TF adjustment), with totals.

    The full name (and the forename, to condition on) is counted over distinct (forename,
    surname, date of birth) combinations rather than records, so that one person with many
    records does not make his own name look common. Each table's total is under TOTALS.
    """
    out = {}
    values = dict(_tf_values(records))
    for name in ("forename", "surname", "dob"):
        s = values[name]
        out[name] = _counts(s[s.notna() & (s != "")])
    units = pd.DataFrame(
        {"fn": values["forename"], "full": values["fullname"], "dob": values["dob"].fillna("")}
    )
    units = units[units["full"] != ""].drop_duplicates()
    # an undated record is not another person when the same name is known with a date of birth
    dated = set(units.loc[units["dob"] != "", "full"])
    units = units[(units["dob"] != "") | ~units["full"].isin(dated)]
    out["fullname"] = _counts(units["full"])
    out["forename_units"] = _counts(units["fn"])
    return out


def _counts(values: pd.Series) -> pd.Series:
    """value -> count, plus the total under TOTALS."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    return pd.Series(np.r_[counts, counts.sum()], index=pd.Index([*uniques, TOTALS], dtype=object))


def attach_tf(
    features: FeatureTable, records: pd.DataFrame, tf: dict[str, pd.Series], u_exact: dict[str, float]
) -> None:
    """Per-record term frequency of its forename, surname and dob, and its full-name counts.

    A value held by c of N records has frequency c / (N + 1/u), u being the exact level's chance
    among random pairs: the estimate leans on u when the data are few (a date of birth seen
    twice among 400 records is not a 1-in-200 date) and on the counts when they are many.
    For the full name, the counts of *other* (forename, surname, dob) units with that name and
    of units with that forename are kept, for the conditional surname frequency.
    """
    for name, values in _tf_values(records):
        table = tf.get(name)
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        if table is None or len(table) == 0:
            counts = np.zeros(len(uniques))
            total = 0.0
        else:
            counts = table.reindex(pd.Index(uniques, dtype=object)).fillna(0.0).to_numpy(dtype=np.float64)
            total = float(table.get(TOTALS, 0.0))
        counts = np.r_[counts, 0.0][codes]
        if name in u_exact:
            features.tf[name] = np.maximum(counts, 1.0) / (total + 1.0 / max(u_exact[name], 1e-12))
        elif name == "fullname":
            features.tf[name] = np.maximum(counts - 1.0, 0.0)  # other people with this full name
        else:
            features.tf[name] = counts
