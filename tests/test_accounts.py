"""No one widens their own access: an admin works within its own forces, only a national admin
grants national scope or another force's, no account changes its own role or scope. Every
escalation attempt gets a 403 and is in the audit log; every account creation, change, key issue,
revocation and disablement is an alteration record (API and ``dots user add``)."""

from __future__ import annotations

import pytest

from worlds.testing import PASSWORD, sample_client

WHY = {"purpose": "audit", "reference": "AUD-ACCOUNTS"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with sample_client(tmp_path_factory, "accounts") as (c, data_dir):
        c.data_dir = data_dir
        yield c


def login(c, name: str) -> dict[str, str]:
    r = c.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _records(c, **params) -> list[dict]:
    r = c.get("/audit/records", headers=login(c, "auditor"), params={**WHY, "limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _id(c, name: str) -> int:
    items = c.get("/admin/users", headers=login(c, "admin"), params={"limit": 500}).json()["items"]
    return next(u["id"] for u in items if u["name"] == name)


def test_escalation_attempts_are_refused_and_logged(client):
    local = login(client, "admin_northumbria")
    me = client.get("/auth/me", headers=local).json()["id"]
    durham = _id(client, "analyst_durham")
    national = _id(client, "analyst_national")
    attempts = [
        ("POST", "/admin/users", {"name": "x.national", "role": "analyst", "national": True}),
        ("POST", "/admin/users", {"name": "x.nat2", "role": "admin", "forces": ["national"]}),
        ("POST", "/admin/users", {"name": "x.durham", "role": "analyst", "forces": ["Durham"]}),
        ("POST", "/admin/users", {"name": "x.both", "role": "analyst", "forces": ["Northumbria", "Durham Police"]}),
        ("PATCH", f"/admin/users/{me}", {"national": True}),
        ("PATCH", f"/admin/users/{me}", {"forces": ["Northumbria", "Durham"]}),
        ("PATCH", f"/admin/users/{me}", {"forces": ["Northumbria"]}),  # its own scope, even unchanged
        ("PATCH", f"/admin/users/{me}", {"role": "auditor"}),
        ("PATCH", f"/admin/users/{durham}", {"active": False}),  # another force's account
        ("PATCH", f"/admin/users/{durham}", {"forces": ["Northumbria"]}),
        ("PATCH", f"/admin/users/{national}", {"role": "auditor"}),
        ("POST", f"/admin/users/{durham}/api-keys", None),
        ("DELETE", f"/admin/users/{national}/api-keys", None),
    ]
    before = {r["seq"] for r in _records(client, outcome="refused")}
    for method, path, body in attempts:
        r = client.request(method, path, headers=local, json=body)
        assert r.status_code == 403, (method, path, body, r.status_code, r.text)
    refused = [r for r in _records(client, outcome="refused") if r["seq"] not in before]
    logged = [(r["method"], r["path"]) for r in refused if r["user_name"] == "admin_northumbria"]
    assert sorted(logged) == sorted((m, p) for m, p, _ in attempts)
    assert all(r["operation"] == "alteration" and r["status"] == 403 for r in refused)
    # and nothing was widened
    assert client.get("/auth/me", headers=login(client, "admin_northumbria")).json()["forces"] == ["E23000007"]
    names = {u["name"] for u in client.get("/admin/users", headers=login(client, "admin"), params={"limit": 500})
             .json()["items"]}
    assert not names & {"x.national", "x.nat2", "x.durham", "x.both"}


def test_a_local_admin_works_within_its_force(client):
    local = login(client, "admin_northumbria")
    made = client.post("/admin/users", headers=local, json={"name": "n.analyst", "role": "analyst",
                                                              "forces": ["Northumbria"]})
    assert made.status_code == 201 and made.json()["forces"] == ["E23000007"]
    uid = made.json()["id"]
    assert client.patch(f"/admin/users/{uid}", headers=local, json={"role": "da_team"}).status_code == 200
    assert client.patch(f"/admin/users/{uid}", headers=local, json={"active": False}).status_code == 200
    seen = {u["name"] for u in client.get("/admin/users", headers=local, params={"limit": 500}).json()["items"]}
    assert "n.analyst" in seen and "analyst_durham" not in seen and "analyst_national" not in seen
    changes = sorted(
        (r for r in _records(client, operation="alteration", outcome="ok") if "n.analyst" in (r["detail"] or "")),
        key=lambda r: r["seq"],
    )
    assert len(changes) == 3 and all(r["user_name"] == "admin_northumbria" for r in changes)
    assert "created" in changes[0]["detail"] and "role da_team" in changes[1]["detail"]
    assert "active False" in changes[2]["detail"]


def test_only_a_national_admin_grants_national_scope(client):
    admin = login(client, "admin")
    made = client.post("/admin/users", headers=admin, json={"name": "n.national", "role": "analyst",
                                                              "national": True})
    assert made.status_code == 201 and made.json()["national"]
    svc = client.post("/admin/users", headers=admin, json={"name": "n.svc", "role": "auditor", "service": True})
    uid = svc.json()["id"]
    assert client.post(f"/admin/users/{uid}/api-keys", headers=admin).status_code == 201
    assert client.delete(f"/admin/users/{uid}/api-keys", headers=admin).status_code == 200
    details = [r["detail"] or "" for r in _records(client, operation="alteration", user="admin")]
    assert any("n.national" in d and "scope national" in d for d in details)
    assert any("API key issued to account n.svc" in d for d in details)
    assert any("API key(s) of account n.svc" in d and "revoked" in d for d in details)


def test_dots_user_add_is_logged(client):
    from api.auth.users import add_user

    add_user(client.data_dir, "cli.made", "analyst", ["Durham"], PASSWORD)
    mine = [r for r in _records(client, operation="alteration") if r["route"] == "dots user add"]
    assert any("cli.made" in r["detail"] and r["user_name"].startswith("os:") for r in mine)
    r = client.get("/audit/verify", headers=login(client, "auditor"), params=WHY)
    assert r.json()["ok"] is True, r.text
