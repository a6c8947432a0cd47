"""The professional-standards wall (police-perpetrated DA) and no self-consultation, over a world
built by the real pipeline: an officer who is a DA suspect in his own force, a member of staff who
is a victim, a leaver, and a serving officer with no other record (worlds.ppda).

Every personal-data route is enumerated from the app (not hand-picked) and asked about every
person of the world, by every role but professional standards: no answer carries a walled person's
name, date of birth, address or events, or anyone's workforce membership; the walled person's own
routes say that a record exists and who holds it. Professional standards see them in full within
their forces (national oversight everywhere); an account tied to an employee ref never opens its
own record or one it is party to.
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from fastapi.testclient import TestClient  # noqa: E402

from api.app import api_routes  # noqa: E402
from api.routing import AuditedRoute  # noqa: E402
from worlds.api import person_of  # noqa: E402
from worlds.ppda import MEMBERSHIP_STRINGS, ORDER_CASE, WALLED_STRINGS, build  # noqa: E402
from worlds.testing import (  # noqa: E402
    app_with_accounts,
    found,
    world_client,  # noqa: F401 - the fixture 'client' (the module world's app)
)
from worlds.testing import dots as run_dots  # noqa: E402
from worlds.testing import signed_in as auth  # noqa: E402 - one sign-in per app and account

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
AS_OF = "2024-06-30"
WHY = {
    "analyst": {"purpose": "intelligence", "reference": "PSD-1"},
    "professional_standards": {"purpose": "investigation", "reference": "PSD-1"},
    "da_team": {"purpose": "tasking", "reference": "MATAC-1"},
    "disclosure_officer": {"purpose": "dvds", "reference": "DVDS-9"},
    "data_steward": {"purpose": "data_quality", "reference": "DQ-1"},
}
# name: role, forces, national, employee ref
EXTRA = {
    "psd_durham": ("professional_standards", ["Durham"], False, None),
    "oversight": ("professional_standards", [], True, None),
    "da_durham": ("da_team", ["Durham"], False, None),
    "pc_fenwick": ("analyst", ["Northumbria"], False, "Northumbria/4721"),
    "psd_fenwick": ("professional_standards", ["Northumbria"], False, "E23000007/4721"),
}
# every account that is not professional standards and may read personal data, with its role
WALLED_FROM = {
    "analyst": "analyst",
    "analyst_durham": "analyst",
    "analyst_national": "analyst",
    "da_team": "da_team",
    "da_durham": "da_team",
    "disclosure": "disclosure_officer",
    "disclosure_national": "disclosure_officer",
    "steward_national": "data_steward",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ppda")
    build(data_dir, household=True, order=True)  # and a court order against the officer (FC2024090)
    with app_with_accounts(data_dir, EXTRA) as client:
        yield client, data_dir


@pytest.fixture(scope="module")
def people(world):
    d = world[1]
    return {
        "fenwick": person_of(d, "Northumbria/NOR90"),
        "marsh": person_of(d, "Northumbria/NOR91"),
        "claire": person_of(d, "Durham/DUR91"),
        "kevin": person_of(d, "Durham/DUR90"),
        "reed": person_of(d, "Durham/DUR3"),
        "hall": person_of(d, "Northumbria/NOR1"),
        "cole": person_of(d, "Northumbria/NOR92"),  # lodges at the officer's home: its address is walled
    }


def get(c: TestClient, who: str, role: str, path: str, **params):
    return c.get(path, headers=auth(c, who), params={**WHY[role], **params})


def test_workforce_records_link_to_the_people_they_are(world, people):
    from linkage.store import LinkageStore

    ents = LinkageStore(world[1]).entities().set_index("record_key")["person_id"]
    assert ents["Northumbria/workforce/4721"] == people["fenwick"]
    assert ents["Durham/workforce/S2290"] == people["claire"]
    assert ents["Durham/workforce/1180"] == people["reed"]
    assert people["fenwick"] != people["marsh"] and people["claire"] != people["kevin"]


# -- every route, every role -------------------------------------------------------------------------


def _cases(client, people) -> dict[str, list[str]]:
    """A disclosure case per disclosure account: one about the walled officer, one not yet resolved."""
    out: dict[str, list[str]] = {}
    for who, force in (("disclosure", "Northumbria"), ("disclosure_national", "Durham")):
        ids = []
        for subject in ({"name": "Gary Fenwik", "age": 37, "place": "Hexham"}, {"name": "Kev Orten", "age": 37}):
            body = {"route": "ask", "applicant": {"name": "Jane Doe", "contact": "after 6pm"},
                    "person_at_risk": {"name": "Jane Doe"}, "subject": subject,
                    "relationship": "current_partner", "force": force}
            r = client.post("/disclosure/cases", headers=auth(client, who), params=WHY["disclosure_officer"], json=body)
            assert r.status_code == 201, r.text
            ids.append(str(r.json()["id"]))
        r = client.post(f"/disclosure/cases/{ids[0]}/subject", headers=auth(client, who),
                        params=WHY["disclosure_officer"], json={"person_id": people["fenwick"]})
        assert r.status_code == 200, r.text
        assert found(WALLED_STRINGS["fenwick"][1:], r.text) == [] and "professional" not in r.text.lower()
        out[who] = ids
    return out


def _lists(client) -> dict[str, str]:
    out = {}
    for who, force in (("da_team", "Northumbria"), ("da_durham", "Durham")):
        r = client.post(f"/targets/{force}/lists", headers=auth(client, who),
                        params={**WHY["da_team"], "as_of": AS_OF, "recipients": "MATAC"})
        assert r.status_code in (200, 201), r.text
        out[who] = str(r.json()["id"])
    return out


def _fills(template: str, people, who: str, cases, lists, address_id) -> list[str]:
    paths = [template]
    fills = {
        "person_id": list(people.values()),
        "force": ["Northumbria", "Durham"],
        "case_id": cases.get(who, ["999999"]),
        "list_id": [lists.get(who, "999999")],
        "address_id": [address_id],
        "fmt": ["csv", "graphml"],
    }
    for name, values in fills.items():
        if "{" + name + "}" in template:
            paths = [p.replace("{" + name + "}", v) for p in paths for v in values]
    return paths


# a search asks for the walled officer as a colleague might mistype him (what the caller typed is
# echoed back and recorded as the case's check: not a leak)
QUERY = {"as_of": AS_OF, "name": "Garry Fenwik", "age": 37, "left": "Northumbria/workforce/4721",
         "right": "Northumbria/NOR90"}


def test_no_route_shows_a_walled_person_or_the_workforce_to_anyone_but_professional_standards(client, people):
    psd_view = get(client, "oversight", "professional_standards", f"/analyst/persons/{people['fenwick']}").json()
    address_id = psd_view["addresses"][0]["address_id"]
    cases, lists = _cases(client, people), _lists(client)
    routes = [r for r in api_routes(client.app)
              if isinstance(r, AuditedRoute) and r.dots_operation and "GET" in r.methods]
    answered: dict[str, set[str]] = {}
    stubs = 0
    failures = []
    for who, role in WALLED_FROM.items():
        for route in routes:
            if role not in (route.dots_roles or ()):
                continue
            for path in _fills(route.path, people, who, cases, lists, address_id):
                r = get(client, who, role, path, **QUERY)
                if r.status_code >= 500:
                    failures.append((who, path, r.status_code, r.text[:200]))
                if r.status_code != 200:
                    continue
                answered.setdefault(who, set()).add(route.path)
                text = r.text
                # the walled order's case number too: a court record of it (FC2024090/protected, his
                # victim's) or any other text quoting it names it
                leaks = found(WALLED_STRINGS["fenwick"] + (ORDER_CASE,) + WALLED_STRINGS["claire"]
                              + MEMBERSHIP_STRINGS, text)
                if role == "disclosure_officer" and "professional standards" in text.lower():
                    leaks.append("professional standards")
                if leaks:
                    failures.append((who, path, leaks))
                walled = next((p for p in ("fenwick", "claire") if f"/{people[p]}" in path), None)
                if walled and "json" in r.headers.get("content-type", ""):
                    body = r.json()
                    holders = [h.get("force") for h in body.get("held_by") or []]
                    if not body.get("restricted") or not holders:
                        failures.append((who, path, "no restricted answer", text[:200]))
                    elif role != "disclosure_officer" and not all("professional standards" in h for h in holders):
                        failures.append((who, path, "holder not named", holders))
                    stubs += 1
    Path(os.environ.get("PPDA_FAILURES", "/dev/null")).write_text(json.dumps(failures, indent=1))
    assert not failures, failures[:40]
    assert stubs >= 12
    # the answers were real ones, not refusals: each account reached its routes
    for who, role in WALLED_FROM.items():
        mine = {r.path for r in routes if role in (r.dots_roles or ())}
        assert len(answered.get(who, set())) >= len(mine) * 0.6, (who, sorted(mine - answered.get(who, set())))


def test_a_search_finds_that_a_walled_record_exists_and_who_holds_it(client):
    r = get(client, "analyst", "analyst", "/analyst/search", name="Gareth Fenwick", age=37)
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and items[0].get("restricted"), items
    assert items[0]["held_by"] == [
        {"force_code": "E23000007", "force": "Northumbria Police, professional standards",
         "unit": "professional standards"}
    ]
    assert found(WALLED_STRINGS["fenwick"][2:], json.dumps(items)) == []


def test_a_victim_of_a_walled_officer_is_seen_but_his_record_is_not(client, people):
    r = get(client, "analyst", "analyst", f"/analyst/persons/{people['marsh']}")
    assert r.status_code == 200 and "MARSH" in r.text.upper()
    assert found(WALLED_STRINGS["fenwick"], r.text) == []
    assert '"restricted":true' in r.text.replace(" ", "") and "Northumbria Police, professional standards" in r.text
    audit = get(client, "auditor", "analyst", "/audit/records", purpose="audit", reference="AUD-1",
                person_id=people["marsh"]).json()["items"]
    assert any(e["outcome"] == "restricted" and "walled" in (e["detail"] or "") for e in audit)


def test_professional_standards_see_walled_records_in_full_within_their_forces(client, people):
    r = get(client, "psd", "professional_standards", f"/analyst/persons/{people['fenwick']}")
    body = r.json()
    assert r.status_code == 200 and not body.get("restricted"), r.text[:300]
    assert "FENWICK" in r.text.upper() and "Larch Close" in r.text
    assert {e["event_id"] for e in body["timeline"]} and "1986-08-14" in r.text
    assert found(["Northumbria/workforce/4721", "workforce"], r.text) == []  # membership is in no answer, theirs too
    # Durham's professional standards: the Northumbria officer is held by another force
    durham = get(client, "psd_durham", "professional_standards", f"/analyst/persons/{people['fenwick']}").json()
    assert durham.get("restricted") and found(["Gareth"], json.dumps(durham)) == []
    assert "Claire" in get(client, "psd_durham", "professional_standards", f"/analyst/persons/{people['claire']}").text
    # national oversight sees both
    for who in ("fenwick", "claire"):
        seen = get(client, "oversight", "professional_standards", f"/analyst/persons/{people[who]}").json()
        assert not seen.get("restricted")


def test_a_leaver_is_not_walled_but_his_membership_stays_hidden(client, people):
    r = get(client, "analyst_durham", "analyst", f"/analyst/persons/{people['reed']}")
    assert r.status_code == 200 and not r.json().get("restricted") and "REED" in r.text.upper()
    assert found(["Durham/workforce/1180", "workforce"], r.text) == []


def test_an_officer_never_opens_his_own_record_or_one_he_is_party_to(client, people):
    for who, role in (("pc_fenwick", "analyst"), ("psd_fenwick", "professional_standards")):
        for other in ("fenwick", "marsh"):
            for path in (f"/analyst/persons/{people[other]}", f"/analyst/persons/{people[other]}/network"):
                r = get(client, who, role, path)
                assert r.status_code == 403 and r.json()["type"] == "/problems/self-consultation", (who, path, r.text)
        assert get(client, who, role, f"/analyst/persons/{people['hall']}").status_code == 200
        search = get(client, who, role, "/analyst/search", name="Leanne Marsh")
        items = search.json()["items"]
        assert search.status_code == 200 and items and items[0].get("restricted"), items
        assert found(["Leanne", "MARSH"], json.dumps(items)) == []
    refused = get(client, "auditor", "analyst", "/audit/records", purpose="audit", reference="AUD-2",
                  user="pc_fenwick", outcome="refused").json()["items"]
    assert len(refused) >= 4 and all(e["status"] == 403 for e in refused)


def test_the_wall_holds_in_the_steward_desk(client):
    r = get(client, "steward_national", "data_steward", "/steward/pair", left="Northumbria/workforce/4721",
            right="Northumbria/NOR90")
    assert r.status_code in (200, 404) and found(MEMBERSHIP_STRINGS + WALLED_STRINGS["fenwick"], r.text) == []


# -- the command line ------------------------------------------------------------------------------


# the reads of this module's command lines and why (s.62), on the graph its in-process world went to
dots = partial(run_dots, DOTS_PURPOSE="intelligence", DOTS_REFERENCE="PSD-2", same_graph=True)


def test_command_line_lists_and_exports_are_walled(tmp_path_factory, tmp_path):
    home = tmp_path_factory.mktemp("ppda_cli")  # its own world: the server holds the other's graph
    build(home)
    people = {k: person_of(home, key) for k, key in (("fenwick", "Northumbria/NOR90"), ("marsh", "Northumbria/NOR91"))}
    for command in (["cross-force-victims", "--json"], ["court-only-orders", "--json"],
                    ["targets", "--force", "Northumbria", "--as-of", AS_OF, "--json"],
                    ["targets", "--force", "Durham", "--as-of", AS_OF, "--json"]):
        proc = dots(*command, home=home)
        assert proc.returncode == 0, proc.stderr
        assert found(WALLED_STRINGS["fenwick"] + WALLED_STRINGS["claire"] + MEMBERSHIP_STRINGS, proc.stdout) == []
    out = tmp_path / "net.graphml"
    proc = dots("export", "network", people["fenwick"], "--format", "graphml", "--out", str(out), home=home)
    assert proc.returncode == 1 and "professional standards" in proc.stderr and not out.exists()
    proc = dots("export", "network", people["marsh"], "--format", "graphml", "--out", str(out), home=home)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "MARSH" in text.upper() and found(WALLED_STRINGS["fenwick"], text) == []


def test_disclosure_about_a_walled_officer_names_no_unit_and_no_membership(client, people):
    body = {"route": "ask", "applicant": {"name": "Jane Doe", "contact": "after 6pm"},
            "person_at_risk": {"name": "Jane Doe"}, "subject": {"name": "G F", "age": 37},
            "relationship": "current_partner"}
    h, why = auth(client, "disclosure"), WHY["disclosure_officer"]
    case = client.post("/disclosure/cases", headers=h, params=why, json=body).json()
    chosen = client.post(f"/disclosure/cases/{case['id']}/subject", headers=h, params=why,
                         json={"person_id": people["fenwick"]})
    for r in (chosen, client.get(f"/disclosure/cases/{case['id']}/history", headers=h, params={**why, "as_of": AS_OF}),
              client.get(f"/disclosure/cases/{case['id']}", headers=h, params=why)):
        assert r.status_code == 200, r.text
        assert r.json().get("restricted") and r.json()["held_by"] == [{"force_code": "E23000007",
                                                                      "force": "Northumbria Police"}], r.text
        assert "professional" not in r.text.lower() and found(MEMBERSHIP_STRINGS + WALLED_STRINGS["fenwick"],
                                                             r.text) == []


def test_user_add_takes_an_employee_ref_and_the_contract_form_still_works(tmp_path):
    home = tmp_path / "home"
    ok = dots("user", "add", "pc.fenwick", "--role", "analyst", "--force", "Northumbria", "--employee-ref",
              "northumbria police/4721", home=home)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["employee_ref"] == "E23000007/4721"
    plain = dots("user", "add", "a.khan", "--role", "professional_standards", "--force", "Durham", home=home)
    assert plain.returncode == 0 and json.loads(plain.stdout)["employee_ref"] is None, plain.stderr
    bad = dots("user", "add", "x.y", "--role", "analyst", "--employee-ref", "Atlantis/1", home=home)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "Atlantis/1" in bad.stderr


# -- the walled person's home ---------------------------------------------------------------------


def test_the_officers_home_is_walled_wherever_an_address_is_shown(client, people):
    """Ryan COLE lodges at PC Fenwick's home: the address is the walled officer's, so no one but
    professional standards sees it, through the lodger's profile, network, target page, a search
    for him, the orders at that address or the steward desk; the lodger himself stays visible."""
    larch = ("Larch Close", "NE46 3XX")
    cole = people["cole"]
    address_id = get(client, "oversight", "professional_standards", f"/analyst/persons/{people['fenwick']}"
                     ).json()["addresses"][0]["address_id"]
    asks = [
        ("analyst_national", "analyst", f"/analyst/persons/{cole}", {}),
        ("analyst", "analyst", f"/analyst/persons/{cole}/network", {}),
        ("analyst", "analyst", "/analyst/search", {"name": "Ryan Cole"}),
        ("analyst", "analyst", f"/analyst/addresses/{address_id}/orders", {}),
        ("da_team", "da_team", f"/targets/Northumbria/persons/{cole}", {"as_of": AS_OF}),
        ("steward_national", "data_steward", "/steward/pair", {"left": "Northumbria/NOR92",
                                                                "right": "Northumbria/NOR93"}),
    ]
    for who, role, path, params in asks:
        r = get(client, who, role, path, **params)
        assert r.status_code == 200, (who, path, r.text[:300])
        assert found(larch, r.text) == [], (who, path)
        assert "COLE" in r.text.upper() or "addresses" in path, (who, path)  # the lodger is not walled
    stub = get(client, "analyst", "analyst", f"/analyst/addresses/{address_id}/orders").json()
    assert stub["restricted"] and stub["address_id"] == address_id, stub
    # professional standards see the home in full, through the lodger too
    full = get(client, "psd", "professional_standards", f"/analyst/persons/{cole}")
    assert found(larch, full.text) == list(larch)


def _spelt(text: str, case: list[bool], seps: list[str]) -> str:
    """``text`` in another case and with other spaces and punctuation between its words."""
    words = [w.upper() if up else w.lower() for w, up in zip(text.replace(",", " ").split(), case, strict=False)]
    return "".join(w + s for w, s in zip(words, seps, strict=False)).strip() or text


def test_a_walled_home_is_hidden_in_any_spelling_and_nothing_else_is():
    """Property: an object holding the walled home in any case, spacing or punctuation, alone, in a
    ";"-joined cell, a "postcode / address" comparison value or a list, is a stub naming its holder;
    the same object with another address, or the home's postcode alone, is left as it was."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from api.policy.wall import Hidden, place_key, scrub

    home, aid = "31 Larch Close, Hexham", "A5D5AF87A3440"
    hidden = Hidden(addresses=frozenset({aid}), holders={aid: frozenset({"E23000007"})},
                    places={place_key(home): aid, place_key(home + " NE46 3XX"): aid})
    others = st.sampled_from(["8 Willow Court, Morpeth", "31 Larch Road, Hexham", "3 Larch Close, Hexham",
                              "NE46 3XX", "Flat 23, 144 Park Avenue", ""])

    @settings(max_examples=150, deadline=None)
    @given(case=st.lists(st.booleans(), min_size=4, max_size=4),
           seps=st.lists(st.sampled_from([" ", ", ", "  ", ",", " - "]), min_size=4, max_size=4),
           shape=st.sampled_from(["alone", "cell", "compared", "list", "postcoded"]), other=others)
    def check(case, seps, shape, other):
        spelt = _spelt(home, case, seps)
        value = {"alone": spelt, "cell": f"{other};{spelt}", "compared": f"NE46 3XX / {spelt}",
                 "list": [other, spelt], "postcoded": f"{spelt} NE46 3XX"}[shape]
        out, n = scrub({"items": [{"surname": "COLE", "address": value}]}, hidden)
        assert n == 1 and out["items"][0]["restricted"], (value, out)
        assert out["items"][0]["held_by"][0]["force_code"] == "E23000007"
        kept, n = scrub({"items": [{"surname": "COLE", "address": other}]}, hidden)
        assert n == 0 and kept["items"][0]["address"] == other

    check()
