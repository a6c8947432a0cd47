"""The steward's review of address, order, incident and breach matches, through the API."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from fastapi.testclient import TestClient  # noqa: E402

from worlds.testing import bearer, synth_client  # noqa: E402

WHY = {"purpose": "data_quality", "reference": "DQ-11"}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with synth_client(tmp_path_factory, "api_entities", people=1500, seed=5) as (c, data_dir):
        c.data_dir = data_dir
        yield c


def test_queue_pair_and_decision_stick(client: TestClient) -> None:
    from linkage.store import LinkageStore

    h = bearer(client, "steward_national")
    queue = client.get("/steward/entities/queue", headers=h, params=WHY)
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert items and {i["kind"] for i in items} <= {"address", "order", "event", "breach"}
    probabilities = [abs(i["probability"] - 0.5) for i in items if i["probability"] is not None]
    assert probabilities == sorted(probabilities)  # most uncertain first
    first = items[0]
    only = client.get("/steward/entities/queue", headers=h, params={**WHY, "kind": first["kind"]}).json()["items"]
    assert only and {i["kind"] for i in only} == {first["kind"]}
    detail = client.get(
        "/steward/entities/pair",
        headers=h,
        params={**WHY, "kind": first["kind"], "left": first["key_l"], "right": first["key_r"]},
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()
    decided = client.post(
        "/steward/entities/decisions",
        headers=h,
        params=WHY,
        json={
            "kind": first["kind"],
            "key_l": first["key_l"],
            "key_r": first["key_r"],
            "decision": "not_same",
            "note": "different flats",
        },
    )
    assert decided.status_code == 201, decided.text
    log = LinkageStore(client.data_dir).entity_decisions(first["kind"])
    assert ((log["decision"] == "not_same") & (log["user"] == "steward_national")).any()
    after = client.get("/steward/entities/queue", headers=h, params={**WHY, "limit": 500}).json()["items"]
    assert (first["kind"], first["key_l"], first["key_r"]) not in {(i["kind"], i["key_l"], i["key_r"]) for i in after}


def test_entity_review_refusals(client: TestClient) -> None:
    national = bearer(client, "steward_national")
    assert client.get("/steward/entities/queue", headers=national).status_code == 400  # no purpose/reference
    scoped = client.get("/steward/entities/queue", headers=bearer(client, "steward"), params=WHY)
    assert scoped.status_code == 403
    analyst = client.get("/steward/entities/queue", headers=bearer(client, "analyst"), params=WHY)
    assert analyst.status_code == 403
    unknown = client.post(
        "/steward/entities/decisions",
        headers=national,
        params=WHY,
        json={"kind": "order", "key_l": "X1", "key_r": "X2", "decision": "same"},
    )
    assert unknown.status_code == 404
    missing = client.get(
        "/steward/entities/pair", headers=national, params={**WHY, "kind": "address", "left": "nope", "right": "nada"}
    )
    assert missing.status_code == 404


def test_entity_review_is_audited(client: TestClient) -> None:
    """Runs last: each entity review route that answered left a record naming who and why."""
    h = bearer(client, "auditor")
    records = client.get("/audit/records", headers=h, params={"purpose": "audit", "reference": "AUD-9", "limit": 500})
    assert records.status_code == 200, records.text
    answered = {(i["method"], i["route"]) for i in records.json()["items"] if i["outcome"] == "ok"}
    assert {
        ("GET", "/steward/entities/queue"),
        ("GET", "/steward/entities/pair"),
        ("POST", "/steward/entities/decisions"),
    } <= answered
    refused = [i for i in records.json()["items"] if i["route"] == "/steward/entities/queue" and i["outcome"] != "ok"]
    assert refused  # the scoped steward's and the analyst's refusals are logged too
    ok = [i for i in records.json()["items"] if i["route"].startswith("/steward") and i["outcome"] == "ok"]
    assert all(i["purpose"] == "data_quality" and i["reference"] == "DQ-11" for i in ok)
