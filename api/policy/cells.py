"""Spreadsheet cells that cannot run: every CSV and XLSX the product writes (API exports, the
command line's exports) passes its cells through :func:`defuse`.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, or any of
these after leading spaces) is a formula to Excel and LibreOffice: ``=cmd|' /C calc'!A0`` in a
name or an address from an extract would run on the analyst's machine (CSV injection, OWASP).
Such text is written with a leading apostrophe, which spreadsheets show as text and do not
evaluate. Lists are joined with ``;``. Numbers, dates and booleans are left as they are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Any:
    """One cell, safe to write to CSV or XLSX."""
    if isinstance(value, list | tuple):
        value = ";".join("" if v is None else str(v) for v in value)
    if isinstance(value, str) and (value[:1] in TRIGGERS or value.lstrip(" ")[:1] in TRIGGERS):
        return "'" + value
    return value


def defuse_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each :func:`defuse`-d."""
    return [defuse(v) for v in values]
