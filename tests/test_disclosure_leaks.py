"""Nothing about a previous victim reaches a Clare's Law answer, and no decision naming one is
recorded: probed on extracts this test generates (tests/disclosure_probes.py), whose orders name
the protected person's home in clerks' spellings, through the real pipeline and the API.

Every answer the disclosure officer gets for every respondent (case, candidates, history) is
checked for each of the respondent's victims' surnames, street names (a misspelt copy too) and
postcodes by a matcher independent of the product's; every decision text naming one (initials,
"SURNAME, Forename", nicknames, typos, abbreviations, flat forms, postcodes without the space)
must be refused without being echoed. Ordinary disclosures are still accepted."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient

from tests.disclosure_probes import decision_texts, leaks, world, write_extracts
from worlds.testing import PASSWORD

SEED = 1307
WHY = {"purpose": "dvds", "reference": "DVDS-LEAK-1"}
DAY = {"as_of": "2024-06-30"}


@pytest.fixture(scope="module")
def probe_world(tmp_path_factory):
    from api.app import create_app
    from api.auth.users import add_user
    from graph.backend import open_graph
    from graph.load import load_graph
    from linkage.run import resolve
    from loaders.ingest import ingest_paths
    from worlds.testing import settings

    data = tmp_path_factory.mktemp("leak_probes")
    people = world(SEED)
    ingest_paths(write_extracts(data / "extracts", people, SEED), data)
    resolve(data)
    with open_graph(data) as g:
        load_graph(data, g)
    s = settings(data)
    add_user(data, "dvds", "disclosure_officer", [], PASSWORD, national=True)
    with TestClient(create_app(data, settings=s)) as client:
        token = client.post("/auth/token", data={"username": "dvds", "password": PASSWORD}).json()["access_token"]
        yield client, {"Authorization": f"Bearer {token}"}, people, data


def _person_of(data, record_key: str) -> str:
    import pandas as pd

    ents = pd.read_parquet(data / "linkage" / "entities.parquet")
    return str(ents.set_index("record_key").loc[record_key, "person_id"])


def _case(client, h, r, data) -> int:
    body = {
        "route": "ask",
        "force": "Northumbria",
        "applicant": {"name": "Amy Newpartner", "contact": "mobile after 6pm"},
        "person_at_risk": {"name": "Amy Newpartner"},
        "subject": {"name": f"{r.forename} {r.surname}", "place": "Blyth"},
        "relationship": "new_partner",
    }
    case = client.post("/disclosure/cases", headers=h, params=WHY, json=body)
    assert case.status_code == 201, case.text
    cid = case.json()["id"]
    chosen = client.post(
        f"/disclosure/cases/{cid}/subject",
        headers=h,
        params=WHY,
        json={"person_id": _person_of(data, f"Northumbria/{r.ref}")},
    )
    assert chosen.status_code == 200, chosen.text
    return cid


def test_no_answer_or_decision_leaks_a_previous_victim(probe_world):
    client, h, people, data = probe_world
    rng = random.Random(SEED)
    probes, found, accepted = 0, [], 0
    for r in people:
        cid = _case(client, h, r, data)
        answers = [
            client.get(f"/disclosure/cases/{cid}/history", headers=h, params={**WHY, **DAY}),
            client.get(f"/disclosure/cases/{cid}", headers=h, params=WHY),
            client.get(f"/disclosure/cases/{cid}/candidates", headers=h, params=WHY),
        ]
        history = answers[0].json()
        assert answers[0].status_code == 200 and history["history"] and history["orders"], answers[0].text
        # the order's conditions arrive as categories: the place it names never does
        assert {"no_contact", "not_to_attend_address"} <= set(history["orders"][0]["condition_categories"])
        # typed facts need no withholding: the guard is a second line, not what keeps the answer clean
        assert "[withheld" not in answers[0].text, answers[0].text
        for answer in answers:
            assert answer.status_code == 200, answer.text
            for v in r.victims:
                probes += 1
                found += [(r.ref, answer.url.path, hit) for hit in leaks(answer.text, v, r.surname)]
        for v in r.victims:
            for text in decision_texts(rng, v):
                probes += 1
                d = client.post(
                    f"/disclosure/cases/{cid}/decision",
                    headers=h,
                    params=WHY,
                    json={"decision": "disclose", "rationale": "pressing need", "disclosed_info": text,
                          "disclosed_to": "Amy Newpartner, in person"},
                )
                if d.status_code != 400 or d.json()["type"] != "/problems/victim-identity":
                    found.append((r.ref, "decision accepted", text))
                found += [(r.ref, "refusal echoes", hit) for hit in leaks(d.text, v, r.surname)]
        # what may be disclosed is still accepted: the offences, dates and orders, as facts
        ok = client.post(
            f"/disclosure/cases/{cid}/decision",
            headers=h,
            params=WHY,
            json={
                "decision": "disclose",
                "rationale": "Pressing need: violence against two previous partners; lawful, necessary, proportionate.",
                "disclosed_info": f"{r.forename} {r.surname.title()} has two assaults on previous partners "
                f"(2023) and a non-molestation order made on 1 February 2024 by Newcastle Family Court.",
                "disclosed_to": "Amy Newpartner, in person, with a safety plan",
            },
        )
        accepted += ok.status_code == 201
    assert probes >= 200
    assert found == [], f"{len(found)} leaks over {probes} probes: {found[:10]}"
    assert accepted == len(people)
