"""The police's own protective measures and their clocks, drawn from the story's DA incidents.

Written after the force and court files, with a random stream of their own:

* ``custody-<date>.csv``, two deliveries (the earlier one three months before the extract date):
  each arrest in its state on the delivery date. Pre-charge bail follows the regime of its arrest
  date (from 3 April 2017: 28 days, then an inspector's and a superintendent's extension; from
  28 October 2022: 3 months, 6 with an inspector, 9 with a superintendent; a court beyond), with
  extensions beyond the authoriser's limit, periods that lapse with a decision in time, late or
  never, conversions into RUI with and without an inspector's authority and a rationale, RUIs
  with and without reviews. The relational forces' systems (Athena-style) cannot hold RUI dates:
  their RUI decision dates and reviews are blank.
* ``police-notices.csv``: a DVPN before each DVPO in the story (heard in time or late, the
  hearing being the day the order was made), DVPNs served on release from custody that were
  never applied for, refused or withdrawn, DAPNs in the pilot forces, and a few served in the
  last two days with the hearing still to come.
* ``referrals.csv``: the DVPO caseworker told of each DVPN in time, late, after the DVPO expired
  or never; each child of school age present at an incident notified to the school before the
  next school day, late or never; and referrals to IDVAs, MARAC, Victim Support, refuges and
  children's social care that no clock reads.
* ``court-orders-3.csv``: a later magistrates' and family court delivery of orders that end
  around the extract date, some followed by another order for the same protected person, some
  against perpetrators still offending, so the protection-gap list has cases to find.

Who is written: the record key the force used in the incident (so one nominal has one identity
across the force's extracts), or a new nominal when the force had none for that person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synth.clock import DAY, add_months, date_of, day_of, hours_after, hours_before, referral_due, school_due
from synth.extracts import BAD_RATE, _insert_bad, _lines
from synth.formats import pnc_text
from synth.records import BLANK, Nominal, write_people
from synth.tables import table
from synth.world import T1, YEAR

REGIME_2017 = day_of(dt.date(2017, 4, 3))
REGIME_2022 = day_of(dt.date(2022, 10, 28))
DAPN_START = day_of(dt.date(2024, 11, 27))
FIRST_DELIVERY = T1 - 91
NO_RUI_DATES = {"durham", "metropolitan"}  # relational (Athena-style) systems: no RUI dates
NEW_NUMBERS = 80_000_000  # nominals created for people a force had no reference for

CUSTODY_COLUMNS = [
    "force",
    "custody_ref",
    "occurrence_ref",
    "nominal_ref",
    "surname",
    "forenames",
    "dob",
    "sex",
    "pnc_id",
    "arrested_at",
    "offence",
    "ho_offence_code",
    "disposal",
    "bail_until",
    "bail_conditions",
    "authorised_by_rank",
    "protected_nominal_ref",
    "decision",
    "decision_on",
    "decision_rationale",
    "rui_review_on",
]
NOTICE_COLUMNS = [
    "force",
    "notice_ref",
    "notice_type",
    "served_at",
    "authorised_by_rank",
    "subject_nominal_ref",
    "subject_surname",
    "subject_forenames",
    "subject_dob",
    "protected_nominal_ref",
    "protected_surname",
    "protected_forenames",
    "protected_dob",
    "premises",
    "application_made_at",
    "hearing_at",
    "hearing_outcome",
]
REFERRAL_COLUMNS = [
    "force",
    "referral_ref",
    "occurrence_ref",
    "notice_ref",
    "nominal_ref",
    "surname",
    "forenames",
    "dob",
    "service",
    "sent_at",
    "outcome",
    "child_forenames",
    "child_surname",
    "child_dob",
    "school",
]
STATE = ["bail_until", "bail_conditions", "authorised_by_rank", "protected_nominal_ref", "decision",
         "decision_on", "decision_rationale", "rui_review_on"]
RATIONALES = [
    "Awaiting forensic results",
    "Phone download outstanding",
    "Further witness statements required",
    "File with CPS for a charging decision",
    "Victim's views on conditions sought",
]
RUI_RATIONALES = [
    "Conditions no longer necessary; risk reviewed with the victim",
    "Suspect moved out of the area; safeguarding plan in place",
    "Investigation delayed by forensics; risk assessed as standard",
]
SCHOOL_KINDS = ["Primary School", "Academy", "Church of England Primary School", "Junior School"]
SECONDARY_KINDS = ["High School", "Academy", "School", "Community College"]


@dataclass
class Arrest:
    """One custody record: the arrest, and the changes to its state after release, by day."""

    force: int
    ref: str
    occurrence: str
    person: int
    nominal: Nominal
    protected: str  # protected nominal reference, or ""
    victim: int
    minute: int
    offence: str
    code: str
    disposal: str
    initial: dict[str, str]
    pnc: str = ""  # as the custody record writes it
    steps: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def state(self, day: int) -> dict[str, str] | None:
        """The row's changing fields as a delivery on ``day`` would show them."""
        if self.minute // DAY > day:
            return None
        out = dict(self.initial)
        for when, change in self.steps:
            if when <= day:
                out.update(change)
        return out


