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
