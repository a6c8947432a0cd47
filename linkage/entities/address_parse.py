"""A documented, rule-based parser for UK addresses as police and court clerks type them.

Why our own: the well-kept parsers do not fit. libpostal (``postal``) needs a 2 GB model that
cannot be fetched here; ``pyap2`` finds addresses inside US-style prose and has no notion of
flats; ``uk_address_matcher`` matches messy addresses to a gazetteer (AddressBase) that the
product does not hold. Free-text UK addresses follow a few conventions (Royal Mail's
sub-building / building / thoroughfare / locality / post town / postcode order), so a small
parser written against them is enough, and every rule below has a test
(tests/test_entities_address_parse.py).

Recognised, case and punctuation ignored:

* sub-building: ``Flat 23``, ``Apartment 4``, ``Apt 4``, ``Unit 2``, ``Room 3``, ``Studio 1``,
  ``Flat A``, a trailing ``F23``, ``23/144`` (flat 23 of number 144), ``Ground Floor Flat``
  and ``First Floor Flat`` (GF, 1F ...);
* building number ``144``, ``14A`` or a range ``144-146``; ``144, Park Avenue`` too;
* building name: a part without a number before the street (``Alder House``) or a quoted part;
* street: the words after the number, street type spelt out (``AVE`` -> ``AVENUE``); when no
  comma separates street and town, the street ends at its last street-type word;
* locality and town: the parts after the street (the last is the town);
* postcode: the separate postcode field when valid, else the last postcode in the text;
* CONFIDENTIAL / WITHHELD / REFUGE (a safe address: flagged, nothing else kept) and
  NO FIXED ABODE / NFA (no place at all).
"""

from __future__ import annotations

import operator
import pickle
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from anyascii import anyascii

if TYPE_CHECKING:  # imported where used: the second process of parse_rows needs neither
    import numpy as np
    import pandas as pd

STREET_TYPES = {
    "ROAD": "ROAD",
    "RD": "ROAD",
    "STREET": "STREET",
    "ST": "STREET",
    "STR": "STREET",
    "AVENUE": "AVENUE",
    "AVE": "AVENUE",
    "AV": "AVENUE",
    "AVN": "AVENUE",
    "CLOSE": "CLOSE",
    "CL": "CLOSE",
    "TERRACE": "TERRACE",
    "TERR": "TERRACE",
    "TER": "TERRACE",
    "TCE": "TERRACE",
    "CRESCENT": "CRESCENT",
    "CRES": "CRESCENT",
    "CRESC": "CRESCENT",
    "DRIVE": "DRIVE",
    "DR": "DRIVE",
    "DRV": "DRIVE",
    "LANE": "LANE",
    "LN": "LANE",
    "GARDENS": "GARDENS",
    "GDNS": "GARDENS",
    "GDN": "GARDENS",
    "WAY": "WAY",
    "COURT": "COURT",
    "CT": "COURT",
    "CRT": "COURT",
    "PLACE": "PLACE",
    "PL": "PLACE",
    "GROVE": "GROVE",
    "GRO": "GROVE",
    "GR": "GROVE",
    "GRV": "GROVE",
    "VIEW": "VIEW",
    "VW": "VIEW",
    "WALK": "WALK",
    "WLK": "WALK",
    "SQUARE": "SQUARE",
    "SQ": "SQUARE",
    "PARADE": "PARADE",
    "PDE": "PARADE",
    "HILL": "HILL",
    "ROW": "ROW",
    "RISE": "RISE",
    "MEWS": "MEWS",
    "GREEN": "GREEN",
    "PARK": "PARK",
    "PK": "PARK",
    "WHARF": "WHARF",
    "YARD": "YARD",
    "CHASE": "CHASE",
    "VALE": "VALE",
    "HEIGHTS": "HEIGHTS",
    "HTS": "HEIGHTS",
    "BOULEVARD": "BOULEVARD",
    "BLVD": "BOULEVARD",
    "APPROACH": "APPROACH",
    "CROFT": "CROFT",
    "WYND": "WYND",
    "GATE": "GATE",
    "BANK": "BANK",
}
CONFIDENTIAL_WORDS = (
    "CONFIDENTIAL",
    "WITHHELD",
    "REFUGE",
    "SAFE ADDRESS",
    "NOT DISCLOSED",
    "ADDRESS WITHHELD",
)
NO_FIXED_ABODE = ("NO FIXED ABODE", "NFA", "NO FIXED ADDRESS", "NO FIXED ABODE NFA")

