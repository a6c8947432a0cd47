"""The ``dots`` command: the stable command-line contract of ``shared/spec/cli.md``.

Each subcommand is a thin shell over one package function: parse options, call, print.
Machine-readable output (``--json``, ``--out``) carries no progress bars or colour; failures
exit non-zero with one line on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from dots.settings import data_dir

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A failure to report as one line on stderr."""


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, default=str))


# -- ingest ---------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    import pipeline

    try:
        results = pipeline.ingest(
            data_dir(args.data_dir),
            args.paths,
            profile=args.profile,
            mapping=args.mapping,
            progress=not args.json and sys.stderr.isatty(),
        )
    except pipeline.IngestError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        _print_json({"files": [r.to_dict() for r in results]})
    else:
        print(f"{'file':60} {'profile':15} {'read':>8} {'loaded':>8} {'quarantined':>11} {'warnings':>8}  status")
        for r in results:
            print(
                f"{r.path[-60:]:60} {r.profile or '-':15} {r.rows_read:>8} {r.loaded:>8} "
                f"{r.quarantined:>11} {r.warnings:>8}  "
                f"{r.status}"
            )
    refused = [r for r in results if r.status == "refused"]
    for r in refused:
        print(f"refused: {r.error}", file=sys.stderr)
    return 1 if refused else 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    return _staged_rows(args, "quarantine", "quarantined row(s)")


def cmd_warnings(args: argparse.Namespace) -> int:
    return _staged_rows(args, "warnings", "value(s) set aside on loaded rows")


