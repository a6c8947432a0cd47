"""Single-record search: 'who is this partner?' from a name, an optional dob or age, an optional place.

The index is built once per resolve output, kept in memory, and saved under linkage/search/
keyed by the stamp of the resolve outputs it was built from (so it is never stale): a new
process (the CLI, an API worker) loads it instead of rebuilding it. It holds sorted hashed
keys over every person record: surname sound with forename (nickname canonical), the
unordered pair of name sounds (swapped fields), surname alternatives (married names) and
date of birth. A query looks its keys up with ``searchsorted``, compares itself with
the candidate records using the same comparisons and model weights as resolution, and returns
entities ranked by their best record, with the per-field explanation.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from linkage import store
from linkage.compare import compare, pair_tf
from linkage.dates import real_neighbours
from linkage.explain import match_keys
from linkage.features import attach_tf, build_features, name_tail, postcode_parts
from linkage.model import Model, field_weights, level_weights, probability, u_exact
from linkage.names import (
    PAIR_BASE,
    first_and_middle,
    forename_block_key,
    forename_keys,
    parse_full_name,
    phonetic,
    squash,
)
from linkage.records import normalise_postcode
from linkage.settings import Settings, load_settings
from linkage.store import LinkageStore

MAX_CANDIDATES = 3000
INDEX_COLUMNS = [
    "record_key",
    "fn",
    "mn",
    "sn",
    "sn_alts",
    "dob",
    "dob_code",
    "sex",
    "postcodes",
    "address",
    "address_numbers",
    "phones",
    "pnc",
    "cro",
    "force_code",
    "is_court",
]
# What a search compares against a record held by a force outside the caller's scope: the name it
# was asked for, nothing else. The date of birth, middle name, postcode, place or age asked would
# otherwise be an oracle for that force's record (ask again with another date and watch the match
# key move); the caller learns that a namesake exists and who holds it, so they know whom to ask.
NAME_ONLY = frozenset({"forename", "surname"})
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_CACHE: dict[tuple[Path, str], SearchIndex] = {}  # (data_dir, stamp of its outputs) -> index
_LOCK = threading.Lock()
# data_dir -> (read at, store writes then, stamp): the stamp is a handful of stat calls, so it is
# reused for STAMP_TTL seconds unless this process wrote outputs since
_STAMPS: dict[Path, tuple[float, int, str]] = {}
STAMP_TTL = 1.0


def _hash(values: np.ndarray) -> np.ndarray:
    """Stable 64-bit hash of strings (the same in every process)."""
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=True).astype(np.int64)


@functools.lru_cache(maxsize=65536)
def _query_keys(fn: str, sn: str) -> tuple[int, int, int]:
    """One query's hashed keys (fn_sn, either, sn), equal to ``_key_values`` + ``_hash`` of the
    index for the same names, computed without building arrays per key: this runs per search."""
    fk, fs, ss = forename_block_key(squash(fn)), phonetic(squash(fn)), phonetic(squash(sn))
    either = f"{fs}~{ss}" if fs < ss else f"{ss}~{fs}"
    h = pd.util.hash_array(np.array([f"{fk}|{ss}", either, ss], dtype=object), categorize=False)
    fn_sn, eith, sur = (int(x) for x in h.astype(np.int64))
    return fn_sn, eith, sur


def _per_distinct(values: np.ndarray, func) -> np.ndarray:
    """func(str(value)) once per distinct value (a million records hold a few thousand names)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return np.asarray([func(str(v)) for v in uniques], dtype=object)[codes]


def _key_values(fn: np.ndarray, sn: np.ndarray) -> dict[str, np.ndarray]:
    """The string keys a record (or a query) is indexed under."""
    fk = _per_distinct(fn, lambda v: forename_block_key(squash(v)))
    fs = _per_distinct(fn, lambda v: phonetic(squash(v)))
    ss = _per_distinct(sn, lambda v: phonetic(squash(v)))
    either = np.where(fs < ss, fs + "~" + ss, ss + "~" + fs)
    return {"fn_sn": fk + "|" + ss, "either": either, "sn": ss}


@dataclass
class _Keys:
    keys: np.ndarray  # sorted int64
    rows: np.ndarray  # record position per key

    def lookup(self, key: int, cap: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.keys, key, "left"), np.searchsorted(self.keys, key, "right")
        return self.rows[lo : min(hi, lo + cap)]

    def count(self, key: int) -> int:
        return int(np.searchsorted(self.keys, key, "right") - np.searchsorted(self.keys, key, "left"))


