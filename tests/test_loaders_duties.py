"""Loaders for the clocks (#17): custody, police notices, referrals, children present at incidents.

Each profile is detected from its header, stages every field the safeguarding rules read
(authority, decisions and dates, conditions and the protected person, service times, school),
makes person records of everyone it names, and keeps the history of a record delivered again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from extract_fixtures import (
    CUSTODY_HEADER,
    NOTICE_HEADER,
    REFERRAL_HEADER,
    custody_row,
    flat_row,
    notice_row,
    referral_row,
    victim_row,
    write_flat,
    write_relational,
    write_rows,
)

from loaders.ingest import ingest_paths
from reference.forces import lookup_force
from staging.history import bail_history, current, history
from staging.store import StagingStore

DURHAM = lookup_force("Durham").code


def staged(data: Path, table: str) -> pd.DataFrame:
    return StagingStore(data).read(table)


def test_custody_is_detected_and_every_field_the_clocks_read_is_staged(tmp_path: Path) -> None:
    rows = [
        custody_row(),
        custody_row(
            custody_ref="DU/C/23/01500",
            occurrence_ref="",
            protected_nominal_ref="",
            disposal="BAIL",
            bail_until="14/07/2023",
            authorised_by_rank="Insp",
            decision="RUI",
            decision_on="12/07/2023",
            decision_rationale="Awaiting forensic results; risk reviewed",
            rui_review_on="01/10/2023",
        ),
        custody_row(custody_ref="DU/C/23/01600", disposal="RUI", bail_until="", authorised_by_rank=""),
    ]
    f = write_rows(tmp_path / "custody.csv", CUSTODY_HEADER, rows)
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.profile, result.loaded, result.quarantined) == ("custody", 3, 0)
    records = staged(tmp_path / "d", "custody_records").set_index("custody_ref")
    first = records.loc["DU/C/23/01422"]
    assert (first.custody_key, first.force_code) == ("Durham/custody/DU/C/23/01422", DURHAM)
    assert (first.event_key, first.record_key, first.protected_key) == (
        "Durham/DU/0004455/23",
        "Durham/DUR00012345",
        "Durham/DUR00012346",
    )
    assert first.arrested_at == pd.Timestamp("2023-04-14 02:10") and first.bail_until == pd.Timestamp("2023-07-14")
    assert (first.disposal, first.authorised_by_rank, first.ho_code) == ("BAIL", "SERGEANT", "8/1")
    assert first.bail_conditions.startswith("Not to contact")
    second = records.loc["DU/C/23/01500"]
    assert pd.isna(second.event_key) and pd.isna(second.protected_key)  # blank references: no key
    assert (second.decision, second.decision_on, second.authorised_by_rank) == (
        "RUI",
        pd.Timestamp("2023-07-12"),
        "INSPECTOR",
    )
    assert second.rui_review_on == pd.Timestamp("2023-10-01")
    people = staged(tmp_path / "d", "person_records")
    assert set(people.record_key) == {"Durham/DUR00012345"}
    assert (people.seen_on == pd.Timestamp("2023-04-14")).all()

    bail = staged(tmp_path / "d", "bail_periods").set_index("custody_key")
    assert set(bail.index) == {"Durham/custody/DU/C/23/01422", "Durham/custody/DU/C/23/01500"}
    set_at_release = bail.loc["Durham/custody/DU/C/23/01422"]
    assert (set_at_release.set_by, set_at_release.authorised_by_rank) == ("bail", "SERGEANT")
    converted = bail.loc["Durham/custody/DU/C/23/01500"]
    assert pd.isna(converted.authorised_by_rank)  # the inspector authorised the RUI, not this bail
    assert (converted.ended_by, converted.ended_on) == ("RUI", pd.Timestamp("2023-07-12"))
    [decision] = staged(tmp_path / "d", "custody_decisions").itertuples()
    assert (decision.decision, decision.authorised_by_rank, decision.rationale) == (
        "RUI",
        "INSPECTOR",
        "Awaiting forensic results; risk reviewed",
    )
    rui = staged(tmp_path / "d", "rui_periods").set_index("custody_key")
    from_bail, from_custody = rui.loc["Durham/custody/DU/C/23/01500"], rui.loc["Durham/custody/DU/C/23/01600"]
    assert (from_bail.starts_on, from_bail.start_known, from_bail.from_bail) == (pd.Timestamp("2023-07-12"), True, True)
    assert from_bail.last_review_on == pd.Timestamp("2023-10-01")
    assert (from_custody.starts_on, from_custody.start_known, from_custody.from_bail) == (
        pd.Timestamp("2023-04-14"),
        True,
        False,
    )


def test_rui_without_a_date_starts_when_bail_ended_and_says_so(tmp_path: Path) -> None:
    """Some systems cannot hold RUI dates: the start is derived and marked as derived."""
    f = write_rows(tmp_path / "c.csv", CUSTODY_HEADER, [custody_row(decision="RUI", authorised_by_rank="SERGEANT")])
    ingest_paths([f], tmp_path / "d")
    [rui] = staged(tmp_path / "d", "rui_periods").itertuples()
    assert (rui.starts_on, rui.start_known, rui.authorised_by_rank) == (pd.Timestamp("2023-07-14"), False, "SERGEANT")
    assert pd.isna(rui.last_review_on)


def test_a_later_delivery_replaces_the_state_and_the_history_is_kept(tmp_path: Path) -> None:
    earlier_rows = [custody_row(), custody_row(custody_ref="X/2")]
    earlier = write_rows(tmp_path / "custody-march.csv", CUSTODY_HEADER, earlier_rows)
    later = write_rows(
        tmp_path / "custody-august.csv",
        CUSTODY_HEADER,
        [
            custody_row(
                bail_until="14/10/2023",
                authorised_by_rank="INSPECTOR",
                decision="EXTENDED",
                decision_on="10/07/2023",
                decision_rationale="Phone download outstanding",
            ),
            custody_row(custody_ref="X/2"),  # unchanged: the same state again
        ],
    )
    for name, order in (("forward", [earlier, later]), ("backward", [later, earlier])):
        data = tmp_path / name
        for f in order:
            ingest_paths([f], data)
        states = history(staged(data, "custody_records"), "custody_records")
        mine = states[states.custody_ref == "DU/C/23/01422"]
        assert list(mine.state_no) == [1, 2] and list(mine.current) == [False, True]
        assert list(mine.bail_until) == [pd.Timestamp("2023-07-14"), pd.Timestamp("2023-10-14")]
        assert (states.custody_ref == "X/2").sum() == 1  # one state, delivered twice
        now = current(staged(data, "custody_records"), "custody_records").set_index("custody_ref")
        assert now.loc["DU/C/23/01422", "decision"] == "EXTENDED"  # whatever the load order
        periods = bail_history(staged(data, "bail_periods"))
        mine = periods[periods.custody_key == "Durham/custody/DU/C/23/01422"]
        assert list(mine.period_no) == [1, 2]
        assert list(mine.starts_on) == [pd.Timestamp("2023-04-14"), pd.Timestamp("2023-07-14")]
        assert list(mine.authorised_by_rank) == ["SERGEANT", "INSPECTOR"]
        assert list(mine.set_by) == ["bail", "extension"]


def test_police_notices(tmp_path: Path) -> None:
    rows = [
        notice_row(),
        notice_row(
            notice_ref="DU/DVPN/23/0043",
            premises="CONFIDENTIAL",
            application_made_at="",
            hearing_at="",
            hearing_outcome="",
            notice_type="DAPN",
            authorised_by_rank="Insp",
        ),
    ]
    f = write_rows(tmp_path / "notices.csv", NOTICE_HEADER, rows)
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.profile, result.loaded, result.quarantined) == ("police-notices", 2, 0)
    notices = staged(tmp_path / "d", "notices").set_index("notice_ref")
    heard = notices.loc["DU/DVPN/23/0042"]
    assert (heard.notice_key, heard.notice_type, heard.authorised_by_rank) == (
        "Durham/notice/DU/DVPN/23/0042",
        "DVPN",
        "SUPERINTENDENT",
    )
    assert heard.served_at == pd.Timestamp("2023-04-14 18:30")
    assert (heard.application_made_at, heard.hearing_at) == (
        pd.Timestamp("2023-04-15 09:10"),
        pd.Timestamp("2023-04-15 14:00"),
    )
    assert (heard.hearing_outcome, heard.premises, heard.premises_confidential) == (
        "ORDER_MADE",
        "12 Elm Street, Durham DH1 4AB",
        False,
    )
    assert (heard.subject_key, heard.protected_key) == ("Durham/DUR00012345", "Durham/DUR00012346")
    withheld = notices.loc["DU/DVPN/23/0043"]
    assert withheld.premises_confidential and withheld.premises is None
    assert pd.isna(withheld.hearing_at) and withheld.hearing_outcome is None
    assert "CONFIDENTIAL" not in json.dumps(staged(tmp_path / "d", "notices").premises.dropna().tolist())
    people = staged(tmp_path / "d", "person_records").drop_duplicates("record_key").set_index("record_key")
    assert people.loc["Durham/DUR00012346", "surname"] == "Doe"
    assert people.loc["Durham/DUR00012345", "dob"] == pd.Timestamp("1984-03-12")


def test_referrals_and_the_child_a_school_is_told_about(tmp_path: Path) -> None:
    rows = [
        referral_row(),
        referral_row(
            referral_ref="DU/R/23/00018",
            occurrence_ref="",
            notice_ref="DU/DVPN/23/0042",
            service="DVPO caseworker",
            outcome="Accepted",
            child_forenames="",
            child_surname="",
            child_dob="",
            school="",
        ),
    ]
    f = write_rows(tmp_path / "referrals.csv", REFERRAL_HEADER, rows)
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.profile, result.loaded, result.quarantined) == ("referrals", 2, 0)
    referrals = staged(tmp_path / "d", "referrals").set_index("referral_ref")
    school = referrals.loc["DU/R/23/00017"]
    assert (school.service, school.school) == ("SCHOOL", "Belmont Primary School")
    assert school.event_key == "Durham/DU/0004455/23"
    assert school.sent_at == pd.Timestamp("2023-04-14 08:40")
    assert school.child_key == "Durham/referral/DU/R/23/00017/child" and pd.isna(school.notice_key)
    dvpo = referrals.loc["DU/R/23/00018"]
    assert (dvpo.service, dvpo.outcome) == ("DVPO_CASEWORKER", "ACCEPTED")
    assert dvpo.notice_key == "Durham/notice/DU/DVPN/23/0042"
    assert pd.isna(dvpo.child_key) and pd.isna(dvpo.event_key)
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    assert sorted(people.index) == ["Durham/DUR00012346", "Durham/DUR00012346", "Durham/referral/DU/R/23/00017/child"]
    child = people.loc["Durham/referral/DU/R/23/00017/child"]
    assert (child.forenames, child.surname, child.dob) == ("Amy", "Doe", pd.Timestamp("2014-09-03"))


def test_children_present_are_other_involvements_with_their_date_of_birth(tmp_path: Path) -> None:
    child = flat_row(
        role="OTHER",
        nominal_ref="NOR00018480",
        forenames="Amy",
        dob="03/09/2014",
        relationship_to_suspect="Child",
    )
    flat = write_flat(tmp_path / "f.csv", [flat_row(), victim_row(), child])
    met = write_relational(
        tmp_path / "met",
        extra_involvements=[
            {"incident_id": "INC1", "person_id": "MET00000064", "involvement": "other", "relationship": "Child"}
        ],
    )
    ingest_paths([flat, met], tmp_path / "d")
    inv = staged(tmp_path / "d", "involvements")
    children = inv[inv.relationship_raw == "Child"].set_index("record_key")
    assert set(children.index) == {"Northumbria/NOR00018480", "Metropolitan/MET00000064"}
    assert (children.role == "other").all()
    people = staged(tmp_path / "d", "person_records").set_index("record_key")
    assert people.loc["Northumbria/NOR00018480", "dob"] == pd.Timestamp("2014-09-03")


def test_a_child_present_does_not_make_an_incident_domestic_abuse(tmp_path: Path) -> None:
    rows = [
        flat_row(da_marker="N", ho_offence_code="", offence="Burglary dwelling"),
        flat_row(role="OTHER", nominal_ref="C1", forenames="Amy", relationship_to_suspect="Child", da_marker="N",
                 ho_offence_code="", offence="Burglary dwelling"),
    ]
    ingest_paths([write_flat(tmp_path / "f.csv", rows)], tmp_path / "d")
    [event] = staged(tmp_path / "d", "events").itertuples()
    assert not event.da_relevant


@pytest.mark.parametrize(
    ("header", "row", "field", "reason"),
    [
        (CUSTODY_HEADER, custody_row(disposal="BAILED"), "disposal", "unknown disposal 'BAILED'"),
        (CUSTODY_HEADER, custody_row(authorised_by_rank="Bob"), "authorised_by_rank", "unknown rank 'Bob'"),
        (CUSTODY_HEADER, custody_row(arrested_at="31/04/2023 10:00"), "arrested_at", "impossible date"),
        (CUSTODY_HEADER, custody_row(arrested_at=""), "arrested_at", "arrested at is blank"),
        (CUSTODY_HEADER, custody_row(bail_until="01/04/2023"), "bail_until", "bail_until is before arrested_at"),
        (CUSTODY_HEADER, custody_row(decision="MAYBE"), "decision", "unknown decision 'MAYBE'"),
        (CUSTODY_HEADER, custody_row(surname="", forenames=""), "surname", "no name"),
        (NOTICE_HEADER, notice_row(notice_type="DVPO"), "notice_type", "unknown notice type 'DVPO'"),
        (NOTICE_HEADER, notice_row(hearing_at="13/04/2023 10:00"), "hearing_at", "hearing_at is before served_at"),
        (NOTICE_HEADER, notice_row(protected_nominal_ref=""), "protected_nominal_ref", "is blank"),
        (NOTICE_HEADER, notice_row(hearing_outcome="GRANTED"), "hearing_outcome", "unknown hearing outcome"),
        (REFERRAL_HEADER, referral_row(service="POSTMAN"), "service", "unknown service 'POSTMAN'"),
        (REFERRAL_HEADER, referral_row(sent_at=""), "sent_at", "sent at is blank"),
        (REFERRAL_HEADER, referral_row(outcome="MAYBE"), "outcome", "unknown referral outcome 'MAYBE'"),
    ],
)
def test_each_reason_a_row_cannot_be_used(
    tmp_path: Path, header: list[str], row: dict[str, str], field: str, reason: str
) -> None:
    make = {id(CUSTODY_HEADER): custody_row, id(NOTICE_HEADER): notice_row, id(REFERRAL_HEADER): referral_row}
    ref = {"custody_ref": "OK/1", "notice_ref": "OK/1", "referral_ref": "OK/1"}
    okay = make[id(header)](**{k: v for k, v in ref.items() if k in header})
    f = write_rows(tmp_path / "f.csv", header, [okay, row])
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.rows_read, result.loaded, result.quarantined) == (2, 1, 1)
    [q] = staged(tmp_path / "d", "quarantine").itertuples()
    assert (q.source_line, q.field) == (3, field) and reason in q.reason


def test_a_child_date_of_birth_that_cannot_be_used_is_a_warning(tmp_path: Path) -> None:
    f = write_rows(tmp_path / "r.csv", REFERRAL_HEADER, [referral_row(child_dob="31/02/2014")])
    [result] = ingest_paths([f], tmp_path / "d")
    assert (result.loaded, result.quarantined, result.warnings) == (1, 0, 1)
    [w] = staged(tmp_path / "d", "warnings").itertuples()
    assert (w.field, w.record_key, w.raw) == ("child_dob", "Durham/referral/DU/R/23/00017/child", "31/02/2014")


@pytest.mark.parametrize(
    ("written", "rank", "inspector_or_above"),
    [
        ("Sgt", "SERGEANT", False),
        ("custody officer", "SERGEANT", False),
        ("INSPECTOR", "INSPECTOR", True),
        ("D/Insp", "INSPECTOR", True),
        ("Det. Sgt", "SERGEANT", False),
        ("Bob", None, False),
        ("Ch. Supt", "CHIEF_SUPERINTENDENT", True),
        ("Commander", "COMMANDER", True),
        ("Magistrates' Court", "COURT", True),
        ("", None, False),
    ],
)
def test_ranks_as_written(written: str, rank: str | None, inspector_or_above: bool) -> None:
    from reference.ranks import at_least, canonical_rank

    assert canonical_rank(written) == rank
    assert at_least(rank, "INSPECTOR") is inspector_or_above
