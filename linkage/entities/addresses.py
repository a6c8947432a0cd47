"""Address entities: every way a place is written, resolved to one address id per place.

The unit compared is an address *form*: one distinct (text as written, postcode field, UPRN).
Forms are parsed (address_parse), blocked on postcode + number, street + number and UPRN,
compared part by part and scored with the person engine's model machinery
(linkage/entities/addresses.yaml). Hard rules keep neighbours apart whatever the score:

* a supplied UPRN decides: the same UPRN is one place, two different UPRNs are two;
* flats in one building are different places (different flat, or flat against no flat);
* different building numbers, or two different full postcodes, are different places.

A confidential (refuge / withheld) address is never parsed, blocked or compared: each such
mention is its own flagged entity (id ``AX…``) that carries nothing but the flag. "No fixed
abode" is no place (no address id).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA

from linkage.arrays import unique, unique_inverse
from linkage.entities.address_parse import FIELDS, STREET_TYPES, parse_many
from linkage.entities.engine import (
    Rules,
    block_pairs,
    join_per_group,
    load_kind_settings,
    resolve_kind,
    sorted_codes,
    steward_codes,
    train,
)
from linkage.settings import Settings

KIND = "address"
PREFIX = "A"
BLOCKING = [
    ("uprn", ["uprn"]),
    ("postcode_number", ["postcode", "building_number"]),
    ("postcode_name", ["postcode", "building_name"]),
    # a street and number with no place on one side ('12 Acacia Avenue, SR6 5JZ' against '12 Acacia
    # Avenue, Sunderland'). Where both name a place the rules on town or locality pair them: '1 High
    # Street' in two towns is two places, and in a national extract one such block holds hundreds
    # of forms (33 million pairs at a million outside records, none of them one place)
    ("street_number_unplaced", ["street", "building_number"]),
    # the town's first word: 'NEWCASTLE' and 'NEWCASTLE UPON TYNE' name one town (as compared)
    ("town_number_initial", ["town1", "building_number", "street1"]),
    ("locality_number", ["locality", "building_number"]),
]
UNPLACED_RULES = {"street_number_unplaced"}
MAX_BLOCK = 200


def _hash(prefix: str, text: str) -> str:
    return prefix + hashlib.sha1(text.encode()).hexdigest()[:12].upper()


def withheld_id(record_key: str, nth: int = 0) -> str:
    """The id a withheld address goes by: its record's own (the record's nth such address), derived
    from nothing about the place, so it neither names nor joins it to anyone else's."""
    return _hash("AX", record_key if nth == 0 else f"{record_key}|{nth}")


def uprns_from_records(person_records: pd.DataFrame) -> pd.DataFrame:
    """(record_key, address_raw, uprn) where a source supplied a UPRN as an extra column."""
    cols = ["record_key", "address_raw", "uprn"]
    if person_records is None or person_records.empty or "extra" not in person_records:
        return pd.DataFrame(columns=cols)
    extra = person_records["extra"]
    has = extra.notna() & extra.astype(str).str.contains("uprn", case=False, regex=False)
    if not has.any():
        return pd.DataFrame(columns=cols)

    def pick(text: str) -> str | None:
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            return None
        for k, v in data.items() if isinstance(data, dict) else []:
            if str(k).strip().lower() == "uprn" and v not in (None, ""):
                digits = "".join(ch for ch in str(v) if ch.isdigit())
                return digits.lstrip("0") or None
        return None

    sub = person_records.loc[has, ["record_key", "address_raw"]].copy()
    sub["uprn"] = extra[has].map(pick)
    return sub.dropna(subset=["uprn"]).drop_duplicates(["record_key", "address_raw"])[cols]


