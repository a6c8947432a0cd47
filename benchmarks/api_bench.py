"""API benchmark: requests per second and p50/p99 latency of the person profile and the candidate
search, 32 concurrent clients on loopback, against a graph of 100k people.

    .venv/bin/python benchmarks/api_bench.py --people 100000 --clients 32 --seconds 20

The world comes from worlds.graph (staged directly), is linked by linkage.run.resolve and loaded
into the embedded graph once per --dir (reused while its marker exists; --rebuild to redo). The
server is ``api.app.serve`` in its own process (uvicorn, one worker, and its search ranker
process, as ``dots serve`` runs it).
The load generator is ``wrk`` (C, one thread per core, a Lua script walking a list of paths;
``apt-get install wrk``) or, with ``--client httpx``, asyncio + httpx in this process (which
needs a core of its own). Either way each of the clients runs a closed loop (send, wait for the
answer, send the next) and every request takes the NEXT path of the phase's list, so a phase of
distinct people or names never repeats one unless the list runs out (reported as ``wrapped``).

Phases (``--phases``):

* ``profile-cold``: a server started with the graph cache off (DOTS_GRAPH_CACHE=0): every
  profile is read from the graph, as the first request for a person would be without a cache;
* ``profile``: the server as ``dots serve`` runs it (the cache filled from whole-graph reads at
  start), people never asked for before;
* ``search-cold``: names never searched before, each name and age once (linkage ranks each one);
* ``search-warm``: the same names asked again (answered from the search cache).

Every request uses a national service account's API key, carries a purpose and a reference and
is audited exactly as in production (hash-chained record committed before the answer leaves).
The per-account search rate limit is off (DOTS_SEARCH_PER_MINUTE=0): the clients are a load
generator, not people. People are drawn at random from everyone with an event; search terms are
their first forename, surname and age. Cache hits and misses per phase come from the server
(``GET /admin/caches``); server CPU per request from /proc. Goal (issue): p99 <= 150 ms with no
errors. Results go to stdout as Markdown and to --out as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WHY = {"reference": "BENCH-1"}
PHASES = ("profile-cold", "profile", "search-cold", "search-warm")

WRK_SCRIPT = """
-- thread t of T walks paths t, t+T, t+2T, ... of the PATHS file; X-API-Key from KEY
local n = 0
function setup(thread)
  thread:set("tidx", n)
  n = n + 1
end
function init(args)
  paths = {}
  for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
  wrk.headers["X-API-Key"] = os.getenv("KEY")
  nthreads = tonumber(os.getenv("THREADS"))
  counter = 0
end
function request()
  local i = (counter * nthreads + tidx) % #paths + 1
  counter = counter + 1
  return wrk.format("GET", paths[i])
end
"""


def build(data_dir: Path, people: int, seed: int, rebuild: bool) -> dict:
    """Stage, link and load a world of ``people`` (skipped when already built)."""
    marker = data_dir / ".api-bench-built"
    if marker.exists() and not rebuild:
        return json.loads(marker.read_text())
    from graph.backend import open_graph
    from graph.load import load_graph
    from linkage.run import resolve
    from worlds.graph import generate

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
    """API keys of national service accounts: the two audiences measured, and an admin for the
    cache counters."""
    from api.auth.users import add_user

    path = data_dir / "state" / "bench-keys.json"
    keys = json.loads(path.read_text()) if path.exists() else {}
    for role in ("analyst", "disclosure_officer", "admin"):
        if role not in keys:
            keys[role] = add_user(data_dir, f"bench.{role}", role, [], None, national=True, service=True)["api_key"]
    path.write_text(json.dumps(keys))
    return keys


def sample_people(data_dir: Path, n: int, seed: int) -> tuple[list[str], list[dict]]:
    """``n`` people drawn at random from everyone with an event (suspects, victims, witnesses),
    their ids to profile and their names and ages to search for."""
    from graph.backend import open_graph

    with open_graph(data_dir) as g:
        rows = g.run(
            "MATCH (p:Person)-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN|OTHER_IN]->(:Event) "
            "RETURN DISTINCT p.person_id AS id, p.forenames AS f, p.surname AS s, p.dob AS dob"
        )
    rows.sort(key=lambda r: r["id"])
    picked = random.Random(seed).sample(rows, min(n, len(rows)))
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


def start_server(data_dir: Path, port: int, admin_key: str, env: dict[str, str]) -> subprocess.Popen:
    """The API in its own process; returns once it answers and its cache fill has ended."""
    import httpx

    # a benchmark world, keys beside its data: a demonstration, said so (api.config.check_key_placement)
    full = {**os.environ, "DOTS_SEARCH_PER_MINUTE": "0", "PYTHONPATH": str(ROOT), "DOTS_DEMO": "1", **env}
    code = f"from api.app import serve; serve({str(data_dir)!r}, '127.0.0.1', {port})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/admin/caches", headers={"X-API-Key": admin_key}, timeout=5)
            # the fill has ended (a cache switched off never fills; one not yet enabled has not begun)
            if r.status_code == 200 and (r.json()["prefill"] or env.get("DOTS_GRAPH_CACHE") == "0"):
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start: " + (proc.stderr.read().decode()[-2000:] if proc.stderr else ""))


def caches(base: str, admin_key: str) -> dict:
    import httpx

    return httpx.get(f"{base}/admin/caches", headers={"X-API-Key": admin_key}, timeout=30).json()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live process started by ``pid``, at any depth (the search rankers and their forkserver)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            out += [child, *descendants(child)]
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and of every process it started that is still running."""
    total = 0.0
    for p in [pid, *descendants(pid)]:
        try:
            total += cpu_seconds(p)
        except OSError:
            pass
    return total


