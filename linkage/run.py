"""Orchestration: staging -> records -> blocking -> comparison -> model -> context -> decisions -> clusters.

``resolve`` is incremental when earlier outputs exist: comparison levels of pairs whose records
have not changed are reused from the candidate cache and the stored model is kept, so only new
or changed records are compared. Everything after comparison (scoring, context, decisions,
clustering) is cheap and is recomputed over all pairs, which is why an incremental run gives
the same entities as a full run with the same model.
"""

from __future__ import annotations

import hashlib
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from linkage import store
from linkage.arrays import unique, unique_inverse
from linkage.background import Background
from linkage.blocking import Candidates, block
from linkage.cluster import assign_ids, closure_pairs, cluster, retired_ids
from linkage.compare import compare, pair_tf, refresh_counted
from linkage.confidential import confidential_people
from linkage.context import Relations, apart, build_relations, co_involved, partner_levels, partner_pairs
from linkage.decide import (
    BY_MODEL,
    BY_NAMES,
    BY_RULE,
    BY_STEWARD,
    LINK,
    NO_LINK,
    REVIEW,
    ambiguous_links,
    decide,
    plainly_two,
)
from linkage.errors import NothingToResolve
from linkage.explain import match_keys
from linkage.features import attach_tf, build_features, term_frequencies
from linkage.golden import golden_for_records, mention_codes
from linkage.model import (
    Model,
    estimate_prior,
    field_weights,
    level_weights,
    probability,
    score,
    train,
    train_context,
    u_exact,
)
from linkage.records import MENTION_COLUMNS, build_records
from linkage.review import review_queue
from linkage.settings import Settings, load_settings
from linkage.steward import CODES
from linkage.store import LinkageStore

# below this many mentions a second process costs more than it saves
FORK_MIN_MENTIONS = 200_000


class Timer:
    """Stage timings, wall and CPU (this process), for the summary (and stderr when progress is on)."""

    def __init__(self, progress: bool):
        self.progress = progress
        self.start = self.last = time.perf_counter()
        self.last_cpu = time.process_time()
        self.timings: dict[str, float] = {}
        self.cpu_timings: dict[str, float] = {}

    def __call__(self, stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.timings[stage] = round(now - self.last, 3)
        self.cpu_timings[stage] = round(cpu - self.last_cpu, 3)
        self.last, self.last_cpu = now, cpu
        if self.progress:
            print(f"[resolve] {stage}: {self.timings[stage]:.2f}s", file=sys.stderr, flush=True)

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 3)


def resolve(
    data_dir: Path,
    progress: bool = False,
    *,
    full: bool = False,
    retrain: bool = False,
    settings_path: Path | None = None,
    fork: bool = True,
) -> dict:
    """Link the staged person records into entities and write the outputs under data_dir/linkage.

    Incremental when outputs exist (``full=True`` recompares every pair, ``retrain=True`` also
    re-estimates the model). Returns a summary: records, pairs by rule, links, review, entities,
    timings. Raises ``NothingToResolve`` (one line for the caller to show) when no person
    records are staged. ``fork=False`` keeps the golden-records step in this process (a server, whose other
    threads make forking it unsafe).
    """
    from staging.store import StagingStore

    staging = StagingStore(data_dir)
    timer = Timer(progress)
    mentions = staging.read("person_records", columns=MENTION_COLUMNS)
    involvements = staging.read("involvements")
    orders = staging.read("orders")
    referrals = staging.read("referrals", columns=["event_key", "notice_key", "record_key", "child_key"])
    timer("read staging")
    summary = resolve_frames(
        Path(data_dir),
        mentions,
        involvements,
        orders,
        referrals=referrals,
        progress=progress,
        full=full,
        retrain=retrain,
        settings=load_settings(settings_path),
        timer=timer,
        fork=fork,
    )
    # confidential follows the person: computed here, where person ids are made
    out = LinkageStore(data_dir)
    withheld = staging.read("addresses", columns=["record_key", "confidential", "seen_on"])
    people = confidential_people(withheld, out.entities())
    out.write_frame(store.CONFIDENTIAL, people)
    summary["confidential_people"] = int(len(people))
    return summary


