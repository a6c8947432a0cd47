"""The safeguarding routes over the synthetic extracts taken through the whole pipeline: the DA
team's per force, the analyst's within the account's forces; scoping, audit records, refusals."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from worlds.testing import bearer, synth_client  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
AS_OF = "2025-06-30"
TASKING = {"purpose": "tasking", "reference": "MATAC-2025-26", "as_of": AS_OF, "limit": 500}
INTEL = {"purpose": "intelligence", "reference": "INT-17", "as_of": AS_OF, "limit": 500}
LISTS = ("bail", "notices", "gaps", "encompass")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with synth_client(tmp_path_factory, "api_safeguarding", people=1500, seed=17) as (c, data_dir):
        yield c, data_dir


def test_da_team_lists_for_its_force(app):
    c, _ = app
    headers = bearer(c, "da_team")
    seen = 0
    for name in LISTS:
        r = c.get(f"/targets/Northumbria/safeguarding/{name}", headers=headers, params=TASKING)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["name"] == name and body["force_code"] == "E23000007"
        for row in body["items"]:
            assert row["force_code"] in (None, "E23000007")
            assert row["rule"] and row["explanation"] and row["state"]
            assert "/" not in (row["source"] or "").rsplit(":", 1)[0]  # a file name, never a server path
        seen += len(body["items"])
    assert seen > 0
    r = c.get("/targets/Durham/safeguarding/bail", headers=headers, params=TASKING)
    assert r.status_code == 403
    r = c.get("/targets/Northumbria/safeguarding/bail", headers=headers, params={"as_of": AS_OF})
    assert r.status_code == 400  # no purpose or reference


def test_analyst_sees_only_the_account_forces(app):
    c, _ = app
    national = c.get("/analyst/safeguarding/bail", headers=bearer(c, "analyst_national"), params=INTEL).json()
    durham = c.get("/analyst/safeguarding/bail", headers=bearer(c, "analyst_durham"), params=INTEL).json()
    forces = {r["force_code"] for r in national["items"]}
    assert len(forces) > 1
    assert {r["force_code"] for r in durham["items"]} == {"E23000008"}
    assert {r["record_key"] for r in durham["items"]} < {r["record_key"] for r in national["items"]}
    bad = c.get("/analyst/safeguarding/notices", headers=bearer(c, "analyst_national"),
                params={**INTEL, "force": "Atlantis"})
    assert bad.status_code == 400
    assert c.get("/analyst/safeguarding/bail", headers=bearer(c, "da_team"), params=INTEL).status_code == 403


def test_each_read_is_audited_with_the_people_it_named(app):
    c, data_dir = app
    r = c.get("/targets/Northumbria/safeguarding/notices", headers=bearer(c, "da_team"), params=TASKING)
    named = {p for row in r.json()["items"] for p in (row["subject_id"], row["protected_id"]) if p}
    audit = c.get("/audit/records", headers=bearer(c, "auditor"),
                  params={"purpose": "audit", "reference": "AUD-1", "limit": 5}).json()["items"]
    last = next(a for a in audit if a["route"].endswith("/safeguarding/notices"))
    assert last["purpose"] == "tasking" and last["reference"] == "MATAC-2025-26"
    assert named <= set(last["person_ids"])


def test_person_views_show_bail_rui_and_notices_naming_no_one_else(app):
    c, _ = app
    headers = bearer(c, "da_team")
    rows = c.get("/targets/Northumbria/safeguarding/bail", headers=headers, params=TASKING).json()["items"]
    person = next(r["subject_id"] for r in rows if r["subject_id"])
    view = c.get(f"/targets/Northumbria/persons/{person}", headers=headers, params=TASKING).json()
    assert view["duties"] and {d["kind"] for d in view["duties"]} & {"bail", "rui"}
    for d in view["duties"]:
        assert d["force_code"] == "E23000007" and d["state"]
        assert not {"person_id", "protected_id", "subject_id"} & set(d)
    analyst = bearer(c, "analyst_national")
    first = c.get(f"/analyst/persons/{person}", headers=analyst, params=INTEL).json()["duties"]
    again = c.get(f"/analyst/persons/{person}", headers=analyst, params=INTEL).json()["duties"]  # cached path
    assert first == again and len(first) >= len(view["duties"])
    durham = c.get(f"/analyst/persons/{person}", headers=bearer(c, "analyst_durham"), params=INTEL).json()
    assert all(d["force_code"] == "E23000008" for d in durham.get("duties", []))


def _csv_rows(body: bytes) -> list[dict]:
    import csv
    import io

    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, so Excel reads the names right
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", LISTS)
def test_each_list_as_a_file_holds_what_the_list_shows(app, name):
    """The DA team's and the analyst's files: the same rows as the JSON list, scoped the same, each
    logged as an export naming the people it holds; another force's file is refused."""
    import io

    from openpyxl import load_workbook

    c, _ = app
    team = bearer(c, "da_team")
    shown = c.get(f"/targets/Northumbria/safeguarding/{name}", headers=team, params=TASKING).json()["items"]
    r = c.get(f"/targets/Northumbria/safeguarding/{name}/export.csv", headers=team, params=TASKING)
    assert r.status_code == 200, r.text
    assert f"safeguarding-{name}-E23000007-{AS_OF}.csv" in r.headers["content-disposition"]
    rows = _csv_rows(r.content)
    assert [x["record_key"] for x in rows] == [x["record_key"] or "" for x in shown]
    assert {x["force_code"] for x in rows} <= {"E23000007", ""}
    assert all(x["rule"] and x["explanation"] for x in rows)
    xlsx = c.get(f"/targets/Northumbria/safeguarding/{name}/export.xlsx", headers=team, params=TASKING)
    ws = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert ws.max_row == len(shown) + 1 and ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"
    assert c.get(f"/targets/Durham/safeguarding/{name}/export.csv", headers=team, params=TASKING).status_code == 403
    assert c.get(f"/targets/Northumbria/safeguarding/{name}/export.pdf", headers=team,
                 params=TASKING).status_code == 400
    durham = c.get(f"/analyst/safeguarding/{name}/export.csv", headers=bearer(c, "analyst_durham"), params=INTEL)
    assert durham.status_code == 200
    assert {x["force_code"] for x in _csv_rows(durham.content)} <= {"E23000008", ""}
    audit = c.get("/audit/records", headers=bearer(c, "auditor"),
                  params={"purpose": "audit", "reference": "AUD-2", "limit": 5}).json()["items"]
    exports = [a for a in audit if f"/safeguarding/{name}/export" in a["route"]]
    assert {a["reference"] for a in exports} >= {"INT-17", "MATAC-2025-26"}
    team_file = next(a for a in exports if a["reference"] == "MATAC-2025-26" and a["outcome"] == "ok")
    named = {p for row in shown for p in (row["subject_id"], row["protected_id"]) if p}
    assert named <= set(team_file["person_ids"])
