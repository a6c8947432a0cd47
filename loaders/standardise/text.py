"""Folding text for matching: one spelling per name however an extract wrote it.

``fold`` is for comparison keys only (``surname_norm`` and friends); display columns keep the
name as written.
"""

from __future__ import annotations

import re

import pandas as pd
from anyascii import anyascii

from ._distinct import map_distinct_series

_APOSTROPHES = re.compile(r"['`´]")
_NOT_KEPT = re.compile(r"[^A-Z\- ]+")
_HYPHEN = re.compile(r"\s*-[\s-]*")


def fold_one(value: str) -> str | None:
    """Fold one string (see :func:`fold`)."""
    value = value if value.isascii() else anyascii(value)
    value = _NOT_KEPT.sub(" ", _APOSTROPHES.sub("", value.upper()))  # O'Neil -> ONEIL, not O NEIL
    if "-" in value:
        value = _HYPHEN.sub("-", value)  # Smith - Jones -> SMITH-JONES
    value = " ".join(value.split()).strip("-").strip()
    return value or None


def fold_distinct(text: pd.Series) -> pd.Series:
    """Fold a Series of distinct non-null strings (the worker behind :func:`fold`)."""
    return text.map(fold_one)


def fold(s: pd.Series) -> pd.Series:
    """Matching form of free text: ASCII transliteration, upper case, letters/space/hyphen only.

    Wójcik -> WOJCIK, Zoë -> ZOE, O'Neil -> ONEIL, "  mary-jane  smith " -> MARY-JANE SMITH.
    Digits and other punctuation become spaces; whitespace is collapsed; empty gives None.
    """
    return map_distinct_series(s, fold_distinct)
