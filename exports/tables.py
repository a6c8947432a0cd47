"""Tables as files: CSV (UTF-8 with a byte order mark) and XLSX (openpyxl) for every list the
product exports, with one cell defuser for both.

**Formulas.** A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, or any of these after leading spaces, other white space or control characters, which a
reader may drop: a workbook cannot hold them) is a formula to Excel and LibreOffice:
``=cmd|' /C calc'!A0`` in a name or an address from an extract would run on the analyst's machine
(CSV injection, OWASP). :func:`defuse` writes such text with a leading apostrophe, which
spreadsheets show as text and do not evaluate. Lists are joined with ``;``. Numbers, dates and
booleans are left as they are. Every CSV and XLSX the product writes (API exports, the command
line's files, the safeguarding lists) goes through it: there is no second copy.

**CSV.** UTF-8 with a BOM, so Excel opens accented names (Zoë, Łukasz) as written rather than
as mojibake; rows end in CRLF (RFC 4180).

**XLSX.** Every list: a bold, filled header row that stays in view (frozen panes) with filters on
it, columns as wide as their contents (within limits), the protective marking in the printed
header and footer, the header row repeated on each printed page, landscape. An ``about`` sheet
says what the list is, for whom and when it was made. Characters a workbook cannot hold (control
characters from a bad extract) are dropped rather than failing the whole export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKING = "OFFICIAL-SENSITIVE"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"

ABOUT = "about"  # the sheet saying what the workbook is, for whom and when
HEADER_FILL = "1F3864"  # dark blue
HEADER_FONT = "FFFFFF"
MIN_WIDTH, MAX_WIDTH = 8, 60
WIDTH_SAMPLE = 2000  # rows measured for column widths
# Characters XML 1.0 (and so a workbook) cannot hold; openpyxl raises on them.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]|[\ud800-\udfff]|[\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# what may come before a formula's first character and be skipped, trimmed or dropped on the way
_LEADING = re.compile(r"^[\s\x00-\x1f\x7f]+")


def defuse(value: Any) -> Any:
    """One cell, safe to write to CSV or XLSX (see the module's docstring)."""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        value = ";".join("" if v is None else str(v) for v in items)
    if isinstance(value, str) and (value[:1] in TRIGGERS or _LEADING.sub("", value)[:1] in TRIGGERS):
        return "'" + value
    return value


def defuse_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each :func:`defuse`-d."""
    return [defuse(v) for v in values]


@dataclass
class Table:
    """One list: its sheet name, column names and rows (sequences in column order, or dicts read
    by column name)."""

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any] | dict[str, Any]]
    # what the columns mean, shown on the about sheet (column -> text)
    notes: dict[str, str] = field(default_factory=dict)

    def values(self) -> Iterable[list[Any]]:
        for row in self.rows:
            if isinstance(row, dict):
                yield [row.get(c) for c in self.columns]
            else:
                yield list(row)


def csv_text(table: Table) -> str:
    """The table as CSV text, cells defused, starting with the BOM."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(defuse_row(table.columns))
    for row in table.values():
        writer.writerow(defuse_row(_csv_cell(v) for v in row))
    return buf.getvalue()


def csv_bytes(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a BOM."""
    return csv_text(table).encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN from a frame: an empty cell
        return None
    return value


def _xlsx_cell(value: Any) -> Any:
    value = defuse(value)
    if value is None:
        return None
    if isinstance(value, str):
        return defuse(_ILLEGAL.sub("", value))  # "\x08=..." is "=..." once the control character goes
    if isinstance(value, bool | int | dt.date | dt.time):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:  # workbooks hold no zones
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, float):
        return None if value != value else value
    return defuse(_ILLEGAL.sub("", str(value)))


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique worksheet name: at most 31 characters, none of ``[]:*?/\\``."""
    base = (_SHEET_NAME_BAD.sub(" ", _ILLEGAL.sub("", name)).strip(" '") or "list")[:31]
    taken = taken if taken is not None else set()
    out, n = base, 1
    while out.lower() in {t.lower() for t in taken}:
        n += 1
        out = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(out)
    return out


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _style_sheet(ws: Any, columns: Sequence[str], widths: list[int], marking: str, title: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True, color=HEADER_FONT)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for i in range(1, len(columns) + 1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, w + 2))
    _mark(ws, marking, title)
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _mark(ws: Any, marking: str, title: str) -> None:
    """The protective marking centred in the printed header and footer of every page."""
    left = _header_text(title)
    for hf in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        hf.center.text = marking
        hf.center.font = "Arial,Bold"
        if left:  # an empty part would be written as a bare "&L", which readers misparse
            hf.left.text = left
    for hf in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        hf.center.text = marking
        hf.center.font = "Arial,Bold"
        hf.right.text = "Page &P of &N"


def _header_text(text: str) -> str:
    # '&' starts a header/footer code ('&C' the centre section, '&P' the page). Doubled it prints as
    # itself in Excel, but a reader that splits the sections first takes '&&C' for a section and
    # moves the marking: written as 'and', a title cannot touch the marking however it reads
    return re.sub(r"\s*&\s*", " and ", _ILLEGAL.sub("", text)).strip()[:120]


def xlsx_bytes(
    tables: Sequence[Table],
    about: Sequence[tuple[str, Any]] = (),
    *,
    title: str = "",
    marking: str = MARKING,
) -> bytes:
    """A workbook with one styled sheet per table and an ``about`` sheet (the marking, then
    ``about``'s lines, then the tables' column notes)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = {ABOUT}  # the about sheet keeps its name: a list called "About" becomes "About~2"
    for table in tables:
        ws = wb.create_sheet(sheet_name(table.name, taken))
        ws.append([_xlsx_cell(c) for c in table.columns])
        widths = [_width(c) for c in table.columns]
        for n, row in enumerate(table.values()):
            cells = [_xlsx_cell(v) for v in row]
            ws.append(cells)
            if n < WIDTH_SAMPLE:
                for i, v in enumerate(cells[: len(widths)]):
                    widths[i] = max(widths[i], _width(v))
        _style_sheet(ws, table.columns, widths, marking, title or table.name)
    info = wb.create_sheet(ABOUT)
    lines: list[tuple[str, Any]] = [("marking", marking), *about]
    for table in tables:
        lines += [(f"{table.name}: {col}", text) for col, text in table.notes.items()]
    info.append(["", ""])
    for key, value in lines:
        info.append([_xlsx_cell(key), _xlsx_cell(value)])
    info.delete_rows(1)
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 100
    _mark(info, marking, title or "about")
    wb.properties.title = _ILLEGAL.sub("", title)[:200] or None
    wb.properties.keywords = marking
    wb.properties.category = marking
    wb.properties.creator = "dots"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write(path: Path, tables: Sequence[Table], about: Sequence[tuple[str, Any]] = (), *, title: str = "") -> int:
    """Write ``tables`` to ``path`` as XLSX (``.xlsx``) or CSV (anything else; one table only).
    Returns the number of rows written."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        materialised = [Table(t.name, t.columns, list(t.values()), t.notes) for t in tables]
        path.write_bytes(xlsx_bytes(materialised, about, title=title))
        return sum(len(t.rows) for t in materialised)  # type: ignore[arg-type]
    if len(tables) != 1:
        raise ValueError("a CSV file holds one table")
    rows = list(tables[0].values())
    path.write_bytes(csv_bytes(Table(tables[0].name, tables[0].columns, rows)))
    return len(rows)
