"""Controlled vocabularies: roles, relationships, sex, DASH risk and yes/no flags.

Values are compared by a key: ASCII-folded, upper case, with everything but letters and digits
removed ("Ex-partner", "EX_PARTNER" and "ex partner" are one key). Roles are strict, because an
unknown role makes a row unreadable (the loader quarantines it); relationships always map to a
category, because any non-blank relationship is evidence the two people are connected.
"""

from __future__ import annotations

import re

import pandas as pd
from anyascii import anyascii

from reference.ranks import canonical_rank

from ._distinct import map_distinct, map_distinct_series

# The four roles the extract formats define. Another source's own words for them (AGGRIEVED,
# INVOLVED PARTY...) belong in its mapping file (``role: {column: ..., values: {...}}``), so that an
# abbreviation or typo in a force's extract is quarantined rather than guessed.
ROLES = {
    "SUSPECT": "suspect",
    "VICTIM": "victim",
    "WITNESS": "witness",
    "OTHER": "other",
}

_INTIMATE = """
    PARTNER SPOUSE WIFE HUSBAND GIRLFRIEND BOYFRIEND FIANCE FIANCEE CIVILPARTNER COHABITEE
    COHABITANT LOVER DATING INTIMATE EXPARTNER EXSPOUSE EXWIFE EXHUSBAND EXGIRLFRIEND EXBOYFRIEND
    EXFIANCE EXFIANCEE EXCIVILPARTNER FORMERPARTNER FORMERSPOUSE FORMERWIFE FORMERHUSBAND
    FORMERGIRLFRIEND FORMERBOYFRIEND MARRIED DIVORCED SEPARATED SEPARATEDSPOUSE ESTRANGEDSPOUSE
    ESTRANGEDWIFE ESTRANGEDHUSBAND PARTNERCURRENT PARTNERFORMER CURRENTPARTNER INTIMATEPARTNER
    EXINTIMATEPARTNER MOTHEROFCHILD FATHEROFCHILD COPARENT
""".split()  # co-parents: usually former partners
_FAMILY = """
    FATHER MOTHER SON DAUGHTER BROTHER SISTER STEPFATHER STEPMOTHER STEPSON STEPDAUGHTER STEPBROTHER
    STEPSISTER HALFBROTHER HALFSISTER GRANDPARENT GRANDFATHER GRANDMOTHER GRANDSON GRANDDAUGHTER
    GRANDCHILD SIBLING PARENT CHILD STEPCHILD STEPPARENT UNCLE AUNT AUNTIE NEPHEW NIECE COUSIN INLAW
    FATHERINLAW MOTHERINLAW SONINLAW DAUGHTERINLAW BROTHERINLAW SISTERINLAW OTHERFAMILY FAMILY
    FAMILYMEMBER RELATIVE OTHERRELATIVE MUM DAD
""".split()
RELATIONSHIPS = {**dict.fromkeys(_INTIMATE, "intimate"), **dict.fromkeys(_FAMILY, "family")}
# for free text not in the table: words that say intimate or family, whole words only
_INTIMATE_WORDS = re.compile(
    r"\b(PARTNER|SPOUSE|WIFE|HUSBAND|GIRLFRIEND|BOYFRIEND|FIANCEE?|COHABIT\w*|LOVER|MARRIED|INTIMATE)\b"
)
_FAMILY_WORDS = re.compile(
    r"\b(FATHER|MOTHER|SON|DAUGHTER|BROTHER|SISTER|STEP\w*|GRAND\w*|SIBLINGS?|PARENTS?|CHILD(REN)?|UNCLE|"
    r"AUNT(IE)?|NEPHEW|NIECE|COUSIN|IN LAW|FAMILY|RELATIVE|MUM|DAD)\b"
)

SEXES = {"M": "M", "MALE": "M", "MAN": "M", "F": "F", "FEMALE": "F", "WOMAN": "F", "U": "U", "UNKNOWN": "U"}
RISKS = {
    "STANDARD": "standard",
    "STD": "standard",
    "LOW": "standard",
    "S": "standard",
    "MEDIUM": "medium",
    "MED": "medium",
    "M": "medium",
    "HIGH": "high",
    "H": "high",
}
YES_NO = {
    "Y": True,
    "YES": True,
    "TRUE": True,
    "T": True,
    "1": True,
    "N": False,
    "NO": False,
    "FALSE": False,
    "F": False,
    "0": False,
}


def _words(text: pd.Series) -> pd.Series:
    """ASCII upper case with non-alphanumerics as single spaces ("Fiancé(e)" -> "FIANCE E")."""
    out = text.map(anyascii).str.upper().str.replace(r"['`]", "", regex=True)
    return out.str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip()


def vocab_key(text: pd.Series) -> pd.Series:
    """Lookup key: the words run together ("Ex-partner" -> "EXPARTNER")."""
    return _words(text).str.replace(" ", "", regex=False)


def roles(s: pd.Series) -> pd.DataFrame:
    """``value`` suspect/victim/witness/other, or None with ``error`` "unknown role 'X'"."""
    return map_distinct(s, lambda text: _known(vocab_key(text).map(ROLES), text, "role"), KNOWN_FILL)


