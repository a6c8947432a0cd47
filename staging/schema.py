"""The canonical staging tables: the one contract between loaders and everything downstream.

Loaders write these tables (one Parquet part per loaded source file); linkage and the graph
read them in bulk. Every row carries its provenance so any fact can be traced to the line of
the extract it came from. Keys:

* person record key: ``{force}/{nominal_ref}``, ``{force}/{person_id}``,
  ``{case_number}/respondent`` or ``{case_number}/protected`` (as written in the extract,
  with the force spelt as the extract spells it, see ``extracts.md``).
* event key: ``{force}/{occurrence_ref}`` or ``{force}/{incident_id}``.
* order key: the court case number as written.

Columns typed ``date`` hold ``datetime64[ns]`` normalised to midnight in pandas (``date32`` in
Parquet); ``timestamp`` columns hold naive local datetimes (UK local time as recorded).
"""

from __future__ import annotations

import pyarrow as pa

PROVENANCE: list[tuple[str, pa.DataType]] = [
    ("source_file", pa.string()),  # path of the extract file as given to ingest
    ("source_line", pa.int64()),  # physical line number where the row starts (header = line 1)
    ("extract_id", pa.string()),  # sha256 of the file's bytes: identifies one delivered extract
    ("row_hash", pa.string()),  # sha256 of the row's raw values: identifies the row's content
    ("loaded_at", pa.timestamp("us")),
    ("profile", pa.string()),  # the mapping profile that read it
]

# One row per person mention: each line of a flat extract, each persons.csv row, and the
# respondent and protected person of each court order. Linkage groups mentions by record_key.
PERSON_RECORDS: list[tuple[str, pa.DataType]] = [
    ("record_key", pa.string()),
    ("source_system", pa.string()),  # force code (e.g. E23000008) or "court"
    ("force_code", pa.string()),  # ONS code of the force holding the record; null for courts
    ("name_raw", pa.string()),  # the name exactly as written
    ("surname", pa.string()),  # display form, as written (case kept)
    ("forenames", pa.string()),  # all forenames, display form
    ("surname_norm", pa.string()),  # folded for matching: upper case, ASCII, letters/space/hyphen
    ("forename_norm", pa.string()),  # first forename, folded
    ("middle_norm", pa.string()),  # further forenames, folded, space separated
    ("aliases", pa.string()),  # other full names, "; " separated, as written
    ("dob", pa.date32()),  # null when blank or unusable as written (see warnings)
    ("dob_raw", pa.string()),  # exactly as written, also when unusable
    ("dob_swapped", pa.date32()),  # an unusable dob read with day and month exchanged, if plausible
    ("sex", pa.string()),  # M / F / U
    ("address_raw", pa.string()),
    ("postcode", pa.string()),  # normalised "DH1 9BY" or null
    ("postcode_raw", pa.string()),
    ("pnc_raw", pa.string()),  # as written, also when malformed (see warnings)
    ("pnc", pa.string()),  # canonical "YYYY/NNNNNNNA" only when the check letter is valid
    ("pnc_valid", pa.bool_()),  # null when blank
    ("cro_raw", pa.string()),
    ("cro", pa.string()),  # canonical only when the check letter is valid
    ("phone_raw", pa.string()),  # as written, also when malformed (see warnings)
    ("phone", pa.string()),  # E.164 or null
    ("seen_on", pa.date32()),  # date of the event or order this mention came with, if any
    ("confidential_address", pa.bool_()),  # address withheld (refuge / safe address)
    ("extra", pa.string()),  # JSON of unknown source columns, kept as source attributes
]

# One row per event (crime or non-crime incident) per extract.
EVENTS: list[tuple[str, pa.DataType]] = [
    ("event_key", pa.string()),
    ("force_code", pa.string()),
    ("source_ref", pa.string()),  # occurrence_ref / incident_id as written
    ("occurred_at", pa.timestamp("us")),
    ("ho_code", pa.string()),  # normalised "NNN/NN" or null for non-crime incidents
    ("offence", pa.string()),
    ("offence_group", pa.string()),  # e.g. violence_with_injury, stalking_harassment, non_crime
    ("da_marker", pa.bool_()),  # the force's own DA flag
    ("da_relevant", pa.bool_()),  # marker, or offence/relationship that indicates DA
    ("risk", pa.string()),  # standard / medium / high on incident level, or null
    ("location_postcode", pa.string()),
    ("extra", pa.string()),
]

# Who was involved in which event, in which role. Roles belong to the event, never the person.
INVOLVEMENTS: list[tuple[str, pa.DataType]] = [
    ("event_key", pa.string()),
    ("record_key", pa.string()),
    ("role", pa.string()),  # suspect / victim / witness / other
    ("relationship_raw", pa.string()),
    ("relationship", pa.string()),  # intimate / family / other / null (victim to suspect)
    ("dash_risk", pa.string()),  # standard / medium / high / null
]

# One row per order record (court extract row).
ORDERS: list[tuple[str, pa.DataType]] = [
    ("order_key", pa.string()),  # case number as written
    ("court_name", pa.string()),
    ("court_type", pa.string()),  # family / county / magistrates / crown
    ("order_type", pa.string()),  # NON_MOLESTATION, OCCUPATION, DVPO, RESTRAINING, ...
    ("made_on", pa.date32()),
    ("expires_on", pa.date32()),  # null when until further order or blank
    ("until_further_order", pa.bool_()),
    ("respondent_key", pa.string()),  # person record key
    ("protected_key", pa.string()),  # person record key
    ("conditions", pa.string()),
    ("power_of_arrest", pa.bool_()),
    ("extra", pa.string()),
]

# One row per address as written on a person mention, with when it was seen.
ADDRESSES: list[tuple[str, pa.DataType]] = [
    ("record_key", pa.string()),
    ("address_raw", pa.string()),
    ("postcode", pa.string()),
    ("postcode_area", pa.string()),
    ("postcode_district", pa.string()),
    ("postcode_sector", pa.string()),
    ("confidential", pa.bool_()),
    ("seen_on", pa.date32()),
]

QUARANTINE: list[tuple[str, pa.DataType]] = [
    ("source_file", pa.string()),
    ("source_line", pa.int64()),
    ("field", pa.string()),
    ("reason", pa.string()),
    ("raw", pa.string()),  # JSON of the row's values as read
    ("extract_id", pa.string()),
    ("profile", pa.string()),
    ("loaded_at", pa.timestamp("us")),
]

# Values set aside on rows that loaded: the row is staged, the field is empty for comparison,
# the raw text is kept here and in the record's ``*_raw`` column. Read like the quarantine.
WARNINGS: list[tuple[str, pa.DataType]] = [
    ("source_file", pa.string()),
    ("source_line", pa.int64()),
    ("field", pa.string()),  # the source column
    ("reason", pa.string()),
    ("raw", pa.string()),  # the value as written
    ("record_key", pa.string()),  # the person record it belongs to, when it belongs to one
    ("extract_id", pa.string()),
    ("profile", pa.string()),
    ("loaded_at", pa.timestamp("us")),
]

TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "person_records": PERSON_RECORDS,
    "events": EVENTS,
    "involvements": INVOLVEMENTS,
    "orders": ORDERS,
    "addresses": ADDRESSES,
}


def arrow_schema(table: str) -> pa.Schema:
    """The Parquet schema of a staging table, provenance columns included."""
    if table == "quarantine":
        return pa.schema(QUARANTINE)
    if table == "warnings":
        return pa.schema(WARNINGS)
    return pa.schema(TABLES[table] + PROVENANCE)


def columns(table: str) -> list[str]:
    return arrow_schema(table).names
