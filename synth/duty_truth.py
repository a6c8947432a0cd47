"""Truth for the duties that run on clocks, computed from the rows as written.

Each rule of ``shared/domain.md`` ("Life cycles and the duties that run on clocks") is written out
here on its own, from the custody, notice, referral, RMS and court rows the generator wrote, so a
safeguarding list can be scored against what the files make knowable. Every judgement is made as
of the extract date (``AS_OF``, the end of the data window); the facts files carry the dates, so a
scorer can judge another date the same way. ``synth/README.md`` documents the files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from synth.clock import DAY, add_months, date_of, day_of, hours_after, referral_due, school_due
from synth.duties import REGIME_2022
from synth.story import INTIMATE_LABELS
from synth.world import T1, YEAR

AS_OF = T1  # the extract date: every state below is as of the end of this day
AS_OF_END = (T1 + 1) * DAY - 1
DUE_SOON_DAYS = 7  # bail due to lapse within this many days
RUI_REVIEW_MONTHS = 3
GAP_BEFORE, GAP_AFTER, ACTIVE_DAYS = 28, 14, 90
TO_RUI = {"RUI", "BAIL_CANCELLED"}
ENDS_BAIL = {"CHARGED", "CAUTIONED", "NFA", *TO_RUI}
INSPECTOR_OR_ABOVE = {"INSPECTOR", "CHIEF_INSPECTOR", "SUPERINTENDENT", "CHIEF_SUPERINTENDENT", "ACC", "COURT"}
FAMILY_LABELS = {"mother", "father", "son", "daughter", "brother", "sister", "other family"}


def _pid(person: int | None) -> str:
    return "" if person is None or person < 0 else f"P{int(person):07d}"


def _day(text: str) -> int | None:
    return None if not text else day_of(dt.datetime.strptime(text, "%d/%m/%Y").date())


def _minute(text: str) -> int | None:
    if not text:
        return None
    t = dt.datetime.strptime(text, "%d/%m/%Y %H:%M")
    return day_of(t.date()) * DAY + t.hour * 60 + t.minute


def _iso(day: int | None) -> str:
    return "" if day is None else date_of(day).isoformat()


def _iso_at(minute: int | None) -> str:
    if minute is None:
        return ""
    return f"{date_of(minute // DAY).isoformat()}T{(minute % DAY) // 60:02d}:{minute % 60:02d}"


def limit_on(arrested: int, rank: str) -> int | None:
    """The latest day ``rank`` may bail to under the regime of the arrest date; None: any
    (a court), or -1: this rank may not authorise bail at all."""
    if rank == "COURT":
        return None
    if arrested >= REGIME_2022:
        tiers = [("SERGEANT", add_months(arrested, 3)), ("INSPECTOR", add_months(arrested, 6)),
                 ("SUPERINTENDENT", add_months(arrested, 9))]
    else:
        tiers = [("INSPECTOR", arrested + 28), ("SUPERINTENDENT", add_months(arrested, 3))]
    order = ["SERGEANT", "INSPECTOR", "CHIEF_INSPECTOR", "SUPERINTENDENT", "CHIEF_SUPERINTENDENT", "ACC"]
    best = -1
    for tier_rank, limit in tiers:
        if rank in order and order.index(rank) >= order.index(tier_rank):
            best = limit
    return best


# --------------------------------------------------------------------------------------------
# bail and RUI


def bail_truth(deliveries: list[pd.DataFrame], person_of: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visible bail periods and RUI periods of every custody record, from its delivered states."""
    history: dict[tuple[str, str], list[dict]] = {}
    for delivery in deliveries:  # oldest first; the same state delivered again is one state
        for r in delivery.to_dict("records"):
            states = history.setdefault((r["force"], r["custody_ref"]), [])
            if not states or states[-1] != r:
                states.append(r)
    periods, ruis = [], []
    for (force, ref), records in sorted(history.items()):
        key = f"{force}/custody/{ref}"
        person = person_of.get(f"{force}/{records[0]['nominal_ref']}", -1)
        arrested = _minute(records[0]["arrested_at"]) // DAY
        regime = "2022" if arrested >= REGIME_2022 else "2017"
        # periods by end date, in order of appearance
        seen: dict[int, dict] = {}
        for r in records:
            end = _day(r["bail_until"])
            if end is None:
                continue
            p = seen.setdefault(end, {"rank": "", "conditions": r["bail_conditions"] != "",
                                      "protected": r["protected_nominal_ref"]})
            if r["decision"] in ("", "EXTENDED") and not p["rank"]:
                p["rank"] = r["authorised_by_rank"]
        ends = sorted(seen)
        latest = records[-1]
        for i, end in enumerate(ends):
            p = seen[end]
            if i + 1 < len(ends):  # another period followed: decided by an extension
                nxt = next(r for r in records if _day(r["bail_until"]) == ends[i + 1])
                decision = "EXTENDED"
                decided_on = _day(nxt["decision_on"]) if nxt["decision"] == "EXTENDED" else None
            elif latest["decision"] in ENDS_BAIL:
                decision, decided_on = latest["decision"], _day(latest["decision_on"])
            else:
                decision, decided_on = "", None
            if not decision:
                decided = "none"
            elif decided_on is None:
                decided = "date_unknown"
            else:
                decided = "in_time" if decided_on <= end else "late"
            limit = limit_on(arrested, p["rank"]) if p["rank"] else None
            beyond = "" if not p["rank"] else ("Y" if limit is not None and (limit < 0 or end > limit) else "N")
            periods.append(
                {"custody_record_key": key, "force": force, "custody_ref": ref, "true_person_id": _pid(person),
                 "arrested_on": _iso(arrested), "regime": regime, "period_no": i + 1,
                 "starts_on": _iso(ends[i - 1] if i else arrested), "ends_on": _iso(end),
                 "authorised_by_rank": p["rank"], "limit_on": _iso(limit) if limit is not None and limit >= 0 else "",
                 "beyond_limit": beyond, "decision": decision, "decided_on": _iso(decided_on), "decided": decided,
                 "conditions": "Y" if p["conditions"] else "N",
                 "protected_id": _pid(person_of.get(f"{force}/{p['protected']}", -1)) if p["protected"] else ""}
            )
        # RUI: from custody, or bail converted into it, as each state shows it
        for r in records:
            from_bail = r["decision"] in TO_RUI
            if not (from_bail or r["disposal"] == "RUI"):
                continue
            if from_bail:
                start = _day(r["decision_on"])
                known = start is not None
                if start is None:
                    start = _day(r["bail_until"]) or arrested
            else:
                start, known = arrested, True
            ruis.append(
                {"custody_record_key": key, "force": force, "custody_ref": ref, "true_person_id": _pid(person),
                 "starts_on": start, "start_known": known, "from_bail": from_bail,
                 "authorised_by_rank": r["authorised_by_rank"] if from_bail else "",
                 "rationale_given": r["decision_rationale"] != "", "last_review_on": _day(r["rui_review_on"]),
                 "open": r is latest and (from_bail or r["decision"] == "")}
            )
    rui = pd.DataFrame(ruis)
    if len(rui):  # the same RUI shown by two deliveries: the later state
        rui = rui.drop_duplicates(["custody_record_key", "starts_on", "from_bail"], keep="last")
        rui["authority_ok"] = ~rui["from_bail"] | (
            rui["authorised_by_rank"].isin(INSPECTOR_OR_ABOVE) & rui["rationale_given"]
        )
        last = [r if r is not None and not pd.isna(r) else s for r, s in zip(rui["last_review_on"], rui["starts_on"],
                                                                               strict=True)]
        rui["review_due_on"] = [add_months(int(d), RUI_REVIEW_MONTHS) for d in last]
        rui = rui.sort_values(["custody_record_key", "starts_on"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(periods), rui


def bail_list(periods: pd.DataFrame, rui: pd.DataFrame) -> pd.DataFrame:
    """``safeguarding bail`` as of the extract date."""
    rows = []
    for p in periods.itertuples(index=False):
        end = day_of(dt.date.fromisoformat(p.ends_on))
        base = {"custody_ref": p.custody_ref, "force": p.force, "custody_record_key": p.custody_record_key,
                "person_id": p.true_person_id}
        if p.decided == "none" and end < AS_OF:
            rows.append({**base, "state": "lapsed_no_decision", "due_on": _iso(end), "days_over": AS_OF - end})
        elif p.decided == "none" and end <= AS_OF + DUE_SOON_DAYS:
            rows.append({**base, "state": "due_no_decision", "due_on": _iso(end), "days_over": AS_OF - end})
        if p.beyond_limit == "Y":
            limit = day_of(dt.date.fromisoformat(p.limit_on)) if p.limit_on else None
            over = end - limit if limit is not None else end - day_of(dt.date.fromisoformat(p.arrested_on))
            rows.append({**base, "state": "beyond_limit", "due_on": p.limit_on or p.arrested_on, "days_over": over})
    for r in rui.itertuples(index=False):
        base = {"custody_ref": r.custody_ref, "force": r.force, "custody_record_key": r.custody_record_key,
                "person_id": r.true_person_id}
        if r.from_bail and not r.authority_ok:
            rows.append({**base, "state": "rui_without_authority", "due_on": _iso(int(r.starts_on)),
                         "days_over": AS_OF - int(r.starts_on)})
        if r.open and r.review_due_on < AS_OF:
            rows.append({**base, "state": "rui_review_overdue", "due_on": _iso(int(r.review_due_on)),
                         "days_over": AS_OF - int(r.review_due_on)})
    out = pd.DataFrame(rows, columns=["custody_ref", "force", "custody_record_key", "person_id", "state", "due_on",
                                      "days_over"])
    return out.drop_duplicates().sort_values(["custody_record_key", "state", "due_on"], kind="stable")


# --------------------------------------------------------------------------------------------
# notices


def notice_truth(
    notices: pd.DataFrame, referrals: pd.DataFrame, person_of: dict[str, int], dvpos: pd.DataFrame
) -> pd.DataFrame:
    """Each notice: the hearing's 48 hours and the DVPO caseworker's 2 working days, judged.

    ``dvpos``: the DVPOs in the court files (respondent, protected, made, expires, record_key), so a
    referral after the order that followed the notice expired is told apart from a late one.
    """
    sent = referrals[referrals["service"] == "DVPO_CASEWORKER"].copy()
    sent["minute"] = [_minute(t) for t in sent["sent_at"]]
    first_sent = sent.groupby(["force", "notice_ref"])["minute"].min().to_dict()
    order_at = {(int(o.respondent), int(o.protected), int(o.made)): o for o in dvpos.itertuples(index=False)}
    rows = []
    for n in notices.itertuples(index=False):
        served = _minute(n.served_at)
        hearing = _minute(n.hearing_at)
        due = hours_after(served, 48)
        if hearing is None:
            hearing_state = "hearing_due" if due > AS_OF_END else "hearing_missing"
        else:
            hearing_state = "in_time" if hearing <= due else "hearing_late"
        subject = person_of.get(f"{n.force}/{n.subject_nominal_ref}", -1)
        protected = person_of.get(f"{n.force}/{n.protected_nominal_ref}", -1)
        order = order_at.get((subject, protected, hearing // DAY)) if hearing is not None else None
        referral_due_at = referral_state = ""
        sent_at = None
        if n.notice_type == "DVPN":
            due_ref = referral_due(served)
            sent_at = first_sent.get((n.force, n.notice_ref))
            if sent_at is None:
                referral_state = "referral_pending" if due_ref > AS_OF_END else "referral_missing"
            elif sent_at <= due_ref:
                referral_state = "in_time"
            elif order is not None and order.expires > 0 and sent_at // DAY > order.expires:
                referral_state = "referral_after_expiry"
            else:
                referral_state = "referral_late"
            referral_due_at = _iso_at(due_ref)
        rows.append(
            {"notice_record_key": f"{n.force}/notice/{n.notice_ref}", "force": n.force, "notice_ref": n.notice_ref,
             "notice_type": n.notice_type, "subject_id": _pid(subject), "protected_id": _pid(protected),
             "served_at": _iso_at(served), "hearing_due_at": _iso_at(due),
             "application_made_at": _iso_at(_minute(n.application_made_at)), "hearing_at": _iso_at(hearing),
             "hearing_outcome": n.hearing_outcome, "hearing_state": hearing_state,
             "referral_due_at": referral_due_at, "referral_sent_at": _iso_at(sent_at), "referral_state": referral_state,
             "dvpo_order_record_key": order.record_key if order is not None else "",
             "dvpo_expires_on": _iso(int(order.expires)) if order is not None and order.expires > 0 else ""}
        )
    return pd.DataFrame(rows)


def notice_list(truth: pd.DataFrame) -> pd.DataFrame:
    """``safeguarding notices`` as of the extract date: one row per failing (or due) clock."""
    rows = []
    for n in truth.itertuples(index=False):
        base = {"notice_ref": n.notice_ref, "force": n.force, "notice_record_key": n.notice_record_key,
                "notice_type": n.notice_type, "person_id": n.subject_id, "served_at": n.served_at,
                "hearing_due_at": n.hearing_due_at}
        if n.hearing_state != "in_time":
            rows.append({**base, "state": n.hearing_state})
        if n.referral_state in ("referral_missing", "referral_late", "referral_after_expiry"):
            rows.append({**base, "state": n.referral_state})
    return pd.DataFrame(rows, columns=["notice_ref", "force", "notice_record_key", "notice_type", "person_id",
                                       "served_at", "hearing_due_at", "state"])


# --------------------------------------------------------------------------------------------
# Operation Encompass


def encompass_truth(children: pd.DataFrame, referrals: pd.DataFrame, child_of: dict[str, int]) -> pd.DataFrame:
    """Each child recorded at a DA incident: is the school due to be told, by when, and was it."""
    school = referrals[referrals["service"] == "SCHOOL"].copy()
    school["minute"] = [_minute(t) for t in school["sent_at"]]
    keys = [f"{f}/referral/{r}/child" for f, r in zip(school["force"], school["referral_ref"], strict=True)]
    school["child"] = [child_of.get(k, -1) for k in keys]
    sent = school.groupby(["force", "occurrence_ref", "child"])["minute"].min().to_dict()
    rows = []
    for c in children.itertuples(index=False):
        force = c.event_key.split("/", 1)[0]
        incident = int(c.minute)
        due = school_due(incident)
        age = None if c.dob == -9_999_999 else (incident // DAY - int(c.dob)) / YEAR
        when = sent.get((force, c.ref, int(c.child)))
        if age is None:
            state = "age_unknown"
        elif not 4 <= age < 18:
            state = "not_school_age"
        elif when is None:
            state = "due" if due > AS_OF_END else "missing"
        else:
            state = "in_time" if when < due else "late"
        rows.append(
            {"event_record_key": c.event_key, "child_record_key": c.key, "true_child_id": _pid(int(c.child)),
             "child_dob": "" if age is None else _iso(int(c.dob)), "age": "" if age is None else int(age),
             "incident_at": _iso_at(incident), "due_at": _iso_at(due), "sent_at": _iso_at(when), "state": state}
        )
    return pd.DataFrame(rows)


def encompass_list(truth: pd.DataFrame) -> pd.DataFrame:
    keep = truth[truth["state"].isin(["late", "missing", "due"])]
    return pd.DataFrame(
        {"event_key": keep["event_record_key"], "child_id": keep["true_child_id"],
         "child_record_key": keep["child_record_key"], "due_at": keep["due_at"], "sent_at": keep["sent_at"],
         "state": keep["state"]}
    )


# --------------------------------------------------------------------------------------------
# protection gaps


def gap_truth(
    orders: pd.DataFrame, periods: pd.DataFrame, involvements: pd.DataFrame, person_of: dict[str, int]
) -> pd.DataFrame:
    """Protection (court orders, bail conditions) that ends around the extract date, whether
    anything follows it for the same protected person, and the perpetrator's last DA event.

    ``orders``: one row per true order in a court file (record_key, type, made, expires: -1 until
    further order, -2 blank, respondent, protected). A bail period protects when it has conditions
    and a protected person; it ends at its end date, or when a decision ended it earlier (the
    decision's date, where the source held it).
    """
    items = []
    for o in orders.itertuples(index=False):
        end = float(o.expires) if o.expires >= 0 else np.nan  # until further order or blank: no end
        items.append((o.type, o.record_key, int(o.respondent), int(o.protected), int(o.made), end))
    for p in periods.itertuples(index=False):
        if p.conditions != "Y" or not p.protected_id or not p.true_person_id:
            continue
        end = day_of(dt.date.fromisoformat(p.ends_on))
        if p.decision and p.decision != "EXTENDED" and p.decided_on:
            end = min(end, day_of(dt.date.fromisoformat(p.decided_on)))
        kind = "BAIL_TO_RUI" if p.decision in TO_RUI else "BAIL"
        start = day_of(dt.date.fromisoformat(p.starts_on))
        respondent, protected = int(p.true_person_id[1:]), int(p.protected_id[1:])
        items.append((kind, p.custody_record_key, respondent, protected, start, float(end)))
    frame = pd.DataFrame(items, columns=["kind", "record_key", "respondent", "protected", "start", "end"])
    da = involvements[(involvements["da_marker"] == "Y") | involvements["victim_relationship"].isin(
        INTIMATE_LABELS | FAMILY_LABELS)]
    suspects = da[(da["role"] == "SUSPECT") & (da["day"] <= AS_OF)]
    last_event = suspects.groupby("person")["day"].max().to_dict()
    window = frame[frame["end"].notna() & (frame["end"] >= AS_OF - GAP_BEFORE - 30) & (frame["end"] <= AS_OF + 60)]
    # what else protects the same person on the day after each item ends
    pairs = window.reset_index().merge(frame, on="protected", suffixes=("", "_other"))
    after = pairs["end"] + 1
    covers = (pairs["record_key_other"] != pairs["record_key"]) & (pairs["start_other"] <= after) & (
        pairs["end_other"].isna() | (pairs["end_other"] >= after)
    )
    followed = pairs[covers].groupby("index")["record_key_other"].agg(lambda k: ";".join(sorted(set(k))))
    rows = []
    for i, item in zip(window.index, window.itertuples(index=False), strict=True):
        end = int(item.end)
        follow = followed.get(i, "")
        last = last_event.get(item.respondent)
        listed = (AS_OF - GAP_BEFORE <= end <= AS_OF + GAP_AFTER) and not follow and last is not None and (
            last >= AS_OF - ACTIVE_DAYS)
        rows.append(
            {"kind": item.kind, "record_key": item.record_key, "person_id": _pid(item.respondent),
             "protected_id": _pid(item.protected), "starts_on": _iso(int(item.start)), "ends_on": _iso(end),
             "followed_by": follow, "last_event_on": _iso(last), "listed": listed}
        )
    return pd.DataFrame(rows)


def gap_list(truth: pd.DataFrame) -> pd.DataFrame:
    keep = truth[truth["listed"]]
    return keep[["person_id", "protected_id", "kind", "record_key", "ends_on", "last_event_on"]]


# --------------------------------------------------------------------------------------------


def write_duty_truth(ctx, duties: dict) -> dict:  # noqa: ANN001 (synth.extracts.Context)
    """Every truth file of the duties; returns counts for the summary."""
    out: Path = ctx.out / "truth"
    out.mkdir(parents=True, exist_ok=True)
    w = ctx.written
    persons = pd.concat(w.persons, ignore_index=True).drop_duplicates("record_key")
    person_of = dict(zip(persons["record_key"], persons["person"].astype(int), strict=True))
    files = duties["good"]
    custody = [files[name] for name in sorted(files) if name.startswith("custody-")]
    periods, rui = bail_truth(custody, person_of)
    rui_out = rui.copy()
    for col in ("starts_on", "last_review_on", "review_due_on"):
        rui_out[col] = [_iso(int(v)) if v is not None and not pd.isna(v) else "" for v in rui_out[col]]

    st = ctx.story.orders
    court = pd.concat(w.orders, ignore_index=True).drop_duplicates("order", keep="first")
    held = pd.DataFrame(
        {"record_key": court["record_key"].to_numpy(), "type": st["type"].to_numpy()[court["order"]],
         "made": st["made"].to_numpy()[court["order"]], "expires": st["expires"].to_numpy()[court["order"]],
         "respondent": st["respondent"].to_numpy()[court["order"]],
         "protected": st["protected"].to_numpy()[court["order"]]}
    )
    notices = notice_truth(files["police-notices.csv"], files["referrals.csv"], person_of, held[held["type"] == "DVPO"])
    children = pd.concat(w.children, ignore_index=True) if w.children else pd.DataFrame()
    encompass = encompass_truth(children, files["referrals.csv"], person_of) if len(children) else pd.DataFrame()

    inv = pd.concat(w.involvements, ignore_index=True)
    victim_rel = inv[inv["role"] == "VICTIM"].groupby("event_key")["relationship"].first()
    inv["victim_relationship"] = inv["event_key"].map(victim_rel).fillna("")
    gaps = gap_truth(held, periods, inv, person_of)

    written = {
        "bail_periods.csv": periods,
        "rui_periods.csv": rui_out,
        "notices.csv": notices,
        "encompass.csv": encompass,
        "protection_gaps.csv": gaps,
        "safeguarding_bail.csv": bail_list(periods, rui),
        "safeguarding_notices.csv": notice_list(notices),
        "safeguarding_encompass.csv": encompass_list(encompass),
        "safeguarding_gaps.csv": gap_list(gaps),
    }
    for name, frame in written.items():
        frame.to_csv(out / name, index=False, encoding="utf-8", lineterminator="\n")
    counts = {name.removesuffix(".csv"): int(len(frame)) for name, frame in written.items()}
    for name, column in (("safeguarding_bail", "state"), ("safeguarding_notices", "state"),
                         ("safeguarding_encompass", "state"), ("protection_gaps", "kind")):
        frame = written[f"{name}.csv"]
        if len(frame):
            counts[f"{name}_by_{column}"] = {k: int(v) for k, v in frame[column].value_counts().sort_index().items()}
    counts["as_of"] = _iso(AS_OF)
    return counts
