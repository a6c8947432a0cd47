"""Confidential follows the person: when any source withholds a person's address (CONFIDENTIAL,
REFUGE, WITHHELD), every address of theirs from that day, from any source, is confidential.

A court extract says a protected person's address is CONFIDENTIAL while a force extract, a month
later, records her new home in plain text: the withholding protects nothing unless it follows her
to every record of hers that linkage joined. Person ids are linkage's, so linkage computes this,
once, as a small output (``confidential.parquet`` in the linkage store: person_id,
confidential_from, record_keys); the graph build, and through it every list, export, network
picture, page and disclosure, consumes it.

``confidential_from`` is the earliest day a withholding record of the person was seen; a
withholding record with no date makes every address of the person confidential (no
confidential_from): the rule fails closed.
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["person_id", "confidential_from", "record_keys"]


def confidential_people(addresses: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """person_id, confidential_from (NaT: from always), record_keys (';'-joined withholding records)
    for every person any of whose records withholds an address. ``addresses`` is the staging table
    (record_key, confidential, seen_on); ``entities`` maps record_key to person_id."""
    if addresses is None or addresses.empty or entities is None or entities.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    withheld = addresses[addresses["confidential"].fillna(False).astype(bool)]
    person = entities.drop_duplicates("record_key").set_index("record_key")["person_id"]
    rows = withheld.assign(person_id=withheld["record_key"].map(person)).dropna(subset=["person_id"])
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    seen = pd.to_datetime(rows["seen_on"], errors="coerce")
    rows = rows.assign(seen=seen, undated=seen.isna())
    g = rows.groupby("person_id", sort=True)
    out = pd.DataFrame(
        {
            "earliest": g["seen"].min(),
            "undated": g["undated"].any(),
            "record_keys": g["record_key"].agg(lambda s: ";".join(sorted(set(s)))),
        }
    ).reset_index()
    out["confidential_from"] = out["earliest"].where(~out["undated"]).dt.date
    return out[COLUMNS]


def follows(person_ids: pd.Series, seen_on: pd.Series, people: pd.DataFrame) -> pd.Series:
    """For address rows (a person and the day the address was seen), whether the person's
    withholding makes the address confidential: the person withholds an address, and the row was
    seen on or after the day they first did, or its day or theirs is unknown."""
    if people is None or people.empty:
        return pd.Series(False, index=person_ids.index)
    since = person_ids.map(pd.Series(pd.to_datetime(people["confidential_from"]).to_numpy(),
                                     index=people["person_id"].to_numpy()))
    known = person_ids.isin(set(people["person_id"]))
    seen = pd.to_datetime(seen_on, errors="coerce")
    return known & (since.isna() | seen.isna() | (seen >= since))



_POSTCODE_IN_TEXT = r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b"


def withheld_places(
    person_ids: pd.Series, seen_on: pd.Series, postcodes: pd.Series, texts: pd.Series, people: pd.DataFrame
) -> pd.Series:
    """:func:`follows`, spread to every sighting of the same place by the same person: she was
    recorded at 22 Elm Grove before the court withheld her address and again after, and she still
    lives there, so the earlier record says where she lives as plainly as the later one. Two
    sightings are of one place when they share a postcode (spacing and case aside) or their text
    (words only, any postcode in it left out): the rule errs towards withholding."""
    hidden = follows(person_ids, seen_on, people)
    if not hidden.any():
        return hidden
    who = person_ids.astype(str) + "\x1f"
    pc = postcodes.fillna("").astype(str).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    words = (texts.fillna("").astype(str).str.upper().str.replace(_POSTCODE_IN_TEXT, " ", regex=True)
             .str.replace(r"[^A-Z0-9]+", " ", regex=True).str.strip())
    known = person_ids.notna()
    out = hidden.copy()
    for place in (pc, words):
        key = who + place
        usable = known & (place != "")
        out |= usable & key.isin(set(key[hidden & usable]))
    return out
