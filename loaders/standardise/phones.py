"""Phone numbers to E.164, the form linkage compares.

``phonenumbers`` decides validity, but parsing one number costs about 60 us, and phone numbers
are nearly all distinct, so a million would take a minute. For the default region GB the common
shapes (``07911 123456``, ``+44 7911 123456``, ``0044 ...``, ``(0191) 123 4567``) take a
vectorised fast path that applies phonenumbers' own metadata patterns for +44 (GB, Guernsey,
Isle of Man, Jersey) to the national number, exactly as ``is_valid_number`` does. Anything else
(other countries, extensions, "+44 (0)...") goes to ``phonenumbers.parse`` + ``is_valid_number``
once per distinct value.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat

from ._distinct import map_distinct_series

_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
_TYPES += ("fixed_line", "mobile")


def _with_length(pattern: str, lengths: tuple[int, ...]) -> str:
    sizes = "|".join(rf"\d{{{n}}}" for n in lengths if n > 0)
    return rf"(?=(?:{sizes})$)(?:{pattern})" if sizes else f"(?:{pattern})"


@cache
def _region_rule(region: str) -> tuple[re.Pattern[str] | None, re.Pattern[str]]:
    """(leading-digits pattern, validity pattern) for one region, from phonenumbers' metadata.

    The validity pattern is the test ``is_valid_number_for_region`` makes: the number fits the
    general description (pattern and possible lengths) and at least one number type's.
    """
    meta = PhoneMetadata.metadata_for_region(region)
    general = meta.general_desc
    general_lengths = tuple(general.possible_length or ())
    kinds = []
    for name in _TYPES:
        desc = getattr(meta, name)
        if desc is not None and desc.national_number_pattern:
            kinds.append(_with_length(desc.national_number_pattern, tuple(desc.possible_length or ())))
    valid = rf"(?={_with_length(general.national_number_pattern, general_lengths)}$)(?:{'|'.join(kinds)})"
    leading = re.compile(meta.leading_digits) if meta.leading_digits else None
    return leading, re.compile(valid)


def _valid_44(nsn: pd.Series) -> pd.Series:
    """phonenumbers' ``is_valid_number`` for +44 national numbers, vectorised.

    +44 is shared by GB, Guernsey, the Isle of Man and Jersey; as in phonenumbers, a region with
    leading digits claims a number by them, any other claims it by being valid for it.
    """
    valid = pd.Series(False, index=nsn.index)
    undecided = nsn
    for region in phonenumbers.region_codes_for_country_code(44):
        if undecided.empty:
            break
        leading, pattern = _region_rule(region)
        fits = undecided.str.fullmatch(pattern).astype(bool)
        claims = undecided.str.match(leading).astype(bool) if leading else fits
        valid[fits.index[claims & fits]] = True
        undecided = undecided[~claims]
    return valid


def _slow(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def parse_phones(s: pd.Series, region: str = "GB") -> pd.Series:
    """E.164 form of each phone number (``07252201223`` -> ``+447252201223``), None if invalid or blank."""

    def worker(text: pd.Series) -> pd.Series:
        out = pd.Series(None, index=text.index, dtype=object)
        todo = pd.Series(True, index=text.index)
        if region.upper() == "GB":
            compact = text.str.replace(r"[\s\-.()]", "", regex=True)
            nsn = compact.str.extract(r"^(?:0|(?:\+|00)44)([1-9]\d{6,9})$", expand=False)
            fast = _valid_44(nsn.dropna()).reindex(nsn.index, fill_value=False)
            out[fast] = "+44" + nsn[fast]
            todo = nsn.isna()
        if todo.any():
            out[todo] = [_slow(v, region) for v in text[todo]]
        return out

    return map_distinct_series(s, worker)
