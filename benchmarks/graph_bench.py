"""Graph benchmark: the load of N people and the questions users bring, on both engines in one run.

    nice .venv/bin/python benchmarks/graph_bench.py --people 1000000 --dir bench-data/graph

The world comes from worlds.graph (staged directly, so only the graph is measured); entities are
the generator's truth. Each engine gets the same world: the embedded LadybugDB in a fresh
directory, and Neo4j (Community 5.26 with GDS, started by tools/neo4j_local.py with its data under
``--dir``, or the server of ``NEO4J_URI``, which is emptied first) from an empty database.

Goals (issues): 1M people loaded < 3 min embedded and < 5 min into Neo4j; disclosure view
p95 < 50 ms; one force's weekly list < 2 s; national serial-perpetrator list < 30 s.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph import queries as Q  # noqa: E402
from graph.backend import GraphBackend, open_graph  # noqa: E402
from graph.load import load_graph  # noqa: E402
from worlds.graph import generate  # noqa: E402

AS_OF = dt.date(2024, 12, 31)
GOALS = {"ladybug": {"load_s": 180}, "neo4j": {"load_s": 300}}
QUERY_GOALS = {"disclosure_p95_ms": 50, "targets_s": 2, "serial_national_s": 30}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=Path("bench-data/graph"))
    ap.add_argument("--engines", default="ladybug,neo4j", help="comma-separated: ladybug, neo4j")
    ap.add_argument("--disclosures", type=int, default=200)
    ap.add_argument("--networks", type=int, default=50, help="people whose network groups are computed")
    ap.add_argument("--neo4j-heap", default="3g")
    ap.add_argument("--neo4j-pagecache", default="3g")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)

    root = args.dir / f"p{args.people}-s{args.seed}"
    shutil.rmtree(root, ignore_errors=True)
    res: dict = {"people": args.people, "machine": f"{platform.processor() or platform.machine()}, "
                 f"{os.cpu_count()} cores, Python {platform.python_version()}",
                 "load_average_start": os.getloadavg(), "engines": {}}
    t = time.perf_counter()
    world = generate(root / "data", people=args.people, seed=args.seed)
    res["generate_s"] = round(time.perf_counter() - t, 1)
    entities = world.persons.rename(columns={"true_person_id": "person_id"}).assign(
        confidence=1.0, decided_by="truth", model_version="truth")
    for engine in args.engines.split(","):
        print(f"== {engine}", file=sys.stderr)
        if engine == "neo4j":
            res["engines"][engine] = run_neo4j(root, entities, args)
        else:
            with open_graph(root / "ladybug") as g:
                res["engines"][engine] = measure(g, root / "data", entities, args)
            res["engines"][engine]["store_mb"] = _mb(root / "ladybug" / "graph")
        res["engines"][engine]["goals_met"] = {
            k: res["engines"][engine][k] < v for k, v in {**GOALS.get(engine, {}), **QUERY_GOALS}.items()}
        print(json.dumps(res["engines"][engine], indent=1), file=sys.stderr)
    res["load_average_end"] = os.getloadavg()
    print(json.dumps(res, indent=1))
    if args.out:
        args.out.write_text(json.dumps(res, indent=1))
    return res


def run_neo4j(root: Path, entities, args) -> dict:
    """On the server of NEO4J_URI (emptied), else on a local one started for the run and stopped."""
    from tools.neo4j_local import start, stop

    server = None
    if os.environ.get("NEO4J_URI"):
        g = open_graph(root, uri=os.environ["NEO4J_URI"])
    else:
        server = start(root / "neo4j", heap=args.neo4j_heap, pagecache=args.neo4j_pagecache)
        g = open_graph(root, uri=server.uri, user=server.user, password=server.password)
    try:
        g.clear()
        out = measure(g, root / "data", entities, args)
        out["server"] = g.run("CALL dbms.components() YIELD versions, edition "
                              "RETURN versions[0] + ' ' + edition AS v")[0]["v"]
        out["heap"], out["pagecache"] = args.neo4j_heap, args.neo4j_pagecache
    finally:
        g.close()
        if server is not None:
            stop(server.home)
    if server is not None:
        out["store_mb"] = _mb(server.home / "data" / "databases" / "neo4j")
    return out


def measure(g: GraphBackend, data_dir: Path, entities, args) -> dict:
    """Fresh load, no-op reload, then the questions (each after one warm-up call)."""
    res: dict = {}
    t = time.perf_counter()
    summary = load_graph(data_dir, g, progress=True, entities=entities)
    res["load_s"] = round(time.perf_counter() - t, 1)
    res["load_average_after_load"] = os.getloadavg()[0]
    res["nodes"] = sum(v["in_graph"] for v in summary["nodes"].values())
    res["relationships"] = sum(v["in_graph"] for v in summary["relationships"].values())
    res["verified"] = summary["verified"]
    t = time.perf_counter()
    again = load_graph(data_dir, g, entities=entities)
    res["reload_noop_s"] = round(time.perf_counter() - t, 1)
    res["reload_written"] = sum(v["created"] + v["updated"] for p in ("nodes", "relationships")
                                for v in again[p].values())

    suspects = sorted(r["p"] for r in g.run(
        "MATCH (p:Person)-[:SUSPECT_IN]->(:Event) RETURN DISTINCT p.person_id AS p"))
    rng = random.Random(args.seed)
    sample = rng.sample(suspects, min(args.disclosures, len(suspects)))
    res["disclosure_p50_ms"], res["disclosure_p95_ms"] = _latency(
        lambda pid: Q.disclosure_view(g, pid, AS_OF), sample)
    res["network_groups_p50_ms"], res["network_groups_p95_ms"] = _latency(
        lambda pid: Q.network_groups(g, pid, depth=2), sample[: args.networks])

    forces = g.run("MATCH (e:Event) RETURN e.force_code AS f, count(*) AS n ORDER BY n DESC LIMIT 1")
    Q.targets(g, forces[0]["f"], AS_OF)
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
    return res


def _latency(fn, items: list) -> tuple[float, float]:
    """p50 and p95 milliseconds of ``fn`` over ``items`` (after one warm-up call)."""
    if not items:
        return 0.0, 0.0
    fn(items[0])
    lat = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    return round(statistics.median(lat), 1), round(lat[int(0.95 * (len(lat) - 1))], 1)


def _mb(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) // 2**20


if __name__ == "__main__":
    main()
