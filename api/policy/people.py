"""Whether free text mentions a person who must not be named, by any part of her name.

A previous victim is written about the ways officers write anyone: "Joanne Hall", "HALL, Joanne",
"J. Hall", "Jo Hall", "Mrs Hall", "Ms. Hall", "Miss J Hall", "Hall's car", "J.H.", "Joanne said",
by a maiden or earlier surname, by one half of a double-barrelled one. The rule that covers them
all: **any partial form of her name is a mention**, where the parts are her surnames (each spelling
on her records, each half of a multi-word one and the words run together: "O Brien" is OBRIEN),
her forenames (one edit away from five letters, any nickname of one, or an initial), her initials
run together, and a title.

The difficulty is the subject, who shares her surname when she took his (Mr Hall, his ex-wife Mrs
Hall), and who must stay nameable or the material is useless. So for a surname that is also a name
that may be written (the subject's, the applicant's, the person at risk's):

* the surname alone ("Hall was convicted") is the subject: disclosure material is about him;
* qualified by a part of her name (forename, nickname, initial) or a title she may bear (Mrs, Ms,
  Miss; Mr for a man; Dr, Mx and ranks for anyone), it is her, and withheld even when it could
  also be him ("J. Hall" when both are J): an ambiguous reference takes the safe side;
* qualified only by a title she cannot bear (Mr when every record of her says female), or by a
  forename that is not hers ("John Hall"), it is someone else.

A forename alone is a mention unless it sits beside another surname that may be written ("Joanne
Smith", the applicant, is not Joanne Hall). Alone, a forename counts when written with a capital
(or in a text with no capitals at all): "may", "will" and "grace" are words, and a victim named
May would otherwise withhold every text that says "may"; a month beside a number is a date.

Matching fails closed: a false hit withholds a text, it never lets one through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import OSA

from linkage.names import forename_keys, parse_full_name, surname_keys

FUZZY_FROM = 5  # letters from which one edit (insertion, deletion, substitution, transposition) still matches
WINDOW = 2  # words between a surname and the forename, initial or title that goes with it
# Titles and ranks, with the sex a title implies ("" for any): "Mrs Hall" is not Mr Hall
TITLES = {
    **dict.fromkeys("MR SIR LORD MASTER MISTER".split(), "M"),
    **dict.fromkeys("MRS MS MISS MISSUS DAME LADY MADAM MADAME MME MLLE".split(), "F"),
    **dict.fromkeys(
        """MX DR DOCTOR PROF PROFESSOR REV REVEREND CLLR PC DC PS DS SGT INSP DI DCI SUPT OFFICER CONSTABLE
        SERGEANT INSPECTOR""".split(),
        "",
    ),
}
# Surname words that name no one alone: the first half of "de Souza", "Van Dyke", "St John", "Mac Donald"
PARTICLES = frozenset("DE DA DI DO DU DEL DELLA DOS LA LE LO VAN VON DER DEN TER TEN AL EL BIN BEN ST MAC MC".split())
MONTHS = frozenset("JANUARY FEBRUARY MARCH APRIL MAY JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER".split())
# Two-letter words that written in capitals are not initials run together ("AN", "IT", "OF")
_WORDS_NOT_INITIALS = frozenset("AM AN AS AT BE BY DO GO HE IF IN IS IT ME MY NO OF OH OK ON OR SO TO UP US WE".split())
_POSSESSIVE = re.compile(r"(?<=[A-Za-z])['`][sS](?![A-Za-z0-9])")
_APOSTROPHES = re.compile(r"['`]")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_fkeys = lru_cache(maxsize=1 << 16)(forename_keys)


@dataclass(frozen=True)
class Tokens:
    """A text as name words: ASCII upper case, apostrophes and a possessive 's gone (O'Brien,
    O’Brien and OBrien are OBRIEN; Hall's is HALL); ``case`` per word: 0 lower case, 1 capital
    first, 2 all capitals (a text with no capitals at all counts as capitalised: no case told)."""

    words: tuple[str, ...]
    case: tuple[int, ...]

    def capital(self, i: int) -> bool:
        return self.case[i] > 0


@lru_cache(maxsize=1 << 16)
def tokens(text: str) -> Tokens:
    """:class:`Tokens` of ``text`` (kept: answers repeat their strings)."""
    plain = _APOSTROPHES.sub("", _POSSESSIVE.sub("", anyascii(text)))
    raw = _TOKEN.findall(plain)
    caseless = not any(c.isupper() for c in plain)
    case = tuple(1 if caseless else 2 if w.isupper() and len(w) > 1 else 1 if w[0].isupper() else 0 for w in raw)
    return Tokens(tuple(w.upper() for w in raw), case)


def name_words(text: str | None) -> tuple[str, ...]:
    return tokens(text).words if text else ()


def same(token: str, wanted: str) -> bool:
    """Equal, or one edit apart when both are long enough to tell a typo from another word."""
    if token == wanted:
        return True
    return min(len(token), len(wanted)) >= FUZZY_FROM and OSA.distance(token, wanted, score_cutoff=1) <= 1


@lru_cache(maxsize=1 << 16)
def fuzzy_keys(word: str) -> frozenset[str]:
    """The word and, from five letters, each one-letter deletion of it: two words one edit apart
    share a key (symmetric deletion), so a look-up finds misspellings without comparing all."""
    if len(word) < FUZZY_FROM:
        return frozenset((word,))
    return frozenset((word, *(word[:i] + word[i + 1 :] for i in range(len(word)))))


def run_at(seq: tuple[str, ...], i: int, run: tuple[str, ...]) -> int:
    """How many words of ``seq`` from ``i`` spell ``run`` (0: none): word by word (the last may
    carry a possessive s without its apostrophe: "Mrs Halls car"), or a one-word run written in two
    ("O Brien", "Mac Donald")."""
    n = len(run)
    if i + n <= len(seq) and all(same(seq[i + k], w) for k, w in enumerate(run[:-1])):
        last = seq[i + n - 1]
        if same(last, run[-1]) or last == run[-1] + "S":
            return n
    if len(run) == 1 and i + 1 < len(seq) and len(seq[i]) <= 3 and same(seq[i] + seq[i + 1], run[0]):
        return 2
    return 0


def _surname_forms(text: str | None) -> set[tuple[str, ...]]:
    """A surname as written, run together, and each half of a multi-word one that names alone."""
    words = name_words(text)
    if not words:
        return set()
    forms = {words}
    if len(words) > 1:
        forms.add(("".join(words),))
        forms.update((w,) for w in words if len(w) >= 3 and w not in PARTICLES)
    return forms


@dataclass
class Person:
    """The names of one person who must not be mentioned."""

    surnames: set[tuple[str, ...]] = field(default_factory=set)  # each surname as its words
    forenames: set[str] = field(default_factory=set)
    sexes: set[str] = field(default_factory=set)  # "M" / "F" as her records say; empty: unknown

    @classmethod
    def of(
        cls,
        surnames: Iterable[str | None],
        forenames: Iterable[str | None],
        full: Iterable[str | None] = (),
        sexes: Iterable[str | None] = (),
    ) -> Person:
        """From record name fields, and full names as written ("SURNAME, Forename" or "Forename
        SURNAME") when the fields are not split."""
        p = cls()
        for s in surnames:
            p.surnames |= _surname_forms(s)
        fores = list(forenames)
        for name in full:
            if name:
                fore, sur = _split_full(name)
                p.surnames |= _surname_forms(sur)
                fores.append(fore)
        p.forenames = {w for f in fores for w in name_words(f) if len(w) > 1 and w not in TITLES}
        p.sexes = {s.strip()[0].upper() for s in sexes if s and s.strip()[:1].upper() in ("M", "F")}
        return p


def _split_full(name: str) -> tuple[str, str]:
    """(forenames, surname) of a full name: "SURNAME, Forename", capitals for the surname, else last word."""
    if "," in name:
        sur, _, fore = name.partition(",")
        return fore, sur
    return parse_full_name(name)


@dataclass(frozen=True)
class Nameable:
    """What may be written: the words of the case's own names (subject, applicant, person at risk)
    and their surnames, which tell "Joanne Smith" (the applicant) from Joanne Hall."""

    words: frozenset[str]
    surnames: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, names: Iterable[str | None]) -> Nameable:
        names = [n for n in names if n]
        # where a typed name's surname starts is a guess ("Gavin O Brien", "Mary Ann Smith"): each
        # ending of it may be one
        endings = [" ".join(name_words(n)[k:]) for n in names if "," not in n for k in range(1, len(name_words(n)))]
        typed = [_split_full(n)[1] for n in names] + endings
        surnames = frozenset(f for sur in typed for f in _surname_forms(sur))
        words = {w for n in names for w in name_words(n) if len(w) > 1 and w not in TITLES}
        return cls(frozenset(words | {"".join(f) for f in surnames}), surnames)


