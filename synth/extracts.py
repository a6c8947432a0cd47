"""Write the story as the forces and courts would send it: rms-flat, rms-relational, court-orders.

Formats follow shared/spec/extracts.md exactly. What was written (which record key holds which
true person, which rows were deliberately bad) is collected in ``Written`` so that the truth
files are computed from the files, not from the story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from synth import children, recent
from synth.formats import (
    days_to_text,
    minutes_to_text,
    phone_variant,
    pnc_text,
    postcode_variant,
    wrong_check,
    year_of,
)
from synth.names import NameBank, to_cp1252
from synth.records import dob_text, write_people
from synth.story import ROLE_NAMES, ROLE_OTHER, ROLE_SUSPECT, ROLE_VICTIM, Story
from synth.tables import pick, table
from synth.world import T1, YEAR, Addresses, Forces, People

FLAT_COLUMNS = [
    "force",
    "occurrence_ref",
    "occurrence_datetime",
    "ho_offence_code",
    "offence",
    "da_marker",
    "role",
    "nominal_ref",
    "surname",
    "forenames",
    "dob",
    "sex",
    "address",
    "postcode",
    "relationship_to_suspect",
    "dash_risk",
    "pnc_id",
    "phone",
]
PERSON_COLUMNS = [
    "person_id",
    "force",
    "full_name",
    "aliases",
    "date_of_birth",
    "gender",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "pnc_number",
    "phone",
]
INCIDENT_COLUMNS = [
    "incident_id",
    "force",
    "reported_at",
    "offence_code",
    "offence_description",
    "domestic",
    "risk_grade",
    "location_postcode",
]
INVOLVEMENT_COLUMNS = ["incident_id", "person_id", "involvement", "relationship"]
COURT_COLUMNS = [
    "case_number",
    "court_name",
    "court_type",
    "order_type",
    "made_on",
    "expires_on",
    "respondent_name",
    "respondent_dob",
    "respondent_address",
    "protected_name",
    "protected_dob",
    "protected_address",
    "conditions",
    "power_of_arrest",
]
RISK_FLAT = np.array(["HIGH", "MEDIUM", "STANDARD", ""], dtype=object)
RISK_REL = np.array(["high", "medium", "standard", ""], dtype=object)
BAD_RATE = 0.005


@dataclass
class Written:
    """What went into the files, in true terms, for the truth files and the summary."""

    persons: list[pd.DataFrame] = field(default_factory=list)  # record_key, person
    events: list[pd.DataFrame] = field(default_factory=list)  # record_key, event, day
    involvements: list[pd.DataFrame] = field(
        default_factory=list
    )  # event_key, person, role, relationship, force
    orders: list[pd.DataFrame] = field(default_factory=list)  # record_key, order, file
    addresses: list[pd.DataFrame] = field(default_factory=list)  # record_key, address as loaded, address
    bad: list[pd.DataFrame] = field(default_factory=list)  # file, line, record, reason
    pnc_typos: list[pd.DataFrame] = field(default_factory=list)  # file, record_key, pnc_as_written
    files: dict[str, int] = field(default_factory=dict)  # relative path -> data rows
    # force, person, key (the nominal reference), surname, forenames, dob (days or BLANK), sex as written
    nominals: list[pd.DataFrame] = field(default_factory=list)
    # children present: event_key, ref, key, child, forenames, surname, dob, minute, victim, force_no, town
    children: list[pd.DataFrame] = field(default_factory=list)
    # incidents added after the story (synth.recent): event, offence, risk
    recent: list[pd.DataFrame] = field(default_factory=list)


@dataclass
class Context:
    rng: np.random.Generator
    bank: NameBank
    people: People
    forces: Forces
    addresses: Addresses
    story: Story
    out: Path
    written: Written
    drng: np.random.Generator | None = None  # the duties' own stream (children, custody, notices, ...)
    next_event: int = -1  # the next true event number for incidents added after the story
    pnc: tuple[np.ndarray, np.ndarray] | None = None  # each person's PNC year (0 = none) and serial


# --------------------------------------------------------------------------------------------
# shared pieces


def _unique_numbers(rng: np.random.Generator, n: int, start: int) -> np.ndarray:
    """n distinct, unordered reference numbers (so a number tells nothing about the person)."""
    nums = start + np.cumsum(rng.integers(1, 9, n))
    return nums[rng.permutation(n)]


def _fmt_num(prefix: str, nums: np.ndarray, width: int) -> np.ndarray:
    return (prefix + pd.Series(nums).astype(str).str.zfill(width)).to_numpy(dtype=object)


def _assign_refs(rng: np.random.Generator, rows: pd.DataFrame, p_dup: float) -> pd.DataFrame:
    """Give each (person, force) one or more local references; later contacts sometimes create a duplicate."""
    rows = rows.sort_values(["person", "minute", "rec"], kind="stable").reset_index(drop=True)
    person = rows["person"].to_numpy()
    first = np.r_[True, person[1:] != person[:-1]]
    gstart = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))
    rank = np.arange(len(rows)) - gstart
    size = np.bincount(np.cumsum(first) - 1)[np.cumsum(first) - 1]
    grp_rand = rng.random(len(rows))[gstart]
    n_refs = np.where(size >= 2, np.where(grp_rand < p_dup, 2, 1) + (grp_rand < p_dup * 0.15), 1)
    ref_no = np.where(
        rank == 0, 0, np.where(rank < n_refs, rank, (rng.random(len(rows)) * n_refs).astype(int))
    )
    rows["ref_no"] = ref_no
    return rows


def _ref_table(rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per local reference, and each row's reference number."""
    key = rows["person"].to_numpy().astype(np.int64) * 8 + rows["ref_no"].to_numpy()
    uniq, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    role = rows["role"].to_numpy()
    day = rows["day"].to_numpy()
    refs = pd.DataFrame({"person": uniq // 8, "ref_no": uniq % 8})
    refs["first_day"] = pd.Series(day).groupby(inv).min().to_numpy()
    refs["last_day"] = pd.Series(day).groupby(inv).max().to_numpy()
    refs["suspect"] = pd.Series(role == ROLE_SUSPECT).groupby(inv).any().to_numpy()
    refs["witness_only"] = pd.Series(role >= 2).groupby(inv).all().to_numpy()
    return refs, inv


def _pnc_for_people(
    rng: np.random.Generator, people: People, inv: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """A PNC year and serial for most people ever named as a suspect and a few others (0 = none)."""
    n = people.n
    ever_suspect = np.zeros(n, dtype=bool)
    ever_suspect[inv.loc[inv["role"] == ROLE_SUSPECT, "person"].to_numpy()] = True
    appears = np.zeros(n, dtype=bool)
    appears[inv["person"].to_numpy()] = True
    has = np.where(ever_suspect, rng.random(n) < 0.85, appears & (rng.random(n) < 0.07))
    birth_year = 1970 + people.dob / YEAR
    year = np.clip(birth_year + 14 + rng.exponential(7, n), 1992, 2025).astype(np.int64)
    serial = np.where(
        rng.random(n) < 0.75, rng.integers(1, 999_999, n), rng.integers(1_000_000, 9_999_999, n)
    )
    return np.where(has, year, 0), serial


def _address_parts(ctx: Context, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    return ctx.story.history.at(person, day)


def _lines(df: pd.DataFrame) -> np.ndarray:
    """Physical line each row starts on (header is line 1; embedded newlines push later rows down)."""
    extra = np.zeros(len(df), dtype=np.int64)
    for c in df.columns:
        col = df[c]
        if col.dtype == object:
            extra += col.str.count("\n").fillna(0).to_numpy(dtype=np.int64)
    return 2 + np.arange(len(df)) + np.concatenate([[0], np.cumsum(extra)[:-1]])


def _to_csv(
    df: pd.DataFrame, path: Path, encoding: str = "utf-8", bom: bool = False, crlf: bool = False
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if encoding == "cp1252":
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object:
                uniq = pd.unique(df[c])
                mapping = {u: to_cp1252(u) for u in uniq if isinstance(u, str) and not u.isascii()}
                if mapping:
                    df[c] = df[c].map(lambda v, m=mapping: m.get(v, v))
    enc = "utf-8-sig" if bom else encoding
    df.to_csv(path, index=False, encoding=enc, lineterminator="\r\n" if crlf else "\n")


def _insert_bad(
    rng: np.random.Generator, good: pd.DataFrame, bad: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """Scatter bad rows among the good ones; returns the frame and a mask of bad positions."""
    n = len(good) + len(bad)
    pos = np.sort(rng.choice(n, size=len(bad), replace=False)) if len(bad) else np.array([], dtype=np.int64)
    is_bad = np.zeros(n, dtype=bool)
    is_bad[pos] = True
    perm = np.empty(n, dtype=np.int64)
    perm[~is_bad] = np.arange(len(good))
    perm[is_bad] = len(good) + np.arange(len(bad))
    both = pd.concat(
        [good.reset_index(drop=True), bad[good.columns].reset_index(drop=True)], ignore_index=True
    )
    return both.iloc[perm].reset_index(drop=True), is_bad


# --------------------------------------------------------------------------------------------
# force extracts


def _force_rows(ctx: Context, f: int, relational: bool) -> pd.DataFrame:
    story = ctx.story
    rec = story.records
    recs = rec[rec["force"] == f]
    inv = story.involvements.merge(recs[["rec", "event", "minute"]], on="rec", how="inner")
    if relational:
        inv = inv[inv["role"] != ROLE_OTHER]
    inv = inv.copy()
    inv["day"] = inv["minute"].to_numpy() // 1440
    return inv


def _event_refs(ctx: Context, f: int, relational: bool) -> pd.DataFrame:
    """Force-local references for the event records of force f, numbered through each year."""
    rng = ctx.rng
    rec = ctx.story.records
    recs = rec[rec["force"] == f].sort_values(["minute", "rec"], kind="stable").reset_index(drop=True)
    year = year_of(recs["minute"].to_numpy() // 1440)
    serial = np.zeros(len(recs), dtype=np.int64)
    gaps = rng.integers(1, 30, len(recs))
    for y in np.unique(year):
        m = year == y
        serial[m] = np.cumsum(gaps[m]) + rng.integers(0, 200)
    ys = pd.Series(year).astype(str)
    ss = pd.Series(serial).astype(str).str.zfill(7)
    if relational:
        text = ctx.forces.person_prefix[f] + "-" + ys + "-" + ss
    else:
        text = ctx.forces.prefix[f] + "/" + ss + "/" + ys.str[2:]
    recs["ref"] = text.to_numpy(dtype=object)
    recs["year"] = year
    return recs


def _incident_fields(ctx: Context, recs: pd.DataFrame) -> dict[str, np.ndarray]:
    inc = ctx.story.incidents
    off = table("offences.csv")
    ev = recs["event"].to_numpy()
    oi = inc["offence"].to_numpy()[ev]
    return {
        "code": off["code"].to_numpy(dtype=object)[oi],
        "offence": off["description"].to_numpy(dtype=object)[oi],
        "da": inc["da"].to_numpy()[ev],
        "risk": inc["risk"].to_numpy()[ev],
        "relationship": inc["relationship"].to_numpy()[ev],
        "location": inc["location"].to_numpy()[ev],
    }


def _record_events(ctx: Context, f: int, recs: pd.DataFrame) -> None:
    name = ctx.forces.names[f]
    ctx.written.events.append(
        pd.DataFrame(
            {"record_key": name + "/" + recs["ref"], "event": recs["event"], "day": recs["minute"] // 1440}
        )
    )


def write_flat(ctx: Context, f: int, pnc_year: np.ndarray, pnc_serial: np.ndarray) -> None:
    """One Niche-style CSV: a row per person per occurrence."""
    rng, people, forces = ctx.rng, ctx.people, ctx.forces
    name = forces.names[f]
    fname = forces.file[f]
    recs = _event_refs(ctx, f, relational=False)
    _record_events(ctx, f, recs)
    rows = _force_rows(ctx, f, relational=False)
    rows = _assign_refs(rng, rows, p_dup=0.11)
    refs, ref_of_row = _ref_table(rows)
    refs["number"] = _unique_numbers(rng, len(refs), 10_000)
    refs["key"] = _fmt_num(forces.person_prefix[f], refs["number"].to_numpy(), 8)
    who = write_people(
        rng,
        ctx.bank,
        people,
        refs["person"].to_numpy(),
        refs["first_day"].to_numpy(),
        p_fault=np.where(refs["ref_no"].to_numpy() > 0, 0.75, 0.11),
        p_dob_blank=np.where(refs["witness_only"].to_numpy(), 0.25, 0.03),
    )
    sur = pd.Series(who.surname, dtype=object)
    if forces.keys[f] == "north-yorkshire":
        sur = sur.str.upper()
    fore = pd.Series(who.forename, dtype=object) + np.where(who.middle == "", "", " ") + who.middle
    surname_field = np.where(who.swapped, who.forename, sur.to_numpy(dtype=object))
    forenames_field = np.where(who.swapped, who.surname, fore.to_numpy(dtype=object))
    dob_written = dob_text(who.dob, "dmy")

    # per-row values
    pos = pd.Series(np.arange(len(recs)), index=recs["rec"].to_numpy())
    rpos = pos.loc[rows["rec"].to_numpy()].to_numpy()
    fields = _incident_fields(ctx, recs)
    offence_text = fields["offence"]
    if forces.encoding[f] == "cp1252":  # a Windows system turns " - " into an en dash (byte 0x96)
        offence_text = (
            pd.Series(offence_text, dtype=object).str.replace(" - ", " \u2013 ").to_numpy(dtype=object)
        )
    r = ref_of_row
    role = rows["role"].to_numpy()
    person = rows["person"].to_numpy()
    day = rows["day"].to_numpy()
    addr = _address_parts(ctx, person, day)
    address = ctx.addresses.written_text(addr)
    weird = rng.random(len(rows)) < 0.003  # quotes, commas and a newline inside one field
    if weird.any():
        houses = np.array(["Rose Cottage", "The Old Forge", "Ivy House", "Mill View"], dtype=object)
        address[weird] = (
            ctx.addresses.line1[addr[weird]]
            + ',\n"'
            + houses[rng.integers(0, 4, weird.sum())]
            + '", '
            + ctx.addresses.town[addr[weird]]
        )
    postcode = postcode_variant(rng, ctx.addresses.postcode[addr], [0.78, 0.07, 0.06, 0.02, 0.07])
    is_victim = role == ROLE_VICTIM
    has_pnc = pnc_year[person] > 0
    show_pnc = has_pnc & (rng.random(len(rows)) < np.where(role == ROLE_SUSPECT, 0.88, 0.25))
    pnc = np.full(len(rows), "", dtype=object)
    pnc[show_pnc] = pnc_text(rng, pnc_year[person[show_pnc]], pnc_serial[person[show_pnc]])
    typo_rows = np.flatnonzero(show_pnc & (rng.random(len(rows)) < 0.004))
    pnc[typo_rows] = wrong_check(pnc[typo_rows], rng)
    show_phone = rng.random(len(rows)) < 0.4
    phone = np.where(show_phone, phone_variant(rng, people.phone[person]), "")
    df = pd.DataFrame(
        {
            "force": name,
            "occurrence_ref": recs["ref"].to_numpy()[rpos],
            "occurrence_datetime": minutes_to_text(recs["minute"].to_numpy()[rpos], "dmy"),
            "ho_offence_code": fields["code"][rpos],
            "offence": offence_text[rpos],
            "da_marker": np.where(fields["da"][rpos], "Y", "N"),
            "role": ROLE_NAMES[role],
            "nominal_ref": refs["key"].to_numpy()[r],
            "surname": surname_field[r],
            "forenames": forenames_field[r],
            "dob": dob_written[r],
            "sex": who.sex[r],
            "address": address,
            "postcode": postcode,
            "relationship_to_suspect": np.where(is_victim, fields["relationship"][rpos], ""),
            "dash_risk": np.where(is_victim, RISK_FLAT[fields["risk"][rpos]], ""),
            "pnc_id": pnc,
            "phone": phone,
        }
    )
    df["_order"] = rpos * 4 + role
    df["_person"] = person
    df["_addr"] = addr
    df["_beat"] = _beat_codes(rng, ctx.addresses.postcode[fields["location"][rpos]])
    df["_typo"] = np.isin(np.arange(len(df)), typo_rows)
    df = df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    ctx.written.persons.append(
        pd.DataFrame({"record_key": name + "/" + refs["key"], "person": refs["person"]})
    )
    _nominals(ctx, f, refs["person"].to_numpy(), refs["key"].to_numpy(), surname_field, forenames_field, who)

    # deliberately bad rows: impossible date, unknown role, no name
    nb = int(round(len(df) * BAD_RATE))
    bad = df.iloc[rng.integers(0, len(df), nb)].copy().reset_index(drop=True)
    bad["_typo"] = False
    reason = pick(rng, [0.4, 0.3, 0.3], nb)
    fresh = _fmt_num(forces.person_prefix[f], _unique_numbers(rng, nb, 90_000_000), 8)
    bad["nominal_ref"] = fresh
    dt = pd.Series(bad["occurrence_datetime"].to_numpy(dtype=object), dtype=object)
    yrs = dt.str[6:10]
    imp = np.array(["31/02/", "30/02/", "31/04/", "31/09/", "32/01/"], dtype=object)
    bad_dt = (
        imp[rng.integers(0, len(imp), nb)] + yrs.to_numpy(dtype=object) + dt.str[10:].to_numpy(dtype=object)
    )
    fresh_occ = (
        forces.prefix[f]
        + "/"
        + pd.Series(rng.integers(9_000_000, 9_999_999, nb)).astype(str)
        + "/"
        + yrs.str[2:]
    ).to_numpy(dtype=object)
    r0, r1, r2 = reason == 0, reason == 1, reason == 2
    bad.loc[r0, "occurrence_datetime"] = bad_dt[r0]
    bad.loc[r0, "occurrence_ref"] = fresh_occ[r0]
    roles = np.array(["SUSPCT", "VICTM", "SUSP", "WITNES", "PERP"], dtype=object)
    bad.loc[r1, "role"] = roles[rng.integers(0, len(roles), int(r1.sum()))]
    bad.loc[r2, "surname"] = ""
    bad.loc[r2, "forenames"] = ""
    df, is_bad = _insert_bad(rng, df, bad)
    df, is_bad, recent_events = _recent_flat(ctx, f, df, is_bad, pnc_year, pnc_serial)
    df, is_bad = _children_flat(ctx, f, pd.concat([_story_events(ctx, recs), recent_events]), df, is_bad)
    good = df[~is_bad]
    minute = _minute_from_dmy(good["occurrence_datetime"])
    ctx.written.involvements.append(
        pd.DataFrame(
            {
                "event_key": name + "/" + good["occurrence_ref"].to_numpy(dtype=object),
                "person": good["_person"].to_numpy(dtype=np.int64),
                "role": good["role"].to_numpy(dtype=object),
                "relationship": good["relationship_to_suspect"].str.lower().to_numpy(dtype=object),
                "force": name,
                "day": minute // 1440,
                "record_key": name + "/" + good["nominal_ref"].to_numpy(dtype=object),
                "minute": minute,
                "da_marker": good["da_marker"].to_numpy(dtype=object),
            }
        )
    )
    ctx.written.addresses.append(
        pd.DataFrame(
            {
                "record_key": name + "/" + good["nominal_ref"].to_numpy(dtype=object),
                "address": good["address"].to_numpy(dtype=object),
                "address_no": good["_addr"].to_numpy(dtype=np.int64),
            }
        )
    )
    typos = good[good["_typo"].to_numpy(dtype=bool)]
    ctx.written.pnc_typos.append(
        pd.DataFrame(
            {
                "file": fname,
                "record_key": name + "/" + typos["nominal_ref"],
                "pnc_as_written": typos["pnc_id"],
            }
        )
    )
    beat = df["_beat"].to_numpy(dtype=object)
    df = df.drop(columns=["_person", "_typo", "_beat", "_addr"])
    if forces.extra[f]:
        df.insert(6, forces.extra[f], beat)
    lines = _lines(df)
    reasons = np.array(["impossible date", "unknown role", "no name"], dtype=object)
    ctx.written.bad.append(
        pd.DataFrame(
            {
                "file": fname,
                "line": lines[is_bad],
                "record": np.flatnonzero(is_bad) + 1,
                "reason": reasons[reason],
                "record_key": name + "/" + fresh,
            }
        )
    )
    _to_csv(df, ctx.out / fname, forces.encoding[f], forces.bom[f], forces.crlf[f])
    ctx.written.files[fname] = len(df)


def _minute_from_dmy(s: pd.Series) -> np.ndarray:
    d = pd.to_datetime(s, format="%d/%m/%Y %H:%M")
    return ((d - pd.Timestamp("1970-01-01")) // pd.Timedelta(minutes=1)).to_numpy(dtype=np.int64)


def _nominals(
    ctx: Context, f: int, person: np.ndarray, key: np.ndarray, surname: np.ndarray, forenames: np.ndarray, who
) -> None:  # noqa: ANN001 (records.Written)
    """Each nominal of force ``f`` with its identity as the force's files show it (the same
    nominal in the force's other extracts is written the same way)."""
    frame = pd.DataFrame(
        {
            "force": f,
            "person": person,
            "key": key,
            "surname": surname,
            "forenames": forenames,
            "dob": who.dob,
            "sex": who.sex,
        }
    )
    if ctx.forces.encoding[f] == "cp1252":
        for col in ("surname", "forenames"):
            frame[col] = frame[col].map(lambda v: to_cp1252(v) if isinstance(v, str) and not v.isascii() else v)
    ctx.written.nominals.append(frame)


def _story_events(ctx: Context, recs: pd.DataFrame) -> pd.DataFrame:
    """A force's event records from the story, as the children and the duties read them."""
    inc = ctx.story.incidents
    ev = recs["event"].to_numpy()
    return pd.DataFrame(
        {
            "rec": recs["rec"].to_numpy(),
            "ref": recs["ref"].to_numpy(dtype=object),
            "minute": recs["minute"].to_numpy(dtype=np.int64),
            "victim": inc["victim"].to_numpy()[ev],
            "suspect": inc["suspect"].to_numpy()[ev],
            "da": inc["da"].to_numpy()[ev],
        }
    )


def _recent(ctx: Context, f: int) -> tuple[pd.DataFrame, dict]:
    """Recent incidents of force ``f`` and the nominals that write their suspects and victims."""
    if ctx.next_event < 0:
        ctx.next_event = len(ctx.story.incidents)
    new = recent.incidents(ctx, f)
    if new.empty:
        return new, {}
    people = np.concatenate([new["suspect"].to_numpy(), new["victim"].to_numpy()])
    days = np.concatenate([new["minute"].to_numpy(), new["minute"].to_numpy()]) // 1440
    noms = recent.nominals(ctx, f, people, days)
    name = ctx.forces.names[f]
    ctx.written.events.append(
        pd.DataFrame({"record_key": name + "/" + new["ref"], "event": new["event"], "day": new["minute"] // 1440})
    )
    ctx.written.recent.append(new[["event", "offence", "risk"]])
    return new, noms


def _recent_events(new: pd.DataFrame) -> pd.DataFrame:
    if new.empty:
        return pd.DataFrame(columns=["rec", "ref", "minute", "victim", "suspect", "da"])
    return pd.DataFrame(
        {"rec": -1 - np.arange(len(new)), "ref": new["ref"], "minute": new["minute"], "victim": new["victim"],
         "suspect": new["suspect"], "da": new["da"]}
    )


def _recent_flat(
    ctx: Context, f: int, df: pd.DataFrame, is_bad: np.ndarray, pnc_year: np.ndarray, pnc_serial: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Rows of force ``f``'s recent incidents (suspect and victim), after every other row."""
    if ctx.drng is None:
        return df, is_bad, _recent_events(pd.DataFrame())
    new, noms = _recent(ctx, f)
    if new.empty:
        return df, is_bad, _recent_events(new)
    rng, addresses, name = ctx.drng, ctx.addresses, ctx.forces.names[f]
    off = table("offences.csv")
    offence = off["description"].to_numpy(dtype=object)[new["offence"].to_numpy()]
    if ctx.forces.encoding[f] == "cp1252":
        offence = pd.Series(offence, dtype=object).str.replace(" - ", " \u2013 ").to_numpy(dtype=object)
    when = minutes_to_text(new["minute"].to_numpy(), "dmy")
    rows = []
    for i, inc in enumerate(new.itertuples(index=False)):
        for role, person, addr in (("SUSPECT", inc.suspect, inc.suspect_addr), ("VICTIM", inc.victim, inc.victim_addr)):
            n = noms[int(person)]
            victim = role == "VICTIM"
            pnc = ""
            if not victim and pnc_year[person] > 0 and rng.random() < 0.88:
                pnc = str(pnc_text(rng, pnc_year[[person]], pnc_serial[[person]])[0])
            rows.append(
                {"force": name, "occurrence_ref": inc.ref, "occurrence_datetime": when[i],
                 "ho_offence_code": off["code"].iat[int(inc.offence)], "offence": offence[i],
                 "da_marker": "Y" if inc.da else "N", "role": role, "nominal_ref": n.key,
                 "surname": n.surname.upper() if ctx.forces.keys[f] == "north-yorkshire" else n.surname,
                 "forenames": n.forenames, "dob": n.dob, "sex": n.sex, "address": int(addr),
                 "postcode": addresses.postcode[addr], "relationship_to_suspect": inc.relationship if victim else "",
                 "dash_risk": RISK_FLAT[inc.risk] if victim else "", "pnc_id": pnc, "phone": "",
                 "_person": int(person), "_addr": int(addr), "_typo": False}
            )
    added = pd.DataFrame(rows)
    added["dob"] = dob_text(added["dob"].to_numpy(dtype=np.int64), "dmy")
    added["address"] = addresses.text(added["_addr"].to_numpy(dtype=np.int64))
    added["_beat"] = _beat_codes(rng, addresses.postcode[new["victim_addr"].to_numpy()].repeat(2))
    both = pd.concat([df, added[df.columns]], ignore_index=True)
    return both, np.r_[is_bad, np.zeros(len(added), dtype=bool)], _recent_events(new)


def _children_flat(
    ctx: Context, f: int, events: pd.DataFrame, df: pd.DataFrame, is_bad: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Children present at force ``f``'s DA incidents, each after its incident's rows."""
    if ctx.drng is None:
        return df, is_bad
    kids = children.present(ctx, f, events)
    victims = df[~is_bad & (df["role"] == "VICTIM")].drop_duplicates("occurrence_ref").set_index("occurrence_ref")
    kids = kids[kids["ref"].isin(victims.index)].reset_index(drop=True)
    if kids.empty:
        return df, is_bad
    name = ctx.forces.names[f]
    surname = kids["surname"].to_numpy(dtype=object)
    if ctx.forces.keys[f] == "north-yorkshire":
        surname = pd.Series(surname, dtype=object).str.upper().to_numpy(dtype=object)
    forenames = (kids["forename"] + np.where(kids["middle"] == "", "", " ") + kids["middle"]).to_numpy(dtype=object)
    added = victims.loc[kids["ref"]].reset_index()
    added["role"] = "OTHER"
    added["nominal_ref"] = kids["key"].to_numpy(dtype=object)
    added["surname"], added["forenames"] = surname, forenames
    added["dob"] = dob_text(kids["dob"].to_numpy(), "dmy")
    added["sex"] = kids["sex"].to_numpy(dtype=object)
    added["relationship_to_suspect"] = "Child"
    added[["dash_risk", "pnc_id", "phone"]] = ""
    added["_person"] = kids["child"].to_numpy(dtype=np.int64)
    added["_typo"] = False
    both, _ = children.insert_after(df.assign(_bad=is_bad), added.assign(_bad=False), "occurrence_ref")
    first = kids.drop_duplicates("child")
    ctx.written.persons.append(pd.DataFrame({"record_key": name + "/" + first["key"], "person": first["child"]}))
    _record_children(ctx, f, kids, surname, forenames, added["_addr"].to_numpy(dtype=np.int64))
    return both.drop(columns="_bad"), both["_bad"].to_numpy(dtype=bool)


GENDER = {"M": "Male", "F": "Female"}


@dataclass
class _RelationalChildren:
    persons: pd.DataFrame  # persons.csv rows
    involvements: pd.DataFrame  # involvements.csv rows
    written: pd.DataFrame  # their written.involvements rows


def _relational_people(
    ctx: Context, f: int, ids, surname, forenames, dob, sex, addr: np.ndarray  # noqa: ANN001 (array-likes)
) -> pd.DataFrame:
    """persons.csv rows (the address as listed) for people a relational force records here for the
    first time; their addresses go to the truth as staged (line 1, locality, town)."""
    addresses = ctx.addresses
    loc = addresses.locality[addr]
    persons = pd.DataFrame(
        {
            "person_id": pd.Series(ids, dtype=object),
            "force": ctx.forces.names[f],
            "full_name": pd.Series(surname, dtype=object).str.upper() + ", " + pd.Series(forenames, dtype=object),
            "aliases": "",
            "date_of_birth": dob_text(np.asarray(dob, dtype=np.int64), "iso"),
            "gender": pd.Series(sex, dtype=object).map(GENDER).fillna("Unknown").to_numpy(),
            "address_line_1": addresses.line1[addr],
            "address_line_2": loc,
            "town": addresses.town[addr],
            "postcode": addresses.postcode[addr],
            "pnc_number": "",
            "phone": "",
        }
    )
    ctx.written.addresses.append(
        pd.DataFrame(
            {
                "record_key": ctx.forces.names[f] + "/" + persons["person_id"].astype(str),
                "address": addresses.line1[addr] + np.where(loc == "", "", ", " + loc) + ", " + addresses.town[addr],
                "address_no": addr,
            }
        )
    )
    return persons


def _written_rows(name: str, incident, person, role, relationship, minute, person_id, da) -> pd.DataFrame:  # noqa: ANN001
    """Involvements of a relational force as ``Written.involvements`` holds them."""
    minute = np.asarray(minute, dtype=np.int64)
    return pd.DataFrame(
        {
            "event_key": name + "/" + pd.Series(incident, dtype=object).astype(str).to_numpy(dtype=object),
            "person": np.asarray(person, dtype=np.int64),
            "role": np.asarray(role, dtype=object),
            "relationship": np.asarray(relationship, dtype=object),
            "force": name,
            "day": minute // 1440,
            "record_key": name + "/" + pd.Series(person_id, dtype=object).astype(str).to_numpy(dtype=object),
            "minute": minute,
            "da_marker": np.asarray(da, dtype=object),
        }
    )


@dataclass
class _RelationalRecent:
    incidents: pd.DataFrame  # recent.incidents
    persons: pd.DataFrame  # persons.csv rows of nominals created for them
    incident_rows: pd.DataFrame  # incidents.csv rows
    involvements: pd.DataFrame  # involvements.csv rows
    written: pd.DataFrame  # their written.involvements rows


def _recent_relational(ctx: Context, f: int) -> _RelationalRecent | None:
    """A relational force's recent incidents: incident rows, suspect and victim involvements, and
    person rows for people the force had no nominal for."""
    if ctx.drng is None:
        return None
    before = {k for n in ctx.written.nominals if len(n) and int(n["force"].iat[0]) == f for k in n["key"]}
    new, noms = _recent(ctx, f)
    if new.empty:
        return None
    addresses, name = ctx.addresses, ctx.forces.names[f]
    off = table("offences.csv")
    oi = new["offence"].to_numpy()
    incident_rows = pd.DataFrame(
        {
            "incident_id": new["ref"].to_numpy(dtype=object),
            "force": name,
            "reported_at": minutes_to_text(new["minute"].to_numpy(), "iso"),
            "offence_code": off["code"].to_numpy(dtype=object)[oi],
            "offence_description": off["description"].to_numpy(dtype=object)[oi],
            "domestic": np.where(new["da"].to_numpy(), "true", "false"),
            "risk_grade": RISK_REL[new["risk"].to_numpy()],
            "location_postcode": addresses.postcode[new["victim_addr"].to_numpy()],
        }
    )
    people = pd.DataFrame(
        {
            "incident_id": np.repeat(new["ref"].to_numpy(dtype=object), 2),
            "person": np.stack([new["suspect"].to_numpy(), new["victim"].to_numpy()], axis=1).reshape(-1),
            "involvement": np.tile(np.array(["suspect", "victim"], dtype=object), len(new)),
            "relationship": np.stack(
                [np.full(len(new), "", dtype=object), new["relationship"].str.lower().to_numpy(dtype=object)], axis=1
            ).reshape(-1),
            "minute": np.repeat(new["minute"].to_numpy(), 2),
            "da": np.repeat(new["da"].to_numpy(), 2),
        }
    )
    people["person_id"] = [noms[int(p)].key for p in people["person"]]
    created = [(person, n) for person, n in noms.items() if n.key not in before]
    addr = ctx.story.history.at(np.array([p for p, _ in created], dtype=np.int64), np.full(len(created), T1))
    created = [n for _, n in created]
    persons = _relational_people(
        ctx, f, [n.key for n in created], [n.surname for n in created], [n.forenames for n in created],
        [n.dob for n in created], [n.sex for n in created], addr,
    )
    written = _written_rows(
        name, people["incident_id"], people["person"], people["involvement"].str.upper(), people["relationship"],
        people["minute"], people["person_id"], np.where(people["da"].to_numpy(), "Y", "N"),
    )
    return _RelationalRecent(
        incidents=new,
        persons=persons,
        incident_rows=incident_rows,
        involvements=people[["incident_id", "person_id", "involvement", "relationship"]],
        written=written,
    )


def _children_relational(ctx: Context, f: int, events: pd.DataFrame) -> _RelationalChildren | None:
    """Children present at a relational force's DA incidents: person rows and ``other``/``Child``
    involvements."""
    if ctx.drng is None:
        return None
    kids = children.present(ctx, f, events)
    if kids.empty:
        return None
    name = ctx.forces.names[f]
    forenames = (kids["forename"] + np.where(kids["middle"] == "", "", " ") + kids["middle"]).to_numpy(dtype=object)
    surname = kids["surname"].to_numpy(dtype=object)
    addr = ctx.story.history.at(kids["child"].to_numpy(), kids["minute"].to_numpy() // 1440)
    _record_children(ctx, f, kids, surname, forenames, addr)
    first = np.flatnonzero(~kids["child"].duplicated().to_numpy())
    persons = _relational_people(
        ctx, f, kids["key"].to_numpy(dtype=object)[first], surname[first], forenames[first],
        kids["dob"].to_numpy()[first], kids["sex"].to_numpy()[first], addr[first],
    )
    keys = ctx.forces.names[f] + "/" + persons["person_id"].astype(str)
    ctx.written.persons.append(pd.DataFrame({"record_key": keys, "person": kids["child"].to_numpy()[first]}))
    involvements = pd.DataFrame(
        {"incident_id": kids["ref"].to_numpy(dtype=object), "person_id": kids["key"].to_numpy(dtype=object),
         "involvement": "other", "relationship": "Child"}
    )
    n = len(kids)
    written = _written_rows(
        name, kids["ref"], kids["child"], np.full(n, "OTHER"), np.full(n, "child"), kids["minute"], kids["key"],
        np.full(n, "Y"),
    )
    return _RelationalChildren(persons=persons, involvements=involvements, written=written)


def _record_children(
    ctx: Context, f: int, kids: pd.DataFrame, surname: np.ndarray, forenames: np.ndarray, addr: np.ndarray
) -> None:
    name = ctx.forces.names[f]
    frame = pd.DataFrame(
        {
            "event_key": name + "/" + kids["ref"].astype(str),
            "ref": kids["ref"].to_numpy(dtype=object),
            "key": name + "/" + kids["key"].astype(str),
            "child": kids["child"].to_numpy(dtype=np.int64),
            "forenames": forenames,
            "surname": surname,
            "dob": kids["dob"].to_numpy(dtype=np.int64),
            "minute": kids["minute"].to_numpy(dtype=np.int64),
            "victim": kids["victim"].to_numpy(dtype=np.int64),
            "force_no": f,
            "town": ctx.addresses.town[addr],
        }
    )
    if ctx.forces.encoding[f] == "cp1252":
        for col in ("surname", "forenames"):
            frame[col] = frame[col].map(lambda v: to_cp1252(v) if isinstance(v, str) and not v.isascii() else v)
    ctx.written.children.append(frame)
    first = frame.drop_duplicates("child")
    nominal = pd.DataFrame(
        {
            "force": f,
            "person": first["child"],
            "key": first["key"].str.split("/", n=1).str[1],
            "surname": first["surname"],
            "forenames": first["forenames"],
            "dob": first["dob"],
            "sex": kids.drop_duplicates("child")["sex"].to_numpy(dtype=object),
        }
    )
    ctx.written.nominals.append(nominal)


def _beat_codes(rng: np.random.Generator, postcode: np.ndarray) -> np.ndarray:
    out = pd.Series(postcode, dtype=object).str.upper().str.replace(" ", "", regex=False).str[:-3]
    nums = pd.Series(rng.integers(1, 12, len(postcode))).astype(str).str.zfill(2)
    res = (out + "-" + nums).to_numpy(dtype=object)
    res[out.fillna("").to_numpy(dtype=object) == ""] = ""
    return res


def write_relational(ctx: Context, f: int, pnc_year: np.ndarray, pnc_serial: np.ndarray) -> None:
    """An Athena/Connect-style folder: persons.csv, incidents.csv, involvements.csv."""
    rng, people, forces, addresses = ctx.rng, ctx.people, ctx.forces, ctx.addresses
    name = forces.names[f]
    folder = forces.file[f]
    crlf = forces.crlf[f]
    recs = _event_refs(ctx, f, relational=True)
    _record_events(ctx, f, recs)
    rows = _force_rows(ctx, f, relational=True)
    rows = _assign_refs(rng, rows, p_dup=0.08)
    refs, ref_of_row = _ref_table(rows)
    refs["number"] = _unique_numbers(rng, len(refs), 0)
    refs["key"] = _fmt_num(forces.person_prefix[f], refs["number"].to_numpy(), 8)
    nr = len(refs)
    rp = refs["person"].to_numpy()
    who = write_people(
        rng,
        ctx.bank,
        people,
        rp,
        refs["first_day"].to_numpy(),
        p_fault=np.where(refs["ref_no"].to_numpy() > 0, 0.7, 0.09),
        p_dob_blank=np.where(refs["witness_only"].to_numpy(), 0.2, 0.02),
    )
    given = pd.Series(who.forename, dtype=object) + np.where(who.middle == "", "", " ") + who.middle
    sur_up = pd.Series(who.surname, dtype=object).str.upper()
    full = np.where(
        who.swapped,
        pd.Series(who.forename, dtype=object).str.upper() + ", " + who.surname,
        sur_up + ", " + given,
    )
    # aliases: the other surname (maiden or married), a nickname, now and then an unrelated one
    alias = np.full(nr, "", dtype=object)
    other_sn = np.where(people.surname[rp] == who.surname, people.birth_surname[rp], people.surname[rp])
    has_other = (other_sn != who.surname) & (rng.random(nr) < 0.6)
    alias[has_other] = (
        pd.Series(other_sn[has_other], dtype=object).str.upper() + ", " + who.forename[has_other]
    )
    nick = rng.random(nr) < 0.08
    nick_names = np.array([(ctx.bank.nicknames.get(x) or [""])[0] for x in who.forename[nick]], dtype=object)
    nick_alias = np.where(nick_names == "", "", sur_up.to_numpy(dtype=object)[nick] + ", " + nick_names)
    alias[nick] = np.where(
        (alias[nick] != "") & (nick_alias != ""), alias[nick] + ";" + nick_alias, alias[nick] + nick_alias
    )
    odd = rng.random(nr) < 0.015
    odd_sn = ctx.bank.surname(rng, people.origin[rp[odd]])
    odd_alias = pd.Series(odd_sn, dtype=object).str.upper() + ", " + who.forename[odd]
    alias[odd] = np.where(alias[odd] == "", odd_alias, alias[odd] + ";" + odd_alias)
    addr = _address_parts(ctx, rp, refs["last_day"].to_numpy())
    line1 = addresses.written_line1(addr)
    loc, town = addresses.locality[addr], addresses.town[addr]
    ctx.written.addresses.append(
        pd.DataFrame(
            {
                "record_key": name + "/" + refs["key"],
                "address": line1 + np.where(loc == "", "", ", " + loc) + ", " + town,
                "address_no": addr,
            }
        )
    )
    pc = postcode_variant(rng, addresses.postcode[addr], [0.85, 0.03, 0.05, 0.0, 0.07])
    has_pnc = pnc_year[rp] > 0
    show = has_pnc & (rng.random(nr) < 0.85)
    pnc = np.full(nr, "", dtype=object)
    pnc[show] = pnc_text(rng, pnc_year[rp[show]], pnc_serial[rp[show]])
    typo_refs = np.flatnonzero(show & (rng.random(nr) < 0.004))
    pnc[typo_refs] = wrong_check(pnc[typo_refs], rng)
    phone = np.where(rng.random(nr) < 0.55, phone_variant(rng, people.phone[rp]), "")
    persons = pd.DataFrame(
        {
            "person_id": refs["key"].to_numpy(),
            "force": name,
            "full_name": full,
            "aliases": alias,
            "date_of_birth": dob_text(who.dob, "iso"),
            "gender": np.select([who.sex == "M", who.sex == "F"], ["Male", "Female"], "Unknown"),
            "address_line_1": line1,
            "address_line_2": addresses.locality[addr],
            "town": addresses.town[addr],
            "postcode": pc,
            "pnc_number": pnc,
            "phone": phone,
        }
    )
    persons = persons.sort_values("person_id", kind="stable")
    ctx.written.persons.append(pd.DataFrame({"record_key": name + "/" + refs["key"], "person": rp}))
    _nominals(
        ctx,
        f,
        rp,
        refs["key"].to_numpy(),
        np.where(who.swapped, pd.Series(who.forename, dtype=object).str.upper(), sur_up),
        np.where(who.swapped, who.surname, given),
        who,
    )
    recent_rows = _recent_relational(ctx, f)
    events = [_story_events(ctx, recs)] + ([_recent_events(recent_rows.incidents)] if recent_rows else [])
    kids = _children_relational(ctx, f, pd.concat(events, ignore_index=True))
    ctx.written.pnc_typos.append(
        pd.DataFrame(
            {
                "file": f"{folder}/persons.csv",
                "record_key": name + "/" + refs["key"].to_numpy()[typo_refs],
                "pnc_as_written": pnc[typo_refs],
            }
        )
    )
    # bad person rows: no name at all
    nb = max(1, int(round(nr * BAD_RATE * 0.6)))
    bad_p = persons.iloc[rng.integers(0, nr, nb)].copy().reset_index(drop=True)
    bad_ids = _fmt_num(forces.person_prefix[f], _unique_numbers(rng, nb, 90_000_000), 8)
    bad_p["person_id"] = bad_ids
    bad_p["full_name"] = ""
    bad_p["aliases"] = ""
    persons, is_bad = _insert_bad(rng, persons.reset_index(drop=True), bad_p)
    for more in (recent_rows.persons if recent_rows else None, kids.persons if kids else None):
        if more is not None and len(more):
            persons = pd.concat([persons, more[persons.columns]], ignore_index=True)
            is_bad = np.r_[is_bad, np.zeros(len(more), dtype=bool)]
    lines = _lines(persons)
    ctx.written.bad.append(
        pd.DataFrame(
            {
                "file": f"{folder}/persons.csv",
                "line": lines[is_bad],
                "record": np.flatnonzero(is_bad) + 1,
                "reason": "no name",
                "record_key": name + "/" + bad_ids,
            }
        )
    )
    _to_csv(persons, ctx.out / folder / "persons.csv", crlf=crlf)
    ctx.written.files[f"{folder}/persons.csv"] = len(persons)

    # incidents
    fields = _incident_fields(ctx, recs)
    incidents = pd.DataFrame(
        {
            "incident_id": recs["ref"].to_numpy(),
            "force": name,
            "reported_at": minutes_to_text(recs["minute"].to_numpy(), "iso"),
            "offence_code": fields["code"],
            "offence_description": fields["offence"],
            "domestic": np.where(fields["da"], "true", "false"),
            "risk_grade": RISK_REL[fields["risk"]],
            "location_postcode": postcode_variant(
                rng, addresses.postcode[fields["location"]], [0.9, 0, 0.02, 0, 0.08]
            ),
        }
    )
    nb = max(1, int(round(len(incidents) * BAD_RATE * 0.5)))
    bad_i = incidents.iloc[rng.integers(0, len(incidents), nb)].copy().reset_index(drop=True)
    yrs = bad_i["reported_at"].str[:4]
    bad_ids = (
        forces.person_prefix[f]
        + "-"
        + yrs
        + "-"
        + pd.Series(rng.integers(9_000_000, 9_999_999, nb)).astype(str)
    ).to_numpy(dtype=object)
    bad_i["incident_id"] = bad_ids
    imp = np.array(["-02-30", "-02-31", "-04-31", "-13-01"], dtype=object)
    bad_i["reported_at"] = (
        yrs.to_numpy(dtype=object)
        + imp[rng.integers(0, len(imp), nb)]
        + bad_i["reported_at"].str[10:].to_numpy(dtype=object)
    )
    incidents, is_bad = _insert_bad(rng, incidents, bad_i)
    if recent_rows is not None:
        incidents = pd.concat([incidents, recent_rows.incident_rows[incidents.columns]], ignore_index=True)
        is_bad = np.r_[is_bad, np.zeros(len(recent_rows.incident_rows), dtype=bool)]
    lines = _lines(incidents)
    ctx.written.bad.append(
        pd.DataFrame(
            {
                "file": f"{folder}/incidents.csv",
                "line": lines[is_bad],
                "record": np.flatnonzero(is_bad) + 1,
                "reason": "impossible date",
                "record_key": name + "/" + bad_ids,
            }
        )
    )
    _to_csv(incidents, ctx.out / folder / "incidents.csv", crlf=crlf)
    ctx.written.files[f"{folder}/incidents.csv"] = len(incidents)

    # involvements
    pos = pd.Series(np.arange(len(recs)), index=recs["rec"].to_numpy())
    rpos = pos.loc[rows["rec"].to_numpy()].to_numpy()
    role = rows["role"].to_numpy()
    is_victim = role == ROLE_VICTIM
    rel = pd.Series(fields["relationship"][rpos], dtype=object).str.lower().to_numpy(dtype=object)
    inv = pd.DataFrame(
        {
            "incident_id": recs["ref"].to_numpy()[rpos],
            "person_id": refs["key"].to_numpy()[ref_of_row],
            "involvement": pd.Series(ROLE_NAMES[role]).str.lower().to_numpy(dtype=object),
            "relationship": np.where(is_victim, rel, ""),
        }
    )
    order = np.argsort(rpos * 4 + role, kind="stable")
    inv = inv.iloc[order].reset_index(drop=True)
    ctx.written.involvements.append(
        pd.DataFrame(
            {
                "event_key": name + "/" + inv["incident_id"].to_numpy(dtype=object),
                "person": rows["person"].to_numpy()[order],
                "role": inv["involvement"].str.upper().to_numpy(dtype=object),
                "relationship": inv["relationship"].to_numpy(dtype=object),
                "force": name,
                "day": (recs["minute"].to_numpy()[rpos] // 1440)[order],
                "record_key": name + "/" + inv["person_id"].to_numpy(dtype=object),
                "minute": recs["minute"].to_numpy()[rpos][order],
                "da_marker": np.where(fields["da"][rpos][order], "Y", "N").astype(object),
            }
        )
    )
    if recent_rows is not None:
        ctx.written.involvements.append(recent_rows.written)
    if kids is not None:
        ctx.written.involvements.append(kids.written)
    nb = max(1, int(round(len(inv) * BAD_RATE * 0.4)))
    bad_v = inv.iloc[rng.integers(0, len(inv), nb)].copy().reset_index(drop=True)
    bad_v["involvement"] = np.array(["suspct", "SUSPCT", "vict", "perpetrator"], dtype=object)[
        rng.integers(0, 4, nb)
    ]
    bad_v["relationship"] = ""
    inv, is_bad = _insert_bad(rng, inv, bad_v)
    if recent_rows is not None:
        inv = pd.concat([inv, recent_rows.involvements[inv.columns]], ignore_index=True)
        is_bad = np.r_[is_bad, np.zeros(len(recent_rows.involvements), dtype=bool)]
    if kids is not None:
        both, _ = children.insert_after(inv.assign(_bad=is_bad), kids.involvements.assign(_bad=False), "incident_id")
        inv, is_bad = both.drop(columns="_bad"), both["_bad"].to_numpy(dtype=bool)
    lines = _lines(inv)
    ctx.written.bad.append(
        pd.DataFrame(
            {
                "file": f"{folder}/involvements.csv",
                "line": lines[is_bad],
                "record": np.flatnonzero(is_bad) + 1,
                "reason": "unknown role",
                "record_key": "",
            }
        )
    )
    _to_csv(inv, ctx.out / folder / "involvements.csv", crlf=crlf)
    ctx.written.files[f"{folder}/involvements.csv"] = len(inv)


# --------------------------------------------------------------------------------------------
# court extracts

_COURT_TYPES = {
    "NON_MOLESTATION": (["Family", "County"], [0.9, 0.1]),
    "OCCUPATION": (["Family", "County"], [0.8, 0.2]),
    "DVPO": (["Magistrates"], [1.0]),
    "RESTRAINING": (["Magistrates", "Crown"], [0.6, 0.4]),
    "STALKING_PROTECTION": (["Magistrates"], [1.0]),
    "DAPO": (["Family", "Magistrates"], [0.5, 0.5]),
}
_CASE_PREFIX = {"Family": "FC", "County": "CC", "Magistrates": "MC", "Crown": "T"}
_POWER_OF_ARREST = {"NON_MOLESTATION": 0.35, "OCCUPATION": 0.5}


def _court_names(
    rng: np.random.Generator, forces: Forces, force: np.ndarray, court_type: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    courts = table("courts.csv")
    name = np.empty(len(force), dtype=object)
    variant = np.empty(len(force), dtype=object)
    for fi, key in enumerate(forces.keys):
        for ct in ("Family", "County", "Magistrates", "Crown"):
            m = (force == fi) & (court_type == ct)
            if not m.any():
                continue
            c = courts[(courts["force"] == key) & (courts["court_type"] == ct)]
            i = rng.integers(0, len(c), int(m.sum()))
            name[m] = c["name"].to_numpy(dtype=object)[i]
            variant[m] = c["variant"].to_numpy(dtype=object)[i]
    return name, variant


def _court_person(
    ctx: Context, person: np.ndarray, day: np.ndarray, p_dob_blank: float, p_confidential: float, p_nfa: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Name, DOB and address text of one party as a court clerk writes them."""
    rng = ctx.rng
    n = len(person)
    who = write_people(
        rng,
        ctx.bank,
        ctx.people,
        person,
        day,
        p_fault=np.full(n, 0.07),
        p_dob_blank=np.full(n, p_dob_blank),
        p_middle=0.6,
        p_strip=0.2,
    )
    sur = pd.Series(who.surname, dtype=object).str.upper().to_numpy(dtype=object)
    fore = who.forename
    mid_sp = np.where(who.middle == "", "", who.middle + " ").astype(object)
    style = rng.random(n) < 0.65
    name = np.where(style, fore + " " + mid_sp + sur, sur + " " + fore)
    name = np.where(who.swapped, who.surname + " " + pd.Series(fore, dtype=object).str.upper(), name)
    dob = dob_text(who.dob, "dmy").astype(object)
    addr = ctx.story.history.at(person, day)
    pc = postcode_variant(rng, ctx.addresses.postcode[addr], [0.85, 0.05, 0.0, 0.0, 0.1])
    text = ctx.addresses.written_text(addr) + np.where(pc == "", "", ", ").astype(object) + pc
    u = rng.random(n)
    text = np.where(
        u < p_confidential, "CONFIDENTIAL", np.where(u < p_confidential + p_nfa, "No fixed abode", text)
    )
    return name.astype(object), dob, text.astype(object), addr


def _conditions(
    rng: np.random.Generator,
    otype: np.ndarray,
    street: np.ndarray,
    town: np.ndarray,
    confidential: np.ndarray,
) -> np.ndarray:
    cond = table("conditions.csv")
    generic = cond.loc[cond["order_type"] == "*", "text"].to_numpy(dtype=object)
    out = np.empty(len(otype), dtype=object)
    k = 1 + pick(rng, [0.35, 0.45, 0.2], len(otype))
    joiner = np.where(rng.random(len(otype)) < 0.35, "\n", " ")
    for i in range(len(otype)):
        own = cond.loc[cond["order_type"] == otype[i], "text"].to_numpy(dtype=object)
        pool = list(own) + list(generic[rng.permutation(len(generic))[: k[i]]])
        text = joiner[i].join(pool[: k[i]])
        if confidential[i]:
            text = text.replace("{street}, {town}", "the applicant's address")
        out[i] = text.replace("{street}", street[i]).replace("{town}", town[i])
    return out


def _case_variant(rng: np.random.Generator, case: np.ndarray) -> np.ndarray:
    """The same case number keyed differently by another system."""
    s = pd.Series(case, dtype=object)
    lead = s.str.extract(r"^([A-Z]+)(\d{4})(\d+)$")
    u = rng.random(len(case))
    hyph = (lead[0] + lead[1] + "-" + lead[2]).to_numpy(dtype=object)
    spaced = (lead[0] + " " + lead[1] + " " + lead[2]).to_numpy(dtype=object)
    lower = s.str.lower().to_numpy(dtype=object)
    return np.where(u < 0.4, hyph, np.where(u < 0.75, spaced, lower)).astype(object)


def write_courts(ctx: Context) -> None:
    """court-orders.csv and court-orders-2.csv: many orders once, some in both, a few in neither."""
    rng, forces = ctx.rng, ctx.forces
    orders = ctx.story.orders
    no = len(orders)
    otype = orders["type"].to_numpy(dtype=object)
    made = orders["made"].to_numpy()
    expires = orders["expires"].to_numpy()
    force = orders["force"].to_numpy()
    court_type = np.empty(no, dtype=object)
    for t, (types, w) in _COURT_TYPES.items():
        m = otype == t
        court_type[m] = np.asarray(types, dtype=object)[pick(rng, w, int(m.sum()))]
    court, court_alt = _court_names(rng, forces, force, court_type)
    space = max(90_000, no * 4)
    serial = 10_000 + rng.permutation(space)[:no]
    width = len(str(10_000 + space))
    yyyy = pd.Series(year_of(made)).astype(str).to_numpy(dtype=object)
    prefix = np.array([_CASE_PREFIX[c] for c in court_type], dtype=object)
    case = prefix + yyyy + pd.Series(serial).astype(str).str.zfill(width).to_numpy(dtype=object)
    in1 = rng.random(no) < 0.8
    in2 = np.where(in1, rng.random(no) < 0.2, rng.random(no) < 0.6)
    made_text = days_to_text(made, "long")
    exp_text = np.where(
        expires == -1,
        "Until further order",
        np.where(expires == -2, "", days_to_text(np.maximum(expires, 0), "long")),
    ).astype(object)
    poa_p = np.array([_POWER_OF_ARREST.get(t, 0.2) for t in otype])
    for file_no, (present, fname) in enumerate(((in1, "court-orders.csv"), (in2, "court-orders-2.csv"))):
        idx = np.flatnonzero(present)
        resp_name, resp_dob, resp_addr, resp_a = _court_person(
            ctx, orders["respondent"].to_numpy()[idx], made[idx], 0.5, 0.0, 0.03
        )
        prot_name, prot_dob, prot_addr, prot_a = _court_person(
            ctx, orders["protected"].to_numpy()[idx], made[idx], 0.3, 0.3, 0.0
        )
        conf = prot_addr == "CONFIDENTIAL"
        street = ctx.addresses.line1[prot_a]
        town = ctx.addresses.town[prot_a]
        cnum = case[idx].copy()
        cname = court[idx].copy()
        if file_no == 1:
            vary = rng.random(len(idx)) < 0.5
            cnum[vary] = _case_variant(rng, cnum[vary])
            alt = rng.random(len(idx)) < 0.6
            cname[alt] = court_alt[idx][alt]
        df = pd.DataFrame(
            {
                "case_number": cnum,
                "court_name": cname,
                "court_type": court_type[idx],
                "order_type": otype[idx],
                "made_on": made_text[idx],
                "expires_on": exp_text[idx],
                "respondent_name": resp_name,
                "respondent_dob": resp_dob,
                "respondent_address": resp_addr,
                "protected_name": prot_name,
                "protected_dob": prot_dob,
                "protected_address": prot_addr,
                "conditions": _conditions(rng, otype[idx], street, town, conf),
                "power_of_arrest": np.where(rng.random(len(idx)) < poa_p[idx], "Yes", "No"),
            }
        )
        order = rng.permutation(len(df)) if file_no == 1 else np.argsort(made[idx], kind="stable")
        df = df.iloc[order].reset_index(drop=True)
        oidx = idx[order]
        _to_csv(df, ctx.out / fname, crlf=file_no == 1)
        ctx.written.files[fname] = len(df)
        ctx.written.orders.append(
            pd.DataFrame({"record_key": df["case_number"], "order": oidx, "file": fname})
        )
        for side, text, where in (("respondent", resp_addr, resp_a), ("protected", prot_addr, prot_a)):
            real = (text != "CONFIDENTIAL") & (text != "No fixed abode")
            ctx.written.addresses.append(
                pd.DataFrame(
                    {
                        "record_key": cnum[order][real[order]] + "/" + side,
                        "address": text[order][real[order]],
                        "address_no": where[order][real[order]],
                    }
                )
            )
        ctx.written.persons.append(
            pd.DataFrame(
                {
                    "record_key": df["case_number"] + "/respondent",
                    "person": orders["respondent"].to_numpy()[oidx],
                }
            )
        )
        ctx.written.persons.append(
            pd.DataFrame(
                {
                    "record_key": df["case_number"] + "/protected",
                    "person": orders["protected"].to_numpy()[oidx],
                }
            )
        )
