"""Attacks from outside on promises the route-by-route tests did not reach: a force-scoped steward
reading another force's decisions, a refuge address on the review desk, and a search used as an
oracle for where a woman whose address is withheld lives (ask again with another postcode and
watch the confidence move).

The sample world (worlds/api.py): the court withheld Karen BLACK's address on 1 October 2023, so
the home Northumbria recorded for her in May 2024 (22 Elm Grove, SR1 2BB) is confidential too."""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from worlds.testing import PASSWORD, sample_client  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
WHY = {
    "analyst": {"purpose": "intelligence", "reference": "RED-1"},
    "disclosure_officer": {"purpose": "dvds", "reference": "RED-2"},
    "data_steward": {"purpose": "data_quality", "reference": "RED-3"},
    "da_team": {"purpose": "tasking", "reference": "RED-4"},
    "admin": {"purpose": "administration", "reference": "RED-5"},
}
ROLE = {"analyst": "analyst", "analyst_durham": "analyst", "analyst_national": "analyst",
        "disclosure": "disclosure_officer", "disclosure_national": "disclosure_officer",
        "steward": "data_steward", "steward_national": "data_steward", "da_team": "da_team",
        "admin": "admin", "admin_northumbria": "admin"}
HER_HOME = re.compile(r"elm\s*grove|sr1\s*2bb", re.I)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with sample_client(tmp_path_factory, "red_api", search_per_minute=0) as (c, _):
        yield c


_tokens: dict[str, str] = {}


def call(c, who: str, method: str, path: str, **kwargs):
    if who not in _tokens:
        _tokens[who] = c.post("/auth/token", data={"username": who, "password": PASSWORD}).json()["access_token"]
    params = {**WHY[ROLE[who]], **kwargs.pop("params", {})}
    return c.request(method, path, headers={"Authorization": f"Bearer {_tokens[who]}"}, params=params, **kwargs)


# -- the steward's decision log is force-scoped ------------------------------------------------------


def test_a_force_steward_reads_only_the_decisions_on_its_own_records(client):
    """A national steward's decision on two Durham records (its note names her and her home) is
    Durham's data: a Northumbria steward's decision log does not hold it; Northumbria's own does."""
    durham = {"record_key_l": "Durham/DUR3", "record_key_r": "Durham/DUR4", "decision": "not_same",
              "note": "Joan REED is his wife, 12 Bank Top"}
    ours = {"record_key_l": "Northumbria/NOR4", "record_key_r": "Northumbria/NOR5", "decision": "not_same",
            "note": "husband and wife"}
    for body in (durham, ours):
        assert call(client, "steward_national", "POST", "/steward/decisions", json=body).status_code == 201
    local = call(client, "steward", "GET", "/steward/decisions")
    assert local.status_code == 200
    assert "Durham/" not in local.text and "Bank Top" not in local.text and "REED" not in local.text
    assert [d["record_key_l"] for d in local.json()["items"]] == ["Northumbria/NOR4"]
    assert local.json()["total"] == 1
    by_key = call(client, "steward", "GET", "/steward/decisions", params={"record_key": "Durham/DUR3"})
    assert by_key.json()["items"] == []
    national = call(client, "steward_national", "GET", "/steward/decisions").json()
    assert {d["record_key_l"] for d in national["items"]} >= {"Durham/DUR3", "Northumbria/NOR4"}


# -- no refuge on the review desk ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["steward", "steward_national"])
@pytest.mark.parametrize("left,right", [("Northumbria/NOR3", "FC2023001/protected"),
                                        ("Northumbria/NOR2", "Northumbria/NOR3"),
                                        ("FC2023001/protected", "Northumbria/NOR2")])
def test_the_review_desk_never_shows_a_confidential_address(client, who, left, right):
    """Her records side by side, and as the other records of her person, say only that the address
    is confidential; a record whose address is not withheld still shows it."""
    r = call(client, who, "GET", "/steward/pair", params={"left": left, "right": right})
    assert r.status_code == 200, r.text
    assert not HER_HOME.search(r.text), HER_HOME.findall(r.text)
    body = r.json()
    for side in ("left", "right"):
        view = body[side]
        if view["record_key"] in ("Northumbria/NOR3", "FC2023001/protected"):
            assert view["confidential"] and view["address"] is None and view["postcodes"] is None
        else:
            assert not view["confidential"] and "ROSE" in view["address"].upper()


# -- a target list's person view names perpetrators only --------------------------------------------


