"""MoPI retention: which group a record is in, and when it is due for review.

The groups, their schedules and the rules that put a record in a group are configuration
(``data/retention.yaml``, or a force's own file): a record falls in the group of the first rule it
matches. Dates follow :mod:`reference.ages` (29 February is 1 March in a common year: a review is
never brought forward).

When a record is due, as of a day:

- every group: the latest scheduled review on or before the day, the first ``first_review_years``
  after the record's date and then every ``review_every_years``;
- a group kept until the subject is deemed ``retain_until_age`` (group 1: 100): when that birthday
  has come, the review is due on it (the end of retention, not another periodic review). With
  several subjects (suspects of one event) the youngest decides, since the record is kept for
  whoever it protects against longest. When any subject's date of birth is unknown the point
  cannot be set: the record is kept, reviewed on the periodic schedule, and the row says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reference.ages import anniversary
from reference.config import read_yaml, rules_source
from reference.offences import GROUPS, normalise_ho_code, offence_table

KINDS = ("event", "custody", "notice", "order")
CONDITIONS = ("kinds", "da", "offence_groups", "ho_codes", "order_types", "notice_types")


@dataclass(frozen=True)
class Group:
    number: int
    name: str
    first_review_years: int
    review_every_years: int
    retain_until_age: int | None


@dataclass(frozen=True)
class Rule:
    name: str
    group: int
    conditions: dict

    def matches(self, facts: dict) -> bool:
        for key, want in self.conditions.items():
            if key == "da":
                if bool(facts.get("da")) != want:
                    return False
            elif key == "ho_codes":
                if not _code_in(facts.get("ho_code"), want):
                    return False
            else:
                fact = {"kinds": "kind", "offence_groups": "offence_group", "order_types": "order_type",
                        "notice_types": "notice_type"}[key]
                if facts.get(fact) not in want:
                    return False
        return True


@dataclass(frozen=True)
class Review:
    """A record's review as of a day."""

    review_on: dt.date
    reason: str
    review_number: int  # periodic reviews passed (0 when the first is still to come)
    next_review_on: dt.date | None
    retain_until: dt.date | None  # the subject's deemed birthday ending retention, when known


@dataclass(frozen=True)
class RetentionRules:
    groups: dict[int, Group]
    rules: tuple[Rule, ...]
    default_group: int

    def group_of(self, facts: dict) -> tuple[int, str]:
        """(group, the rule that put it there) for a record's facts: kind, da, offence_group,
        ho_code, order_type, notice_type."""
        for rule in self.rules:
            if rule.matches(facts):
                return rule.group, rule.name
        return self.default_group, "no rule matched: the default group"

    def review(self, group: int, record_date: dt.date, dobs: list[dt.date | None], as_of: dt.date) -> Review | None:
        """The review due on or before ``as_of`` for a record of ``group`` made on ``record_date`` whose
        subjects were born on ``dobs`` (None: unknown); None when nothing is due yet."""
        g = self.groups[group]
        periodic, k = None, 0
        years = g.first_review_years
        while (day := anniversary(record_date, years)) <= as_of:
            periodic, k = day, k + 1
            years += g.review_every_years
        upcoming = anniversary(record_date, years)
        until = None
        unknown = not dobs or any(d is None for d in dobs)
        if g.retain_until_age is not None and not unknown:
            until = max(anniversary(d, g.retain_until_age) for d in dobs)
            if until <= as_of:
                return Review(until, f"retention ended: subject deemed {g.retain_until_age} on {until}", k,
                              None, until)
            if upcoming is not None and until < upcoming:
                upcoming = until
        if periodic is None:
            return None
        reason = f"{_ordinal(k)} review, {years - g.review_every_years} years after the record"
        if g.retain_until_age is not None and unknown:
            reason += (f"; subject's date of birth unknown: the {g.retain_until_age}-year point cannot be set, "
                       f"so the record is kept and reviewed every {g.review_every_years} years")
        return Review(periodic, reason, k, upcoming, until)


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _code_in(code: str | None, patterns: tuple[str, ...]) -> bool:
    if not code:
        return False
    return any(code == p or (p.endswith("/*") and code.split("/")[0] == p[:-2]) for p in patterns)


def offence_group_of(ho_code: str | None) -> str | None:
    """The offence group of a Home Office code by the shared code table (exact, then its class)."""
    code = normalise_ho_code(ho_code) if ho_code else None
    if code is None:
        return None
    table = offence_table()
    exact = table.loc[table["ho_code"] == code, "offence_group"]
    if not exact.empty:
        return str(exact.iloc[0])
    whole = table.loc[table["ho_code"] == code.split("/")[0] + "/*", "offence_group"]
    return str(whole.iloc[0]) if not whole.empty else None


def load_retention_rules(path: Path | str | None = None) -> RetentionRules:
    """The rules from ``path``, else ``DOTS_RETENTION_RULES``, else the shipped file. A bad file is
    a ValueError naming the file and the key."""
    return _load(rules_source(path, "DOTS_RETENTION_RULES", "retention.yaml"))


@lru_cache(maxsize=8)
def _load(source: str) -> RetentionRules:
    doc = read_yaml(source, "retention rules")
    try:
        groups = {}
        for number, g in doc["groups"].items():
            age = g["retain_until_age"]
            groups[int(number)] = Group(int(number), str(g["name"]), int(g["first_review_years"]),
                                        int(g["review_every_years"]), None if age is None else int(age))
            if min(groups[int(number)].first_review_years, groups[int(number)].review_every_years) < 1:
                raise ValueError(f"{source}: groups.{number}: review years must be 1 or more")
        rules = []
        for i, r in enumerate(doc["rules"] or []):
            conditions = {}
            for key in CONDITIONS:
                if key in r:
                    value = r[key]
                    conditions[key] = bool(value) if key == "da" else tuple(str(v) for v in value)
            extra = sorted(set(r) - {"name", "group", *CONDITIONS})
            if extra:
                raise ValueError(f"{source}: rules[{i}]: unknown condition {extra[0]!r}: "
                                 f"one of {', '.join(CONDITIONS)}")
            bad = sorted(set(conditions.get("offence_groups", ())) - set(GROUPS)) + sorted(
                set(conditions.get("kinds", ())) - set(KINDS))
            if bad:
                raise ValueError(f"{source}: rules[{i}]: unknown offence group or kind {bad[0]!r}")
            if int(r["group"]) not in groups:
                raise ValueError(f"{source}: rules[{i}]: no group {r['group']}")
            rules.append(Rule(str(r["name"]), int(r["group"]), conditions))
        default = int(doc["default_group"])
        if default not in groups:
            raise ValueError(f"{source}: default_group: no group {default}")
        return RetentionRules(groups, tuple(rules), default)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{source}: missing or malformed retention rule {exc}") from exc
