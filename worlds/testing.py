"""Helpers the API's tests share (in worlds/ because tests/ holds test modules only).

``fresh_store`` gives each test a clean state store: SQLite in a temporary directory, or the
PostgreSQL database named by ``DOTS_DATABASE_URL`` emptied and migrated again, so the same tests
cover both engines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.config import Settings

ROOT = Path(__file__).resolve().parents[1]

PASSWORD = "correct horse battery staple"
ACCOUNTS: dict[str, tuple[str, list[str], bool]] = {
    # name: role, forces, national
    "analyst": ("analyst", ["Northumbria"], False),
    "analyst_durham": ("analyst", ["Durham"], False),
    "analyst_national": ("analyst", [], True),
    "da_team": ("da_team", ["Northumbria"], False),
    "disclosure": ("disclosure_officer", ["Northumbria"], False),
    "disclosure_national": ("disclosure_officer", [], True),
    "steward": ("data_steward", ["Northumbria"], False),
    "steward_national": ("data_steward", [], True),
    "auditor": ("auditor", [], False),
    "admin": ("admin", [], True),  # the national admin: grants any force and national scope
    "admin_northumbria": ("admin", ["Northumbria"], False),  # works within Northumbria only
    "psd": ("professional_standards", ["Northumbria"], False),  # sees walled workforce records in full
}
ROLE_ACCOUNT = {
    "analyst": "analyst",
    "da_team": "da_team",
    "disclosure_officer": "disclosure",
    "data_steward": "steward_national",
    "auditor": "auditor",
    "admin": "admin",
    "professional_standards": "psd",
}


_BASE_URL = os.environ.get("DOTS_DATABASE_URL")  # the scratch PostgreSQL database, if any


def fresh_store(data_dir: Path) -> str:
    """A state-store URL with nothing in it for this data directory.

    SQLite: the directory's own file, deleted. PostgreSQL (``DOTS_DATABASE_URL`` set when the
    tests started): a schema of its own in that database, dropped and created again, and
    ``DOTS_DATABASE_URL`` pointed at it so ``add_user`` and ``verify_chain`` find the same store."""
    import hashlib

    from api.store.db import dispose

    if not _BASE_URL:
        state = Path(data_dir) / "state"
        url = f"sqlite:///{state / 'dots.sqlite'}"
        dispose(url)
        for name in ("dots.sqlite", "dots.sqlite-wal", "dots.sqlite-shm"):
            (state / name).unlink(missing_ok=True)
        return url
    from sqlalchemy import create_engine, text

    schema = "t_" + hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    admin = create_engine(_BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = f"{_BASE_URL}{'&' if '?' in _BASE_URL else '?'}options=-csearch_path%3D{schema}"
    dispose(url)
    os.environ["DOTS_DATABASE_URL"] = url
    return url


def settings(data_dir: Path, **overrides: Any) -> Settings:
    Path(data_dir, "state").mkdir(parents=True, exist_ok=True)
    return Settings(data_dir=Path(data_dir), database_url=fresh_store(data_dir), **overrides)


def add_accounts(data_dir: Path) -> None:
    from api.auth.users import add_user

    for name, (role, forces, national) in ACCOUNTS.items():
        add_user(data_dir, name, role, forces, PASSWORD, national=national)


def copy_world(base: Path, target: Path) -> Path:
    """A private copy of the sample world (built once into ``base``) that a test module may change."""
    from worlds.api import ensure

    ensure(base)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target, ignore=shutil.ignore_patterns("state"))
    return target


# more accounts for a test module: name -> role, forces, national, employee ref
ExtraAccounts = dict[str, tuple[str, list[str], bool, str | None]]


@contextmanager
def app_with_accounts(data_dir: Path, extra: ExtraAccounts | None = None, **overrides: Any) -> Iterator[Any]:
    """A running app (TestClient) over ``data_dir`` with a fresh state store holding the test
    accounts (:data:`ACCOUNTS`) and ``extra`` ones; ``overrides`` go to its :class:`Settings`."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth.users import add_user

    s = settings(data_dir, **overrides)  # a fresh state store first, then the accounts in it
    add_accounts(data_dir)
    for name, (role, forces, national, ref) in (extra or {}).items():
        add_user(data_dir, name, role, forces, PASSWORD, national=national, employee_ref=ref)
    with TestClient(create_app(data_dir, settings=s)) as client:
        yield client


@contextmanager
def sample_client(tmp_path_factory: Any, name: str, **overrides: Any) -> Iterator[tuple[Any, Path]]:
    """A running app (TestClient) over a private copy of the sample world with the test accounts,
    and its data directory: what a test module of the API starts from."""
    data_dir = copy_world(tmp_path_factory.getbasetemp() / "api_sample_world", tmp_path_factory.mktemp(name))
    with app_with_accounts(data_dir, **overrides) as client:
        yield client, data_dir


