"""No 5xx from bad input, at the edges the generated runs seldom reach: every date parameter of
every operation in the OpenAPI document at the first and last day the calendar holds, every
integer at its documented bounds, path parameters that name nothing, an upload filename of any
length, and every route of a server over an empty data directory (nothing ingested, no graph).

Operations come from the OpenAPI document itself, so a new route is covered without a test
naming it; each is called by the role it belongs to, with a valid purpose and reference so the
handler runs, not just the validation in front of it."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.test_api_schema import OWNER, PURPOSE  # who owns each router, and why each role asks
from worlds.testing import PASSWORD, ROLE_ACCOUNT, add_accounts, sample_client

SLOW = {"/admin/jobs/resolve", "/admin/jobs/graph-load", "/admin/jobs/pipeline", "/steward/apply"}
EXTREME_DAYS = ("0001-01-01", "9999-12-31", "1900-02-28", "2024-02-29")
PATH_VALUES = {"force": ["Northumbria", "E23000007"], "case_id": ["1", "2147483647"], "list_id": ["1", "2147483647"],
               "user_id": ["1", "2147483647"], "person_id": ["P000000000000", "x" * 64],
               "address_id": ["A", "x" * 64], "job_id": ["x" * 36]}


def _role(path: str) -> str:
    return next(r for prefix, r in OWNER.items() if path == prefix or path.startswith(prefix + "/"))


def _operations(client) -> list[tuple[str, str, list[dict]]]:
    doc = client.get("/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        if path in SLOW:
            continue
        for method, op in ops.items():
            out.append((method.upper(), path, op.get("parameters", []), op))
    return out


def _tokens(client) -> dict[str, dict[str, str]]:
    out = {}
    for role, name in ROLE_ACCOUNT.items():
        r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
        out[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return out


def _is_date(p: dict) -> bool:
    schema = p.get("schema", {})
    options = [schema, *schema.get("anyOf", [])]
    return any(o.get("format") == "date" for o in options)


def _int_bounds(p: dict) -> list[int]:
    schema = p.get("schema", {})
    for o in [schema, *schema.get("anyOf", [])]:
        if o.get("type") == "integer":
            return [v for v in (o.get("minimum"), o.get("maximum")) if v is not None]
    return []


def _calls(method: str, path: str, params: list[dict]):
    """(path, query) pairs that put each date and integer parameter at its extremes."""
    path_params = [p["name"] for p in params if p["in"] == "path"]
    query = [p for p in params if p["in"] == "query" and p["name"] not in ("purpose", "reference")]
    for values in itertools.product(*(PATH_VALUES.get(n, ["x"]) for n in path_params)):
        concrete = path.format(**dict(zip(path_params, values, strict=True)))
        yield concrete, {}
        for p in query:
            for day in EXTREME_DAYS if _is_date(p) else []:
                yield concrete, {p["name"]: day}
            for bound in _int_bounds(p):
                yield concrete, {p["name"]: bound}
        dates = [p["name"] for p in query if _is_date(p)]
        for low, high in (("0001-01-01", "9999-12-31"), ("9999-12-31", "0001-01-01")):
            if len(dates) >= 2:
                yield concrete, {dates[0]: low, dates[1]: high}


def _sweep(client) -> list[str]:
    tokens = _tokens(client)
    failures = []
    for method, path, params, op in _operations(client):
        role = _role(path)
        headers = {} if path == "/auth/token" else tokens[role]
        body = {} if "requestBody" in op and "multipart" not in str(op["requestBody"]) else None
        for concrete, query in _calls(method, path, params):
            q = {"purpose": PURPOSE[role], "reference": "EDGE-1", **query}
            try:
                r = client.request(method, concrete, headers=headers, params=q, json=body)
            except Exception as exc:  # the test client re-raises what the server did not handle
                failures.append(f"{method} {concrete} {query}: {type(exc).__name__}: {exc}")
                continue
            if r.status_code >= 500:
                failures.append(f"{method} {concrete} {query}: {r.status_code} {r.text[:200]}")
    return failures


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    with sample_client(tmp_path_factory, "extremes", search_per_minute=0) as (c, _):
        yield c


def test_no_route_answers_5xx_at_the_extremes(sample):
    failures = _sweep(sample)
    assert not failures, "\n".join(failures[:40])


def test_no_route_answers_5xx_over_an_empty_data_directory(tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from worlds.testing import settings as test_settings

    s = test_settings(tmp_path, search_per_minute=0)
    add_accounts(tmp_path)
    with TestClient(create_app(tmp_path, settings=s)) as c:
        failures = _sweep(c)
    assert not failures, "\n".join(failures[:40])


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(name=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=600))
@example(name="a" * 304)
@example(name="é" * 300)
@example(name="x" * 251)
@example(name="../" * 120)
def test_any_upload_filename_is_answered_without_5xx(sample, name):
    token = sample.post("/auth/token", data={"username": "admin", "password": PASSWORD}).json()["access_token"]
    r = sample.post(
        "/admin/uploads",
        headers={"Authorization": f"Bearer {token}"},
        params={"purpose": "administration", "reference": "EDGE-UP"},
        files=[("files", (name + ".csv", b"a,b\n1,2\n"))],
    )
    assert r.status_code in (201, 400), (name, r.status_code, r.text[:200])
    if r.status_code == 201:
        assert len(r.json()[0]["filename"]) <= 120 and r.json()[0]["filename"].endswith(".csv")


def test_exports_defuse_formulas_from_the_extracts(sample):
    """A nominal named like a formula reaches the CSV and the XLSX as text."""
    import csv
    import io

    from openpyxl import load_workbook

    from exports.tables import TRIGGERS

    token = sample.post("/auth/token", data={"username": "da_team", "password": PASSWORD}).json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    q = {"purpose": "tasking", "reference": "EDGE-X", "as_of": "2024-06-30"}
    rows = list(csv.reader(io.StringIO(sample.get("/targets/Northumbria/export.csv", headers=h, params=q).text)))
    wb = load_workbook(io.BytesIO(sample.get("/targets/Northumbria/export.xlsx", headers=h, params=q).content))
    cells = [c for r in rows for c in r] + [str(c.value) for ws in wb for r in ws.iter_rows() for c in r if c.value]
    assert len(rows) > 1 and not [c for c in cells if c.lstrip(" ")[:1] in TRIGGERS]
