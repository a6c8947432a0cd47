"""Parsing date and date-time columns with a reason for every value that cannot be read.

One declared format per column (from the source profile), parsed with ``pd.to_datetime`` on the
distinct values. A value that fails gets an error the loader can quarantine with:
``impossible date '31/02/2019' (expected dd/mm/yyyy)`` when it has the shape of the format but
is not a calendar date, ``unreadable date ...`` when it does not have the shape. Blank is not an
error: it is NaT with no error.

Lenient only where no information is lost: date-only formats also accept a trailing midnight
time (``16/02/1988 00:00``, as spreadsheets export them); ``%B`` formats also accept the
abbreviated month (``27 Aug 2019``); ISO 8601 values with an offset or ``Z`` are converted to
UK local time and made naive, like every other timestamp in staging.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._distinct import map_distinct

ISO8601 = "ISO8601"
LOCAL_TZ = "Europe/London"
EARLIEST_DOB = pd.Timestamp("1900-01-01")

_HUMAN = {
    "%d": "dd",
    "%m": "mm",
    "%Y": "yyyy",
    "%y": "yy",
    "%H": "hh",
    "%M": "mm",
    "%S": "ss",
    "%B": "Month",
    "%b": "Mon",
    "%f": "ffffff",
    "%p": "AM/PM",
    "%%": "%",
}
_SHAPE = {
    "%d": r"\d{1,2}",
    "%m": r"\d{1,2}",
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%H": r"\d{1,2}",
    "%M": r"\d{1,2}",
    "%S": r"\d{1,2}",
    "%B": r"[A-Za-z]+\.?",
    "%b": r"[A-Za-z]+\.?",
    "%f": r"\d+",
    "%p": r"[AaPp]\.?[Mm]\.?",
    "%%": "%",
}
_ISO_SHAPE = (
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_ISO_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_TOKEN = re.compile(r"%.")
_TIME_TOKENS = ("%H", "%M", "%S", "%I", "%p", "%f")


def describe_format(fmt: str) -> str:
    """Human form of a strptime format for error messages: ``%d/%m/%Y`` -> ``dd/mm/yyyy``."""
    if fmt == ISO8601:
        return "ISO 8601, e.g. 2019-04-05T22:47:00"
    return _TOKEN.sub(lambda m: _HUMAN.get(m.group(0), m.group(0)), fmt)


def _shape(fmt: str) -> re.Pattern[str]:
    if fmt == ISO8601:
        return re.compile(_ISO_SHAPE)

    def literal(text: str) -> str:
        return r"\s+".join(re.escape(part) for part in re.split(r"\s+", text))

    parts, pos = [], 0
    for m in _TOKEN.finditer(fmt):
        parts += [literal(fmt[pos : m.start()]), _SHAPE.get(m.group(0), ".+?")]
        pos = m.end()
    parts.append(literal(fmt[pos:]))
    return re.compile("".join(parts))


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    if fmt == ISO8601:
        aware = text.str.contains(_ISO_OFFSET)
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        if (~aware).any():
            out[~aware] = pd.to_datetime(text[~aware], format=ISO8601, errors="coerce")
        if aware.any():
            utc = pd.to_datetime(text[aware], format=ISO8601, errors="coerce", utc=True)
            out[aware] = utc.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        return out
    out = pd.to_datetime(text, format=fmt, errors="coerce")
    if "%B" in fmt and out.isna().any():
        retry = out.isna()
        out[retry] = pd.to_datetime(
            text[retry].str.replace(".", "", regex=False), format=fmt.replace("%B", "%b"), errors="coerce"
        )
    return out.astype("datetime64[ns]")


def parse_dates(
    s: pd.Series,
    fmt: str,
    *,
    kind: str | None = None,
    open_ended: Iterable[str] | None = None,
    today: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Parse ``s`` with one format into ``value`` (datetime64[ns]), ``error`` and ``open_ended``.

    ``fmt`` is a strptime format (``%d/%m/%Y``, ``%d/%m/%Y %H:%M``, ``%Y-%m-%d``, ``%d %B %Y``)
    or ``"ISO8601"``. ``open_ended`` lists values, compared case-insensitively, that mean "no end
    date" (``{"Until further order"}``): they give NaT, no error and ``open_ended`` True.
    ``kind="dob"`` also rejects dates of birth after ``today`` or before 1900 as
    ``implausible date of birth``. Never raises on bad values: value NaT plus an error.
    """
    if kind not in (None, "dob"):
        raise ValueError(f"unknown date kind {kind!r}; expected None or 'dob'")
    expected = describe_format(fmt)
    shape = _shape(fmt)
    sentinels = {" ".join(v.split()).casefold() for v in (open_ended or ())}
    has_time = any(t in fmt for t in _TIME_TOKENS) or fmt == ISO8601
    today_ts = pd.Timestamp(today if today is not None else pd.Timestamp.now()).normalize()

    def worker(text: pd.Series) -> pd.DataFrame:
        is_open = (
            text.map(lambda v: " ".join(v.split()).casefold() in sentinels)
            if sentinels
            else (pd.Series(False, index=text.index))
        )
        candidate = text if has_time else text.str.replace(r"\s+00:00(?::00)?$", "", regex=True)
        value = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        todo = ~is_open
        if todo.any():
            value[todo] = _to_datetime(candidate[todo], fmt)
        error = pd.Series(None, index=text.index, dtype=object)
        failed = todo & value.isna()
        if failed.any():
            fits = candidate[failed].str.fullmatch(shape)
            what = np.where(fits, "impossible date", "unreadable date")
            error[failed] = [
                f"{w} '{v}' (expected {expected})" for w, v in zip(what, text[failed], strict=True)
            ]
        if kind == "dob":
            future, early = value > today_ts, value < EARLIEST_DOB
            for mask, why in ((future, "in the future"), (early, "before 1900")):
                if mask.any():
                    error[mask] = [f"implausible date of birth '{v}' ({why})" for v in text[mask]]
                    value[mask] = pd.NaT
        return pd.DataFrame({"value": value, "error": error, "open_ended": is_open.astype(bool)})

    out = map_distinct(s, worker, {"value": None, "error": None, "open_ended": False})
    out["value"] = out["value"].astype("datetime64[ns]")
    out["open_ended"] = out["open_ended"].astype(bool)
    return out


def day_month_swapped(s: pd.Series, fmt: str, *, today: pd.Timestamp | str | None = None) -> pd.Series:
    """Dates of birth read with day and month exchanged (``1974-15-11`` -> 1974-11-15).

    For a value that cannot be used as written, this is the commonest slip and the one reading
    that can be trusted without the other side of a comparison. NaT where the format has no
    day or month, or the exchanged reading is not a plausible date of birth either.
    """
    if fmt == ISO8601:
        fmt = "%Y-%m-%d"
    if "%d" not in fmt or "%m" not in fmt:
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    parsed = parse_dates(s, swapped, kind="dob", today=today)
    return parsed["value"].where(parsed["error"].isna())