def rss_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024)
    return None


def run_wrk(base: str, key: str, paths: list[str], clients: int, seconds: float) -> dict:
    """wrk over ``paths`` (each request the next one): its latency distribution and counts."""
    threads = min(clients, os.cpu_count() or 2)
    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp) / "walk.lua", Path(tmp) / "paths.txt"
        script.write_text(WRK_SCRIPT)
        listing.write_text("\n".join(paths) + "\n")
        env = {**os.environ, "PATHS": str(listing), "KEY": key, "THREADS": str(threads)}
        cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "30s", "--latency"]
        out = subprocess.run([*cmd, "-s", str(script), base], env=env, capture_output=True, text=True, check=True)
    text = out.stdout
    n = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return float("nan")
        return round(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)], 1)

    mx = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", text)
    return {
        "requests": n,
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
        "max_ms": round(float(mx.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[mx.group(2)], 1) if mx else None,
        "errors": (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0),
        "command": " ".join(cmd) + " -s walk.lua " + base,
    }


async def run_httpx(base: str, key: str, paths: list[str], clients: int, seconds: float) -> dict:
    """The same closed loop from asyncio + httpx in this process."""
    import httpx

    latencies: list[float] = []
    errors = 0
    nxt = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=30) as http:

        async def client() -> None:
            nonlocal nxt, errors
            while time.perf_counter() < stop:
                path = paths[nxt % len(paths)]
                nxt += 1
                t = time.perf_counter()
                try:
                    ok = (await http.get(path)).status_code < 300
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t)
                errors += not ok

        await asyncio.gather(*(client() for _ in range(clients)))
    latencies.sort()
    n = len(latencies)

    def q(p: float) -> float:
        return round(1000 * latencies[min(n - 1, int(p * n))], 1) if n else float("nan")

    return {
        "requests": n,
        "rps": round(n / seconds, 1),
        "p50_ms": q(0.50),
        "p90_ms": q(0.90),
        "p99_ms": q(0.99),
        "max_ms": round(1000 * latencies[-1], 1) if n else None,
        "mean_ms": round(1000 * statistics.fmean(latencies), 1) if n else None,
        "errors": errors,
        "command": f"httpx closed loop, {clients} clients, {seconds:.0f} s",
    }