# --------------------------------------------------------------------------------------------
# who is written


class Nominals:
    """Each force's references for each person, with the identity the force wrote for them."""

    def __init__(self, ctx) -> None:  # noqa: ANN001 (synth.extracts.Context)
        self.ctx = ctx
        frame = pd.concat(ctx.written.nominals, ignore_index=True)
        frame = frame.drop_duplicates(["force", "person"], keep="first")
        self.known: dict[tuple[int, int], Nominal] = {
            (int(f), int(p)): Nominal(k, s, fn, int(d), x)
            for f, p, k, s, fn, d, x in frame[["force", "person", "key", "surname", "forenames", "dob", "sex"]]
            .itertuples(index=False, name=None)
        }
        every = pd.concat(ctx.written.nominals, ignore_index=True).drop_duplicates(["force", "key"])
        self.by_key: dict[tuple[int, str], Nominal] = {
            (int(f), str(k)): Nominal(k, s, fn, int(d), x)
            for f, k, s, fn, d, x in every[["force", "key", "surname", "forenames", "dob", "sex"]]
            .itertuples(index=False, name=None)
        }
        self.next_number = NEW_NUMBERS

    def written(self, force: int, record_key: str, person: int, day: int) -> Nominal:
        """The nominal a record of the force used (as its incident row wrote it), else :meth:`of`."""
        found = self.by_key.get((force, record_key.split("/", 1)[1]))
        return found if found is not None else self.of(force, person, day)

    def of(self, force: int, person: int, day: int) -> Nominal:
        """The force's nominal for the person, or a new one written as the force would."""
        found = self.known.get((force, person))
        if found is not None:
            return found
        ctx = self.ctx
        who = write_people(
            ctx.drng, ctx.bank, ctx.people, np.array([person]), np.array([day]),
            p_fault=np.array([0.08]), p_dob_blank=np.array([0.05]),
        )
        self.next_number += int(ctx.drng.integers(1, 9))
        key = f"{ctx.forces.person_prefix[force]}{self.next_number:08d}"
        forenames = who.forename[0] + (" " + who.middle[0] if who.middle[0] else "")
        nominal = Nominal(key, str(who.surname[0]), forenames, int(who.dob[0]), str(who.sex[0]))
        self.known[(force, person)] = nominal
        name = ctx.forces.names[force]
        ctx.written.persons.append(pd.DataFrame({"record_key": [f"{name}/{key}"], "person": [person]}))
        return nominal


def _dmy(day: int) -> str:
    return "" if day == BLANK else date_of(day).strftime("%d/%m/%Y")


def _at(minute: int) -> str:
    return f"{date_of(minute // DAY).strftime('%d/%m/%Y')} {(minute % DAY) // 60:02d}:{minute % 60:02d}"


def _pick(rng: np.random.Generator, probs: list[float]) -> int:
    """One weighted category (``tables.pick`` for a single draw, without building a sampler)."""
    u, acc = rng.random() * sum(probs), 0.0
    for i, p in enumerate(probs):
        acc += p
        if u < acc:
            return i
    return len(probs) - 1


# --------------------------------------------------------------------------------------------
# custody


def _tiers(arrest_day: int) -> list[tuple[str, int]]:
    """(rank, the latest day that rank may bail to) for the regime of the arrest date."""
    if arrest_day >= REGIME_2022:
        return [
            ("SERGEANT", add_months(arrest_day, 3)),
            ("INSPECTOR", add_months(arrest_day, 6)),
            ("SUPERINTENDENT", add_months(arrest_day, 9)),
            ("COURT", add_months(arrest_day, 15)),
        ]
    return [
        ("INSPECTOR", arrest_day + 28),
        ("SUPERINTENDENT", add_months(arrest_day, 3)),
        ("COURT", add_months(arrest_day, 9)),
    ]


def _rui_after(rng: np.random.Generator, start: int, can_hold: bool, steps: list) -> None:
    """Reviews of an RUI from ``start`` (regular, one then none, or none) and perhaps its end."""
    kind = _pick(rng, [0.4, 0.25, 0.35])
    ends = start + int(rng.integers(100, 600)) if rng.random() < 0.45 else T1 + 10_000
    if kind < 2 and can_hold:
        review = start + int(rng.integers(50, 95))
        while review <= min(ends, T1):
            steps.append((review, {"rui_review_on": _dmy(review)}))
            if kind == 1:
                break
            review += int(rng.integers(60, 92))
    if ends <= T1:
        decision = ["CHARGED", "NFA", "CAUTIONED"][_pick(rng, [0.45, 0.45, 0.1])]
        steps.append((ends, {"decision": decision, "decision_on": _dmy(ends), "authorised_by_rank": "INSPECTOR",
                             "decision_rationale": ""}))


