"""API benchmark: requests per second and p50/p99 latency of the person profile and the candidate
search, 32 concurrent clients on loopback, against a graph of 100k people.

    .venv/bin/python benchmarks/api_bench.py --people 100000 --clients 32 --seconds 30

The world comes from graph.sample (staged directly), is linked by linkage.run.resolve and loaded
into the embedded graph once per --dir (reused while its marker exists; --rebuild to redo). The
server is ``api.app.serve`` in its own process (uvicorn, one worker, as ``dots serve`` runs it);
the clients are asyncio + httpx in this process, each in a closed loop (send, wait for the answer,
send the next), authenticated by service-account API keys. Every request carries a purpose and a
reference and is audited, as in production; the per-account search rate limit is switched off
(DOTS_SEARCH_PER_MINUTE=0) because the clients are a load generator, not people. Goal (issue):
p99 <= 150 ms with no errors. Results go to stdout as Markdown and to --out as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WHY = {"purpose": "intelligence", "reference": "BENCH-1"}


def build(data_dir: Path, people: int, seed: int, rebuild: bool) -> dict:
    """Stage, link and load a world of ``people`` (skipped when already built)."""
    marker = data_dir / ".api-bench-built"
    if marker.exists() and not rebuild:
        return json.loads(marker.read_text())
    import shutil

    from graph.backend import open_graph
    from graph.load import load_graph
    from graph.sample import generate
    from linkage.run import resolve

    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    out: dict = {"people": people, "seed": seed}
    t = time.perf_counter()
    generate(data_dir, people=people, seed=seed)
    out["generate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    summary = resolve(data_dir)
    out["resolve_s"] = round(time.perf_counter() - t, 1)
    out["records"], out["entities"] = summary.get("records"), summary.get("entities")
    t = time.perf_counter()
    with open_graph(data_dir) as g:
        load_graph(data_dir, g)
        out["persons_in_graph"] = g.run("MATCH (p:Person) RETURN count(*) AS n")[0]["n"]
    out["load_s"] = round(time.perf_counter() - t, 1)
    marker.write_text(json.dumps(out))
    return out


def accounts(data_dir: Path) -> dict[str, str]:
    """API keys of national service accounts for the two audiences measured."""
    path = data_dir / "state" / "bench-keys.json"
    if path.exists():
        return json.loads(path.read_text())
    from api.users import add_user

    keys = {
        role: add_user(data_dir, f"bench.{role}", role, [], None, national=True, service=True)["api_key"]
        for role in ("analyst", "disclosure_officer")
    }
    path.write_text(json.dumps(keys))
    return keys


def sample_people(data_dir: Path, n: int, seed: int) -> tuple[list[str], list[dict]]:
    """Person ids to profile (suspects and victims) and name/age queries to search for."""
    from graph.backend import open_graph

    with open_graph(data_dir) as g:
        rows = g.run(
            "MATCH (p:Person)-[:SUSPECT_IN|VICTIM_IN]->(:Event) "
            "RETURN DISTINCT p.person_id AS id, p.forenames AS f, p.surname AS s, p.dob AS dob LIMIT 20000"
        )
    rng = random.Random(seed)
    picked = rng.sample(rows, min(n, len(rows)))
    searches = [
        {
            "name": f"{(r['f'] or '').split(' ')[0]} {r['s']}".strip(),
            **({"age": 2024 - r["dob"].year} if r.get("dob") else {}),
        }
        for r in picked
    ]
    return [r["id"] for r in picked], searches


def open_case(base: str, key: str) -> int:
    """A right-to-ask case to search under (a search belongs to a case)."""
    import httpx

    body = {
        "route": "ask",
        "force": "E23000007",
        "applicant": {"name": "Bench Applicant"},
        "person_at_risk": {"name": "Bench Applicant"},
        "subject": {"name": "Bench Subject"},
        "relationship": "current_partner",
    }
    r = httpx.post(
        f"{base}/disclosure/cases",
        params={**WHY, "purpose": "dvds"},
        json=body,
        headers={"X-API-Key": key},
        timeout=60,
    )
    r.raise_for_status()
    return int(r.json()["id"])


def warm(base: str, key: str, path: tuple[str, dict]) -> None:
    import httpx

    r = httpx.get(base + path[0], params={**WHY, "purpose": "dvds", **path[1]}, headers={"X-API-Key": key}, timeout=600)
    r.raise_for_status()


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DOTS_SEARCH_PER_MINUTE": "0", "PYTHONPATH": str(ROOT)}
    code = f"from api.app import serve; serve({str(data_dir)!r}, '127.0.0.1', {port})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start: " + (proc.stderr.read().decode()[-2000:] if proc.stderr else ""))


async def drive(
    base: str,
    key: str,
    paths: list[tuple[str, dict]],
    clients: int,
    seconds: float,
    warmup: float,
    interval: float = 0.0,
    purpose: str = "intelligence",
) -> dict:
    """``clients`` loops over ``paths`` for ``seconds`` after ``warmup``: closed (the next request as
    soon as the answer arrives) or, with ``interval``, paced (one request per interval per client,
    like people reading each answer)."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    start = time.perf_counter()
    stop_warm, stop = start + warmup, start + warmup + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=30) as http:

        async def client(i: int) -> None:
            rng = random.Random(i)
            if interval:
                await asyncio.sleep(rng.random() * interval)  # spread the clients' starts
            while (now := time.perf_counter()) < stop:
                path, params = rng.choice(paths)
                t = time.perf_counter()
                try:
                    r = await http.get(path, params={**WHY, "purpose": purpose, **params})
                    code = r.status_code
                except httpx.HTTPError as exc:
                    code = 0
                    errors.append(type(exc).__name__)
                took = time.perf_counter() - t
                if now >= stop_warm:
                    latencies.append(took)
                    statuses[code] = statuses.get(code, 0) + 1
                if interval and took < interval:
                    await asyncio.sleep(interval - took)

        await asyncio.gather(*(client(i) for i in range(clients)))
    latencies.sort()
    n = len(latencies)
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)

    def q(p: float) -> float:
        return round(1000 * latencies[min(n - 1, int(p * n))], 1) if n else float("nan")

    return {
        "requests": n,
        "rps": round(n / seconds, 1),
        "p50_ms": q(0.50),
        "p95_ms": q(0.95),
        "p99_ms": q(0.99),
        "max_ms": round(1000 * latencies[-1], 1) if n else None,
        "mean_ms": round(1000 * statistics.fmean(latencies), 1) if n else None,
        "ok": ok,
        "errors": n - ok,
        "statuses": statuses,
        "transport_errors": errors[:5],
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=ROOT / "bench-data" / "api")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="seconds between one client's requests (0: closed loop, as fast as answered)",
    )
    ap.add_argument("--scenarios", default="profile,search", help="comma-separated: profile, search")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    data_dir = args.dir / f"p{args.people}-s{args.seed}"
    res: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        "clients": args.clients,
        "seconds": args.seconds,
        "interval": args.interval,
    }
    t = time.perf_counter()
    res["build"] = build(data_dir, args.people, args.seed, args.rebuild)
    res["build"]["wall_s"] = round(time.perf_counter() - t, 1)
    keys = accounts(data_dir)
    ids, searches = sample_people(data_dir, 2000, args.seed)
    server = start_server(data_dir, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for scenario in args.scenarios.split(","):
            if scenario == "profile":
                paths = [(f"/analyst/persons/{pid}", {}) for pid in ids]
                key = keys["analyst"]
            elif scenario == "search":
                key = keys["disclosure_officer"]
                cid = open_case(base, key)
                paths = [(f"/disclosure/cases/{cid}/candidates", q) for q in searches]
                warm(base, key, paths[0])  # the search index is built on first use
            else:
                raise SystemExit(f"unknown scenario {scenario}")
            purpose = "dvds" if scenario == "search" else "intelligence"
            res[scenario] = asyncio.run(
                drive(base, key, paths, args.clients, args.seconds, args.warmup, args.interval, purpose)
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    loop = f"paced, one request per {args.interval} s per client" if args.interval else "closed loop"
    print(
        f"\nAPI benchmark: {args.people:,} people, {args.clients} clients ({loop}), {args.seconds:.0f} s per "
        f"route, {res['machine']}\n"
    )
    print("| route | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for scenario in args.scenarios.split(","):
        r = res[scenario]
        print(
            f"| {scenario} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | "
            f"{r['errors']} |"
        )
    if args.out:
        args.out.write_text(json.dumps(res, indent=2, default=str))
    return res


if __name__ == "__main__":
    main()
