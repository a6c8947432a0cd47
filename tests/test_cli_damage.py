"""The command line against data directories it did not make: damaged files, a file where a folder
belongs, a pipe or a broken link among the extracts. Every command of the parser, not a hand list,
answers in one line that names what is wrong, never "internal error (ArrowInvalid: ...)".

Commands run in this process (``dots.cli.main``) so that a world and its damaged copies cost
seconds; what reaches stderr is what a person at a terminal would read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli_contract import COMMANDS, sample_args

from api.config import database_url
from api.store.db import dispose
from dots.cli import main

SKIP = {("serve",), ("synth",)}  # serve runs until stopped; synth reads no data directory


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Synthetic extracts taken through ingest, resolve and graph load (the data directory)."""
    root = tmp_path_factory.mktemp("damage")
    extracts, home = root / "ex", root / "home"
    with pytest.MonkeyPatch.context() as mp:
        quiet(mp, home)
        assert main(["synth", "--out", str(extracts), "--people", "300", "--seed", "5"]) == 0
        flat = [str(p) for p in sorted(extracts.glob("*-rms.csv"))]
        assert main(["ingest", *flat, "--json"]) == 0
        assert main(["resolve"]) == 0
        assert main(["graph", "load"]) == 0
    dispose(database_url(home))  # as when the process ends: the log's write-ahead file folded in
    return home, extracts


def quiet(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("DOTS_HOME", str(home))
    mp.setenv("DOTS_PURPOSE", "intelligence")
    mp.setenv("DOTS_REFERENCE", "DAMAGE-1")
    for name in ("NEO4J_URI", "DOTS_DEBUG", "DOTS_DATABASE_URL", "DOTS_AUDIT_KEY", "DOTS_AUDIT_KEY_FILE",
                 "DOTS_AUDIT_CHECKPOINT"):
        mp.delenv(name, raising=False)


def argv_for(path: tuple[str, ...], parser, out: Path, extracts: Path) -> list[str]:  # noqa: ANN001
    """The command with the fewest arguments it takes; files written under ``out``."""
    if path == ("ingest",):
        return ["ingest", str(extracts / "cleveland-rms.csv")]
    args = sample_args(parser)
    args = [str(out / "file.csv") if i and args[i - 1] == "--out" else a for i, a in enumerate(args)]
    return [*path, *args]


def _garbage(pattern: str, text: bytes) -> Callable[[Path], None]:
    def damage(home: Path) -> None:
        for f in home.rglob(pattern):
            f.write_bytes(text)
    return damage


def _truncated(home: Path) -> None:
    for f in home.rglob("*.parquet"):
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _file_for(folder: str) -> Callable[[Path], None]:
    def damage(home: Path) -> None:
        shutil.rmtree(home / folder)
        (home / folder).write_text("not a folder")
    return damage


def _graph(home: Path) -> None:
    graph = home / "graph" / "pole.lbdb"
    shutil.rmtree(graph) if graph.is_dir() else graph.unlink()
    graph.write_bytes(b"garbage" * 1000)


DAMAGE = {
    "garbage parquet": (_garbage("*.parquet", b"PAR1 not parquet"), "a data file cannot be read"),
    "truncated parquet": (_truncated, "a data file cannot be read"),
    "garbage json": (_garbage("*.json", b"{not json"), "not valid JSON"),
    "garbage state store": (_garbage("dots.sqlite", b"garbage" * 100), "the state store"),
    "garbage graph": (_graph, "the embedded graph"),
    "state is a file": (_file_for("state"), "not a folder"),
    "staging is a file": (_file_for("staging"), "not a folder"),
    "linkage is a file": (_file_for("linkage"), "not a folder"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_every_command_on_a_damaged_data_directory_says_what_is_wrong_in_one_line(
    world, tmp_path, monkeypatch, capsys, damage: str
) -> None:
    home, extracts = world
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    harm, says = DAMAGE[damage]
    harm(copy)
    quiet(monkeypatch, copy)
    answered = []
    for path, parser in COMMANDS:
        if path in SKIP:
            continue
        argv = argv_for(path, parser, tmp_path, extracts)
        status = main(argv)
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert "internal error" not in err and "Traceback" not in err, (damage, argv, err)
        if status:
            assert len(lines) == 1, (damage, argv, err)
            answered.append(lines[0])
    assert any(says in line for line in answered), (damage, answered)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"NEO4J_URI": "neo4j://[::1"}, "not a usable Neo4j URI"),  # urlsplit's ValueError was an internal error
        ({"DOTS_DATABASE_URL": "nonsense"}, "DOTS_DATABASE_URL is not a database URL"),  # and ArgumentError
        ({"DOTS_DATABASE_URL": "postgresql://x@127.0.0.1:1/db"}, "DOTS_DATABASE_URL"),  # no driver, or no server
    ],
)
def test_environment_variables_pointing_at_nonsense_are_one_line(world, monkeypatch, capsys, env, says) -> None:
    home, _ = world
    quiet(monkeypatch, home)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for argv in (["serial-perpetrators"], ["quarantine"]):
        if "NEO4J_URI" in env and argv == ["quarantine"]:
            continue  # reads no graph
        assert main(argv) == 1
        [line] = capsys.readouterr().err.strip().splitlines()
        assert says in line and "internal error" not in line, line