class Guarded:
    """One person's names prepared against what may be written, and the test for a mention."""

    def __init__(self, person: Person, nameable: Nameable):
        self.person = person
        self.nameable = nameable.words
        allowed = {k for w in nameable.words for k in surname_keys(w)}
        # whether each surname names her by itself: not when it is (a spelling of) a nameable word
        self.alone = {
            sur: not ({w for w in sur if len(w) > 1} <= nameable.words or surname_keys("".join(sur)) & allowed)
            for sur in person.surnames
            if len("".join(sur)) >= 2
        }
        theirs = {k for s in person.surnames for k in surname_keys("".join(s))}
        self.others = [s for s in nameable.surnames if not surname_keys("".join(s)) & theirs]
        self.keys = frozenset(k for f in person.forenames for k in _fkeys(f))
        self.initials = frozenset(f[0] for f in person.forenames)
        self.sur_initials = frozenset(s[0][0] for s in person.surnames if s and s[0])
        # look-ups that tell at once whether a word may start one of her surnames or be a forename:
        # most words of most texts are neither
        self._starts = {k for sur in self.alone for k in fuzzy_keys(sur[0])}
        self._fores = {k for f in person.forenames for k in fuzzy_keys(f)}

    def __bool__(self) -> bool:
        return bool(self.alone or self.person.forenames)

    def mentioned(self, t: Tokens) -> bool:
        seq = t.words
        for i, w in enumerate(seq):
            joined = w + seq[i + 1] if len(w) <= 3 and i + 1 < len(seq) else ""  # "O Brien"
            if (self._starts_surname(w) or (joined and self._starts_surname(joined))) and self._surname_at(t, i):
                return True
            if len(w) <= 3 and self._initials_at(t, i):
                return True
            if (fuzzy_keys(w) & self._fores or _fkeys(w) & self.keys) and self._forename_alone(t, i):
                return True
        return False

    def _starts_surname(self, word: str) -> bool:
        """Whether ``word`` may begin one of her surnames (a superset: :func:`run_at` decides)."""
        if not fuzzy_keys(word).isdisjoint(self._starts):
            return True
        return word.endswith("S") and word[:-1] in self._starts  # a possessive without its apostrophe

    # -- the forms ----------------------------------------------------------------------------

    def _surname_at(self, t: Tokens, i: int) -> bool:
        for sur, by_itself in self.alone.items():
            n = run_at(t.words, i, sur)
            if n and (by_itself or self._qualified(t, i, i + n)):
                return True
        return False

    def _qualified(self, t: Tokens, i: int, j: int) -> bool:
        """Whether a surname she shares with a nameable person (words i..j) is qualified as hers:
        a title she may bear, else her forename or initial, unless a title says it is not her."""
        before = range(max(0, i - WINDOW - 1), i)
        titles = [TITLES[t.words[k]] for k in before if t.words[k] in TITLES]
        if any(self._may_bear(sex) for sex in titles):
            return True
        if titles:  # only titles she cannot bear: "Mr J Hall" is not Joanne
            return False
        near = [*before, *range(j, min(len(t.words), j + WINDOW + 1))]
        return any(self._forename(t, k, alone=False, touching=k == i - 1) for k in near)

    def _may_bear(self, sex: str) -> bool:
        return not sex or not self.person.sexes or sex in self.person.sexes

    def _forename(self, t: Tokens, k: int, alone: bool, touching: bool = False) -> bool:
        """Word k is one of her forenames (a one-edit misspelling, a nickname) or, beside a
        surname, its initial ("a" and "i" in small letters only right before it: "gave Hall a
        warning" is not A. Hall). Alone it must be written with a capital."""
        token = t.words[k]
        if len(token) == 1:
            return not alone and token in self.initials and (t.capital(k) or touching or token not in "AI")
        if token.isdigit() or (alone and not t.capital(k)):
            return False
        if any(same(token, f) for f in self.person.forenames):
            return True
        return bool(_fkeys(token) & self.keys)

    def _forename_alone(self, t: Tokens, k: int) -> bool:
        if not self._forename(t, k, alone=True):
            return False
        seq = t.words
        if seq[k] in MONTHS and any(0 <= m < len(seq) and seq[m].isdigit() for m in (k - 1, k + 1)):
            return False  # "12 May 2023" is a date
        after = k + 1
        while after < len(seq) and len(seq[after]) == 1 and after - k <= 2:
            after += 1  # "Joanne A Smith"
        for other in self.others:  # "Joanne Smith" or "SMITH, Joanne": someone who may be named
            if run_at(seq, after, other) or (k >= len(other) and run_at(seq, k - len(other), other) == len(other)):
                return False
        return True

    def _initials_at(self, t: Tokens, k: int) -> bool:
        """Her initials: "J.H.", "J H", "J.A.H." or, in capitals within a text that has small
        letters, "JH"."""
        seq = t.words
        token = seq[k]
        if len(token) == 1:
            run = 1
            while k + run < len(seq) and len(seq[k + run]) == 1 and run < 3:
                run += 1
            return run >= 2 and token in self.initials and seq[k + run - 1] in self.sur_initials
        return (
            2 <= len(token) <= 3
            and t.case[k] == 2
            and any(c < 2 for c in t.case)
            and token.isalpha()
            and token not in _WORDS_NOT_INITIALS
            and token not in TITLES
            and token not in self.nameable  # "NG, Gavin" is Mr Ng, not N. G.
            and token[0] in self.initials
            and token[-1] in self.sur_initials
        )
