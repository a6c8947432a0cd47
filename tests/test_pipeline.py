"""One pipeline: the API's jobs run the same stages as the command line, so a steward's decision
on an address, order, incident or breach match made through the API applies at the next job."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from fastapi.testclient import TestClient  # noqa: E402

from linkage.store import LinkageStore  # noqa: E402
from worlds.testing import bearer, synth_client  # noqa: E402

WHY = {"purpose": "data_quality", "reference": "DQ-15"}
ADMIN = {"purpose": "administration", "reference": "ADM-15"}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    with synth_client(tmp_path_factory, "pipeline", people=500, seed=5) as (c, data_dir):
        c.data_dir = data_dir
        yield c


def _review(c: TestClient, kind: str) -> list[dict]:
    h = bearer(c, "steward_national")
    queue = c.get("/steward/entities/queue", headers=h, params={**WHY, "kind": kind})
    assert queue.status_code == 200, queue.text
    return queue.json()["items"]


def _decide(c: TestClient, kind: str, pair: dict, decision: str) -> None:
    """A national steward's decision on a pair from the review queue."""
    body = {"kind": kind, "key_l": pair["key_l"], "key_r": pair["key_r"], "decision": decision, "note": "DQ-15"}
    decided = c.post("/steward/entities/decisions", headers=bearer(c, "steward_national"), params=WHY, json=body)
    assert decided.status_code == 201, decided.text


def _job(c: TestClient, route: str) -> dict:
    """Start an admin job and wait for it to end; its last state."""
    h = bearer(c, "admin")
    started = c.post(f"/admin/jobs/{route}", headers=h, params=ADMIN, json={})
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = c.get(f"/admin/jobs/{started.json()['id']}", headers=h, params=ADMIN).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the {route} job did not end")


def _address_ids(data_dir: Path, form_key: str) -> set[str]:
    addresses = LinkageStore(data_dir).addresses()
    return set(addresses.loc[addresses["form_key"] == form_key, "address_id"])


def test_an_address_decision_applies_at_the_next_resolve_job(client: TestClient) -> None:
    [pair, *_] = _review(client, "address")
    left, right = pair["key_l"], pair["key_r"]
    before_l, before_r = _address_ids(client.data_dir, left), _address_ids(client.data_dir, right)
    assert before_l and before_r
    together = bool(before_l & before_r)  # a pair under review may or may not be linked for now
    _decide(client, "address", pair, "not_same" if together else "same")

    job = _job(client, "resolve")
    assert job["status"] == "succeeded", job["message"]
    assert set(job["result"]) == {"people", "entities"}  # the API's resolve job resolves entities too
    after_l, after_r = _address_ids(client.data_dir, left), _address_ids(client.data_dir, right)
    assert after_l and after_r and bool(after_l & after_r) is not together  # the steward's decision holds
    assert not [i for i in _review(client, "address") if {i["key_l"], i["key_r"]} == {left, right}]


def test_a_breach_decision_applies_at_the_next_pipeline_job(client: TestClient) -> None:
    [pair, *_] = _review(client, "breach")

    def linked() -> bool:
        breaches = LinkageStore(client.data_dir).breaches()
        pairs = {frozenset(p) for p in zip(breaches["event_record_key"], breaches["order_record_key"], strict=True)}
        return frozenset((pair["key_l"], pair["key_r"])) in pairs

    before = linked()
    _decide(client, "breach", pair, "not_same" if before else "same")
    job = _job(client, "pipeline")
    assert job["status"] == "succeeded", job["message"]
    assert list(job["result"]) == ["resolve_people", "resolve_entities", "load_graph"]
    assert job["result"]["load_graph"]["verified"]
    assert linked() is not before
