"""What the API keeps between requests, and why it is never wrong: the graph cache per graph load
(filled from whole-graph reads), the search cache, the account cache, and the audit writer that
batches records without ever answering before its record is committed."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
from pathlib import Path

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")  # hashing cost is not under test here

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from api.app import create_app  # noqa: E402
from api.performance.graphcache import GraphCache  # noqa: E402
from api.policy.audit import AuditLog, verify_chain  # noqa: E402
from api.policy.scope import Scope  # noqa: E402
from worlds.api import person_of  # noqa: E402
from worlds.testing import PASSWORD, add_accounts, read_entry, sample_client, settings  # noqa: E402

WHY = {"purpose": "intelligence", "reference": "NO/0003714/19"}


# -- the cache itself ---------------------------------------------------------------------------------


def test_cache_keeps_nothing_read_across_a_load():
    cache = GraphCache(10)
    assert cache.get(("k",), lambda: 1) == 1 and cache.get(("k",), lambda: 2) == 1
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 1

    def read_while_a_load_runs() -> int:
        with cache.loading():
            pass
        return 3

    assert cache.get(("j",), read_while_a_load_runs) == 3
    assert cache.get(("j",), lambda: 4) == 4  # the first answer straddled a load: not kept
    assert cache.get(("k",), lambda: 5) == 5  # the load emptied the cache
    with cache.loading():
        assert cache.get(("k",), lambda: 6) == 6 and cache.get(("k",), lambda: 7) == 7  # nothing served
        assert cache.peek(("k",)) is None
    assert cache.get(("k",), lambda: 8) == 8


def test_cache_is_bounded_and_least_recently_used_goes_first():
    cache = GraphCache(3)
    for i in range(3):
        cache.get((i,), lambda i=i: i)
    cache.get((0,), lambda: -1)  # touch 0
    cache.get((3,), lambda: 3)
    assert cache.stats()["entries"] == 3
    assert cache.peek((1,)) is None and cache.peek((0,)) == 0


def test_many_reads_only_what_is_missing():
    cache = GraphCache(10)
    asked: list[list[str]] = []

    def read(ids: list[str]) -> dict[str, int]:
        asked.append(ids)
        return {i: len(i) for i in ids if i != "none"}

    assert cache.many("n", ["a", "bb", "none"], read, 0) == {"a": 1, "bb": 2, "none": 0}
    assert cache.many("n", ["bb", "ccc", "a", "ccc"], read, 0) == {"bb": 2, "ccc": 3, "a": 1}
    assert asked == [["a", "bb", "none"], ["ccc"]]


# -- profiles over the sample world ------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with sample_client(tmp_path_factory, "caches") as (c, data_dir):
        c.app.state.dots.prefill.wait()
        yield c, data_dir


def login(c: TestClient, name: str) -> dict[str, str]:
    r = c.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def open_case(c: TestClient, h: dict[str, str], reference: str, subject: str = "Subject", **extra: str) -> int:
    """A right-to-ask case to search under (a search belongs to a case)."""
    body = {
        "route": "ask",
        "applicant": {"name": "Applicant"},
        "person_at_risk": {"name": "Applicant"},
        "subject": {"name": subject},
        "relationship": "current_partner",
        **extra,
    }
    r = c.post("/disclosure/cases", headers=h, params={"purpose": "dvds", "reference": reference}, json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _all_people(state) -> list[str]:
    return [r["id"] for r in state.graph().run("MATCH (p:Person) RETURN p.person_id AS id", {})]


def test_whole_graph_rows_equal_one_person_rows(world):
    from graph.queries.profile import all_profile_rows, person_profile_rows

    g = world[0].app.state.dots.graph()
    everyone = all_profile_rows(g)
    assert everyone and sorted(everyone) == sorted(_all_people(world[0].app.state.dots))
    for pid, rows in everyone.items():
        assert json.dumps(rows, default=str) == json.dumps(person_profile_rows(g, pid), default=str), pid


def test_the_server_fills_the_cache_with_every_person(world):
    state = world[0].app.state.dots
    assert state.prefill.last["filled"] == len(_all_people(state)) > 0
    assert state.cache.stats()["entries"] >= state.prefill.last["filled"]


def test_cached_profiles_answer_as_the_graph_does_for_every_scope(world):
    from api.views.person import person_view

    state = world[0].app.state.dots
    g = state.graph()
    scopes = [Scope(frozenset(), True)] + [
        Scope(frozenset({code}), False) for code in ("E23000007", "E23000008", "E23000013")
    ]
    for pid in _all_people(state) + ["P-nobody"]:
        for scope in scopes:
            direct = person_view(g, scope, pid)
            cached = person_view(g, scope, pid, state.cache)
            assert json.dumps(direct, default=str) == json.dumps(cached, default=str), (pid, scope)


def test_forces_from_cached_profiles_equal_the_graph_lookup(world):
    from api.routers.disclosure.candidates import person_forces
    from api.store import graphq

    state = world[0].app.state.dots
    g = state.graph()
    people = _all_people(state)
    derived = person_forces(GraphCache(10_000), g, people)  # nothing cached: read from the graph
    from_profiles = person_forces(state.cache, g, people)
    looked_up = graphq.person_forces(g, people)
    for pid in people:
        assert from_profiles[pid] == derived[pid] == frozenset(looked_up.get(pid, set())), pid


def test_a_graph_load_is_seen_at_once(world, monkeypatch):
    """The load job empties the cache when it starts and ends, and fills it again afterwards: the
    next answer shows the loaded graph, never the one before."""
    import graph.load
    from api.jobs.stages import stages

    c, data_dir = world
    state = c.app.state.dots
    pid = person_of(data_dir, "Northumbria/NOR1")
    h = login(c, "analyst_national")
    before = c.get(f"/analyst/persons/{pid}", headers=h, params=WHY).json()
    assert state.cache.peek(("profile", pid)) is not None
    seen_inside: list = []

    def load_that_renames(data_dir, backend, **kw):
        seen_inside.append(state.cache.peek(("profile", pid)))
        backend.run(
            "MATCH (p:Person {person_id: $pid}) SET p.preferred_name = $name RETURN count(*) AS n",
            {"pid": pid, "name": "Renamed By Load"},
        )
        return {"nodes": {}}

    monkeypatch.setattr(graph.load, "load_graph", load_that_renames)
    generation = state.cache.generation
    stages(state)["graph_load"]({}, lambda *a: None)
    assert seen_inside == [None]  # nothing was served from the cache while the load ran
    assert state.cache.generation == generation + 2
    after = c.get(f"/analyst/persons/{pid}", headers=h, params=WHY).json()
    assert before["golden"]["preferred_name"] != "Renamed By Load"
    assert after["golden"]["preferred_name"] == "Renamed By Load"
    state.prefill.wait()
    assert state.cache.peek(("profile", pid))["person"]["preferred_name"] == "Renamed By Load"
    assert c.get(f"/analyst/persons/{pid}", headers=h, params=WHY).json() == after


def test_the_same_search_twice_is_ranked_once_and_recorded_twice(world):
    c, data_dir = world
    state = c.app.state.dots
    h = login(c, "disclosure")
    case = open_case(c, h, "DV-CACHE-1")
    q = {"purpose": "dvds", "reference": "DV-CACHE-1", "name": "David Hall", "age": 40}
    hits = state.searches.stats()["hits"]
    first = c.get(f"/disclosure/cases/{case}/candidates", headers=h, params=q)
    second = c.get(f"/disclosure/cases/{case}/candidates", headers=h, params=q)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert state.searches.stats()["hits"] == hits + 1
    checks = c.get(f"/disclosure/cases/{case}/checks", headers=h, params={"purpose": "dvds", "reference": "X-1"})
    assert [x["system"] for x in checks.json()["items"]].count("DOTS") == 2


def test_a_searchs_check_is_kept_only_with_its_audit_record(world, monkeypatch):
    """The check a search records rides in its audit record's transaction: when the record cannot
    be written the caller gets no candidates and the case shows no check."""
    import datetime as dt

    from api.policy import audit

    c, _ = world
    h = login(c, "disclosure")
    why = {"purpose": "dvds", "reference": "DV-ATOMIC-1"}
    case = open_case(c, h, why["reference"])
    q = {**why, "name": "David Hall", "age": 40}
    before = dt.datetime.now(dt.UTC)
    assert c.get(f"/disclosure/cases/{case}/candidates", headers=h, params=q).status_code == 200

    def broken(self, records):
        raise OSError("disk full")

    monkeypatch.setattr(audit._SqliteWriter, "_write", broken)
    quiet = TestClient(c.app, raise_server_exceptions=False)  # no lifespan: the app keeps running
    failed = quiet.get(f"/disclosure/cases/{case}/candidates", headers=h, params={**q, "name": "Peter Hall"})
    assert failed.status_code == 500 and "items" not in failed.json()
    monkeypatch.undo()
    checks = c.get(f"/disclosure/cases/{case}/checks", headers=h, params=why).json()["items"]
    dots = [x for x in checks if x["system"] == "DOTS"]
    assert len(dots) == 1 and "David Hall" in dots[0]["searched_for"]
    assert before <= dt.datetime.fromisoformat(dots[0]["checked_at"]) <= dt.datetime.now(dt.UTC)


def test_a_case_read_by_a_search_is_read_again_once_it_changes(world):
    """What a search needs of its case is kept between searches; choosing the subject must reach the
    next search at once, or the subject's victims would be offered as candidates."""
    from sqlalchemy import update

    from api.store.db import Case

    c, data_dir = world
    state = c.app.state.dots
    h = login(c, "disclosure_national")
    why = {"purpose": "dvds", "reference": "DV-CASE-1"}
    case = open_case(c, h, why["reference"], "Dave Hall", force="E23000007")
    black = person_of(data_dir, "Northumbria/NOR3")  # a victim of Hall
    search = {**why, "name": "Karen Black"}
    assert black in c.get(f"/disclosure/cases/{case}/candidates", headers=h, params=search).text
    assert state.cases.get(case) is not None  # kept
    chosen = c.post(
        f"/disclosure/cases/{case}/subject",
        headers=h,
        params=why,
        json={"person_id": person_of(data_dir, "Northumbria/NOR1")},
    )
    assert chosen.status_code == 200, chosen.text
    assert state.cases.get(case) is None
    assert black not in c.get(f"/disclosure/cases/{case}/candidates", headers=h, params=search).text
    # a statement run through a session (no flush) empties it too
    assert state.cases.get(case) is not None
    with state.sessions.begin() as s:
        s.execute(update(Case).where(Case.id == case).values(subject_person_id=None))
    assert state.cases.get(case) is None
    assert black in c.get(f"/disclosure/cases/{case}/candidates", headers=h, params=search).text


