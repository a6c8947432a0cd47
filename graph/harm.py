"""Offence gravity for the graph: the one harm table of the product, applied to events.

The table and its validation live with the offence classification
(``loaders.standardise.offences``: ``data/harm.csv`` by default, indicative Cambridge Crime
Harm Index days from domain.md); a force's own CSV keyed by Home Office code and/or offence
group replaces it, so gravity stays configuration, not code.
"""

from __future__ import annotations

import pandas as pd

from loaders.standardise.offences import harm_days, load_harm_table

__all__ = ["gravity", "load_harm_table"]


def gravity(ho_code: pd.Series, offence_group: pd.Series, table: pd.DataFrame | None = None) -> pd.Series:
    """Harm days per event: the code's row, else the group's, else the default group value, else 0."""
    return harm_days(ho_code, offence_group, table)