def _pair_codes(left: np.ndarray, r: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(left, r).astype(np.int64), np.maximum(left, r).astype(np.int64)
    return lo * np.int64(max(n, 1)) + hi


def _weights_by_code(
    rel: Relations, codes: np.ndarray, base: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Pair codes sorted, with each pair's weight from the records alone (no context): what a
    relationship conflict weighs. None where no relationship is recorded (no conflict can arise),
    so sources without them (the outside set) do not sort millions of codes each round."""
    if rel.relations is None or not rel.relations.any():
        return None
    order = np.argsort(codes)
    return codes[order], base[order]


def _lookup(sorted_codes: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of codes in a sorted array and whether each was found."""
    if len(sorted_codes) == 0:
        return np.zeros(len(codes), dtype=np.int64), np.zeros(len(codes), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_codes, codes), 0, len(sorted_codes) - 1)
    return pos, sorted_codes[pos] == codes


class LevelCache:
    """Comparison levels from the previous run, keyed by pairs of unchanged records."""

    def __init__(self, codes: np.ndarray, levels: dict[str, np.ndarray]):
        self.codes = codes
        self.levels = levels

    @classmethod
    def load(cls, data_dir: Path, records: pd.DataFrame, settings: Settings) -> LevelCache | None:
        old = LinkageStore(data_dir).frame(store.RECORDS, columns=["record_key", "feature_hash"])
        cand = LinkageStore(data_dir).frame(store.CANDIDATES)
        if old is None or cand is None:
            return None
        n = len(records)
        old_pos = pd.Index(old["record_key"]).get_indexer(records["record_key"])
        same = old_pos >= 0
        same[same] = old["feature_hash"].values[old_pos[same]] == records["feature_hash"].values[same]
        old_to_new = np.full(len(old), -1, dtype=np.int64)
        old_to_new[old_pos[same]] = np.flatnonzero(same)
        cl, cr = old_to_new[cand["l"].values], old_to_new[cand["r"].values]
        ok = (cl >= 0) & (cr >= 0)
        codes = _pair_codes(cl[ok], cr[ok], n)
        order = np.argsort(codes, kind="stable")
        levels = {}
        for comp in settings.comparisons:
            if comp.context or comp.name not in cand:
                continue
            levels[comp.name] = cand[comp.name].values[ok][order].astype(np.int8)
        return cls(codes[order], levels)


def _levels(
    ft, settings: Settings, left: np.ndarray, r: np.ndarray, cache: LevelCache | None
) -> tuple[dict[str, np.ndarray], int]:
    """Comparison levels for the pairs, reusing cached levels where both records are unchanged."""
    if cache is None or len(cache.codes) == 0:
        return compare(ft, settings, left, r), len(left)
    pos, found = _lookup(cache.codes, _pair_codes(left, r, ft.n))
    todo = np.flatnonzero(~found)
    fresh = compare(ft, settings, left[todo], r[todo]) if len(todo) else None
    out = {}
    for comp in settings.comparisons:
        arr = np.zeros(len(left), dtype=np.int8)
        if comp.name in cache.levels:
            arr[found] = cache.levels[comp.name][pos[found]]
        if fresh is not None:
            arr[todo] = fresh[comp.name]
        out[comp.name] = arr
    # whether a name is a slip depends on how common each spelling is now
    kept = np.flatnonzero(found)
    fresh_levels = refresh_counted(ft, settings, {k: v[kept] for k, v in out.items()}, left[kept], r[kept])
    for name in ("forename", "surname"):
        out[name][kept] = fresh_levels[name]
    return out, len(todo)


def data_digest(records: pd.DataFrame, sl: np.ndarray, sr: np.ndarray, scode: np.ndarray, settings: Settings) -> str:
    """What a model was trained on: the records' compared features and the settings, and the steward
    decisions where the settings blend them into the model (``model.steward_refine``)."""
    h = hashlib.sha256(settings.fingerprint.encode())
    h.update(np.ascontiguousarray(records["feature_hash"].to_numpy(dtype=np.uint64)).tobytes())
    if settings.model.get("steward_refine"):
        keys = records["record_key"].to_numpy(dtype=object)
        h.update("\n".join(f"{keys[a]}|{keys[b]}|{c}" for a, b, c in zip(sl, sr, scode, strict=True)).encode())
    return h.hexdigest()[:16]


def _steward_pairs(data_dir: Path, index: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dec = LinkageStore(data_dir).person_decisions()
    if dec.empty:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0, dtype=np.int8)
    li = dec["record_key_l"].map(index)
    ri = dec["record_key_r"].map(index)
    ok = li.notna() & ri.notna()
    return (
        li[ok].astype(np.int64).values,
        ri[ok].astype(np.int64).values,
        dec["decision"][ok].map(CODES).astype(np.int8).values,
    )


def _append(
    cand: Candidates, levels: dict, left: np.ndarray, r: np.ndarray, new_levels: dict, rule: str
) -> tuple[Candidates, dict]:
    if rule not in cand.rule_names:
        cand.rule_names.append(rule)
    bit = np.uint32(1) << np.uint32(cand.rule_names.index(rule))
    merged = Candidates(
        np.r_[cand.left, left.astype(np.int32)],
        np.r_[cand.right, r.astype(np.int32)],
        np.r_[cand.rules, np.full(len(left), bit, dtype=np.uint32)],
        cand.rule_names,
        cand.report,
    )
    return merged, {k: np.r_[levels[k], new_levels[k]] for k in levels}


def resolve_frames(
    data_dir: Path,
    mentions: pd.DataFrame,
    involvements: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    *,
    progress: bool = False,
    full: bool = False,
    retrain: bool = False,
    settings: Settings | None = None,
    timer: Timer | None = None,
    truth_pairs: tuple[np.ndarray, np.ndarray] | None = None,
    write: bool = True,
    fork: bool = True,
    referrals: pd.DataFrame | None = None,
) -> dict:
    """The whole resolution over staging frames (the benchmark calls this directly).

    ``referrals`` (event_key, notice_key, record_key, child_key): each referral's child is a
    counterpart of the person referred, and referral children of one incident are two children
    (linkage.context)."""
    if mentions.empty:
        raise NothingToResolve(data_dir)
    settings = settings or load_settings()
    timer = timer or Timer(progress)
    golden = None
    if write:
        # golden records in a second process, forked now while this one is small: it prepares
        # what needs only the mentions while this one resolves, then gets the person ids
        fork = fork and len(mentions) >= FORK_MIN_MENTIONS
        golden = Background(partial(_golden_job, Path(data_dir), mentions), fork=fork)
    try:
        frames = (mentions, involvements, orders, referrals)
        return _resolve_frames(data_dir, *frames, settings, timer, golden, full, retrain, truth_pairs, write)
    finally:
        if golden is not None:
            golden.close()


def _golden_job(data_dir: Path, mentions: pd.DataFrame, receive) -> None:
    """Golden records: mention codes first, then (once the person ids arrive) group and write.

    Receives the person id of each record (the rows of build_records) as codes and distinct ids.
    """
    codes = mention_codes(mentions)
    pids, pid_values = receive()
    LinkageStore(data_dir).write_frame(store.GOLDEN, golden_for_records(codes, pids, pid_values))


def _resolve_frames(
    data_dir: Path,
    mentions: pd.DataFrame,
    involvements: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    referrals: pd.DataFrame | None,
    settings: Settings,
    timer: Timer,
    golden: Background | None,
    full: bool,
    retrain: bool,
    truth_pairs: tuple[np.ndarray, np.ndarray] | None,
    write: bool,
) -> dict:
    records = build_records(mentions)
    n = len(records)
    keys = records["record_key"].values
    index = pd.Series(np.arange(n), index=keys)
    timer("records")
    ft = build_features(records)
    timer("features")
    rel = build_relations(index, involvements, orders, settings, referrals)
    timer("relations")

    outputs = LinkageStore(data_dir)
    prev_model_json = outputs.model()
    prev_entities = outputs.frame(store.ENTITIES)
    same_settings = prev_model_json is not None and prev_model_json.get("settings_fingerprint") == settings.fingerprint
    # comparison levels depend on the two records only, so they carry over whatever else changed
    cache = LevelCache.load(data_dir, records, settings) if same_settings and not full else None
    incremental = cache is not None
    sl, sr, scode = _steward_pairs(data_dir, index)
    # the model depends on every record and decision: it is kept only when none changed, so a run
    # after new data gives the clusters a run over all the data in one go would give
    digest = data_digest(records, sl, sr, scode, settings)
    reuse_model = same_settings and not retrain and prev_model_json.get("trained", {}).get("data") == digest

    truth = None
    if truth_pairs is not None:
        tl, tr = index.reindex(truth_pairs[0]).values, index.reindex(truth_pairs[1]).values
        ok = ~(np.isnan(tl) | np.isnan(tr))
        truth = (tl[ok].astype(np.int64), tr[ok].astype(np.int64))
    cand = block(ft, settings, extra=[("steward", sl, sr)], truth=truth)
    timer("blocking")
    levels, n_compared = _levels(ft, settings, cand.left.astype(np.int64), cand.right.astype(np.int64), cache)
    timer("comparison")

    if reuse_model:
        model = Model.from_json(prev_model_json)
        tf_tables = outputs.term_frequencies()
    else:
        tf_tables = term_frequencies(records)
        labels = None
        if len(scode):
            pos, found = _lookup(_pair_codes(cand.left, cand.right, n), _pair_codes(sl, sr, n))
            lab_levels = {k: v[pos[found]] for k, v in levels.items()}
            labels = (lab_levels, scode[found] == CODES["same"])
        model = train(ft, settings, levels, cand.rules, cand.rule_names, labels)
        model.trained["data"] = digest
    attach_tf(ft, records, tf_tables, u_exact(model, settings))
    cand_codes = _pair_codes(cand.left, cand.right, n)

    def pair_extras(c: Candidates, codes: np.ndarray) -> tuple[dict, np.ndarray, dict, np.ndarray]:
        tf = pair_tf(ft, c.left.astype(np.int64))
        co = co_involved(rel, c.left, c.right)
        two = apart(rel, c.left, c.right)
        stew = np.zeros(len(c), dtype=np.int8)
        if len(scode):
            pos, found = _lookup(np.sort(codes), _pair_codes(sl, sr, n))
            order = np.argsort(codes)
            stew[order[pos[found]]] = scode[found]
        return tf, co, two, stew

    tf_pairs, co, two, stew = pair_extras(cand, cand_codes)
    if not reuse_model:
        model = estimate_prior(model, settings, levels, tf_pairs, n)
    timer("model")
    # the record evidence is scored once; each context round only changes the partner level
    context_names = [c.name for c in settings.comparisons if c.context]

    def record_weight(lv: dict, tf: dict) -> np.ndarray:
        return score(model, settings, {k: (np.zeros_like(v) if k in context_names else v) for k, v in lv.items()}, tf)

    def context_weight(lv: dict) -> np.ndarray:
        table = level_weights(model, settings)
        out = np.zeros(len(lv[context_names[0]]) if context_names else 0, dtype=np.float32)
        for name in context_names:
            out += table[name][lv[name]]
        return out

    base = record_weight(levels, tf_pairs)
    weight = base + context_weight(levels)
    rounds = int(settings.context.get("rounds", 2))
    context_trained = False
    partner_new = 0

    def decide_and_cluster(weight: np.ndarray):
        """Decisions over the current candidates, then the clusters they make."""
        dec = decide(settings, weight, levels, co, stew, two)
        if settings.rules.get("ambiguous", True):
            margin = float(settings.cluster.get("ambiguity_margin", 10.0))
            ambiguous_links(dec, cand.left, cand.right, weight, n, margin)
        links = dec.decision == LINK
        evident = plainly_two(settings, levels) if settings.cluster.get("evident_conflicts", True) else None
        closure = (cand.rules & closure_bit) == cand.rules if closure_bit else None  # found by closure alone
        clus = cluster(
            n, cand.left, cand.right, weight, links, dec.cannot_link, dec.must_link, settings.cluster, evident, closure
        )
        return dec, clus

    closure_bit = np.uint32(0)  # the blocking bit of pairs scored because a cluster joined them
    previous_partner = None
    context_rounds = 1
    for _ in range(max(rounds - 1, 0)):
        context_rounds += 1
        dec, clus = decide_and_cluster(weight)
        if settings.context.get("partner_blocking", True):
            pl, pr = partner_pairs(rel, clus.labels, int(settings.context.get("partner_block_max", 40)))
            pc = unique(_pair_codes(pl, pr, n))
            _, found = _lookup(np.sort(cand_codes), pc)
            pc = pc[~found]
            if len(pc):
                nl, nr = pc // max(n, 1), pc % max(n, 1)
                new_levels, fresh = _levels(ft, settings, nl, nr, cache)
                n_compared += fresh
                partner_new += len(pc)
                cand, levels = _append(cand, levels, nl, nr, new_levels, "shared_partner")
                cand_codes = _pair_codes(cand.left, cand.right, n)
                tf_pairs, co, two, stew = pair_extras(cand, cand_codes)
                new_tf = {k: v[-len(pc) :] for k, v in tf_pairs.items()}
                base = np.r_[base, record_weight(new_levels, new_tf)]
                weight = base + context_weight(levels)
        soft = np.sort(cand_codes[weight >= settings.review_weight])
        levels["partner"] = partner_levels(
            rel, settings, cand.left.astype(np.int64), cand.right.astype(np.int64), levels, clus.labels, soft,
            _weights_by_code(rel, cand_codes, base),
        )
        if not reuse_model and not context_trained:
            model = train_context(model, settings, levels, tf_pairs)
            context_trained = True
        weight = base + context_weight(levels)
        # evidence travels one relationship per round (a victim linked in this round lets her
        # partner's records link in the next): stop once no partner level changes
        if previous_partner is not None and np.array_equal(previous_partner, levels["partner"]):
            break
        previous_partner = levels["partner"].copy()
    timer("scoring and context")

    dec, clus = decide_and_cluster(weight)
    if settings.cluster.get("closure", True):
        # the guard sees a conflict only between scored records: score each cluster's pairs that
        # blocking never compared (their partner level from these clusters), then cluster again
        cl, cr = closure_pairs(clus.labels, np.sort(cand_codes), int(settings.cluster["max_size"]))
        if len(cl):
            new_levels, fresh = _levels(ft, settings, cl, cr, cache)
            n_compared += fresh
            soft = np.sort(cand_codes[weight >= settings.review_weight])
            new_levels["partner"] = partner_levels(
                rel, settings, cl, cr, new_levels, clus.labels, soft, _weights_by_code(rel, cand_codes, base)
            )
            cand, levels = _append(cand, levels, cl, cr, new_levels, "cluster")
            closure_bit = np.uint32(1) << np.uint32(cand.rule_names.index("cluster"))
            cand_codes = _pair_codes(cand.left, cand.right, n)
            tf_pairs, co, two, stew = pair_extras(cand, cand_codes)
            new_tf = {k: v[-len(cl) :] for k, v in tf_pairs.items()}
            base = np.r_[base, record_weight(new_levels, new_tf)]
            weight = base + context_weight(levels)
            dec, clus = decide_and_cluster(weight)
    person_id = assign_ids(keys, clus.labels, prev_entities)
    successors = retired_ids(
        keys, person_id, prev_entities, outputs.frame(store.SUCCESSORS), datetime.now(UTC).isoformat(timespec="seconds")
    )
    timer("clustering")

    entities = _entities(n, keys, person_id, cand, weight, dec, clus.cut, model)
    in_review = (dec.decision == REVIEW) | (clus.cut & (dec.decision == LINK))
    source = pd.factorize(records["force_code"].fillna(records["source_system"]).astype(str).to_numpy())[0]
    queue = review_queue(
        settings, keys, cand.left, cand.right, probability(weight), in_review, clus.labels, person_id,
        rel.degree(), source,
    )
    summary = {
        "records": int(n),
        "mentions": int(len(mentions)),
        "candidate_pairs": int(len(cand)),
        "compared_pairs": int(n_compared),
        "partner_pairs_added": int(partner_new),
        "context_rounds": int(context_rounds),
        "pairs_by_rule": {r["rule"]: r["pairs"] for r in cand.report},
        "links": int((dec.decision == LINK).sum()),
        "review": int(len(queue.rows)),
        "review_records": int(len(np.unique(np.r_[cand.left[queue.rows], cand.right[queue.rows]]))),
        "review_deferred": int(queue.deferred.sum()),
        "entities": int(entities["person_id"].nunique()),
        "entities_with_several_records": int((entities["person_id"].value_counts() > 1).sum()),
        "rule_decisions": int((dec.decided_by == BY_RULE).sum()),
        "steward_decisions": int((dec.decided_by == BY_STEWARD).sum()),
        "cluster_guard": clus.report,
        "incremental": incremental,
        "model_retrained": not reuse_model,
        "ids_retired": int(len(successors)),
        "model_version": model.version,
    }
    if not write:
        summary["timings"] = timer.timings
        summary["_entities"] = entities
        summary["_blocking"] = cand.report
        return summary
    # the golden-records process gets the person ids and finishes while this one writes the rest
    pids, pid_values = pd.factorize(entities["person_id"])
    golden.send((pids.astype(np.int32), np.asarray(pid_values, dtype=object)))
    timer("golden records" if not golden.stats["forked"] else "golden records (person ids sent)")
    pairs = _pairs_output(
        settings, model, keys, cand, levels, tf_pairs, weight, dec, clus.cut, queue.deferred, clus.splitters
    )
    review = queue.frame.merge(
        pairs[["record_key_l", "record_key_r", "match_weight", "match_key", "decision", "decided_by"]],
        on=["record_key_l", "record_key_r"],
        how="left",
    )
    _write(data_dir, settings, model, records, entities, pairs, review, successors, cand, levels, tf_tables, summary)
    timer("write")
    summary["golden_process"] = golden.join()
    if golden.stats["forked"]:
        timer("golden records (waiting for the second process)")
    summary["timings"] = timer.timings
    summary["cpu_timings"] = timer.cpu_timings
    summary["seconds"] = timer.total()
    outputs.write_json(store.SUMMARY, summary)
    return summary


def _entities(
    n: int,
    keys: np.ndarray,
    person_id: np.ndarray,
    cand: Candidates,
    weight: np.ndarray,
    dec,
    cut: np.ndarray,
    model: Model,
) -> pd.DataFrame:
    """One row per record: its person, how sure, and who decided."""
    prob = probability(weight)
    link = (dec.decision == LINK) & ~cut
    best_link = np.zeros(n)
    best_other = np.zeros(n)
    for side in (cand.left, cand.right):
        np.maximum.at(best_link, side[link], prob[link])
        np.maximum.at(best_other, side[~link], prob[~link])
    linked = best_link > 0
    confidence = np.where(linked, best_link, 1.0 - best_other)
    by = np.zeros(n, dtype=np.int8)
    ruled = (dec.decided_by == BY_RULE) & (weight >= 0) | cut
    for side in (cand.left, cand.right):
        by[side[ruled]] = BY_RULE
    stew = dec.decided_by == BY_STEWARD
    for side in (cand.left, cand.right):
        by[side[stew]] = BY_STEWARD
    return pd.DataFrame(
        {
            "record_key": keys,
            "person_id": person_id,
            "confidence": confidence.round(6),
            "decided_by": BY_NAMES[by],
            "model_version": model.version,
        }
    )


def _pairs_output(
    settings: Settings,
    model: Model,
    keys: np.ndarray,
    cand: Candidates,
    levels: dict,
    tf_pairs: dict,
    weight: np.ndarray,
    dec,
    cut: np.ndarray,
    deferred: np.ndarray,
    splitters: np.ndarray | None = None,
) -> pd.DataFrame:
    """Scored pairs at or above review, plus every steward, rule or guard decision worth showing.

    A pair in review beyond the queue's budget (see linkage.review) is labelled 'deferred'. A
    ``splitters`` pair (a conflict the cluster guard cut a chain for) is shown whatever its weight:
    it is why the cut links were cut.
    """
    keep = (weight >= settings.review_weight) | (dec.decided_by == BY_STEWARD) | cut | deferred
    if splitters is not None:
        keep |= splitters
    idx = np.flatnonzero(keep)
    lv = {k: v[idx] for k, v in levels.items()}
    tf = {k: v[idx] for k, v in tf_pairs.items()}
    w = field_weights(model, settings, lv, tf)
    labels = dec.labels()[idx]
    labels = np.where(cut[idx] & (dec.decision[idx] == LINK), "review", labels)
    labels = np.where(deferred[idx], "deferred", labels)
    out = pd.DataFrame(
        {
            "record_key_l": keys[cand.left[idx]],
            "record_key_r": keys[cand.right[idx]],
            "match_weight": weight[idx].round(4),
            "probability": probability(weight[idx]).round(6),
            "decision": labels,
            "decided_by": BY_NAMES[dec.decided_by[idx]],
            "cluster_cut": cut[idx],
            "match_key": match_keys(settings, lv, w),
            "blocking_rules": _rule_names(cand, idx),
        }
    )
    for comp in settings.comparisons:
        names = np.array([level.name for level in comp.levels], dtype=object)
        out[f"{comp.name}_level"] = names[lv[comp.name]]
        out[f"{comp.name}_weight"] = w[comp.name].round(4)
    out["partner_level"] = lv["partner"].astype(np.int8)
    return out.sort_values("match_weight", ascending=False, kind="stable").reset_index(drop=True)


def _rule_names(cand: Candidates, idx: np.ndarray) -> np.ndarray:
    bits = cand.rules[idx]
    uniq, inv = unique_inverse(bits)
    names = np.array(
        [",".join(n for i, n in enumerate(cand.rule_names) if int(b) >> i & 1) for b in uniq], dtype=object
    )
    return names[inv] if len(idx) else np.zeros(0, dtype=object)


def _write(
    data_dir: Path,
    settings: Settings,
    model: Model,
    records: pd.DataFrame,
    entities: pd.DataFrame,
    pairs: pd.DataFrame,
    review: pd.DataFrame,
    successors: pd.DataFrame,
    cand: Candidates,
    levels: dict,
    tf_tables: dict,
    summary: dict,
) -> None:
    out = LinkageStore(data_dir)
    out.write_frame(store.ENTITIES, entities)
    out.write_frame(store.PAIRS, pairs)
    out.write_frame(store.REVIEW, review)
    out.write_frame(store.SUCCESSORS, successors)
    out.write_json(store.MODEL, model.to_json(settings))
    tf_rows = [
        pd.DataFrame({"field": f, "value": t.index.astype(str), "count": t.to_numpy()})
        for f, t in tf_tables.items()
        if len(t)
    ]
    tf_frame = (
        pd.concat(tf_rows, ignore_index=True)
        if tf_rows
        else pd.DataFrame(
            {"field": pd.Series(dtype=str), "value": pd.Series(dtype=str), "count": pd.Series(dtype=float)}
        )
    )
    out.write_frame(store.TF, tf_frame)
    if records["feature_hash"].dtype != np.uint64:
        records = records.assign(feature_hash=records["feature_hash"].astype(np.uint64))
    out.write_frame(store.RECORDS, records)
    cache = pd.DataFrame({"l": cand.left.astype(np.int32), "r": cand.right.astype(np.int32)})
    for comp in settings.comparisons:
        if not comp.context:
            cache[comp.name] = levels[comp.name]
    out.write_frame(store.CANDIDATES, cache)
    out.write_json(store.BLOCKING, cand.report)


__all__ = ["resolve", "resolve_frames", "NO_LINK", "BY_MODEL"]
