"""What the command line prints of an extract's text is shown, never obeyed by the terminal: an
``ESC`` sequence or a bidirectional override in a name, a file name or an error is printed as a
visible escape, in tables, disclosure candidates, quarantine rows and one-line errors, and in
every line any command writes (one stream wrapper in ``dots.cli.main``)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from test_cli_contract import COMMANDS, sample_args

from dots import disclose
from dots.cli import main
from dots.failures import CommandError, explain
from dots.output import emit
from dots.terminal import ShownStream, shown

BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
HOSTILE = "Dave\x1b]0;owned\x07 \x1b[2J\x1b[31mHALL\u202eLLAH\x9b6n"


def acted_on(text: str) -> list[str]:
    """Characters a terminal would act on rather than show."""
    return [ch for ch in text if unicodedata.category(ch) == "Cc" or ch in BIDI]


@given(st.text())
@example(HOSTILE)
def test_nothing_a_terminal_acts_on_survives_and_plain_text_is_unchanged(text: str) -> None:
    out = shown(text)
    assert not acted_on(out)
    if not acted_on(text):
        assert out == text
    for ch in acted_on(text):
        assert ch.encode("unicode_escape").decode("ascii") in out  # shown, not dropped


class Released:
    """The s.62 record a command's answer is released through (dots.access.Access.release)."""

    def release(self, ids, count, withheld=0):
        self.ids, self.withheld = list(ids), withheld


def test_a_table_of_names_prints_no_escape_sequence(capsys) -> None:
    frame = pd.DataFrame({"person_id": ["P1", "P2"], "name": [HOSTILE, "Zoë O'Brien"], "count": [3, 1]})
    access = Released()
    emit(frame, argparse.Namespace(out=None, json=False, command="serial-perpetrators", access=access),
         people=["person_id"])
    assert access.ids == ["P1", "P2"]  # logged before printed
    printed = capsys.readouterr().out
    assert not acted_on(printed.replace("\n", ""))
    assert "\\x1b[2J" in printed and "Zoë O'Brien" in printed


def test_disclosure_candidates_print_no_escape_sequence(monkeypatch, capsys, tmp_path) -> None:
    import linkage.search

    hit = {"person_id": "P9", "probability": 0.97, "match_key": "+NAME +DOB", "preferred_name": HOSTILE}
    monkeypatch.setattr(linkage.search, "search", lambda *a, **k: [hit])
    monkeypatch.setattr(disclose, "data_dir", lambda *a, **k: tmp_path)
    args = argparse.Namespace(
        data_dir=None, name="Dave Hall", dob=None, age=None, place=None, limit=10, json=False, access=Released()
    )
    assert disclose.cmd_search(args) == 0
    printed = capsys.readouterr().out
    assert not acted_on(printed.replace("\n", "")) and "P9" in printed and "\\u202e" in printed


def test_a_one_line_error_naming_a_bad_value_prints_no_escape_sequence() -> None:
    line, expected = explain(CommandError(f"cmd.csv row 7, field forename: {HOSTILE!s} is not a name"))
    assert expected and not acted_on(line)
    assert "row 7" in line and "\\x1b]0;owned\\x07" in line
    line, expected = explain(RuntimeError(HOSTILE))
    assert not expected and not acted_on(line)


