"""Force names as extracts write them, resolved column by column to ONS codes through the
reference alias table (:mod:`reference.forces`)."""

from __future__ import annotations

import pandas as pd

from reference.forces import Force, lookup_force

from ._distinct import map_distinct


def force_codes(s: pd.Series) -> pd.DataFrame:
    """Resolve force names as written to ``force_code`` (ONS code) and ``force_name``.

    Both are None for blank or unrecognised names; the loader decides whether that is an error.
    """

    def worker(text: pd.Series) -> pd.DataFrame:
        found = text.map(lookup_force)
        return pd.DataFrame(
            {
                "force_code": found.map(lambda f: f.code if isinstance(f, Force) else None),
                "force_name": found.map(lambda f: f.name if isinstance(f, Force) else None),
            }
        )

    return map_distinct(s, worker, {"force_code": None, "force_name": None})
