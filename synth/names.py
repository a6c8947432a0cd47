"""Names with realistic frequencies, and the ways officers and clerks get them wrong.

Linkage is hard because common names collide (many John Smiths) and because one person is
written several ways (Bob/Robert, Wójcik/Wojcik, a dropped letter, married surnames). Both
effects are produced here from the frequency tables in synth/data.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from synth.tables import Choice, table

ORIGINS = [
    "british",
    "north_east",
    "welsh",
    "scottish",
    "irish",
    "sa_muslim",
    "sa_other",
    "polish",
    "romanian",
    "west_african",
    "caribbean",
]
ORIGIN_INDEX = {o: i for i, o in enumerate(ORIGINS)}

# Which forename lists a person of each origin draws from, and how often.
_FORENAME_SOURCES: dict[str, list[tuple[str, float]]] = {
    "british": [("british", 1.0)],
    "north_east": [("british", 1.0)],
    "welsh": [("welsh", 0.45), ("british", 0.55)],
    "scottish": [("scottish", 0.4), ("british", 0.6)],
    "irish": [("irish", 0.5), ("british", 0.5)],
    "sa_muslim": [("sa_muslim", 1.0)],
    "sa_other": [("sa_other", 0.92), ("british", 0.08)],
    "polish": [("polish", 1.0)],
    "romanian": [("romanian", 1.0)],
    "west_african": [("west_african", 0.85), ("british", 0.15)],
    "caribbean": [("caribbean", 0.6), ("british", 0.4)],
}
# Which surname lists each origin draws from (the british tail keeps rare names rare).
_SURNAME_SOURCES: dict[str, list[tuple[str, float]]] = {
    "british": [("british", 0.68), ("british_tail", 0.32)],
    "north_east": [("north_east", 0.6), ("british", 0.28), ("british_tail", 0.12)],
}

_FEMININE = (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka"))
_STRIP = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ß": "ss"})


class NameBank:
    """Samplers for forenames (by origin, sex and birth era) and surnames (by origin)."""

    def __init__(self) -> None:
        fn = table("forenames.csv")
        self.forenames: dict[tuple[str, str, str], Choice] = {}
        for (origin, sex, era), g in fn.groupby(["origin", "sex", "era"], sort=True):
            self.forenames[(origin, sex, era)] = Choice(
                g["name"].tolist(), g["weight"].astype(float).tolist()
            )
        sn = table("surnames.csv")
        self.surnames: dict[str, Choice] = {
            origin: Choice(g["surname"].tolist(), g["weight"].astype(float).tolist())
            for origin, g in sn.groupby("origin", sort=True)
        }
        nick = table("nicknames.csv")
        self.nicknames: dict[str, list[str]] = {}
        for name, alt in zip(nick["name"], nick["nickname"], strict=True):
            self.nicknames.setdefault(name, []).append(alt)
        tr = table("transliterations.csv")
        self.variants: dict[str, list[str]] = {}
        for name, alt in zip(tr["name"], tr["variant"], strict=True):
            self.variants.setdefault(name, []).append(alt)

    def _forename_choice(self, source: str, sex: str, era: str) -> Choice:
        return self.forenames.get((source, sex, era)) or self.forenames[(source, sex, "all")]

    def forename(
        self, rng: np.random.Generator, origin: np.ndarray, female: np.ndarray, birth_year: np.ndarray
    ) -> np.ndarray:
        """One forename per person, from the list of their origin, sex and birth era."""
        n = len(origin)
        out = np.empty(n, dtype=object)
        era = np.where(birth_year < 1975, 0, np.where(birth_year < 1990, 1, 2))
        eras = ["old", "mid", "young"]
        u = rng.random(n)
        for oi, o in enumerate(ORIGINS):
            sources = _FORENAME_SOURCES[o]
            lo = 0.0
            for source, share in sources:
                pick_src = (origin == oi) & (u >= lo) & (u < lo + share)
                lo += share
                for fem in (False, True):
                    sex = "F" if fem else "M"
                    for ei, e in enumerate(eras):
                        m = pick_src & (female == fem) & (era == ei)
                        k = int(m.sum())
                        if k:
                            out[m] = self._forename_choice(source, sex, e).draw(rng, k)
        return out

    def surname(self, rng: np.random.Generator, origin: np.ndarray) -> np.ndarray:
        """One surname per person (masculine form; see ``gendered``)."""
        n = len(origin)
        out = np.empty(n, dtype=object)
        u = rng.random(n)
        for oi, o in enumerate(ORIGINS):
            sources = _SURNAME_SOURCES.get(o, [(o, 1.0)])
            lo = 0.0
            for source, share in sources:
                m = (origin == oi) & (u >= lo) & (u < lo + share)
                lo += share
                k = int(m.sum())
                if k:
                    out[m] = self.surnames[source].draw(rng, k)
        return out


def gendered(surnames: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Polish surnames take the feminine ending for women (Kowalski -> Kowalska)."""
    out = surnames.copy()
    ends = pd.Series(out, dtype=object).str.endswith(("ski", "cki")).to_numpy(dtype=bool)
    idx = np.flatnonzero(ends & female)
    for i in idx:
        s = out[i]
        for m, f in _FEMININE:
            if s.endswith(m):
                out[i] = s[: -len(m)] + f
                break
    return out


def strip_diacritics(s: str) -> str:
    """Wójcik -> Wojcik, Łukasz -> Lukasz: what many systems store."""
    s = s.translate(_STRIP)
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def to_cp1252(s: str) -> str:
    """Keep what Windows-1252 can hold (Zoë, Seán) and strip the rest (Wiśniewski -> Wisniewski)."""
    try:
        s.encode("cp1252")
        return s
    except UnicodeEncodeError:
        return "".join(c if _cp1252_ok(c) else strip_diacritics(c) for c in s)


def _cp1252_ok(c: str) -> bool:
    try:
        c.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


_VOWELS = "aeiou"


def typo(s: str, r: float, r2: float) -> str:
    """One keying error: a dropped, doubled, swapped or replaced letter (never the first)."""
    if len(s) < 3:
        return s
    i = 1 + int(r2 * (len(s) - 2))
    kind = int(r * 4)
    if kind == 0:
        return s[:i] + s[i + 1 :]
    if kind == 1:
        return s[:i] + s[i] + s[i:]
    if kind == 2 and i + 1 < len(s):
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    c = s[i].lower()
    if c in _VOWELS:
        rep = _VOWELS[(_VOWELS.index(c) + 1 + int(r2 * 4)) % 5]
    else:
        rep = "e"
    rep = rep.upper() if s[i].isupper() else rep
    return s[:i] + rep + s[i + 1 :]


def apply_each(values: np.ndarray, mask: np.ndarray, fn, rng: np.random.Generator) -> np.ndarray:  # noqa: ANN001
    """Apply ``fn(value, r, r2)`` to the masked values only (faults touch few rows)."""
    out = values.copy()
    idx = np.flatnonzero(mask)
    r = rng.random(len(idx))
    r2 = rng.random(len(idx))
    for j, i in enumerate(idx):
        v = out[i]
        if isinstance(v, str) and v:
            out[i] = fn(v, r[j], r2[j])
    return out