# -- every line the command writes: one place (dots.terminal.ShownStream), every command ----------
EVIL = "\x1b]0;owned\x07\x1b[2J\u202e"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A world whose Northumbria extract names every person with escape sequences and a bidi
    override, one row with a date of birth and one with a force that are escape sequences, and a
    file name that is one; ingested, resolved and loaded by the command line."""
    root = tmp_path_factory.mktemp("hostile")
    extracts, home = root / "ex", root / "home"
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, home)
        assert main(["synth", "--out", str(extracts), "--people", "300", "--seed", "5"]) == 0
        source = extracts / "northumbria-rms.csv"
        with source.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for i, row in enumerate(rows):
            row["surname"] += EVIL
            if i == 1:
                row["dob"] = EVIL  # a warning whose reason quotes it
            if i == 2:
                row["force"] = "North" + EVIL  # a quarantine reason that quotes it
        with source.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        shutil.copy(extracts / "cleveland-rms.csv", extracts / f"cleveland{EVIL}.csv")
        flat = [str(p) for p in sorted(extracts.glob("*.csv")) if "rms" in p.name or "cleveland" in p.name]
        assert main(["ingest", *flat]) == 0
        assert main(["resolve"]) == 0
        assert main(["graph", "load"]) == 0
    golden = pd.read_parquet(home / "linkage" / "golden.parquet")
    person = golden[golden["preferred_name"].str.contains("\x1b", regex=False)].iloc[0]
    return home, extracts, str(person["person_id"])


def _env(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("DOTS_HOME", str(home))
    mp.setenv("DOTS_PURPOSE", "intelligence")
    mp.setenv("DOTS_REFERENCE", "TERM-1")
    for name in ("NEO4J_URI", "DOTS_DEBUG"):
        mp.delenv(name, raising=False)


def _arguments(path: tuple[str, ...], parser: argparse.ArgumentParser, person: str, out: Path) -> list[str]:
    args = sample_args(parser)
    if path == ("disclose", "search"):
        args = ["--name", f"John Davies{EVIL}"]
    if path == ("export", "network"):
        args[0] = person
    if path == ("ingest",):
        args = [str(out / "missing" / f"x{EVIL}.csv")]  # the one-line refusal names it
    return [*path, *[str(out / "file.csv") if i and args[i - 1] == "--out" else a for i, a in enumerate(args)]]


def test_every_command_writes_nothing_a_terminal_acts_on(hostile, tmp_path, monkeypatch, capsys) -> None:
    """Each command of the parser, its plain and its JSON output, and a wrong use of each: no
    character a terminal would act on reaches stdout or stderr, and JSON stays JSON."""
    home, _, person = hostile
    _env(monkeypatch, home)
    escaped = 0
    for path, parser in COMMANDS:
        if path in (("serve",), ("synth",)):
            continue
        argv = _arguments(path, parser, person, tmp_path)
        has_json = any("--json" in a.option_strings for a in parser._actions)
        for variant in ([argv, [*argv, "--json"]] if has_json else [argv]) + [[*argv, EVIL]]:
            try:
                status = main(variant)
            except SystemExit as exc:  # argparse's refusal of the stray argument
                status = exc.code
            out, err = capsys.readouterr()
            assert not acted_on((out + err).replace("\n", "")), (variant, out[-300:], err)
            if "--json" in variant and status == 0:
                json.loads(out)
            escaped += (out + err).count("\\x1b")
    assert escaped > 0  # the hostile text did reach the output, shown


def test_a_mapping_named_with_escapes_is_shown_in_the_ingest_table(tmp_path, monkeypatch, capsys) -> None:
    """The profile column printed a ``--mapping`` file's name as it was written."""
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        f'name: "people{EVIL.encode("unicode_escape").decode()}"\nfiles:\n  - required: [id, full_name]\n'
        "    emit:\n      person_records:\n        - record_key: {template: 'P/{id}'}\n"
        "          name: {full: full_name}\n"
    )
    people = tmp_path / "people.csv"
    people.write_text("id,full_name\n1,Dave Hall\n")
    _env(monkeypatch, tmp_path / "home")
    assert main(["ingest", str(people), "--mapping", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert not acted_on(out.replace("\n", "")) and "people\\x1b]0;owned" in out


def test_a_stream_keeps_lines_tabs_and_a_progress_bars_return(capsys) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for raw, kept in ((io.StringIO(), "\\r"), (Terminal(), "\r")):
        stream = ShownStream(raw)
        stream.write("\rbar 50%")
        stream.write("a\tb\nc\x1b[2J\u202ed\r\n")
        assert raw.getvalue() == f"{kept}bar 50%a\tb\nc\\x1b[2J\\u202ed\\r\n"
