"""Person evidence for entity matching: resolved person ids, and the person engine's weight for a pair.

Orders and events are matched on who was involved. The resolved person id says "same person"
when person resolution linked the two records; where it did not (a court record without a
date of birth, a second force's nominal) the person engine's own comparison of the two
records (``linkage.explain.compare_keys`` and ``score``) says how alike they are, so a pair can
still count as "probably the same person" with the evidence the person engine would show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


class PersonEvidence:
    """Person ids by record key, and match weights between record keys (NaN when unknown)."""

    def __init__(self, entities: pd.DataFrame, data_dir: Path | None = None):
        ent = entities.drop_duplicates("record_key") if not entities.empty else entities
        self.pid = (
            pd.Series(ent["person_id"].to_numpy(), index=ent["record_key"].to_numpy())
            if len(ent)
            else pd.Series(dtype=object)
        )
        self.data_dir = data_dir
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self.settings = None
        self.review_weight = float("inf")
        self.link_weight = float("inf")
        if data_dir is not None:
            try:
                from linkage.settings import load_settings

                self.settings = load_settings()
                self.review_weight = self.settings.review_weight
                self.link_weight = self.settings.link_weight
            except Exception:  # noqa: BLE001 - no person settings: ids only
                self.settings = None

    def person_id(self, keys: pd.Series | np.ndarray) -> np.ndarray:
        return pd.Series(np.asarray(keys, dtype=object)).map(self.pid).to_numpy(dtype=object)

    def weights(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Person-engine match weight per (left[i], right[i]) record-key pair; NaN where it cannot say."""
        return self.compare(left, right)[0]

    def same_name(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """True where the person engine finds the names agreeing and nothing against (see ``compare``)."""
        return self.compare(left, right)[1]

    def compare(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pair: the person engine's match weight (NaN: cannot say) and whether the two records
        name the same person by the engine's own levels: forename and surname agree (exactly, as a
        nickname, a typo, a sound, an alias or swapped) and neither date of birth nor sex disagrees.
        """
        left = np.asarray(left, dtype=object)
        right = np.asarray(right, dtype=object)
        out_w, out_n = np.full(len(left), np.nan), np.zeros(len(left), dtype=bool)
        if self.settings is None or self.data_dir is None or len(left) == 0:
            return out_w, out_n
        pairs = [tuple(sorted((str(a), str(b)))) for a, b in zip(left, right, strict=True)]
        todo = sorted(
            {
                p
                for p in pairs
                if p not in self._cache and p[0] != p[1] and p[0] in self.pid.index and p[1] in self.pid.index
            }
        )
        if todo:
            try:
                from linkage.explain import compare_keys
                from linkage.model import score

                model, levels, tf, _, _ = compare_keys(self.data_dir, todo, self.settings)
                w = score(model, self.settings, levels, tf)
                named = self._names_agree(levels)
                self._cache.update({p: (float(x), bool(y)) for p, x, y in zip(todo, w, named, strict=True)})
            except (FileNotFoundError, KeyError, ValueError):
                self._cache.update(dict.fromkeys(todo, (float("nan"), False)))
        for i, p in enumerate(pairs):
            out_w[i], out_n[i] = self._cache.get(p, (np.nan, False))
        return out_w, out_n

    def _names_agree(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        s = self.settings

        def among(name: str, wanted: tuple[str, ...]) -> np.ndarray:
            comp = s.comparison(name)
            codes = [lv.code for lv in comp.levels if lv.name in wanted]
            return np.isin(levels[name], codes)

        forename = among("forename", ("exact", "nickname", "short_form", "fuzzy", "variant", "phonetic"))
        surname = among("surname", ("exact", "swapped", "alias", "fuzzy", "variant", "phonetic"))
        against = among("dob", ("else", "generation")) | among("sex", ("different",))
        against |= among("pnc", ("different",)) | among("cro", ("different",))
        return forename & surname & ~against
