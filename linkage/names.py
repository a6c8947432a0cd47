"""Name folding, parsing and equivalence: nicknames (the `nicknames` package) and transliterations.

Everything works on a vocabulary of distinct names, never per record pair: the pair-level
comparison looks results up by integer code, so the cost grows with the number of distinct
names, not with the number of candidate pairs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jellyfish
import numpy as np
import yaml
from anyascii import anyascii
from nicknames import NickNamer

VARIANTS_PATH = Path(__file__).with_name("name_variants.yaml")
PAIR_BASE = np.int64(1 << 32)  # pair code = a * PAIR_BASE + b, independent of the vocabulary size
_NON_NAME = re.compile(r"[^A-Z\- ]+")
_SPACES = re.compile(r"\s+")
_TITLES = {"MR", "MRS", "MS", "MISS", "DR", "MX", "SIR", "REV"}


def fold(value: object) -> str:
    """Upper-case ASCII letters, spaces and hyphens: the form every comparison uses."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = anyascii(str(value)).upper().replace("'", "").replace("’", "")
    text = _NON_NAME.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" -")


def squash(name: str) -> str:
    """Drop spaces and hyphens so 'MC DONALD' and 'MCDONALD' compare equal."""
    return name.replace(" ", "").replace("-", "")


def parse_full_name(raw: object) -> tuple[str, str]:
    """Split a full name into (forenames, surname), folded.

    Handles 'SURNAME, Forename', 'Forename SURNAME' (upper-case word is the surname) and
    'SURNAME Forename' as court extracts write it; otherwise the last word is the surname.
    """
    if raw is None or (isinstance(raw, float) and raw != raw):
        return "", ""
    text = str(raw).strip()
    if not text:
        return "", ""
    if "," in text:
        sur, _, fore = text.partition(",")
        return _strip_titles(fold(fore)), fold(sur)
    words = [w for w in text.split() if fold(w)]
    words = [w for w in words if fold(w) not in _TITLES] or words
    if not words:  # nothing that folds to a letter ("0 0", punctuation): no name
        return "", ""
    if len(words) == 1:
        return "", fold(words[0])
    upper = [i for i, w in enumerate(words) if w.isupper() and len(fold(w)) > 1]
    if upper and len(upper) < len(words):
        sur = " ".join(words[i] for i in upper)
        fore = " ".join(w for i, w in enumerate(words) if i not in upper)
        return fold(fore), fold(sur)
    return fold(" ".join(words[:-1])), fold(words[-1])


def _strip_titles(forenames: str) -> str:
    words = [w for w in forenames.split() if w not in _TITLES]
    return " ".join(words)


def first_and_middle(forenames: str) -> tuple[str, str]:
    """First forename and the rest, folded."""
    parts = fold(forenames).split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])


def phonetic(name: str) -> str:
    """Metaphone of the squashed name ('' when empty): the 'sounds alike' key."""
    name = squash(name)
    if not name:
        return ""
    return jellyfish.metaphone(name)


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=1)
def _variant_groups() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, str]]:
    data = yaml.safe_load(VARIANTS_PATH.read_text())
    fore: dict[str, set[str]] = {}
    sur: dict[str, set[str]] = {}
    canon: dict[str, str] = {}
    for table, groups in ((fore, data["forenames"]), (sur, data["surnames"])):
        for group in groups:
            names = [squash(fold(n)) for n in group]
            # every spelling is a key, so a nickname of one spelling (Kate -> katherine) also
            # meets the other spellings (Catherine)
            keys = {f"T:{names[0]}", *(n.lower() for n in names)}
            for n in names:
                table.setdefault(n, set()).update(keys)
                if table is fore:
                    canon.setdefault(n, names[0])
    for full, shorts in (data.get("diminutives") or {}).items():
        full = squash(fold(full))
        for short in shorts:
            fore.setdefault(squash(fold(short)), set()).add(full.lower())
        fore.setdefault(full, set()).add(full.lower())
    return fore, sur, canon


def forename_keys(name: str) -> frozenset[str]:
    """Equivalence keys of a forename: two forenames sharing a key are nickname-equivalent.

    Keys are the name itself, its canonical names in the nickname table (Bob -> Robert), and
    its transliteration group (Mohammed ~ Muhammad).
    """
    name = squash(name)
    if not name:
        return frozenset()
    low = name.lower()
    keys = {low}
    keys.update(_nicknamer().canonicals_of(low))
    keys.update(_variant_groups()[0].get(name, ()))
    return frozenset(keys)


def surname_keys(name: str) -> frozenset[str]:
    """Transliteration keys of a surname (no nicknames: Bill is not a surname variant of Robert)."""
    name = squash(name)
    if not name:
        return frozenset()
    return frozenset({name.lower(), *_variant_groups()[1].get(name, ())})


def forename_block_key(name: str) -> str:
    """One canonical forename for blocking: Dave -> DAVID, Muhammad -> MOHAMMED."""
    name = squash(name)
    if not name:
        return ""
    translit = _variant_groups()[2].get(name)
    if translit:
        return translit
    nn = _nicknamer()
    low = name.lower()
    options = {low, *nn.canonicals_of(low)}
    best = max(sorted(options), key=lambda n: len(nn.nicknames_of(n)))
    return best.upper() if nn.nicknames_of(best) else name


def equivalent_pairs(vocab: list[str], keys_of) -> np.ndarray:
    """Sorted int64 codes a*PAIR_BASE+b of every ordered pair of distinct vocabulary names sharing a key.

    The groups are small (a nickname family), so the result stays small even for a large
    vocabulary; pairs are then tested with one vectorised ``np.isin`` / searchsorted.
    """
    groups: dict[str, list[int]] = {}
    for code, name in enumerate(vocab):
        for key in keys_of(name):
            groups.setdefault(key, []).append(code)
    size = PAIR_BASE
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        arr = np.asarray(members, dtype=np.int64)
        a = np.repeat(arr, len(arr))
        b = np.tile(arr, len(arr))
        keep = a != b
        out.append(a[keep] * size + b[keep])
    if not out:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(out))


def in_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Vectorised membership test against a sorted unique array."""
    if len(sorted_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_set, values)
    pos[pos >= len(sorted_set)] = len(sorted_set) - 1
    return sorted_set[pos] == values
