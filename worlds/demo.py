"""``make demo``: synthetic extracts → staging → (linked entities → graph) → what each user gets.

Runs the same package functions the CLI and API use, on the embedded default, in a
throw-away directory, and prints each stage so a newcomer can see the data flow end to end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from reference.forces import force_name


def heading(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 76 - len(text)))


def run(base: Path, people: int, seed: int) -> int:
    import pipeline
    from graph.backend import open_graph
    from synth.generate import generate

    if base.exists():
        shutil.rmtree(base)
    extracts, data = base / "extracts", base / "state"
    truth = extracts / "truth"
    heading(f"1. Synthetic extracts ({people} people, seed {seed})")
    generate(extracts, people=people, seed=seed, progress=False)
    for f in sorted(p for p in extracts.rglob("*") if p.is_file() and "truth" not in p.parts):
        print(f"  {f.relative_to(extracts)}  ({f.stat().st_size:,} bytes)")

    inputs = sorted(p for p in extracts.iterdir() if p.name != "truth")
    with open_graph(data) as g:
        show: dict[str, Callable[[Any], None]] = {
            "ingest": lambda results: ingested(results, data, extracts, inputs),
            "resolve_people": lambda summary: resolved(summary, data, truth),
            "resolve_entities": lambda summary: entities(summary, data),
            "load_graph": lambda summary: loaded(summary, data, g),
        }
        for stage, result in pipeline.steps(data, inputs, graph=g):  # the one pipeline, stage by stage
            show[stage](result)
        graph_answers(data, truth, g)
    api_exchanges(data)
    pages(data)
    return 0


def ingested(results: list, data: Path, extracts: Path, inputs: list[Path]) -> None:
    import pipeline
    from staging.store import StagingStore

    heading("2. Ingest: every row loaded or quarantined with its reason")
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
    again = pipeline.ingest(data, inputs)
    print(
        f"\n  ingest again: {sum(r.status == 'already loaded' for r in again)} of {len(again)} files already "
        "loaded, nothing changed"
    )


def pairwise(pred: pd.Series, true: pd.Series) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the truth (same index)."""

    def pairs(groups: pd.Series) -> int:
        n = groups.value_counts()
        return int((n * (n - 1) // 2).sum())

    both = pd.Series(list(zip(pred, true, strict=True)), index=pred.index)
    tp, predicted, actual = pairs(both), pairs(pred), pairs(true)
    return (tp / predicted if predicted else 1.0), (tp / actual if actual else 1.0)


def resolved(summary: dict, data: Path, truth: Path) -> None:
    from linkage.store import LinkageStore

    heading("3. Person resolution (data steward, and everyone downstream)")
    print("  " + ", ".join(f"{k}: {v}" for k, v in summary.items() if isinstance(v, (int, float, str)))[:600])
    outputs = LinkageStore(data)
    ents = outputs.entities().set_index("record_key")["person_id"]
    true = pd.read_csv(truth / "persons.csv", dtype=str).set_index("record_key")["true_person_id"]
    common = ents.index.intersection(true.index)
    precision, recall = pairwise(ents[common], true[common])
    print(
        f"  against the generator's truth: pairwise precision {precision:.4f}, recall {recall:.4f} "
        f"({len(common):,} records, {ents[common].nunique():,} entities, {true[common].nunique():,} true people)"
    )
    pairs = outputs.pairs()
    review = pairs[pairs["decision"] == "review"]
    if len(review):
        row = review.sort_values("probability").iloc[len(review) // 2]
        print(f"\n  a pair for the steward's review desk ({len(review)} in the queue):")
        print(f"    {row.record_key_l}  vs  {row.record_key_r}")
        print(f"    weight {row.match_weight:.2f}, probability {row.probability:.3f}, match key {row.match_key}")


def entities(summary: dict, data: Path) -> None:
    from linkage.entities.demo import print_examples

    heading("4. Addresses, orders and incidents matched across sources")
    print("  " + ", ".join(f"{k}: {v}" for k, v in summary.items() if isinstance(v, (int, float, str)))[:600])
    print_examples(data)


def loaded(summary: dict, data: Path, g: Any) -> None:
    import pipeline

    heading("5. The POLE graph (embedded LadybugDB)")
    print(f"  loaded and verified: {summary.get('verified')}")
    again = pipeline.load_graph(data, g)
    print(f"  loaded again: {_created(again)} created (idempotent)")


def graph_answers(data: Path, truth: Path, g: Any) -> None:
    from graph import queries as Q
    from linkage.search import search
    from linkage.store import LinkageStore

    heading("6. Intelligence analyst: serial perpetrators and cross-force victims")
    serial = Q.serial_perpetrators(g)
    ents = LinkageStore(data).entities()
    true = pd.read_csv(truth / "persons.csv", dtype=str)
    majority = (
        ents.merge(true, on="record_key")
        .groupby("person_id")["true_person_id"]
        .agg(lambda s: s.value_counts().index[0])
    )
    found = set(serial["person_id"].map(majority).dropna())
    expected = set(pd.read_csv(truth / "serial_perpetrators.csv", dtype=str)["true_person_id"])
    hit = len(found & expected)
    print(
        f"  {len(serial)} serial perpetrators found; against truth: precision "
        f"{hit / max(len(found), 1):.3f}, recall {hit / max(len(expected), 1):.3f} ({len(expected)} true)"
    )
    print(_table(serial.head(5), ["person_id", "victims", "forces"]))
    cross = Q.cross_force_victims(g)
    if len(cross):
        first = cross.iloc[0]["perpetrator_id"]
        print(f"\n  victims of {first} recorded in different forces:")
        print(_table(cross[cross["perpetrator_id"] == first], ["perpetrator_id", "victim_id", "force"]))

    heading("7. DA problem-solving team: this week's target list")
    force, as_of = _busiest_force_and_latest_day(data)
    targets = Q.targets(g, force, as_of)
    print(f"  {force_name(force)}, as of {as_of}: {len(targets)} people scored; top five with the score's parts")
    print(_table(targets.head(5), ["rank", "person_id", "score", "recency", "frequency", "gravity", "victims"]))
    moved = Q.target_movement(g, force, as_of, previous_as_of=as_of - dt.timedelta(days=28))
    counts = moved["movement"].value_counts()
    print("  since the list four weeks earlier (the MATAC cycle): "
          + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("new", "up", "down", "same", "left")))

    safeguarding(g, truth, force, as_of)

    heading("8. Disclosure officer: who is this partner, and what may be disclosed")
    golden = LinkageStore(data).golden().set_index("person_id")
    subject = serial.iloc[0]["person_id"] if len(serial) else golden.index[0]
    person = golden.loc[subject]
    name = f"{str(person['forenames']).split()[0]} {person['surname']}"
    print(f"  applicant names '{name}'; candidates:")
    for hit in search(data, name, limit=3):
        print(f"    {hit['person_id']}  probability {hit.get('probability', 0):.3f}  {hit.get('match_key', '')}")
    view = Q.disclosure_view(g, subject, as_of)
    who = view["subject"] or {}
    print(f"\n  disclosure view of {subject} ({who.get('name')}, born {who.get('dob')}), as of {as_of}:")
    print(f"    DA history as suspect: {len(view['history'])} events")
    print(_table(view["history"].head(5), ["occurred_on", "force", "offence", "is_crime"]))
    orders = view["orders"]
    active = int(orders["active"].sum()) if "active" in orders else 0
    print(f"    orders: {len(orders)} ({active} active on {as_of})")
    print(
        f"    previous partners: {view['previous_partners']}, victims: {view['victims']} "
        "(counted, never named; confidential addresses never included)"
    )


def safeguarding(g: Any, truth: Path, force: str, as_of: dt.date) -> None:
    """The DA team's four safeguarding lists for the force, due today first, each row explained; and
    how the whole country's lists compare with the generator's truth (by record and state: person
    ids here are linkage's)."""
    from graph import queries as Q

    print(f"\n  safeguarding lists for {force_name(force)} as of {as_of} (due today first; each row says why):")
    keys = {"bail": ["custody_ref", "state", "due_on"], "notices": ["notice_ref", "state"],
            "gaps": ["kind", "ends_on", "last_event_on"], "encompass": ["event_key", "state", "due_at"]}
    extract_day = dt.date.fromisoformat(json.loads((truth / "summary.json").read_text())["truth"]["duties"]["as_of"])
    for name, key in keys.items():
        mine = Q.safeguarding_list(g, name, as_of, force=force)
        print(f"    {name}: {len(mine)} row(s)")
        for r in mine.head(2).itertuples(index=False):
            print(f"      {r.state:<24} {_brief(r.explanation, 110)}")
        everyone = Q.safeguarding_list(g, name, extract_day)
        want = pd.read_csv(truth / f"safeguarding_{name}.csv", dtype=str, keep_default_na=False)
        got = set(map(tuple, everyone[key].astype(str).to_numpy()))
        true = set(map(tuple, want[key].to_numpy()))
        hit = len(got & true)
        print(f"      all forces as of {extract_day} against truth: precision {hit / max(len(got), 1):.3f}, "
              f"recall {hit / max(len(true), 1):.3f} ({len(true)} true)")


def api_exchanges(data: Path) -> None:
    from worlds.demo_api import show_exchanges

    heading("9. The API: one exchange per user group (secured, scoped, audited)")
    show_exchanges(data)


def pages(data: Path) -> None:
    from worlds.demo_api import PASSWORD

    _, day = _busiest_force_and_latest_day(data)
    heading("10. The pages: the same API in a browser")
    print(f"  dots serve --data-dir {data} --port 8000     then open, signed in as demo.<role> ({PASSWORD!r}):")
    for role, path, what in (
        ("data_steward", "/pages/review", "the review desk: pairs side by side, keys S N U K Z"),
        ("analyst", f"/pages/person?as_of={day}", "people: record, timeline, orders, a network that grows on click"),
        ("da_team", f"/pages/targets?as_of={day}", "the weekly list, each score's parts, movement; prints"),
        ("da_team", f"/pages/safeguarding?as_of={day}", "bail, notices, protection gaps, Operation Encompass: "
         "due today first, each row explained"),
    ):
        print(f"    http://127.0.0.1:8000{path}\n      as demo.{role}: {what}")


def _created(summary: dict) -> int:
    return int(sum(v.get("created", 0) for v in summary.values() if isinstance(v, dict)))


def _busiest_force_and_latest_day(data: Path) -> tuple[str, dt.date]:
    """The force with most events, and the day of the last event: the demo's "this week"."""
    from staging.store import StagingStore

    events = StagingStore(data).read("events")
    return str(events["force_code"].value_counts().index[0]), events["occurred_at"].max().date()


def _table(frame: pd.DataFrame, cols: list[str]) -> str:
    shown = frame[[c for c in cols if c in frame.columns]]
    return "\n".join("    " + line for line in shown.to_string(index=False).splitlines())


def _brief(value: object, limit: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="demo-data", type=Path)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    return run(args.dir, args.people, args.seed)


if __name__ == "__main__":
    sys.exit(main())