def _bail(rng: np.random.Generator, arrest: Arrest, can_hold: bool) -> None:
    """Pre-charge bail from the arrest: periods, extensions, lapses and decisions."""
    a = arrest.minute // DAY
    tiers = _tiers(a)
    rank, limit = tiers[0]
    end = limit if rng.random() < 0.85 else a + int(rng.integers(14, max(limit - a, 15)))
    if rng.random() < 0.15:  # beyond the authoriser's limit at the very start
        if a >= REGIME_2022:
            end = limit + int(rng.integers(7, 40))
        else:
            rank = "SERGEANT"
    arrest.initial.update({"bail_until": _dmy(end), "authorised_by_rank": rank})
    tier = 1
    for _ in range(4):
        if end > T1:
            return  # still running on the extract date
        recent = end > T1 - 365
        outcome = _pick(rng, [0.6, 0.15, 0.25] if recent else [0.75, 0.2, 0.05])
        if outcome == 2:
            return  # lapsed with no decision recorded
        day = end - int(rng.integers(0, 8)) if outcome == 0 else end + int(rng.integers(1, 31))
        if day > T1:
            return
        choice = _pick(rng, [0.45, 0.2, 0.15, 0.15, 0.05])
        if choice == 0 and tier < len(tiers):
            rank, end = tiers[tier]
            if rng.random() < 0.15:  # an extension by a rank below the one the law needs
                rank = tiers[tier - 1][0]
            arrest.steps.append(
                (day, {"decision": "EXTENDED", "decision_on": _dmy(day), "authorised_by_rank": rank,
                       "bail_until": _dmy(end), "decision_rationale": RATIONALES[int(rng.integers(0, 5))]})
            )
            tier += 1
            continue
        if choice in (3, 4) or (choice == 0 and tier >= len(tiers)):
            decision = "RUI" if choice != 4 else "BAIL_CANCELLED"
            authority = rng.random() < 0.6
            rank = ["INSPECTOR", "CHIEF_INSPECTOR", "SUPERINTENDENT"][int(rng.integers(0, 3))]
            why = RUI_RATIONALES[int(rng.integers(0, 3))]
            if not authority:
                rank, why = (["SERGEANT", ""][int(rng.integers(0, 2))], why) if rng.random() < 0.7 else (rank, "")
            arrest.steps.append(
                (day, {"decision": decision, "decision_on": _dmy(day) if can_hold else "",
                       "authorised_by_rank": rank, "decision_rationale": why})
            )
            _rui_after(rng, day, can_hold, arrest.steps)
            return
        decision = ["CHARGED", "NFA"][choice - 1] if choice in (1, 2) else "CHARGED"
        arrest.steps.append(
            (day, {"decision": decision, "decision_on": _dmy(day), "authorised_by_rank": "INSPECTOR",
                   "decision_rationale": ""})
        )
        return


DISPOSALS = ["CHARGED", "BAIL", "RUI", "NFA", "CAUTIONED", "REMANDED", "DVPN"]
DISPOSAL_P = [0.2, 0.32, 0.2, 0.12, 0.04, 0.04, 0.08]


def custody(ctx, nominals: Nominals, incidents: pd.DataFrame) -> list[Arrest]:  # noqa: ANN001
    """Arrests of suspects at the forces' DA incidents from April 2017, each with its life cycle."""
    rng = ctx.drng
    pool = incidents[(incidents["day"] >= REGIME_2017) & (incidents["day"] < T1)]
    pool = pool[rng.random(len(pool)) < 0.35]
    serial: dict[tuple[int, int], int] = {}
    arrests = []
    for row in pool.itertuples(index=False):
        minute = int(row.minute) + int(rng.integers(30, 720))
        day = minute // DAY
        year = date_of(day).year
        serial[(row.force_no, year)] = serial.get((row.force_no, year), 0) + int(rng.integers(1, 40))
        prefix = ctx.forces.prefix[row.force_no]
        ref = f"{prefix}/C/{year % 100:02d}/{serial[(row.force_no, year)]:05d}"
        # more bail for the last four months' arrests, so that some bail is due to lapse just after the
        # extract date (the "due within 7 days" list)
        recent = 0.8 if T1 - 100 <= day <= T1 - 80 else 0.4 if day > T1 - 120 else 0.0
        disposal = "BAIL" if rng.random() < recent else DISPOSALS[_pick(rng, DISPOSAL_P)]
        nominal = nominals.written(row.force_no, row.record_key, row.suspect, day)
        victim = nominals.written(row.force_no, row.record_key_victim, row.victim, day)
        protect = disposal == "BAIL" and rng.random() < 0.8
        arrest = Arrest(
            force=row.force_no,
            ref=ref,
            occurrence=row.ref if rng.random() < 0.9 else "",
            person=row.suspect,
            nominal=nominal,
            protected=victim.key if protect else "",
            victim=row.victim,
            minute=minute,
            offence=row.offence,
            code=row.code,
            disposal=disposal,
            initial=dict.fromkeys(STATE, ""),
        )
        if protect:
            street = ctx.addresses.street_name[row.address] + " " + ctx.addresses.street_type[row.address]
            arrest.initial["bail_conditions"] = (
                f"Not to contact {victim.forenames.split()[0]} {victim.surname.upper()} directly or indirectly; "
                f"not to enter {street}"
            )
            arrest.initial["protected_nominal_ref"] = victim.key
        can_hold = ctx.forces.keys[row.force_no] not in NO_RUI_DATES
        if disposal == "BAIL":
            _bail(rng, arrest, can_hold)
        elif disposal == "RUI":
            _rui_after(rng, day, can_hold, arrest.steps)
        arrest.steps.sort(key=lambda s: s[0])
        arrests.append(arrest)
    year, serial = ctx.pnc
    people = np.array([a.person for a in arrests], dtype=np.int64)
    has = np.flatnonzero(year[people] > 0) if len(people) else np.array([], dtype=np.int64)
    texts = pnc_text(rng, year[people[has]], serial[people[has]])
    for i, text in zip(has, texts, strict=True):
        arrests[i].pnc = str(text)
    return arrests


