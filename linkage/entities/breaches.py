"""Breaches: police events linked to the court orders they breach, and orders unknown to police.

An event is linked to an order when its suspect is the order's respondent and its victim the
protected person, and its date falls while the order is active (made on or before, not yet
expired; "until further order" and a blank expiry are open). A party counts as the same when
person resolution put the two records in one person, or as "probably the same" when the person
engine finds forename and surname agreeing and neither date of birth, sex nor an identifier
disagreeing (a court often gives no date of birth). An offence recorded as a breach of an order
is explicit evidence; without it, a dated incident between the two people inside the order is
an implied breach. A name match never overrides person resolution: two people the forces know,
whom resolution kept apart (a father and son of one name), stay apart. Both parties matched
only by name, found through the two surnames, link too (two names coinciding inside one
order's dates is itself strong evidence). An explicit breach outside the dates goes to review.

An order is "court only" when no police extract records any trace of it: no event linked to
it records a breach of an order. (Police extracts hold incidents, not orders, so an incident
inside the order without a breach offence is not police knowledge of the order: it is a
possible breach the police may not know was one.) A court order absent from police data is not
evidence that no order exists, nor the reverse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.entities.people import PersonEvidence

BREACH_WORDS = r"BREACH"
_OPEN = 10**9


def order_terms(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per order entity: made (earliest), expires (latest; open if any record is open or blank)."""
    o = orders.copy()
    blank = o["expires_day"].isna() & ~o["until_further_order"]
    o["exp"] = o["expires_day"].fillna(_OPEN).astype(np.int64)
    o.loc[o["until_further_order"] | blank, "exp"] = _OPEN
    o["blank"] = blank
    g = o.groupby("order_id")
    terms = pd.DataFrame(
        {
            "made": g["made_day"].min().astype("Int64"),
            "expires": g["exp"].max(),
            "order_type": g["order_type"].first(),
            "order_record_key": g["record_key"].min(),
            "blank_expiry": g["blank"].all(),
        }
    )
    return terms.reset_index()


def _sides(orders: pd.DataFrame, side: str) -> pd.DataFrame:
    """order_id, the side's record keys and person ids: each record's own, and the order's (which
    may have been linked through the other party, see orders.context_people)."""
    cols = [c for c in (f"{side}_record_person_id", f"{side}_person_id") if c in orders]
    frames = [
        pd.DataFrame({"order_id": orders["order_id"], "okey": orders[f"{side}_key"], "opid": orders[c]}) for c in cols
    ]
    return pd.concat(frames, ignore_index=True).dropna(subset=["okey"]).drop_duplicates()


