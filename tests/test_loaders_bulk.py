"""The loaders' bulk forms of per-row work give exactly what the per-row forms gave.

A row's unmapped columns (``extra``) were written with one ``json.dumps`` per row, and every text
column went to Arrow through a copy with its nulls made None; both are built a column at a time
now (a quarter of a large file's ingest). These properties hold the new forms to the old
definitions over values the loaders were not shaped for: odd unicode (astral characters,
controls, DEL, quotes, backslashes), empty and whitespace-only text, nulls of every kind, and
values that are not text at all.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.build import _extra_json
from loaders.csvread import FileRefused, read_csv
from staging.store import to_arrow

TEXT = st.one_of(
    st.sampled_from(["", " ", "\t", '"', "\\", "\x7f", "\x1f", "é", "ß", "\U0001f600", "\u2028", "a b", "1974-15-11"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
)
NULL = st.sampled_from([None, float("nan")])
VALUE = st.one_of(TEXT, st.none())
ANY = st.one_of(TEXT, NULL, st.integers(-5, 5), st.booleans())


def _old_extra_json(frame: pd.DataFrame, extras: list[str]) -> pd.Series:
    return pd.Series(
        [json.dumps(dict(zip(extras, row, strict=True))) for row in frame[extras].itertuples(index=False)],
        index=frame.index,
        dtype=object,
    )


def _frame(columns: dict[str, list]) -> pd.DataFrame:
    n = min(len(v) for v in columns.values())
    return pd.DataFrame({k: pd.Series(v[:n], dtype=object) for k, v in columns.items()})


@given(st.lists(VALUE, max_size=30), st.lists(VALUE, max_size=30), st.text(max_size=4))
@settings(max_examples=300, deadline=None)
def test_extra_json_of_text_is_json_dumps_per_row(a: list, b: list, name: str) -> None:
    frame = _frame({"entity_id": a, name or "x": b})
    frame.index = frame.index * 3 + 1  # an index that is not positions
    extras = list(frame.columns)
    got = _extra_json(frame, extras)
    assert got is not None
    pd.testing.assert_series_equal(got, _old_extra_json(frame, extras), check_exact=True)


@given(st.lists(ANY, max_size=30), st.lists(VALUE, max_size=30))
@settings(max_examples=200, deadline=None)
def test_extra_json_of_any_value_is_json_dumps_per_row(a: list, b: list) -> None:
    """A looked-up column can hold NaN for a key its file lacks; ints and flags are not text."""
    frame = _frame({"looked_up": a, "note": b})
    got = _extra_json(frame, ["looked_up", "note"])
    assert got is not None
    pd.testing.assert_series_equal(got, _old_extra_json(frame, ["looked_up", "note"]), check_exact=True)


def test_extra_json_of_no_columns_is_none() -> None:
    assert _extra_json(pd.DataFrame({"a": ["x"]}), []) is None


def _old_to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    arrays = []
    for fld in schema:
        if fld.name not in frame.columns:
            arrays.append(pa.nulls(len(frame), type=fld.type))
            continue
        series = frame[fld.name]
        if pa.types.is_date32(fld.type) and pd.api.types.is_datetime64_any_dtype(series):
            arrays.append(pa.array(series, from_pandas=True).cast(pa.date32()))
        elif pa.types.is_timestamp(fld.type):
            arrays.append(pa.array(pd.to_datetime(series), from_pandas=True).cast(fld.type))
        else:
            arrays.append(
                pa.array(series.astype(object).where(series.notna(), None), type=fld.type, from_pandas=True)
            )
    return pa.Table.from_arrays(arrays, schema=schema)


SCHEMA = pa.schema([("name", pa.string()), ("line", pa.int64()), ("flag", pa.bool_()), ("absent", pa.string())])


@given(st.lists(st.one_of(TEXT, st.sampled_from([None, float("nan"), pd.NA, pd.NaT, np.nan])), max_size=30))
@settings(max_examples=300, deadline=None)
def test_to_arrow_of_text_is_the_copy_with_nulls_as_none(names: list) -> None:
    frame = pd.DataFrame(
        {
            "name": pd.Series(names, dtype=object),
            "line": np.arange(len(names), dtype=np.int64),
            "flag": [i % 2 == 0 for i in range(len(names))],
        }
    )
    assert to_arrow(frame, SCHEMA).equals(_old_to_arrow(frame, SCHEMA))


def test_parse_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    """Parsing pauses Python's cycle collector (most of a parse's time went to it); it comes
    back on after a good file and after a refused one, and stays off if the caller had it off."""
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("a,b\n1,2\n")
    bad.write_text('a,b\n"1,2\n')
    assert gc.isenabled()
    assert len(read_csv(good).parse().frame) == 1
    assert gc.isenabled()
    try:
        read_csv(bad).parse()
    except FileRefused:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        read_csv(good).parse()
        assert not gc.isenabled()
    finally:
        gc.enable()


def _old_key_conflicts(people: pd.DataFrame) -> pd.DataFrame:
    columns = ["source_line", "field", "reason", "raw", "record_key"]
    if people.empty:
        return pd.DataFrame(columns=columns)
    ordered = people.sort_values("source_line", kind="stable")
    first = ordered.drop_duplicates("record_key").set_index("record_key")
    ref = first.loc[ordered["record_key"]]
    other_name = (ordered["surname_norm"].fillna("").to_numpy() != ref["surname_norm"].fillna("").to_numpy()) | (
        ordered["forename_norm"].fillna("").to_numpy() != ref["forename_norm"].fillna("").to_numpy()
    )
    other_dob = np.zeros(len(ordered), dtype=bool)
    if "dob" in ordered:
        dob, ref_dob = ordered["dob"].to_numpy(), ref["dob"].to_numpy()
        other_dob = pd.notna(dob) & pd.notna(ref_dob) & (dob != ref_dob)
    clash = ordered[other_name | other_dob]
    if clash.empty:
        return pd.DataFrame(columns=columns)
    lines = first.loc[clash["record_key"], "source_line"].to_numpy()
    said = clash["name_raw"].fillna("")
    if "dob_raw" in clash:
        said = said + np.where(clash["dob_raw"].notna(), " " + clash["dob_raw"].fillna(""), "")
    return pd.DataFrame(
        {
            "source_line": clash["source_line"].to_numpy(dtype=np.int64),
            "field": "record_key",
            "reason": [
                f"record key '{k}' names another identity on line {int(n)}: both mentions kept"
                for k, n in zip(clash["record_key"], lines, strict=True)
            ],
            "raw": said.to_numpy(dtype=object),
            "record_key": clash["record_key"].to_numpy(dtype=object),
        }
    )


NAME = st.one_of(st.none(), st.sampled_from(["SMITH", "SMYTH", "", "É", "ÉE"]))
DOB = st.one_of(st.none(), st.sampled_from(["1974-11-15", "1974-11-16", "2000-02-29"]))
MENTION = st.tuples(
    st.sampled_from(["uk/1", "uk/2", "uk/10", "uk/1 ", "é"]), NAME, NAME, DOB, st.integers(2, 9)
)


@given(st.lists(MENTION, max_size=25), st.booleans())
@settings(max_examples=300, deadline=None)
def test_key_conflicts_on_codes_is_the_label_lookup(mentions: list, with_dob: bool) -> None:
    from loaders.build import key_conflicts

    people = pd.DataFrame(
        {
            "record_key": pd.Series([m[0] for m in mentions], dtype=object),
            "surname_norm": pd.Series([m[1] for m in mentions], dtype=object),
            "forename_norm": pd.Series([m[2] for m in mentions], dtype=object),
            "name_raw": pd.Series([f"{m[2]} {m[1]}" for m in mentions], dtype=object),
            "source_line": np.asarray([m[4] for m in mentions], dtype=np.int64),  # repeated lines too
        }
    )
    if with_dob:
        people["dob"] = pd.to_datetime(pd.Series([m[3] for m in mentions], dtype=object))
        people["dob_raw"] = pd.Series([m[3] for m in mentions], dtype=object)
    people.index = people.index[::-1]  # an index that is not positions
    got, want = key_conflicts(people), _old_key_conflicts(people)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_exact=True)
