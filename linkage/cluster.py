"""Clustering: connected components of accepted links, guarded against chaining, with stable ids.

Components come from scipy's sparse connected components (fast over a million nodes). Only the
suspicious ones go to networkx: a component holding a pair that must not link (a hard rule or a
steward's "not same"), or a pair the model scores strongly against (a "conflict") is cut at its
minimum cut between the two records; for a model conflict only when the cut is weak (the
cluster hangs together by a weak bridge). A pair whose records themselves say two people (dates of
birth far apart, another sex or identifier: ``evident``, decide.plainly_two) is a conflict of the
same kind as a model conflict, whatever its weight: a girl and a boy of near names are not one
person because a third record (a school referral's child with a near name and date) resembles each.

A chain joins records that were never compared with each other (blocking compared only some
pairs), so the guard can only see a conflict between two members if their pair was scored:
``closure_pairs`` lists the pairs of each multi-record cluster that were not, for run.py to compare
and score before the final clustering. Such a pair (``closure``) is a conflict only where it is
evidently two or a hard rule holds it apart, never for its weight alone: a woman's undated record
under her birth surname scores low against her records under her married one, and the chain through
her dated records is what says they are one. A component above the size guard is rebuilt from its
strongest links up to the size limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linkage.arrays import unique
from linkage.blocking import pairs_in_blocks

MUST_LINK_CAPACITY = 1e9


@dataclass
class Clustering:
    labels: np.ndarray  # component label per record
    cut: np.ndarray  # bool per pair: a link removed by the guard
    report: dict = field(default_factory=dict)
    splitters: np.ndarray | None = None  # bool per pair: a conflict the guard cut a chain for (its why)


def components(n: int, left: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Connected component label per node."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, r)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def cluster(
    n: int,
    left: np.ndarray,
    r: np.ndarray,
    weight: np.ndarray,
    link: np.ndarray,
    cannot_link: np.ndarray,
    must_link: np.ndarray,
    settings_cluster: dict,
    evident: np.ndarray | None = None,
    closure: np.ndarray | None = None,
) -> Clustering:
    """Cluster records given scored pairs, their decisions and the pair constraints.

    ``evident``: per pair, the records themselves say two people (decide.plainly_two); inside one
    cluster such a pair that is not a link is a conflict, cut where the cluster's bridge is weak.
    ``closure``: per pair, scored only because a chain joined its records (closure_pairs): its
    weight alone makes no conflict.
    """
    max_size = int(settings_cluster["max_size"])
    conflict_weight = float(settings_cluster["conflict_weight"])
    weak = float(settings_cluster["weak_link_weight"])
    link = link | must_link
    li = np.flatnonzero(link)
    labels = components(n, left[li], r[li])
    same = labels[left] == labels[r]
    against = weight < conflict_weight
    if closure is not None:
        against = against & ~closure
    if evident is not None:
        against = against | evident
    conflict = same & ~link & (cannot_link | against)
    sizes = np.bincount(labels, minlength=1)
    flagged = np.union1d(unique(labels[left[conflict]]), np.flatnonzero(sizes > max_size))
    cut = np.zeros(len(left), dtype=bool)
    splitters = np.zeros(len(left), dtype=bool)
    report = {
        "components_checked": int(len(flagged)),
        "split_hard": 0,
        "split_weak": 0,
        "split_size": 0,
        "links_cut": 0,
    }
    if len(flagged) == 0:
        return Clustering(labels, cut, report, splitters)
    in_flag = np.isin(labels, flagged)
    link_rows = li[in_flag[left[li]]]
    conf_rows = np.flatnonzero(conflict & in_flag[left])
    by_label_links = pd.Series(link_rows).groupby(labels[left[link_rows]]).agg(list) if len(link_rows) else {}
    by_label_conf = pd.Series(conf_rows).groupby(labels[left[conf_rows]]).agg(list) if len(conf_rows) else {}
    for lab in flagged:
        rows = by_label_links.get(lab, [])
        graph = nx.Graph()
        for i in rows:
            cap = MUST_LINK_CAPACITY if must_link[i] else max(float(weight[i]), 1e-6)
            graph.add_edge(int(left[i]), int(r[i]), capacity=cap, row=int(i))
        conf = sorted(by_label_conf.get(lab, []), key=lambda i: (not cannot_link[i], float(weight[i])))
        for i in conf:
            u, v = int(left[i]), int(r[i])
            if u not in graph or v not in graph or not nx.has_path(graph, u, v):
                continue
            value, (side_u, _) = nx.minimum_cut(graph, u, v, capacity="capacity")
            if not cannot_link[i] and value >= weak:
                continue
            if value >= MUST_LINK_CAPACITY:
                continue  # held together by steward decisions: leave for the steward
            side = set(side_u)
            crossing = [(a, b) for a, b in graph.edges() if (a in side) != (b in side)]
            for a, b in crossing:
                cut[graph.edges[a, b]["row"]] = True
            graph.remove_edges_from(crossing)
            splitters[i] = True
            report["split_hard" if cannot_link[i] else "split_weak"] += 1
        for comp in list(nx.connected_components(graph)):
            if len(comp) > max_size:
                report["split_size"] += 1
                for a, b in _size_cut(graph.subgraph(comp), max_size):
                    cut[graph.edges[a, b]["row"]] = True
                    graph.remove_edge(a, b)
    report["links_cut"] = int(cut.sum())
    keep = link & ~cut
    ki = np.flatnonzero(keep)
    return Clustering(components(n, left[ki], r[ki]), cut, report, splitters)


def closure_pairs(labels: np.ndarray, compared: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The record pairs inside each cluster of 3 to ``max_size`` records that were not compared.

    ``compared``: sorted l*n+r codes (l < r) of the pairs already scored. A cluster is a chain of
    links; its members were each compared with some others, and the guard can only cut a chain
    whose ends say two people once that pair is scored. Returns (left, right) with left < right.
    """
    n = len(labels)
    sizes = np.bincount(labels, minlength=1) if n else np.zeros(1, dtype=np.int64)
    rows = np.flatnonzero((sizes[labels] >= 3) & (sizes[labels] <= max_size))
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, b, _ = pairs_in_blocks(rows.astype(np.int64), labels[rows].astype(np.int64), max_size)
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    codes = unique(lo * max(n, 1) + hi)
    pos = np.clip(np.searchsorted(compared, codes), 0, max(len(compared) - 1, 0))
    new = codes[compared[pos] != codes] if len(compared) else codes
    return new // max(n, 1), new % max(n, 1)


