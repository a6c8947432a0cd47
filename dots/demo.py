"""``make demo``: synthetic extracts → staging → (linked entities → graph) → what each user gets.

Runs the same package functions the CLI and API use, on the embedded default, in a
throw-away directory, and prints each stage so a newcomer can see the data flow end to end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def heading(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 76 - len(text)))


def run(base: Path, people: int, seed: int) -> int:
    from loaders.ingest import ingest_paths
    from staging.store import StagingStore
    from synth.generate import generate

    if base.exists():
        shutil.rmtree(base)
    extracts, data = base / "extracts", base / "state"
    heading(f"1. Synthetic extracts ({people} people, seed {seed})")
    generate(extracts, people=people, seed=seed, progress=False)
    for f in sorted(p for p in extracts.rglob("*") if p.is_file() and "truth" not in p.parts):
        print(f"  {f.relative_to(extracts)}  ({f.stat().st_size:,} bytes)")

    heading("2. Ingest: every row loaded or quarantined with its reason")
    inputs = sorted(p for p in extracts.iterdir() if p.name != "truth")
    results = ingest_paths(inputs, data)
    print(f"  {'file':44} {'profile':15} {'read':>7} {'loaded':>7} {'quarantined':>11}")
    for r in results:
        print(
            f"  {Path(r.path).relative_to(extracts).as_posix():44} {r.profile or '-':15} {r.rows_read:>7} "
            f"{r.loaded:>7} {r.quarantined:>11}"
        )
    quarantine = StagingStore(data).read("quarantine")
    print(f"\n  quarantine ({len(quarantine)} rows), first five:")
    for q in quarantine.head(5).itertuples():
        print(f"    {Path(q.source_file).name}:{q.source_line}  {q.field}: {q.reason}")
    again = ingest_paths(inputs, data)
    print(
        f"\n  ingest again: {sum(r.status == 'already loaded' for r in again)} of {len(again)} files already "
        "loaded, nothing changed"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="demo-data", type=Path)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    return run(args.dir, args.people, args.seed)


if __name__ == "__main__":
    sys.exit(main())
