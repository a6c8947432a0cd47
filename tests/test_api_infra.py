"""API infrastructure without a graph: state store and migrations, users, tokens and API keys,
problem details, purpose and reference, the audit chain and its tamper detection, pagination,
rate limits, clocks, the leak guard and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")  # hashing cost is not under test here

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth import security  # noqa: E402
from api.auth.users import UserError, add_user  # noqa: E402
from api.policy.audit import AuditLog, audit_key, verify_chain, verify_session  # noqa: E402
from worlds.testing import PASSWORD, add_accounts, read_entry, settings  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One app for the module: tests that change accounts make their own."""
    data_dir = tmp_path_factory.mktemp("api_infra")
    s = settings(data_dir)
    add_accounts(data_dir)
    with TestClient(create_app(data_dir, settings=s)) as c:
        yield c


def login(c: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    r = c.post("/auth/token", data={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


PERSONAL = "/analyst/persons/P1"
WHY = {"purpose": "intelligence", "reference": "NO/0003714/19"}


# -- state store ------------------------------------------------------------------------------------


def test_migrations_build_exactly_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from api.store.db import Base, engine_for, migrate

    url = settings(tmp_path).database_url
    migrate(url)
    migrate(url)  # idempotent
    with engine_for(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


# -- users ------------------------------------------------------------------------------------------


def test_add_user_resolves_forces_and_guards_scope(tmp_path):
    settings(tmp_path)
    u = add_user(tmp_path, "a.khan", "analyst", ["Devon & Cornwall", "E23000007", "northumbria"], PASSWORD)
    assert u["forces"] == ["E23000035", "E23000007"] and not u["national"] and "password" not in u
    n = add_user(tmp_path, "nat", "analyst", ["national"], PASSWORD)
    assert n["national"] and n["forces"] == []
    first = add_user(tmp_path, "root", "admin", [], None)
    assert len(first["password"]) >= 16 and not first["national"]  # no forces never means national
    svc = add_user(tmp_path, "svc", "analyst", ["Durham"], None, service=True)
    assert svc["api_key"].startswith("dots_") and "password" not in svc
    for args, msg in [
        (("x", "wizard", []), "unknown role"),
        (("x", "analyst", ["Atlantis"]), "unknown force"),
        (("a.khan", "analyst", []), "already exists"),
    ]:
        with pytest.raises(UserError, match=msg):
            add_user(tmp_path, *args, PASSWORD)
    with pytest.raises(UserError, match="at least 12"):
        add_user(tmp_path, "shorty", "analyst", [], "short")


def test_passwords_are_argon2_hashed(tmp_path):
    from sqlalchemy import select

    from api.store.db import User, session_factory

    url = settings(tmp_path).database_url
    add_user(tmp_path, "h", "auditor", [], PASSWORD)
    with session_factory(url)() as s:
        stored = s.execute(select(User.password_hash).where(User.name == "h")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


# -- authentication ---------------------------------------------------------------------------------


def test_token_flow_and_rejections(client):
    r = client.post("/auth/token", data={"username": "analyst", "password": "wrong password!"})
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert client.post("/auth/token", data={"username": "nobody", "password": PASSWORD}).status_code == 401
    h = login(client, "analyst")
    me = client.get("/auth/me", headers=h).json()
    assert me["role"] == "analyst" and me["forces"] == ["E23000007"]
    assert client.get("/auth/me").status_code == 401
    bad = h["Authorization"][:-3] + ("aaa" if not h["Authorization"].endswith("aaa") else "bbb")
    assert client.get("/auth/me", headers={"Authorization": bad}).status_code == 401
    forged, _ = security.issue_token(b"another key", 1, "admin", 0, 5)
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    state = client.app.state.dots
    expired, _ = security.issue_token(state.settings.jwt_key, me["id"], "analyst", 0, -1)
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_tokens_are_short_lived():
    key = b"k" * 32
    token, seconds = security.issue_token(key, 7, "analyst", 0, 15)
    assert seconds == 900
    claims = security.read_token(key, token)
    assert claims is not None and claims.user_id == 7
    assert dt.timedelta(minutes=14) < claims.expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)


def test_changing_or_disabling_an_account_revokes_its_tokens(client):
    admin = login(client, "admin")
    made = client.post(
        "/admin/users",
        headers=admin,
        json={"name": "temp.analyst", "role": "analyst", "forces": ["Northumbria"], "password": PASSWORD},
    )
    uid = made.json()["id"]
    h = login(client, "temp.analyst")
    r = client.patch(f"/admin/users/{uid}", headers=admin, json={"forces": ["Durham"]})
    assert r.status_code == 200 and r.json()["forces"] == ["E23000008"]
    assert client.get("/auth/me", headers=h).status_code == 401
    h = login(client, "temp.analyst")
    client.patch(f"/admin/users/{uid}", headers=admin, json={"active": False})
    assert client.get("/auth/me", headers=h).status_code == 401
    assert client.post("/auth/token", data={"username": "temp.analyst", "password": PASSWORD}).status_code == 401
    me = client.get("/auth/me", headers=admin).json()["id"]
    assert client.patch(f"/admin/users/{me}", headers=admin, json={"active": False}).status_code == 400


def test_api_keys_for_service_accounts(client):
    admin = login(client, "admin")
    r = client.post("/admin/users", headers=admin, json={"name": "etl", "role": "auditor", "service": True})
    assert r.status_code == 201
    key, uid = r.json()["api_key"], r.json()["id"]
    assert client.get("/auth/me", headers={"X-API-Key": key}).json()["name"] == "etl"
    assert client.get("/auth/me", headers={"X-API-Key": key[:-2] + "xx"}).status_code == 401
    assert client.get("/auth/me", headers={"X-API-Key": "dots_nope_nope"}).status_code == 401
    assert client.post("/auth/token", data={"username": "etl", "password": PASSWORD}).status_code == 401
    assert client.delete(f"/admin/users/{uid}/api-keys", headers=admin).status_code == 200
    assert client.get("/auth/me", headers={"X-API-Key": key}).status_code == 401
    second = client.post(f"/admin/users/{uid}/api-keys", headers=admin).json()["api_key"]
    assert client.get("/auth/me", headers={"X-API-Key": second}).status_code == 200


def test_sign_in_attempts_are_limited(client):
    codes = [
        client.post("/auth/token", data={"username": "locked.out", "password": "wrong password!"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429


# -- errors, purpose and reference ------------------------------------------------------------------


def test_errors_are_problem_details_that_echo_nothing(client):
    h = login(client, "analyst")
    r = client.get("/nowhere", headers=h)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert set(r.json()) >= {"type", "title", "status", "detail", "instance"}
    assert client.delete("/auth/me", headers=h).status_code == 405
    secret = "Karen BLACK, 22 Elm Grove"
    r = client.get("/analyst/serial-perpetrators", headers=h, params={**WHY, "min_victims": secret})
    assert r.status_code == 400 and r.json()["type"] == "/problems/invalid-request"
    assert "Elm Grove" not in r.text and "Karen" not in r.text


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"purpose": "intelligence"},
        {"reference": "NO/1/19"},
        {"purpose": "curiosity", "reference": "NO/1/19"},
        {"purpose": "intelligence", "reference": "Karen BLACK"},
    ],
)
def test_personal_data_needs_purpose_and_reference(client, params):
    h = login(client, "analyst")
    r = client.get(PERSONAL, headers=h, params=params)
    assert r.status_code == 400, r.text
    assert "Karen" not in r.text


def test_refusals_are_logged_too(client):
    h = login(client, "analyst")
    client.get(PERSONAL, headers=h)  # no purpose
    client.get(PERSONAL, params=WHY)  # no credentials
    client.get(PERSONAL, headers=login(client, "da_team"), params=WHY)  # wrong role
    aud = login(client, "auditor")
    items = client.get("/audit/records", headers=aud, params={"purpose": "audit", "reference": "AUD-1"}).json()["items"]
    refusals = {
        (i["user_name"], i["status"], i["outcome"]) for i in items if i["route"] == "/analyst/persons/{person_id}"
    }
    assert refusals >= {("analyst", 400, "refused"), (None, 401, "refused"), ("da_team", 403, "refused")}


# -- audit chain ------------------------------------------------------------------------------------


def _chain(tmp_path, n: int = 6):
    from api.store.db import session_factory

    s = settings(tmp_path)
    sessions = session_factory(s.database_url)
    log = AuditLog.of(tmp_path, sessions)
    for i in range(n):
        log.append(
            read_entry(
                f"/x/{i}", user_name="u", person_ids=[f"P{i}"], count=1, purpose="intelligence", reference=f"R-{i}"
            )
        )
    log.close()
    return sessions


def _exec(sessions, sql: str, **params) -> None:
    with sessions.begin() as s:
        s.execute(text(sql), params)


def test_chain_verifies_when_intact(tmp_path):
    _chain(tmp_path)
    assert verify_chain(tmp_path) == (True, None)


@pytest.mark.parametrize(
    "tamper, bad_seq",
    [
        ("UPDATE audit_log SET person_ids = '[\"P999\"]' WHERE seq = 3", 3),  # edited
        ("UPDATE audit_log SET user_name = 'someone else' WHERE seq = 1", 1),
        ("DELETE FROM audit_log WHERE seq = 4", 4),  # removed from the middle
        ("DELETE FROM audit_log WHERE seq = 6", 6),  # removed from the end
        ("DELETE FROM audit_log WHERE seq >= 5; UPDATE audit_head SET seq = 4", 5),  # cut, head moved back
        ("UPDATE audit_log SET seq = seq + 100 WHERE seq = 5", 5),  # moved
    ],
)
def test_chain_finds_edited_and_deleted_records(tmp_path, tamper, bad_seq):
    sessions = _chain(tmp_path)
    for statement in tamper.split(";"):
        _exec(sessions, statement)
    ok, bad = verify_chain(tmp_path)
    assert not ok and bad["seq"] == bad_seq, bad


def test_chain_finds_an_inserted_record(tmp_path):
    sessions = _chain(tmp_path)
    with sessions() as s:
        row = dict(s.execute(text("SELECT * FROM audit_log WHERE seq = 3")).mappings().one())
    for seq in range(6, 3, -1):  # make room: later records renumbered
        _exec(sessions, "UPDATE audit_log SET seq = :n WHERE seq = :o", n=seq + 1, o=seq)
    row.update(seq=4, path="/forged", prev_hash=row["hash"])
    cols = ", ".join(row)
    _exec(sessions, f"INSERT INTO audit_log ({cols}) VALUES ({', '.join(':' + k for k in row)})", **row)
    ok, bad = verify_chain(tmp_path)
    assert not ok and bad["seq"] == 4


def test_a_rewritten_chain_without_the_key_fails(tmp_path):
    """Recomputing plain SHA-256 links after an edit does not help a forger: links are keyed."""
    import hashlib

    from api.policy.audit import HASHED

    sessions = _chain(tmp_path, 3)
    with sessions() as s:
        rows = [dict(r) for r in s.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings()]
    prev = "0" * 64
    for r in rows:
        r["user_name"] = "covered up"
        r["prev_hash"] = prev
        payload = json.dumps({k: r[k] for k in HASHED}, sort_keys=True, separators=(",", ":"))
        r["hash"] = prev = hashlib.sha256(payload.encode()).hexdigest()
        _exec(
            sessions,
            "UPDATE audit_log SET user_name=:u, prev_hash=:p, hash=:h WHERE seq=:s",
            u=r["user_name"],
            p=r["prev_hash"],
            h=r["hash"],
            s=r["seq"],
        )
    _exec(sessions, "UPDATE audit_head SET hash=:h", h=prev)
    ok, bad = verify_chain(tmp_path)
    assert not ok and bad["seq"] == 1


def test_concurrent_appends_keep_one_chain(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from api.store.db import session_factory

    s = settings(tmp_path)
    log = AuditLog(session_factory(s.database_url), audit_key(tmp_path))
    entry = read_entry("/x")
    with ThreadPoolExecutor(8) as pool:
        seqs = list(pool.map(lambda _: log.append(entry), range(80)))
    assert sorted(seqs) == list(range(1, 81))
    with log.sessions() as session:
        assert verify_session(session, log.key) == (True, None)


def test_only_auditors_read_the_log(client):
    for name in ("analyst", "da_team", "disclosure", "steward", "admin"):
        r = client.get("/audit/records", headers=login(client, name), params={"purpose": "audit", "reference": "A-1"})
        assert r.status_code == 403, name
    r = client.get("/audit/verify", headers=login(client, "auditor"), params={"purpose": "audit", "reference": "A-1"})
    assert r.status_code == 200 and r.json()["ok"] is True


# -- pagination, rate limits, clocks ----------------------------------------------------------------


def test_pagination_envelope_and_bounds(client):
    admin = login(client, "admin")
    r = client.get("/admin/users", headers=admin, params={"limit": 3, "offset": 0}).json()
    n = r["total"]
    assert n >= 10 and len(r["items"]) == 3 and r["next"] and "offset=3" in r["next"]
    last = client.get("/admin/users", headers=admin, params={"limit": 3, "offset": n - 1}).json()
    assert len(last["items"]) == 1 and last["next"] is None
    assert client.get("/admin/users", headers=admin, params={"limit": 501}).status_code == 400
    assert client.get("/admin/users", headers=admin, params={"offset": -1}).status_code == 400


def test_rate_limiter_window():
    from api.deps import RateLimiter

    rl = RateLimiter()
    assert all(rl.check(1, "search", 3) is None for _ in range(3))
    wait = rl.check(1, "search", 3)
    assert wait is not None and 0 < wait <= 60
    assert rl.check(2, "search", 3) is None  # per account
    assert rl.check(1, "other", 3) is None  # per bucket
    assert rl.check(1, "search", 0) is None  # 0 = unlimited


def test_case_clocks_count_working_days():
    from api.policy.clocks import add_working_days, case_clocks

    opened = dt.datetime(2024, 12, 20, 10, 0, tzinfo=dt.UTC)  # Friday before Christmas
    due = add_working_days(opened, 10)
    # skips 2 weekends, Christmas Day, Boxing Day and New Year's Day
    assert due.date() == dt.date(2025, 1, 8)
    clocks = case_clocks(opened, opened + dt.timedelta(hours=30), None, None, now=opened + dt.timedelta(days=29))
    states = {c["clock"]: c["state"] for c in clocks}
    assert states == {
        "initial_contact_24h": "met_late",
        "meeting_10_working_days": "overdue",
        "complete_28_days": "overdue",
    }


def test_leak_guard_withholds_any_string_holding_a_forbidden_token():
    from api.policy.leakguard import LeakGuard, marker
    from api.policy.mentions import ADDRESS, IDENTIFIER, PERSON, Mentions, Person

    guard = LeakGuard(Mentions([Person.of(["BLACK"], ["Karen"])], postcodes=["SR1 2BB"], opaque=["P000042", "x"]))
    out = guard.scrub({"a": ["Contact karen black", "at sr12bb", "nothing here"], "b": {"c": "P000042"}, "n": 3})
    assert out == {"a": [marker(PERSON), marker(ADDRESS), "nothing here"], "b": {"c": marker(IDENTIFIER)}, "n": 3}
    assert all(m.startswith("[withheld: ") for m in out["a"][:2])
    assert guard.hits == 3 and guard.mentions("see KAREN BLACK") and not guard.mentions("Kevin White")
    # her forename with a surname not hers may still be her (a married name the records never saw) ...
    assert guard.mentions("Karen White")
    # ... unless that surname belongs to someone the case names, who may be written
    named = LeakGuard(Mentions([Person.of(["BLACK"], ["Karen"])], allowed_names=["Karen White"]))
    assert not named.mentions("Karen White called") and named.mentions("Karen called")
    assert not guard.mentions("x marks the spot")  # too-short opaque tokens are ignored


# -- OpenAPI ----------------------------------------------------------------------------------------


def test_openapi_is_complete(client):
    from api.app import api_routes
    from api.routing import AuditedRoute

    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    personal = {
        (r.path, m.lower())
        for r in api_routes(client.app)
        if isinstance(r, AuditedRoute) and r.dots_operation
        for m in r.methods
    }
    ops = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            ops += 1
            assert op.get("summary") and op.get("tags"), (path, method)
            assert "422" not in op["responses"], (path, method)
            names = {p["name"] for p in op.get("parameters", [])}
            if (path, method) in personal:
                assert {"purpose", "reference"} <= names, (path, method)
                assert "400" in op["responses"] and "403" in op["responses"], (path, method)
            if path not in ("/auth/token", "/health"):
                assert "401" in op["responses"], (path, method)
    assert ops >= 40 and len(personal) >= 30
    examples = [s for s in schema["components"]["schemas"].values() if "examples" in s]
    assert len(examples) >= 10


def test_audit_records_are_written_before_the_response(client, monkeypatch):
    """If the log cannot be written, the caller gets a 500 and no data."""
    h = login(client, "auditor")

    async def broken(entry):
        raise RuntimeError("disk full")

    monkeypatch.setattr(client.app.state.dots.audit, "append_async", broken)
    with TestClient(client.app, raise_server_exceptions=False) as c:
        r = c.get("/audit/verify", headers=h, params={"purpose": "audit", "reference": "A-1"})
    assert r.status_code == 500 and "ok" not in r.json()


def test_health_needs_nothing(client):
    t = time.perf_counter()
    assert client.get("/health").json() == {"status": "ok"}
    assert time.perf_counter() - t < 1


def test_nul_characters_are_refused_at_the_door(client):
    """PostgreSQL cannot store NUL in text; the schema run found it: refuse it everywhere."""
    admin = login(client, "admin")
    assert client.get("/admin/users", headers=admin, params={"limit": "5\x00"}).status_code == 400
    r = client.post("/admin/users", headers=admin, json={"name": "a\u0000b", "role": "analyst"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert (
        client.get(
            "/audit/records",
            headers=login(client, "auditor"),
            params={"purpose": "audit", "reference": "A-1", "user": "\x00"},
        ).status_code
        == 400
    )


def test_a_key_created_by_many_at_once_is_one_complete_key(tmp_path):
    """Processes starting together must agree on one whole key (none may read a half-written file)."""
    from concurrent.futures import ThreadPoolExecutor

    from api.config import secret

    for attempt in range(20):
        data_dir = tmp_path / f"d{attempt}"
        with ThreadPoolExecutor(8) as pool:
            keys = list(pool.map(secret, [data_dir] * 8, ["audit"] * 8, ["DOTS_TEST_UNSET_KEY"] * 8))
        assert len(set(keys)) == 1 and len(keys[0]) == 64
        assert [p.name for p in (data_dir / "state").iterdir()] == ["audit.key"]