def link_breaches(
    orders: pd.DataFrame,
    events: pd.DataFrame,
    party: pd.DataFrame,
    people: PersonEvidence,
    surnames: pd.Series | None = None,
    explicit_pattern: str = BREACH_WORDS,
    known: set | None = None,
) -> dict:
    """Event-to-order links with evidence; per-order counts for the court-only flag.

    ``known``: person ids the forces know (with a police record). Two such people whom person
    resolution kept apart are never taken as one by name (a father and son of one name).
    """
    terms = order_terms(orders)
    ev = events[["record_key", "event_id", "minute", "offence", "offence_group", "occurred_at"]].copy()
    ev["day"] = ev["minute"] // 1440
    ev["explicit"] = ev["offence_group"].fillna("").str.lower().str.contains("breach") | ev["offence"].fillna(
        ""
    ).str.upper().str.contains(explicit_pattern)
    sus = party[party["role"] == "suspect"][["event_key", "record_key", "person_id"]]
    vic = party[party["role"] == "victim"][["event_key", "record_key", "person_id"]]
    resp, prot = _sides(orders, "respondent"), _sides(orders, "protected")

    # candidates: an event and an order sharing a resolved suspect/respondent or victim/protected
    a = sus.merge(resp, left_on="person_id", right_on="opid")[["event_key", "order_id"]]
    b = vic.merge(prot, left_on="person_id", right_on="opid")[["event_key", "order_id"]]
    cand = pd.concat([a, b], ignore_index=True).drop_duplicates()
    # explicit breaches with neither party resolved: orders whose respondent shares the suspect's surname
    if surnames is not None:
        exp_keys = set(ev.loc[ev["explicit"], "record_key"])
        lone = sus[sus["event_key"].isin(exp_keys - set(cand["event_key"]))]
        if len(lone):
            r2 = resp.assign(sn=resp["okey"].map(surnames))
            c = lone.assign(sn=lone["record_key"].map(surnames)).dropna(subset=["sn"]).merge(r2, on="sn")
            cand = pd.concat([cand, c[["event_key", "order_id"]]], ignore_index=True).drop_duplicates()
    # neither party resolved: the order's two surnames on an event's suspect and victim
    if surnames is not None:
        sv = sus.merge(vic, on="event_key", suffixes=("_s", "_v"))
        sv = sv.assign(sn_s=sv["record_key_s"].map(surnames), sn_v=sv["record_key_v"].map(surnames))
        rp = resp.merge(prot, on="order_id", suffixes=("_r", "_p"))
        rp = rp.assign(sn_s=rp["okey_r"].map(surnames), sn_v=rp["okey_p"].map(surnames))
        c = sv.dropna(subset=["sn_s", "sn_v"]).merge(rp.dropna(subset=["sn_s", "sn_v"]), on=["sn_s", "sn_v"])
        cand = pd.concat([cand, c[["event_key", "order_id"]]], ignore_index=True).drop_duplicates()
    if cand.empty:
        return _empty(terms, orders, events, party)
    cand = cand.merge(ev.rename(columns={"record_key": "event_key"}), on="event_key").merge(terms, on="order_id")
    cand["in_term"] = (cand["day"] >= cand["made"].astype(np.int64)) & (cand["day"] <= cand["expires"])
    cand = cand[cand["in_term"] | cand["explicit"]]
    sl = _side_level(cand, sus, resp, people, known or set())
    vl = _side_level(cand, vic, prot, people, known or set())
    cand["suspect_level"], cand["suspect_weight"] = sl
    cand["victim_level"], cand["victim_weight"] = vl
    both = cand["suspect_level"].isin(["same", "probable"]) & cand["victim_level"].isin(["same", "probable"])
    link = cand["in_term"] & both
    # an offence recorded as a breach of this type of order, inside it, with one party the order's
    # (resolved, or by name): only the respondent can breach an order, so the other party's
    # record is taken as written badly (a maiden name, a swapped name), when no other order fits
    cand["type_agrees"] = _type_agrees(cand["offence"], cand["order_type"])
    ok_s, ok_v = (cand[f"{side}_level"].isin(["same", "probable"]) for side in ("suspect", "victim"))
    one_side = ok_s ^ ok_v
    named = cand["explicit"] & cand["type_agrees"] & cand["in_term"] & one_side
    fits = cand[named | link].groupby("event_key")["order_id"].transform("nunique")
    unique = pd.Series(False, index=cand.index)
    unique.loc[fits.index] = fits == 1
    cand["by_offence"] = named & ~link & unique
    link = link | cand["by_offence"]
    review = ~link & (cand["explicit"] | (cand["in_term"] & both))
    cand["decision"] = np.where(link, "link", np.where(review, "review", "no_link"))
    cand["evidence"] = _evidence(cand)
    links = cand[link].copy()
    br = pd.DataFrame(
        {
            "event_record_key": links["event_key"],
            "order_record_key": links["order_record_key"],
            "event_id": links["event_id"],
            "order_id": links["order_id"],
            "explicit": links["explicit"].astype(bool),
            "evidence": links["evidence"],
            "occurred_at": links["occurred_at"],
            "suspect_level": links["suspect_level"],
            "victim_level": links["victim_level"],
        }
    )
    br = br.sort_values(["event_record_key", "order_record_key"], kind="stable").reset_index(drop=True)
    review_rows = cand[review][
        [
            "event_key",
            "order_id",
            "order_record_key",
            "evidence",
            "suspect_level",
            "victim_level",
            "explicit",
            "in_term",
        ]
    ].reset_index(drop=True)
    per_order = _per_order(terms, br, orders, events, party)
    return {"breaches": br, "review": review_rows, "per_order": per_order}


def _side_level(
    cand: pd.DataFrame, side: pd.DataFrame, order_side: pd.DataFrame, people: PersonEvidence, known: set
) -> tuple[np.ndarray, np.ndarray]:
    """'same' / 'probable' / 'different' / 'missing' for the event's side against the order's side.

    'probable' (names agree, nothing against) only where person resolution has not already said
    these are two people the forces know.
    """
    ev_side = cand[["event_key", "order_id"]].reset_index().merge(side, on="event_key", how="left")
    both = ev_side.merge(order_side, on="order_id", how="left")
    both["same"] = (both["person_id"] == both["opid"]) & both["person_id"].notna()
    both["w"] = np.nan
    both["named"] = False
    apart = both["person_id"].isin(known) & both["opid"].isin(known)
    todo = both[~both["same"] & ~apart & both["record_key"].notna() & both["okey"].notna()]
    if len(todo) and people is not None:
        w, named = people.compare(todo["record_key"].to_numpy(), todo["okey"].to_numpy())
        both.loc[todo.index, "w"] = w
        both.loc[todo.index, "named"] = named
    g = both.groupby("index")
    same = g["same"].any()
    w = g["w"].max()
    named = g["named"].any()
    has = both.assign(h=both["record_key"].notna()).groupby("index")["h"].any()
    level = np.where(same, "same", np.where(named, "probable", np.where(has, "different", "missing")))
    level = pd.Series(level, index=same.index).reindex(cand.index).fillna("missing")
    return level.to_numpy(dtype=object), w.reindex(cand.index).to_numpy()


