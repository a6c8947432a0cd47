"""Every person an answer names is in its audit record: related people, network nodes, candidates,
victims, a pair's records' persons, list rows. Checked on the answer itself, whatever field
carried the id, over every personal-data route these requests reach."""

from __future__ import annotations

import pytest

from api.routing import people_in
from worlds.api import person_of
from worlds.testing import PASSWORD, sample_client


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    with sample_client(tmp_path_factory, "audit_records", search_per_minute=0) as (c, data_dir):
        yield c, data_dir


def _login(c, name: str) -> dict[str, str]:
    token = c.post("/auth/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_every_person_an_answer_names_is_in_its_record(setup):
    c, data = setup
    hall = person_of(data, "Northumbria/NOR1")
    dvds = _login(c, "disclosure_national")
    case = c.post(
        "/disclosure/cases",
        headers=dvds,
        params={"purpose": "dvds", "reference": "AR-CASE"},
        json={"route": "know", "force": "Northumbria", "person_at_risk": {"name": "A"},
              "subject": {"name": "David Hall"}, "relationship": "new_partner"},
    ).json()["id"]
    requests = [
        ("analyst_national", "intelligence", f"/analyst/persons/{hall}", {}),
        ("analyst_national", "intelligence", f"/analyst/persons/{hall}/network", {"depth": 2}),
        ("analyst_national", "intelligence", "/analyst/serial-perpetrators", {}),
        ("analyst_national", "intelligence", "/analyst/cross-force-victims", {}),
        ("analyst_national", "intelligence", "/analyst/orders/court-only", {}),
        ("analyst_national", "intelligence", "/analyst/breaches", {}),
        ("da_team", "tasking", "/targets/Northumbria", {"as_of": "2024-06-30"}),
        ("disclosure_national", "dvds", f"/disclosure/cases/{case}/candidates", {"name": "David Hall"}),
        ("disclosure_national", "dvds", "/disclosure/right-to-know", {"as_of": "2024-06-30"}),
        ("steward_national", "data_quality", "/steward/queue", {}),
        ("steward_national", "data_quality", "/steward/pair", {"left": "Durham/DUR5", "right": "Northumbria/NOR6"}),
    ]
    named = {}
    for i, (who, purpose, path, params) in enumerate(requests):
        ref = f"AR-{i}"
        r = c.get(path, headers=_login(c, who), params={"purpose": purpose, "reference": ref, **params})
        assert r.status_code == 200, (path, r.text)
        named[ref] = (path, people_in(r.content))
    assert sum(len(ids) for _, ids in named.values()) >= 20  # the answers do name people
    assert len(named[f"AR-{0}"][1]) > 1  # the profile names its related people, not just the person
    records = c.get(
        "/audit/records", headers=_login(c, "auditor"), params={"purpose": "audit", "reference": "AR-X", "limit": 500}
    ).json()["items"]
    by_ref = {r["reference"]: r for r in records if r["reference"] in named}
    for ref, (path, ids) in named.items():
        missing = ids - set(by_ref[ref]["person_ids"])
        assert not missing, (path, sorted(missing))
