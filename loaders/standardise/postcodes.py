"""UK postcodes: one stored spelling ("DH1 9BY") and the area/district/sector used for blocking.

Validation is by format only, never by changing characters: case and spacing are normalised,
but a postcode with a wrong character is invalid, not "fixed" (uk_postcodes_parsing's
``attempt_fix`` would turn an O into a 0 and so invent an address). Real postcodes are not
required: a format-valid postcode that the ONS directory does not list is still valid, since
extracts (and the synthetic data) hold retired and made-up ones; ``check_directory=True`` adds
an ``in_directory`` column from the directory bundled with uk_postcodes_parsing.

Two formats: ``strict=True`` (default) applies the Royal Mail letter rules (no Q, V or X first;
no C, I, K, M, O or V in the inward unit; ...), ``strict=False`` uses uk_postcodes_parsing's own
looser pattern (any letters in the letter positions). Both are applied as vectorised regular
expressions on the distinct values: the library parses one value at a time (about 80 us each,
mostly its directory look-up), which would take over a minute for a million distinct postcodes.
``district`` here is the whole outward code (``EC1R``), which staging stores as the district;
uk_postcodes_parsing calls that the sub-district and uses ``EC1`` as district.
"""

from __future__ import annotations

import pandas as pd
import uk_postcodes_parsing as ukp

from ._distinct import map_distinct, map_distinct_series

_STRICT_OUT = (
    r"(?:[A-PR-UWYZ](?:[0-9][0-9]?|[A-HK-Y][0-9][0-9]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]))"
)
_STRICT_IN = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_LOOSE_OUT = r"[A-Z]{1,2}[0-9][A-Z0-9]?"  # uk_postcodes_parsing.postcode_utils.POSTCODE_REGEX
_LOOSE_IN = r"[0-9][A-Z]{2}"
COLUMNS = ("postcode", "area", "district", "sector", "valid")


def _pattern(strict: bool) -> str:
    if strict:
        return rf"^(?P<out>{_STRICT_OUT}|GIR)(?P<inw>{_STRICT_IN})$"
    return rf"^(?P<out>{_LOOSE_OUT})(?P<inw>{_LOOSE_IN})$"


def _parse_distinct(text: pd.Series, strict: bool) -> pd.DataFrame:
    compact = text.str.upper().str.replace(r"\s+", "", regex=True).str.replace(r"^\W+|\W+$", "", regex=True)
    parts = compact.str.extract(_pattern(strict))
    valid = parts["out"].notna()
    if strict:  # GIR 0AA (the old Girobank code) is the only postcode with a GIR outward code
        valid &= (parts["out"] != "GIR") | (parts["inw"] == "0AA")
    out, inw = parts["out"].where(valid), parts["inw"].where(valid)
    frame = pd.DataFrame(
        {
            "postcode": out + " " + inw,
            "area": out.str.extract(r"^([A-Z]+)", expand=False),
            "district": out,
            "sector": out + " " + inw.str[0],
            "valid": valid,
        }
    )
    return frame.astype({c: object for c in COLUMNS[:-1]})


def parse_postcodes(s: pd.Series, *, strict: bool = True, check_directory: bool = False) -> pd.DataFrame:
    """Normalise postcodes in any case and spacing: ``dh19by`` -> ``DH1 9BY``.

    Returns ``postcode``, ``area`` (``DH``), ``district`` (outward code ``DH1``), ``sector``
    (``DH1 9``) and ``valid`` (nullable bool: None for blank, False for a bad format, when the
    other columns are None). ``check_directory`` adds ``in_directory`` (None unless valid).
    """
    fill = dict.fromkeys(COLUMNS)
    out = map_distinct(s, lambda t: _parse_distinct(t, strict), fill)
    out["valid"] = out["valid"].astype("boolean")
    if check_directory:
        listed = map_distinct_series(out["postcode"], lambda t: t.map(ukp.is_in_ons_postcode_directory))
        out["in_directory"] = listed.astype("boolean")
    return out


def postcode_from_text(s: pd.Series, *, strict: bool = True) -> pd.Series:
    """The last UK postcode written in a free-text address, normalised, or None.

    Court extracts put the postcode inside ``respondent_address``; the last match is taken
    because a postcode ends a UK address.
    """
    outward, inward = (_STRICT_OUT, _STRICT_IN) if strict else (_LOOSE_OUT, _LOOSE_IN)
    pattern = rf"(?s)^.*(?<![A-Z0-9])((?:{outward})\s*(?:{inward}))(?![A-Z0-9])"

    def worker(text: pd.Series) -> pd.Series:
        found = text.str.upper().str.extract(pattern, expand=False)
        return _parse_distinct(found.fillna(""), strict)["postcode"]

    return map_distinct_series(s, worker)
