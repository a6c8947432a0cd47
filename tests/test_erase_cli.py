"""``dots erase`` on the command line and over time: the s.62 record, refusals in one line,
re-delivery after erasure, an interrupted erasure resumed, and the graph on both engines."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

import pipeline
from linkage.store import LinkageStore
from staging.store import StagingStore
from tests.extract_fixtures import flat_row, victim_row, write_flat
from tests.test_erase import (
    K0,
    K0_TEXT,
    answers,
    embedded,
    erased,
    extracts,  # noqa: F401 - the module's world, shared
    fresh,
    full,  # noqa: F401
    partition,
    staged,
    text_everywhere,
)
from worlds.testing import dots


def refused(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Non-zero, one line on stderr naming ``words``, no traceback."""
    assert proc.returncode != 0, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def erasure_records(home: Path) -> list[dict]:
    db = sqlite3.connect(home / "state" / "dots.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM audit_log WHERE operation = 'erasure' ORDER BY seq")]
    finally:
        db.close()


def test_erase_on_the_command_line_is_logged_once_with_the_reason_and_no_content(full, tmp_path) -> None:  # noqa: F811
    home = tmp_path / "home"
    shutil.copytree(full, home)
    proc = dots("erase", K0, "--reason", "recorded in error (review 2024/17)", home=home)
    assert proc.returncode == 0, proc.stderr
    assert f"erased person record '{K0}'" in proc.stdout
    (record,) = [r for r in erasure_records(home) if r["outcome"] == "ok"]
    assert "recorded in error (review 2024/17)" in record["detail"] and K0 in record["detail"]
    assert record["user_name"] and record["at"] if "at" in record else record["user_name"]
    assert json.loads(record["person_ids"]), "the person id the record was linked to is named"
    text = json.dumps(record, default=str).lower()
    for value in K0_TEXT.values():
        assert value.lower() not in text
    assert dots("audit", "verify", home=home).returncode == 0
    # twice: one line, non-zero, and no second erasure record
    refused(dots("erase", K0, "--reason", "again", home=home), "already erased")
    assert len([r for r in erasure_records(home) if r["outcome"] == "ok"]) == 1
    assert dots("audit", "verify", home=home).returncode == 0


def test_refusals_are_one_line(full, tmp_path) -> None:  # noqa: F811
    home = tmp_path / "home"
    shutil.copytree(full, home)
    refused(dots("erase", "Northumbria/NOBODY", "--reason", "x", home=home), "no record", "Northumbria/NOBODY")
    refused(dots("erase", K0, home=home), "--reason")
    refused(dots("erase", K0, "--reason", "   ", home=home), "--reason")
    refused(dots("erase", K0, "--reason", "x", "--kind", "order", home=home), "no order record")
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(dots("erase", K0, "--reason", "before any ingest", home=empty), "nothing is staged")
    refused(dots("erase", K0, "--reason", "no data directory", home=tmp_path / "absent"), "no data directory")
    assert K0 in set(LinkageStore(home).entities()["record_key"]), "nothing was erased by a refusal"


