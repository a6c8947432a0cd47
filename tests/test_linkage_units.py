"""Units: blocking (caps and report), clustering guard (chains split at weak links, size guard),
stable ids, decisions and rules, explanations, steward store, model estimation and search."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkage.blocking import block, pairs_in_blocks
from linkage.cluster import assign_ids, cluster
from linkage.decide import LINK, NO_LINK, REVIEW, decide
from linkage.explain import match_keys
from linkage.features import build_features
from linkage.model import em, prior_model
from linkage.records import build_records
from linkage.settings import load_settings
from linkage.store import LinkageStore
from worlds.linkage import generate, mention

SETTINGS = load_settings()
CLUSTER = {"max_size": 5, "conflict_weight": -8.0, "weak_link_weight": 16.0}


def test_pairs_in_blocks_respects_the_cap() -> None:
    rec = np.arange(10)
    key = np.array([1, 1, 1, 2, 2, 3, 3, 3, 3, 3])
    left, right, info = pairs_in_blocks(rec, key, max_block=4)
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    assert pairs == {(0, 1), (0, 2), (1, 2), (3, 4)}  # the block of five is over the cap
    assert info["oversized"] == 1 and info["largest"] == 5


def test_blocking_report_counts_rules_caps_and_true_pairs() -> None:
    # forty David Smiths born the same year overflow one block: the rule sub-blocks them
    rows = [
        mention(f"F/{i}", "David", "Smith", dob=f"1984-01-{1 + i % 28:02d}", postcode=f"SR{i % 9 + 1} 1AB")
        for i in range(40)
    ]
    rows += [mention("F/dup", "Dave", "Smith", dob="1984-01-01", postcode="SR1 1AB")]
    records = build_records(pd.DataFrame(rows))
    ft = build_features(records)
    pos = {k: i for i, k in enumerate(records["record_key"])}
    truth = (np.array([pos["F/0"]]), np.array([pos["F/dup"]]))
    small = replace(SETTINGS, blocking=tuple(replace(r, max_block=10) for r in SETTINGS.blocking))
    cand = block(ft, small, truth=truth)
    report = {r["rule"]: r for r in cand.report}
    assert report["names_year"]["oversized_blocks"] == 1
    assert report["names_year"]["subblocked_by"] == "district"
    assert report["dob_surname_sound"]["true_pairs_kept"] == 1.0
    assert report[cand.report[-1]["rule"]]["cumulative_true_pairs_kept"] == 1.0
    assert all(r["new_pairs"] <= r["pairs"] for r in cand.report)
    # dob + forename, sub-blocked by sex (all M here): still oversized, so dropped and reported
    assert report["names_exact"]["dropped_blocks"] >= 0
    assert max(r["largest_block"] or 0 for r in cand.report) == 41


def test_chain_split_at_its_weakest_link() -> None:
    # records 0-1-2 are one man, 3-4 another, joined by one weak link 2-3; 0 and 4 conflict
    left = np.array([0, 1, 2, 3, 0])
    right = np.array([1, 2, 3, 4, 4])
    weight = np.array([30.0, 28.0, 8.0, 30.0, -12.0])
    link = weight > 7
    no = np.zeros(5, dtype=bool)
    res = cluster(5, left, right, weight, link, no, no, CLUSTER)
    assert res.labels[0] == res.labels[1] == res.labels[2]
    assert res.labels[3] == res.labels[4]
    assert res.labels[0] != res.labels[3]
    assert res.cut.tolist() == [False, False, True, False, False]
    assert res.report["split_weak"] == 1


def test_strong_chain_is_not_split_by_a_soft_conflict() -> None:
    left = np.array([0, 1, 0])
    right = np.array([1, 2, 2])
    weight = np.array([30.0, 30.0, -9.0])
    no = np.zeros(3, dtype=bool)
    res = cluster(3, left, right, weight, weight > 7, no, no, CLUSTER)
    assert len(set(res.labels.tolist())) == 1


def test_hard_conflict_always_splits_and_size_guard_holds() -> None:
    left = np.array([0, 1, 0])
    right = np.array([1, 2, 2])
    weight = np.array([30.0, 31.0, 20.0])
    cannot = np.array([False, False, True])  # e.g. different PNC IDs
    res = cluster(3, left, right, weight, np.array([True, True, False]), cannot, np.zeros(3, bool), CLUSTER)
    assert res.labels[0] != res.labels[2]
    assert res.labels[1] == res.labels[2]  # the weaker link 0-1 is the one cut
    # a star of eight records over the size guard of five
    left = np.zeros(7, dtype=int)
    right = np.arange(1, 8)
    weight = np.arange(20.0, 27.0)
    res = cluster(8, left, right, weight, np.ones(7, bool), np.zeros(7, bool), np.zeros(7, bool), CLUSTER)
    assert np.bincount(res.labels).max() <= 5
    assert res.report["split_size"] == 1


def test_ids_are_stable_and_survive_merges() -> None:
    keys = np.array(["a", "b", "c", "d"], dtype=object)
    first = assign_ids(keys, np.array([0, 0, 1, 2]), None)
    again = assign_ids(keys, np.array([5, 5, 7, 9]), pd.DataFrame({"record_key": keys, "person_id": first}))
    assert list(again) == list(first)
    # c joins a+b: the entity keeps the id of the old entity holding its smallest key
    merged = assign_ids(keys, np.array([0, 0, 0, 1]), pd.DataFrame({"record_key": keys, "person_id": first}))
    assert merged[0] == merged[2] == first[0] and merged[3] == first[3]
    # a split: the larger part keeps the old id, the other part gets a fresh one
    split = assign_ids(keys, np.array([0, 1, 1, 2]), pd.DataFrame({"record_key": keys, "person_id": merged}))
    assert split[1] == split[2] == first[0] and split[0] not in (first[0], first[3]) and split[3] == first[3]


def test_decide_thresholds_rules_and_steward() -> None:
    lv = {c.name: np.zeros(4, dtype=np.int8) for c in SETTINGS.comparisons}
    lv["pnc"][1] = SETTINGS.comparison("pnc").code("different")
    weight = np.array([20.0, 20.0, 3.0, -5.0], dtype=np.float32)
    co = np.zeros(4, dtype=bool)
    dec = decide(SETTINGS, weight, lv, co)
    assert dec.decision.tolist() == [LINK, NO_LINK, REVIEW, NO_LINK]
    assert dec.labels().tolist() == ["link", "rule:pnc_conflict", "review", "no_link"]
    assert dec.cannot_link.tolist() == [False, True, False, False]
    steward = np.array([2, 1, 0, 0], dtype=np.int8)  # not same; same (overrides the PNC rule)
    dec = decide(SETTINGS, weight, lv, co, steward)
    assert dec.decision.tolist()[:2] == [NO_LINK, LINK]
    assert dec.cannot_link[0] and dec.must_link[1] and not dec.cannot_link[1]


def test_match_key_tokens() -> None:
    comps = {c.name: c for c in SETTINGS.comparisons}
    lv = {c.name: np.zeros(1, dtype=np.int8) for c in SETTINGS.comparisons}
    lv["forename"][0] = comps["forename"].code("exact")
    lv["surname"][0] = comps["surname"].code("exact")
    lv["dob"][0] = comps["dob"].code("one_off")
    lv["postcode"][0] = comps["postcode"].code("full")
    lv["phone"][0] = comps["phone"].code("else")
    w = {c.name: np.zeros(1, dtype=np.float32) for c in SETTINGS.comparisons}
    w.update(
        {
            "forename": np.array([5.0]),
            "surname": np.array([7.0]),
            "dob": np.array([4.0]),
            "postcode": np.array([12.0]),
            "phone": np.array([-3.0]),
        }
    )
    assert match_keys(SETTINGS, lv, w)[0] == "+NAME +DOB~ +POSTCODE -PHONE"


def test_em_recovers_m_and_match_rate() -> None:
    rng = np.random.default_rng(0)
    n, rate = 20000, 0.3
    match = rng.random(n) < rate
    names = [c.name for c in SETTINGS.comparisons if not c.context]
    truth_m = {"surname": 0.92, "middle": 0.85, "phone": 0.6}  # comparisons without fixed levels
    levels = {}
    for comp in SETTINGS.comparisons:
        agree = np.where(match, rng.random(n) < truth_m.get(comp.name, 0.5), rng.random(n) < 0.05)
        levels[comp.name] = np.where(agree, comp.code(comp.levels[1].name), comp.n_levels - 1).astype(np.int8)
    model = prior_model(SETTINGS, 1000)
    m0 = {k: np.asarray(v) for k, v in model.m.items()}
    u0 = {k: np.asarray(v) for k, v in model.u.items()}
    m, _, lam, _ = em(
        levels,
        SETTINGS,
        m0,
        u0,
        0.5,
        list(truth_m),
        list(truth_m),
        train_u=True,
    )
    assert abs(lam - rate) < 0.03
    assert abs(m["surname"][1] - 0.92) < 0.05
    assert names


def test_steward_store_latest_decision_wins(tmp_path: Path) -> None:
    LinkageStore(tmp_path).record_person_decision("b/2", "a/1", "same", user="ann")
    LinkageStore(tmp_path).record_person_decision("a/1", "b/2", "not_same", user="bob", note="checked the PNC")
    dec = LinkageStore(tmp_path).person_decisions()
    assert len(dec) == 1 and dec.iloc[0]["decision"] == "not_same" and dec.iloc[0]["user"] == "bob"
    with pytest.raises(ValueError):
        LinkageStore(tmp_path).record_person_decision("a/1", "b/2", "maybe", user="ann")


@pytest.fixture(scope="module")
def searchable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from linkage.run import resolve
    from worlds.linkage import stage, to_staging

    data_dir = tmp_path_factory.mktemp("search")
    to_staging(data_dir, generate(400, seed=9), part_id="bg")
    stage(
        data_dir,
        [
            mention(
                "Northumbria/N1",
                "Dave",
                "Smith",
                dob="1984-03-12",
                sex="M",
                postcode="SR5 1AB",
                address="12 Elm Road, Sunderland",
                source_system="E23000008",
            ),
            mention(
                "FC1/respondent",
                "David",
                "SMITH",
                address="12 Elm Road, Sunderland SR5 1AB",
                postcode="SR5 1AB",
            ),
        ],
    )
    resolve(data_dir)
    return data_dir


def test_search_finds_the_partner_with_explanation(searchable: Path) -> None:
    from linkage.search import search

    hits = search(searchable, "Dave Smith", age=date.today().year - 1984, place="Sunderland")
    assert hits and hits[0]["record_key"] in ("Northumbria/N1", "FC1/respondent")
    top = hits[0]
    assert {"person_id", "match_weight", "probability", "match_key", "fields"} <= set(top)
    assert any(f["comparison"] == "age" and f["weight"] > 0 for f in top["fields"])
    assert "+NAME" in top["match_key"]
    by_dob = search(searchable, "SMITH, David", dob=date(1984, 3, 12))
    assert by_dob[0]["person_id"] == top["person_id"]
    assert any(f["comparison"] == "dob" and f["level"] == "exact" for f in by_dob[0]["fields"])
    assert search(searchable, "Zebedee Quartermaine") == []


def test_a_querys_keys_are_the_keys_its_records_are_indexed_under() -> None:
    """The per-query shortcut must hash exactly as the index does, or a search finds nothing."""
    import numpy as np

    from linkage.search import _hash, _key_values, _query_keys

    names = [("Dave", "Smith"), ("DAVID", "SMITH"), ("Siobhan", "O'Neill"), ("", "Khan"), ("Zoë", "Nowak-Lee")]
    fn = np.array([f for f, _ in names], dtype=object)
    sn = np.array([s for _, s in names], dtype=object)
    kv = _key_values(fn, sn)
    expected = list(zip(*(_hash(kv[k]).tolist() for k in ("fn_sn", "either", "sn")), strict=True))
    assert [_query_keys(f, s) for f, s in names] == expected


def test_a_search_compares_only_what_its_query_gives_and_ranks_the_same(
    searchable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparisons the query has no value for are null for every candidate: skipping them must
    change nothing in the answer."""
    from linkage import search as srch
    from linkage import store

    names = store.LinkageStore(searchable).records(columns=["fn", "sn"]).dropna().head(40)
    queries = [(f"{r.fn} {r.sn}", {}) for r in names.itertuples()]
    queries += [
        ("Dave Smith", {"dob": date(1984, 3, 12)}),
        ("David John Smith", {"place": "SR5 1AB"}),
        ("Dave Smith", {"age": 40, "place": "Sunderland"}),
    ]
    index = srch.get_index(searchable)
    skipped = [index.search(q, kw.get("dob"), kw.get("age"), kw.get("place"), 10) for q, kw in queries]
    assert index._absent("", None, "") >= {"dob", "postcode", "middle"}
    monkeypatch.setattr(srch.SearchIndex, "_absent", staticmethod(lambda *a: frozenset()))
    full = [index.search(q, kw.get("dob"), kw.get("age"), kw.get("place"), 10) for q, kw in queries]
    assert skipped == full and sum(map(len, full)) > 40