def custody_rows(ctx, arrests: list[Arrest], on: int) -> pd.DataFrame:  # noqa: ANN001
    """The custody extract delivered on day ``on``: each arrest by then, in its state that day."""
    rows = []
    for a in arrests:
        state = a.state(on)
        if state is None:
            continue
        n = a.nominal
        rows.append(
            {
                "force": ctx.forces.names[a.force],
                "custody_ref": a.ref,
                "occurrence_ref": a.occurrence,
                "nominal_ref": n.key,
                "surname": n.surname,
                "forenames": n.forenames,
                "dob": _dmy(n.dob),
                "sex": n.sex,
                "pnc_id": a.pnc,
                "arrested_at": _at(a.minute),
                "offence": a.offence,
                "ho_offence_code": a.code,
                "disposal": a.disposal,
                **state,
            }
        )
    return pd.DataFrame(rows, columns=CUSTODY_COLUMNS)


# --------------------------------------------------------------------------------------------
# notices


@dataclass
class Notice:
    force: int
    ref: str
    kind: str  # DVPN / DAPN
    served: int  # minute
    rank: str
    subject: int
    protected: int
    subject_nominal: Nominal
    protected_nominal: Nominal
    premises: str
    application: int | None
    hearing: int | None
    outcome: str
    order: int = -1  # the story's DVPO that followed, if any