def test_a_key_naming_two_kinds_of_record_asks_which(tmp_path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    # an occurrence numbered like a nominal: "Northumbria/X1" is a person and an event
    write_flat(folder / "rms.csv", [
        flat_row(occurrence_ref="X1", nominal_ref="S1"),
        victim_row(occurrence_ref="E2", nominal_ref="X1"),
        flat_row(occurrence_ref="E2", nominal_ref="S1"),
    ])
    home = tmp_path / "home"
    assert dots("ingest", str(folder), home=home).returncode == 0
    refused(dots("erase", "Northumbria/X1", "--reason", "x", home=home), "event", "person", "--kind")
    proc = dots("erase", "Northumbria/X1", "--reason", "x", "--kind", "person", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["staging"]["rows"] == 1
    people = StagingStore(home).read("person_records")
    assert "Northumbria/X1" not in set(people["record_key"])
    assert "Northumbria/X1" in set(StagingStore(home).read("events")["event_key"]), "the event stays"


def test_redelivery_after_erasure_keeps_it_erased_and_the_rest_loads(full, extracts, tmp_path) -> None:  # noqa: F811
    # the first delivery stopped part way: K0's file and one other were loaded
    home = tmp_path / "home"
    first = [extracts / "k0-rms.csv", extracts / "northumbria-rms.csv"]
    pipeline.run(home, first, fork=False)
    pipeline.erase(home, K0, fork=False)
    again = {Path(r.path).name: r for r in pipeline.ingest(home, [extracts])}
    k0 = again["k0-rms.csv"]
    assert (k0.status, k0.loaded, k0.quarantined, k0.erased, k0.rows_read) == ("already loaded", 2, 0, 4, 6)
    assert again["cleveland-rms.csv"].status == "loaded", "the rest of the delivery loads"
    # the same rows delivered in a new extract (another order, one row more): skipped, counted,
    # never quarantined (quarantine keeps raw text)
    rows = (extracts / "k0-rms.csv").read_text(encoding="utf-8").splitlines()
    new = tmp_path / "k0-again.csv"
    extra = "Northumbria,NO/9000009/24,05/05/2024 20:00,8/1,Assault,Y,SUSPECT,NORZ0000009,Newman,Neil,,M,,,,,,"
    new.write_text("\n".join([rows[0], *reversed(rows[1:]), extra]) + "\n", encoding="utf-8")
    (result,) = pipeline.ingest(home, [new])
    assert (result.status, result.loaded, result.quarantined, result.erased) == ("loaded", 3, 0, 4)
    pipeline.resolve(home, fork=False)
    pipeline.load_graph(home)
    for where, text in text_everywhere(home):
        assert K0_TEXT["surname"] not in text, where
    # and the state is what a run that never saw K0 gives, with the new file's other rows
    cut, _ = fresh(tmp_path, extracts, K0)
    other = tmp_path / "other.csv"
    others = [r for r in reversed(rows[1:]) if ",NORZ0000001," not in r]
    other.write_text("\n".join([rows[0], *others, extra]) + "\n", encoding="utf-8")
    pipeline.run(cut, [other], fork=False)
    assert partition(home) == partition(cut)
    assert staged(home, "person_records") == staged(cut, "person_records")


def test_an_interrupted_erasure_is_finished_by_running_it_again(full, tmp_path, monkeypatch) -> None:  # noqa: F811
    home = tmp_path / "home"
    shutil.copytree(full, home)

    def dies(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "resolve", dies)
    with pytest.raises(KeyboardInterrupt):
        pipeline.erase(home, K0, fork=False)
    monkeypatch.undo()
    assert [t["state"] for t in StagingStore(home).tombstones()] == ["erasing"]
    # a swap killed between its two renames: the old part is still read, then put back and erased
    store = StagingStore(home)
    part = next(p for p in store.parts() if any(f["path"].endswith("k0-rms.csv") for f in p.summary["files"]))
    store.replaced_dir.mkdir(exist_ok=True)
    os.rename(part.path, store.replaced_dir / part.path.name)
    assert any(p.path.name == part.path.name for p in store.parts())
    answer = pipeline.erase(home, K0, fork=False)
    assert answer["staging"]["rows"] == 0, "the first run had erased the rows already"
    assert [t["state"] for t in StagingStore(home).tombstones()] == ["erased"]
    once, _ = erased(tmp_path, full, K0)
    assert partition(home) == partition(once)
    with embedded(home) as a, embedded(once) as b:
        assert answers(a, home) == answers(b, once)


def test_erasure_reaches_the_graph_on_each_engine(graph_scratch, full, extracts, tmp_path) -> None:  # noqa: F811
    home = tmp_path / "home"
    shutil.copytree(full, home)
    g = graph_scratch()
    pipeline.load_graph(home, g)
    surname = {"surname": K0_TEXT["surname"]}
    match = "MATCH (r:PersonRecord) WHERE r.surname = $surname RETURN count(*) AS n"
    assert g.run(match, surname)[0]["n"] == 1
    pipeline.erase(home, K0, graph=g, fork=False)
    assert g.run(match, surname)[0]["n"] == 0
    after = answers(g, home)
    cut, _ = fresh(tmp_path, extracts, K0)
    g = graph_scratch()
    pipeline.load_graph(cut, g)
    assert after == answers(g, cut)


def test_a_graph_held_by_a_server_refuses_before_anything_is_erased(full, tmp_path) -> None:  # noqa: F811
    home = tmp_path / "home"
    shutil.copytree(full, home)
    held = embedded(home)  # as a running dots serve holds it
    try:
        refused(dots("erase", K0, "--reason", "x", home=home), "in use")
    finally:
        held.close()
    assert StagingStore(home).tombstones() == []
    assert K0 in set(StagingStore(home).read("person_records")["record_key"])
    assert dots("erase", K0, "--reason", "x", home=home).returncode == 0


def test_a_steward_decision_resting_on_the_erased_record_goes_with_it(full, tmp_path) -> None:  # noqa: F811
    """A steward's decision names the erased record and carries a note about her: it rests on
    nothing once she is erased, and its note is her data. A decision on other records stays."""
    from api.config import database_url
    from api.store.db import StewardDecision, dispose, session_factory

    home = tmp_path / "home"
    shutil.copytree(full, home)
    others = sorted(k for k in LinkageStore(home).entities()["record_key"] if k != K0)[:2]
    url = database_url(home)
    with session_factory(url).begin() as session:
        session.add(StewardDecision(kind="pair", record_key_l=others[0], record_key_r=K0, decision="not_same",
                                    note=f"{K0_TEXT['surname']} lives at {K0_TEXT['address']}", decided_by="s1"))
        session.add(StewardDecision(kind="pair", record_key_l=others[0], record_key_r=others[1],
                                    decision="same", note="one man", decided_by="s1"))
    dispose(url)
    proc = dots("erase", K0, "--reason", "recorded in error", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == {"steward_decisions": 1, "upload_rows": 0, "uploads_unread": 0}
    db = sqlite3.connect(home / "state" / "dots.sqlite")
    try:
        kept = db.execute("SELECT record_key_l, record_key_r, note FROM steward_decisions").fetchall()
    finally:
        db.close()
    assert kept == [(others[0], others[1], "one man")]
