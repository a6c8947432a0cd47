"""The canonical staging tables: the one contract between loaders and everything downstream.

Loaders write these tables (one Parquet part per loaded source file); linkage and the graph
read them in bulk. Every row carries its provenance so any fact can be traced to the line of
the extract it came from. Keys:

* person record key: ``{force}/{nominal_ref}``, ``{force}/{person_id}``,
  ``{case_number}/respondent`` or ``{case_number}/protected`` (as written in the extract,
  with the force spelt as the extract spells it, see ``extracts.md``).
* event key: ``{force}/{occurrence_ref}`` or ``{force}/{incident_id}``.
* order key: the court case number as written.
* custody key ``{force}/custody/{custody_ref}``, notice key ``{force}/notice/{notice_ref}``,
  referral key ``{force}/referral/{referral_ref}``; the child a school referral is about is the
  person record ``{force}/referral/{referral_ref}/child``; a workforce record (officer or staff)
  is the person record ``{force}/workforce/{employee_ref}``.

Custody, notice and referral extracts send each record in its latest state, and a later delivery
of the same record replaces that state: every delivered state is staged (the history), and
:mod:`staging.history` says which one is current.

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

# One row per custody record per delivery: the arrest and its state when the extract was taken
# (extracts.md §4). The history of one custody record is its rows across deliveries.
CUSTODY_RECORDS: list[tuple[str, pa.DataType]] = [
    ("custody_key", pa.string()),  # {force}/custody/{custody_ref}
    ("force_code", pa.string()),
    ("custody_ref", pa.string()),
    ("event_key", pa.string()),  # {force}/{occurrence_ref}: the occurrence arrested for, or null
    ("record_key", pa.string()),  # the arrested person, {force}/{nominal_ref}
    ("arrested_at", pa.timestamp("us")),
    ("offence", pa.string()),
    ("ho_code", pa.string()),
    ("offence_group", pa.string()),
    ("disposal", pa.string()),  # CHARGED CAUTIONED NFA BAIL RUI REMANDED DVPN, or null
    ("bail_until", pa.date32()),  # end of the current bail period
    ("bail_conditions", pa.string()),
    ("authorised_by_rank", pa.string()),  # canonical rank (reference.ranks) of the latest bail decision
    ("protected_key", pa.string()),  # the person the conditions protect, {force}/{nominal_ref}, or null
    ("decision", pa.string()),  # latest decision after release: EXTENDED CHARGED CAUTIONED NFA RUI BAIL_CANCELLED
    ("decision_on", pa.date32()),
    ("decision_rationale", pa.string()),
    ("rui_review_on", pa.date32()),  # last recorded RUI review; null when none or not held
    ("extra", pa.string()),
]

# A bail period as one delivered state shows it: each state with a bail_until. The authoriser is
# the rank that set the period (the bail or its extension) and is null when the state's latest
# decision ended the bail (its rank is then the decision's: see custody_decisions).
BAIL_PERIODS: list[tuple[str, pa.DataType]] = [
    ("custody_key", pa.string()),
    ("record_key", pa.string()),
    ("protected_key", pa.string()),
    ("arrested_at", pa.timestamp("us")),  # the arrest date decides the bail regime
    ("ends_on", pa.date32()),
    ("set_by", pa.string()),  # "bail" (at release) or "extension"
    ("set_on", pa.date32()),  # the extension's decision date; null for the bail at release
    ("authorised_by_rank", pa.string()),
    ("conditions", pa.string()),
    ("ended_by", pa.string()),  # the decision that ended it in this state (CHARGED, RUI, ...), or null
    ("ended_on", pa.date32()),
]

# Each decision after release as a delivered state records it, with its authority.
CUSTODY_DECISIONS: list[tuple[str, pa.DataType]] = [
    ("custody_key", pa.string()),
    ("record_key", pa.string()),
    ("decision", pa.string()),
    ("decision_on", pa.date32()),  # null when the source could not supply it
    ("authorised_by_rank", pa.string()),
    ("rationale", pa.string()),
    ("bail_until", pa.date32()),  # the bail period it extended to, or that was running
]

# Released under investigation, as a delivered state shows it: from custody (disposal RUI) or
# from bail (decision RUI or BAIL_CANCELLED). Some systems cannot hold RUI dates: the start is
# then the arrest date and start_known is false.
RUI_PERIODS: list[tuple[str, pa.DataType]] = [
    ("custody_key", pa.string()),
    ("record_key", pa.string()),
    ("starts_on", pa.date32()),
    ("start_known", pa.bool_()),  # false: the source held no date; starts_on is the arrest date
    ("from_bail", pa.bool_()),
    ("authorised_by_rank", pa.string()),  # of a conversion from bail; null from custody
    ("rationale", pa.string()),
    ("last_review_on", pa.date32()),
    ("ended_by", pa.string()),  # a later decision in the same state (CHARGED, NFA, ...), else null
]

# One row per notice per delivery (extracts.md §5).
NOTICES: list[tuple[str, pa.DataType]] = [
    ("notice_key", pa.string()),  # {force}/notice/{notice_ref}
    ("force_code", pa.string()),
    ("notice_ref", pa.string()),
    ("notice_type", pa.string()),  # DVPN or DAPN
    ("served_at", pa.timestamp("us")),
    ("authorised_by_rank", pa.string()),
    ("subject_key", pa.string()),  # person record {force}/{subject_nominal_ref}
    ("protected_key", pa.string()),  # person record {force}/{protected_nominal_ref}
    ("premises", pa.string()),  # null when withheld
    ("premises_confidential", pa.bool_()),
    ("application_made_at", pa.timestamp("us")),
    ("hearing_at", pa.timestamp("us")),
    ("hearing_outcome", pa.string()),  # ORDER_MADE REFUSED WITHDRAWN ADJOURNED, or null
    ("extra", pa.string()),
]

# One row per referral per delivery (extracts.md §6).
REFERRALS: list[tuple[str, pa.DataType]] = [
    ("referral_key", pa.string()),  # {force}/referral/{referral_ref}
    ("force_code", pa.string()),
    ("referral_ref", pa.string()),
    ("event_key", pa.string()),  # {force}/{occurrence_ref}, or null
    ("notice_key", pa.string()),  # {force}/notice/{notice_ref}, or null
    ("record_key", pa.string()),  # the person referred, {force}/{nominal_ref}
    ("service", pa.string()),  # IDVA MARAC VICTIM_SUPPORT DVPO_CASEWORKER REFUGE CHILDRENS_SOCIAL_CARE SCHOOL
    ("sent_at", pa.timestamp("us")),
    ("outcome", pa.string()),  # ACCEPTED DECLINED NO_CONTACT, or null
    ("child_key", pa.string()),  # on SCHOOL rows: person record {force}/referral/{referral_ref}/child
    ("school", pa.string()),
    ("extra", pa.string()),
]

# One row per workforce record per delivery (extracts.md §7): an officer or member of staff. The
# person is also a person record with the same key, linked like any other; membership itself is
# restricted (api.policy.wall), and the graph never holds these records (graph.build).
WORKFORCE: list[tuple[str, pa.DataType]] = [
    ("record_key", pa.string()),  # {force}/workforce/{employee_ref}
    ("force_code", pa.string()),
    ("employee_ref", pa.string()),
    ("role", pa.string()),  # OFFICER STAFF SPECIAL VOLUNTEER, or null when blank (warned)
    ("status", pa.string()),  # SERVING SUSPENDED LEFT, or null when blank (warned; walled as serving)
    ("left_on", pa.date32()),
    ("extra", pa.string()),
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

# Immigration status and NRPF values an extract carried (the immigration firewall, shared/domain.md;
# loaders.firewall): held apart from every table the graph, search, exports and the API read,
# shown to no one. One row per value of a loaded row, found by its provenance (so an erasure of
# the row takes it too); never a record key, so nothing joins it to a person by key.
HELD_APART: list[tuple[str, pa.DataType]] = [
    ("source_file", pa.string()),
    ("source_line", pa.int64()),
    ("field", pa.string()),  # the source column
    ("value", pa.string()),  # as written
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
    "custody_records": CUSTODY_RECORDS,
    "bail_periods": BAIL_PERIODS,
    "custody_decisions": CUSTODY_DECISIONS,
    "rui_periods": RUI_PERIODS,
    "notices": NOTICES,
    "referrals": REFERRALS,
    "workforce": WORKFORCE,
}


def arrow_schema(table: str) -> pa.Schema:
    """The Parquet schema of a staging table, provenance columns included."""
    if table == "quarantine":
        return pa.schema(QUARANTINE)
    if table == "warnings":
        return pa.schema(WARNINGS)
    if table == "held_apart":
        return pa.schema(HELD_APART)
    return pa.schema(TABLES[table] + PROVENANCE)


def columns(table: str) -> list[str]:
    return arrow_schema(table).names