def _relationship_text(words: str) -> str:
    """Category of a relationship not in the table, from its words.

    With a possessive ("ex-partner's son") the last relationship word names the person; otherwise
    the first does ("husband (father of her child)").
    """
    found = [(m.start(), "intimate") for m in _INTIMATE_WORDS.finditer(words)]
    found += [(m.start(), "family") for m in _FAMILY_WORDS.finditer(words)]
    if not found:
        return "other"
    found.sort()
    return found[-1][1] if re.search(r"\w S\b", words) else found[0][1]


def relationships(s: pd.Series) -> pd.DataFrame:
    """``value``: intimate, family or other for any non-blank relationship; None when blank.

    Intimate covers current and former partners, spouses, civil partners, girl/boyfriends and
    fiancé(e)s; family covers parents, children, siblings, step-, half-, grand- and in-law
    relatives, uncles, aunts and cousins.
    """

    def worker(text: pd.Series) -> pd.DataFrame:
        words = text.map(anyascii).str.upper().str.replace(r"['`]", " ", regex=True)
        words = words.str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip()
        value = vocab_key(text).map(RELATIONSHIPS)
        unknown = value.isna()
        value[unknown] = words[unknown].map(_relationship_text)
        return pd.DataFrame({"value": value})

    return map_distinct(s, worker, {"value": None})


def _lookup(s: pd.Series, table: dict, default: object = None) -> pd.Series:
    return map_distinct_series(s, lambda t: vocab_key(t).map(table).where(lambda v: v.notna(), default))


def sexes(s: pd.Series) -> pd.Series:
    """M, F or U from M/F/U/Male/Female/Unknown; any other non-blank value is U; blank is None."""
    return _lookup(s, SEXES, "U")


def risks(s: pd.Series) -> pd.Series:
    """DASH risk: standard/medium/high (LOW counts as standard); blank or unknown is None."""
    return _lookup(s, RISKS)


def yes_no(s: pd.Series) -> pd.Series:
    """Nullable bool from Y/N, Yes/No, true/false, 1/0; blank or unknown is None."""
    return _lookup(s, YES_NO).astype("boolean")


# The custody, notice and referral extracts' own words (extracts.md §4-6). Strict like roles: a
# value outside the list makes the row unusable for the clocks, so the loader quarantines it.
DISPOSALS = frozenset({"CHARGED", "CAUTIONED", "NFA", "BAIL", "RUI", "REMANDED", "DVPN"})
DECISIONS = frozenset({"EXTENDED", "CHARGED", "CAUTIONED", "NFA", "RUI", "BAIL_CANCELLED"})
NOTICE_TYPES = frozenset({"DVPN", "DAPN"})
HEARING_OUTCOMES = frozenset({"ORDER_MADE", "REFUSED", "WITHDRAWN", "ADJOURNED"})
SERVICES = frozenset(
    {"IDVA", "MARAC", "VICTIM_SUPPORT", "DVPO_CASEWORKER", "REFUGE", "CHILDRENS_SOCIAL_CARE", "SCHOOL"}
)
REFERRAL_OUTCOMES = frozenset({"ACCEPTED", "DECLINED", "NO_CONTACT"})
WORKFORCE_ROLES = frozenset({"OFFICER", "STAFF", "SPECIAL", "VOLUNTEER"})
WORKFORCE_STATUSES = frozenset({"SERVING", "SUSPENDED", "LEFT"})
CODES = {
    "disposal": DISPOSALS,
    "decision": DECISIONS,
    "notice_type": NOTICE_TYPES,
    "hearing_outcome": HEARING_OUTCOMES,
    "service": SERVICES,
    "referral_outcome": REFERRAL_OUTCOMES,
    "workforce_role": WORKFORCE_ROLES,
    "workforce_status": WORKFORCE_STATUSES,
}


KNOWN_FILL = {"value": None, "error": None}  # blank values: no value and no error


def _known(value: pd.Series, text: pd.Series, what: str) -> pd.DataFrame:
    """``value`` with ``error`` "unknown WHAT 'X'" where the text gave none."""
    error = pd.Series(
        [None if pd.notna(v) else f"unknown {what} '{t}'" for v, t in zip(value, text, strict=True)],
        index=text.index,
        dtype=object,
    )
    return pd.DataFrame({"value": value, "error": error})


def codes(s: pd.Series, allowed: frozenset[str], what: str) -> pd.DataFrame:
    """``value`` in the extract's code list (case, spaces, hyphens and apostrophes folded:
    "Order made" is ORDER_MADE, "Children's social care" CHILDRENS_SOCIAL_CARE), or None with
    ``error`` "unknown WHAT 'X'"; blank is None with no error."""

    def worker(text: pd.Series) -> pd.DataFrame:
        key = _words(text).str.replace(" ", "_", regex=False)
        return _known(key.where(key.isin(allowed), None), text, what)

    return map_distinct(s, worker, KNOWN_FILL)


def ranks(s: pd.Series) -> pd.DataFrame:
    """Canonical rank (:mod:`reference.ranks`) or None with ``error`` "unknown rank 'X'"."""
    return map_distinct(s, lambda text: _known(text.map(canonical_rank), text, "rank"), KNOWN_FILL)