@contextmanager
def synth_client(tmp_path_factory: Any, name: str, people: int, seed: int) -> Iterator[tuple[Any, Path]]:
    """A running app (TestClient) over the product's synthetic extracts of ``people`` (``seed``),
    taken through the whole pipeline, with the test accounts; and its data directory."""
    import pipeline
    from synth.generate import generate

    root = tmp_path_factory.mktemp(name)
    extracts, data_dir = root / "extracts", root / "data"
    generate(extracts, people=people, seed=seed)
    pipeline.run(data_dir, [p for p in sorted(extracts.iterdir()) if p.name != "truth"])
    with app_with_accounts(data_dir) as client:
        yield client, data_dir


def bearer(client: Any, name: str) -> dict[str, str]:
    """The Authorization header of a test account signed in with its password."""
    r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


_signed_in: dict[tuple[int, str], dict[str, str]] = {}


def signed_in(client: Any, name: str) -> dict[str, str]:
    """:func:`bearer`, signed in once per app and account (module-scoped worlds sign in many times;
    each world's app has its own accounts, so the app is part of the key)."""
    key = (id(client.app), name)
    if key not in _signed_in:
        _signed_in[key] = bearer(client, name)
    return _signed_in[key]


@pytest.fixture(scope="module", name="client")
def world_client(world: tuple[Any, ...]) -> Any:
    """The app (TestClient) of the test module's own ``world`` fixture, its first item. A test
    module takes it with ``from worlds.testing import world_client`` (the fixture is ``client``)."""
    return world[0]


def found(strings: Any, text: str) -> list[str]:
    """Which of ``strings`` stand in ``text`` as whole words, in any case: what a walled or withheld
    answer must not carry (``[]`` when it carries none)."""
    return [s for s in strings if re.search(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", text, re.I)]


# the graph this process opens (graph.backend.open_graph reads them): a test's CLI never inherits
# them unless it asks (same_graph), so a world the command line built stays the embedded one in its
# data directory; and a purpose and reference (each test says why it reads)
_GRAPH = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD")
_WHY = ("DOTS_PURPOSE", "DOTS_REFERENCE")


def dots(*args: str, home: Path, check: bool = False, stdin: str | None = None, env: dict[str, str] | None = None,
         same_graph: bool = False, timeout: float = 600, **more_env: str) -> subprocess.CompletedProcess:
    """``dots ARGS`` run as a user would (``python -m dots.cli``, from the repository, with
    ``DOTS_HOME=home``), output captured as text. The process's environment is this one's without
    NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD and DOTS_PURPOSE/DOTS_REFERENCE, plus ``more_env`` and then
    ``env`` (a test that wants a purpose or a Neo4j passes them). ``same_graph``: the command opens
    the graph this process opens (the NEO4J_* variables passed on), for a world built in-process
    (``pipeline.run``) that the command then reads: with NEO4J_URI set that world is in Neo4j, not
    in the data directory. ``check``: the command must succeed. Whatever it returns, the CLI must
    not print a traceback (cli.md: one line)."""
    drop = _WHY if same_graph else (*_GRAPH, *_WHY)
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    environ.update({"DOTS_HOME": str(home), **more_env, **(env or {})})
    proc = subprocess.run([sys.executable, "-m", "dots.cli", *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, input=stdin, timeout=timeout)
    assert "Traceback" not in proc.stderr, (args, proc.stderr[-2000:])
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def last_record(home: Path) -> dict[str, Any]:
    """The last entry of the s.62 log in ``home``'s SQLite state store (what a command just wrote),
    its ``person_ids`` a set."""
    db = sqlite3.connect(Path(home) / "state" / "dots.sqlite")
    db.row_factory = sqlite3.Row
    try:
        row = db.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        db.close()
    return {**dict(row), "person_ids": set(json.loads(row["person_ids"]))}


def cli_world(root: Path, people: int, seed: int, run: Any = dots) -> tuple[Path, Path]:
    """Synthetic extracts of ``people`` (``seed``) under ``root``, taken through ingest, resolve and
    graph load by the command line with ``run`` (a test module's :func:`dots`): (home, extracts)."""
    home, extracts = root / "home", root / "extracts"
    run("synth", "--out", str(extracts), "--people", str(people), "--seed", str(seed), home=home, check=True)
    run("ingest", *[str(p) for p in sorted(extracts.iterdir()) if p.name != "truth"], "--json", home=home, check=True)
    run("resolve", "--json", home=home, check=True)
    run("graph", "load", home=home, check=True)
    return home, extracts


def read_entry(path: str, **fields: Any) -> Any:
    """An audit entry for a consultation of ``path`` (tests of the chain itself)."""
    from api.policy.audit import Entry

    return Entry(operation="consultation", method="GET", route="/x", path=path, outcome="ok", status=200, **fields)
