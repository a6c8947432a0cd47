"""Which graph a command reads, checked before the command waits on it.

An embedded graph that was never loaded would be created empty and answer "(no rows)"; a Neo4j
server that cannot be reached would be retried for half a minute by the driver's transaction
retries before failing with a page of traceback. Both are refused here in one line.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import urlsplit

from dots.failures import CommandError

NEO4J_SCHEMES = ("neo4j", "bolt")  # and their +s / +ssc forms


def graph_uri(args: argparse.Namespace, home: Path, must_exist: bool = True) -> str | None:
    """``--graph``, else ``NEO4J_URI``, else None (the embedded graph under ``home``), after
    checking that it can answer: a Neo4j server is reachable with the credentials given, an
    embedded graph has been loaded (``must_exist``)."""
    uri = getattr(args, "graph", None) or os.environ.get("NEO4J_URI") or None
    if uri is None:
        if must_exist and not (home / "graph" / "pole.lbdb").exists():
            raise CommandError(f"no graph in {home}: run 'dots graph load' first")
        return None
    try:
        scheme = urlsplit(uri).scheme
    except ValueError as exc:  # neo4j://[::1 (an unclosed IPv6 address)
        raise CommandError(f"not a usable Neo4j URI {uri!r}: {exc}") from exc
    if scheme.split("+")[0] in NEO4J_SCHEMES:
        _reachable(uri)
    return uri  # any other scheme is refused by graph.backend.open_graph in one line


def _reachable(uri: str) -> None:
    from neo4j import GraphDatabase

    user = os.environ.get("NEO4J_USER", "neo4j")
    auth = (user, os.environ.get("NEO4J_PASSWORD")) if user else None
    try:
        with GraphDatabase.driver(uri, auth=auth, connection_timeout=5, connection_acquisition_timeout=10) as driver:
            driver.verify_connectivity()
    except ValueError as exc:  # a malformed URI
        raise CommandError(f"not a usable Neo4j URI {uri!r}: {exc}") from exc
