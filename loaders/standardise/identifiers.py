"""PNC IDs and CRO numbers: canonical form and check-letter validation, vectorised.

A valid PNC ID on both sides of a pair is near-certain evidence of one person, and two different
valid ones mean two people, so only IDs whose check letter holds are given a canonical form.

* PNC ID ``YYYY/NNNNNNNA`` or ``YY/NNNNNNNA``, any case and spacing; the serial may be written
  without leading zeros, and the slash may be left out when the serial has all 7 digits. Check letter:
  the two-digit year followed by the serial zero-padded to 7 digits, read as one integer, mod 23,
  indexes ``ZABCDEFGHJKLMNPQRTUVWXY``. Canonical ``YYYY/NNNNNNNA``: a two-digit year at or after
  ``pivot`` (default 30) is 19YY, before it 20YY; the serial is padded to 7 digits.
* CRO number ``NNNNNN/YYA`` (serial up to 6 digits) or ``SFYY/NNNNNNA`` (fingerprint-only
  records): the same alphabet over the two-digit year followed by the serial padded to 6 digits.
  Canonical form: as written, upper case, no spaces, serial padded to 6 digits.

Both parsers return the canonical value, ``valid`` (None for blank, False for a bad format or
check letter, when the value is None) and ``error`` with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._distinct import map_distinct

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
_LETTERS = np.array(list(CHECK_ALPHABET))
PNC_PIVOT = 30

_PNC = (
    r"^(?:(?P<y4>(?:19|20)\d{2})|(?P<y2>\d{2}))"  # a slash, or none when the serial has all 7 digits
    r"(?:/(?P<serial>\d{1,7})|(?P<bare>\d{7}))(?P<check>[A-Z])$"
)
_CRO = r"^(?:(?P<serial>\d{1,6})/(?P<yy>\d{2})|SF(?P<sf_yy>\d{2})/(?P<sf_serial>\d{1,6}))(?P<check>[A-Z])$"


def pnc_check_letter(year2: int, serial: int) -> str:
    """PNC check letter for a two-digit year and a serial (the test generator uses this)."""
    return CHECK_ALPHABET[(year2 % 100 * 10**7 + serial) % 23]


def cro_check_letter(year2: int, serial: int) -> str:
    """CRO check letter: same alphabet over the two-digit year and the serial padded to 6."""
    return CHECK_ALPHABET[(year2 % 100 * 10**6 + serial) % 23]


def _compact(text: pd.Series) -> pd.Series:
    return text.str.upper().str.replace(r"\s+", "", regex=True)


def _checked(ok: pd.Series, expected: pd.Series, given: pd.Series, raw: pd.Series, what: str) -> pd.DataFrame:
    """valid/error columns from the format mask and the expected vs given check letters."""
    good = ok & (expected == given)
    error = pd.Series(None, index=raw.index, dtype=object)
    error[~ok] = [f"bad {what} format '{v}'" for v in raw[~ok]]
    bad = ok & ~good
    error[bad] = [
        f"bad {what} check letter '{v}' (expected {e})" for v, e in zip(raw[bad], expected[bad], strict=True)
    ]
    return pd.DataFrame({"valid": good, "error": error})


def _letters(year2: pd.Series, serial: pd.Series, width: int) -> pd.Series:
    number = year2.to_numpy(dtype=np.int64) * 10**width + serial.to_numpy(dtype=np.int64)
    return pd.Series(_LETTERS[number % 23], index=year2.index)


def parse_pnc(s: pd.Series, pivot: int = PNC_PIVOT) -> pd.DataFrame:
    """Canonical ``pnc`` (``YYYY/NNNNNNNA``), ``valid`` and ``error`` for PNC IDs as written.

    ``pivot`` decides the century of a two-digit year: YY >= pivot is 19YY, otherwise 20YY.
    """

    def worker(text: pd.Series) -> pd.DataFrame:
        parts = _compact(text).str.extract(_PNC)
        parts["serial"] = parts["serial"].where(parts["serial"].notna(), parts["bare"])
        ok = parts["check"].notna()
        y4 = pd.to_numeric(parts["y4"], errors="coerce")
        y2 = pd.to_numeric(parts["y2"], errors="coerce")
        year = y4.fillna(y2 + np.where(y2 >= pivot, 1900, 2000)).fillna(0).astype(np.int64)
        serial = pd.to_numeric(parts["serial"], errors="coerce").fillna(0).astype(np.int64)
        expected = _letters(year % 100, serial, 7)
        checked = _checked(ok, expected, parts["check"], text, "PNC ID")
        canonical = year.astype(str) + "/" + parts["serial"].str.zfill(7) + parts["check"]
        return pd.DataFrame({"pnc": canonical.where(checked["valid"], None), **checked})

    return _typed(map_distinct(s, worker, {"pnc": None, "valid": None, "error": None}))


def parse_cro(s: pd.Series) -> pd.DataFrame:
    """Canonical ``cro`` (``NNNNNN/YYA`` or ``SFYY/NNNNNNA``), ``valid`` and ``error``."""

    def worker(text: pd.Series) -> pd.DataFrame:
        parts = _compact(text).str.extract(_CRO)
        is_sf = parts["sf_yy"].notna()
        parts["yy"] = parts["yy"].where(parts["yy"].notna(), parts["sf_yy"])
        parts["serial"] = parts["serial"].where(parts["serial"].notna(), parts["sf_serial"])
        ok = parts["check"].notna()
        yy = pd.to_numeric(parts["yy"], errors="coerce").fillna(0).astype(np.int64)
        serial = pd.to_numeric(parts["serial"], errors="coerce").fillna(0).astype(np.int64)
        expected = _letters(yy, serial, 6)
        checked = _checked(ok, expected, parts["check"], text, "CRO number")
        padded = parts["serial"].str.zfill(6)
        canonical = (padded + "/" + parts["yy"] + parts["check"]).where(
            ~is_sf, "SF" + parts["yy"] + "/" + padded + parts["check"]
        )
        return pd.DataFrame({"cro": canonical.where(checked["valid"], None), **checked})

    return _typed(map_distinct(s, worker, {"cro": None, "valid": None, "error": None}))


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    out["valid"] = out["valid"].astype("boolean")
    return out
