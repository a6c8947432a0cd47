"""How far could any re-ranking of the uncertain pairs take recall at a given precision?

The person model is calibrated on the outside set (benchmarks/linkage.md): linking more of its
review band costs precision at about the rate it gains recall. This asks whether a better use of
the same evidence could do more. A gradient-boosted classifier learns the truth from the band pairs'
per-field weights (every comparison level, term-frequency adjusted) and ranks each pair from the
other folds (5-fold cross-validation): an oracle no production run has, since it is taught by the
answers. Band pairs (review and deferred)
are then added to the links in its order, and in the model's order, and each set is clustered
and scored pairwise over every record in the file, exactly as the benchmark scores dots.

If even the oracle's order cannot reach a recall at the precision asked for, the evidence these
comparisons hold cannot, and a target above it needs other evidence, not another threshold.

``--all-candidates`` asks the same of every blocked candidate pair, not only the band: a classifier
learns the truth (3-fold) from each pair's comparison levels and how common each side's forename,
surname and date of birth are in the file (term frequencies, which the band's weights hold only for
exact agreement), and the pairs dots did not link are added in its order. It also prints where the
missed true pairs are (which fields the two records share as written, and whether blocking offered
them), and the blocking ceiling: every true candidate pair linked. It takes about 10 minutes at 1M.

    .venv/bin/python benchmarks/linkage_ceiling.py --data bench-data/linkage/outside/dots-uk_people-1000000-2 \\
        --csv bench-data/linkage/outside/uk_people-1000000-2.csv --precision 0.999
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from linkage_outside import pair_codes, truth_of  # noqa: E402

from linkage.settings import load_settings  # noqa: E402
from linkage.store import LinkageStore  # noqa: E402

BAND = ("review", "deferred")


def clustered_score(n: int, left: np.ndarray, right: np.ndarray, true_codes: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall of the clusters these links make (every record counted)."""
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    found = pair_codes(labels)
    tp = len(np.intersect1d(true_codes, found, assume_unique=True))
    return tp / max(len(found), 1), tp / max(len(true_codes), 1)


def ceiling(data_dir: Path, csv: Path, precision: float, steps: int = 40) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_predict

    truth = truth_of(csv)
    position = pd.Series(np.arange(len(truth)), index=truth["record_key"])
    entity = truth.set_index("record_key")["entity_id"]
    pairs = LinkageStore(data_dir).pairs()
    left = position.reindex(pairs["record_key_l"]).to_numpy()
    right = position.reindex(pairs["record_key_r"]).to_numpy()
    same = entity.reindex(pairs["record_key_l"]).to_numpy() == entity.reindex(pairs["record_key_r"]).to_numpy()
    true_codes = pair_codes(truth["entity_id"].to_numpy())
    linked = (pairs["decision"] == "link").to_numpy()
    band = np.flatnonzero(pairs["decision"].isin(BAND).to_numpy())
    features = pairs[[c for c in pairs.columns if c.endswith("_weight")]].to_numpy(np.float32)[band]
    # each band pair ranked by a classifier that learnt the truth on the other four fifths of the band
    learnt = cross_val_predict(
        HistGradientBoostingClassifier(random_state=0), features, same[band], cv=5, method="predict_proba"
    )[:, 1]
    order = {
        "oracle (trained on the truth, 5-fold)": band[np.argsort(-learnt, kind="stable")],
        "model (match weight)": band[np.argsort(-pairs["match_weight"].to_numpy()[band], kind="stable")],
    }
    base = clustered_score(len(truth), left[linked], right[linked], true_codes)
    out = {"links": base, "band_pairs": len(band), "band_true": int(same[band].sum()), "curves": {}}
    for name, ranked in order.items():
        best, curve = (0, *base), []
        for k in np.unique(np.linspace(0, len(ranked), steps + 1).astype(int)):
            add = ranked[:k]
            links_l, links_r = np.r_[left[linked], left[add]], np.r_[right[linked], right[add]]
            p, r = clustered_score(len(truth), links_l, links_r, true_codes)
            curve.append((int(k), p, r))
            if p >= precision and r > best[2]:
                best = (int(k), p, r)
        out["curves"][name] = {"best_at_precision": best, "curve": curve}
    return out


def missed_by_class(csv: Path, true_codes: np.ndarray, linked: np.ndarray, offered: np.ndarray) -> pd.DataFrame:
    """True pairs by what the two records share as written (address or postcode kept or moved; date
    of birth, forename and surname the same, different or missing), with the share linked and the
    share blocking offered: where the missed pairs are."""
    raw = pd.read_csv(csv, dtype=str)
    n = len(raw)
    lo, hi = true_codes // n, true_codes % n

    def relation(col: str) -> np.ndarray:
        a, b = raw[col].to_numpy()[lo], raw[col].to_numpy()[hi]
        missing = pd.isna(a) | pd.isna(b)
        return np.where(missing, "missing", np.where(a == b, "same", "differs"))

    kept = (raw["address_1"].to_numpy()[lo] == raw["address_1"].to_numpy()[hi]) | (
        raw["postcode"].to_numpy()[lo] == raw["postcode"].to_numpy()[hi]
    )
    table = pd.DataFrame(
        {
            "address": np.where(kept, "kept", "moved"),
            "dob": relation("date_of_birth"),
            "forename": relation("given_name"),
            "surname": relation("surname"),
            "linked": linked,
            "offered": offered,
        }
    )
    out = table.groupby(["address", "dob", "forename", "surname"]).agg(
        pairs=("linked", "size"), linked=("linked", "mean"), offered=("offered", "mean")
    )
    out["missed"] = (out["pairs"] * (1 - out["linked"])).round().astype(int)
    return out.sort_values("missed", ascending=False)


