"""The rules of the strategic statistics (``data/statistics.yaml``): the suppression threshold,
the repeat-victim definition, what a positive outcome is, which offences are "other violent
crime", and the age bands. Configuration, not code: a force gives its own file where its return
is defined differently (``dots stats --rules``, or ``DOTS_STATISTICS_RULES``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reference.ages import age_on
from reference.config import read_yaml, rules_source
from reference.offences import GROUPS


@dataclass(frozen=True)
class StatisticsRules:
    threshold: int
    repeat_window_days: int
    repeat_any_force: bool
    positive_outcomes: tuple[str, ...]
    violent_groups: tuple[str, ...]
    age_bands: tuple[tuple[int, int | None], ...]  # (from, to or None), whole years

    def repeat_definition(self) -> str:
        where = "recorded by any force" if self.repeat_any_force else "recorded by the same force"
        return (f"a victim of a DA crime in the period who was a victim of another DA crime {where} in the "
                f"{self.repeat_window_days} days before it")

    def age_band(self, dob: dt.date | None, day: dt.date) -> str:
        """The band label (``25-34``, ``65+``) of someone born on ``dob`` on ``day``; ``unknown``
        without a date of birth (or one after the day)."""
        if dob is None:
            return "unknown"
        age = age_on(dob, day)
        for low, high in self.age_bands:
            if age >= low and (high is None or age <= high):
                return f"{low}+" if high is None else f"{low}-{high}"
        return "unknown"

    def age_labels(self) -> list[str]:
        return [f"{lo}+" if hi is None else f"{lo}-{hi}" for lo, hi in self.age_bands] + ["unknown"]


def load_statistics_rules(path: Path | str | None = None) -> StatisticsRules:
    """The rules from ``path``, else ``DOTS_STATISTICS_RULES``, else the shipped file. A bad file
    is a ValueError naming the file and the key."""
    return _load(rules_source(path, "DOTS_STATISTICS_RULES", "statistics.yaml"))


@lru_cache(maxsize=8)
def _load(source: str) -> StatisticsRules:
    doc = read_yaml(source, "statistics rules")
    try:
        bands = tuple((int(lo), None if hi is None else int(hi)) for lo, hi in doc["age_bands"])
        groups = tuple(str(g) for g in doc["outcomes"]["violent_groups"])
        rules = StatisticsRules(
            threshold=int(doc["suppression"]["threshold"]),
            repeat_window_days=int(doc["repeat_victims"]["window_days"]),
            repeat_any_force=bool(doc["repeat_victims"]["any_force"]),
            positive_outcomes=tuple(str(o).upper() for o in doc["outcomes"]["positive"]),
            violent_groups=groups,
            age_bands=bands,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{source}: missing or malformed statistics rule {exc}") from exc
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise ValueError(f"{source}: outcomes.violent_groups: unknown offence groups {unknown}")
    if rules.threshold < 0 or rules.repeat_window_days < 1:
        raise ValueError(f"{source}: suppression.threshold must be 0 or more and repeat_victims.window_days 1 or more")
    for (lo, hi), nxt in zip(bands, bands[1:], strict=False):
        if hi is None or hi < lo or nxt[0] != hi + 1:
            raise ValueError(f"{source}: age_bands must run on from one another without gaps: {lo}-{hi}")
    return rules
