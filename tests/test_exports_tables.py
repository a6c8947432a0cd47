"""Every list as a file (exports.tables): cells that cannot run as formulas, CSV that Excel reads
as UTF-8, workbooks with a styled, frozen, filtered header and the protective marking, for any
text an extract could carry (control characters, formula starters, accents, very long names)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import load_workbook

from exports.tables import MARKING, TRIGGERS, Table, csv_bytes, defuse, sheet_name, write, xlsx_bytes

cells = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["=cmd|' /C calc'!A0", "+44 191", "-1", "@SUM(A1)", "\t=x", "\r=x", "  =1+1", "Zoë Łukasz"]),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.dates(),
    st.none(),
    st.lists(st.text(max_size=10), max_size=3),
)


def _starts_formula(text: str) -> bool:
    """A formula to a spreadsheet, after anything a reader may skip or drop before it."""
    return text[:1] in TRIGGERS or text.lstrip("".join(map(chr, range(33))) + "\x7f\xa0\u2028\u3000")[:1] in TRIGGERS


@given(st.one_of(st.text(max_size=40), st.lists(st.text(max_size=10), max_size=3), st.integers(), st.none()))
def test_no_defused_cell_starts_a_formula(value):
    out = defuse(value)
    if isinstance(out, str):
        assert not _starts_formula(out)
        text = ";".join(map(str, value)) if isinstance(value, list) else value
        assert out in (text, "'" + text)  # the text itself is kept, only marked as text
    else:
        assert out == value


@given(st.lists(st.lists(cells, min_size=3, max_size=3), max_size=6))
@example([["=HYPERLINK(\"http://x\")", "Zoë", dt.date(2024, 6, 30)]])
def test_csv_has_a_bom_and_reads_back_as_text(rows):
    body = csv_bytes(Table("t", ["name", "=b", "c"], rows))
    assert body.startswith(b"\xef\xbb\xbf")
    back = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert back[0] == ["name", "'=b", "c"]
    assert len(back) == len(rows) + 1
    for row, got in zip(rows, back[1:], strict=True):
        texts = [c for v, c in zip(row, got, strict=True) if isinstance(v, str | list)]  # numbers may be negative
        assert not [c for c in texts if _starts_formula(c)]


@given(st.lists(st.lists(cells, min_size=3, max_size=3), max_size=6), st.text(max_size=40))
@example([["a\x00b\x1fc", "=1+1", None]], "serial [perps]: a/b")
@example([["\x08=", "\x00 @SUM(A1)", ["\x1f=a", "b"]], ["\u3000-1", "\n+1", "\x7f=1"]], "")
@example([], "&C")  # a header code in the title must not move the marking
@example([], "R&D &R &&L &P")
@example([], "ABOUT")  # a list named like the about sheet
def test_any_rows_make_a_workbook_with_a_marked_frozen_filtered_header(rows, name):
    wb = load_workbook(io.BytesIO(xlsx_bytes([Table(name, ["name", "born", "list"], rows)], [("made by", "=me")])))
    ws = wb.worksheets[0]
    assert wb.sheetnames[-1] == "about" and len(wb.sheetnames) == 2
    assert [c.value for c in ws[1]] == ["name", "born", "list"]
    assert all(c.font.b for c in ws[1]) and ws["A1"].fill.fgColor.rgb.endswith("1F3864")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:C{len(rows) + 1}"
    assert ws.oddHeader.center.text == MARKING and ws.oddFooter.center.text == MARKING
    assert ws.print_title_rows == "$1:$1"
    assert all(8 <= ws.column_dimensions[c].width <= 60 for c in "ABC")
    values = [c.value for r in ws.iter_rows(min_row=2) for c in r]
    assert not [v for v in values if isinstance(v, str) and _starts_formula(v)]
    about = {r[0].value: r[1].value for r in wb["about"].iter_rows()}
    assert about["marking"] == MARKING and about["made by"] == "'=me"
    assert wb.properties.keywords == MARKING


def test_a_control_character_is_dropped_not_fatal_and_dates_stay_dates():
    rows = [["Zoë\x01 HALL", dt.date(1984, 3, 12), ["a", "b"]]]
    ws = load_workbook(io.BytesIO(xlsx_bytes([Table("x", ["a", "b", "c"], rows)]))).worksheets[0]
    assert [c.value for c in ws[2]] == ["Zoë HALL", dt.datetime(1984, 3, 12), "a;b"]


@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_sheet_names_are_valid_and_unique(names):
    taken: set[str] = set()
    out = [sheet_name(n, taken) for n in names]
    assert len({o.lower() for o in out}) == len(out)
    assert all(0 < len(o) <= 31 and not set(o) & set("[]:*?/\\") for o in out)


def test_write_picks_the_format_from_the_suffix(tmp_path):
    table = Table("list", ["a"], [{"a": 1}, {"a": "=2"}])
    assert write(tmp_path / "x.csv", [table]) == 2
    assert (tmp_path / "x.csv").read_bytes() == b"\xef\xbb\xbfa\r\n1\r\n'=2\r\n"
    assert write(tmp_path / "x.xlsx", [table]) == 2
    assert load_workbook(tmp_path / "x.xlsx").worksheets[0]["A3"].value == "'=2"
