"""A bounded property-based run over the OpenAPI document (Schemathesis on Hypothesis): every
operation, called by the role it belongs to with generated parameters and bodies, never answers
5xx, and what it answers matches the documented schema and media type."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from worlds.testing import PASSWORD, ROLE_ACCOUNT, sample_client  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
OWNER = {
    "/analyst": "analyst",
    "/targets": "da_team",
    "/disclosure": "disclosure_officer",
    "/steward": "data_steward",
    "/admin": "admin",
    "/audit": "auditor",
    "/auth": "analyst",
    "/health": "analyst",
}
PURPOSE = {
    "analyst": "intelligence",
    "da_team": "tasking",
    "disclosure_officer": "dvds",
    "data_steward": "data_quality",
    "admin": "administration",
    "auditor": "audit",
}
# Jobs that rewrite the whole world in the background are exercised in test_api_routes instead.
SLOW_JOBS = r"^/(admin/jobs/(resolve|graph-load|pipeline)|steward/apply)$"
EXAMPLES = int(os.environ.get("DOTS_SCHEMA_EXAMPLES", "6"))


@pytest.fixture(scope="module", params=["ladybug", "neo4j"])
def app_and_tokens(request, tmp_path_factory, graph_worlds):
    """The app over the sample world on each graph engine (Neo4j: skipped with the reason without one)."""
    extra = {}
    if request.param == "neo4j":
        graph_worlds.neo4j()
        extra["graph_uri"] = graph_worlds.neo4j_uri
    with sample_client(tmp_path_factory, f"schema_{request.param}", search_per_minute=0, **extra) as (c, data_dir):
        if extra:
            from graph.load import load_graph

            graph_worlds.get("neo4j", f"api:{data_dir}", lambda g: load_graph(data_dir, g))
        app = c.app
        tokens = {
            role: c.post("/auth/token", data={"username": acct, "password": PASSWORD}).json()["access_token"]
            for role, acct in ROLE_ACCOUNT.items()
        }
        yield app, tokens


def _role(path: str) -> str:
    return next(r for prefix, r in OWNER.items() if path == prefix or path.startswith(prefix + "/"))


def _runner(strategy, headers: dict, justified: dict | None, positive: bool):
    """One Hypothesis test over one operation and generation mode."""
    from hypothesis import given

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        if justified and positive and isinstance(case.query, dict):
            case.query = {**case.query, **justified}  # valid justification, so handlers run deep
        checks = [not_a_server_error]
        if positive:
            checks += [response_schema_conformance, content_type_conformance]
        case.call_and_validate(headers=headers, checks=checks)

    return run


def test_no_server_errors_and_documented_answers(app_and_tokens):
    """Each operation in turn, positive and negative data, a few examples each (bounded)."""
    app, tokens = app_and_tokens
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=SLOW_JOBS)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 40
    failures = []
    for op in operations:
        role = _role(op.path)
        headers = {} if op.path == "/auth/token" else {"Authorization": f"Bearer {tokens[role]}"}
        has_purpose = any(p.name == "purpose" for p in op.iter_parameters())
        justified = {"purpose": PURPOSE[role], "reference": "FUZZ-1"} if has_purpose else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _runner(op.as_strategy(generation_mode=mode), headers, justified, mode is GenerationMode.POSITIVE)()
            except Unsatisfiable:  # nothing to break: the operation takes no parameters or body
                continue
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{op.label} [{mode.value}]: {type(exc).__name__}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