_POSTCODE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})(?![A-Z0-9])")
_UNIT_WORDS = r"FLAT|APARTMENT|APPARTMENT|APT|FLT|UNIT|ROOM|STUDIO|MAISONETTE"
_UNIT = re.compile(rf"^(?:{_UNIT_WORDS})\.?\s*(?:NO\.?\s*)?([0-9]+[A-Z]?|[A-Z])\b\s*")
_FLOOR = re.compile(r"^(GROUND|BASEMENT|LOWER GROUND|FIRST|SECOND|THIRD|TOP|1ST|2ND|3RD)\s+FLOOR(?:\s+FLAT)?\b\s*")
_FLOOR_CODES = {
    "GROUND": "GF",
    "BASEMENT": "BF",
    "LOWER GROUND": "LGF",
    "FIRST": "1F",
    "1ST": "1F",
    "SECOND": "2F",
    "2ND": "2F",
    "THIRD": "3F",
    "3RD": "3F",
    "TOP": "TF",
}
_SUFFIX_UNIT = re.compile(rf"\s+(?:F|(?:{_UNIT_WORDS})\s*)([0-9]+[A-Z]?)$")
_SLASH = re.compile(r"^([0-9]+[A-Z]?)\s*/\s*([0-9]+[A-Z]?)\b\s*")
_NUMBERED = re.compile(r"^([0-9]+[A-Z]?(?:\s*-\s*[0-9]+[A-Z]?)?)\b\s*(.*)$")
_BARE_NUMBER = re.compile(r"^[0-9]+[A-Z]?(?:\s*-\s*[0-9]+[A-Z]?)?$")
_NOT_WORD = re.compile(r"[^A-Z0-9/\- ]+")
_NOT_PART = re.compile(r"[^A-Z0-9/\- ,;\n]+")
_PART_SEP = re.compile(r"[,\n;]+")
_QUOTED = re.compile(r'"([^"]+)"')
_WITHHELD = re.compile(r"(?<![A-Z])(?:" + "|".join(w.replace(" ", r"\W+") for w in CONFIDENTIAL_WORDS) + r")(?![A-Z])")
_NFA = re.compile(r"^\W*(?:NO\W+FIXED\W+(?:ABODE|ADDRESS)|NFA)\b")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ParsedAddress:
    """One address in parts, upper-case ASCII; '' where a part is absent."""

    sub_building: str = ""
    building_number: str = ""
    building_name: str = ""
    street: str = ""
    locality: str = ""
    town: str = ""
    postcode: str = ""
    confidential: bool = False
    no_fixed_abode: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


FIELDS = list(ParsedAddress.__dataclass_fields__)