def _staged_rows(args: argparse.Namespace, table: str, what: str) -> int:
    """The quarantine or the warnings table: file, line, field, reason and the raw text."""
    from staging.store import StagingStore

    rows = StagingStore(data_dir(args.data_dir)).read(table)
    rows = rows.sort_values(["source_file", "source_line"], kind="stable")
    if args.json:
        _print_json({"rows": rows[["source_file", "source_line", "field", "reason", "raw"]].to_dict("records")})
    else:
        for r in rows.itertuples():
            print(f"{r.source_file}:{r.source_line}: {r.field or '-'}: {r.reason}")
        print(f"{len(rows)} {what}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from synth.generate import generate

    summary = generate(Path(args.out), people=args.people, seed=args.seed, progress=sys.stderr.isatty())
    _print_json(summary) if args.json else print(f"wrote synthetic extracts to {args.out}")
    return 0


# -- resolve and export ---------------------------------------------------------------------------
def cmd_resolve(args: argparse.Namespace) -> int:
    import pipeline

    summary = pipeline.resolve(data_dir(args.data_dir), progress=_progress(args))
    if args.json:
        _print_json(summary)
    else:
        for stage, result in summary.items():
            print(f"{stage}: {_one_line(result)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    home = data_dir(args.data_dir)
    if args.table == "resolution":
        from linkage.store import LinkageStore

        frame = LinkageStore(home).entities()
        if frame.empty:
            raise CommandError("no resolution yet: run 'dots resolve' first")
        first = ["record_key", "person_id"]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    else:
        from linkage.entities.export import export_table

        frame = export_table(home, args.table)
    frame.to_csv(args.out, index=False)
    print(f"wrote {len(frame)} rows to {args.out}", file=sys.stderr)
    return 0


# -- graph ----------------------------------------------------------------------------------------
def _graph_uri(args: argparse.Namespace) -> str | None:
    return args.graph or os.environ.get("NEO4J_URI") or None


def cmd_graph_load(args: argparse.Namespace) -> int:
    import pipeline

    summary = pipeline.load_graph(data_dir(args.data_dir), uri=_graph_uri(args), progress=_progress(args))
    _print_json(summary) if args.json else print(_one_line(summary))
    return 0


def cmd_serial(args: argparse.Namespace) -> int:
    from graph.commands import serial_perpetrators_table

    frame = serial_perpetrators_table(
        data_dir(args.data_dir),
        _graph_uri(args),
        min_victims=args.min_victims,
        relationships=args.relationships,
        since=args.since,
        force=args.force,
    )
    return _emit(frame, args)


def cmd_cross_force(args: argparse.Namespace) -> int:
    from graph.commands import cross_force_victims_table

    return _emit(cross_force_victims_table(data_dir(args.data_dir), _graph_uri(args)), args)


def cmd_targets(args: argparse.Namespace) -> int:
    from graph.commands import parse_weights, targets_table

    try:
        weights = parse_weights(args.weights)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    frame = targets_table(
        data_dir(args.data_dir),
        args.force,
        args.as_of,
        _graph_uri(args),
        weights=weights,
        harm_table=args.harm_table,
    )
    return _emit(frame, args)


def _emit(frame, args: argparse.Namespace) -> int:
    if args.out:
        frame.to_csv(args.out, index=False)
        print(f"wrote {len(frame)} rows to {args.out}", file=sys.stderr)
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def _one_line(summary: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in summary.items() if isinstance(v, (int, float, str)))


def _progress(args: argparse.Namespace) -> bool:
    return not getattr(args, "json", False) and sys.stderr.isatty()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


# -- disclosure -----------------------------------------------------------------------------------
def cmd_disclose_search(args: argparse.Namespace) -> int:
    from linkage.search import search

    hits = search(data_dir(args.data_dir), args.name, dob=args.dob, age=args.age, place=args.place, limit=args.limit)
    if args.json:
        _print_json({"candidates": hits})
    else:
        for h in hits:
            print(
                f"{h.get('person_id')}  p={h.get('probability', 0):.3f}  {h.get('match_key', '')}  "
                f"{h.get('name', h.get('preferred_name', ''))}"
            )
        if not hits:
            print("no candidates")
    return 0


# -- API, users, audit ----------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from api.app import serve

    serve(data_dir(args.data_dir), host=args.host, port=args.port, graph_uri=_graph_uri(args))
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from api.auth.users import UserError, add_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        created = add_user(
            data_dir(args.data_dir),
            args.name,
            args.role,
            args.force or [],
            password=password,
            national=args.national,
            service=args.service,
        )
    except UserError as exc:
        raise CommandError(str(exc)) from exc
    _print_json(created)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from api.policy.audit import verify_chain

    ok, first_bad = verify_chain(data_dir(args.data_dir))
    if ok:
        print("audit log intact")
        return 0
    print(f"dots audit verify: chain broken at {json.dumps(first_bad, default=str)}", file=sys.stderr)
    return 1


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=None, help="state directory (default $DOTS_HOME or ./.dots)")
    common.add_argument("--graph", default=None, help="neo4j://… URI (default: embedded graph, or $NEO4J_URI)")
    parser = argparse.ArgumentParser(prog="dots", description=__doc__.splitlines()[0], parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="load extract files or folders into staging")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument(
        "--profile",
        help="a built-in profile: rms-flat, rms-relational, court-orders, custody, police-notices, referrals"
        " (default: detect from header)",
    )
    p.add_argument("--mapping", type=Path, help="a YAML/TOML mapping file for another source")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("quarantine", parents=[common], help="list quarantined rows with file, line, field, reason")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser(
        "warnings", parents=[common], help="list values set aside on loaded rows with file, line, field, reason"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_warnings)

    p = sub.add_parser("synth", parents=[common], help="write seeded synthetic extracts with ground truth")
    p.add_argument("--out", required=True)
    p.add_argument("--people", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_synth)
    p = sub.add_parser("resolve", parents=[common], help="link person records into entities")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_resolve)

    p = sub.add_parser("export", parents=[common], help="write a linkage table as CSV")
    p.add_argument("table", choices=["resolution", "orders", "events", "breaches", "addresses"])
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=cmd_export)

    graph = sub.add_parser("graph", parents=[common], help="the POLE graph").add_subparsers(
        dest="graph_command", required=True
    )
    p = graph.add_parser("load", parents=[common], help="write staged records and entities into the graph")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_graph_load)

    p = sub.add_parser("serial-perpetrators", parents=[common], help="people with several unconnected victims")
    p.add_argument("--min-victims", type=int, default=2)
    p.add_argument("--relationships", choices=["intimate", "family", "any"], default="intimate")
    p.add_argument("--since", type=_date)
    p.add_argument("--force")
    p.add_argument("--out", type=Path)
    p.set_defaults(func=cmd_serial)

    p = sub.add_parser("cross-force-victims", parents=[common], help="victims of one perpetrator in several forces")
    p.add_argument("--out", type=Path)
    p.set_defaults(func=cmd_cross_force)

    p = sub.add_parser("targets", parents=[common], help="a force's weekly target list")
    p.add_argument("--force", required=True)
    p.add_argument("--as-of", type=_date)
    p.add_argument("--weights", help="e.g. recency=1,frequency=1,gravity=1,victims=1")
    p.add_argument("--harm-table", type=Path, help="CSV of harm days keyed by HO code or offence group")
    p.add_argument("--out", type=Path)
    p.set_defaults(func=cmd_targets)

    disclose = sub.add_parser("disclose", parents=[common], help="Clare's Law support").add_subparsers(
        dest="disclose_command", required=True
    )
    p = disclose.add_parser("search", parents=[common], help="candidate identities for a named partner")
    p.add_argument("--name", required=True)
    when = p.add_mutually_exclusive_group()
    when.add_argument("--dob", type=_date)
    when.add_argument("--age", type=int)
    p.add_argument("--place")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_disclose_search)

    p = sub.add_parser("serve", parents=[common], help="run the API and pages")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", parents=[common], help="accounts").add_subparsers(dest="user_command", required=True)
    p = user.add_parser("add", parents=[common], help="create a user")
    p.add_argument("name")
    p.add_argument(
        "--role",
        required=True,
        choices=["analyst", "da_team", "disclosure_officer", "data_steward", "auditor", "admin"],
    )
    p.add_argument("--force", nargs="+", help="force names or ONS codes the account may see")
    p.add_argument("--national", action="store_true", help="may see every force")
    p.add_argument("--service", action="store_true", help="a service account: issue an API key")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_user_add)

    from dots import safeguarding

    safeguarding.register(sub, common)

    audit = sub.add_parser("audit", parents=[common], help="the s.62 audit log").add_subparsers(
        dest="audit_command", required=True
    )
    p = audit.add_parser("verify", parents=[common], help="check the audit log's hash chain")
    p.set_defaults(func=cmd_audit_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"dots {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"dots {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
