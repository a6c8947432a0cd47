"""Commands that bring data in and link it: synth, ingest, quarantine, warnings, resolve,
graph load, and the linkage exports (resolution, orders, events, breaches, addresses).

Each is a thin shell over one package function (the stages through :mod:`pipeline`): parse,
call, print.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dots.failures import CommandError
from dots.options import add_json, add_out, bounded, progress
from dots.output import emit, one_line, operator_hidden, print_json, records, walled
from dots.settings import data_dir
from dots.terminal import shown

if TYPE_CHECKING:
    from api.policy.wall import Hidden

EXPORTS = {
    "resolution": "one row per person record: record_key, person_id, then confidence and more",
    "orders": "one row per order record (court extract row): record_key, order_id, then more",
    "events": "one row per event record: record_key, event_id, then more",
    "breaches": "one row per event judged a breach of an order: event_record_key, order_record_key",
    "addresses": "one row per address record: record_key, address_id (a confidential address as its id only)",
}


def cmd_synth(args: argparse.Namespace) -> int:
    from synth.generate import generate

    summary = generate(Path(args.out), people=args.people, seed=args.seed, progress=progress(args))
    print_json(summary) if args.json else print(f"wrote synthetic extracts to {args.out}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    import pipeline

    missing = [str(p) for p in args.paths if not Path(p).exists()]
    if missing:  # before anything is created: a typo must not leave an empty data directory
        raise CommandError(f"no such file or folder: {', '.join(missing)}")
    results = pipeline.ingest(
        data_dir(args.data_dir), args.paths, profile=args.profile, mapping=args.mapping, progress=progress(args)
    )
    if args.json:
        print_json({"files": [r.to_dict() for r in results]})
    else:
        print(f"{'file':60} {'profile':15} {'read':>8} {'loaded':>8} {'quarantined':>11} {'warnings':>8}  status")
        for r in results:
            print(
                f"{shown(r.path)[-60:]:60} {r.profile or '-':15} {r.rows_read:>8} {r.loaded:>8} "
                f"{r.quarantined:>11} {r.warnings:>8}  {r.status}"
            )
        for r in results:
            if r.held_apart:  # the immigration firewall (loaders.firewall): a count, never a value
                print(f"{shown(r.path)}: {r.held_apart} immigration value(s) held apart (immigration firewall)")
    refused = [r for r in results if r.status == "refused"]
    reasons = [" ".join(str(r.error).split()) for r in refused]
    if refused:  # the s.62 record says so too, not "ok" (cli.py records the rest after the command)
        args.access.record("refused", 1, f"{len(refused)} of {len(results)} file(s) refused: " + "; ".join(reasons))
    for reason in reasons:
        print(f"refused: {shown(reason)}", file=sys.stderr)
    return 1 if refused else 0


def cmd_staged_rows(args: argparse.Namespace) -> int:
    """The quarantine or the warnings table: file, line, field, reason and the raw text."""
    from staging.store import StagingStore

    rows = StagingStore(data_dir(args.data_dir, create=False)).read(args.staged)
    rows = rows.sort_values(["source_file", "source_line"], kind="stable")
    # a workforce extract's row is membership (api.policy.wall): where it is and why it failed, never
    # what it says (its names and dates), which is professional standards' to read in the file itself
    rows = rows.assign(raw=rows["raw"].where(rows["profile"] != "workforce", None))
    # a value set aside on a walled person's record (by its record key), or a walled home as written,
    # is a stub saying who holds it, as in every list (dots.output.walled)
    shown_columns = ["source_file", "source_line", "field", "reason", "raw"]
    keyed = "record_key" in rows.columns
    rows, withheld = walled(rows[shown_columns + (["record_key"] if keyed else [])], args)
    rows = rows.reindex(columns=shown_columns)
    args.access.release(count=len(rows), withheld=withheld)
    if args.json:
        print_json({"rows": records(rows)})
    else:
        for r in rows.itertuples():
            restricted = r.source_line is None or r.source_line != r.source_line
            line = f"{r.source_file}:{r.source_line}: {r.field or '-'}: {r.reason}"
            print(shown(r.source_file if restricted else line))
        print(f"{len(rows)} {args.what}")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    import pipeline

    summary = pipeline.resolve(data_dir(args.data_dir, create=False), progress=progress(args))
    if args.json:
        print_json(summary)
    else:
        for stage, result in summary.items():
            print(f"{stage}: {one_line(result)}")
    return 0


def cmd_graph_load(args: argparse.Namespace) -> int:
    import pipeline
    from dots.graphs import graph_uri
    from linkage.store import LinkageStore
    from staging.store import StagingStore

    home = data_dir(args.data_dir, create=False)
    if LinkageStore(home).entities().empty:
        raise CommandError(f"nothing to load in {home}: no resolved records (run dots ingest, then dots resolve)")
    if next(StagingStore(home).parts(), None) is None:  # the graph's records come from staging
        raise CommandError(f"no staged extracts in {home}/staging, though records were resolved: ingest the "
                           "extracts again, then dots resolve")
    summary = pipeline.load_graph(home, uri=graph_uri(args, home, must_exist=False), progress=progress(args))
    print_json(summary) if args.json else print(one_line(summary))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """A linkage export. ``resolution`` keeps the workforce records' rows: the contract (cli.md,
    extracts.md "Record keys and resolution export") is one row per person record, so that an
    outside evaluation can score the linkage against its own truth, and a truth that holds a
    workforce extract holds those links. It is the operator's file of the linkage's output, not a
    list for users (those are walled: dots.output.walled); see README "Workforce records in exports"."""
    from linkage.store import LinkageStore

    home = data_dir(args.data_dir, create=False)
    if not LinkageStore(home).resolved():  # every table, not only resolution: an empty file said "none"
        raise CommandError("no resolution yet: run 'dots resolve' first")
    if args.table == "resolution":
        frame = LinkageStore(home).entities()
        first = ["record_key", "person_id"]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    else:
        from linkage.entities.export import export_table

        frame = export_table(home, args.table)
    people = [c for c in frame.columns if c == "person_id" or c.endswith("_person_id")]
    if args.table != "addresses":  # walled rows stubbed (dots.output.walled); resolution as it is
        return emit(frame, args, people=people)
    hidden = operator_hidden(args, home)
    frame = homes_as_ids(frame, hidden)
    return emit(frame, args, hidden=hidden.without(hidden.addresses), people=people)


def homes_as_ids(frame: pd.DataFrame, hidden: Hidden) -> pd.DataFrame:
    """The address rows with each walled home (api.policy.wall: a place a walled person lives or
    lived, by id or as written) exported exactly as a confidential address is
    (linkage.entities.export): an id of its record's own that joins it to nothing, no text, and
    ``confidential`` set, so the row cannot be told from a confidential one. The lodger's row at
    an officer's home stays a row; the home does not leave. The walled people's own rows are then
    stubbed like any walled row (their record keys are walled)."""
    from api.policy.wall import place_key
    from linkage.entities.export import ADDRESS_TEXT, withheld_id  # the export's own confidential-address id

    if frame.empty or not hidden.addresses:
        return frame
    written = frame["address_raw"].map(lambda t: isinstance(t, str) and place_key(t) in hidden.places)
    home = frame["address_id"].isin(hidden.addresses) | written.astype(bool)
    if not home.any():
        return frame
    nth = frame[home].groupby("record_key", sort=False).cumcount() + 1
    ids = [withheld_id(f"{k}|walled", int(n)) for k, n in zip(frame.loc[home, "record_key"], nth, strict=True)]
    frame = frame.assign(confidential=frame["confidential"].where(~home, True),
                         **{c: frame[c].where(~home, None) for c in ADDRESS_TEXT if c in frame.columns})
    frame.loc[home, "address_id"] = ids
    return frame


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("synth", parents=[common], help="write seeded synthetic extracts with ground truth")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the extracts and truth into")
    p.add_argument("--people", type=bounded(1), default=5000, help="people in the synthetic world (default 5000)")
    p.add_argument("--seed", type=int, default=7, help="random seed: the same seed writes the same files")
    add_json(p)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("ingest", parents=[common], help="load extract files or folders into staging")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="extract files, or folders of them")
    p.add_argument(
        "--profile",
        help="a built-in profile: rms-flat, rms-relational, court-orders, custody, police-notices, referrals, workforce"
        " (default: detected from the header)",
    )
    p.add_argument("--mapping", type=Path, metavar="FILE", help="a YAML/TOML mapping file for another source")
    add_json(p)
    p.set_defaults(func=cmd_ingest, access="collection", justified=False)

    for name, what, text in (
        ("quarantine", "quarantined row(s)", "list quarantined rows with file, line, field and reason"),
        ("warnings", "value(s) set aside on loaded rows", "list values set aside on loaded rows with file, line, "
         "field and reason"),
    ):
        p = sub.add_parser(name, parents=[common], help=text)
        add_json(p)
        p.set_defaults(func=cmd_staged_rows, staged=name, what=what, access="consultation")

    p = sub.add_parser("resolve", parents=[common], help="link person records into entities (incremental)")
    add_json(p)
    p.set_defaults(func=cmd_resolve, access="combination", justified=False)

    graph = sub.add_parser("graph", parents=[common], help="the POLE graph")
    p = graph.add_subparsers(dest="graph_command", required=True, metavar="{load}").add_parser(
        "load", parents=[common], help="write staged records and entities into the graph (idempotent)"
    )
    add_json(p)
    p.set_defaults(func=cmd_graph_load)


def register_export(exports: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``dots export resolution|orders|events|breaches|addresses --out FILE.csv``."""
    for name, text in EXPORTS.items():
        p = exports.add_parser(name, parents=[common], help=text)
        add_out(p, required=True)
        add_json(p)
        p.set_defaults(func=cmd_export, access="consultation")
