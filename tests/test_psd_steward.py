"""Professional standards steward the links of walled people and workforce records; no one else can.

Over the PPDA world (worlds.ppda, with the officer's lodger), built by the real pipeline, with a
review table of chosen pairs written in (as test_api_routes does): four pairs of workforce records
(a serving officer and a serving member of staff of two forces, a leaver, an officer in no other
record) and three ordinary pairs. Every account that may use the steward routes (data stewards and
professional standards, local and national, and an officer's own professional-standards account) is
asked for the queue, every pair and a decision on every pair, and each answer is checked against the
expected outcome (open and decide / stub and 404 / refused 403). Then: the decisions of professional
standards go to the same log and feed linkage as a data steward's do; the refusals are logged; and an
officer is refused the person he lives with (shared address, no shared event or order).
"""

from __future__ import annotations

import json
import os
from functools import partial

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from fastapi.testclient import TestClient  # noqa: E402

from worlds.api import person_of  # noqa: E402
from worlds.ppda import MEMBERSHIP_STRINGS, WALLED_STRINGS, build  # noqa: E402
from worlds.testing import (  # noqa: E402
    PASSWORD,
    app_with_accounts,
    found,
    world_client,  # noqa: F401 - the fixture 'client' (the module world's app)
)
from worlds.testing import dots as run_dots  # noqa: E402
from worlds.testing import signed_in as auth  # noqa: E402 - one sign-in per app and account

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
WHY = {"purpose": "data_quality", "reference": "DQ-PSD-1"}
# name: role, forces, national, employee ref (worlds.testing adds steward, steward_national, psd)
EXTRA = {
    "psd_durham": ("professional_standards", ["Durham"], False, None),
    "oversight": ("professional_standards", [], True, None),
    "pc_fenwick": ("analyst", ["Northumbria"], False, "Northumbria/4721"),
    "psd_fenwick": ("professional_standards", ["Northumbria"], False, "E23000007/4721"),
}
PAIRS = {
    "fenwick": ("Northumbria/workforce/4721", "Northumbria/NOR90"),  # serving officer, his force's suspect
    "claire": ("Durham/workforce/S2290", "Durham/DUR91"),  # serving staff, a victim
    "reed": ("Durham/workforce/1180", "Durham/DUR3"),  # a leaver: not walled, membership still restricted
    "price": ("Northumbria/workforce/5555", "Northumbria/NOR5"),  # an officer in no other record
    "smith": ("Durham/DUR5", "Northumbria/NOR6"),  # ordinary, across forces
    "north": ("Northumbria/NOR1", "Northumbria/NOR2"),  # ordinary, Northumbria
    "durham": ("Durham/DUR2", "Durham/DUR5"),  # ordinary, Durham
}
WORKFORCE_PAIRS = ("fenwick", "claire", "reed", "price")
HOLDER = {"fenwick": "Northumbria", "claire": "Durham", "reed": "Durham", "price": "Northumbria"}
FORCES = {"smith": {"Durham", "Northumbria"}, "north": {"Northumbria"}, "durham": {"Durham"}}
# account: role, forces (None: national), own walled pair (self-consultation)
DESK = {
    "steward_national": ("data_steward", None, None),
    "steward": ("data_steward", {"Northumbria"}, None),
    "psd": ("professional_standards", {"Northumbria"}, None),
    "psd_durham": ("professional_standards", {"Durham"}, None),
    "oversight": ("professional_standards", None, None),
    "psd_fenwick": ("professional_standards", {"Northumbria"}, "fenwick"),
}


def expected(account: str, pair: str) -> str:
    """'open' (seen and decided), 'walled' (a stub in the queue when in scope; 404 like an unknown
    record), 'self' (403 self-consultation) or 'refused' (403: another force's, or not theirs)."""
    role, forces, own = DESK[account]
    if pair == own:
        return "self"
    if pair in WORKFORCE_PAIRS:
        if role != "professional_standards":
            return "walled"
        return "open" if forces is None or HOLDER[pair] in forces else "walled"
    if role == "professional_standards":
        return "refused"  # the data stewards' work
    return "open" if forces is None or FORCES[pair] <= forces else "refused"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("psd_steward")
    build(data_dir, household=True)
    write_review(data_dir)
    with app_with_accounts(data_dir, EXTRA) as client:
        yield client, data_dir


