"""The review queue: ranked by how much a decision would change, kept within the stewards' budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.review import review_queue
from linkage.run import resolve
from linkage.settings import load_settings
from linkage.store import LinkageStore
from worlds.linkage import generate, to_staging

SETTINGS = load_settings()


def with_budget(share: float, least: int):
    raw = {**SETTINGS.raw, "review": {"max_share": share, "min_records": least}}
    return replace(SETTINGS, raw=raw)


def queue_of(n: int, pairs: list[tuple[int, int, float]], labels=None, degree=None, source=None, budget=(0.0, 4)):
    left = np.array([p[0] for p in pairs])
    right = np.array([p[1] for p in pairs])
    prob = np.array([p[2] for p in pairs])
    keys = np.array([f"K/{i:03d}" for i in range(n)], dtype=object)
    labels = np.arange(n) if labels is None else np.asarray(labels)
    return review_queue(
        with_budget(*budget), keys, left, right, prob, np.ones(len(pairs), dtype=bool), labels,
        np.array([f"P{x}" for x in labels], dtype=object),
        np.zeros(n) if degree is None else np.asarray(degree, dtype=float),
        np.zeros(n, dtype=int) if source is None else np.asarray(source),
    )


def test_more_uncertain_bigger_and_relevant_pairs_come_first() -> None:
    labels = [0, 0, 0, 3, 4, 5, 6, 7, 8, 9]  # records 0-2 are one person already
    pairs = [(5, 6, 0.9), (4, 5, 0.5), (2, 3, 0.9), (7, 8, 0.9), (8, 9, 0.9)]
    degree = [0, 0, 0, 0, 0, 0, 0, 3, 0, 0]  # record 7 is in domestic abuse events
    q = queue_of(10, pairs, labels=labels, degree=degree, budget=(0.0, 100))
    order = [tuple(x) for x in q.frame[["record_key_l", "record_key_r"]].to_numpy()]
    assert order[0] == ("K/004", "K/005")  # the most uncertain
    assert order.index(("K/002", "K/003")) < order.index(("K/005", "K/006"))  # touches four records
    assert order.index(("K/007", "K/008")) < order.index(("K/008", "K/009"))  # a person in DA events
    assert (np.diff(q.frame["priority"].to_numpy()) <= 0).all()


@given(st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59), st.floats(0.5, 0.98)), min_size=1, max_size=80),
       st.integers(2, 30))
@settings(max_examples=60, deadline=None)
def test_the_queue_never_names_more_records_than_the_budget(raw: list, budget: int) -> None:
    pairs = [(min(a, b), max(a, b), p) for a, b, p in raw if a != b]
    if not pairs:
        return
    q = queue_of(60, pairs, budget=(0.0, budget))
    named = set(q.frame["record_key_l"]) | set(q.frame["record_key_r"])
    assert len(named) <= budget
    assert len(q.rows) + q.deferred.sum() == len(pairs)  # every pair queued or deferred
    assert not set(q.rows) & set(np.flatnonzero(q.deferred))
    everything = queue_of(60, pairs, budget=(0.0, 1000))
    assert list(q.rows) == list(everything.rows[: len(q.rows)])  # the queue is the top of the ranking


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("review")
    to_staging(data_dir, generate(1500, seed=4), part_id="world")
    resolve(data_dir)
    return data_dir


def test_resolve_writes_a_queue_within_the_budget_and_defers_the_rest(resolved: Path) -> None:
    outputs = LinkageStore(resolved)
    summary, review, pairs = outputs.summary(), outputs.review(), outputs.pairs()
    conf = SETTINGS.raw["review"]
    budget = max(conf["min_records"], int(conf["max_share"] * summary["records"]))
    assert summary["review_records"] <= budget
    assert len(review) == summary["review"] and set(outputs.columns("review.parquet")) <= set(review.columns)
    assert (np.diff(review["priority"].to_numpy()) <= 0).all()
    queued = set(zip(review["record_key_l"], review["record_key_r"], strict=True))
    deferred = pairs[pairs["decision"] == "deferred"]
    assert len(deferred) == summary["review_deferred"]
    assert not queued & set(zip(deferred["record_key_l"], deferred["record_key_r"], strict=True))
    person = outputs.entities().set_index("record_key")["person_id"]
    # a deferred pair is not linked by its own decision (it may still share a person through others)
    assert (deferred["decided_by"] != "steward").all()
    assert person.notna().all()
