"""Ingest throughput and peak memory: synthetic extracts of about N person-involvement rows.

    .venv/bin/python benchmarks/ingest_bench.py --people 1000000

Generation is not timed. The ingest runs in a fresh child process so its peak resident memory
(``ru_maxrss`` of the child) is the ingest's alone. Prints a Markdown table row.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys, time
from pathlib import Path
from loaders.ingest import ingest_paths
start = time.perf_counter()
results = ingest_paths([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]))
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": sum(r.rows_read for r in results),
                  "loaded": sum(r.loaded for r in results),
                  "quarantined": sum(r.quarantined for r in results)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    from synth.generate import generate

    work = args.workdir or Path(tempfile.mkdtemp(prefix="dots-ingest-bench-"))
    extracts = work / "extracts"
    if not extracts.exists():
        generate(extracts, people=args.people, seed=args.seed)
    inputs = sorted(str(p) for p in extracts.iterdir() if p.name != "truth")
    shutil.rmtree(work / "state", ignore_errors=True)  # measure a first load, not a skip
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(work / "state"), *inputs],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("| rows read | loaded | quarantined | seconds | rows/s | peak RSS (MB) | machine |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| {result['rows']:,} | {result['loaded']:,} | {result['quarantined']:,} "
        f"| {result['seconds']:.1f} | "
        f"{result['rows'] / result['seconds']:,.0f} | {peak_mb:,.0f} | {platform.machine()}, "
        f"{_cores()} cores, Python {platform.python_version()} |"
    )
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
