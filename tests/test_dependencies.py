"""`pip install .` (no extras) runs every command but `dots serve`: the core dependencies in
pyproject.toml are complete.

The commands run in one fresh interpreter that cannot import anything the core dependencies do not
bring (the extras' packages, the test tools, the worlds): a module the product needs but only an
extra declares fails the command there, as it would on a machine that installed the wheel alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _closure(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` install, with everything they require in turn."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        todo.extend(Requirement(r) for r in requires)
    return seen


def _unavailable() -> list[str]:
    """Top-level modules of installed distributions that `pip install .` would not bring."""
    core = _closure(PROJECT["dependencies"]) | {canonicalize_name(PROJECT["name"])}
    out = []
    for module, dists in metadata.packages_distributions().items():
        if not any(canonicalize_name(d) in core for d in dists) and not module.startswith("_"):
            out.append(module)
    return sorted(out) + ["worlds"]


RUNNER = """
import contextlib, io, json, sys
from importlib.abc import MetaPathFinder

BLOCKED = set(json.loads(sys.argv[1]))


class Uninstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not a core dependency)", name=name)
        return None


sys.meta_path.insert(0, Uninstalled())
from dots.cli import main  # noqa: E402

results = []
for argv, stdin in json.loads(sys.argv[2]):
    sys.stdin = io.StringIO(stdin or "")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except BaseException as exc:  # what the command let out, to report below
            code = f"{type(exc).__name__}: {exc}"
    results.append([argv[0], code, err.getvalue()[-500:]])
print(json.dumps(results))
"""


def test_every_command_but_serve_runs_on_the_core_dependencies(tmp_path: Path) -> None:
    blocked = _unavailable()
    assert {"fastapi", "uvicorn", "faker", "pytest"} <= set(blocked)  # the extras really are left out
    home, extracts = tmp_path / "home", tmp_path / "extracts"
    d = ["--data-dir", str(home), "--purpose", "administration", "--reference", "DEP-1"]  # reads are logged (s.62)
    commands: list[tuple[list[str], str | None]] = [
        (["synth", "--out", str(extracts), "--people", "300", "--seed", "5", *d], None),
        (["ingest", *(str(extracts / f) for f in ("northumbria-rms.csv", "durham", "court-orders.csv")), *d], None),
        (["quarantine", *d], None),
        (["resolve", *d], None),
        (["export", "resolution", "--out", str(tmp_path / "resolution.csv"), *d], None),
        (["export", "orders", "--out", str(tmp_path / "orders.csv"), *d], None),
        (["graph", "load", *d], None),
        (["serial-perpetrators", *d], None),
        (["cross-force-victims", *d], None),
        (["targets", "--force", "Northumbria", *d], None),
        (["disclose", "search", "--name", "David Smith", "--age", "40", *d], None),
        # the first person of the seeded Northumbria extract (the same seed writes the same files)
        (["erase", "Northumbria/NOR00010036", "--reason", "recorded in error", *d], None),
        (["user", "add", "admin", "--role", "admin", "--national", "--password-stdin", *d], "a long enough password"),
        (["audit", "verify", *d], None),
    ]
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(blocked), json.dumps(commands)],
        cwd=tmp_path,  # not the repository: only what is installed is importable
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    failed = [r for r in results if r[1] != 0]
    assert not failed, failed
    assert [r[0] for r in results] == [c[0][0] for c in commands]
