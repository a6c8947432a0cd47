"""The entity stage's grouping on integer codes gives what grouping on the strings gave.

Residence (per person and address: first and last seen, the records that say so) and an address
row's sources were grouped on strings built per row; they are grouped on sorted integer codes now
(seconds at a million records). These properties hold the new helpers to the old definitions over
values the code was not shaped for: unicode, empty strings, prefixes of one another, nulls,
repeated rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.entities.coresidence import residence
from linkage.entities.engine import group_join, join_per_group, sorted_codes

TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "ab", "a b", "A", "Z", "é", "ß", "uk/10", "uk/9", "P1", "P10"]),
                 st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=6))


@given(st.lists(TEXT, max_size=40))
@settings(max_examples=200, deadline=None)
def test_sorted_codes_is_factorize_sorted(values: list) -> None:
    codes, uniq = sorted_codes(pd.Series(values, dtype=object))
    want_codes, want_uniq = pd.factorize(pd.Series(values, dtype=object), sort=True, use_na_sentinel=True)
    assert list(uniq) == list(want_uniq)
    assert codes.tolist() == want_codes.tolist()


@given(st.lists(st.tuples(st.integers(0, 6), TEXT), max_size=50))
@settings(max_examples=200, deadline=None)
def test_join_per_group_is_group_join(rows: list) -> None:
    groups = np.asarray([g for g, _ in rows], dtype=np.int64)
    values = [v for _, v in rows]
    got = join_per_group(groups, pd.Series(values, dtype=object), 7)
    want = group_join(groups, np.asarray(values, dtype=object))
    for g in range(7):
        assert got[g] == want.get(g), (g, got[g], want.get(g))


def _residence_by_strings(addresses: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """The definition residence had: group on the strings, join each group's record keys."""
    pid = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
    a = addresses.dropna(subset=["address_id"]).copy()
    a["person_id"] = a["record_key"].map(pid)
    a = a.dropna(subset=["person_id"])
    out = (
        a.groupby(["person_id", "address_id"], sort=True)
        .agg(first_seen=("first_seen", "min"), last_seen=("last_seen", "max"), confidential=("confidential", "any"))
        .reset_index()
    )
    keys = a.groupby(["person_id", "address_id"], sort=True)["record_key"].agg(lambda s: ";".join(sorted(set(s))))
    out["record_keys"] = keys.to_numpy()
    return out[["person_id", "address_id", "first_seen", "last_seen", "record_keys", "confidential"]]


ROW = st.tuples(
    st.sampled_from(["uk/1", "uk/2", "uk/10", "Durham/é1", "Durham/2", "x"]),  # record key
    st.one_of(st.none(), st.sampled_from(["A1", "A10", "A2", "AXF", "Aé"])),  # address id
    st.one_of(st.none(), st.integers(0, 400)),  # first seen, days
    st.integers(0, 30),  # days more to last seen
    st.booleans(),  # confidential
)


@given(st.lists(ROW, min_size=1, max_size=40), st.dictionaries(st.sampled_from(["uk/1", "uk/2", "uk/10", "Durham/é1",
       "Durham/2"]), st.sampled_from(["P1", "P10", "P2", "Pé"]), min_size=1))
@settings(max_examples=150, deadline=None)
def test_residence_is_the_string_grouping(rows: list, people: dict) -> None:
    base = pd.Timestamp("2019-01-01")
    first = [None if f is None else base + pd.Timedelta(days=f) for _, _, f, _, _ in rows]
    last = [None if f is None else f + pd.Timedelta(days=r[3]) for f, r in zip(first, rows, strict=True)]
    addresses = pd.DataFrame(
        {
            "record_key": [r for r, *_ in rows],
            "address_id": pd.Series([a for _, a, *_ in rows], dtype=object),
            "first_seen": pd.to_datetime(pd.Series(first, dtype=object)),
            "last_seen": pd.to_datetime(pd.Series(last, dtype=object)),
            "confidential": [c for *_, c in rows],
        }
    )
    entities = pd.DataFrame({"record_key": list(people), "person_id": list(people.values())})
    got, want = residence(addresses, entities), _residence_by_strings(addresses, entities)
    if want.empty:
        assert got.empty
        return
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_exact=True)


