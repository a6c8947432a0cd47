"""Reference tables shipped as CSV in synth/data, and a fast weighted sampler over them.

The tables are data, not code, so that a reviewer can check frequencies and codes without
reading Python, and so that the generator stays reproducible from the files alone.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).with_name("data")


@cache
def table(name: str) -> pd.DataFrame:
    """One data file as strings (blank cells stay empty strings, never NaN)."""
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8")


class Choice:
    """Weighted draws from a fixed list: one uniform draw and one searchsorted per sample."""

    def __init__(self, values: list | np.ndarray, weights: list | np.ndarray) -> None:
        self.values = np.asarray(values, dtype=object)
        w = np.asarray(weights, dtype=float)
        if len(w) == 0 or w.sum() <= 0:
            raise ValueError("a Choice needs at least one positive weight")
        cdf = np.cumsum(w)
        self.cdf = cdf / cdf[-1]

    def __len__(self) -> int:
        return len(self.values)

    def idx(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Indices into ``values``."""
        out = np.searchsorted(self.cdf, rng.random(n), side="right")
        return np.minimum(out, len(self.cdf) - 1)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Values (object array)."""
        return self.values[self.idx(rng, n)]


def pick(rng: np.random.Generator, probs: list[float], n: int) -> np.ndarray:
    """Category numbers 0..len(probs)-1 with the given probabilities."""
    return Choice(list(range(len(probs))), probs).idx(rng, n)