def write_review(data_dir) -> None:
    """The review table with the chosen pairs (linkage ranks it; the desk serves it)."""
    import pandas as pd

    from linkage.store import REVIEW, LinkageStore

    outputs = LinkageStore(data_dir)
    person = outputs.entities().set_index("record_key")["person_id"]
    rows = [
        {"record_key_l": a, "record_key_r": b, "match_weight": 1.5, "match_key": "+NAME +DOB", "probability": 0.6,
         "decision": "review", "decided_by": "model", "person_id_l": person[a], "person_id_r": person[b],
         "records_touched": 2, "cross_source": True, "relevance": 1, "uncertainty": 0.8, "priority": 7.0 - i}
        for i, (a, b) in enumerate(PAIRS.values())
    ]
    outputs.write_frame(REVIEW, pd.DataFrame(rows))


def secrets(pair: str) -> tuple[str, ...]:
    """What a walled answer about ``pair`` must not carry: its workforce record key, and the walled
    person's data and record keys (a leaver's nominal is not walled)."""
    walled = PAIRS[pair][1:] if pair in WALLED_STRINGS else ()
    return (PAIRS[pair][0], *walled, *WALLED_STRINGS.get(pair, ()), "employee_ref")


def decide(c: TestClient, who: str, pair: str, decision: str = "unsure", **why):
    a, b = PAIRS[pair]
    body = {"record_key_l": a, "record_key_r": b, "decision": decision, "note": f"{who} on {pair}"}
    return c.post("/steward/decisions", headers=auth(c, who), params={**WHY, **why}, json=body)


def decided(data_dir, who: str, pair: str) -> bool:
    from linkage.store import LinkageStore

    log = LinkageStore(data_dir).person_decisions()
    keys = set(PAIRS[pair])
    return any({r.record_key_l, r.record_key_r} == keys and r.user == who for r in log.itertuples())


def unknown_404(c: TestClient, who: str) -> dict:
    r = c.get("/steward/pair", headers=auth(c, who), params={**WHY, "left": "Durham/NOSUCH", "right": "Durham/DUR2"})
    assert r.status_code == 404
    return {k: v for k, v in r.json().items() if k != "instance"}


@pytest.mark.parametrize("account", sorted(DESK))
def test_each_account_sees_and_decides_exactly_its_pairs(client, world, account):
    q = client.get("/steward/queue", headers=auth(client, account), params={**WHY, "limit": 500})
    assert q.status_code == 200, q.text
    items = q.json()["items"]
    listed = {(i.get("record_key_l"), i.get("record_key_r")) for i in items}
    stubs = [i for i in items if i.get("restricted")]
    role, forces, _ = DESK[account]
    for name, keys in PAIRS.items():
        want = expected(account, name)
        in_scope = forces is None or {k.split("/")[0] for k in keys} <= forces
        assert (keys in listed) == (want == "open"), (account, name, want)
        # the pair itself
        r = client.get("/steward/pair", headers=auth(client, account), params={**WHY, "left": keys[0],
                                                                             "right": keys[1]})
        if want == "open":
            assert r.status_code == 200, (account, name, r.text[:300])
            body = r.json()
            assert body["record_key_l"] == keys[0] and body["left"]["surname"] and body["explanation"]["fields"]
            assert "professional standards" not in json.dumps(body), (account, name)
        elif want == "walled":
            assert r.status_code == 404, (account, name, r.status_code)
            assert {k: v for k, v in r.json().items() if k != "instance"} == unknown_404(client, account)
            assert found(secrets(name), r.text) == []
        else:
            assert r.status_code == 403, (account, name, r.status_code)
            if want == "self":
                assert r.json()["type"] == "/problems/self-consultation"
        # a decision on it
        d = decide(client, account, name)
        assert d.status_code == {"open": 201, "walled": 404, "self": 403, "refused": 403}[want], (account, name, d.text)
        assert decided(world[1], account, name) == (want == "open"), (account, name)
        if want == "walled":
            assert found(secrets(name), d.text) == []
        # a walled pair shows in a data steward's queue, in scope, as a stub that names no one
        if want == "walled" and role == "data_steward" and in_scope:
            assert stubs, (account, name)
    text = json.dumps(stubs)
    if role == "data_steward":  # no membership at all
        assert found(MEMBERSHIP_STRINGS, q.text) == [], account
    for name in WORKFORCE_PAIRS:
        if expected(account, name) != "open":
            assert found(secrets(name), q.text) == [], (account, name)
    assert all(s["held_by"] and "professional standards" in s["held_by"][0]["force"] for s in stubs), text


