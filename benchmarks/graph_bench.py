"""Graph benchmark: embedded load of N people, and the latency of the questions users bring.

    .venv/bin/python benchmarks/graph_bench.py --people 1000000 --dir bench-data/graph

Goals (issue): 1M people loaded < 3 min; disclosure view p95 < 50 ms; one force's weekly list
< 2 s; national serial-perpetrator list < 30 s. The world comes from worlds.graph (staged
directly, so only the graph is measured); entities are the generator's truth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph import queries as Q  # noqa: E402
from graph.backend import open_graph  # noqa: E402
from graph.load import load_graph  # noqa: E402
from worlds.graph import generate  # noqa: E402

AS_OF = dt.date(2024, 12, 31)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=Path("bench-data/graph"))
    ap.add_argument("--disclosures", type=int, default=200)
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)

    root = args.dir / f"p{args.people}-s{args.seed}"
    shutil.rmtree(root, ignore_errors=True)
    res: dict = {"people": args.people, "machine": f"{platform.processor() or platform.machine()}, "
                 f"{os.cpu_count()} cores, Python {platform.python_version()}"}

    t = time.perf_counter()
    world = generate(root / "data", people=args.people, seed=args.seed)
    res["generate_s"] = round(time.perf_counter() - t, 1)
    entities = world.persons.rename(columns={"true_person_id": "person_id"}).assign(
        confidence=1.0, decided_by="truth", model_version="truth")

    g = open_graph(root)
    t = time.perf_counter()
    summary = load_graph(root / "data", g, progress=True, entities=entities)
    res["load_s"] = round(time.perf_counter() - t, 1)
    res["nodes"] = sum(v["in_graph"] for v in summary["nodes"].values())
    res["relationships"] = sum(v["in_graph"] for v in summary["relationships"].values())
    res["verified"] = summary["verified"]
    t = time.perf_counter()
    again = load_graph(root / "data", g, entities=entities)
    res["reload_noop_s"] = round(time.perf_counter() - t, 1)
    res["reload_written"] = sum(v["created"] + v["updated"] for p in ("nodes", "relationships")
                                for v in again[p].values())

    suspects = [r["p"] for r in g.run(
        "MATCH (p:Person)-[:SUSPECT_IN]->(:Event) RETURN DISTINCT p.person_id AS p")]
    rng = random.Random(args.seed)
    sample = rng.sample(suspects, min(args.disclosures, len(suspects)))
    Q.disclosure_view(g, sample[0], AS_OF)  # warm: prepared statements, caches
    lat = []
    for pid in sample:
        t = time.perf_counter()
        Q.disclosure_view(g, pid, AS_OF)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    res["disclosure_p50_ms"] = round(statistics.median(lat), 1)
    res["disclosure_p95_ms"] = round(lat[int(0.95 * (len(lat) - 1))], 1)

    forces = g.run("MATCH (e:Event) RETURN e.force_code AS f, count(*) AS n ORDER BY n DESC LIMIT 1")
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        lst = Q.targets(g, forces[0]["f"], AS_OF)
        runs.append(time.perf_counter() - t)
    res["targets_force"] = forces[0]["f"]
    res["targets_rows"] = len(lst)
    res["targets_s"] = round(statistics.median(runs), 2)

    t = time.perf_counter()
    serial = Q.serial_perpetrators(g)
    res["serial_national_s"] = round(time.perf_counter() - t, 1)
    res["serial_rows"] = len(serial)
    g.close()

    goals = {"load_s": 180, "disclosure_p95_ms": 50, "targets_s": 2, "serial_national_s": 30}
    res["goals_met"] = {k: res[k] < v for k, v in goals.items()}
    print(json.dumps(res, indent=1))
    if args.out:
        args.out.write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