def test_a_da_team_looks_up_its_perpetrators_not_their_victims(client):
    """A target list counts victims; its person view is no way round that: a victim's id (Karen
    BLACK's, whose home is confidential; Elizabeth WARD's) answers as no such person, her
    perpetrator's as before."""
    from worlds.api import person_of

    data_dir = client.app.state.dots.settings.data_dir
    for key in ("Northumbria/NOR3", "Northumbria/NOR2", "Northumbria/NOR5"):
        r = call(client, "da_team", "GET", f"/targets/Northumbria/persons/{person_of(data_dir, key)}")
        assert r.status_code == 404 and not HER_HOME.search(r.text) and "Rose Street" not in r.text, key
    hall = call(client, "da_team", "GET", f"/targets/Northumbria/persons/{person_of(data_dir, 'Northumbria/NOR1')}")
    assert hall.status_code == 200 and hall.json()["timeline"]


def test_a_target_view_never_shows_a_confidential_address():
    """Confidential text is for the recording force's analysts only, never a DA team's view (a
    suspect whose address a source withholds, seen by the recording force)."""
    from api.policy.scope import Scope
    from api.views.person import person_view, target_view

    record = {"record_key": "Northumbria/NOR9", "force": "E23000007", "source_system": "E23000007",
              "source_file": "rms.csv", "name_raw": "HALL, David"}
    home = {"address_id": "A3BCDF5592021", "address": "22 Elm Grove, Sunderland", "postcode": "SR1 2BB",
            "confidential": True, "record_key": "Northumbria/NOR9"}
    plain = {"address_id": "A2", "address": "9 Quay Road, Blyth", "postcode": "NE24 2AA", "confidential": False,
             "record_key": "Northumbria/NOR9"}
    facts = {"person": {"person_id": "P1"}, "records": [record], "events": [], "relationships": [], "orders": [],
             "addresses": [home, plain]}
    local = Scope(frozenset({"E23000007"}), False)
    none = {"people": {}, "events": {}}
    analysts = person_view(None, local, "P1", facts=facts, holders=none)["addresses"]
    assert analysts[0]["address"] == home["address"] and analysts[0]["address_id"] == home["address_id"]
    team = target_view(person_view(None, local, "P1", facts=facts, holders=none, confidential_text=False))
    shown = team["addresses"]
    assert not HER_HOME.search(str(shown)) and "A3BCDF5592021" not in str(shown) and "warning" not in shown[0]
    assert shown[0]["confidential"] and shown[1]["address"] == plain["address"]


# -- a confidential address's id is its text's: never shown, never asked about ---------------------------


def _confidential_ids(c) -> set[str]:
    from api.store import graphq

    return {a["address_id"] for a in graphq.confidential_addresses(c.app.state.dots.graph())}


@pytest.mark.parametrize("who", ["analyst_national", "analyst_durham"])
def test_no_one_but_her_forces_analysts_gets_her_address_id(client, who):
    """The id of her confidential home is made from its text (a hash of its parsed form), so it
    would confirm a guessed address: her profile and network give others a stand-in."""
    ids = _confidential_ids(client)
    assert ids
    black = _black(client)
    for path in (f"/analyst/persons/{black}", f"/analyst/persons/{black}/network"):
        r = call(client, who, "GET", path)
        assert r.status_code == 200 and not [i for i in ids if i in r.text], (path, r.text[:300])
    profile = call(client, who, "GET", f"/analyst/persons/{black}").json()
    assert all(a["address_id"].startswith("confidential-") for a in profile.get("addresses", []))
    local = call(client, "analyst", "GET", f"/analyst/persons/{black}").json()
    assert {a["address_id"] for a in local["addresses"] if a["address"]} <= ids  # her force's analysts: as before


def test_orders_at_a_confidential_address_answer_as_at_an_unknown_one(client):
    """Asked by the id of her home (computed from a guessed address), the orders register says
    nothing: else the non-molestation order protecting her would confirm she lives there."""
    from worlds.api import person_of

    day = {"on": "2024-06-30"}
    for aid in _confidential_ids(client):
        for who in ("analyst", "analyst_national", "analyst_durham"):
            r = call(client, who, "GET", f"/analyst/addresses/{aid}/orders", params=day)
            assert r.status_code == 200 and r.json()["items"] == [] and r.json()["total"] == 0, r.text
    hall = person_of(client.app.state.dots.settings.data_dir, "Northumbria/NOR1")
    his = call(client, "analyst_national", "GET", f"/analyst/persons/{hall}").json()["addresses"][0]["address_id"]
    r = call(client, "analyst_national", "GET", f"/analyst/addresses/{his}/orders", params=day)
    assert r.json()["total"] >= 1  # an address no one withholds still answers


def test_the_review_desk_knows_every_comparison_of_where_someone_lives():
    from api.views.search import LOCATION_COMPARISONS
    from linkage.settings import load_settings

    assert {c.name for c in load_settings().comparisons if c.key == "POSTCODE"} <= LOCATION_COMPARISONS


