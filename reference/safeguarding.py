"""The rules and clocks of the safeguarding duties: bail limits by regime, RUI reviews, the DVPO
hearing's 48 hours, the DVPO caseworker's 2 working days, Operation Encompass's next school day.

Rules live in ``data/safeguarding.yaml`` (a force may give its own file) because the law changes:
bail limits are keyed on the arrest date that decides the regime (28 October 2022). Days are
counted on the maintained England and Wales calendar (:mod:`reference.calendar`), never a table
that runs out. Times are naive UK local times, as the extracts record them.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from reference.calendar import add_working_days, bank_holiday, is_working_day
from reference.ranks import LEVEL, canonical_rank

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Limit:
    """The latest day ``rank`` (or anyone more senior) may bail to: arrest + months + days."""

    rank: str
    months: int = 0
    days: int = 0

    def until(self, arrested: dt.date) -> dt.date:
        return add_months(arrested, self.months) + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class Regime:
    name: str
    starts: dt.date
    limits: tuple[Limit, ...]


@dataclass(frozen=True)
class Rules:
    regimes: tuple[Regime, ...]  # oldest first
    due_soon_days: int
    rui_authority_rank: str
    rui_authority_rationale: bool
    rui_review_months: int
    hearing_hours: int
    referral_working_days: int
    school_starts: dt.time
    min_age: int
    max_age: int
    ended_days_before: int
    ends_days_after: int
    active_days: int

    def regime(self, arrested: dt.date) -> Regime | None:
        """The regime of an arrest on ``arrested`` (None before the first one: no limits)."""
        found = None
        for r in self.regimes:
            if arrested >= r.starts:
                found = r
        return found

    def bail_limit(self, arrested: dt.date, rank: str | None) -> tuple[dt.date | None, bool]:
        """``(limit, allowed)``: the latest day ``rank`` may bail to under the arrest's regime, and
        whether the rank may authorise bail at all. A court has no limit; an unknown rank is not
        judged (``(None, True)``)."""
        regime = self.regime(arrested)
        if regime is None or rank is None or rank not in LEVEL:
            return None, True
        if rank == "COURT":
            return None, True
        best = None
        for limit in regime.limits:
            if LEVEL[rank] >= LEVEL[limit.rank]:
                best = limit.until(arrested)
        return best, best is not None

    def rui_authorised(self, rank: str | None, rationale: str | None) -> bool:
        """Whether bail cancelled into RUI had the authority the rules ask for."""
        ok_rank = rank in LEVEL and LEVEL[rank] >= LEVEL[self.rui_authority_rank]
        ok_why = bool(rationale and str(rationale).strip()) or not self.rui_authority_rationale
        return ok_rank and ok_why


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: not a date: {value!r}") from exc


def load_rules(path: Path | str | None = None) -> Rules:
    """The rules from a YAML file: ``path``, else ``DOTS_SAFEGUARDING_RULES`` (a force's own file for
    the API and every command), else the shipped ``data/safeguarding.yaml``. A bad file is a
    configuration error: ValueError naming the file and the key."""
    chosen = path if path is not None else os.environ.get("DOTS_SAFEGUARDING_RULES") or None
    source = Path(chosen) if chosen is not None else DATA / "safeguarding.yaml"
    return _load(str(source))


@lru_cache(maxsize=8)
def _load(source: str) -> Rules:
    try:
        doc = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{source}: cannot read the safeguarding rules: {exc}") from exc
    try:
        bail, rui, notices, enc, gaps = (doc[k] for k in ("bail", "rui", "notices", "encompass", "gaps"))
        regimes = []
        for i, r in enumerate(bail["regimes"]):
            limits = []
            for limit in r["limits"]:
                rank = canonical_rank(limit["rank"])
                if rank is None:
                    raise ValueError(f"{source}: bail.regimes[{i}]: unknown rank {limit['rank']!r}")
                limits.append(Limit(rank, int(limit.get("months", 0)), int(limit.get("days", 0))))
            regimes.append(Regime(str(r["name"]), _date(r["from"], f"{source}: bail.regimes[{i}].from"),
                                  tuple(limits)))
        rank = canonical_rank(bail["rui_authority_rank"])
        if rank is None:
            raise ValueError(f"{source}: bail.rui_authority_rank: unknown rank {bail['rui_authority_rank']!r}")
        hour, minute = (int(x) for x in str(enc["school_starts"]).split(":"))
        return Rules(
            regimes=tuple(sorted(regimes, key=lambda r: r.starts)),
            due_soon_days=int(bail["due_soon_days"]),
            rui_authority_rank=rank,
            rui_authority_rationale=bool(bail["rui_authority_rationale"]),
            rui_review_months=int(rui["review_months"]),
            hearing_hours=int(notices["hearing_hours"]),
            referral_working_days=int(notices["referral_working_days"]),
            school_starts=dt.time(hour, minute),
            min_age=int(enc["min_age"]),
            max_age=int(enc["max_age"]),
            ended_days_before=int(gaps["ended_days_before"]),
            ends_days_after=int(gaps["ends_days_after"]),
            active_days=int(gaps["active_days"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{source}: missing or malformed safeguarding rule {exc}") from exc


# -- clocks -----------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (the last day of a shorter month)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def counts_for_dvpo(day: dt.date) -> bool:
    """Whether a day's hours count towards the DVPO hearing's 48 hours (CSA 2010 s.27(6)): not a
    Sunday, Christmas Day, Good Friday or bank holiday (the last two are bank holidays)."""
    return day.weekday() != 6 and bank_holiday(day) is None


def hearing_due(served: dt.datetime, hours: int = 48) -> dt.datetime:
    """When a DVPO hearing is due: ``hours`` counted hours after service, skipping whole days that
    do not count."""
    left, t = dt.timedelta(hours=hours), served
    while left > dt.timedelta(0):
        midnight = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time())
        if not counts_for_dvpo(t.date()):
            t = midnight
            continue
        step = min(left, midnight - t)
        t += step
        left -= step
    return t


def referral_due(served: dt.datetime, working_days: int = 2) -> dt.datetime:
    """The DVPO caseworker referral's deadline: the last minute of the ``working_days``-th working
    day after the day of service."""
    day = add_working_days(served.date(), working_days)
    return dt.datetime.combine(day, dt.time(23, 59))


def school_due(incident: dt.datetime, starts: dt.time = dt.time(9, 0)) -> dt.datetime:
    """Operation Encompass: the start of the next school day (a working day); an incident before
    the start of a school day is due that morning."""
    day = incident.date()
    if is_working_day(day) and incident.time() < starts:
        return dt.datetime.combine(day, starts)
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, starts)


def age_on(dob: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day``."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