def test_rankers_answer_in_turn_and_one_that_dies_is_replaced(world):
    """Ranker processes: many searches at once are all answered, each with its own answer (a worker
    has a few queries in its pipe, callers beyond that wait their turn), and a worker killed
    mid-service is replaced without losing a search."""
    import asyncio

    from api.performance.ranker import Ranker

    _, data_dir = world
    names = ["David Hall", "Karen Black", "Susan Grey", "Elizabeth Ward", "Peter Hall", "Amy Reed"]

    async def run() -> None:
        ranker = Ranker(data_dir, 2)
        try:
            alone = [await ranker.search(n, None, None, None, 5) for n in names]
            together = await asyncio.gather(*(ranker.search(n, None, None, None, 5) for n in names * 5))
            assert list(together) == alone * 5 and any(hits for _, hits in alone)
            dead = ranker._all[0].process
            dead.kill()
            dead.join(5)
            again = await asyncio.gather(*(ranker.search(n, None, None, None, 5) for n in names))
            assert list(again) == alone
            assert all(w.process.is_alive() for w in ranker._all) and dead not in [w.process for w in ranker._all]
            for worker in ranker._all:  # every worker at once: the pool is rebuilt, never shrinks
                worker.process.kill()
                worker.process.join(5)
            assert list(await asyncio.gather(*(ranker.search(n, None, None, None, 5) for n in names))) == alone
            assert len(ranker._all) == 2 and not any(w.pending for w in ranker._all)
            # callers that leave, while their answer is being ranked or before it is asked, take
            # no worker with them, and everyone else still gets their own answer
            asked = [asyncio.ensure_future(ranker.search(n, None, None, None, 5)) for n in names * 3]
            await asyncio.sleep(0)
            for task in asked[::2]:
                task.cancel()
            kept = await asyncio.gather(*asked[1::2])
            assert list(kept) == (alone * 3)[1::2]
            assert [await ranker.search(n, None, None, None, 5) for n in names] == alone
            assert not any(w.pending for w in ranker._all)
        finally:
            ranker.close()

    asyncio.run(run())
    # one event loop after another (a test client each, say): each is answered
    ranker = Ranker(data_dir, 1)
    try:
        first = asyncio.run(asyncio.wait_for(ranker.search("David Hall", None, None, None, 5), 60))
        again = asyncio.run(asyncio.wait_for(ranker.search("David Hall", None, None, None, 5), 60))
        assert again == first and first[1]

        async def leave() -> asyncio.Future:  # a loop that closes with a query in the worker's pipe
            asked = asyncio.ensure_future(ranker.search("Karen Black", None, None, None, 5))
            await asyncio.sleep(0)
            return asked

        # closed at once, as a server's loop dies: asyncio.run would first cancel the search and
        # keep the loop (and its reader of the worker's answer) running, so the answer could be
        # read before the close under load and the case below would not be reached
        # The worker is paused while the loop lives, so its answer cannot be read before the close
        # (on an idle machine it answered within the loop's last turn and the case was not reached).
        worker = ranker._all[0].process
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            loop = asyncio.new_event_loop()
            try:
                left = loop.run_until_complete(leave())
            finally:
                loop.close()
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        assert ranker._all[0].pending and not left.done()
        left._log_destroy_pending = False  # its loop is gone, as intended: no warning when it is collected
        assert asyncio.run(asyncio.wait_for(ranker.search("David Hall", None, None, None, 5), 60)) == first
    finally:
        ranker.close()


