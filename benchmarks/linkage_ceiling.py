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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a dots data folder the outside benchmark left")
    ap.add_argument("--csv", required=True, help="the outside set's file (for the truth)")
    ap.add_argument("--precision", type=float, default=0.999)
    args = ap.parse_args()
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