class Refs:
    """Force-local reference numbers, counted through each year with random gaps."""

    def __init__(self, rng: np.random.Generator, forces, kind: str, width: int) -> None:  # noqa: ANN001
        self.rng, self.forces, self.kind, self.width = rng, forces, kind, width
        self.serial: dict[tuple[int, int], int] = {}

    def next(self, force: int, minute: int) -> str:
        year = date_of(minute // DAY).year
        self.serial[(force, year)] = self.serial.get((force, year), 0) + int(self.rng.integers(1, 12))
        return f"{self.forces.prefix[force]}/{self.kind}/{year % 100:02d}/{self.serial[(force, year)]:0{self.width}d}"


def _hearing_for(rng: np.random.Generator, served: int, late: bool) -> int:
    """A hearing after ``served``: within the 48 counted hours, or after them."""
    hours = int(rng.integers(50, 80)) if late else int(rng.integers(6, 46))
    return hours_after(served, hours)


def notices(ctx, nominals: Nominals, incidents: pd.DataFrame, arrests: list[Arrest]) -> list[Notice]:  # noqa: ANN001
    """DVPNs before the story's DVPOs, DVPNs on release from custody, DAPNs in the pilot forces,
    and a few served in the last two days."""
    rng, forces, story = ctx.drng, ctx.forces, ctx.story
    refs = {"DVPN": Refs(rng, forces, "DVPN", 4), "DAPN": Refs(rng, forces, "DAPN", 4)}
    out: list[Notice] = []

    def premises(person: int, day: int) -> str:
        if rng.random() < 0.1:
            return "CONFIDENTIAL"
        addr = ctx.story.history.at(np.array([person]), np.array([day]))
        return f"{ctx.addresses.text(addr)[0]}, {ctx.addresses.postcode[addr[0]]}"

    def add(kind: str, force: int, served: int, subject: int, protected: int, app: int | None, hearing: int | None,
            outcome: str, order: int = -1) -> None:
        day = served // DAY
        rank = ("SUPERINTENDENT" if rng.random() < 0.85 else "CHIEF_SUPERINTENDENT") if kind == "DVPN" else (
            "INSPECTOR" if rng.random() < 0.7 else "CHIEF_INSPECTOR")
        out.append(
            Notice(force, refs[kind].next(force, served), kind, served, rank, subject, protected,
                   nominals.of(force, subject, day), nominals.of(force, protected, day), premises(protected, day),
                   app, hearing, outcome, order)
        )

    # 1. a DVPN before each DVPO the story holds: the hearing is the day the order was made
    orders = story.orders
    for o in np.flatnonzero(orders["type"].to_numpy() == "DVPO"):
        hearing = int(orders["made"].iat[o]) * DAY + 600 + int(rng.integers(0, 360))
        late = rng.random() < 0.2
        served = hours_before(hearing, int(rng.integers(50, 80)) if late else int(rng.integers(6, 46)))
        app = served + int(rng.integers(60, max(61, min(20 * 60, hearing - served - 30))))
        add("DVPN", int(orders["force"].iat[o]), served, int(orders["respondent"].iat[o]),
            int(orders["protected"].iat[o]), app, hearing, "ORDER_MADE", int(o))

    # 2. DVPNs served on release from custody: never applied for, refused or withdrawn
    for a in arrests:
        if a.disposal != "DVPN":
            continue
        served = a.minute + int(rng.integers(120, 600))
        kind = _pick(rng, [0.4, 0.3, 0.3])
        app = served + int(rng.integers(60, 900)) if kind else None
        hearing = _hearing_for(rng, served, rng.random() < 0.3) if kind == 1 else None
        if hearing is not None and hearing > (T1 + 1) * DAY - 1:
            app, hearing = None, None
        add("DVPN", a.force, served, a.person, a.victim, app, hearing, ["", "REFUSED", "WITHDRAWN"][kind])

    # 3. DAPNs in the pilot forces from 27 November 2024
    pilot = {i for i, k in enumerate(forces.keys) if k in ("metropolitan", "cleveland")}
    dapn = incidents[incidents["force_no"].isin(pilot) & (incidents["day"] >= DAPN_START)]
    for row in dapn[rng.random(len(dapn)) < 0.12].itertuples(index=False):
        served = int(row.minute) + int(rng.integers(180, 1200))
        kind = _pick(rng, [0.5, 0.2, 0.3])
        hearing = _hearing_for(rng, served, kind == 1) if kind < 2 else None
        if hearing is not None and hearing > (T1 + 1) * DAY - 1:
            hearing = None
        app = served + int(rng.integers(60, 600)) if hearing is not None else None
        add("DAPN", row.force_no, served, row.suspect, row.victim, app, hearing, "ORDER_MADE" if hearing else "")

    # 4. served in the last two days: the hearing is still to come
    recent = incidents[incidents["day"] >= T1 - 2]
    for row in recent[rng.random(len(recent)) < 0.8].itertuples(index=False):
        served = min(int(row.minute) + int(rng.integers(60, 240)), (T1 + 1) * DAY - 60)
        add("DVPN", row.force_no, served, row.suspect, row.victim, served + 30 if rng.random() < 0.5 else None,
            None, "")
    out.sort(key=lambda n: (n.force, n.served, n.ref))
    return out


def notice_rows(ctx, items: list[Notice]) -> pd.DataFrame:  # noqa: ANN001
    rows = []
    for n in items:
        s, p = n.subject_nominal, n.protected_nominal
        rows.append(
            {
                "force": ctx.forces.names[n.force],
                "notice_ref": n.ref,
                "notice_type": n.kind,
                "served_at": _at(n.served),
                "authorised_by_rank": n.rank,
                "subject_nominal_ref": s.key,
                "subject_surname": s.surname,
                "subject_forenames": s.forenames,
                "subject_dob": _dmy(s.dob),
                "protected_nominal_ref": p.key,
                "protected_surname": p.surname,
                "protected_forenames": p.forenames,
                "protected_dob": _dmy(p.dob),
                "premises": n.premises,
                "application_made_at": _at(n.application) if n.application is not None else "",
                "hearing_at": _at(n.hearing) if n.hearing is not None else "",
                "hearing_outcome": n.outcome,
            }
        )
    return pd.DataFrame(rows, columns=NOTICE_COLUMNS)


# --------------------------------------------------------------------------------------------
# referrals


def _school(rng: np.random.Generator, town: str, age_years: float) -> str:
    kinds = SECONDARY_KINDS if age_years >= 11 else SCHOOL_KINDS
    saints = ["St Mary's", "St Joseph's", "Holy Trinity", "St Aidan's", "St Cuthbert's", "Christ Church"]
    lead = saints[int(rng.integers(0, len(saints)))] + " " if rng.random() < 0.3 else ""
    return f"{lead}{town} {kinds[int(rng.integers(0, len(kinds)))]}"


def referrals(ctx, nominals: Nominals, incidents: pd.DataFrame, items: list[Notice]) -> pd.DataFrame:  # noqa: ANN001
    """The referral extract: DVPO caseworker, schools, and the services no clock reads."""
    rng, forces, story = ctx.drng, ctx.forces, ctx.story
    refs = Refs(rng, forces, "R", 5)
    end_of_extract = (T1 + 1) * DAY - 1
    in_files = set(pd.concat(ctx.written.orders, ignore_index=True)["order"].tolist())
    rows: list[dict[str, str]] = []

    children_told: list[dict] = []

    def row(force: int, sent: int, person: int, service: str, occurrence: str = "", notice: str = "",
            child: dict[str, str] | None = None) -> str:
        n = nominals.of(force, person, sent // DAY)
        outcome = ["ACCEPTED", "DECLINED", "NO_CONTACT", ""][_pick(rng, [0.55, 0.1, 0.15, 0.2])]
        ref = refs.next(force, sent)
        rows.append(
            {"force": forces.names[force], "referral_ref": ref, "occurrence_ref": occurrence,
             "notice_ref": notice, "nominal_ref": n.key, "surname": n.surname, "forenames": n.forenames,
             "dob": _dmy(n.dob), "service": service, "sent_at": _at(sent), "outcome": outcome if not child else "",
             **(child or dict.fromkeys(["child_forenames", "child_surname", "child_dob", "school"], ""))}
        )
        return ref

    # the DVPO caseworker, told of each DVPN in time, late, after the DVPO expired, or never
    orders = story.orders
    for n in items:
        if n.kind != "DVPN":
            continue
        due = referral_due(n.served)
        expires = int(orders["expires"].iat[n.order]) if n.order >= 0 else -1
        known = n.order in in_files and expires > 0
        kind = _pick(rng, [0.5, 0.2, 0.15, 0.15] if known else [0.55, 0.25, 0.0, 0.2])
        if kind == 2 and not known:
            kind = 1
        if kind == 0:
            sent = n.served + int(rng.integers(30, max(31, due - n.served)))
        elif kind == 1:
            sent = due + int(rng.integers(60, 4 * DAY))
        elif kind == 2:
            sent = (expires + int(rng.integers(1, 20))) * DAY + int(rng.integers(480, 1080))
        else:
            continue
        if sent <= end_of_extract:
            row(n.force, sent, n.protected, "DVPO_CASEWORKER", notice=n.ref)

    # schools: each child of school age present at an incident, told before the next school day,
    # late or never (ages as the child's date of birth is written)
    for c in pd.concat(ctx.written.children, ignore_index=True).itertuples(index=False):
        if c.dob == BLANK:
            continue
        age = (int(c.minute) // DAY - int(c.dob)) / YEAR
        if not 4 <= age < 18:
            continue
        due = school_due(int(c.minute))
        kind = _pick(rng, [0.65, 0.2, 0.15])
        if kind == 2:
            continue
        if kind == 0:
            sent = int(c.minute) + max(1, int(rng.random() * max(due - int(c.minute) - 5, 1)))
        else:
            sent = due + int(rng.integers(30, 3 * DAY))
        if sent > end_of_extract:
            continue
        child = {"child_forenames": c.forenames, "child_surname": c.surname, "child_dob": _dmy(int(c.dob)),
                 "school": _school(rng, c.town, age)}
        ref = row(int(c.force_no), sent, int(c.victim), "SCHOOL", occurrence=c.ref, child=child)
        children_told.append({"record_key": f"{forces.names[int(c.force_no)]}/referral/{ref}/child", "person": c.child})

    # services no clock here reads
    risk = _all_incidents(ctx)["risk"].to_numpy()
    for inc in incidents.itertuples(index=False):
        high = risk[inc.event] == 0
        services = (
            ("IDVA", 0.6 if high else 0.05, (60, 4 * DAY)),
            ("MARAC", 0.3 if high else 0.0, (3 * DAY, 30 * DAY)),
            ("VICTIM_SUPPORT", 0.1, (60, 7 * DAY)),
            ("REFUGE", 0.01, (60, DAY)),
        )
        for service, p, lag in services:
            if rng.random() < p:
                sent = int(inc.minute) + int(rng.integers(*lag))
                if sent <= end_of_extract:
                    row(inc.force_no, sent, inc.victim, service, occurrence=inc.ref)
    ctx.written.persons.append(pd.DataFrame(children_told, columns=["record_key", "person"]))
    frame = pd.DataFrame(rows, columns=REFERRAL_COLUMNS)
    order = np.lexsort((frame["referral_ref"].to_numpy(), frame["force"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# orders ending around the extract date (a later court delivery)

COURT_COLUMNS = [
    "case_number", "court_name", "court_type", "order_type", "made_on", "expires_on", "respondent_name",
    "respondent_dob", "respondent_address", "protected_name", "protected_dob", "protected_address",
    "conditions", "power_of_arrest",
]


def _long(day: int) -> str:
    d = date_of(day)
    return f"{d.day} {d.strftime('%B %Y')}"


def ending_orders(ctx, incidents: pd.DataFrame) -> pd.DataFrame:  # noqa: ANN001
    """Orders that end in the weeks around the extract date, against perpetrators still offending
    and ones who are not, some followed by another order for the same protected person. They join
    the story's orders (so breaches and every other truth see them) and go to court-orders-3.csv."""
    rng, people, forces = ctx.drng, ctx.people, ctx.forces
    courts = table("courts.csv")
    last = incidents.groupby("suspect")["day"].max()
    pairs = incidents.drop_duplicates("suspect", keep="last").set_index("suspect")
    active = last.index[last >= T1 - 90].to_numpy()
    quiet = last.index[(last < T1 - 120) & (last > T1 - 1500)].to_numpy()
    n = max(12, people.n // 60)
    n_active = int(n * 0.6)
    chosen = np.concatenate([rng.permutation(active)[:n_active], rng.permutation(quiet)[: n - n_active]])
    new = []
    for perp in chosen:
        victim, force = int(pairs.at[perp, "victim"]), int(pairs.at[perp, "force_no"])
        end = T1 + int(rng.integers(-35, 21))
        kind = _pick(rng, [0.4, 0.3, 0.3])
        otype = ["DVPO", "RESTRAINING", "NON_MOLESTATION"][kind]
        lasted = [int(rng.integers(14, 29)), 365 * int(rng.integers(1, 3)), [182, 365][int(rng.integers(0, 2))]]
        made = end - lasted[kind]
        new.append((otype, made, end, int(perp), victim, force))
        if rng.random() < 0.3:  # protection that follows: another order before or as the first ends
            dapo = forces.keys[force] in ("metropolitan", "cleveland") and end >= DAPN_START
            follow = "DAPO" if dapo and rng.random() < 0.5 else "NON_MOLESTATION"
            start = end - int(rng.integers(0, 11))
            lasts = [182, 365, -1][int(rng.integers(0, 3))]
            new.append((follow, start, start + lasts if lasts > 0 else -1, int(perp), victim, force))
    frame = pd.DataFrame(new, columns=["type", "made", "expires", "respondent", "protected", "force"])
    frame.insert(0, "dyad", -1)
    base = len(ctx.story.orders)
    ctx.story.orders = pd.concat([ctx.story.orders, frame], ignore_index=True)

    serial = 900_000 + np.cumsum(rng.integers(1, 50, len(frame)))
    court_type = np.where(frame["type"].isin(["DVPO", "RESTRAINING"]), "Magistrates", "Family")
    year = pd.Series(pd.to_datetime(frame["made"], unit="D").dt.year).astype(str)
    case = (np.where(court_type == "Magistrates", "MC", "FC") + year + pd.Series(serial).astype(str)).to_numpy(object)
    parties = {}
    for side, blank in (("respondent", 0.4), ("protected", 0.2)):
        person = frame[side].to_numpy(dtype=np.int64)
        who = write_people(rng, ctx.bank, people, person, frame["made"].to_numpy(), p_fault=np.full(len(frame), 0.07),
                           p_dob_blank=np.full(len(frame), blank))
        addr = ctx.story.history.at(person, frame["made"].to_numpy())
        text = ctx.addresses.text(addr) + ", " + ctx.addresses.postcode[addr]
        withheld = (rng.random(len(frame)) < 0.3) if side == "protected" else np.zeros(len(frame), dtype=bool)
        text = np.where(withheld, "CONFIDENTIAL", text).astype(object)
        keys = case + f"/{side}"
        ctx.written.addresses.append(
            pd.DataFrame({"record_key": keys[~withheld], "address": text[~withheld], "address_no": addr[~withheld]})
        )
        ctx.written.persons.append(pd.DataFrame({"record_key": keys, "person": person}))
        name = who.forename + " " + pd.Series(who.surname, dtype=object).str.upper().to_numpy(dtype=object)
        parties[side] = (name, [_dmy(int(d)) for d in who.dob], text)
    by_place = courts.groupby(["force", "court_type"])["name"].agg(list).to_dict()
    courts_here = [by_place.get((forces.keys[f], t), []) for f, t in zip(frame["force"], court_type, strict=True)]
    rows = [
        {"case_number": case[i], "court_name": names[int(rng.integers(0, len(names)))] if names else
         f"{forces.names[o.force]} Court", "court_type": court_type[i], "order_type": o.type, "made_on": _long(o.made),
         "expires_on": "Until further order" if o.expires < 0 else _long(o.expires),
         "respondent_name": parties["respondent"][0][i], "respondent_dob": parties["respondent"][1][i],
         "respondent_address": parties["respondent"][2][i], "protected_name": parties["protected"][0][i],
         "protected_dob": parties["protected"][1][i], "protected_address": parties["protected"][2][i],
         "conditions": "Must not contact the applicant, directly or indirectly",
         "power_of_arrest": "Yes" if o.type == "NON_MOLESTATION" and rng.random() < 0.35 else "No"}
        for i, (o, names) in enumerate(zip(frame.itertuples(index=False), courts_here, strict=True))
    ]
    out = pd.DataFrame(rows, columns=COURT_COLUMNS)
    ctx.written.orders.append(pd.DataFrame({"record_key": out["case_number"], "order": base + np.arange(len(out)),
                                            "file": "court-orders-3.csv"}))
    return out


# --------------------------------------------------------------------------------------------
# the files


def _all_incidents(ctx) -> pd.DataFrame:  # noqa: ANN001
    """Offence and risk of every true event: the story's and those added after it, by event number."""
    story = ctx.story.incidents[["event", "offence", "risk"]]
    both = pd.concat([story, *ctx.written.recent], ignore_index=True).sort_values("event")
    assert (both["event"].to_numpy() == np.arange(len(both))).all(), "event numbers are not contiguous"
    return both.reset_index(drop=True)


def incidents_written(ctx) -> pd.DataFrame:  # noqa: ANN001
    """One row per DA event record as the forces wrote it: suspect, victim and their record keys."""
    inv = pd.concat(ctx.written.involvements, ignore_index=True)
    s = inv[inv["role"] == "SUSPECT"].drop_duplicates("event_key")
    v = inv[inv["role"] == "VICTIM"].drop_duplicates("event_key")
    both = s.merge(v[["event_key", "person", "record_key"]], on="event_key", suffixes=("", "_victim"))
    both = both.reset_index(drop=True)
    both = both[both["person"] != both["person_victim"]]
    force_no = {name: i for i, name in enumerate(ctx.forces.names)}
    events = pd.concat(ctx.written.events, ignore_index=True).drop_duplicates("record_key").set_index("record_key")
    off = table("offences.csv")
    out = pd.DataFrame(
        {
            "event_key": both["event_key"].to_numpy(),
            "event": events.loc[both["event_key"], "event"].to_numpy(),
            "force_no": both["force"].map(force_no).to_numpy(),
            "suspect": both["person"].to_numpy(),
            "victim": both["person_victim"].to_numpy(),
            "minute": both["minute"].to_numpy(),
            "day": both["minute"].to_numpy() // DAY,
            "record_key": both["record_key"].to_numpy(dtype=object),
            "record_key_victim": both["record_key_victim"].to_numpy(dtype=object),
        }
    )
    out["ref"] = [k.split("/", 1)[1] for k in out["event_key"]]
    inc = _all_incidents(ctx)
    oi = inc["offence"].to_numpy()[out["event"].to_numpy()]
    out["offence"] = off["description"].to_numpy(dtype=object)[oi]
    out["code"] = off["code"].to_numpy(dtype=object)[oi]
    out["address"] = ctx.story.history.at(out["victim"].to_numpy(), out["day"].to_numpy())
    return out.sort_values(["minute", "event_key"], kind="stable").reset_index(drop=True)


def _write(frame: pd.DataFrame, path, crlf: bool = False, bom: bool = False) -> None:  # noqa: ANN001
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\r\n" if crlf else "\n")


# rows a loader must quarantine: (column, bad values, reason as bad_rows.csv states it, key column)
BAD = {
    "custody": [("disposal", ["BAILED", "RELEASED", "R.U.I"], "unknown disposal"),
                ("arrested_at", ["31/04/2024 10:15", "30/02/2023 02:40"], "impossible date"),
                ("surname", [""], "no name")],
    "police-notices": [("notice_type", ["DVPO", "NOTICE"], "unknown notice type"),
                       ("served_at", ["32/01/2024 18:00", ""], "impossible date")],
    "referrals": [("service", ["POLICE", "IDVA SERVICE", "SCHOOLS"], "unknown service"),
                  ("sent_at", ["", "29/02/2023 10:00"], "impossible date")],
}
KEYS = {"custody": ("custody_ref", "C"), "police-notices": ("notice_ref", "N"), "referrals": ("referral_ref", "R")}


def _with_bad(ctx, frame: pd.DataFrame, profile: str, name: str) -> pd.DataFrame:  # noqa: ANN001
    """About 0.5% deliberately bad rows among the good ones, listed for bad_rows.csv."""
    rng = ctx.drng
    nb = max(1, int(round(len(frame) * BAD_RATE))) if len(frame) else 0
    bad = frame.iloc[rng.integers(0, len(frame), nb)].copy().reset_index(drop=True) if nb else frame.iloc[:0].copy()
    column, ref_prefix = KEYS[profile]
    reasons = []
    for i in range(nb):
        col, values, reason = BAD[profile][int(rng.integers(0, len(BAD[profile])))]
        bad.at[i, col] = values[int(rng.integers(0, len(values)))]
        if col == "surname":
            bad.at[i, "forenames"] = ""
        bad.at[i, column] = f"{bad.at[i, column].rsplit('/')}/{ref_prefix}9{int(rng.integers(10_000, 99_999))}"
        reasons.append("impossible date" if "date" in reason else reason)
    both, is_bad = _insert_bad(rng, frame, bad)
    lines = _lines(both)
    key = {"custody": "custody", "police-notices": "notice", "referrals": "referral"}[profile]
    ctx.written.bad.append(
        pd.DataFrame(
            {"file": name, "line": lines[is_bad], "record": np.flatnonzero(is_bad) + 1, "reason": reasons,
             "record_key": (both.loc[is_bad, "force"] + f"/{key}/" + both.loc[is_bad, column]).to_numpy(dtype=object)}
        )
    )
    return both


def write_duties(ctx) -> dict:  # noqa: ANN001
    """Custody (two deliveries), notices, referrals and the later court delivery; returns the
    good rows of each file (what the truth is computed from)."""
    nominals = Nominals(ctx)
    incidents = incidents_written(ctx)
    arrests = custody(ctx, nominals, incidents)
    items = notices(ctx, nominals, incidents, arrests)
    good = {}
    for on, crlf in ((FIRST_DELIVERY, False), (T1, True)):
        good[f"custody-{date_of(on).isoformat()}.csv"] = (custody_rows(ctx, arrests, on), "custody", crlf, False)
    good["police-notices.csv"] = (notice_rows(ctx, items), "police-notices", False, False)
    good["referrals.csv"] = (referrals(ctx, nominals, incidents, items), "referrals", False, True)
    good["court-orders-3.csv"] = (ending_orders(ctx, incidents), "court-orders", False, False)
    for name, (frame, profile, crlf, bom) in good.items():
        written = _with_bad(ctx, frame, profile, name) if profile in BAD else frame
        _write(written, ctx.out / name, crlf=crlf, bom=bom)
        ctx.written.files[name] = len(written)
    return {"good": {name: item[0] for name, item in good.items()}}
