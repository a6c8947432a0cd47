"""Seeded synthetic force and court extracts with ground truth (``dots synth``, ``make demo``).

The same seed gives byte-identical files. At ``people=N`` the extracts hold roughly N
person-involvement rows (force rows plus court parties), so the ingest and linkage benchmarks
scale with one number.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from synth.duties import write_duties
from synth.duty_truth import write_duty_truth
from synth.extracts import Context, Written, _pnc_for_people, write_courts, write_flat, write_relational
from synth.names import NameBank
from synth.story import build_story
from synth.truth import write_truth
from synth.world import Addresses, Forces, build_people

# Relationships per head of population, tuned so that person rows come out close to ``people``.
INTENSITY = 1.1
DUTY_FILES = ("police-notices.csv", "referrals.csv")
DUTY_STREAM = 0xD07  # the duties (children present, custody, notices, referrals) draw from their own stream


def generate(out_dir: Path, people: int = 5000, seed: int = 7, progress: bool = False) -> dict:
    """Write extracts and truth/ into ``out_dir``; return counts per file and per truth table."""
    if people < 50:
        raise ValueError("people must be at least 50")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def step(msg: str) -> None:
        if progress:
            print(f"[synth {time.perf_counter() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    rng = np.random.default_rng(seed)
    forces = Forces.load()
    addresses = Addresses(forces, seed=seed)
    bank = NameBank()
    step(f"people: {people}")
    pop = build_people(rng, people, forces, addresses, bank)
    step("relationships, incidents, orders")
    story = build_story(rng, pop, forces, addresses, intensity=INTENSITY)
    addresses.finish()
    ctx = Context(
        rng=rng,
        bank=bank,
        people=pop,
        forces=forces,
        addresses=addresses,
        story=story,
        out=out,
        written=Written(),
        drng=np.random.default_rng([seed, DUTY_STREAM]),
    )
    pnc_year, pnc_serial = _pnc_for_people(rng, pop, story.involvements)
    ctx.pnc = (pnc_year, pnc_serial)
    for f in range(len(forces)):
        step(f"writing {forces.file[f]}")
        if forces.profile[f] == "rms-flat":
            write_flat(ctx, f, pnc_year, pnc_serial)
        else:
            write_relational(ctx, f, pnc_year, pnc_serial)
    step("writing court orders")
    write_courts(ctx)
    step("writing custody, notices, referrals and the later court delivery")
    duties = write_duties(ctx)
    step("writing truth")
    truth = write_truth(ctx)
    truth["duties"] = write_duty_truth(ctx, duties)
    files = dict(sorted(ctx.written.files.items()))
    person_rows = sum(v for k, v in files.items() if k.endswith("-rms.csv") or k.endswith("involvements.csv"))
    person_rows += 2 * sum(v for k, v in files.items() if k.startswith("court-orders"))
    duty_rows = sum(v for k, v in files.items() if k.startswith("custody-") or k in DUTY_FILES)
    summary = {
        "seed": seed,
        "people": people,
        "forces": {forces.names[f]: forces.profile[f] for f in range(len(forces))},
        "files": files,
        "person_rows": person_rows,
        "duty_rows": duty_rows,
        "truth": truth,
    }
    (out / "truth" / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    step(f"done: {person_rows} person rows")
    return summary


def main(argv: list[str] | None = None) -> int:
    """``python -m synth.generate --out DIR --people N --seed S``."""
    ap = argparse.ArgumentParser(
        prog="dots synth", description="Generate synthetic extracts with ground truth."
    )
    ap.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    ap.add_argument("--people", type=int, default=5000, help="size of the true population (default 5000)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    ap.add_argument("--progress", action="store_true", help="print progress to stderr")
    args = ap.parse_args(argv)
    try:
        summary = generate(args.out, people=args.people, seed=args.seed, progress=args.progress)
    except (ValueError, OSError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 2
    print(
        json.dumps({"out": str(args.out), "person_rows": summary["person_rows"], "files": summary["files"]})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
