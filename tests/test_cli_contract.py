"""The command line's contract (shared/spec/cli.md and shared/checks/cli-contract.sh) on inputs it was
not shaped for: global options in either place on every command, empty and missing directories,
bad values, graphs that cannot answer. Every wrong use exits non-zero with one line on stderr."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dots.cli import build_parser
from dots.options import date, force_name

ROOT = Path(__file__).resolve().parents[1]
GLOBALS = {"--data-dir": "/tmp/somewhere", "--graph": "bolt://db.example:7687", "--purpose": "tasking",
           "--reference": "OP-7"}


def run(*args: str, home: Path | None = None, env: dict | None = None, stdin: str | None = None,
        code: str | None = None) -> subprocess.CompletedProcess:
    """``dots ARGS`` (or ``python -c CODE``) as an outside script runs it: no purpose unless given."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("NEO4J_URI", "DOTS_PURPOSE", "DOTS_REFERENCE", "DOTS_HOME", "DOTS_DEBUG")}
    if home is not None:
        environ["DOTS_HOME"] = str(home)
    environ.update(env or {})
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "dots.cli", *args]
    return subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, input=stdin, timeout=300)


def one_line_failure(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# -- the parser: every command, global options before and after ------------------------------------
Leaf = tuple[tuple[str, ...], argparse.ArgumentParser]


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[Leaf]:
    """Every runnable command (``("disclose", "search")``) with its parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    return [leaf for name, child in subs[0].choices.items() for leaf in leaves(child, (*path, name))]


def sample_args(parser: argparse.ArgumentParser) -> list[str]:
    """The fewest arguments the command accepts: each required option and positional, with a value
    its type takes."""
    out: list[str] = []
    for action in parser._actions:
        if action.option_strings and not action.required:
            continue
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        value = (action.choices[0] if action.choices else "2025-01-01" if action.type is date
                 else "Northumbria" if action.type is force_name else "1")
        out += ([action.option_strings[0]] if action.option_strings else []) + [str(value)]
    return out


COMMANDS = leaves(build_parser())


# Every command of shared/spec/cli.md's table (copied here: a clean clone has no ../shared). Those
# not built yet are named in NOT_BUILT, so building one fails this test until it leaves that set.
CONTRACT = {"ingest", "quarantine", "resolve", "export resolution", "export orders", "export events",
            "export breaches", "graph load", "serial-perpetrators", "cross-force-victims", "targets",
            "disclose search", "serve", "user add", "audit verify", "safeguarding bail",
            "safeguarding notices", "safeguarding gaps", "safeguarding encompass", "stats", "erase",
            "retention review", "export network"}
NOT_BUILT: set[str] = set()


def test_every_contract_command_is_there() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert CONTRACT - NOT_BUILT <= names
    assert not NOT_BUILT & names, "built: take it out of NOT_BUILT"


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_global_options_before_or_after_the_command_mean_the_same(path, parser) -> None:
    rest = sample_args(parser)
    given = [x for k, v in GLOBALS.items() for x in (k, v)]
    variants = {
        "before": [*given, *path, *rest],
        "after": [*path, *rest, *given],
        "between": [path[0], *given, *path[1:], *rest],
        "split": [*given[:4], *path, *rest, *given[4:]],
    }
    for where, argv in variants.items():
        args = build_parser().parse_args(argv)
        got = {k: getattr(args, k.lstrip("-").replace("-", "_")) for k in GLOBALS}
        assert got == GLOBALS, (where, argv)
    bare = build_parser().parse_args([*path, *rest])
    assert all(getattr(bare, k.lstrip("-").replace("-", "_")) is None for k in GLOBALS)
    later = build_parser().parse_args(["--data-dir", "/first", *path, *rest, "--data-dir", "/second"])
    assert later.data_dir == "/second"


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help_and_every_reader_is_logged_and_lists_in_json(path, parser) -> None:
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, (path, action.dest)
    defaults = build_parser().parse_args([*path, *sample_args(parser)])
    if getattr(defaults, "access", None) == "consultation":  # a personal-data read
        assert any("--json" in a.option_strings for a in parser._actions), path


# -- what an outside check drives (shared/checks/cli-contract.sh), and variants ------------------
@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> tuple[Path, Path]:
    """One force's extract ingested (no resolution, no graph), and the synthetic extracts."""
    root = tmp_path_factory.mktemp("contract")
    ex, home = root / "ex", root / "dd"
    assert run("synth", "--out", str(ex), "--people", "300", "--seed", "5").returncode == 0
    proc = run("--data-dir", str(home), "ingest", str(ex / "northumbria-rms.csv"), "--json", home=root / "other")
    assert proc.returncode == 0, proc.stderr
    assert not (root / "other").exists() and any(home.iterdir())
    return home, ex


def test_data_dir_before_or_after_ingest_is_where_state_goes(tmp_path, staged) -> None:
    _, ex = staged
    for argv in (["--data-dir", str(tmp_path / "a"), "ingest", str(ex / "cleveland-rms.csv")],
                 ["ingest", str(ex / "cleveland-rms.csv"), "--data-dir", str(tmp_path / "b")]):
        assert run(*argv, home=tmp_path / "env").returncode == 0
    assert (tmp_path / "a" / "staging").is_dir() and (tmp_path / "b" / "staging").is_dir()
    assert not (tmp_path / "env").exists() and not (ROOT / ".dots").exists()


PURPOSE = {"DOTS_PURPOSE": "intelligence", "DOTS_REFERENCE": "CHECK-1"}


@pytest.mark.parametrize(
    ("label", "argv", "where", "says"),
    [
        ("targets unknown force", ["targets", "--force", "Narnia"], "staged", "unknown force"),
        ("graph load on empty dir", ["graph", "load"], "empty", "nothing to load"),
        ("resolve on empty dir", ["resolve"], "empty", "nothing to resolve"),
        ("disclose search on empty dir", ["disclose", "search", "--name", "Dave Smith", "--age", "40"], "empty",
         "run resolve first"),
        ("bad graph URI", ["serial-perpetrators", "--graph", "http://nowhere.invalid"], "staged", "not a Neo4j URI"),
        ("unreachable Neo4j", ["cross-force-victims", "--graph", "bolt://127.0.0.1:9"], "staged", "cannot be reached"),
        ("unknown Neo4j host", ["targets", "--force", "Northumbria", "--graph", "neo4j://nowhere.invalid"], "staged",
         "cannot be reached"),
        ("audit verify on missing dir", ["audit", "verify"], "missing", "no data directory"),
        ("audit verify without a log", ["audit", "verify"], "empty", "nothing to verify"),
        ("negative age", ["disclose", "search", "--name", "Dave Smith", "--age", "-5"], "staged", "--age"),
        ("age not a number", ["disclose", "search", "--name", "Dave Smith", "--age", "forty"], "staged", "--age"),
        ("age and dob together", ["disclose", "search", "--name", "D S", "--age", "4", "--dob", "2000-01-01"],
         "staged", "not allowed"),
        ("bad date", ["targets", "--force", "Northumbria", "--as-of", "2025-02-30"], "staged", "not a date"),
        ("date beyond the calendar", ["serial-perpetrators", "--since", "0001-01-01"], "staged", "a date from"),
        ("zero victims", ["serial-perpetrators", "--min-victims", "0"], "staged", "--min-victims"),
        ("unknown command", ["frobnicate"], "staged", "invalid choice"),
        ("unknown export", ["export", "everything", "--out", "x.csv"], "staged", "invalid choice"),
        ("export without --out", ["export", "orders"], "staged", "--out"),
        ("ingest missing file", ["ingest", "nope.csv"], "staged", "no such file"),
        ("ingest missing file into a new dir", ["ingest", "nope.csv"], "missing", "no such file"),
        ("lists before any graph", ["serial-perpetrators"], "staged", "graph load"),
        ("lists on a missing dir", ["cross-force-victims"], "missing", "no data directory"),
        ("export before resolve", ["export", "resolution", "--out", "r.csv"], "staged", "resolve"),
        ("quarantine on a missing dir", ["quarantine"], "missing", "no data directory"),
        ("unknown role", ["user", "add", "x", "--role", "emperor"], "empty", "invalid choice"),
        ("unknown force for an account", ["user", "add", "x", "--role", "analyst", "--force", "Narnia"], "empty",
         "unknown force"),
        ("weights that are not weights", ["targets", "--force", "Northumbria", "--weights", "luck=3"], "staged",
         "unknown weight"),
    ],
)
def test_wrong_use_is_one_line_and_non_zero(tmp_path, staged, label, argv, where, says) -> None:
    homes = {"staged": staged[0], "empty": tmp_path / "empty", "missing": tmp_path / "missing"}
    homes["empty"].mkdir()
    for order in ("env", "before" if len(label) % 2 else "after"):
        home = homes[where]
        if order == "env":
            proc = run(*argv, home=home, env=PURPOSE)
        elif order == "before":
            proc = run("--data-dir", str(home), *argv, home=tmp_path / "unused", env=PURPOSE)
        else:
            proc = run(*argv, "--data-dir", str(home), home=tmp_path / "unused", env=PURPOSE)
        line = one_line_failure(proc)
        assert says in line, (label, order, line)
        assert not (tmp_path / "unused").exists(), (label, order)
    assert not homes["missing"].exists(), label  # a read never creates the directory it did not find


def test_resolve_of_one_forces_extract_and_version(staged, tmp_path) -> None:
    home, ex = staged
    copy = tmp_path / "one"
    assert run("ingest", str(ex / "northumbria-rms.csv"), home=copy).returncode == 0
    proc = run("resolve", home=copy)
    assert proc.returncode == 0, proc.stderr
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("dots ")


def test_a_list_of_people_with_no_address_goes_all_the_way(tmp_path) -> None:
    """A people-only source with names and dates of birth and nothing else: ingest, resolve, graph
    load and a query each succeed (resolve, then graph load, once ended in internal errors)."""
    (tmp_path / "people.csv").write_text("id,full_name,born\n1,Dave Hall,1980-01-02\n2,David Hall,1980-01-02\n"
                                         "3,Ann Price,\n")
    (tmp_path / "people.yaml").write_text(
        'name: people-only\nfiles:\n  - name: "*"\n    required: [id, full_name]\n    detect: [id, full_name]\n'
        '    emit:\n      person_records:\n        - record_key: {template: "PPL/{id}"}\n'
        '          source_system: {const: "people"}\n          name: {full: full_name}\n'
        '          dob: {column: born, format: "%Y-%m-%d"}\n'
    )
    home = tmp_path / "home"
    reads = {"DOTS_PURPOSE": "intelligence", "DOTS_REFERENCE": "OP-7"}
    for argv in (
        ["ingest", str(tmp_path / "people.csv"), "--mapping", str(tmp_path / "people.yaml")],
        ["resolve"],
        ["graph", "load"],
        ["serial-perpetrators", "--out", str(tmp_path / "sp.csv")],
        ["export", "resolution", "--out", str(tmp_path / "res.csv")],
    ):
        proc = run(*argv, home=home, env=reads)
        assert proc.returncode == 0, (argv, proc.stderr)
    assert len((tmp_path / "res.csv").read_text().strip().splitlines()) == 4  # a header and three records


@pytest.mark.parametrize(
    ("purpose", "reference", "says"),
    [
        (None, None, "purpose and a case or occurrence reference are required"),
        ("intelligence", None, "purpose and a case or occurrence reference are required"),
        (None, "CASE-1", "purpose and a case or occurrence reference are required"),
        ("gossip", "CASE-1", "unknown purpose"),
        ("intelligence", "Dave Smith 12 Elm St", "the reference may hold"),
    ],
)
def test_personal_data_commands_refuse_without_purpose_and_reference(staged, purpose, reference, says) -> None:
    home, _ = staged
    env = {k: v for k, v in (("DOTS_PURPOSE", purpose), ("DOTS_REFERENCE", reference)) if v is not None}
    for argv in (["quarantine"], ["warnings", "--json"], ["export", "orders", "--out", str(home / "o.csv")],
                 ["disclose", "search", "--name", "Dave Smith"]):
        line = one_line_failure(run(*argv, home=home, env=env))
        assert says in line, (argv, line)
    assert not (home / "o.csv").exists()


def test_purpose_on_the_command_line_in_either_place(staged) -> None:
    home, _ = staged
    for argv in (["--purpose", "intelligence", "--reference", "CASE-1", "quarantine", "--json"],
                 ["quarantine", "--json", "--purpose", "intelligence", "--reference", "CASE-1"],
                 ["--purpose", "intelligence", "warnings", "--reference", "CASE-1"]):
        proc = run(*argv, home=home)
        assert proc.returncode == 0, (argv, proc.stderr)
    bad = run("quarantine", "--purpose", "gossip", "--reference", "CASE-1", home=home)
    assert "invalid choice" in one_line_failure(bad)


def test_a_graph_the_server_holds_is_named_in_one_line(tmp_path_factory, tmp_path) -> None:
    """To a command that writes it; a question opens it read only, and answers."""
    from graph.backend import open_graph
    from worlds.testing import copy_world

    home = copy_world(tmp_path_factory.getbasetemp() / "api_sample_world", tmp_path / "held")
    with open_graph(home):  # this process holds the embedded graph, as a running dots serve would
        proc = run("graph", "load", home=home)
        asked = run("serial-perpetrators", home=home, env=PURPOSE)
    line = one_line_failure(proc)
    assert "in use by another process" in line and "dots serve" in line
    assert asked.returncode == 0 and asked.stdout.split()[0] == "person_id", asked.stderr


def test_serve_without_the_api_extra_says_what_to_install(tmp_path) -> None:
    code = ("import sys; sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None; "
            "from dots.cli import main; sys.exit(main(['serve']))")
    line = one_line_failure(run(code=code, home=tmp_path / "h"))
    assert "pip install 'dots[api]'" in line


def test_a_fault_in_the_code_is_one_line_and_debug_shows_it(tmp_path) -> None:
    code = ("import sys, linkage.search as s; s.search = lambda *a, **k: 1 / 0; "
            "from dots.cli import main; sys.exit(main(['disclose', 'search', '--name', 'A B']))")
    home = tmp_path / "h"
    home.mkdir()
    line = one_line_failure(run(code=code, home=home, env=PURPOSE))
    assert line.startswith("dots disclose search: internal error (ZeroDivisionError")
    debug = run(code=code, home=home, env={**PURPOSE, "DOTS_DEBUG": "1"})
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_audit_verify_reports_a_broken_chain_in_one_line(staged, tmp_path) -> None:
    """A refused read is logged too, so the staged directory has a log; cut its tail and verify."""
    import shutil
    import sqlite3

    home = tmp_path / "copy"
    shutil.copytree(staged[0], home)
    for _ in range(2):
        run("quarantine", home=home)  # refused without a purpose: still two records
    assert run("audit", "verify", home=home).returncode == 0
    db = sqlite3.connect(home / "state" / "dots.sqlite")
    with db:
        db.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        db.execute("UPDATE audit_head SET seq = seq - 1")
    db.close()
    line = one_line_failure(run("audit", "verify", home=home))
    assert "chain broken" in line


def test_every_file_the_cli_writes_is_defused(tmp_path) -> None:
    """Cells a spreadsheet would run (= + - @, tab, CR, also after spaces) are written as text, in
    CSV and XLSX; and nothing in dots/ writes a file any other way."""
    import csv
    import io

    import pandas as pd
    from openpyxl import load_workbook

    from dots.output import write_table

    evil = ["=cmd|' /C calc'!A0", "+44 7700", "-1+1", "@SUM(A1)", "\tx", "\rx", "  =1+1"]
    frame = pd.DataFrame({"name": [*evil, "Zoë Ann"], "n": range(len(evil) + 1)})
    write_table(frame, tmp_path / "t.csv", "t")
    write_table(frame, tmp_path / "t.xlsx", "t")
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads Zoë as written
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))[1:]
    sheet = load_workbook(tmp_path / "t.xlsx").worksheets[0]
    cells = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    for text, got_csv, got_xlsx in zip(evil, [r[0] for r in rows], cells, strict=False):
        assert got_csv == "'" + text and got_xlsx == "'" + text, text
    assert rows[-1] == ["Zoë Ann", str(len(evil))] and cells[-1] == "Zoë Ann"
    writers = [p.name for p in (ROOT / "dots").glob("*.py")
               if any(w in p.read_text() for w in (".to_csv(", ".to_excel(", "csv.writer(", "Workbook("))]
    assert writers == []
