"""Vectorised standardisers the loaders apply to whole extract columns.

Every function takes a pandas Series of raw strings (None, NaN and "" allowed) and returns a
Series or DataFrame on the same index. Bad values never raise: they come back as null with a
``valid`` flag or an ``error`` reason, so the loader can flag the value or quarantine the row.
Per-value work runs once per distinct value (see ``_distinct``), so a million-row column takes
seconds. The reference tables they resolve against (forces, offence codes, harm) are the
:mod:`reference` package's.
"""

from .dates import parse_dates
from .forces import force_codes
from .identifiers import cro_check_letter, parse_cro, parse_pnc, pnc_check_letter
from .names import name_parts, split_names
from .offences import classify_offences
from .phones import parse_phones
from .postcodes import parse_postcodes, postcode_from_text
from .text import fold
from .vocab import relationships, risks, roles, sexes, yes_no

__all__ = [
    "classify_offences",
    "cro_check_letter",
    "fold",
    "force_codes",
    "name_parts",
    "parse_cro",
    "parse_dates",
    "parse_phones",
    "parse_pnc",
    "parse_postcodes",
    "pnc_check_letter",
    "postcode_from_text",
    "relationships",
    "risks",
    "roles",
    "sexes",
    "split_names",
    "yes_no",
]
