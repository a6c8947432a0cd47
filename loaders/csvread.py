"""Read one extract file into strings, exactly as delivered, or refuse it whole with a reason.

Forces send UTF-8 with or without a byte-order mark, or Windows-1252; CRLF or LF; RFC 4180
quoting with commas, quotes and newlines inside fields. Every record keeps the physical line
it starts on so a quarantine entry can send a person straight to it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

csv.field_size_limit(sys.maxsize)  # over-long fields are quarantined by the builder, not crashed on

LINE = "__line__"


class FileRefused(ValueError):
    """The file is not what it claims to be; nothing from it is loaded."""


@dataclass
class RawTable:
    """One file: identified and its header checked at once; its rows parsed on demand.

    Parsing waits for ``parse()`` so that an extract already in staging is recognised by its
    hash without the cost of reading every row again.
    """

    path: Path
    sha256: str
    encoding: str
    header: list[str]
    text: str = field(repr=False)
    delimiter: str = ","
    frame: pd.DataFrame = field(init=False, repr=False)  # trimmed str per column, None when blank; plus LINE
    malformed: list[tuple[int, str, list[str]]] = field(init=False, repr=False)  # (line, reason, values)
    longest: dict[str, int] = field(init=False, repr=False)  # longest value per column

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)

    def parse(self) -> RawTable:
        """Read every row; rows with the wrong number of fields are kept aside, not dropped."""
        if hasattr(self, "frame"):
            return self
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader)
        width = len(self.header)
        rows: list[list[str]] = []
        lines: list[int] = []
        malformed: list[tuple[int, str, list[str]]] = []
        previous_end = reader.line_num
        try:
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if len(record) == width:
                    rows.append(record)
                    lines.append(start)
                elif not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line is not a row
                else:
                    malformed.append((start, f"row has {len(record)} fields, header has {width}", record))
        except csv.Error as exc:
            raise FileRefused(f"{self.path}: line {reader.line_num}: not valid CSV: {exc}") from exc
        columns = list(zip(*rows, strict=True)) if rows else [()] * width
        cleaned = {name: _clean_column(values) for name, values in zip(self.header, columns, strict=True)}
        self.frame = pd.DataFrame({name: series for name, (series, _) in cleaned.items()})
        self.frame[LINE] = pd.Series(lines, dtype="int64")
        self.longest = {name: n for name, (_, n) in cleaned.items()}
        self.malformed = malformed
        self.text = ""  # parsed: the decoded text is no longer needed
        return self


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode as the mapping says, else UTF-8 (BOM or not), else Windows-1252."""
    if b"\x00" in data:
        raise FileRefused(f"{path}: not a CSV text file (contains NUL bytes)")
    candidates = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    last: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            return data.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError as exc:
            last = exc
    assert last is not None
    raise FileRefused(
        f"{path}: cannot decode as {' or '.join(candidates)}: "
        f"byte 0x{data[last.start]:02x} at offset {last.start}"
    )


def read_csv(path: Path, encoding: str | None = None, delimiter: str = ",") -> RawTable:
    """Decode a file and check its header; call ``parse()`` for the rows."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRefused(f"{path}: cannot read: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    text, used = decode(data, path, encoding)
    if not text.strip():
        raise FileRefused(f"{path}: empty file (no header row)")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileRefused(f"{path}: line 1: header is not valid CSV: {exc}") from exc
    header = [h.strip().lstrip("\ufeff").lower() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise FileRefused(f"{path}: line 1: duplicate column(s) {', '.join(dupes)}")
    return RawTable(path=path, sha256=digest, encoding=used, header=header, text=text, delimiter=delimiter)


def _clean_column(values: tuple[str, ...]) -> tuple[pd.Series, int]:
    """Trim in bulk (Arrow kernels, not a Python loop), blanks to None; and the longest value."""
    trimmed = pc.utf8_trim_whitespace(pa.array(values, type=pa.string()))
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    longest = pc.max(pc.utf8_length(trimmed)).as_py() or 0
    return pd.Series(trimmed.to_pandas(), dtype=object), longest


def check_required(table: RawTable, required: list[str]) -> None:
    missing = [c for c in required if c.lower() not in table.header]
    if missing:
        raise FileRefused(
            f"{table.path}: missing required column(s) {', '.join(missing)}"
            f" (header has: {', '.join(table.header) or 'nothing'})"
        )