def measure(
    client: str, base: str, key: str, paths: list[str], clients: int, seconds: float, pid: int, admin_key: str
) -> dict:
    """One phase: the load, and what the server did for it (CPU, cache hits and misses)."""
    before, cpu0, load0 = caches(base, admin_key), cpu_seconds(pid), os.getloadavg()[0]
    tree0 = tree_cpu_seconds(pid)
    if client == "wrk":
        res = run_wrk(base, key, paths, clients, seconds)
    else:
        res = asyncio.run(run_httpx(base, key, paths, clients, seconds))
    after, cpu1, load1 = caches(base, admin_key), cpu_seconds(pid), os.getloadavg()[0]
    tree1 = tree_cpu_seconds(pid)
    res["client"] = client
    res["wrapped"] = res["requests"] > len(paths)
    res["server_cpu_ms_per_request"] = round(1000 * (cpu1 - cpu0) / max(res["requests"], 1), 2)
    res["rankers_cpu_ms_per_request"] = round(1000 * (tree1 - tree0 - (cpu1 - cpu0)) / max(res["requests"], 1), 2)
    res["load_avg"] = f"{load0:.1f}-{load1:.1f}"
    for name in ("graph", "searches"):
        hits = after[name]["hits"] - before[name]["hits"]
        misses = after[name]["misses"] - before[name]["misses"]
        res[f"{name}_cache_hits"], res[f"{name}_cache_misses"] = hits, misses
        res[f"{name}_hit_ratio"] = round(hits / (hits + misses), 3) if hits + misses else None
    return res


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=ROOT / "bench-data" / "api")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--client", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx")
    ap.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}")
    ap.add_argument("--sample", type=int, default=40_000, help="people drawn (half per profile phase)")
    ap.add_argument("--warm-names", type=int, default=2_000, help="names asked again in search-warm")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        raise SystemExit(f"unknown phase(s): {', '.join(sorted(unknown))}")

    data_dir = args.dir / f"p{args.people}-s{args.seed}"
    res: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        "clients": args.clients,
        "seconds": args.seconds,
        "phases": {},
    }
    t = time.perf_counter()
    res["build"] = build(data_dir, args.people, args.seed, args.rebuild)
    res["build"]["wall_s"] = round(time.perf_counter() - t, 1)
    keys = accounts(data_dir)
    ids, searches = sample_people(data_dir, args.sample, args.seed)
    half = len(ids) // 2  # the cold-cache phase and the default phase draw different people
    base = f"http://127.0.0.1:{args.port}"

    def profile_paths(people: list[str]) -> list[str]:
        query = urllib.parse.urlencode({"purpose": "intelligence", **WHY})
        return [f"/analyst/persons/{pid}?{query}" for pid in people]

    if "profile-cold" in phases:
        server = start_server(data_dir, args.port, keys["admin"], {"DOTS_GRAPH_CACHE": "0"})
        try:
            res["phases"]["profile-cold"] = measure(
                args.client,
                base,
                keys["analyst"],
                profile_paths(ids[:half]),
                args.clients,
                args.seconds,
                server.pid,
                keys["admin"],
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
    rest = [p for p in phases if p != "profile-cold"]
    if rest:
        t = time.perf_counter()
        server = start_server(data_dir, args.port, keys["admin"], {})
        res["server"] = {"start_and_fill_s": round(time.perf_counter() - t, 1), **caches(base, keys["admin"])}
        res["server"]["rss_mb_after_fill"] = rss_mb(server.pid)
        try:
            if "profile" in rest:
                res["phases"]["profile"] = measure(
                    args.client,
                    base,
                    keys["analyst"],
                    profile_paths(ids[half:]),
                    args.clients,
                    args.seconds,
                    server.pid,
                    keys["admin"],
                )
            if {"search-cold", "search-warm"} & set(rest):
                cid = open_case(base, keys["disclosure_officer"])
                query = {"purpose": "dvds", **WHY}
                paths = [
                    f"/disclosure/cases/{cid}/candidates?" + urllib.parse.urlencode({**q, **query}) for q in searches
                ]
                # the search index is built on first use (once per resolve output): not measured
                import httpx

                httpx.get(base + paths[-1], headers={"X-API-Key": keys["disclosure_officer"]}, timeout=600)
                warm = paths[: args.warm_names]
                # names (and ages) never asked: not the warm ones, nor the one that built the index,
                # nor a second drawing of one (this world has 18 forenames and 18 surnames)
                asked = {*warm, paths[-1]}
                cold = [p for p in dict.fromkeys(paths[args.warm_names : -1]) if p not in asked]
                if "search-cold" in rest:
                    res["phases"]["search-cold"] = measure(
                        args.client,
                        base,
                        keys["disclosure_officer"],
                        cold,
                        args.clients,
                        args.seconds,
                        server.pid,
                        keys["admin"],
                    )
                if "search-warm" in rest:
                    # asked once just before (after the cold phase's answers, which could push them
                    # out of the server's bounded cache), so that the phase asks them again
                    asyncio.run(_ask_once(base, keys["disclosure_officer"], warm))
                    res["phases"]["search-warm"] = measure(
                        args.client,
                        base,
                        keys["disclosure_officer"],
                        warm,
                        args.clients,
                        args.seconds,
                        server.pid,
                        keys["admin"],
                    )
            res["server"]["rss_mb_end"] = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    report(res, args)
    if args.out:
        args.out.write_text(json.dumps(res, indent=2, default=str))
    return res


async def _ask_once(base: str, key: str, paths: list[str]) -> None:
    """Each path once, a few at a time (fills the search cache for the warm phase)."""
    import httpx

    sem = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, timeout=120) as http:

        async def one(path: str) -> None:
            async with sem:
                (await http.get(path)).raise_for_status()

        await asyncio.gather(*(one(p) for p in paths))


def report(res: dict, args: argparse.Namespace) -> None:
    print(
        f"\nAPI benchmark: {args.people:,} people, {args.clients} clients (closed loop), {args.seconds:.0f} s per "
        f"phase, {res['machine']}\n"
    )
    if "server" in res:
        s = res["server"]
        print(
            f"server start + cache fill: {s['start_and_fill_s']} s (fill {s['prefill'].get('seconds')} s, "
            f"{s['prefill'].get('filled')} people), RSS {s.get('rss_mb_after_fill')} MB after the fill, "
            f"{s.get('rss_mb_end')} MB at the end\n"
        )
    print(
        "| phase | client | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | cache hit ratio "
        "| server CPU ms/request | rankers CPU ms/request | load avg |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, r in res["phases"].items():
        ratio = r["searches_hit_ratio"] if name.startswith("search") else r["graph_hit_ratio"]
        wrapped = " (list wrapped)" if r["wrapped"] and not name.endswith("warm") else ""
        print(
            f"| {name}{wrapped} | {r['client']} | {r['rps']} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | "
            f"{r['max_ms']} | {r['errors']} | {ratio} | {r['server_cpu_ms_per_request']} | "
            f"{r.get('rankers_cpu_ms_per_request', '')} | {r['load_avg']} |"
        )


if __name__ == "__main__":
    main()