def test_professional_standards_see_the_full_explanation_and_their_history(client):
    pair = client.get("/steward/pair", headers=auth(client, "psd"),
                      params={**WHY, "left": PAIRS["fenwick"][0], "right": PAIRS["fenwick"][1]}).json()
    assert pair["left"]["surname"].upper() == "FENWICK" and pair["right"]["forenames"] == "Gareth"
    assert pair["person_id_l"] == pair["person_id_r"] and pair["linked"]
    fields = {f["comparison"]: f for f in pair["explanation"]["fields"]}
    assert fields["dob"]["level"] == "exact" and pair["explanation"]["match_weight"] is not None
    for who in ("psd", "oversight"):
        decide(client, who, "price", "unsure")
        hist = client.get("/steward/decisions", headers=auth(client, who), params=WHY).json()["items"]
        named = {frozenset((d["record_key_l"], d["record_key_r"])) for d in hist}
        assert frozenset(PAIRS["price"]) in named  # theirs, in full
        assert not {frozenset(PAIRS[p]) for p in ("smith", "north", "durham")} & named  # not the stewards'
    # Durham's professional standards do not see Northumbria's decision, even as a record key
    durham = client.get("/steward/decisions", headers=auth(client, "psd_durham"), params=WHY)
    assert found(secrets("price") + secrets("fenwick"), durham.text) == []
    # a data steward's history: the walled decisions only as stubs
    steward = client.get("/steward/decisions", headers=auth(client, "steward_national"), params=WHY)
    assert steward.status_code == 200 and found(secrets("price"), steward.text) == []


def test_merge_and_split_of_a_walled_person_are_professional_standards_only(client, world):
    d = world[1]
    fenwick, price, ward = (person_of(d, k) for k in ("Northumbria/NOR90", "Northumbria/workforce/5555",
                                                      "Northumbria/NOR2"))
    for who, want in (("steward_national", 404), ("steward", 404), ("psd_durham", 404), ("psd", 201),
                      ("psd_fenwick", 201)):
        r = client.post("/steward/split", headers=auth(client, who), params=WHY,
                        json={"person_id": price, "record_keys": ["Northumbria/workforce/5555"]})
        # price is alone in his entity: a split is a 400 for whoever may see him, 404 for the rest
        assert r.status_code == (400 if want == 201 else 404), (who, r.text)
        m = client.post("/steward/merge", headers=auth(client, who), params=WHY,
                        json={"person_ids": [price, ward], "note": "test"})
        assert m.status_code == want, (who, m.text)
        assert found(secrets("price"), m.text if want != 201 else "") == []
    own = client.post("/steward/split", headers=auth(client, "psd_fenwick"), params=WHY,
                      json={"person_id": fenwick, "record_keys": ["Northumbria/NOR90"]})
    assert own.status_code == 403 and own.json()["type"] == "/problems/self-consultation"
    # ordinary people are the data stewards'
    assert client.post("/steward/merge", headers=auth(client, "psd"), params=WHY,
                       json={"person_ids": [ward, person_of(d, "Northumbria/NOR4")]}).status_code == 403
    # the entity desk: professional standards see their walled matches only (test_psd_entity_desk.py)
    q = client.get("/steward/entities/queue", headers=auth(client, "oversight"), params=WHY)
    assert q.status_code == 200 and all(i.get("restricted") is not True for i in q.json()["items"]), q.text


def test_refusals_on_the_desk_are_logged_with_who_and_why(client, world):
    decide(client, "steward_national", "claire")
    claire = person_of(world[1], "Durham/DUR91")
    log = client.get("/audit/records", headers=auth(client, "auditor"),
                     params={"purpose": "audit", "reference": "AUD-9", "user": "steward_national",
                             "outcome": "refused", "limit": 500}).json()["items"]
    walled = [e for e in log if e["route"] in ("/steward/pair", "/steward/decisions") and e["status"] == 404
              and "NOSUCH" not in e["path"]]  # not the unknown record asked to compare the answers
    unknown = [e for e in log if "NOSUCH" in e["path"]]
    assert unknown and not any("walled" in (e["detail"] or "") for e in unknown)
    assert walled and all("walled" in (e["detail"] or "") and e["purpose"] == "data_quality"
                          and e["reference"] == "DQ-PSD-1" for e in walled)
    assert any(claire in e["person_ids"] for e in walled)
    reads = client.get("/audit/records", headers=auth(client, "auditor"),
                       params={"purpose": "audit", "reference": "AUD-9", "user": "psd", "limit": 500}).json()
    fen = person_of(world[1], "Northumbria/NOR90")
    seen = [e for e in reads["items"] if e["route"] == "/steward/pair" and e["outcome"] == "ok"]
    assert any(fen in e["person_ids"] and e["at"] and e["purpose"] == "data_quality" for e in seen)


