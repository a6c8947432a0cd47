"""Every Cypher text the Neo4j backend sends passes Neo4j's own parser and semantic analyser.

Texts: every registered query (graph.queries.REGISTRY), every load statement and the Neo4j DDL.
The checker is @neo4j-cypher/language-support run by tools/cypher-lint/lint.js on Node.js.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from graph import dialect
from graph.queries import REGISTRY

LINT = Path(__file__).resolve().parents[1] / "tools" / "cypher-lint"


def neo4j_texts() -> dict[str, str]:
    texts = {f"query:{k}": v for k, v in REGISTRY.items()}
    texts.update({f"load:{k}": v for k, v in dialect.write_statements().items()})
    texts.update({f"ddl:{i}": t for i, t in enumerate(dialect.neo4j_ddl())})
    texts.update({f"gds:{a}": dialect.gds_stream(a) for a in dialect.GDS_STREAMS})
    texts.update({"gds:drop": dialect.GDS_DROP, "gds:installed": dialect.GDS_INSTALLED})
    return texts


def _lint(items: list[dict]) -> tuple[int, list[dict]]:
    if not (LINT / "node_modules" / "@neo4j-cypher" / "language-support").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LINT, check=True, capture_output=True)
    proc = subprocess.run(["node", "lint.js"], cwd=LINT, input=json.dumps(items), capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, json.loads(proc.stdout or "[]")


def test_every_neo4j_cypher_text_lints_clean():
    texts = neo4j_texts()
    assert len(texts) > 60
    code, diagnostics = _lint([{"name": k, "cypher": v} for k, v in texts.items()])
    errors = [d for d in diagnostics if d["severity"] == "error"]
    assert not errors, json.dumps(errors, indent=1)
    assert code == 0


def test_linter_catches_errors():
    code, diagnostics = _lint([{"name": "bad", "cypher": "MATCH (p:Person) RETURN q"},
                               {"name": "walk", "cypher": "MATCH (p)-[:R* TRAIL 1..3]->(q) RETURN q"}])
    assert code == 1 and {d["name"] for d in diagnostics} == {"bad", "walk"}


def test_no_value_is_pasted_into_query_text():
    """Parameters only: no query text carries a quoted literal other than fixed vocabulary."""
    allowed = {"''", "'intimate'", "'court'", "'co_involved'", "'recent_event_as_partner'",
               "'protected_by_new_order'", "'shared_address'"}
    import re

    for name, text in neo4j_texts().items():
        for lit in re.findall(r"'[^']*'", text):
            assert lit in allowed, (name, lit)


def test_subqueries_filter_parameters_with_where():
    """Ladybug 0.22 answers `EXISTS { MATCH (x {k: $p}) }` with nothing when the query has another
    parameter (graph/dialect.py): subqueries must use `WHERE x.k = $p`."""
    import re

    for name, text in neo4j_texts().items():
        for body in re.findall(r"(?:EXISTS|COUNT)\s*\{([^}]*(?:\{[^}]*\}[^}]*)*)\}", text):
            assert not re.search(r"\{\s*\w+\s*:\s*\$", body), (name, body)
