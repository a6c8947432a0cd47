"""``make demo``: synthetic extracts → staging → (linked entities → graph) → what each user gets.

Runs the same package functions the CLI and API use, on the embedded default, in a
throw-away directory, and prints each stage so a newcomer can see the data flow end to end:
then the protections around them (the professional-standards wall, the immigration firewall,
erasure, a graph file that holds no stray memory), each shown by running the product.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
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
    hr = workforce_extract(extracts, base / "hr")

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
    firewall(data, hr)
    api_exchanges(data, hr)
    pages(data)
    erasure(data, hr)
    graph_file(data)
    return 0


# A leaver from HR, in no other record: erasing her workforce record leaves her name nowhere.
STAFF = {"employee_ref": "7310", "surname": "Quillfeather", "forenames": "Imogen", "dob": "03/03/1990",
         "role": "OFFICER", "status": "LEFT", "left_on": "30/09/2024"}


def workforce_extract(extracts: Path, folder: Path) -> Path:
    """An HR extract (extracts.md §7) for the admin to upload in the API section: the suspect with the
    most rows in the busiest flat extract is a serving officer of that force (his nominal and his HR
    record will link, so he is walled); a leaver is in no other record (the one erasure removes)."""
    from worlds.ppda import WORKFORCE_HEADER, write_csv

    flat = max(extracts.glob("*-rms.csv"), key=lambda f: f.stat().st_size)
    rows = pd.read_csv(flat, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    suspects = rows[(rows["role"] == "SUSPECT") & (rows["dob"] != "")]
    officer = suspects[suspects["nominal_ref"] == suspects["nominal_ref"].value_counts().index[0]].iloc[0]
    force = str(officer["force"])
    folder.mkdir(parents=True, exist_ok=True)
    path = write_csv(folder / "hr-workforce.csv", WORKFORCE_HEADER, [
        {"force": force, "employee_ref": "4721", "surname": officer["surname"].title(),
         "forenames": officer["forenames"], "dob": officer["dob"], "role": "OFFICER", "status": "SERVING",
         "left_on": ""},
        {"force": force, **STAFF},
    ])
    print(f"  {path.parent.name}/{path.name}  ({path.stat().st_size:,} bytes; written here for section 10: "
          f"{force}'s nominal {officer['nominal_ref']} is serving officer 4721)")
    return path


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
    spellings(data, golden, subject)


def spellings(data: Path, golden: pd.DataFrame, subject: str) -> None:
    """``dots disclose search`` with a partner's name as an applicant might write it; the explanation
    gives each field's level and weight. The asks are drawn from the linked people by rule: the
    subject's forename with two letters swapped, and cut to three letters; the first dated person
    whose forename has a shorter nickname (the ``nicknames`` table), under it; and a forename one
    letter from another that three or more people hold, under that other name: the first such pair
    (of at most eight tried) that linkage calls ``variant`` (another name, not a slip of the pen:
    pairs it knows as nicknames or spellings of each other are not)."""
    from nicknames import NickNamer
    from rapidfuzz.distance import OSA

    dated = golden.dropna(subset=["dob"])
    first = dated["forenames"].astype(str).str.split().str[0].str.title()
    person = golden.loc[subject]
    forename = str(person["forenames"]).split()[0].title()
    asks = [(forename[0] + forename[2] + forename[1] + forename[3:], person), (forename[:3], person)]
    namer = NickNamer()
    for pid, name in first.items():
        forms = sorted(n for n in namer.nicknames_of(name) if len(n) < len(name))
        if forms:
            asks.append((forms[0].title(), dated.loc[pid]))
            break
    counts = first.value_counts()
    common = counts[counts >= 3].index
    others = ((c, dated.loc[pid]) for pid, name in first.items() for c in common
              if c != name and OSA.distance(c.lower(), name.lower()) == 1)
    print("\n  the name as an applicant might write it: dots disclose search, the explanation field by field")
    for given, who in asks:
        disclose_search(data, f"{given} {who['surname']}", who["dob"])
    for _, (given, who) in zip(range(8), others, strict=False):
        if disclose_search(data, f"{given} {who['surname']}", who["dob"], only="variant"):
            break


def disclose_search(data: Path, name: str, dob: Any, only: str | None = None) -> bool:
    """One ``dots disclose search --json``, its best candidate printed with each field's level and
    weight (``only``: printed only when the forename's level is that one). Returns whether printed."""
    day = dob.isoformat() if pd.notna(dob) else None
    argv = ["disclose", "search", "--name", name, *(["--dob", day] if day else []), "--limit", "1", "--json"]
    rc, out, err = dots_cli(data, argv, purpose=("dvds", "DVDS-DEMO-2"))
    found = json.loads(out or "{}").get("candidates", [])
    levels = {f["comparison"]: f["level"] for c in found[:1] for f in c.get("fields", [])}
    if only and levels.get("forename") != only:
        return False
    print(f"    $ dots disclose search --name '{name}'{' --dob ' + day if day else ''}   (rc {rc}"
          f"{'; ' + _brief(err.strip()) if err.strip() else ''})")
    for c in found:
        fields = ", ".join(f"{f['comparison']} {f['level']} {f['weight']:+.2f}" for f in c.get("fields", []))
        print(f"      {c['person_id']} {c['preferred_name']}, p={c['probability']:.4f}: {fields}")
    return True


def dots_cli(data: Path, argv: list[str], purpose: tuple[str, str] | None = None) -> tuple[int, str, str]:
    """Run one ``dots`` command in this process (the CLI's own ``main``): (rc, stdout, stderr)."""
    from dots.cli import main as dots_main

    justify = ["--purpose", purpose[0], "--reference", purpose[1]] if purpose else []
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = dots_main(["--data-dir", str(data), *justify, *argv])
        except SystemExit as stop:  # argparse refusals exit 2 after their one line
            rc = int(stop.code or 0)
    return rc, out.getvalue(), err.getvalue()


def firewall(data: Path, hr: Path) -> None:
    """The immigration firewall, asked three ways: a mapping that reads an immigration column into a
    field, a command whose purpose is immigration enforcement, one whose case reference is the Home
    Office's. Each is refused in one line before anything is read."""
    heading("9. The immigration firewall: each ask refused in one line")
    mapping = data.parent / "hr" / "hr-with-immigration-status.yaml"
    profile = (Path(__file__).parents[1] / "loaders" / "profiles" / "workforce.yaml").read_text()
    mapping.write_text(profile.replace("role: role", "role: immigration_status", 1))
    for argv, purpose in (
        (["ingest", str(hr), "--mapping", str(mapping)], None),
        (["quarantine"], ("immigration_enforcement", "HOIE-DEMO-1")),
        (["serial-perpetrators"], ("intelligence", "HOIE/2025/77")),
    ):
        rc, _, err = dots_cli(data, argv, purpose)
        words = [*(["--purpose", purpose[0], "--reference", purpose[1]] if purpose else []), *argv]
        shown = " ".join(Path(w).name if "/" in w and Path(w).exists() else w for w in words)
        print(f"  $ dots {shown}\n    rc {rc}: {_brief(err.strip(), 300)}")
    print("  (each refusal is in the s.62 log, the auditor reads them back in section 10;\n"
          "   the mapping is refused when it is read, before any row loads)")


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


def api_exchanges(data: Path, hr: Path) -> None:
    from worlds.demo_api import show_exchanges

    heading("10. The API: one exchange per user group (secured, scoped, audited)")
    show_exchanges(data, workforce=hr)


def pages(data: Path) -> None:
    from worlds.demo_api import PASSWORD

    _, day = _busiest_force_and_latest_day(data)
    heading("11. The pages: the same API in a browser")
    print(f"  dots serve --data-dir {data} --port 8000     then open, signed in as demo.<role> ({PASSWORD!r}):")
    for role, path, what in (
        ("data_steward", "/pages/review", "the review desk: pairs side by side, keys S N U K Z"),
        ("analyst", f"/pages/person?as_of={day}", "people: record, timeline, orders, a network that grows on click"),
        ("da_team", f"/pages/targets?as_of={day}", "the weekly list, each score's parts, movement; prints"),
        ("da_team", f"/pages/safeguarding?as_of={day}", "bail, notices, protection gaps, Operation Encompass: "
         "due today first, each row explained"),
        ("professional_standards", "/pages/review", "the review desk for the workforce's matches; "
         "Entity matches: walled incidents, orders and homes"),
    ):
        print(f"    http://127.0.0.1:8000{path}\n      as demo.{role}: {what}")


def erasure(data: Path, hr: Path) -> None:
    """``dots erase`` of the leaver's workforce record, uploaded through the API: before and after,
    how many files under the data directory hold her name or date of birth."""
    heading("12. Erasure: one record, everywhere it reached")
    key = f"{pd.read_csv(hr, dtype=str)['force'].iloc[-1]}/workforce/{STAFF['employee_ref']}"
    born = dt.datetime.strptime(STAFF["dob"], "%d/%m/%Y").date()
    marks = (STAFF["surname"], STAFF["surname"].upper(), STAFF["dob"], born.isoformat())
    before = _holding(data, marks)
    argv = ["erase", key, "--reason", "MoPI review: leaver's record held without need", "--json"]
    rc, out, err = dots_cli(data, argv)
    answer = json.loads(out or "{}")
    print(f"  $ dots erase {key} --reason '...'   (rc {rc}{'; ' + _brief(err.strip()) if err.strip() else ''})")
    staged = answer.get("staging", {})
    print(f"    staging: {staged.get('rows')} source row(s) in {staged.get('parts')} extract(s) erased; "
          f"recomputed: {', '.join(k for k in ('resolve', 'graph') if k in answer) or 'nothing'}; "
          f"uploads: {answer.get('state', {}).get('upload_rows')} row(s) cut from the uploaded file")
    after = _holding(data, marks)
    print(f"  files under the data directory holding her name or date of birth: {len(before)} before "
          f"({', '.join(sorted(before)[:4])}{', …' if len(before) > 4 else ''}), {len(after)} after"
          + (f" ({', '.join(sorted(after))})" if after else ""))
    rc, _, err = dots_cli(data, argv)
    print(f"  erasing it again: rc {rc}, {_brief(err.strip(), 160)}")


def _holding(data: Path, marks: tuple[str, ...]) -> set[str]:
    """Files under ``data`` whose bytes hold any of ``marks``."""
    needles = [m.encode() for m in marks]
    return {f.relative_to(data).as_posix() for f in data.rglob("*")
            if f.is_file() and any(n in f.read_bytes() for n in needles)}


def graph_file(data: Path) -> None:
    """The embedded graph file after every write above: its first page (the engine's header, which
    LadybugDB fills from uninitialised memory unless dots zeroes it) holds no text."""
    import re

    heading("13. The graph file holds only the graph")
    path = data / "graph" / "pole.lbdb"
    page = path.read_bytes()[:4096]
    words = re.findall(rb"[ -~]{6,}", page)
    print(f"  {path.relative_to(data)}: page 0 (the header) has {sum(b != 0 for b in page)} non-zero bytes of "
          f"{len(page)}, {len(words)} run(s) of six or more printable characters"
          + (f": {_brief(b' | '.join(words[:3]).decode(), 120)}" if words else " (no stray memory)"))


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
