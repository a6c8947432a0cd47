"""What the command line prints of an extract's text is shown, never obeyed by the terminal: an
``ESC`` sequence or a bidirectional override in a name, a file name or an error is printed as a
visible escape, in tables, disclosure candidates, quarantine rows and one-line errors."""

from __future__ import annotations

import argparse
import unicodedata

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from dots import disclose
from dots.failures import CommandError, explain
from dots.output import emit
from dots.terminal import shown

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


def test_a_table_of_names_prints_no_escape_sequence(capsys) -> None:
    frame = pd.DataFrame({"person_id": ["P1", "P2"], "name": [HOSTILE, "Zoë O'Brien"], "count": [3, 1]})
    emit(frame, argparse.Namespace(out=None, json=False, command="serial-perpetrators"))
    printed = capsys.readouterr().out
    assert not acted_on(printed.replace("\n", ""))
    assert "\\x1b[2J" in printed and "Zoë O'Brien" in printed


def test_disclosure_candidates_print_no_escape_sequence(monkeypatch, capsys, tmp_path) -> None:
    import linkage.search

    class Released:
        def release(self, ids, count):
            self.ids = list(ids)

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