ORDER_WORDS = {
    "NON_MOLESTATION": "NON.?MOLESTATION",
    "RESTRAINING": "RESTRAINING",
    "DVPO": "DVPO|DOMESTIC VIOLENCE PROTECTION",
    "OCCUPATION": "OCCUPATION",
    "STALKING_PROTECTION": "STALKING PROTECTION",
    "DAPO": "DAPO|DOMESTIC ABUSE PROTECTION",
}


def _type_agrees(offence: pd.Series, order_type: pd.Series) -> np.ndarray:
    """The offence text names this type of order ('Breach of non-molestation order', NON_MOLESTATION)."""
    text = offence.fillna("").astype(str).str.upper()
    out = np.zeros(len(text), dtype=bool)
    for kind, pattern in ORDER_WORDS.items():
        m = (order_type == kind).to_numpy()
        if m.any():
            out[m] = text[m].str.contains(pattern, regex=True).to_numpy()
    return out


def _evidence(c: pd.DataFrame) -> np.ndarray:
    day = pd.to_datetime(c["day"], unit="D").dt.strftime("%Y-%m-%d")
    made = pd.to_datetime(c["made"].astype(np.int64), unit="D").dt.strftime("%Y-%m-%d")
    exp = np.where(
        c["expires"] >= _OPEN,
        np.where(c["blank_expiry"], "no expiry recorded", "until further order"),
        "until " + pd.to_datetime(np.minimum(c["expires"], 100_000), unit="D").dt.strftime("%Y-%m-%d"),
    )

    def said(level: pd.Series, who: str, role: str) -> pd.Series:
        words = {
            "same": f"{who} = {role} (same resolved person)",
            "probable": f"{who} ~ {role} (names agree, nothing against: person engine)",
            "different": f"{who} is not the {role}",
            "missing": f"no {who} recorded",
        }
        return level.map(words)

    parts = (
        np.where(
            c["explicit"],
            "offence recorded as a breach: " + c["offence"].fillna("").astype(str) + "; ",
            "incident inside the order (no breach offence recorded); ",
        )
        + said(c["suspect_level"], "suspect", "respondent")
        + "; "
        + said(c["victim_level"], "victim", "protected person")
        + "; "
        + "on "
        + day
        + (np.where(c["in_term"], ", within ", ", OUTSIDE "))
        + c["order_type"].astype(str)
        + " made "
        + made
        + ", "
        + exp
    )
    if "by_offence" in c:
        note = "; linked on the recorded breach of this type of order, the one order that fits"
        parts = parts + np.where(c["by_offence"], note, "")
    return np.asarray(parts, dtype=object)


def _per_order(
    terms: pd.DataFrame, br: pd.DataFrame, orders: pd.DataFrame, events: pd.DataFrame, party: pd.DataFrame
) -> pd.DataFrame:
    linked = br.groupby("order_id").size()
    # .astype(bool): indexing with an empty object column would select columns, not rows
    explicit = br[br["explicit"].astype(bool)].groupby("order_id").size()
    out = terms[["order_id"]].copy()
    out["linked_events"] = out["order_id"].map(linked).fillna(0).astype(int)
    out["explicit_breaches"] = out["order_id"].map(explicit).fillna(0).astype(int)
    out["police_events_between_parties"] = (
        _between(orders, party).reindex(out["order_id"]).fillna(0).astype(int).to_numpy()
    )
    return out


def _between(orders: pd.DataFrame, party: pd.DataFrame) -> pd.Series:
    """Per order entity: police events (any date) in which its two people were suspect and victim."""
    pairs = orders[["order_id", "respondent_person_id", "protected_person_id"]].dropna().drop_duplicates()
    if pairs.empty or party.empty:
        return pd.Series(dtype=int)
    s = party[party["role"] == "suspect"][["event_key", "person_id"]].rename(columns={"person_id": "a"})
    v = party[party["role"] == "victim"][["event_key", "person_id"]].rename(columns={"person_id": "b"})
    sv = s.merge(v, on="event_key").dropna()
    both = pd.concat([sv, sv.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
    hit = pairs.merge(both, left_on=["respondent_person_id", "protected_person_id"], right_on=["a", "b"])
    return hit.drop_duplicates(["order_id", "event_key"]).groupby("order_id").size()


def _empty(terms: pd.DataFrame, orders: pd.DataFrame, events: pd.DataFrame, party: pd.DataFrame) -> dict:
    br = pd.DataFrame(
        columns=[
            "event_record_key",
            "order_record_key",
            "event_id",
            "order_id",
            "explicit",
            "evidence",
            "occurred_at",
            "suspect_level",
            "victim_level",
        ]
    )
    return {
        "breaches": br,
        "review": pd.DataFrame(),
        "per_order": _per_order(terms, br, orders, events, party),
    }
