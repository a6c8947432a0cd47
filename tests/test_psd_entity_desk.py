"""Professional standards decide the incident, order and address matches of walled people; data
stewards see them as stubs; no one opens their own.

Over the PPDA world (worlds.ppda, with the officer's lodger and a court order against him), built by
the real pipeline, with a review table of chosen entity pairs written in: incidents, addresses, orders
and breaches, walled on the left or on the right, held by Northumbria (PC Fenwick) or Durham (Claire
Orton, staff), and ordinary ones. Every account of worlds.testing.ACCOUNTS, and professional standards
of both forces, national oversight and the officer's own professional-standards account, asks for the
queue (list), every pair (detail) and a decision on every pair; each answer is checked against the
outcome computed from the role, the account's forces and the holder of the pair. Then: the page serves
each its pairs; professional standards' reads and data stewards' refusals are in the s.62 log with
who, why and the walled person; a professional-standards decision sticks through a re-resolve, as a
data steward's does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from fastapi.testclient import TestClient  # noqa: E402

from worlds.api import person_of  # noqa: E402
from worlds.ppda import ORDER_CASE, WALLED_STRINGS, build  # noqa: E402
from worlds.testing import (  # noqa: E402
    ACCOUNTS,
    PASSWORD,
    app_with_accounts,
    found,
    world_client,  # noqa: F401 - the fixture 'client' (the module world's app)
)
from worlds.testing import signed_in as auth  # noqa: E402 - one sign-in per app and account

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
WHY = {"purpose": "data_quality", "reference": "DQ-PSD-ENT-1"}
# name: role, forces, national, employee ref (worlds.testing adds the rest of the accounts)
EXTRA = {
    "psd_durham": ("professional_standards", ["Durham"], False, None),
    "oversight": ("professional_standards", [], True, None),
    "psd_fenwick": ("professional_standards", ["Northumbria"], False, "E23000007/4721"),
}
OWN = {"psd_fenwick": "fenwick"}  # whose walled matches an account is party to
ALL_ACCOUNTS = {**{k: (r, f, n) for k, (r, f, n) in ACCOUNTS.items()}, **{k: v[:3] for k, v in EXTRA.items()}}
LARCH, LARCH_COURT = "31 Larch Close, Hexham", "31 Larch Close, Hexham NE46 3XX"  # the officer's home, two forms
BEECH = "17 Beech Terrace, Consett"  # Claire's home


@dataclass(frozen=True)
class Pair:
    kind: str
    left: str  # a record key, or an address as written (its form key is looked up)
    right: str
    holder: str | None  # the force whose professional standards hold it (None: an ordinary match)
    owner: str | None  # whose walled match it is (worlds.ppda.WALLED_STRINGS)


NO, DU = "Northumbria/NO/", "Durham/DU/"
PAIRS = {
    "event_fenwick_left": Pair("event", f"{NO}0000090/24", f"{NO}0000003/24", "Northumbria", "fenwick"),
    "event_fenwick_right": Pair("event", f"{NO}0000004/24", f"{NO}0000090/24", "Northumbria", "fenwick"),
    "event_claire_left": Pair("event", f"{DU}0000090/24", f"{DU}0000002/24", "Durham", "claire"),
    "event_claire_right": Pair("event", f"{DU}0000003/24", f"{DU}0000090/24", "Durham", "claire"),
    "event_ordinary": Pair("event", f"{NO}0000001/19", f"{DU}0000001/22", None, None),
    "event_lodger": Pair("event", f"{NO}0000092/24", f"{NO}0000005/24", None, None),  # not walled: not his
    "address_fenwick_left": Pair("address", LARCH, "7 Rose Street, Gateshead", "Northumbria", "fenwick"),
    "address_fenwick_right": Pair("address", "9 Quay Road, Blyth", LARCH_COURT, "Northumbria", "fenwick"),
    "address_claire_left": Pair("address", BEECH, "3 Mill Lane, Durham", "Durham", "claire"),
    "address_ordinary": Pair("address", "12 Bank Top, Darlington", "40 North Road, Durham", None, None),
    "order_fenwick": Pair("order", ORDER_CASE, "FC2023001", "Northumbria", "fenwick"),
    "breach_fenwick_event": Pair("breach", f"{NO}0000090/24", "FC2023001", "Northumbria", "fenwick"),
    "breach_fenwick_order": Pair("breach", f"{NO}0000003/24", ORDER_CASE, "Northumbria", "fenwick"),
    "breach_ordinary": Pair("breach", f"{NO}0000001/19", "FC2023001", None, None),
}
WALLED_KEYS = {f"{NO}0000090/24", f"{DU}0000090/24", ORDER_CASE, LARCH, LARCH_COURT, BEECH}
FIRST = "event_fenwick_left"  # the most uncertain: first in a queue that holds it


def expected(account: str, name: str) -> str:
    """'open' (listed in full, read, decided), 'walled' (a data steward's stub, another force's
    professional standards' count elsewhere; 404 as an unknown pair), 'self' (403 self-consultation),
    'refused' (403: an ordinary match to professional standards, anything to a force-scoped data
    steward or another role)."""
    role, forces, national = ALL_ACCOUNTS[account]
    pair = PAIRS[name]
    if role == "data_steward":
        if not national:
            return "refused"
        return "open" if pair.holder is None else "walled"
    if role != "professional_standards":
        return "refused"
    if pair.owner is not None and OWN.get(account) == pair.owner:
        return "self"
    if pair.holder is None:
        return "refused"
    return "open" if national or pair.holder in forces else "walled"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("psd_entities")
    build(data_dir, household=True, order=True)
    keys = write_entity_review(data_dir)
    with app_with_accounts(data_dir, EXTRA) as client:
        yield client, data_dir, keys


def write_entity_review(data_dir: Path) -> dict[str, tuple[str, str]]:
    """The review table with the chosen pairs (the entity stage ranks it; the desk serves it), and
    each pair's keys as the desk names them (an address by its form key)."""
    import pandas as pd

    from linkage.store import ENTITY_PAIRS, LinkageStore

    outputs = LinkageStore(data_dir)
    ad = outputs.addresses().dropna(subset=["address_raw", "form_key"])
    form = dict(zip(ad["address_raw"], ad["form_key"], strict=True))
    keys = {n: (form[p.left], form[p.right]) if p.kind == "address" else (p.left, p.right) for n, p in PAIRS.items()}
    rows = pd.DataFrame([{"kind": p.kind, "key_l": keys[n][0], "key_r": keys[n][1], "weight": 0.4,
                          "probability": 0.5 if n == FIRST else 0.6 + i / 100, "decision": "review",
                          "decided_by": "model", "match_key": "+DATE~",
                          "evidence": "suspect is the respondent" if p.kind == "breach" else None}
                         for i, (n, p) in enumerate(PAIRS.items())])
    outputs.write_frame(ENTITY_PAIRS, pd.concat([outputs.entity_pairs(), rows], ignore_index=True))
    return keys


def secrets(world, name: str) -> tuple[str, ...]:
    """What an answer that does not open ``name`` must not carry: its keys (an occurrence reference,
    a case number, an address form made from its text) and the walled person's data."""
    pair = PAIRS[name]
    if pair.owner is None:
        return ()
    walled = [k for k, v in zip(world[2][name], (pair.left, pair.right), strict=True) if v in WALLED_KEYS]
    return (*walled, *WALLED_STRINGS[pair.owner], *((ORDER_CASE,) if pair.owner == "fenwick" else ()))


def get_pair(c: TestClient, who: str, kind: str, left: str, right: str):
    return c.get("/steward/entities/pair", headers=auth(c, who), params={**WHY, "kind": kind, "left": left,
                                                                         "right": right})


def decide(c: TestClient, who: str, kind: str, left: str, right: str, decision: str = "unsure"):
    return c.post("/steward/entities/decisions", headers=auth(c, who), params=WHY,
                  json={"kind": kind, "key_l": left, "key_r": right, "decision": decision, "note": who})


def decided_by(data_dir: Path, who: str, kind: str, keys: tuple[str, str]) -> bool:
    """Whether the decision log holds a decision of ``who`` on the pair (the raw log: the latest per
    pair is someone else's once another account decided it)."""
    from linkage.store import ENTITY_DECISIONS, LinkageStore

    path = LinkageStore(data_dir).path(ENTITY_DECISIONS)
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return any(e["user"] == who and e["kind"] == kind and {e["key_l"], e["key_r"]} == set(keys) for e in entries)


@pytest.mark.parametrize("account", sorted(ALL_ACCOUNTS))
def test_each_account_sees_and_decides_exactly_its_entity_matches(world, account):
    client, data_dir, keys = world
    role, forces, national = ALL_ACCOUNTS[account]
    desk = role in ("data_steward", "professional_standards") and (national or role == "professional_standards")
    # the list
    q = client.get("/steward/entities/queue", headers=auth(client, account), params={**WHY, "limit": 500})
    if not desk:
        assert q.status_code == 403, (account, q.text[:200])
        assert not any(s for n in PAIRS for s in found(secrets(world, n), q.text))
    else:
        assert q.status_code == 200, (account, q.text[:300])
        body = q.json()
        listed = {(i["kind"], i.get("key_l"), i.get("key_r")) for i in body["items"]}
        stubs = [i for i in body["items"] if i.get("restricted")]
        for name, pair in PAIRS.items():
            want = expected(account, name)
            assert ((pair.kind, *keys[name]) in listed) == (want == "open"), (account, name, want)
            if want != "open":
                assert found(secrets(world, name), q.text) == [], (account, name)
        hidden = [n for n in PAIRS if expected(account, n) in ("walled", "self")]
        if role == "data_steward":  # a stub for each walled match, naming who holds it and no one else
            assert len(stubs) >= len(hidden) and body["elsewhere"] == 0, account
            held = {h["force"] for s in stubs for h in s["held_by"]}
            assert held == {f"{PAIRS[n].holder} {'Police' if PAIRS[n].holder == 'Northumbria' else 'Constabulary'}"
                            ", professional standards" for n in hidden}, (account, held)
        else:  # professional standards: never a stub; another force's count elsewhere
            assert stubs == [] and body["elsewhere"] >= len(hidden), (account, body["elsewhere"])
            if not hidden:
                assert body["elsewhere"] == 0
        opened = [n for n in PAIRS if expected(account, n) == "open"]
        if opened and FIRST in opened:
            assert (body["items"][0]["key_l"], body["items"][0]["key_r"]) == keys[FIRST]
    # the detail and a decision, on every pair
    unknown = get_pair(client, account, "event", f"{NO}NOSUCH/24", f"{NO}0000003/24")
    for name, pair in PAIRS.items():
        want = expected(account, name)
        left, right = keys[name]
        r = get_pair(client, account, pair.kind, left, right)
        d = decide(client, account, pair.kind, left, right)
        if want == "open":
            assert r.status_code == 200, (account, name, r.text[:300])
            assert d.status_code == 201, (account, name, d.text[:300])
            if pair.kind == "address" and pair.owner == "fenwick":
                assert "Larch Close" in r.text  # professional standards compare the officer's home in full
        elif want == "walled":
            assert r.status_code == d.status_code == 404, (account, name, r.status_code, d.status_code)
            assert {k: v for k, v in r.json().items() if k != "instance"} == {
                k: v for k, v in unknown.json().items() if k != "instance"}, (account, name)
        elif want == "self":
            assert r.status_code == d.status_code == 403, (account, name)
            assert r.json()["type"] == d.json()["type"] == "/problems/self-consultation"
        else:
            assert r.status_code == d.status_code == 403, (account, name, r.status_code, d.status_code)
        if want != "open":
            assert found(secrets(world, name), r.text + d.text) == [], (account, name)
        assert decided_by(data_dir, account, pair.kind, keys[name]) == (want == "open"), (account, name)


def test_reads_and_refusals_on_the_entity_desk_are_logged_with_who_why_and_whom(world):
    client, data_dir, keys = world
    fenwick = person_of(data_dir, "Northumbria/NOR90")
    for who in ("psd", "steward_national"):
        get_pair(client, who, "address", *keys["address_fenwick_left"])
        decide(client, who, "order", *keys["order_fenwick"])
    auditor = auth(client, "auditor")

    def log(user: str) -> list[dict]:
        return client.get("/audit/records", headers=auditor, params={"purpose": "audit", "reference": "AUD-ENT-1",
                                                                     "user": user, "limit": 500}).json()["items"]

    psd = [e for e in log("psd") if e["route"].startswith("/steward/entities")]
    assert {e["route"] for e in psd if e["outcome"] == "ok" and fenwick in e["person_ids"]} >= {
        "/steward/entities/pair", "/steward/entities/decisions"}
    assert all(e["at"] and e["purpose"] == "data_quality" and e["reference"] == WHY["reference"] for e in psd)
    steward = [e for e in log("steward_national") if e["route"].startswith("/steward/entities")]
    refused = [e for e in steward if e["outcome"] == "refused"]
    assert {e["route"] for e in refused if "walled" in (e["detail"] or "") and fenwick in e["person_ids"]} >= {
        "/steward/entities/pair", "/steward/entities/decisions"}
    # an unknown pair is refused the same way, but the log does not say walled
    get_pair(client, "steward_national", "event", f"{NO}NOSUCH/24", f"{NO}0000003/24")
    last = [e for e in log("steward_national") if e["route"] == "/steward/entities/pair"][0]
    assert last["status"] == 404 and "walled" not in (last["detail"] or "")


def test_the_wall_holds_the_officers_home_and_order(world):
    """The wall's hidden set names the walled people's addresses and orders (the graph's ids), the
    lodger's incident is not walled, and an account tied to the officer has his home as its own."""
    from api.policy import wall
    from graph.backend import open_graph
    from linkage.store import LinkageStore

    client, data_dir, _ = world
    outputs = LinkageStore(data_dir)
    ad = outputs.addresses()
    larch = set(ad.loc[ad["address_raw"].isin([LARCH, LARCH_COURT]), "address_id"])
    beech = set(ad.loc[ad["address_raw"] == BEECH, "address_id"])
    od, ev = outputs.orders().set_index("record_key")["order_id"], outputs.events().set_index("record_key")["event_id"]
    g = open_graph(data_dir)
    try:
        built = wall.build_wall(data_dir, g)
        own = wall.own_hidden(built, g, "E23000007/4721")
    finally:
        g.close()
    hidden = built.hidden()
    assert larch | beech <= hidden.addresses and len(larch) == 1
    assert od[ORDER_CASE] in hidden.orders and od["FC2023001"] not in hidden.orders
    assert ev[f"{NO}0000092/24"] not in hidden.events and ev[f"{NO}0000090/24"] in hidden.events
    assert {f for i in larch for f in hidden.holders[i]} == {"E23000007"}
    assert larch <= own.addresses and not beech & own.addresses


@pytest.mark.parametrize(("account", "shown", "hidden"), [
    # professional standards: the officer's incident side by side; Durham's matches only as a count
    ("psd", ["Northumbria/NO/0000090/24", "held by another force's professional standards"],
     ["Durham/DU/0000090/24", "Beech Terrace"]),
    # a national data steward: the ordinary matches, and a count of those professional standards hold
    ("steward_national", ["held by professional standards"], ["NO/0000090/24", "Larch Close", ORDER_CASE]),
])
def test_the_entity_desk_page_serves_each_its_matches(world, account, shown, hidden):
    from worlds.browser import checked_page, chromium, serving, sign_in

    client = world[0]
    with serving(client.app) as base, chromium() as browser, checked_page(browser) as page:
        sign_in(page, base, account, PASSWORD, "data_quality", "DQ-PAGE-2", "/pages/entities")
        page.wait_for_selector("#side-body tr")
        text = page.inner_text("main")
        assert all(s in text for s in shown), (account, text[:600])
        assert found(hidden, text) == [], account


def test_a_professional_standards_decision_sticks_through_a_re_resolve(tmp_path):
    """'The same' from professional standards on the officer's incident and his lodger's joins them
    into one incident at the next resolution (the entity stage honours the decision log), as a data
    steward's on an ordinary pair does; a data steward's attempt on the walled pair is not in the log."""
    import pandas as pd

    import pipeline
    from linkage.store import ENTITY_PAIRS, LinkageStore

    d = tmp_path / "w"
    build(d, household=True)
    outputs = LinkageStore(d)
    walled, ordinary = (f"{NO}0000090/24", f"{NO}0000092/24"), (f"{NO}0000001/19", f"{NO}0000002/23")
    ev = outputs.events().set_index("record_key")["event_id"]
    assert ev[walled[0]] != ev[walled[1]] and ev[ordinary[0]] != ev[ordinary[1]]
    rows = pd.DataFrame([{"kind": "event", "key_l": a, "key_r": b, "weight": 0.4, "probability": 0.55,
                          "decision": "review", "decided_by": "model", "match_key": "+DATE~"}
                         for a, b in (walled, ordinary)])
    outputs.write_frame(ENTITY_PAIRS, pd.concat([outputs.entity_pairs(), rows], ignore_index=True))
    with app_with_accounts(d) as c:
        assert decide(c, "steward_national", "event", *walled, "not_same").status_code == 404
        assert decide(c, "psd", "event", *walled, "same").status_code == 201
        assert decide(c, "steward_national", "event", *ordinary, "same").status_code == 201
    log = outputs.entity_decisions()
    assert set(zip(log["user"], log["decision"], strict=True)) == {("psd", "same"), ("steward_national", "same")}
    pipeline.resolve(d)
    ev = LinkageStore(d).events().set_index("record_key")["event_id"]
    assert ev[walled[0]] == ev[walled[1]] and ev[ordinary[0]] == ev[ordinary[1]]
