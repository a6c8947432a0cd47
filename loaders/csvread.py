"""Read one extract file into strings, exactly as delivered, or refuse it whole with a reason.

Forces send UTF-8 with or without a byte-order mark, or Windows-1252; CRLF or LF; RFC 4180
quoting with commas, quotes and newlines inside fields. Every record keeps the physical line
it starts on so a quarantine entry can send a person straight to it.

A file is decoded as one encoding, never a mixture: a UTF-8 file with a stray Windows-1252 byte
stays UTF-8 and only the row holding the byte is quarantined, where reading the whole file as
Windows-1252 would silently turn every accented name into mojibake. A NUL byte in a field
quarantines its row, not the file. Line endings are made LF before parsing (inside quoted fields
too), so the same extract delivered with other line endings or without its byte-order mark has
the same ``content_id``, and so does one whose rows arrive in another order.
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

csv.field_size_limit(sys.maxsize)  # over-long fields are quarantined by the builder, not crashed on

LINE = "__line__"
# Bytes that did not decode are kept as lone surrogates (the "surrogateescape" error handler).
_STRAY = re.compile("[\udc80-\udcff]")
_UNREADABLE = re.compile("[\x00\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
BINARY_NUL_SHARE = 0.1  # more NUL bytes than this share of the file: not a text file at all


class FileRefused(ValueError):
    """The file is not what it claims to be; nothing from it is loaded."""


@dataclass
class Unreadable:
    """A record kept aside before mapping: wrong field count, a NUL byte or an undecodable byte."""

    line: int
    field: str | None
    reason: str
    values: list[str]


@dataclass
class RawTable:
    """One file: identified and its header checked at once; its rows parsed on demand.

    Parsing waits for ``parse()`` so that an extract already in staging is recognised by its
    hash without the cost of reading every row again.
    """

    path: Path
    sha256: str  # of the bytes as delivered
    encoding: str
    header: list[str]
    text: str = field(repr=False)
    delimiter: str = ","
    frame: pd.DataFrame = field(init=False, repr=False)  # trimmed str per column, None when blank; plus LINE
    malformed: list[Unreadable] = field(init=False, repr=False)
    longest: dict[str, int] = field(init=False, repr=False)  # longest value per column
    content_id: str = field(init=False, repr=False)  # of the header and the records, in any order

    @property
    def rows_read(self) -> int:
        return len(self.frame) + len(self.malformed)

    def parse(self, columns: list[str] | None = None) -> RawTable:
        """Read every row; rows that cannot be read are kept aside with the reason, not dropped.

        ``content_id`` reads the columns in one order whatever order the file has them in: those
        of ``columns`` (the mapping's, so an extract in its documented order keeps the id it always
        had) and then the rest by name. The same extract exported with its columns in another
        order is the same content, not a second delivery of every row."""
        if hasattr(self, "frame"):
            return self
        with _collector_paused():
            return self._parse(columns or [])

    def _parse(self, columns: list[str]) -> RawTable:
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader)
        width = len(self.header)
        first = [c for c in dict.fromkeys(c.lower() for c in columns) if c in self.header]
        canonical = first + sorted(h for h in self.header if h not in first)
        order = [self.header.index(name) for name in canonical]
        reorder = order != list(range(width))
        check = _UNREADABLE.search(self.text) is not None
        rows: list[list[str]] = []
        lines: list[int] = []
        malformed: list[Unreadable] = []
        records: list[bytes] = []  # a digest per record: the content, whatever the order
        previous_end = reader.line_num
        try:
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line is not a row
                values = [record[i] for i in order] if reorder and len(record) == width else record
                records.append(hashlib.sha256("\x1f".join(values).encode("utf-8", "surrogateescape")).digest())
                if len(record) != width:
                    reason = f"row has {len(record)} fields, header has {width}"
                    malformed.append(Unreadable(start, None, reason, [_visible(v) for v in record]))
                elif check and (bad := _unreadable(record, self.header, self.encoding)):
                    malformed.append(Unreadable(start, bad[0], bad[1], [_visible(v) for v in record]))
                else:
                    rows.append(record)
                    lines.append(start)
        except csv.Error as exc:
            raise FileRefused(f"{self.path}: line {reader.line_num}: not valid CSV: {exc}") from exc
        records.sort()
        digest = hashlib.sha256("\x1f".join(canonical).encode("utf-8", "surrogateescape"))
        digest.update(b"".join(records))
        self.content_id = digest.hexdigest()
        columns = list(zip(*rows, strict=True)) if rows else [()] * width
        cleaned = {name: _clean_column(values) for name, values in zip(self.header, columns, strict=True)}
        self.frame = pd.DataFrame({name: series for name, (series, _) in cleaned.items()})
        self.frame[LINE] = pd.Series(lines, dtype="int64")
        self.longest = {name: n for name, (_, n) in cleaned.items()}
        self.malformed = malformed
        self.text = ""  # parsed: the decoded text is no longer needed
        return self


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file's rows are built: every few hundred new lists
    it walks all the rows read so far (none of which form cycles), a third of the parse's time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _unreadable(record: list[str], header: list[str], encoding: str) -> tuple[str, str] | None:
    """(column, reason) for the first field holding a NUL or an undecodable byte, else None."""
    for name, value in zip(header, record, strict=True):
        found = _UNREADABLE.search(value)
        if found is None:
            continue
        char = found.group()
        if char == "\x00":
            return name, f"NUL byte in field '{name}'"
        return name, f"byte 0x{ord(char) - 0xDC00:02x} in field '{name}' is not {encoding} (file read as {encoding})"
    return None


def _visible(value: str) -> str:
    """A value safe to store and show: undecodable bytes written as ``\\xNN``, NUL as ``\\x00``."""
    return _UNREADABLE.sub(lambda m: f"\\x{(ord(m.group()) & 0xFF):02x}", value)


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode as the mapping says, else UTF-8 (BOM or not), else Windows-1252; LF line endings.

    A file that does not decode cleanly as UTF-8 is still UTF-8 when it holds at least as many
    well-formed multi-byte characters as stray bytes (a UTF-8 extract with a pasted Windows-1252
    character); otherwise it is Windows-1252. Either way a byte that does not decode stays a
    marker its row is quarantined for, and the file is never split between two encodings.
    """
    if data.count(b"\x00") > len(data) * BINARY_NUL_SHARE:
        raise FileRefused(f"{path}: not a CSV text file (contains NUL bytes)")
    if encoding:
        try:
            text, used = data.decode(encoding, "surrogateescape"), encoding
        except LookupError as exc:
            raise FileRefused(f"{path}: unknown encoding '{encoding}' in the mapping") from exc
    else:
        text, used = _guess(data)
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n"), used