# -- accounts ----------------------------------------------------------------------------------------


def test_account_changes_reach_a_cached_credential_at_once(world):
    c, _ = world
    admin = login(c, "admin")
    made = c.post("/admin/users", headers=admin, json={"name": "cached.svc", "role": "analyst", "service": True})
    key, uid = made.json()["api_key"], made.json()["id"]
    h = {"X-API-Key": key}
    assert c.get("/auth/me", headers=h).json()["role"] == "analyst"
    assert c.get("/auth/me", headers=h).json()["role"] == "analyst"  # now from the cache
    c.patch(f"/admin/users/{uid}", headers=admin, json={"role": "auditor"})
    assert c.get("/auth/me", headers=h).json()["role"] == "auditor"
    c.delete(f"/admin/users/{uid}/api-keys", headers=admin)
    assert c.get("/auth/me", headers=h).status_code == 401


# -- the audit writer --------------------------------------------------------------------------------


def _append_many(data_dir: str, url: str, n: int) -> None:
    from api.store.db import session_factory

    log = AuditLog.of(Path(data_dir), session_factory(url))  # the checkpoint too: moved by every process
    for i in range(n):
        log.append(read_entry(f"/x/{os.getpid()}/{i}"))
    log.close()


def test_appends_from_several_processes_keep_one_chain(tmp_path):
    s = settings(tmp_path)
    if not s.database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL path is covered by the concurrency test in test_api_infra")
    from api.store.db import session_factory

    session_factory(s.database_url)  # migrated once, before the writers start
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), s.database_url, 40)) for _ in range(3)]
    for p in procs:
        p.start()
    threads = [threading.Thread(target=_append_many, args=(str(tmp_path), s.database_url, 40)) for _ in range(2)]
    for t in threads:
        t.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    for t in threads:
        t.join()
    assert verify_chain(tmp_path) == (True, None)
    with session_factory(s.database_url)() as session:
        assert session.execute(text("SELECT count(*), max(seq) FROM audit_log")).one() == (200, 200)


def test_no_answer_leaves_when_the_store_refuses_the_record(tmp_path):
    """The real writer, a store that cannot take the record: 500, and none of the data."""
    from api.store.db import session_factory

    s = settings(tmp_path)
    if not s.database_url.startswith("sqlite"):
        pytest.skip("a refusing trigger is written for SQLite")
    add_accounts(tmp_path)
    with TestClient(create_app(tmp_path, settings=s), raise_server_exceptions=False) as c:
        h = login(c, "auditor")
        assert c.get("/audit/verify", headers=h, params={"purpose": "audit", "reference": "A-1"}).status_code == 200
        with session_factory(s.database_url).begin() as session:
            session.execute(
                text("CREATE TRIGGER refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(FAIL, 'full'); END")
            )
        r = c.get("/audit/verify", headers=h, params={"purpose": "audit", "reference": "A-1"})
        assert r.status_code == 500 and "ok" not in r.json()