def _size_cut(graph: nx.Graph, max_size: int) -> list[tuple[int, int]]:
    """Links to drop so no part exceeds max_size: grow parts from the strongest links (Kruskal)."""
    parent: dict[int, int] = {v: v for v in graph.nodes}
    size: dict[int, int] = {v: 1 for v in graph.nodes}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    dropped = []
    edges = sorted(graph.edges(data="capacity"), key=lambda e: -e[2])
    for a, b, _ in edges:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if size[ra] + size[rb] > max_size:
            dropped.append((a, b))
            continue
        parent[rb] = ra
        size[ra] += size[rb]
    kept_roots = {v: find(v) for v in graph.nodes}
    return [(a, b) for a, b in graph.edges() if kept_roots[a] != kept_roots[b]]


def _hash_ids(keys: np.ndarray) -> list[str]:
    """'P' + 12 hex digits of a stable 64-bit hash of each record key (pandas' fixed-key siphash)."""
    h = pd.util.hash_array(np.asarray(keys, dtype=object), categorize=False) >> np.uint64(16)
    return [f"P{x:012X}" for x in h.tolist()]


def _hash_id(key: str) -> str:
    return _hash_ids(np.array([key], dtype=object))[0]


def _min_key_rows(keys: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Row of the smallest key per group (-1: empty group): keys sorted once as text, in C."""
    order = np.argsort(np.asarray(keys, dtype=str), kind="stable")
    first = np.full(n_groups, -1, dtype=np.int64)
    first[groups[order[::-1]]] = order[::-1]  # earlier (smaller) keys overwrite later ones
    return first


def assign_ids(record_keys: np.ndarray, labels: np.ndarray, previous: pd.DataFrame | None) -> np.ndarray:
    """Stable person ids.

    A fresh entity's id is a hash of its smallest record key. An entity that carries on a
    previous one keeps that id: each previous id goes to the new entity holding most of its
    records (ties: the one holding its smallest record key). So ids survive re-runs whose
    members have not changed, and incremental and full runs from the same history agree.
    Array work over integer codes throughout (a million records with a previous run: seconds).
    """
    record_keys = np.asarray(record_keys, dtype=object)
    labels = np.asarray(labels, dtype=np.int64)
    n_labels = int(labels.max()) + 1 if len(labels) else 0
    min_row = _min_key_rows(record_keys, labels, n_labels)
    present = min_row >= 0
    min_key = np.full(n_labels, None, dtype=object)
    min_key[present] = record_keys[min_row[present]]
    ids = np.full(n_labels, None, dtype=object)
    ids[present] = _hash_ids(min_key[present])
    if previous is not None and not previous.empty:
        prev_keys = previous["record_key"].to_numpy(dtype=object)
        prev_pid, pid_values = pd.factorize(previous["person_id"].to_numpy(dtype=object))
        prev_index = pd.Index(prev_keys)
        prev_at = prev_index.get_indexer(record_keys)  # previous row of each record, -1: new
        held = prev_at >= 0
        if held.any():
            pid_min = _min_key_rows(prev_keys, prev_pid, len(pid_values))
            overlap = (
                pd.DataFrame({"pid": prev_pid[prev_at[held]], "label": labels[held]})
                .groupby(["pid", "label"])
                .size()
                .rename("n")
                .reset_index()
            )
            o_pid, o_label = overlap["pid"].to_numpy(), overlap["label"].to_numpy()
            # the new entity holds the old one's smallest key
            overlap["holds_min"] = min_key[o_label] == prev_keys[pid_min[o_pid]]
            # the new entity's smallest key was held by this old entity
            min_prev = prev_index.get_indexer(min_key[o_label])
            overlap["new_min_in_old"] = (min_prev >= 0) & (prev_pid[np.maximum(min_prev, 0)] == o_pid)
            # old ids in text order, as integers (sorting on the strings themselves is slow)
            pid_rank = np.empty(len(pid_values), dtype=np.int64)
            pid_rank[np.argsort(np.asarray(pid_values, dtype=str), kind="stable")] = np.arange(len(pid_values))
            overlap["pid_rank"] = pid_rank[o_pid]
            overlap = overlap.sort_values(["pid_rank", "n", "holds_min"], ascending=[True, False, False])
            best_for_old = overlap.drop_duplicates("pid")
            # a new entity offered several old ids takes the one that held its smallest key, else the largest
            best_for_old = best_for_old.sort_values(
                ["label", "new_min_in_old", "n", "pid_rank"], ascending=[True, False, False, True]
            )
            chosen = best_for_old.drop_duplicates("label")
            chosen_label = chosen["label"].to_numpy()
            chosen_pid = pid_values[chosen["pid"].to_numpy()]
            ids[chosen_label] = chosen_pid
            fresh = present.copy()
            fresh[chosen_label] = False
            taken = pd.Index(pid_values)  # every previous id (the chosen ones among them)
            # a split part whose hash id is still held by its old entity
            clash = np.flatnonzero(fresh & (taken.get_indexer(ids) >= 0))
            if len(clash):
                ids[clash] = _hash_ids(np.asarray([k + "#split" for k in min_key[clash]], dtype=object))
    return ids[labels]


def retired_ids(
    record_keys: np.ndarray,
    person_id: np.ndarray,
    previous: pd.DataFrame | None,
    earlier: pd.DataFrame | None,
    when: str,
) -> pd.DataFrame:
    """The map from person ids no longer in use to the ids that carry them on.

    How ids survive (see assign_ids): an entity that continues a previous one keeps its id. When
    two previous entities merge, the merged entity keeps the id of the one that held its smallest
    record key (else the larger), and the other id is *retired* with the merged entity as its
    successor. When an entity splits, the part holding most of its records keeps the id and the
    other parts get new ids: nothing is retired, and the old id still leads to most of the person.
    An id whose records are all gone (erased) is retired with no successor. The map accumulates
    over runs (``earlier``); an id that comes back into use leaves it; a successor later retired
    in turn is followed by ``LinkageStore.current_id``.
    """
    cols = ["retired_id", "person_id", "retired_at", "reason"]
    live = pd.Index(pd.unique(np.asarray(person_id, dtype=object)))
    frames = [earlier[cols]] if earlier is not None and not earlier.empty else []
    if previous is not None and not previous.empty:
        gone = previous[~previous["person_id"].isin(live)]
        if len(gone):
            now = pd.Series(np.asarray(person_id, dtype=object), index=np.asarray(record_keys, dtype=object))
            held = gone.assign(successor=gone["record_key"].map(now))
            counts = held.dropna(subset=["successor"]).groupby(["person_id", "successor"]).size().rename("n")
            best = (
                counts.reset_index()
                .sort_values(["person_id", "n", "successor"], ascending=[True, False, True])
                .drop_duplicates("person_id")
                .set_index("person_id")["successor"]
            )
            ids = pd.unique(gone["person_id"])
            successor = pd.Series(ids, index=ids).map(best)
            frames.append(
                pd.DataFrame(
                    {
                        "retired_id": ids,
                        "person_id": successor.to_numpy(dtype=object),
                        "retired_at": when,
                        "reason": np.where(successor.isna(), "records removed", "merged"),
                    }
                )
            )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(frames, ignore_index=True).drop_duplicates("retired_id", keep="last")
    return out[~out["retired_id"].isin(live)].reset_index(drop=True)