def test_a_data_directory_that_is_a_file_is_named_so(tmp_path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    home.write_text("a file")
    quiet(monkeypatch, home)
    for argv in (["ingest", str(home)], ["quarantine"], ["user", "add", "u1", "--role", "analyst"]):
        assert main(argv) == 1
        [line] = capsys.readouterr().err.strip().splitlines()
        assert "is a file, not a data directory" in line, line


def test_a_pipe_or_a_broken_link_among_the_extracts_is_refused_alone(world, tmp_path, monkeypatch, capsys) -> None:
    """A pipe was walked as a folder (the ingest stopped, naming nothing useful) or would be read
    until a writer came; a broken link stopped the whole folder. Each is refused by name and every
    other file still loads."""
    import json

    _, extracts = world
    folder = tmp_path / "delivery"
    folder.mkdir()
    shutil.copy(extracts / "cleveland-rms.csv", folder / "cleveland-rms.csv")
    os.mkfifo(folder / "pipe.csv")
    (folder / "broken.csv").symlink_to(tmp_path / "gone.csv")
    quiet(monkeypatch, tmp_path / "home")
    assert main(["ingest", str(folder), "--json"]) == 1
    captured = capsys.readouterr()
    files = {Path(f["path"]).name: f for f in json.loads(captured.out)["files"]}
    assert files["cleveland-rms.csv"]["status"] == "loaded" and files["cleveland-rms.csv"]["loaded"] > 0
    assert files["pipe.csv"]["status"] == files["broken.csv"]["status"] == "refused"
    assert "not a regular file" in files["pipe.csv"]["error"]
    assert "cannot read" in files["broken.csv"]["error"]


def test_a_part_left_without_its_summary_is_loaded_again_not_reported_loaded(world, tmp_path, monkeypatch,
                                                                           capsys) -> None:
    """A part folder without its summary.json (a restore or copy cut short) is skipped by every reader,
    yet ingesting the extract again said "loaded" and kept it: every row of the file lost unnoticed."""
    from staging.store import StagingStore

    _, extracts = world
    home = tmp_path / "home"
    quiet(monkeypatch, home)
    assert main(["ingest", str(extracts / "cleveland-rms.csv")]) == 0
    store = StagingStore(home)
    people = len(store.read("person_records"))
    [part] = store.parts()
    (part.path / "summary.json").unlink()
    shutil.rmtree(store.deliveries_dir)  # the exact bytes are not known either: the content is parsed again
    assert len(store.read("person_records")) == 0
    assert main(["ingest", str(extracts / "cleveland-rms.csv")]) == 0
    assert len(store.read("person_records")) == people > 0
    assert [p.path.name for p in store.parts()] == [part.path.name]
    assert main(["ingest", str(extracts / "cleveland-rms.csv"), "--json"]) == 0
    assert '"already loaded"' in capsys.readouterr().out


def test_an_export_before_resolve_refuses_rather_than_write_an_empty_table(world, tmp_path, monkeypatch,
                                                                            capsys) -> None:
    """``export resolution`` refused; ``export orders`` wrote a header alone, read as "no orders"."""
    _, extracts = world
    quiet(monkeypatch, tmp_path / "home")
    assert main(["ingest", str(extracts / "court-orders.csv")]) == 0
    capsys.readouterr()
    for table in ("orders", "events", "breaches", "addresses", "resolution"):
        out = tmp_path / f"{table}.csv"
        assert main(["export", table, "--out", str(out)]) == 1
        [line] = capsys.readouterr().err.strip().splitlines()
        assert "run 'dots resolve' first" in line and not out.exists(), line


def test_a_failure_that_cannot_be_logged_is_still_one_line(world, tmp_path, monkeypatch, capsys) -> None:
    """The refusal and the reason it could not be logged were two lines on stderr."""
    home, _ = world
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    (copy / "state" / "dots.sqlite").write_bytes(b"garbage" * 100)
    quiet(monkeypatch, copy)
    assert main(["export", "network", "NOBODY", "--format", "graphml", "--out", str(tmp_path / "n.graphml")]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no such person" in line and "could not be logged" in line and "state store" in line


def test_the_cli_warns_when_the_audit_key_is_kept_beside_the_data(world, tmp_path, monkeypatch, capsys) -> None:
    """The server refuses to start so (api.config.check_key_placement); the command line, whose
    scripted forms must keep working, says so in one line after it writes or verifies the log."""
    home, _ = world
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    quiet(monkeypatch, copy)
    monkeypatch.delenv("DOTS_DEMO")
    for argv in (["quarantine"], ["audit", "verify"]):
        assert main(argv) == 0
        [line] = capsys.readouterr().err.strip().splitlines()
        assert line.startswith(f"dots {' '.join(argv)}: warning: the audit key") and "DOTS_AUDIT_KEY_FILE" in line
    assert main(["resolve", "--json"]) == 0 and "warning" in capsys.readouterr().err  # logged too (combination)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    monkeypatch.setenv("DOTS_AUDIT_KEY_FILE", str(secrets / "audit.key"))
    monkeypatch.setenv("DOTS_AUDIT_CHECKPOINT", str(secrets / "audit.checkpoint"))
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("DOTS_HOME", str(fresh))
    assert main(["ingest", str(world[1] / "cleveland-rms.csv")]) == 0
    assert main(["quarantine"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("DOTS_DEMO", "1")
    monkeypatch.setenv("DOTS_HOME", str(copy))
    monkeypatch.delenv("DOTS_AUDIT_KEY_FILE")
    monkeypatch.delenv("DOTS_AUDIT_CHECKPOINT")
    assert main(["quarantine"]) == 0 and capsys.readouterr().err == ""  # a demonstration says so


def test_a_failing_command_keeps_its_one_line_without_the_warning(tmp_path, monkeypatch, capsys) -> None:
    quiet(monkeypatch, tmp_path / "missing")
    monkeypatch.delenv("DOTS_DEMO")
    assert main(["quarantine"]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1

