"""Home Office offence codes: normalise, group for DA analysis, and weigh by harm.

Classification of each (code, description) pair, first rule that applies:

1. a blank code is a non-crime incident (``non_crime``), unless ``blank_code_is_non_crime`` is
   False for a source that never codes offences;
2. the normalised code (``008/01`` -> ``8/1``) is listed exactly in ``data/offences.csv``;
3. the description matches a keyword rule (``_RULES``: breach of an order, murder, rape,
   stalking, harassment, ABH, common assault, criminal damage...);
4. the code's class is listed as ``N/*`` in ``data/offences.csv`` (e.g. every ``105/x`` is an
   assault without injury);
5. otherwise ``other``. A code that is not ``NNN/NN`` gives ``ho_code`` None and an ``error``,
   and is classified from its description.

``da_relevant_offence`` is True when the offence itself implies a domestic context: controlling
or coercive behaviour (the parties are personally connected by definition), breach of a
non-molestation order or of a DVPO/DVPN/DAPO/DAPN, or a description that says domestic abuse.

Harm (crime harm index days) is a separate table, ``data/harm.csv``, keyed by offence group with
the indicative medians from ``domain.md``; a force may supply its own keyed by HO code, group or
both (:func:`load_harm_table`, :func:`harm_days`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ._distinct import broadcast, distinct

DATA = Path(__file__).parent / "data"
GROUPS = (
    "homicide",
    "rape",
    "other_sexual",
    "violence_with_injury",
    "violence_without_injury",
    "stalking_harassment",
    "criminal_damage",
    "public_order",
    "breach_of_order",
    "other",
    "non_crime",
)

_ORDER = r"(?:order|injunction|notice|non.?molestation|dvp[on]|dap[on]|\bspo\b)"
# (group, pattern) in priority order; the first match on the description wins
_RULES: tuple[tuple[str, str], ...] = (
    ("breach_of_order", rf"\bbreach\w*\b.*{_ORDER}|contraven\w*.*{_ORDER}|fail\w* to comply.*{_ORDER}"),
    ("violence_with_injury", r"attempt\w* (?:to )?murder"),
    (
        "violence_without_injury",
        r"threat\w* to (?:kill|murder)|conspira\w* to murder|solicit\w* (?:to )?murder",
    ),
    ("homicide", r"\bmurder|manslaughter|infanticide"),
    ("stalking_harassment", r"private sexual (?:photo|film|image)"),
    ("rape", r"\brape"),
    ("other_sexual", r"sexual|indecen|voyeur|\bexpos|groom"),
    (
        "public_order",
        r"alarm (?:or|and|/) ?distress|public order|affray|violent disorder|provocation of violence"
        r"|threatening behaviour|\briot",
    ),
    ("stalking_harassment", r"stalk|harass|coerci|controlling|malicious communicat|distress or anxiety"),
    (
        "violence_with_injury",
        r"actual bodily harm|\babh\b|grievous|\bgbh\b|wound|with injury|strangulat|suffocat"
        r"|endanger\w* life|poison",
    ),
    ("violence_without_injury", r"assault|battery|beating|without injury|cruelty|neglect"),
    ("criminal_damage", r"damage|arson|graffiti"),
)
_DA_WORDS = (
    r"coerci|controlling (?:or|and|/) ?coerc|controlling behaviour|non.?molestation|\bdvp[on]\b|\bdap[on]\b"
    r"|domestic (?:abuse|violence)"
)
_CODE = re.compile(r"^(?:(\d{1,3})\s*[/.\-]\s*(\d{1,2})|(\d{3})(\d{2}))$")


@cache
def offence_table(path: Path | None = None) -> pd.DataFrame:
    """The HO code table: ``ho_code`` (``8/1`` exact or ``105/*`` whole class), group, DA flag.

    Cached: treat the returned frame as read-only.
    """
    table = pd.read_csv(path or DATA / "offences.csv", dtype=str, keep_default_na=False)
    table["da_indicator"] = table["da_indicator"].str.lower().eq("true")
    bad = sorted(set(table["offence_group"]) - set(GROUPS))
    if bad:
        raise ValueError(f"offences table: unknown offence groups {bad}")
    return table


def normalise_ho_code(code: str) -> str | None:
    """``008/01`` -> ``8/1``; ``08805`` -> ``88/5``; None when not a Home Office code."""
    m = _CODE.match(code.strip())
    if not m:
        return None
    cls, sub = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return f"{int(cls)}/{int(sub)}" if int(cls) > 0 else None


def _describe(descriptions: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Keyword group (or None) and DA flag of each distinct description."""
    group = pd.Series(None, index=descriptions.index, dtype=object)
    for name, pattern in _RULES:
        todo = group.isna()
        if not todo.any():
            break
        hit = descriptions[todo].str.contains(pattern, case=False, regex=True)
        group[hit[hit].index] = name
    return group, descriptions.str.contains(_DA_WORDS, case=False, regex=True)


def _take(values: pd.Series, idx: np.ndarray) -> pd.Series:
    """``values[idx]`` with -1 giving None."""
    padded = np.append(values.to_numpy(dtype=object), None)
    return pd.Series(padded[np.where(idx >= 0, idx, len(values))], dtype=object)


def classify_offences(
    codes: pd.Series,
    descriptions: pd.Series,
    *,
    blank_code_is_non_crime: bool = True,
    table_path: Path | None = None,
) -> pd.DataFrame:
    """``ho_code`` (normalised), ``offence_group``, ``da_relevant_offence`` and ``error`` per row.

    ``codes`` and ``descriptions`` are aligned columns of one extract; see the module docstring
    for the rules. ``error`` is set only for a non-blank code that is not ``NNN/NN``.
    ``table_path`` replaces ``data/offences.csv`` with a force's own table of the same shape.
    """
    table = offence_table(table_path)
    whole_class = table["ho_code"].str.endswith("/*")
    exact = table[~whole_class].set_index("ho_code")
    by_class = table[whole_class].set_index(table.loc[whole_class, "ho_code"].str[:-2])["offence_group"]

    # classify each distinct (code, description) pair once
    code_idx, code_text = distinct(codes)
    desc_idx, desc_text = distinct(descriptions.set_axis(codes.index))
    width = len(desc_text) + 1
    pair_idx, pairs = pd.factorize((code_idx + 1) * width + (desc_idx + 1))
    c_of, d_of = pairs // width - 1, pairs % width - 1
    keyword, da_words = _describe(desc_text)
    raw = _take(code_text, c_of)
    ho = _take(code_text.map(normalise_ho_code), c_of)
    da = _take(da_words, d_of).eq(True) | ho.map(exact["da_indicator"]).eq(True)

    group = ho.map(exact["offence_group"]).astype(object)
    for fallback in (_take(keyword, d_of), ho.str.split("/").str[0].map(by_class), "other"):
        group = group.where(group.notna(), fallback)
    if blank_code_is_non_crime:
        group = group.where(raw.notna(), "non_crime")
    error = pd.Series(
        [
            f"unrecognised Home Office offence code '{r}'" if r is not None and h is None else None
            for r, h in zip(raw, ho, strict=True)
        ],
        dtype=object,
    )
    per_pair = pd.DataFrame(
        {"ho_code": ho, "offence_group": group, "da_relevant_offence": da, "error": error}
    )
    out = broadcast(per_pair, pair_idx, codes.index, dict.fromkeys(per_pair.columns))
    out["da_relevant_offence"] = out["da_relevant_offence"].astype(bool)
    return out


def load_harm_table(path: Path | None = None) -> pd.DataFrame:
    """Harm weights (crime harm index days) as ``ho_code``, ``offence_group``, ``harm_days``, ``note``.

    The default is ``data/harm.csv`` (by offence group). A force's own CSV may key rows by
    ``ho_code``, ``offence_group`` or both; ``harm_days`` is required and must be a non-negative
    number. Raises ValueError naming the problem, since a bad harm table is a configuration error.
    """
    source = Path(path) if path is not None else DATA / "harm.csv"
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    table.columns = [c.strip().lower() for c in table.columns]
    if "harm_days" not in table or not {"ho_code", "offence_group"} & set(table.columns):
        raise ValueError(f"{source}: needs a harm_days column and an ho_code or offence_group column")
    for col in ("ho_code", "offence_group", "note"):
        if col not in table:
            table[col] = ""
    raw_codes = table["ho_code"].str.strip()
    table["ho_code"] = [normalise_ho_code(c) if c else None for c in raw_codes]
    groups = table["offence_group"].str.strip()
    table["offence_group"] = groups.where(groups != "", None)
    days = pd.to_numeric(table["harm_days"].str.strip(), errors="coerce")
    problems = []
    bad_days = days.isna() | (days < 0)
    if bad_days.any():
        rows = [int(r) + 2 for r in np.flatnonzero(bad_days)]  # + header line, 1-based
        problems.append(f"harm_days must be a non-negative number (lines {rows})")
    bad_codes = sorted(set(raw_codes[(raw_codes != "") & table["ho_code"].isna()]))
    if bad_codes:
        problems.append(f"not Home Office codes: {bad_codes}")
    if (table["ho_code"].isna() & table["offence_group"].isna()).any():
        problems.append("every row needs a valid ho_code or an offence_group")
    unknown = sorted(set(table["offence_group"].dropna()) - set(GROUPS))
    if unknown:
        problems.append(f"unknown offence groups {unknown}; expected {', '.join(GROUPS)}")
    key = table["ho_code"].fillna("group " + table["offence_group"].fillna(""))
    if key.duplicated().any():
        problems.append(f"duplicate keys {sorted(set(key[key.duplicated()]))}")
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))
    table["harm_days"] = days.astype(float)
    return table[["ho_code", "offence_group", "harm_days", "note"]].reset_index(drop=True)


def harm_days(ho_codes: pd.Series, groups: pd.Series, table: pd.DataFrame | None = None) -> pd.Series:
    """Harm days per row: the table's value for the HO code, else for the group, else the default
    table's group value, else 0. ``ho_codes`` are normalised codes (``classify_offences`` output);
    a table row with both a code and a group counts as a code row.
    """
    table = table if table is not None else load_harm_table()
    default = load_harm_table().dropna(subset=["offence_group"])
    by_code = table.dropna(subset=["ho_code"]).set_index("ho_code")["harm_days"]
    by_group = table[table["ho_code"].isna()].set_index("offence_group")["harm_days"]
    fallback = default.set_index("offence_group")["harm_days"]
    out = ho_codes.map(by_code)
    out = out.fillna(groups.map(by_group)).fillna(groups.map(fallback)).fillna(0.0)
    return out.astype(float)
