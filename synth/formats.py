"""Vectorised formatting of dates, times, PNC IDs, postcodes and phone numbers.

Each distinct date is formatted once and then looked up, so a million rows cost a few
thousand ``strftime`` calls rather than a million.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
_ALPHA = np.array(list(PNC_ALPHABET), dtype=object)


def _by_unique(values: np.ndarray, fmt) -> np.ndarray:  # noqa: ANN001
    uniq, inv = np.unique(values, return_inverse=True)
    return np.asarray(fmt(uniq), dtype=object)[inv.reshape(-1)]


def days_to_text(days: np.ndarray, style: str) -> np.ndarray:
    """Days since 1970 as ``dmy`` (05/04/2019), ``iso`` (2019-04-05) or ``long`` (5 April 2019)."""
    days = np.asarray(days, dtype=np.int64)

    def fmt(u: np.ndarray) -> list[str]:
        ts = pd.to_datetime(u, unit="D")
        if style == "dmy":
            return list(ts.strftime("%d/%m/%Y"))
        if style == "iso":
            return list(ts.strftime("%Y-%m-%d"))
        if style == "long":
            return [f"{t.day} {t.strftime('%B %Y')}" for t in ts]
        raise ValueError(style)

    return _by_unique(days, fmt)


def minutes_to_text(minutes: np.ndarray, style: str) -> np.ndarray:
    """Minutes since 1970 as ``dmy`` (05/04/2019 22:47) or ``iso`` (2019-04-05T22:47:00)."""
    minutes = np.asarray(minutes, dtype=np.int64)
    day = minutes // 1440
    mod = minutes % 1440
    hm = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)
    if style == "dmy":
        return days_to_text(day, "dmy") + " " + hm[mod]
    if style == "iso":
        return days_to_text(day, "iso") + "T" + hm[mod] + ":00"
    raise ValueError(style)


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day number."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays."""
    d = np.asarray(days, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (
        y.astype(np.int64) + 1970,
        (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
        (d - m.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day numbers from year, month, day (callers make sure the dates exist)."""
    months = (np.asarray(y) - 1970) * 12 + np.asarray(m) - 1
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + np.asarray(d) - 1


def pnc_check(year2: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Check letter: (two-digit year followed by the 7-digit serial) mod 23, in the PNC alphabet."""
    value = np.asarray(year2, dtype=np.int64) * 10_000_000 + np.asarray(serial, dtype=np.int64)
    return _ALPHA[value % 23]


def pnc_valid(text: str) -> bool:
    """True when a written PNC ID (long or short form) has the right check letter."""
    t = text.strip().upper()
    if "/" not in t or len(t) < 4:
        return False
    year, rest = t.split("/", 1)
    serial, letter = rest[:-1], rest[-1]
    if not (year.isdigit() and serial.isdigit()) or len(year) not in (2, 4):
        return False
    return PNC_ALPHABET[(int(year[-2:]) * 10_000_000 + int(serial)) % 23] == letter


def pnc_text(rng: np.random.Generator, year: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Written PNC IDs: ``YYYY/NNNNNNNA`` mostly, ``YY/NNNNNNNA`` (sometimes unpadded) otherwise."""
    n = len(year)
    y2 = np.asarray(year) % 100
    check = pnc_check(y2, serial)
    padded = pd.Series(serial).astype(str).str.zfill(7).to_numpy(dtype=object)
    plain = pd.Series(serial).astype(str).to_numpy(dtype=object)
    y4s = pd.Series(year).astype(str).to_numpy(dtype=object)
    y2s = pd.Series(y2).astype(str).str.zfill(2).to_numpy(dtype=object)
    u = rng.random(n)
    return np.where(
        u < 0.75,
        y4s + "/" + padded + check,
        np.where(u < 0.93, y2s + "/" + padded + check, y2s + "/" + plain + check),
    )


def wrong_check(text: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same PNC IDs with a different (so invalid) check letter: a keying error."""
    out = text.copy()
    for i, t in enumerate(out):
        correct = PNC_ALPHABET.index(t[-1])
        out[i] = t[:-1] + PNC_ALPHABET[(correct + 1 + int(rng.random() * 22)) % 23]
    return out


def postcode_variant(rng: np.random.Generator, postcode: np.ndarray, probs: list[float]) -> np.ndarray:
    """As typed: proper, lower-case, unspaced, lower and unspaced, or blank."""
    from synth.tables import pick

    kind = pick(rng, probs, len(postcode))
    s = pd.Series(postcode, dtype=object)
    lower = s.str.lower().to_numpy(dtype=object)
    unspaced = s.str.replace(" ", "", regex=False).to_numpy(dtype=object)
    both = s.str.lower().str.replace(" ", "", regex=False).to_numpy(dtype=object)
    return np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3], [postcode, lower, unspaced, both], ""
    ).astype(object)


def phone_variant(rng: np.random.Generator, phone: np.ndarray) -> np.ndarray:
    """07xxxxxxxxx mostly; sometimes spaced or in +44 form."""
    s = pd.Series(phone, dtype=object)
    u = rng.random(len(phone))
    spaced = (s.str[:5] + " " + s.str[5:]).to_numpy(dtype=object)
    intl = ("+44" + s.str[1:]).to_numpy(dtype=object)
    out = np.where(u < 0.1, spaced, np.where(u < 0.15, intl, phone)).astype(object)
    out[phone == ""] = ""
    return out
