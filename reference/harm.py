"""Offence gravity: crime harm index days per Home Office code or offence group, the one harm
table of the product.

The default is ``data/harm.csv``, keyed by offence group, with the indicative Cambridge Crime Harm
Index medians from domain.md; a force's own CSV keyed by Home Office code and/or offence group
replaces it (:func:`load_harm_table`), so gravity stays configuration, not code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reference.offences import DATA, GROUPS, normalise_ho_code


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
