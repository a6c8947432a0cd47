"""Address, order, incident and breach matching against the synthetic generator's truth.

    .venv/bin/python benchmarks/entities_bench.py --people 30000 --seed 7

Generates extracts (not timed), ingests them, resolves people (timed, for comparison) and then
entities (timed), and scores:

* addresses: pairs of (record key, address as written) placed in one address entity, against
  truth/addresses.csv (confidential and "no fixed abode" rows have no truth: they are checked
  separately, every confidential row must be an entity of its own);
* orders: pairs of order record keys in one order entity, against truth/orders.csv;
* incidents: pairs of event record keys in one event entity, against truth/events.csv;
* breaches: (event record, true order) links, against truth/breaches.csv;
* court only: the flag on true orders whose events in truth carry no breach offence.

Pairwise precision = true pairs found / pairs found, recall = true pairs found / true pairs.
Prints a Markdown table (goal: precision >= 0.995 and recall >= 0.97 for each).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the full result as JSON too")
    args = parser.parse_args()
    from linkage.entities.evaluate import evaluate
    from linkage.entities.run import resolve_entities
    from linkage.run import resolve
    from loaders.ingest import ingest_paths
    from synth.generate import generate

    work = args.workdir or Path(tempfile.mkdtemp(prefix="dots-entities-bench-"))
    extracts, data = work / "extracts", work / "state"
    if not (extracts / "truth" / "summary.json").exists():
        generate(extracts, people=args.people, seed=args.seed)
    shutil.rmtree(data, ignore_errors=True)
    ingest_paths([p for p in sorted(extracts.iterdir()) if p.name != "truth"], data)
    t = time.perf_counter()
    person = resolve(data)
    person_s = time.perf_counter() - t
    t = time.perf_counter()
    summary = resolve_entities(data)
    entity_s = time.perf_counter() - t
    scores = evaluate(data, extracts / "truth")
    n_records = summary["addresses"]["rows"] + summary["orders"]["records"] + summary["events"]["records"]
    machine = f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"people={args.people} seed={args.seed}: person records {person['records']:,} resolved in "
        f"{person_s:.1f}s ({person['records'] / person_s:,.0f}/s); entity records {n_records:,} "
        f"(address rows, order records, event records) resolved in {entity_s:.1f}s "
        f"({n_records / entity_s:,.0f}/s); {machine}"
    )
    print()
    print("| what | precision | recall | found | true | goal met |")
    print("|---|---:|---:|---:|---:|---|")
    for name in ("addresses", "orders", "incidents", "breaches", "court_only"):
        s = scores[name]
        found = s.get("pairs_found", s.get("links_found", s.get("flagged_records")))
        real = s.get("true_pairs", s.get("true_links", s.get("true_court_only_records")))
        ok = s["precision"] >= 0.995 and s["recall"] >= 0.97
        print(f"| {name} | {s['precision']:.4f} | {s['recall']:.4f} | {found:,} | {real:,} | {'yes' if ok else 'no'} |")
    c = scores["confidential"]
    print(
        f"\nconfidential rows: {c['rows']}, sharing an entity with another record: "
        f"{c['entities_shared_with_another_record']}, text kept: {c['text_kept']}"
    )
    op = scores["order_people"]
    print(
        f"court parties resolved to the person the police know (person engine): respondents "
        f"{op['respondents_linked']}, respondents with no date of birth {op['respondents_without_dob_linked']}, "
        f"protected {op['protected_linked']} (of {op['court_parties_known_to_police']} such records); "
        f"orders linked to that person: respondent {op['orders_respondent_linked']} "
        f"(by context {op['orders_respondent_by_context']}), protected {op['orders_protected_linked']} "
        f"(by context {op['orders_protected_by_context']})"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "scores": scores,
                    "summary": summary,
                    "person_seconds": person_s,
                    "entity_seconds": entity_s,
                },
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