def normalise_postcode(value: object) -> str:
    """'dh19by' -> 'DH1 9BY'; '' when not a UK postcode."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = re.sub(r"[^A-Z0-9]", "", str(value).upper())
    m = _POSTCODE.fullmatch(text)
    return f"{m.group(1)} {m.group(2)}" if m else ""


def _clean(part: str) -> str:
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", part.replace(".", ""))).strip(" -/")


def normalise_street(street: str) -> str:
    """Street with its type spelt out: 'PARK AVE' -> 'PARK AVENUE' (only the last word)."""
    words = street.split()
    if len(words) >= 2 and words[-1] in STREET_TYPES:
        words[-1] = STREET_TYPES[words[-1]]
    return " ".join(words)


def _split_street(rest: str) -> tuple[str, str]:
    """'PARK AVENUE LONDON' -> ('PARK AVENUE', 'LONDON'): the street ends at its last type word."""
    words = rest.split()
    last = -1
    for i, w in enumerate(words):
        if i >= 1 and w in STREET_TYPES:
            last = i
    if last == -1 or last == len(words) - 1:
        return rest, ""
    return " ".join(words[: last + 1]), " ".join(words[last + 1 :])


def parse_address(text: object, postcode: object = None) -> ParsedAddress:
    """Parse one free-text address (and its separate postcode field, if any)."""
    pc_field = normalise_postcode(postcode)
    if text is None or (isinstance(text, float) and text != text) or not str(text).strip():
        return ParsedAddress(postcode=pc_field)
    raw = str(text) if str(text).isascii() else anyascii(str(text))
    upper = raw.upper()
    if _WITHHELD.search(upper):
        return ParsedAddress(confidential=True)
    if _NFA.match(upper):
        return ParsedAddress(no_fixed_abode=True)
    found = list(_POSTCODE.finditer(upper))
    pc_text = f"{found[-1].group(1)} {found[-1].group(2)}" if found else ""
    if found:
        m = found[-1]
        upper = upper[: m.start()] + upper[m.end() :]
    postcode_out = pc_field or pc_text
    quoted = {_clean(q) for q in _QUOTED.findall(upper)} if '"' in upper else set()
    cleaned = _NOT_PART.sub(" ", upper.replace(".", ""))
    parts = [" ".join(p.split()).strip(" -/") for p in _PART_SEP.split(cleaned)]
    parts = [p for p in parts if p]

    flat = ""
    number = ""
    street = ""
    names: list[str] = []
    places: list[str] = []
    street_at = -1
    i = 0
    while i < len(parts):
        part = parts[i]
        if part in quoted:  # a quoted part is a house name wherever it stands
            names.append(part)
            i += 1
            continue
        if street_at >= 0:
            places.append(part)
            i += 1
            continue
        if not flat:
            m = _UNIT.match(part) or _FLOOR.match(part)
            if m:
                flat = _FLOOR_CODES.get(m.group(1), m.group(1)) if m.re is _FLOOR else m.group(1)
                part = part[m.end() :].strip()
                if not part:
                    i += 1
                    continue
            else:
                m = _SLASH.match(part)
                if m:
                    flat, part = m.group(1), m.group(2) + " " + part[m.end() :].strip()
        m = _NUMBERED.match(part)
        if m:
            number = m.group(1).replace(" ", "")
            rest = m.group(2).strip()
            if not rest and i + 1 < len(parts):  # '144, Park Avenue'
                i += 1
                rest = parts[i]
            if not flat:
                sm = _SUFFIX_UNIT.search(rest)
                if sm:
                    flat, rest = sm.group(1), rest[: sm.start()].strip()
            street, tail = _split_street(rest)
            street_at = i
            if tail:
                places.append(tail)
            i += 1
            continue
        if _BARE_NUMBER.match(part):
            number = part.replace(" ", "")
            i += 1
            continue
        words = part.split()
        if (
            len(words) >= 2
            and words[-1] in STREET_TYPES
            and not any(_NUMBERED.match(p) or _SLASH.match(p) for p in parts[i + 1 :])
        ):
            street, street_at = part, i  # a street without a number
            i += 1
            continue
        names.append(part)
        i += 1
    street = normalise_street(street)
    places = [p for p in places if p]
    town = places[-1] if places else ""
    locality = " ".join(places[:-1]) if len(places) > 1 else ""
    if not number and not street and len(names) >= 2:  # 'Rose Cottage, Little Hadham, Ware'
        town = names[-1]
        locality = " ".join(names[1:-1])
        names = names[:1]
    return ParsedAddress(
        sub_building=flat,
        building_number=number,
        building_name=" ".join(names),
        street=street,
        locality=locality,
        town=town,
        postcode=postcode_out,
    )


# Distinct texts below which a second interpreter's start (half a second) costs more than
# parsing half of them saves (about 20-35 µs a text).
OTHER_PROCESS_MIN = 40_000
# how long the second process may take beyond this one's own half before its texts are parsed
# here instead (it has as many texts, so it needs about as long): a hung process costs time, never the stage
OTHER_PROCESS_GRACE = 60.0
_CHUNK = 20_000  # rows the second process sends at a time: its memory stays the texts and one chunk
_ROW = operator.attrgetter(*FIELDS)
# The second process runs this parser from the same source tree as this one, whatever its
# working directory holds.
_SERVE = "import sys; sys.path.insert(0, sys.argv[1]); from linkage.entities.address_parse import _serve; _serve()"


def _parse_rows(texts: list[str]) -> list[tuple]:
    return [_ROW(parse_address(t)) for t in texts]


class _OtherHalf:
    """Texts parsed by a fresh interpreter (this module's ``_serve``), beside this one's own
    work: a subprocess, never a fork of a large or threaded parent. Threads here send the texts
    and take the rows as they come. If it fails in any way its texts are parsed here, so the
    answer never depends on it."""

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.received: list[tuple] = []
        self.complete = False
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(Path(__file__).resolve().parents[2])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self._send, self._receive)]
        for thread in self.threads:
            thread.start()

    def _send(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(pickle.dumps(self.texts, protocol=pickle.HIGHEST_PROTOCOL))
            self.proc.stdin.close()
        except OSError:
            pass  # it died: rows() parses its texts here

    def _receive(self) -> None:
        assert self.proc.stdout is not None
        try:
            while (chunk := pickle.load(self.proc.stdout)) is not None:
                self.received.extend(chunk)
            self.complete = True
        except Exception:  # noqa: BLE001 - anything it sent that is not rows: parse here instead
            pass

    def rows(self, wait: float) -> list[tuple]:
        """Its rows, or its texts parsed here when it fails or is not done within ``wait`` seconds."""
        self.threads[1].join(wait)
        if self.threads[1].is_alive() or not self.complete:
            # hung (its pipes close, so both threads end), or its rows could not be read: then
            # it may be blocked writing the rest to a pipe no one reads, and would never exit
            self.stop()
        for thread in self.threads:
            thread.join()
        if self.proc.wait() != 0 or not self.complete or len(self.received) != len(self.texts):
            return _parse_rows(self.texts)
        return self.received

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def parse_rows(texts: list[str], other_process: bool = False) -> list[tuple]:
    """Each text parsed, as a tuple of ``FIELDS``. With ``other_process`` (the caller may start
    a process: not a threaded server's request) and enough texts, the second half is parsed by
    a second interpreter on the machine's other core while this one parses the first."""
    if not other_process or len(texts) < OTHER_PROCESS_MIN:
        return _parse_rows(texts)
    half = len(texts) // 2
    other = _OtherHalf(texts[half:])
    try:
        started = time.monotonic()
        mine = _parse_rows(texts[:half])
        return mine + other.rows(wait=OTHER_PROCESS_GRACE + 2 * (time.monotonic() - started))
    finally:
        other.stop()


def parse_many(
    texts: pd.Series | np.ndarray,
    postcodes: pd.Series | np.ndarray | None = None,
    other_process: bool = False,
) -> pd.DataFrame:
    """Parse a column of addresses: the text once per distinct upper-cased spelling, the postcode
    field once per distinct value (a valid field wins over a postcode in the text). With
    ``other_process``, see :func:`parse_rows`."""
    import numpy as np
    import pandas as pd

    texts = pd.Series(np.asarray(texts, dtype=object))
    upper = texts.where(texts.isna(), texts.astype(str).str.upper())
    codes, uniques = pd.factorize(upper, use_na_sentinel=True)
    parsed = parse_rows(list(uniques), other_process) + [_ROW(parse_address(None))]
    table = pd.DataFrame(parsed, columns=FIELDS)
    table = table.iloc[np.where(codes < 0, len(uniques), codes)].reset_index(drop=True)
    if postcodes is not None:
        pcs = pd.Series(np.asarray(postcodes, dtype=object))
        pcodes, puniq = pd.factorize(pcs, use_na_sentinel=True)
        norm = np.asarray([normalise_postcode(x) for x in puniq] + [""], dtype=object)
        field = norm[np.where(pcodes < 0, len(puniq), pcodes)]
        usable = (field != "") & ~table["confidential"].to_numpy() & ~table["no_fixed_abode"].to_numpy()
        table.loc[usable, "postcode"] = field[usable]
    return table


def _serve() -> None:
    """The second process of :func:`parse_rows`: texts in on stdin, rows out on stdout a chunk at
    a time, then None."""
    texts = pickle.load(sys.stdin.buffer)
    for start in range(0, len(texts), _CHUNK):
        pickle.dump(_parse_rows(texts[start : start + _CHUNK]), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.dump(None, sys.stdout.buffer)
    sys.stdout.buffer.flush()
