"""Stage 3's address parse begun beside stage 2 (linkage.entities.run.Ahead): the same outputs as
parsing in the stage, a file that never outlives the resolve, and no text a source withheld."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import psutil
import pytest

import pipeline
from linkage import run as people_run
from linkage.entities import run as entities_run
from staging.store import StagingStore

ENTITY_OUTPUTS = ["addresses", "address_forms", "residence", "coresidence", "entity_pairs", "orders", "events"]


def _copy(data_dir: Path, to: Path) -> Path:
    to.mkdir(parents=True)
    shutil.copytree(data_dir / "staging", to / "staging")
    return to


def _resolved(data_dir: Path, to: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool) -> dict:
    """pipeline.resolve on a copy of the staging, with the parse ahead on for any size or off."""
    monkeypatch.setattr(entities_run, "OTHER_PROCESS_MIN", 1 if ahead else 10**12)
    return pipeline.resolve(_copy(data_dir, to))


def _leftovers(data_dir: Path) -> list[str]:
    return [p.name for p in (data_dir / "linkage").iterdir() if p.name.startswith(".address-parses")]


def _same_outputs(a: Path, b: Path) -> None:
    for name in ENTITY_OUTPUTS:
        left, right = (pd.read_parquet(d / "linkage" / f"{name}.parquet") for d in (a, b))
        pd.testing.assert_frame_equal(left, right, obj=name)


def test_parses_made_ahead_change_no_output(graph_synth_data, tmp_path: Path, monkeypatch) -> None:
    data_dir = graph_synth_data[0]
    here = _resolved(data_dir, tmp_path / "here", monkeypatch, ahead=False)
    ahead = _resolved(data_dir, tmp_path / "ahead", monkeypatch, ahead=True)
    assert here["entities"]["addresses"]["parsed_ahead"] == 0
    assert ahead["entities"]["addresses"]["parsed_ahead"] > 100  # it ran, and its parses were taken
    _same_outputs(tmp_path / "here", tmp_path / "ahead")
    assert _leftovers(tmp_path / "ahead") == []
    # the world holds what the parse must not see: addresses withheld at source, and addresses
    # withheld because the person's address is withheld elsewhere (confidential follows the person)
    rows = pd.read_parquet(tmp_path / "ahead" / "linkage" / "addresses.parquet")
    staged = StagingStore(data_dir).read("addresses", columns=["record_key", "confidential"])
    assert staged["confidential"].sum() > 0
    assert rows["confidential"].sum() > staged["confidential"].sum()


def test_no_text_a_source_withheld_is_parsed_ahead(graph_synth_data, tmp_path: Path) -> None:
    """Only the texts of rows no source withheld are parsed ahead, even where a source keeps the
    text of a withheld address (the loaders keep none: a part written here does)."""
    data_dir = _copy(graph_synth_data[0], tmp_path / "d")
    rows = pd.DataFrame(
        {
            "record_key": ["X/1", "X/2", "X/3"],
            "address_raw": ["7 Secret Road, Hiddentown", "8 Open Road, Seentown", "7 secret road, hiddentown"],
            "confidential": [True, False, None],
        }
    )
    StagingStore(data_dir).commit_part("withheld-text", {"addresses": rows}, {"part": "withheld-text"})
    path = tmp_path / "ahead.parquet"
    entities_run._parse_ahead(data_dir, path, lambda: None)
    parsed = set(pd.read_parquet(path, columns=["text"])["text"])
    staged = StagingStore(data_dir).read("addresses", columns=["address_raw", "confidential"])
    opened = staged.loc[~staged["confidential"].eq(True), "address_raw"].dropna()
    assert parsed == set(opened.str.upper()) - {""}
    assert "8 OPEN ROAD, SEENTOWN" in parsed
    assert "7 SECRET ROAD, HIDDENTOWN" in parsed  # X/3 did not withhold it
    staged_withheld = staged.loc[staged["confidential"].eq(True), "address_raw"].dropna()
    assert list(staged_withheld) == ["7 Secret Road, Hiddentown"]


def test_a_text_only_a_withheld_row_holds_is_never_parsed_ahead(graph_synth_data, tmp_path: Path) -> None:
    data_dir = _copy(graph_synth_data[0], tmp_path / "d")
    rows = pd.DataFrame({"record_key": ["X/1"], "address_raw": ["7 Secret Road, Hiddentown"], "confidential": [True]})
    StagingStore(data_dir).commit_part("withheld-text", {"addresses": rows}, {"part": "withheld-text"})
    path = tmp_path / "ahead.parquet"
    entities_run._parse_ahead(data_dir, path, lambda: None)
    parsed = set(pd.read_parquet(path, columns=["text"])["text"])
    assert len(parsed) > 100
    assert not {t for t in parsed if "SECRET" in t}


def test_a_parse_ahead_that_fails_costs_nothing(graph_synth_data, tmp_path: Path, monkeypatch) -> None:
    """The second process fails: the stage parses everything itself, with the same outputs."""
    data_dir = graph_synth_data[0]
    here = _resolved(data_dir, tmp_path / "here", monkeypatch, ahead=False)

    def broken(texts: list[str], path: Path) -> int:
        path.write_text("not a parquet file")
        raise RuntimeError("the parse ahead failed")

    monkeypatch.setattr(entities_run, "parse_to_file", broken)
    failed = _resolved(data_dir, tmp_path / "failed", monkeypatch, ahead=True)
    assert failed["entities"]["addresses"]["parsed_ahead"] == 0
    assert failed["entities"]["address_entities"] == here["entities"]["address_entities"]
    _same_outputs(tmp_path / "here", tmp_path / "failed")
    assert _leftovers(tmp_path / "failed") == []


def test_a_resolve_that_fails_leaves_no_parse_ahead_behind(graph_synth_data, tmp_path: Path, monkeypatch) -> None:
    """Stage 2 fails while the parse runs: its process is stopped and its file deleted."""
    data_dir = _copy(graph_synth_data[0], tmp_path / "d")
    monkeypatch.setattr(entities_run, "OTHER_PROCESS_MIN", 1)

    def fails(*args, **kwargs) -> dict:
        raise RuntimeError("stage 2 failed")

    monkeypatch.setattr(people_run, "resolve", fails)
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    with pytest.raises(RuntimeError, match="stage 2 failed"):
        pipeline.resolve(data_dir)
    assert _leftovers(data_dir) == []
    running = [c for c in psutil.Process().children(recursive=True) if c.pid not in before and c.is_running()]
    assert [c for c in running if c.status() != psutil.STATUS_ZOMBIE] == []
