"""`dots stats` and `dots retention review` as an outside check drives them: the contract columns,
the s.62 record of each read, and wrong use refused in one line with no traceback (bad dates, a
period that ends before it starts, an unknown force or breakdown, an empty data directory)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.test_cli import dots
from worlds.testing import cli_world

WHY = ("--purpose", "statistics", "--reference", "STATS-2025")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return cli_world(tmp_path_factory.mktemp("cli_stats"), 400, 23, dots)[0]


def _last_audit(home: Path) -> tuple:
    with sqlite3.connect(home / "state" / "dots.sqlite") as db:
        return db.execute("SELECT route, purpose, reference, person_ids, count, method, outcome FROM audit_log "
                          "ORDER BY seq DESC LIMIT 1").fetchone()


def test_stats_writes_the_contract_columns_and_is_logged(world, tmp_path) -> None:
    out = tmp_path / "stats.csv"
    dots("stats", "--force", "Northumbria", "--from", "2016-01-01", "--to", "2025-06-30", "--by", "sex,age,ethnicity",
         "--out", str(out), *WHY, home=world)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns[:3]) == ["measure", "breakdown", "value"]
    assert {"da_incidents", "da_crimes", "da_victims", "repeat_victims", "da_arrest_rate", "marac_referrals",
            "cps_outcomes", "victim_satisfaction"} <= set(frame["measure"])
    counts = frame[frame["status"] == "published"]
    assert counts["value"].ne("").all() and not counts["value"].isin(["1", "2", "3", "4"]).any()
    assert (frame.loc[frame["status"].isin(["suppressed", "not_held"]), "value"] == "").all()
    assert (frame.loc[frame["breakdown"] == "ethnicity", "status"] == "not_held").all()
    assert not counts.loc[~counts["measure"].str.endswith("_rate"), "value"].str.contains(r"\.").any()  # whole numbers
    route, purpose, reference, people, count, method, outcome = _last_audit(world)
    assert (route, purpose, reference, method, outcome) == ("dots stats", "statistics", "STATS-2025", "CLI", "ok")
    assert count == len(frame) and json.loads(people) == []
    shown = dots("stats", "--force", "Northumbria", "--from", "2016-01-01", "--to", "2025-06-30", "--json",
                 *WHY, home=world)
    assert json.loads(shown.stdout)["rows"][0]["measure"] == "da_incidents"


def test_retention_review_writes_the_contract_columns_and_is_logged(world, tmp_path) -> None:
    out = tmp_path / "review.csv"
    dots("retention", "review", "--as-of", "2031-01-01", "--out", str(out), *WHY, home=world)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns[:3]) == ["record_key", "group", "review_on"] and len(frame)
    assert set(frame["group"]) <= {"1", "2", "3"} and (frame["review_on"] <= "2031-01-01").all()
    route, _, _, people, count, _, _ = _last_audit(world)
    named = {p for cell in frame["person_ids"] for p in cell.split(";") if p}
    assert route == "dots retention review" and count == len(frame) and named <= set(json.loads(people))
    # an earlier day lists fewer; the default day is today
    early = tmp_path / "early.csv"
    dots("retention", "review", "--as-of", "2020-01-01", "--out", str(early), *WHY, home=world)
    assert len(pd.read_csv(early, encoding="utf-8-sig")) < len(frame)
    assert dots("retention", "review", "--json", *WHY, home=world).returncode == 0


def _one_line(proc) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


STATS = ["stats", "--force", "Northumbria", "--from", "2020-01-01", "--to", "2020-12-31"]


@pytest.mark.parametrize(("argv", "says"), [
    (["stats", "--force", "Northumbria", "--from", "2020-02-30", "--to", "2020-12-31"], "not a date"),
    (["stats", "--force", "Northumbria", "--from", "01/02/2020", "--to", "2020-12-31"], "not a date"),
    (["stats", "--force", "Northumbria", "--from", "2021-01-01", "--to", "2020-12-31"], "is after --to"),
    (["stats", "--force", "Narnia", "--from", "2020-01-01", "--to", "2020-12-31"], "unknown force"),
    (["stats", "--force", "Kent", "--from", "2020-01-01", "--to", "2020-12-31"], "holds no records of it"),
    ([*STATS, "--by", "sex,religion"], "unknown breakdown"),
    ([*STATS, "--by", ""], None),  # no breakdown at all: allowed (the totals only)
    (["stats", "--from", "2020-01-01", "--to", "2020-12-31"], "--force"),
    ([*STATS, "--rules", "/nonexistent/rules.yaml"], "cannot read the statistics rules"),
    (["retention", "review", "--as-of", "2020-13-01"], "not a date"),
    (["retention", "review", "--force", "Kent"], "unknown force"),
    (["retention", "review", "--rules", "/nonexistent/rules.yaml"], "cannot read the retention rules"),
    (["retention"], "choose from 'review'"),
])
def test_wrong_use_is_one_line(world, tmp_path, argv, says) -> None:
    proc = dots(*argv, "--out", str(tmp_path / "x.csv"), *WHY, home=world, check=False)
    if says is None:
        assert proc.returncode == 0, proc.stderr
        return
    assert says in _one_line(proc)
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("argv", [STATS, ["retention", "review"]])
def test_an_empty_or_missing_data_dir_is_one_line(tmp_path, argv) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "graph load" in _one_line(dots(*argv, *WHY, home=empty, check=False))
    assert "no data directory" in _one_line(dots(*argv, *WHY, home=tmp_path / "missing", check=False))
    assert not (tmp_path / "missing").exists()


def test_both_refuse_without_a_purpose(world) -> None:
    for argv in (STATS, ["retention", "review"]):
        proc = dots(*argv, home=world, check=False, env={"DOTS_PURPOSE": "", "DOTS_REFERENCE": ""})
        assert "purpose and a case or occurrence reference are required" in _one_line(proc)
