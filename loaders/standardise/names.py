"""Splitting full names into surname and forenames, and the folded parts used for matching.

Extracts write names three ways (see ``extracts.md``): ``SURNAME, Forename Middle`` (relational
persons), ``Forename Middle SURNAME`` or ``SURNAME Forename`` (court orders), and separate
surname/forenames columns (flat RMS). The rules, applied per distinct name:

* titles (Mr, Mrs, Ms, Miss, Mx, Dr, Sir, Dame, Rev, Prof, Master) are dropped anywhere;
* generational suffixes (Jr, Jnr, Sr, Snr, II, III, IV) go to a separate ``suffix`` column,
  because fathers and sons sharing a name are the commonest false merge;
* a comma always means ``SURNAME, Forenames`` (first comma; later commas become spaces);
* in a mixed-case name, the run of upper-case tokens is the surname (``Mary VAN DER BERG``,
  ``Ann SMITH-JONES``, ``Callum McDONALD``, ``SMITH John``). A token counts as upper case when
  it has two or more letters, all capitals, after a Mc/Mac/O'/D'/Fitz prefix; single letters
  (initials) never decide. A run at the end wins, then a run at the start, then the last run
  (``forenames_surname`` trusts only a run at the end). Lower-case particles (van, de, der, ...)
  just before a final run join the surname;
* a name in one case only follows the style's order; for ``Forename SURNAME`` order the last
  token is the surname, with any particles before it (``MARY VAN DER BERG``), unless the last
  token is an initial (``SMITH J``), when the first token is;
* a single token is a surname with no forenames.
"""

from __future__ import annotations

import re

import pandas as pd

from ._distinct import map_distinct
from .text import fold, fold_distinct

STYLES = ("surname_comma_forenames", "forenames_surname", "auto_court")

TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "DR", "SIR", "DAME", "REV", "REVD", "PROF", "MASTER"})
SUFFIXES = frozenset({"JR", "JNR", "SR", "SNR", "II", "III", "IV"})
PARTICLES = frozenset(
    "VAN VON DE DER DEN DI DA DU DEL DELLA DOS DAS LA LE TER TEN BIN BINT AL EL AP ST".split()
)
_PREFIX = re.compile(r"^(?:MC|MAC|O['’]|D['’]|FITZ)", re.IGNORECASE)


def _key(token: str) -> str:
    return token.rstrip(".").upper()


def _letter_count(token: str) -> int:
    return len(token) if token.isalpha() else sum(ch.isalpha() for ch in token)


def _is_upper(token: str) -> bool:
    """Upper-case surname token: 2+ letters, all capitals once a Mc/Mac/O' prefix is set aside."""
    if token.isupper():
        return _letter_count(token) >= 2
    if token[:1] not in "MmOoDdFf":
        return False
    rest = _PREFIX.sub("", token)
    return rest != token and rest.isupper() and _letter_count(rest) >= 2


def _is_lower(token: str) -> bool:
    return token != token.upper() and not _is_upper(token)


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _with_particles(tokens: list[str], start: int) -> int:
    """Move a trailing surname's start left over particles, leaving at least one forename."""
    while start > 1 and _key(tokens[start - 1]) in PARTICLES:
        start -= 1
    return start


def _split_tokens(tokens: list[str], style: str) -> tuple[list[str], list[str]]:
    """(surname tokens, forename tokens) of a name with no comma."""
    if len(tokens) <= 1:
        return tokens, []
    upper = [_is_upper(t) for t in tokens]
    mixed = any(upper) and any(_is_lower(t) for t in tokens)
    if mixed:
        runs = _runs(upper)
        end_run = next((r for r in runs if r[1] == len(tokens)), None)
        start_run = next((r for r in runs if r[0] == 0), None)
        if end_run and end_run[0] > 0:
            start = _with_particles(tokens, end_run[0])
            return tokens[start:], tokens[:start]
        if style != "forenames_surname" and start_run and start_run[1] < len(tokens):
            return tokens[: start_run[1]], tokens[start_run[1] :]
        if style == "auto_court" and runs:
            a, b = runs[-1]
            return tokens[a:b], tokens[:a] + tokens[b:]
    if style == "surname_comma_forenames" or (_letter_count(tokens[-1]) == 1 and not mixed):
        return tokens[:1], tokens[1:]  # "SMITH J": a trailing initial is never the surname
    start = _with_particles(tokens, len(tokens) - 1)
    return tokens[start:], tokens[:start]


def split_one(name: str, style: str) -> tuple[str | None, str | None, str | None]:
    """(surname, forenames, suffix) of one trimmed, non-blank name, by the module rules."""
    head, comma, tail = name.partition(",")
    suffix: list[str] = []

    def clean(part: str) -> list[str]:
        kept = []
        for token in part.replace(",", " ").split():
            key = _key(token)
            if key in TITLES:
                continue
            if key in SUFFIXES and (kept or comma):
                suffix.append(token)
                continue
            kept.append(token)
        return kept

    if comma:
        surname, forenames = clean(head), clean(tail)
    else:
        surname, forenames = _split_tokens(clean(name), style)
    return (" ".join(surname) or None, " ".join(forenames) or None, " ".join(suffix) or None)


def split_names(full: pd.Series, style: str) -> pd.DataFrame:
    """Split full names into display ``surname``, ``forenames`` and generational ``suffix``.

    ``style`` is ``surname_comma_forenames`` ("WOOD, Iawn Paul"), ``forenames_surname``
    ("David John SMITH") or ``auto_court`` (either court form, decided per name by case; see the
    module docstring). Case and characters are kept as written; blank or title-only names give
    None in every column, which the loader quarantines as "no name at all".
    """
    if style not in STYLES:
        raise ValueError(f"unknown name style {style!r}; expected one of {', '.join(STYLES)}")

    def worker(text: pd.Series) -> pd.DataFrame:
        rows = [split_one(" ".join(name.split()), style) for name in text]
        return pd.DataFrame(rows, columns=["surname", "forenames", "suffix"], dtype=object)

    return map_distinct(full, worker, {"surname": None, "forenames": None, "suffix": None})


def name_parts(surname: pd.Series, forenames: pd.Series) -> pd.DataFrame:
    """Folded matching parts: ``surname_norm``, ``forename_norm`` (first), ``middle_norm`` (rest).

    Each part is folded with :func:`text.fold` (WÓJCIK -> WOJCIK, O'Neil -> ONEIL); a leading
    title left in the forenames is dropped. Empty parts are None.
    """
    surname_norm = fold(surname)

    def forename_worker(text: pd.Series) -> pd.DataFrame:
        folded = fold_distinct(text).fillna("")
        titles = "|".join(sorted(TITLES))
        folded = folded.str.replace(rf"^(?:(?:{titles}) )+", "", regex=True)
        parts = folded.str.partition(" ")
        first, rest = parts[0], parts[2]
        return pd.DataFrame(
            {"forename_norm": first.where(first != "", None), "middle_norm": rest.where(rest != "", None)}
        )

    given = map_distinct(forenames, forename_worker, {"forename_norm": None, "middle_norm": None})
    return pd.DataFrame(
        {
            "surname_norm": surname_norm.to_numpy(),
            "forename_norm": given["forename_norm"].to_numpy(),
            "middle_norm": given["middle_norm"].to_numpy(),
        },
        index=surname.index,
    )