# Where the reader ends a physical line of the delivered text: decode() makes each CRLF one LF,
# then the reader ends a line at CRLF, CR or LF; so a delivered CR CR LF ends one line, not two.
_LINE_END = re.compile("\r\r\n|\r\n|\n|\r")


def physical_lines(data: bytes, encoding: str) -> list[bytes]:
    """The delivered bytes cut into the physical lines the reader numbers (``LINE`` 1 is the
    first), each with its line ending as delivered: so a file can be written again without some
    rows, every other byte as it came (``loaders.delivered``). ``encoding`` is the one the file
    was read with (:attr:`RawTable.encoding`); a byte it does not decode comes back as it was."""
    text = data.decode(encoding, "surrogateescape")
    encoder = codecs.getincrementalencoder(encoding)("surrogateescape")  # a byte-order mark once, not per line
    out, start = [], 0
    for end in _LINE_END.finditer(text):
        out.append(encoder.encode(text[start : end.end()]))
        start = end.end()
    if start < len(text):
        out.append(encoder.encode(text[start:]))
    return out


def _guess(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf8 = data.decode("utf-8-sig", "surrogateescape")
    if data.startswith(codecs.BOM_UTF8):
        return utf8, "utf-8"
    stray = len(_STRAY.findall(utf8))
    multibyte = len(_NON_ASCII.findall(utf8)) - stray
    if multibyte >= stray:
        return utf8, "utf-8"
    return data.decode("cp1252", "surrogateescape"), "cp1252"


def read_csv(path: Path, encoding: str | None = None, delimiter: str = ",") -> RawTable:
    """Decode a file and check its header; call ``parse()`` for the rows."""
    if path.exists() and not path.is_file():  # reading a pipe would wait for a writer for ever
        raise FileRefused(f"{path}: not a regular file (a pipe, socket or device)")
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
    if any("\x00" in name for name in header):
        raise FileRefused(f"{path}: not a CSV text file (contains NUL bytes in its header)")
    for name in header:
        if _UNREADABLE.search(name):
            raise FileRefused(f"{path}: line 1: header has an undecodable byte in '{_visible(name)}'")
    header = [h.strip().lower() for h in header]
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