def _rows_output_by_strings(rows: pd.DataFrame, conf: np.ndarray, form_of: pd.Series, forms: pd.DataFrame,
                            nfa_forms: set) -> pd.DataFrame:
    """The definition the address rows had: a join, groupbys and a merge on the strings."""
    from linkage.entities.address_parse import FIELDS
    from linkage.entities.addresses import withheld_id

    out = rows[["record_key", "address_raw", "seen", "source"]].copy()
    out["confidential"] = conf
    out["form_key"] = None
    out.loc[~conf, "form_key"] = form_of.reindex(out.index[~conf]).to_numpy()
    out["no_fixed_abode"] = out["form_key"].isin(nfa_forms)
    fi = forms.set_index("form_key")
    fi.index = fi.index.astype(object)
    out = out.join(fi[[*FIELDS[:7], "uprn", "address_id"]], on="form_key")
    out.loc[conf, "address_id"] = [withheld_id(k) for k in out.loc[conf, "record_key"].astype(str)]
    out.loc[conf, "address_raw"] = None
    g = out.groupby(["record_key", "address_raw", "address_id"], dropna=False, sort=False)
    agg = g.agg(first_seen=("seen", "min"), last_seen=("seen", "max")).reset_index()
    written = out[["record_key", "address_raw", "address_id"]].fillna({"address_raw": "", "address_id": ""})
    row = written.groupby(list(written.columns), sort=False, dropna=False).ngroup().to_numpy()
    sources = join_per_group(row, out["source"], int(row.max()) + 1 if len(row) else 0)[row]
    out = out.assign(source=sources).drop(columns=["seen"])
    out = out.drop_duplicates(["record_key", "address_raw", "address_id"])
    keys = {"record_key": object, "address_raw": object, "address_id": object}
    out = out.astype(keys).merge(agg.astype(keys), on=list(keys), how="left")
    return out.sort_values(["record_key", "address_raw"], kind="stable", na_position="first").reset_index(drop=True)


ADDRESS_ROW = st.tuples(
    st.sampled_from(["uk/1", "uk/2", "uk/10", "Durham/é1", "x"]),  # record key
    st.one_of(st.none(), st.sampled_from(["", "1 A Rd", "1 A RD", "Flat 2, 1 A Rd", "é 3"])),  # text
    st.one_of(st.none(), st.integers(0, 400)),  # seen, days
    st.sampled_from(["rms:a.csv", "rms:b.csv", "court:c.csv"]),  # source
    st.sampled_from(["open", "withheld at source", "withheld by its text"]),
    st.sampled_from(["F1", "F2", "F3", "F4", "NFA", "GONE"]),  # its form (NFA: no fixed abode; GONE: parsed away)
)


@given(st.lists(ADDRESS_ROW, max_size=40), st.dictionaries(st.sampled_from(["F1", "F2", "F3", "F4"]),
       st.sampled_from(["A1", "A10", "A2"]), min_size=1))
@settings(max_examples=200, deadline=None)
def test_address_rows_are_the_string_grouping(rows: list, entity_of_form: dict) -> None:
    from linkage.entities.address_parse import FIELDS
    from linkage.entities.addresses import _rows_output

    base = pd.Timestamp("2019-01-01")
    frame = pd.DataFrame(
        {
            "record_key": [r[0] for r in rows],
            "address_raw": pd.Series([r[1] for r in rows], dtype=object),
            "seen": pd.to_datetime(pd.Series([None if r[2] is None else base + pd.Timedelta(days=r[2]) for r in rows],
                                             dtype=object)),
            "source": [r[3] for r in rows],
        }
    )
    at_source = np.asarray([r[4] == "withheld at source" for r in rows], dtype=bool)
    conf = np.asarray([r[4] != "open" for r in rows], dtype=bool)
    form_of = pd.Series([r[5] for r in rows], dtype=object)[~at_source]
    forms = pd.DataFrame({"form_key": list(entity_of_form), "address_id": list(entity_of_form.values())})
    for i, name in enumerate([*FIELDS[:7], "uprn"]):
        forms[name] = [f"{name}{i}{k}" for k in forms["form_key"]]
    got = _rows_output(frame, conf, form_of, forms, {"NFA"})
    want = _rows_output_by_strings(frame, conf, form_of, forms, {"NFA"})
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@given(st.lists(st.tuples(*[st.integers(-1, 2**31 - 1)] * 3), max_size=30))
@settings(max_examples=200, deadline=None)
def test_address_row_groups_hold_at_any_size(rows: list) -> None:
    """Rows grouped on three columns of codes as a sorted groupby would, with codes as large as
    billions of rows would give (one combined key of three such codes does not fit in int64)."""
    from linkage.entities.addresses import _groups

    columns = [np.asarray([r[i] for r in rows], dtype=np.int64) for i in range(3)]
    first, group = _groups(*columns)
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(columns)})
    want = frame.groupby(["c0", "c1", "c2"], sort=True).ngroup().to_numpy()
    assert group.tolist() == want.tolist()
    assert first.tolist() == [int(np.flatnonzero(want == g)[0]) for g in range(len(first))]