# -- a search is no oracle for a confidential address --------------------------------------------------

PLACES = [None, "SR1 2BB", "SR12BB", "SR1 2BA", "SR1", "Sunderland", "Elm Grove", "NE8 1AA", "DH1 3AA"]


def _hers(items: list[dict], person_id: str | None = None) -> list[tuple]:
    """What a search says of Karen BLACK's identity: where it ranks her and how sure it is, and why."""
    return [(i["rank"], i["probability"], i.get("match_key"), str(i.get("fields"))) for i in items
            if (i.get("person_id") == person_id if person_id else i.get("restricted"))]


@pytest.mark.parametrize("who", ["analyst", "analyst_durham", "analyst_national"])
def test_no_postcode_or_place_moves_her_analyst_search_answer(client, who):
    answers = {}
    for place in PLACES:
        params = {"name": "Karen Black", **({"place": place} if place else {})}
        r = call(client, who, "GET", "/analyst/search", params=params)
        assert r.status_code == 200, r.text
        assert not HER_HOME.search(str([i.get("fields") for i in r.json()["items"]]))
        answers[place] = _hers(r.json()["items"], None if who == "analyst_durham" else _black(client))
    assert answers[None], "she is found by name"
    assert all(a == answers[None] for a in answers.values()), answers
    assert all("POSTCODE" not in str(a) and "PLACE" not in str(a) for a in answers.values())


def test_no_postcode_or_place_moves_her_disclosure_candidates(client):
    case = call(client, "disclosure", "POST", "/disclosure/cases", json={
        "route": "know", "force": "Northumbria", "person_at_risk": {"name": "Amy Newpartner"},
        "subject": {"name": "Dave Hall"}, "relationship": "current_partner"}).json()
    answers = {}
    for place in PLACES:
        params = {"name": "Karen Black", **({"place": place} if place else {})}
        r = call(client, "disclosure", "GET", f"/disclosure/cases/{case['id']}/candidates", params=params)
        assert r.status_code == 200, r.text
        answers[place] = _hers(r.json()["items"], _black(client))
    assert answers[None] and all(a == answers[None] for a in answers.values()), answers


def test_a_place_still_counts_for_everyone_else(client):
    """Susan GREY's address is not withheld: her postcode still ranks and explains her."""
    r = call(client, "analyst_national", "GET", "/analyst/search", params={"name": "Susan Grey", "place": "DH1 3AA"})
    assert "+POSTCODE" in r.json()["items"][0]["match_key"]


# -- another force's record is no oracle ----------------------------------------------------------
# Paul REED and Susan GREY are held by Durham alone. A Northumbria analyst learns that a namesake
# exists and that Durham holds it, never whether a date of birth, middle name or place they guess
# is on Durham's record: whatever is asked beside the name, the restricted row reads the same.
GUESSES = [{}, {"dob": "1975-04-04"}, {"dob": "1985-05-05"}, {"dob": "1975-04-05"}, {"age": 49},
           {"place": "DL1 1AA"}, {"place": "DH1 3AA"}, {"place": "Darlington"}, {"place": "DL1"},
           {"dob": "1975-04-04", "place": "DL1 1AA"}]


@pytest.mark.parametrize("name", ["Paul Reed", "Susan Grey", "Paul James Reed"])
def test_a_guess_beside_the_name_never_moves_another_forces_row(client, name):
    answers = []
    for guess in GUESSES:
        r = call(client, "analyst", "GET", "/analyst/search", params={"name": name, **guess})
        assert r.status_code == 200, r.text
        rows = [(i["probability"], i["match_key"], str(i["held_by"])) for i in r.json()["items"] if i["restricted"]]
        assert all("Durham" in held for _, _, held in rows)
        answers.append(sorted(rows))
    assert answers[0], "the namesake is listed, held by Durham"
    assert all(a == answers[0] for a in answers), list(zip(GUESSES, answers, strict=True))


def test_durham_and_the_nation_still_compare_durhams_record_in_full(client):
    for who in ("analyst_durham", "analyst_national"):
        r = call(client, who, "GET", "/analyst/search", params={"name": "Paul Reed", "dob": "1975-04-04"})
        top = r.json()["items"][0]
        assert not top["restricted"] and "DOB" in top["match_key"], top


def test_a_date_never_finds_another_forces_record_by_itself(client):
    """The search also looks records up by date of birth alone (a misspelt name): for another
    force's records it must not, or a row appearing would say the date is on their record."""
    for dob in ("1975-04-04", "1980-01-01"):
        r = call(client, "analyst", "GET", "/analyst/search", params={"name": "Zebedee Quinton", "dob": dob})
        assert r.status_code == 200, r.text
        assert not any(i["restricted"] for i in r.json()["items"]), r.json()["items"]