def _sorted_int_keys(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = keys > 0
    k, r = keys[ok], rows[ok]
    order = np.argsort(k, kind="stable")
    return k[order], r[order].astype(np.int64)


def _make_keys(values: np.ndarray, rows: np.ndarray) -> _Keys:
    ok = pd.notna(values) & (values != "")
    h = _hash(values[ok])
    r = rows[ok]
    order = np.argsort(h, kind="stable")
    return _Keys(h[order], r[order].astype(np.int64))


class SearchIndex:
    """Everything a query needs, loaded once: record features, person ids, model, key arrays."""

    def __init__(self, data_dir: Path, settings: Settings):
        outputs = LinkageStore(data_dir)
        records = outputs.records(columns=INDEX_COLUMNS)
        entities = outputs.entities()
        model_json = outputs.model()
        if records is None or model_json is None or entities.empty:
            raise FileNotFoundError("no linkage outputs: run resolve first")
        # a workforce record links its person but is never found by a search: membership is
        # restricted (api.policy.wall); the person is found by their other records
        from staging.store import StagingStore

        staff = StagingStore(data_dir).read("workforce", columns=["record_key"])["record_key"]
        if len(staff):
            records = records[~records["record_key"].isin(set(staff))].reset_index(drop=True)
        self.settings = settings
        self.model = Model.from_json(model_json)
        # records of one name block side by side: a query's candidates are then read from a few
        # runs of memory rather than one cache miss per record per feature column
        kv = _key_values(records["fn"].to_numpy(dtype=object), records["sn"].to_numpy(dtype=object))
        order = np.argsort(_hash(kv["fn_sn"]), kind="stable")
        self.records = records.iloc[order].reset_index(drop=True)
        kv = {name: v[order] for name, v in kv.items()}
        pid = entities.set_index("record_key")["person_id"]
        self.person_id = pid.reindex(self.records["record_key"]).to_numpy(dtype=object)
        golden = outputs.golden(columns=["person_id", "preferred_name", "dob"])
        self.golden_name = dict(zip(golden["person_id"], golden["preferred_name"], strict=True))
        self.golden_dob = {
            p: (None if pd.isna(d) else str(d)) for p, d in zip(golden["person_id"], golden["dob"], strict=True)
        }
        tf = outputs.term_frequencies()
        # the comparison features of every record, built once; a query is one extra row
        self.ft = build_features(self.records)
        attach_tf(self.ft, self.records, tf, u_exact(self.model, settings))
        self.name_code = {v: i for i, v in enumerate(self.ft.vocab)}
        self.sound_code = {v: i for i, v in enumerate(self.ft.value_codes["sound"])}
        self.value_code = {
            k: {v: i for i, v in enumerate(vals)} for k, vals in self.ft.value_codes.items() if k.startswith("pc_")
        }
        self.fn_key_codes: dict[str, list[int]] = {}
        for code, name in enumerate(self.ft.vocab):
            for key in forename_keys(name):
                self.fn_key_codes.setdefault(key, []).append(code)
        n = len(self.records)
        rows = np.arange(n)
        self.keys = {name: _make_keys(v, rows) for name, v in kv.items()}
        # married and alias surnames: index each alternative's sound too
        alts = self.records["sn_alts"].fillna("").astype(str).str.split("|").explode()
        alts = alts[alts != ""]
        alt_sound = _per_distinct(alts.to_numpy(dtype=object), phonetic)
        self.keys["alt"] = _make_keys(alt_sound, alts.index.to_numpy())
        dob = self.ft.dob
        self.birth_year = (dob // 10000).astype(np.int32)
        # a date no one could be born on is indexed under the real dates one keystroke away too:
        # a search for 1974-05-12 finds the record typed 1374-05-12 (linkage.dates)
        near_rows, near = real_neighbours(dob)
        self.keys["dob"] = _Keys(*_sorted_int_keys(np.r_[dob.astype(np.int64), near], np.r_[rows, near_rows]))
        years = self.birth_year[self.birth_year > 0]
        self.year_counts = np.bincount(years, minlength=2200) if len(years) else np.zeros(2200)
        self.n_dated = max(int((self.birth_year > 0).sum()), 1)
        words = self.records["address"].fillna("").astype(str).str.split().explode()
        words = words[words.notna() & (words != "")]
        # in how many records each address word occurs (how telling a town name is)
        self.word_counts = words.reset_index().drop_duplicates().iloc[:, 1].value_counts()
        self.n = n
        self.record_keys = self.records["record_key"].to_numpy(dtype=object)
        # the force holding each record; None for a court record, which every scope sees
        court = self.records["is_court"].fillna(True).astype(bool).to_numpy()
        self.holder = np.where(court, None, self.records["force_code"].to_numpy(dtype=object))
        self.level_names = [(c.name, [lv.name for lv in c.levels]) for c in settings.comparisons]
        self.base_weights = level_weights(self.model, settings)

    # -- query ----------------------------------------------------------------------------------
    def candidates(self, fn: str, sn: str, dob: date | None) -> np.ndarray:
        fn_sn, either, sur = _query_keys(fn, sn)
        found = [
            self.keys["fn_sn"].lookup(fn_sn, MAX_CANDIDATES),
            self.keys["either"].lookup(either, MAX_CANDIDATES),
            self.keys["alt"].lookup(sur, MAX_CANDIDATES),
        ]
        if dob is not None:
            found.append(self.keys["dob"].lookup(dob.year * 10000 + dob.month * 100 + dob.day, MAX_CANDIDATES))
        rows = np.unique(np.concatenate(found))
        # a common surname sound with no forename match: also the surname's own block, if small
        if len(rows) < 50 and self.keys["sn"].count(sur) <= MAX_CANDIDATES:
            rows = np.union1d(rows, self.keys["sn"].lookup(sur, MAX_CANDIDATES))
        return rows[:MAX_CANDIDATES]

    def _query_row(self, fn: str, mn: str, sn: str, dob: date | None, postcode: str) -> dict:
        """The query as one feature row in the index's code space (unseen names get new codes)."""
        ft = self.ft
        vocab, sound, first, length, count = ft.vocab, ft.vocab_sound, ft.vocab_first, ft.vocab_len, ft.vocab_count
        last2 = ft.vocab_last2
        fn_eq = ft.fn_eq
        new_names: list[str] = []

        def code(name: str) -> int:
            nonlocal vocab, sound, first, length, count, last2, fn_eq
            name = squash(name)
            if not name:
                return -1
            if name in self.name_code:
                return self.name_code[name]
            if name in new_names:
                return len(ft.vocab) + new_names.index(name)
            new_names.append(name)
            c = len(ft.vocab) + len(new_names) - 1
            snd = phonetic(name)
            vocab = np.r_[vocab, np.array([name], dtype=object)]
            sound = np.r_[sound, self.sound_code.get(snd, len(self.sound_code) + len(new_names))]
            first = np.r_[first, ord(name[0])]
            length = np.r_[length, len(name)]
            count = np.r_[count, 0]
            last2 = np.r_[last2, name_tail(name)]
            equal = sorted({x for k in forename_keys(name) for x in self.fn_key_codes.get(k, [])})
            if equal:
                eq = np.asarray(equal, dtype=np.int64)
                fn_eq = np.union1d(fn_eq, np.r_[c * PAIR_BASE + eq, eq * PAIR_BASE + c])
            return c

        f, m, s = code(fn), code(mn), code(sn)
        pc = {}
        parts = postcode_parts(np.array([postcode], dtype=object)) if postcode else {}
        # an unseen postcode still has a code (matching nothing) so its sector and district count
        pc["pc_full"] = self.value_code["pc_full"].get(postcode, len(self.value_code["pc_full"])) if postcode else -1
        for name in ("sector", "district", "area"):
            value = parts[name][0] if parts else ""
            pc[f"pc_{name}"] = self.value_code[f"pc_{name}"].get(value, -1) if value else -1
        dob_int = dob.year * 10000 + dob.month * 100 + dob.day if dob else 0
        row = {
            "record_key": ["<query>"],
            "fn": [f],
            "mn": [m],
            "sn": [s],
            "sn_alts": [[-1] * ft.sn_alts.shape[1]],
            "fn_sound": [sound[f] if f >= 0 else -1],
            "sn_sound": [sound[s] if s >= 0 else -1],
            "fn_key": [-1],
            "fn_initial": [first[f] if f >= 0 else -1],
            "fn_is_initial": [bool(f >= 0 and length[f] == 1)],
            "dob": [dob_int],
            "sex": [0],
            "address": [""],
            "address_numbers": [-1],
            "phone": [[-1] * ft.phone.shape[1]],
            "pnc": [-1],
            "cro": [-1],
            "seen_first": [-1],
            "seen_last": [-1],
            "vocab": vocab,
            "vocab_sound": sound,
            "vocab_first": first,
            "vocab_len": length,
            "vocab_count": count,
            "vocab_last2": last2,
            "fn_eq": fn_eq,
        }
        k = ft.pc_full.shape[1]
        for name in ("full", "sector", "district", "area"):
            row[f"pc_{name}"] = [[pc[f"pc_{name}"]] + [-1] * (k - 1)]
        return row

    def search(
        self,
        name: str,
        dob: date | None,
        age: int | None,
        place: str | None,
        limit: int,
        sees: frozenset[str] | None = None,
    ) -> list[dict]:
        """Candidates for the query, best first. ``sees``: the force codes of the caller's scope
        (None: national, every record compared in full); a record held by another force is compared
        on the name only (:data:`NAME_ONLY`)."""
        fore, sur = parse_full_name(name)
        fn, mn = first_and_middle(fore)
        if not sur:
            return []
        rows = self.candidates(fn, sur, dob)
        if sees is not None and dob is not None:  # another force's records are found by name alone
            rows = np.union1d(rows[~self._hidden(rows, sees)], self.candidates(fn, sur, None))
        if len(rows) == 0:
            return []
        postcode = ""
        place_words: list[str] = []
        if place:
            text = place.strip().upper()
            if _FULL_POSTCODE.match(text):
                postcode = normalise_postcode(np.array([text], dtype=object))[0] or ""
            elif not _OUTWARD.match(text):
                place_words = re.findall(r"[A-Z0-9]+", text)
        middle = mn.split(" ")[0] if mn else ""
        levels, weights = self._compared(rows, fn, middle, sur, dob, postcode)
        extra: list[tuple[str, np.ndarray, str]] = []
        if age is not None and dob is None:
            extra.append(("age", self._age_weight(age, self.birth_year[rows]), f"about {age}"))
        if place and not postcode:
            extra.append(("place", self._place_weight(place, place_words, rows), place))
        hidden = self._hidden(rows, sees) if sees is not None else None
        if hidden is not None and hidden.any():
            # compared as if only the name were asked: a postcode also moves a name's weight (its
            # frequency is counted within the postcode), so the other fields are not merely zeroed
            plain_levels, plain_weights = self._compared(rows, fn, "", sur, None, "")
            for name_ in levels:
                keep = name_ in NAME_ONLY
                levels[name_][hidden] = plain_levels[name_][hidden] if keep else 0
                weights[name_][hidden] = plain_weights[name_][hidden] if keep else 0.0
            for _, w, _ in extra:
                w[hidden] = 0.0
        total = np.full(len(rows), self.model.prior_weight, dtype=np.float64)
        for w in [*weights.values(), *(w for _, w, _ in extra)]:
            total += w
        return self._rank(rows, levels, weights, total, extra, limit)

    def _compared(
        self, rows: np.ndarray, fn: str, middle: str, sur: str, dob: date | None, postcode: str
    ) -> tuple[dict, dict]:
        """Comparison levels and weights of the query against ``rows``, field by field."""
        small = self.ft.take(rows, plus=self._query_row(fn, middle, sur, dob, postcode))
        right = np.arange(len(rows), dtype=np.int64)
        left = np.full(len(rows), len(rows), dtype=np.int64)
        levels = compare(small, self.settings, left, right, self._absent(middle, dob, postcode))
        # the candidate's values decide how rare an agreement is (the query's are unseen)
        tf = pair_tf(small, right)
        return levels, field_weights(self.model, self.settings, levels, tf, self.base_weights)

    def _hidden(self, rows: np.ndarray, sees: frozenset[str]) -> np.ndarray:
        """Which of ``rows`` a force outside ``sees`` holds (court records are everyone's)."""
        return np.fromiter((h is not None and h not in sees for h in self.holder[rows]), dtype=bool, count=len(rows))

    @staticmethod
    def _absent(middle: str, dob: date | None, postcode: str) -> frozenset[str]:
        """Comparisons the query has no value for (null for every candidate: not compared)."""
        given = {"middle": bool(middle), "dob": dob is not None, "postcode": bool(postcode)}
        return frozenset({"sex", "phone", "pnc", "cro"} | {name for name, has in given.items() if not has})

    def _age_weight(self, age: int, years: np.ndarray) -> np.ndarray:
        """Evidence from an approximate age: birth year within a year of today's year minus age."""
        target = date.today().year - age
        window = np.arange(target - 2, target + 1)
        share = self.year_counts[window[(window > 0) & (window < len(self.year_counts))]].sum() / self.n_dated
        m = 0.9
        u = max(float(share), 1e-4)
        agree = (years >= target - 2) & (years <= target)
        return np.where(years == 0, 0.0, np.where(agree, np.log2(m / u), np.log2((1 - m) / (1 - u))))

    def _place_weight(self, place: str, words: list[str], rows: np.ndarray) -> np.ndarray:
        """Evidence from a place: a postcode district, or town words found in the record's address."""
        text = place.strip().upper()
        if _OUTWARD.match(text):
            pcs = self.records["postcodes"].iloc[rows].fillna("").astype(str).str.split("|")
            districts = [postcode_parts(np.asarray(p, dtype=object))["district"] for p in pcs]
            agree = np.asarray([text in d for d in districts])
            has = np.asarray([any(x for x in p) for p in pcs])
            u = 0.005
        elif words:
            addr = self.records["address"].iloc[rows].fillna("").astype(str).to_numpy()
            agree = np.asarray([all(w in a.split() for w in words) for a in addr])
            has = addr != ""
            counts = [int(self.word_counts.get(w, 0)) for w in words]
            u = max(min(counts) / max(self.n, 1), 1e-5) if counts else 0.01
        else:
            return np.zeros(len(rows))
        m = 0.6
        return np.where(~has, 0.0, np.where(agree, np.log2(m / u), np.log2((1 - m) / (1 - u))))

    def _rank(
        self,
        rows: np.ndarray,
        levels: dict,
        weights: dict,
        total: np.ndarray,
        extra: list[tuple[str, np.ndarray, str]],
        limit: int,
    ) -> list[dict]:
        """Best record per entity, best entities first, explained field by field."""
        pids = self.person_id[rows]
        order = np.argsort(-total, kind="stable").tolist()
        chosen: list[int] = []
        seen: set = set()
        for i, pid in zip(order, pids[order].tolist(), strict=True):
            if pid is None or pid in seen:
                continue
            seen.add(pid)
            chosen.append(i)
            if len(chosen) >= limit:
                break
        if not chosen:
            return []
        sel = np.asarray(chosen)
        levels = {k: v[sel] for k, v in levels.items()}
        weights = {k: v[sel] for k, v in weights.items()}
        keys = match_keys(self.settings, levels, weights).tolist()
        # plain Python values from here on: a few hundred scalars, not numpy ones
        lv = {k: v.tolist() for k, v in levels.items()}
        wt = {k: v.tolist() for k, v in weights.items()}
        extras = [(name, w[sel].tolist(), shown) for name, w, shown in extra]
        totals = total[sel].tolist()
        probs = probability(total[sel]).tolist()
        record_keys = self.record_keys[rows[sel]].tolist()
        out = []
        for j, pid in enumerate(pids[sel].tolist()):
            key = keys[j]
            fields = [
                {"comparison": name, "level": level_names[lv[name][j]], "weight": round(wt[name][j], 3)}
                for name, level_names in self.level_names
                if lv[name][j] > 0
            ]
            for name, w, shown in extras:
                if w[j] != 0:
                    fields.append({"comparison": name, "level": shown, "weight": round(w[j], 3)})
                    key = f"{key} {'+' if w[j] > 0 else '-'}{name.upper()}".strip()
            row = {
                "person_id": str(pid),
                "record_key": str(record_keys[j]),
                "match_weight": round(totals[j], 3),
                "probability": probs[j],
                "match_key": key,
                "fields": fields,
            }
            if pid in self.golden_name:
                row["preferred_name"] = self.golden_name[pid]
                row["dob"] = self.golden_dob[pid]
            out.append(row)
        return out


INDEX_DIR = store.SEARCH_INDEX  # under DATA_DIR/linkage
INDEX_FORMAT = 5  # bump when SearchIndex's contents change: older saved indexes are then ignored


def _stamp(data_dir: Path) -> str:
    """Which resolve outputs an index was built from: any rewrite of one changes it (stat only)."""
    return f"format={INDEX_FORMAT}/" + LinkageStore(data_dir).stamp(store.SEARCHED)


def _index_path(data_dir: Path, stamp: str, settings: Settings) -> Path:
    digest = hashlib.sha256(f"{stamp}|{settings.fingerprint}".encode()).hexdigest()[:24]
    return LinkageStore(data_dir).path(store.SEARCH_INDEX) / f"index-{digest}.pkl"


def _load_saved(path: Path) -> SearchIndex | None:
    """The index saved for exactly these outputs, if any (written by this service, in its data dir)."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            index = pickle.load(fh)  # noqa: S301 - our own file, named after the outputs it indexes
    except Exception:  # a half-written or incompatible file: rebuild
        return None
    return index if isinstance(index, SearchIndex) else None


def _save(index: SearchIndex, path: Path) -> None:
    """Save atomically and drop indexes of earlier outputs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    for old in path.parent.glob("index-*.pkl"):
        if old != path:
            old.unlink(missing_ok=True)


def current_stamp(data_dir: Path | str, ttl: float = STAMP_TTL) -> str:
    """The stamp of a data directory's resolve outputs, read again at most every ``ttl`` seconds
    unless this process has written outputs since (a resolve here is seen at once, one in another
    process within ``ttl``)."""
    data_dir = data_dir if isinstance(data_dir, Path) else Path(data_dir)
    now, writes = time.monotonic(), store.writes()
    seen = _STAMPS.get(data_dir)
    if seen is not None and now - seen[0] < ttl and seen[1] == writes:
        return seen[2]
    stamp = _stamp(data_dir)
    _STAMPS[data_dir] = (now, writes, stamp)
    return stamp


def get_index(
    data_dir: Path | str, settings: Settings | None = None, ttl: float = STAMP_TTL, stamp: str | None = None
) -> SearchIndex:
    """The index for a data directory: from memory, else from disk, else built (and saved).

    Keyed by the stamp of the resolve outputs (``current_stamp``, or ``stamp`` when the caller
    has just read it), so a new resolve never serves an index older than ``ttl`` seconds.
    """
    data_dir = Path(data_dir)
    key = (data_dir, stamp or current_stamp(data_dir, ttl))
    index = _CACHE.get(key)
    if index is not None:
        return index
    with _LOCK:
        index = _CACHE.get(key)
        if index is None:
            for old in [k for k in _CACHE if k[0] == data_dir]:
                del _CACHE[old]
            settings = settings or load_settings()
            path = _index_path(data_dir, key[1], settings)
            index = _load_saved(path)
            if index is None:
                index = SearchIndex(data_dir, settings)
                _save(index, path)
            _CACHE[key] = index
    return index


def search(
    data_dir: Path | str,
    name: str,
    dob: date | None = None,
    age: int | None = None,
    place: str | None = None,
    limit: int = 10,
    sees: frozenset[str] | None = None,
) -> list[dict]:
    """Candidate entities for a named person, best first, with weights and explanations (``sees``
    as for :meth:`SearchIndex.search`)."""
    index = get_index(data_dir)
    return index.search(name, dob, age, place, limit, sees)


def stamped_search(
    data_dir: Path | str,
    name: str,
    dob: date | None,
    age: int | None,
    place: str | None,
    limit: int,
    seen: str | None = None,
    sees: frozenset[str] | None = None,
) -> tuple[str, list[dict]]:
    """``search`` over the current outputs, with the stamp of the outputs it ranked: a caller
    keeping answers keys them by it.

    ``seen``: the stamp the caller works from (its own ``current_stamp``). When the index in
    memory is for that stamp it is used without reading the stamp again, so the answer is as fresh
    as the caller's view; otherwise the stamp is read now."""
    if seen is not None:
        index = _CACHE.get((Path(data_dir), seen))
        if index is not None:
            return seen, index.search(name, dob, age, place, limit, sees)
    stamp = current_stamp(data_dir, ttl=0)
    return stamp, get_index(data_dir, stamp=stamp).search(name, dob, age, place, limit, sees)
