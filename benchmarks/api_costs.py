"""Where a candidate search's CPU goes, without a load generator: the figures behind "What is
left" in api.md.

    .venv/bin/python benchmarks/api_costs.py [--dir bench-data/api/p100000-s7] [--names 1000]

1. FastAPI's own cost per request, through the ASGI interface (no socket, no client): the first
   and the last of 33 routes, ten trivial dependencies, five query parameters, and what each
   route tried, dependency and parameter costs from those. Best of five rounds of 2,000
   requests, CPU time.
2. Linkage's ranking in-process on the API benchmark's world (``api_bench.py`` builds it), for
   ``--names`` of its searches: reading the outputs' stamp on every search (as a ranker asked
   without the server's stamp) and trusting the server's stamp (``seen``, as the API asks).
   Best of three rounds, CPU time.
"""

# no `from __future__ import annotations`: FastAPI reads the nested endpoint's annotations
import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Annotated

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _fastapi_app():  # noqa: ANN202 - a throwaway app
    from fastapi import APIRouter, Depends, FastAPI, Query

    app, router = FastAPI(), APIRouter(prefix="/x")

    async def ok() -> dict:
        return {"a": 1}

    def dep(i: int):  # noqa: ANN202
        async def d() -> int:
            return i

        return d

    router.add_api_route("/first", ok)
    router.add_api_route("/deps", ok, dependencies=[Depends(dep(i)) for i in range(10)])

    @router.get("/params")
    async def params(
        a: Annotated[str | None, Query()] = None,
        b: Annotated[str | None, Query()] = None,
        c: Annotated[int | None, Query()] = None,
        d: Annotated[str | None, Query()] = None,
        e: Annotated[str | None, Query()] = None,
    ) -> dict:
        return {"a": 1}

    for i in range(29):
        router.add_api_route(f"/filler{i}/{{x}}", ok)
    router.add_api_route("/last", ok)  # the 33rd
    app.include_router(router)
    return app


async def _per_request_us(app, path: str, query: bytes = b"", n: int = 2000) -> float:  # noqa: ANN001
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"{path}: {message['status']}")

    for _ in range(200):
        await app(dict(scope), receive, send)
    best = float("inf")
    for _ in range(5):
        t = time.process_time()
        for _ in range(n):
            await app(dict(scope), receive, send)
        best = min(best, (time.process_time() - t) / n * 1e6)
    return best


def fastapi_costs() -> list[tuple[str, float]]:
    app = _fastapi_app()

    async def run() -> list[tuple[str, float]]:
        first = await _per_request_us(app, "/x/first")
        last = await _per_request_us(app, "/x/last")
        deps = await _per_request_us(app, "/x/deps")  # second of 33
        params = await _per_request_us(app, "/x/params", b"a=1&b=2&c=3&d=4&e=5")  # third of 33
        per_route = (last - first) / 32
        return [
            ("the first of 33 routes", first),
            ("the last of 33 routes", last),
            ("the 2nd route, with 10 dependencies", deps),
            ("the 3rd route, with 5 query parameters given", params),
            ("so: each route tried before the matching one", per_route),
            ("so: each dependency", (deps - first - per_route) / 10),
            ("so: each query parameter", (params - first - 2 * per_route) / 5),
        ]

    return asyncio.run(run())


def ranking_costs(data_dir: Path, names: int) -> list[tuple[str, float]]:
    import api_bench

    from linkage.search import current_stamp, get_index, stamped_search

    _, searches = api_bench.sample_people(data_dir, names + 50, 7)
    get_index(data_dir)
    stamp = current_stamp(data_dir, ttl=0)
    out = []
    for label, seen in (("stamp read every search", None), ("server's stamp trusted", stamp)):
        for s in searches[:50]:
            stamped_search(data_dir, s["name"], None, s.get("age"), None, 10, seen)
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            for s in searches[50:]:
                stamped_search(data_dir, s["name"], None, s.get("age"), None, 10, seen)
            best = min(best, (time.process_time() - t) / names * 1e3)
        out.append((label, best))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=ROOT / "bench-data" / "api" / "p100000-s7")
    ap.add_argument("--names", type=int, default=1000)
    args = ap.parse_args()
    print("| FastAPI 0.165, per request | µs of CPU |\n|---|---:|")
    for label, us in fastapi_costs():
        print(f"| {label} | {us:.0f} |")
    if (args.dir / "linkage").exists():
        print(f"\n| ranking, {args.names} searches of {args.dir.name} | ms of CPU a search |\n|---|---:|")
        for label, ms in ranking_costs(args.dir, args.names):
            print(f"| {label} | {ms:.2f} |")
    else:
        print(f"\nno world at {args.dir}: run benchmarks/api_bench.py first for the ranking figures")


if __name__ == "__main__":
    main()
