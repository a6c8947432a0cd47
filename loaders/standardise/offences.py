"""Classifying an extract's offence codes and descriptions into the groups DA analysis uses.

Classification of each (code, description) pair, first rule that applies:

1. a blank code is a non-crime incident (``non_crime``), unless ``blank_code_is_non_crime`` is
   False for a source that never codes offences;
2. the normalised code (``008/01`` -> ``8/1``) is listed exactly in the reference code table
   (``reference/data/offences.csv``, :mod:`reference.offences`);
3. the description matches a keyword rule (``_RULES``: breach of an order, murder, rape,
   stalking, harassment, ABH, common assault, criminal damage...);
4. the code's class is listed as ``N/*`` in the code table (e.g. every ``105/x`` is an
   assault without injury);
5. otherwise ``other``. A code that is not ``NNN/NN`` gives ``ho_code`` None and an ``error``,
   and is classified from its description.

``da_relevant_offence`` is True when the offence itself implies a domestic context: controlling
or coercive behaviour (the parties are personally connected by definition), breach of a
non-molestation order or of a DVPO/DVPN/DAPO/DAPN, or a description that says domestic abuse.

Harm (crime harm index days) is a separate table, :mod:`reference.harm`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reference.offences import normalise_ho_code, offence_table

from ._distinct import broadcast, distinct

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
    ``table_path`` replaces the reference code table with a force's own table of the same shape.
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


