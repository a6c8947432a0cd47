"""The contracts between the layers hold: the import-linter contracts in pyproject.toml (data flows
one way, no router imports another, no import cycle, linkage reached only through its public
surface, the stages run only by the pipeline), and no import is guarded by ``except ImportError``
(a missing dependency must fail loudly, not switch a feature off)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = CONFIG["root_packages"]


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint), "--no-cache", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    contracts = {c["id"] for c in CONFIG["contracts"]}
    assert {"layers", "routers", "acyclic", "linkage-surface", "stages"} <= contracts
    assert f"Contracts: {len(contracts)} kept, 0 broken." in proc.stdout


def _guarded_lines(source: str) -> list[int]:
    """Lines of the ``except`` clauses in ``source`` that catch ImportError or ModuleNotFoundError."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names = {c.id for c in caught if isinstance(c, ast.Name)} | {
                c.attr for c in caught if isinstance(c, ast.Attribute)
            }
            if names & {"ImportError", "ModuleNotFoundError"}:
                found.append(node.lineno)
    return found


def test_no_import_is_guarded() -> None:
    modules = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    assert len(modules) > 100  # the whole product (and its worlds) was scanned
    guarded = [f"{p.relative_to(ROOT)}:{line}" for p in modules for line in _guarded_lines(p.read_text())]
    assert guarded == []


def test_the_guard_finder_finds_guards_however_written() -> None:
    source = (
        "try:\n    import x\nexcept ImportError:\n    x = None\n"
        "try:\n    import y\nexcept (ValueError, ModuleNotFoundError):\n    y = None\n"
        "try:\n    import z\nexcept builtins.ImportError as e:\n    z = e\n"
        "try:\n    import w\nexcept Exception:\n    w = None\n"
    )
    assert _guarded_lines(source) == [3, 7, 11]