# -- a force's admin sees its own force's deliveries -------------------------------------------------


def test_a_force_admin_sees_and_runs_only_uploads_and_jobs_of_its_own_force(client):
    """The national admin delivers an extract (its file name says whose and what); Northumbria's
    admin can neither list it, read its ingest job, nor ingest it: each answers as for one that was
    never sent. Its own delivery it sees and runs, and the national admin sees both."""
    def upload(who: str, name: str) -> str:
        r = call(client, who, "POST", "/admin/uploads", files=[("files", (name, b"force,occurrence_ref\n"))])
        assert r.status_code == 201, r.text
        return r.json()[0]["id"]

    theirs, ours = upload("admin", "durham-psd-referrals.csv"), upload("admin_northumbria", "northumbria-rms.csv")
    job = call(client, "admin", "POST", "/admin/jobs/ingest", json={"upload_ids": [theirs]})
    assert job.status_code == 202, job.text
    listed = call(client, "admin_northumbria", "GET", "/admin/uploads", params={"limit": 200}).json()
    assert ours in {u["id"] for u in listed["items"]} and theirs not in {u["id"] for u in listed["items"]}
    assert "durham-psd" not in str(listed)
    jobs = call(client, "admin_northumbria", "GET", "/admin/jobs", params={"limit": 200}).json()
    assert job.json()["id"] not in {j["id"] for j in jobs["items"]} and theirs not in str(jobs)
    assert call(client, "admin_northumbria", "GET", f"/admin/jobs/{job.json()['id']}").status_code == 404
    for route in ("ingest", "pipeline"):
        r = call(client, "admin_northumbria", "POST", f"/admin/jobs/{route}", json={"upload_ids": [theirs]})
        assert r.status_code == 404, r.text
    national = call(client, "admin", "GET", "/admin/uploads", params={"limit": 200}).json()
    assert {theirs, ours} <= {u["id"] for u in national["items"]}
    assert call(client, "admin", "GET", f"/admin/jobs/{job.json()['id']}").status_code == 200


def test_every_loader_profile_may_be_named_for_an_uploaded_extract(client):
    """The command line ingests custody, notices and referrals extracts by profile name; the API
    refused each with 400 (it listed three profiles by hand)."""
    from loaders.mapping import builtin_profiles

    sent = call(client, "admin", "POST", "/admin/uploads", files=[("files", ("x.csv", b"force,custody_ref\n"))])
    for profile in sorted(builtin_profiles()):
        r = call(client, "admin", "POST", "/admin/jobs/ingest", json={"upload_ids": [sent.json()[0]["id"]],
                                                                      "profile": profile})
        assert r.status_code == 202, (profile, r.text)
    bad = call(client, "admin", "POST", "/admin/jobs/ingest", json={"upload_ids": [sent.json()[0]["id"]],
                                                                    "profile": "rms-flat; rm -rf /"})
    assert bad.status_code == 400, bad.text


def _black(c) -> str:
    from worlds.api import person_of

    return person_of(c.app.state.dots.settings.data_dir, "Northumbria/NOR3")


# -- a key nobody can trust ----------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n", "short"])
def test_an_emptied_key_file_stops_the_server_and_verify(tmp_path, monkeypatch, content):
    """An emptied audit key file was read as the key b'': new records were signed with a key anyone
    can compute and the token key likewise. Now the server and ``dots audit verify`` refuse it with
    one line naming the file."""
    from api.app import create_app
    from api.config import Settings, WeakKeyError
    from api.policy.audit import verify_chain
    from worlds.testing import settings as test_settings

    for var in ("DOTS_AUDIT_KEY", "DOTS_AUDIT_KEY_FILE", "DOTS_JWT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    s = test_settings(tmp_path)
    create_app(tmp_path, settings=s).state.dots.close()  # a server's first start writes its audit key
    assert s.jwt_key  # ... and its token key when first used
    audit, jwt = tmp_path / "state" / "audit.key", tmp_path / "state" / "jwt.key"
    good = audit.read_text()
    audit.write_text(content)
    with pytest.raises(WeakKeyError, match="audit.key"):
        create_app(tmp_path, settings=s)
    with pytest.raises(WeakKeyError, match="audit.key"):
        verify_chain(tmp_path)
    audit.write_text(good)
    jwt.write_text(content)
    with pytest.raises(WeakKeyError, match="jwt.key"):
        _ = Settings(data_dir=tmp_path, database_url=s.database_url).jwt_key
    monkeypatch.setenv("DOTS_AUDIT_KEY", "x")
    with pytest.raises(WeakKeyError, match="DOTS_AUDIT_KEY"):
        create_app(tmp_path, settings=s)