def test_match_keys_of_a_few_pairs_equal_the_vectorised_ones() -> None:
    """A search's page goes through the per-pair loop; resolution's millions through arrays."""
    import numpy as np

    from linkage import explain
    from linkage.settings import load_settings

    settings = load_settings()
    rng = np.random.default_rng(5)
    n = 3000
    levels = {c.name: rng.integers(0, len(c.levels), n).astype(np.int8) for c in settings.comparisons}
    near = np.float32([0.0, 0.05, -0.05, 0.049, -0.049, 0.051, 2.5, -3.0])
    weights = {
        c.name: np.where(rng.random(n) < 0.5, rng.choice(near, n), rng.normal(0, 3, n)).astype(np.float32)
        for c in settings.comparisons
    }
    vectorised = explain.match_keys(settings, levels, weights)
    groups: dict[str, list] = {}
    for comp in settings.comparisons:
        groups.setdefault(comp.key, []).append(comp)
    assert explain._match_keys_few(groups, levels, weights, n).tolist() == vectorised.tolist()
    assert len(set(vectorised)) > 100


def test_search_index_is_saved_and_reloaded_until_outputs_change(
    searchable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkage import search as srch
    from linkage import store

    before = srch.search(searchable, "Dave Smith", dob=date(1984, 3, 12))
    saved = list((store.LinkageStore(searchable).path(store.SEARCH_INDEX)).glob("index-*.pkl"))
    assert len(saved) == 1
    built = []
    original = srch.SearchIndex.__init__

    def counting_init(self, *args, **kwargs) -> None:
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(srch.SearchIndex, "__init__", counting_init)
    srch._CACHE.clear()  # a new process: the saved index is loaded, not rebuilt
    srch._STAMPS.clear()
    assert srch.search(searchable, "Dave Smith", dob=date(1984, 3, 12)) == before
    assert built == []
    old = srch.current_stamp(searchable, ttl=0)
    # a rewritten output (a new resolve) makes the saved index stale: rebuilt and saved again
    store.LinkageStore(searchable).write_frame(store.ENTITIES, store.LinkageStore(searchable).entities())
    new = srch.current_stamp(searchable, ttl=0)
    assert new != old
    # a caller still working from the old outputs is answered from them while they are in memory
    assert srch.stamped_search(searchable, "Dave Smith", date(1984, 3, 12), None, None, 10, seen=old) == (old, before)
    assert built == []
    assert srch.stamped_search(searchable, "Dave Smith", date(1984, 3, 12), None, None, 10, seen=new) == (new, before)
    assert built == [1]
    # once the new index replaced it, an old view gets the new answer, stamped as such (not kept)
    assert srch.stamped_search(searchable, "Dave Smith", date(1984, 3, 12), None, None, 10, seen=old)[0] == new
    assert srch.search(searchable, "Dave Smith", dob=date(1984, 3, 12)) == before
    assert built == [1]
    now = list((store.LinkageStore(searchable).path(store.SEARCH_INDEX)).glob("index-*.pkl"))
    assert len(now) == 1 and now != saved


def test_explain_pair_gives_a_waterfall(searchable: Path) -> None:
    from linkage.explain import explain_pair

    why = explain_pair(searchable, "Northumbria/N1", "FC1/respondent")
    # no date of birth on the court record and nobody to connect them: one home, one name is
    # what a son living with his father also has, so a steward decides
    assert why["decision"] == "review" and why["same_entity"] is False
    steps = [f["cumulative_weight"] for f in why["fields"]]
    assert abs(steps[-1] - why["match_weight"]) < 0.01
    fields = {f["comparison"]: f for f in why["fields"]}
    assert fields["forename"]["level"] == "nickname"
    assert fields["forename"]["value_l"] == "DAVE" and fields["forename"]["value_r"] == "DAVID"


def test_golden_json_lists_escape_what_json_escapes() -> None:
    import json

    from linkage.golden import build_golden

    keys = ['F1/a"1', "F1/b\\2", "F2/Zoë", "F2/plain"]
    mentions = pd.DataFrame(
        {
            "record_key": keys,
            "forenames": ["Zoë", "Zoe", "Ann", None],
            "surname": ["O'Brien", "O'BRIEN", "Lee", "Lee"],
            "dob": pd.to_datetime(["1990-01-02", None, "1980-05-06", "1980-05-06"]),
            "postcode": ["SR5 1AB", None, "DH1 3AA", "DH1 3AA"],
            "seen_on": pd.to_datetime(["2020-01-01", "2021-01-01", "2019-01-01", None]),
            "pnc": [None, None, None, None],
            "force_code": ["F1", "F1", None, None],
            "source_system": ["x", "x", "court", "court"],
        }
    )
    entities = pd.DataFrame({"record_key": keys, "person_id": ["P1", "P1", "P2", "P2"]})
    golden = build_golden(mentions, entities).set_index("person_id")
    assert json.loads(golden.loc["P1", "record_keys"]) == sorted(keys[:2])
    assert json.loads(golden.loc["P2", "record_keys"]) == sorted(keys[2:])
    assert set(json.loads(golden.loc["P1", "name_variants"])) == {"Zoë O'Brien", "Zoe O'BRIEN"}
    assert golden.loc["P1", "preferred_name"] == "Zoe O'BRIEN"  # one each: the latest seen
    assert json.loads(golden.loc["P2", "postcodes"]) == [
        {"postcode": "DH1 3AA", "first_seen": "2019-01-01", "last_seen": "2019-01-01"}
    ]
    assert json.loads(golden.loc["P2", "forces"]) == ["court"]
    assert json.loads(golden.loc["P1", "dobs"]) == ["1990-01-02"]


def test_background_step_reports_results_failures_and_stops_when_abandoned() -> None:
    from linkage.background import Background

    for fork in (True, False):
        job = Background(lambda receive: receive() * 2, fork=fork)
        job.send(21)
        assert job.join()["forked"] is fork and job.result == 42
    failing = Background(lambda receive: 1 / receive(), fork=True)
    failing.send(0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        failing.join()
    abandoned = Background(lambda receive: receive(), fork=True)
    abandoned.close()  # the parent's step failed before sending: the child must not linger
    assert not abandoned._proc.is_alive()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_match_rate_over_patterns_is_the_match_rate_over_every_pair(seed: int) -> None:
    """_match_rate scores each distinct comparison pattern once, weighted by its count: the rate
    every pair scored on its own gives (the definition), for random levels, m, u and record counts."""
    import math

    from linkage.model import _match_rate, non_match_weights

    settings = load_settings()
    rng = np.random.default_rng(seed)
    comps = [c for c in settings.comparisons if not c.context]
    pairs = int(rng.integers(100, 5000))
    kinds = int(rng.integers(2, 30))  # many pairs, few patterns: as candidate pairs are
    which = rng.integers(0, kinds, pairs)
    levels = {c.name: rng.integers(0, c.n_levels, kinds).astype(np.int8)[which] for c in comps}
    model = prior_model(settings, 1000)  # the settings' own m and u: rates away from the clip bounds
    m = {k: np.asarray(v, dtype=np.float64) for k, v in model.m.items()}
    u = {k: np.asarray(v, dtype=np.float64) for k, v in model.u.items()}
    n = int(rng.integers(pairs, 4 * pairs))
    total = n * (n - 1) / 2
    prior = 1.0 / max(n - 1, 2)
    for _ in range(100):  # the definition: every pair, one by one
        new = float(np.clip((1.0 - non_match_weights(m, u, settings, levels, prior)).sum() / total, 1e-12, 0.5))
        if abs(math.log(new) - math.log(prior)) < 1e-4:
            break
        prior = new
    assert 1e-12 < new < 0.5  # not at a bound, where any sum would do
    assert _match_rate(m, u, settings, levels, n) == pytest.approx(new, rel=1e-9)