def every_candidate(data_dir: Path, csv: Path, precision: float, frequencies: str = "all") -> None:
    """The oracle over every candidate pair blocking offered (see the module's docstring).

    ``frequencies``: how common each side's forename, surname and date of birth are, given to the
    classifier on every level ("all"), on exact agreement only ("exact", as the model's term
    frequencies), or not at all ("none"): which evidence the gap between dots and the ceiling is."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_predict

    store = LinkageStore(data_dir)
    truth = truth_of(csv)
    n = len(truth)
    position = pd.Series(np.arange(n), index=truth["record_key"])
    entity = truth["entity_id"].to_numpy()
    records = store.records(["record_key", "fn", "sn", "dob_code"])
    at = position.reindex(records["record_key"]).to_numpy()
    cand = pd.read_parquet(data_dir / "linkage" / "candidates.parquet")
    li, ri = cand["l"].to_numpy(), cand["r"].to_numpy()
    left, right = at[li], at[ri]
    same = entity[left] == entity[right]
    true_codes = pair_codes(entity)
    offered = np.isin(true_codes, np.minimum(left, right).astype(np.int64) * n + np.maximum(left, right))
    people = store.entities().set_index("record_key")["person_id"]
    labels = pd.factorize(people.reindex(truth["record_key"]))[0].astype(np.int64)
    alone = labels < 0  # a record the loaders refused is a person of its own
    labels[alone] = labels.max() + 1 + np.arange(alone.sum())
    linked_true = np.isin(true_codes, pair_codes(labels), assume_unique=True)
    pd.set_option("display.width", 200)
    print(f"true pairs {len(true_codes):,}; offered by blocking {offered.mean():.4f}; linked {linked_true.mean():.4f}")
    print("where the missed true pairs are (fields as written):")
    print(missed_by_class(csv, true_codes, linked_true, offered).head(20).to_string(float_format="{:.3f}".format))

    settings = load_settings()
    levels = [c for c in cand.columns if c not in ("l", "r") and cand[c].nunique() > 1]
    columns = [cand[c].to_numpy() for c in levels]
    for field, comparison in (("fn", "forename"), ("sn", "surname"), ("dob_code", "dob")):
        if frequencies == "none":
            break
        count = records[field].map(records[field].value_counts()).fillna(0).to_numpy()
        exact = settings.comparison(comparison).code("exact")  # what the model's term frequencies see
        shown = cand[comparison].to_numpy() == exact if frequencies == "exact" else np.ones(len(cand), dtype=bool)
        columns += [np.where(shown, f(count[li], count[ri]), -1) for f in (np.minimum, np.maximum)]
    features = np.column_stack(columns).astype(np.float32)
    oracle = HistGradientBoostingClassifier(
        categorical_features=list(range(len(levels))), max_leaf_nodes=63, random_state=0
    )
    learnt = cross_val_predict(oracle, features, same, cv=3, method="predict_proba")[:, 1]
    pairs = store.pairs()
    links = pairs[pairs["decision"] == "link"]
    link_l = position.reindex(links["record_key_l"]).to_numpy()
    link_r = position.reindex(links["record_key_r"]).to_numpy()
    link_codes = np.minimum(link_l, link_r).astype(np.int64) * n + np.maximum(link_l, link_r)
    cand_codes = np.minimum(left, right).astype(np.int64) * n + np.maximum(left, right)
    rest = np.flatnonzero(~np.isin(cand_codes, link_codes))
    ranked = rest[np.argsort(-learnt[rest], kind="stable")]
    print(f"every candidate pair ({len(cand):,}), oracle on levels and frequencies ({frequencies}), added to links:")
    best = (0, *clustered_score(n, link_l, link_r, true_codes))
    for k in (0, 1000, 2000, 4000, 8000, *range(10000, 16001, 500), 24000, 32000):
        add = ranked[:k]
        p, r = clustered_score(n, np.r_[link_l, left[add]], np.r_[link_r, right[add]], true_codes)
        print(f"    +{k:>7,} pairs: precision {p:.5f} recall {r:.4f}")
        if p >= precision and r > best[2]:
            best = (k, p, r)
    print(f"best recall at precision >= {precision}: {best[2]:.4f} ({best[0]:,} pairs added, precision {best[1]:.5f})")
    p, r = clustered_score(n, left[same], right[same], true_codes)
    print(f"blocking ceiling (every true candidate pair linked): precision {p:.4f} recall {r:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a dots data folder the outside benchmark left")
    ap.add_argument("--csv", required=True, help="the outside set's file (for the truth)")
    ap.add_argument("--precision", type=float, default=0.999)
    ap.add_argument("--all-candidates", action="store_true", help="also rank every candidate pair (slow)")
    ap.add_argument(
        "--frequencies",
        choices=["all", "exact", "none"],
        default="all",
        help="with --all-candidates: name and date frequencies on every level, on exact levels only, or none",
    )
    args = ap.parse_args()
    if args.all_candidates:
        every_candidate(Path(args.data), Path(args.csv), args.precision, args.frequencies)
    r = ceiling(Path(args.data), Path(args.csv), args.precision)
    p, rec = r["links"]
    print(f"dots as run: precision {p:.4f}, recall {rec:.4f}; band {r['band_pairs']:,} pairs, {r['band_true']:,} true")
    for name, c in r["curves"].items():
        k, p, rec = c["best_at_precision"]
        print(f"{name}: best recall at precision >= {args.precision}: {rec:.4f}", end=" ")
        print(f"({k:,} band pairs added, precision {p:.4f})")
        for k, p, rec in c["curve"][:: max(len(c["curve"]) // 8, 1)]:
            print(f"    +{k:>7,} pairs: precision {p:.4f} recall {rec:.4f}")


if __name__ == "__main__":
    main()