def test_decisions_of_professional_standards_feed_linkage_as_a_stewards_do(tmp_path):
    """A professional-standards 'not the same' on the officer's HR record and his nominal parts them
    at the next resolution (and the wall follows: the nominal's person is no longer walled), as a
    data steward's decision on an ordinary pair does."""
    import pipeline
    from api.policy import wall
    from graph.backend import open_graph
    from linkage.store import LinkageStore

    d = tmp_path / "w"
    build(d)
    with app_with_accounts(d) as c:
        assert decide(c, "psd", "fenwick", "not_same").status_code == 201
        assert decide(c, "steward_national", "smith", "not_same").status_code == 201
    log = LinkageStore(d).person_decisions()
    assert set(log["user"]) == {"psd", "steward_national"} and set(log["decision"]) == {"not_same"}
    pipeline.resolve(d)
    pipeline.load_graph(d)
    ent = LinkageStore(d).entities().set_index("record_key")["person_id"]
    for pair in ("fenwick", "smith"):
        a, b = PAIRS[pair]
        assert ent[a] != ent[b], pair
    g = open_graph(d)
    try:
        assert ent["Northumbria/NOR90"] not in wall.build_wall(d, g).walled
    finally:
        g.close()


def test_an_officer_is_refused_the_person_he_lives_with(client, world):
    """PC Fenwick shares 31 Larch Close with Ryan COLE, and no event or order: COLE is someone he is
    party to. Another analyst of his force opens COLE."""
    cole = person_of(world[1], "Northumbria/NOR92")
    why = {"purpose": "intelligence", "reference": "PSD-3"}
    for who in ("pc_fenwick", "psd_fenwick"):
        for path in (f"/analyst/persons/{cole}", f"/analyst/persons/{cole}/network"):
            r = client.get(path, headers=auth(client, who), params=why)
            assert r.status_code == 403 and r.json()["type"] == "/problems/self-consultation", (who, path, r.text)
    ok = client.get(f"/analyst/persons/{cole}", headers=auth(client, "analyst"), params=why)
    assert ok.status_code == 200 and "COLE" in ok.text.upper()
    refused = client.get("/audit/records", headers=auth(client, "auditor"),
                         params={"purpose": "audit", "reference": "AUD-4", "user": "pc_fenwick",
                                 "outcome": "refused"}).json()["items"]
    assert any(cole in e["path"] and e["status"] == 403 for e in refused)


# -- the review desk page --------------------------------------------------------------------------


@pytest.mark.parametrize(("account", "shown", "hidden"), [
    # professional standards: their pairs side by side; a data steward: the count of pairs held, no one named
    ("psd", ["FENWICK", "Northumbria/workforce/4721"], ["Claire", "Durham/workforce/S2290"]),
    ("steward_national", ["held by Northumbria Police, professional standards", "Durham/DUR5"],
     ["FENWICK", "Gareth", "workforce", "Claire"]),
])
def test_the_review_desk_page_serves_each_its_pairs(world, account, shown, hidden):
    from worlds.browser import checked_page, chromium, serving, sign_in

    client, _ = world
    with serving(client.app) as base, chromium() as browser, checked_page(browser) as page:
        sign_in(page, base, account, PASSWORD, "data_quality", "DQ-PAGE-1", "/pages/review")
        page.wait_for_selector("#side-body tr")
        text = page.inner_text("main")
        assert all(s in text for s in shown), (account, text[:600])
        assert found(hidden, text) == [], account


# -- the command line's linkage exports ------------------------------------------------------------


# the reads of this module's command lines and why (s.62), on the graph its in-process world went to
dots = partial(run_dots, DOTS_PURPOSE="data_quality", DOTS_REFERENCE="DQ-CLI-1", same_graph=True)