def build_forms(rows: pd.DataFrame, other_process: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Distinct address forms of the non-confidential rows, parsed; and each row's form key.
    ``other_process``: the parse may use a second process (see ``address_parse.parse_rows``)."""
    text = rows["address_raw"].fillna("").astype(str)
    pc = rows["postcode"].fillna("").astype(str)
    uprn = rows["uprn"].fillna("").astype(str) if "uprn" in rows else pd.Series("", index=rows.index)
    raw_key = text + "\x1f" + pc + "\x1f" + uprn
    codes, uniques = pd.factorize(raw_key)
    first = pd.Series(np.arange(len(rows))).groupby(codes).first().to_numpy()
    forms = pd.DataFrame(
        {
            "form_key": [_hash("AF", u) for u in uniques],
            "address_raw": text.to_numpy()[first],
            "postcode_field": pc.to_numpy()[first],
            "uprn": uprn.to_numpy()[first],
        }
    )
    parsed = parse_many(
        forms["address_raw"].where(forms["address_raw"] != "", None),
        forms["postcode_field"].where(forms["postcode_field"] != "", None),
        other_process=other_process,
    )
    forms = pd.concat([forms, parsed[FIELDS]], axis=1)
    streets, street_names = pd.factorize(forms["street"])  # each distinct street split once
    forms["street_name"] = np.asarray([_street_name(x) for x in street_names], dtype=object)[streets]
    forms["street_type"] = np.asarray([_street_type(x) for x in street_names], dtype=object)[streets]
    forms["street1"] = forms["street"].str[:1]
    forms["town1"] = forms["town"].fillna("").str.split().str[0].fillna("")
    return forms, pd.Series(forms["form_key"].to_numpy()[codes], index=rows.index)


def _street_type(street: str) -> str:
    words = street.split()
    return words[-1] if len(words) >= 2 and words[-1] in STREET_TYPES.values() else ""


def _street_name(street: str) -> str:
    words = street.split()
    return " ".join(words[:-1]) if len(words) >= 2 and words[-1] in STREET_TYPES.values() else street


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    vals = values.fillna("").astype(str).to_numpy(dtype=object)
    codes, uniq = pd.factorize(np.where(vals == "", None, vals), use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


class AddressComparer:
    """Comparison levels between address forms (codes as in addresses.yaml), vectorised over pairs."""

    def __init__(self, forms: pd.DataFrame, settings: Settings):
        self.settings = settings
        self.uprn, _ = _codes(forms["uprn"])
        self.postcode, pcs = _codes(forms["postcode"])
        sector = np.asarray([p[:-2] for p in pcs] + [""], dtype=object)
        district = np.asarray([p.split()[0] for p in pcs] + [""], dtype=object)
        self.sector = np.where(self.postcode >= 0, pd.factorize(sector)[0][self.postcode], -1)
        self.district = np.where(self.postcode >= 0, pd.factorize(district)[0][self.postcode], -1)
        self.number, _ = _codes(forms["building_number"])
        self.flat, _ = _codes(forms["sub_building"])
        self.sname, self.sname_vocab = _codes(forms["street_name"])
        self.stype, _ = _codes(forms["street_type"])
        self.bname, self.bname_vocab = _codes(forms["building_name"])
        places = pd.concat([forms["locality"], forms["town"]], ignore_index=True)
        pcodes, _ = _codes(places)
        n = len(forms)
        self.loc, self.town = pcodes[:n], pcodes[n:]
        # first word of the town too: 'NEWCASTLE' and 'NEWCASTLE UPON TYNE' name one town
        first = forms["town"].fillna("").str.split().str[0].fillna("")
        self.town1, _ = _codes(first)

    def __call__(self, li: np.ndarray, ri: np.ndarray) -> dict[str, np.ndarray]:
        s = self.settings
        out: dict[str, np.ndarray] = {}

        def sel(name: str, conds: list[tuple[np.ndarray, str]], default: str, null: np.ndarray) -> np.ndarray:
            comp = s.comparison(name)
            res = np.full(len(li), comp.code(default), dtype=np.int8)
            done = null.copy()
            for cond, level in conds:
                take = cond & ~done
                res[take] = comp.code(level)
                done |= take
            res[null] = 0
            return res

        a, b = self.uprn[li], self.uprn[ri]
        out["uprn"] = sel("uprn", [(a == b, "exact")], "different", (a < 0) | (b < 0))
        a, b = self.postcode[li], self.postcode[ri]
        out["postcode"] = sel(
            "postcode",
            [
                (a == b, "exact"),
                (self.sector[li] == self.sector[ri], "sector"),
                (self.district[li] == self.district[ri], "district"),
            ],
            "else",
            (a < 0) | (b < 0),
        )
        a, b = self.number[li], self.number[ri]
        out["number"] = sel("number", [(a == b, "exact")], "different", (a < 0) | (b < 0))
        a, b = self.flat[li], self.flat[ri]
        both_none = (a < 0) & (b < 0)
        one = (a < 0) != (b < 0)
        out["flat"] = sel(
            "flat",
            [(both_none, "both_none"), ((a == b) & (a >= 0), "exact"), (one, "one_missing")],
            "different",
            np.zeros(len(li), dtype=bool),
        )
        # street and place are one comparison: a street name is common, the same street in the
        # same locality or post town is one thoroughfare (Royal Mail keeps them unique there)
        la, lb, ta_, tb_ = self.loc[li], self.loc[ri], self.town[li], self.town[ri]
        town_same = ((ta_ == tb_) & (ta_ >= 0)) | ((self.town1[li] == self.town1[ri]) & (self.town1[li] >= 0))
        loc_same = ((la == lb) & (la >= 0)) | ((la == tb_) & (la >= 0)) | ((ta_ == lb) & (ta_ >= 0))
        loc_same |= (la < 0) & (lb < 0) & town_same  # neither names a locality: the town is the place
        loc_differ = (la >= 0) & (lb >= 0) & (la != lb)
        town_differ = (ta_ >= 0) & (tb_ >= 0) & ~town_same & ~loc_same
        other_place = (loc_differ & ~loc_same) | town_differ
        no_place = ((la < 0) & (ta_ < 0)) | ((lb < 0) & (tb_ < 0))
        a, b = self.sname[li], self.sname[ri]
        ta, tb = self.stype[li], self.stype[ri]
        null = (a < 0) | (b < 0)
        same_type = (ta == tb) | (ta < 0) | (tb < 0)
        typo = np.zeros(len(li), dtype=bool)
        idx = np.flatnonzero(~null & (a != b))
        if len(idx):
            typo[idx] = _typo(self.sname_vocab, a[idx], b[idx])
        exact = (a == b) & same_type
        fuzzy = typo & same_type
        out["street"] = sel(
            "street",
            [
                (exact & loc_same, "exact_locality"),
                (exact & town_same & ~other_place, "exact_town"),
                (exact & no_place, "exact"),
                (exact & other_place, "exact_other_place"),
                (fuzzy & (loc_same | town_same) & ~other_place, "fuzzy_place"),
                (fuzzy & ~other_place, "fuzzy"),
                ((a == b) & ~other_place, "name_only"),
            ],
            "different",
            null,
        )
        a, b = self.bname[li], self.bname[ri]
        null = (a < 0) | (b < 0)
        typo = np.zeros(len(li), dtype=bool)
        idx = np.flatnonzero(~null & (a != b))
        if len(idx):
            typo[idx] = _typo(self.bname_vocab, a[idx], b[idx])
        out["building_name"] = sel("building_name", [(a == b, "exact"), (typo, "fuzzy")], "different", null)
        return {c.name: out[c.name] for c in s.comparisons}


def _typo(vocab: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One keying slip: optimal-string-alignment distance 1 (names of 4+ letters) or 2 (8+)."""
    size = np.int64(len(vocab))
    key = a.astype(np.int64) * size + b
    uniq, inv = unique_inverse(key)
    sa, sb = vocab[uniq // size], vocab[uniq % size]
    dist = process.cpdist(list(sa), list(sb), scorer=OSA.distance, workers=2, dtype=np.int32)
    shortest = np.minimum([len(x) for x in sa], [len(x) for x in sb])
    ok = ((dist <= 1) & (shortest >= 4)) | ((dist <= 2) & (shortest >= 8))
    return np.asarray(ok)[inv.reshape(-1)]


def candidates(forms: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict]:
    """Union of the blocking rules' pairs; forms without street, name or UPRN are never blocked."""
    resolvable = (forms["street"] != "") | (forms["building_name"] != "") | (forms["uprn"] != "")
    sub = forms.where(resolvable, "")
    unplaced = ((forms["town"].fillna("") == "") & (forms["locality"].fillna("") == "")).to_numpy()
    ls, rs, report = [], [], {}
    for name, keys in BLOCKING:
        li, ri, dropped = block_pairs(sub, keys, MAX_BLOCK, unplaced if name in UNPLACED_RULES else None)
        ls.append(li)
        rs.append(ri)
        report[name] = {"pairs": int(len(li)), "oversized_blocks": dropped}
    if not ls:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), report
    codes = unique(
        np.minimum(np.concatenate(ls), np.concatenate(rs)) * np.int64(max(len(forms), 1))
        + np.maximum(np.concatenate(ls), np.concatenate(rs))
    )
    n = np.int64(max(len(forms), 1))
    return codes // n, codes % n, report


def hard_rules(settings: Settings, levels: dict[str, np.ndarray]) -> Rules:
    rules = Rules()
    up = settings.comparison("uprn")
    cfg = settings.rules
    if cfg.get("uprn_decides", True):
        rules.must = levels["uprn"] == up.code("exact")
        rules.must_reason = "same_uprn"
        rules.add(levels["uprn"] == up.code("different"), "uprn_differs")
    fl = settings.comparison("flat")
    if cfg.get("flats_apart", True):
        rules.add(np.isin(levels["flat"], [fl.code("different"), fl.code("one_missing")]), "different_flat")
    if cfg.get("numbers_apart", True):
        rules.add(levels["number"] == settings.comparison("number").code("different"), "different_number")
    if cfg.get("postcodes_apart", True):
        pc = settings.comparison("postcode")
        rules.add(
            np.isin(levels["postcode"], [pc.code("sector"), pc.code("district"), pc.code("else")]),
            "different_postcode",
        )
    return rules


def resolve_addresses(
    rows: pd.DataFrame,
    decisions: pd.DataFrame | None,
    previous: pd.DataFrame | None,
    settings: Settings | None = None,
    other_process: bool = False,
) -> dict:
    """Resolve staged address rows (with ``uprn`` where known) into address entities.
    ``other_process``: the parse may use a second process (not in a threaded server).

    Returns rows (one per record_key and address as written), forms, pairs and the model.
    """
    settings = settings or load_kind_settings("addresses")
    rows = rows.reset_index(drop=True).copy()
    if "uprn" not in rows:
        rows["uprn"] = None
    conf = rows["confidential"].fillna(False).astype(bool).to_numpy()
    # the parser also catches a withheld address written into the text ('REFUGE', 'WITHHELD')
    open_rows = rows[~conf]
    forms, form_of = build_forms(open_rows, other_process)
    text_conf = forms.set_index("form_key")["confidential"]
    conf_by_text = form_of.map(text_conf).fillna(False).astype(bool)
    conf = conf.copy()
    conf[conf_by_text[conf_by_text].index.to_numpy()] = True
    forms = forms[~forms["confidential"]].reset_index(drop=True)
    nfa_forms = set(forms.loc[forms["no_fixed_abode"], "form_key"])
    forms = forms[~forms["no_fixed_abode"]].reset_index(drop=True)

    cmp = AddressComparer(forms, settings)
    li, ri, blocking = candidates(forms)
    keys = forms["form_key"].to_numpy(dtype=object)
    stew, sl, sr, sc = steward_codes(keys, li, ri, decisions)
    if len(sl):
        li, ri = np.r_[li, sl], np.r_[ri, sr]
        stew = np.r_[stew, sc]
    levels = cmp(li, ri)
    model = train(settings, len(forms), cmp, levels)
    prev = None
    if previous is not None and not previous.empty and "form_key" in previous:
        prev = previous.dropna(subset=["form_key", "address_id"])
        prev = prev[~prev["address_id"].astype(str).str.startswith("AX")]
        prev = prev.drop_duplicates("form_key")[["form_key", "address_id"]]
        prev = prev.rename(columns={"form_key": "record_key", "address_id": "entity_id"})
    res = resolve_kind(settings, model, keys, li, ri, levels, hard_rules(settings, levels), stew, prev, PREFIX)
    res.report["blocking"] = blocking
    forms["address_id"] = res.ids

    out = _rows_output(rows, conf, form_of, forms, nfa_forms)
    return {
        "rows": out,
        "forms": forms,
        "resolution": res,
        "model": model,
        "settings": settings,
        "values": {
            "postcode": forms["postcode"].to_numpy(dtype=object),
            "number": forms["building_number"].to_numpy(dtype=object),
            "flat": forms["sub_building"].to_numpy(dtype=object),
            "street": np.asarray(
                [
                    " / ".join(x for x in t if x)
                    for t in zip(forms["street"], forms["locality"], forms["town"], strict=True)
                ],
                dtype=object,
            ),
            "building_name": forms["building_name"].to_numpy(dtype=object),
            "uprn": forms["uprn"].to_numpy(dtype=object),
        },
    }


def _rows_output(
    rows: pd.DataFrame, conf: np.ndarray, form_of: pd.Series, forms: pd.DataFrame, nfa_forms: set
) -> pd.DataFrame:
    """One row per record and address as written: its entity and parsed fields, when it was first
    and last seen, and every extract that wrote it; sorted by record and text (a missing text
    first, then as first written). A withheld address keeps only its own id: no text, no fields.

    Grouped on integer codes, once: at a million rows the same steps as groupbys and merges on
    three columns of strings took a third of the address stage."""
    n = len(rows)
    record_key = rows["record_key"].to_numpy(dtype=object)
    raw = rows["address_raw"].to_numpy(dtype=object).copy()
    raw[conf] = None  # a withheld address is never stored nor shown
    form_key = np.full(n, None, dtype=object)
    form_key[~conf] = form_of.reindex(rows.index[~conf]).to_numpy()
    ids = pd.Series(forms["address_id"].to_numpy(dtype=object), index=forms["form_key"].to_numpy(dtype=object))
    address_id = pd.Series(form_key, dtype=object).map(ids).to_numpy(dtype=object)
    address_id[conf] = [withheld_id(k) for k in record_key[conf]]
    # one row per (record, text, entity); a missing text or id is a value of its own, as in a
    # groupby keeping missing keys
    rk, _ = sorted_codes(record_key)
    # texts sorted as Python strings (not as fixed-width text: one long text would make that huge)
    ra, texts = pd.factorize(raw, sort=True, use_na_sentinel=True)
    ai = pd.factorize(address_id, use_na_sentinel=True)[0].astype(np.int64)
    first, group = _groups(rk, ra, ai)
    seen = pd.Series(rows["seen"].to_numpy()).groupby(group, sort=True).agg(["min", "max"])
    # every extract that wrote it, where a missing text or id counts as empty (the row's key)
    _, written = _groups(rk, np.where(np.isin(ra, np.flatnonzero(texts == "")), -1, ra), ai)
    sources = join_per_group(written, rows["source"], int(written.max()) + 1 if n else 0)[written]
    order = np.lexsort((first, ra[first], rk[first]))
    pick = first[order]
    out = pd.DataFrame(
        {
            "record_key": record_key[pick],
            "address_raw": raw[pick],
            "source": sources[pick],
            "confidential": conf[pick],
            "form_key": form_key[pick],
            "no_fixed_abode": np.isin(form_key[pick], list(nfa_forms)),
        }
    )
    fi = forms.set_index("form_key")[[*FIELDS[:7], "uprn"]]
    # keys are text; with no address written anywhere (a people-only source) there are no forms,
    # and an empty frame's index is not text: the join then needs it told
    fi.index = fi.index.astype(object)
    out = out.join(fi, on="form_key")
    out["address_id"] = address_id[pick]
    out["first_seen"] = seen["min"].to_numpy()[order]
    out["last_seen"] = seen["max"].to_numpy()[order]
    return out


def _groups(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped on several columns of codes (-1 for missing, a value of its own), numbered in
    the columns' sorted order: each group's first row and each row's group. One column at a time,
    so the combined key stays within int64 however many rows there are."""
    group = np.zeros(len(codes[0]), dtype=np.int64)
    first = np.zeros(0, dtype=np.int64)
    for column in codes:
        width = np.int64(column.max(initial=-1) + 2)
        _, first, group = np.unique(group * width + column + 1, return_index=True, return_inverse=True)
        group = group.reshape(-1)
    return first, group


def address_text(forms: pd.DataFrame) -> np.ndarray:
    """The address as written, for review screens."""
    return (
        forms["address_raw"] + np.where(forms["postcode_field"] != "", " | " + forms["postcode_field"], "")
    ).to_numpy(dtype=object)