def test_only_the_resolution_export_carries_workforce_records(tmp_path):
    """The contract's resolution export is one row per person record, workforce records included
    (outside evaluations score the linkage against a truth that holds them); no other linkage export
    names one, and the quarantine shows a workforce row's place and reason but not its values."""
    import pandas as pd

    home = tmp_path / "home"
    build(home)
    keys = {k for k, _ in (PAIRS[p] for p in WORKFORCE_PAIRS)}
    for table in ("resolution", "orders", "events", "breaches", "addresses"):
        out = tmp_path / f"{table}.csv"
        proc = dots("export", table, "--out", str(out), home=home)
        assert proc.returncode == 0, proc.stderr
        text = out.read_text(encoding="utf-8-sig")
        if table == "resolution":
            frame = pd.read_csv(out, encoding="utf-8-sig")
            assert keys <= set(frame["record_key"]) and frame["record_key"].is_unique
            assert frame.set_index("record_key").loc["Northumbria/workforce/4721", "person_id"] == person_of(
                home, "Northumbria/NOR90")
        else:
            assert found(MEMBERSHIP_STRINGS + ("hr-workforce",), text) == [], table
    bad = tmp_path / "hr-bad.csv"
    bad.write_text("force,employee_ref,surname,forenames,dob,role,status,left_on\n"
                   "Durham,7001,QUINN,Harriet,02/03/1979,OFFICER,RETIRED,\n", encoding="utf-8")
    dots("ingest", str(bad), home=home)  # its exit status is the ingest's business; the row is quarantined
    proc = dots("quarantine", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    rows = [r for r in json.loads(proc.stdout)["rows"] if r["source_file"].endswith("hr-bad.csv")]
    assert rows and all(r["raw"] is None and r["source_line"] and r["reason"] for r in rows), rows
    assert found(["QUINN", "Harriet", "1979"], proc.stdout) == []


# -- the entity desk: a walled incident ------------------------------------------------------------

EVENT_PAIRS = {
    "walled": ("Northumbria/NO/0000090/24", "Northumbria/NO/0000092/24"),  # PC Fenwick's incident
    "ordinary": ("Northumbria/NO/0000001/19", "Northumbria/NO/0000002/23"),
}


def write_entity_review(data_dir) -> None:
    """Two incident matches for review: one of the walled officer's incident, one ordinary."""
    import pandas as pd

    from linkage.store import ENTITY_PAIRS, LinkageStore

    outputs = LinkageStore(data_dir)
    rows = pd.DataFrame([{"kind": "event", "key_l": a, "key_r": b, "weight": 0.4, "probability": 0.55,
                          "decision": "review", "decided_by": "model", "match_key": "+DATE~"}
                         for a, b in EVENT_PAIRS.values()])
    outputs.write_frame(ENTITY_PAIRS, pd.concat([outputs.entity_pairs(), rows], ignore_index=True))


def test_a_walled_incident_is_a_stub_on_the_entity_desk_and_cannot_be_decided(client, world):
    from linkage.store import LinkageStore

    write_entity_review(world[1])
    h = auth(client, "steward_national")
    q = client.get("/steward/entities/queue", headers=h, params={**WHY, "kind": "event"})
    assert q.status_code == 200, q.text
    items = q.json()["items"]
    assert any((i.get("key_l"), i.get("key_r")) == EVENT_PAIRS["ordinary"] for i in items)
    assert any(i.get("restricted") and i["held_by"] for i in items)
    assert found(("NO/0000090/24", "NO/0000092/24", *WALLED_STRINGS["fenwick"]), q.text) == []

    def pair(left, right):
        return client.get("/steward/entities/pair", headers=h, params={**WHY, "kind": "event", "left": left,
                                                                       "right": right})

    def decide_event(left, right):
        return client.post("/steward/entities/decisions", headers=h, params=WHY,
                           json={"kind": "event", "key_l": left, "key_r": right, "decision": "not_same"})

    assert pair(*EVENT_PAIRS["ordinary"]).status_code == 200
    walled, unknown = pair(*EVENT_PAIRS["walled"]), pair("Northumbria/NO/NOSUCH/24", EVENT_PAIRS["walled"][1])
    assert walled.status_code == unknown.status_code == 404
    assert {k: v for k, v in walled.json().items() if k != "instance"} == {
        k: v for k, v in unknown.json().items() if k != "instance"}
    assert found(WALLED_STRINGS["fenwick"], walled.text) == []
    assert decide_event(*EVENT_PAIRS["walled"]).status_code == 404
    assert decide_event(*EVENT_PAIRS["ordinary"]).status_code == 201
    log = LinkageStore(world[1]).entity_decisions()
    assert set(zip(log["key_l"], log["key_r"], strict=True)) == {EVENT_PAIRS["ordinary"]}
    refused = client.get("/audit/records", headers=auth(client, "auditor"),
                         params={"purpose": "audit", "reference": "AUD-10", "user": "steward_national",
                                 "outcome": "refused", "limit": 500}).json()["items"]
    assert sum("walled" in (e["detail"] or "") for e in refused if e["route"].startswith("/steward/entities")) == 2
