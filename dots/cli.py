"""The ``dots`` command: the stable command-line contract of ``shared/spec/cli.md``.

Each subcommand is a thin shell over one package function: parse options, call, print.
Machine-readable output (``--json``, ``--out``) carries no progress bars or colour; failures
exit non-zero with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
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
    from loaders.ingest import IngestError, ingest_paths

    try:
        results = ingest_paths(
            args.paths,
            data_dir(args.data_dir),
            profile=args.profile,
            mapping=args.mapping,
            progress=not args.json and sys.stderr.isatty(),
        )
    except IngestError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        _print_json({"files": [r.to_dict() for r in results]})
    else:
        print(f"{'file':60} {'profile':15} {'read':>8} {'loaded':>8} {'quarantined':>11}  status")
        for r in results:
            print(
                f"{r.path[-60:]:60} {r.profile or '-':15} {r.rows_read:>8} {r.loaded:>8} "
                f"{r.quarantined:>11}  "
                f"{r.status}"
            )
    refused = [r for r in results if r.status == "refused"]
    for r in refused:
        print(f"refused: {r.error}", file=sys.stderr)
    return 1 if refused else 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    from staging.store import StagingStore

    rows = StagingStore(data_dir(args.data_dir)).read("quarantine")
    rows = rows.sort_values(["source_file", "source_line"], kind="stable")
    if args.json:
        _print_json(
            {"rows": rows[["source_file", "source_line", "field", "reason", "raw"]].to_dict("records")}
        )
    else:
        for r in rows.itertuples():
            print(f"{r.source_file}:{r.source_line}: {r.field or '-'}: {r.reason}")
        print(f"{len(rows)} quarantined row(s)")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from synth.generate import generate

    summary = generate(Path(args.out), people=args.people, seed=args.seed, progress=sys.stderr.isatty())
    _print_json(summary) if args.json else print(f"wrote synthetic extracts to {args.out}")
    return 0


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=None, help="state directory (default $DOTS_HOME or ./.dots)")
    common.add_argument(
        "--graph", default=None, help="neo4j://… URI (default: embedded graph, or $NEO4J_URI)"
    )
    parser = argparse.ArgumentParser(prog="dots", description=__doc__.splitlines()[0], parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="load extract files or folders into staging")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--profile", help="rms-flat, rms-relational or court-orders (default: detect from header)")
    p.add_argument("--mapping", type=Path, help="a YAML/TOML mapping file for another source")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser(
        "quarantine", parents=[common], help="list quarantined rows with file, line, field, reason"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_quarantine)

    p = sub.add_parser("synth", parents=[common], help="write seeded synthetic extracts with ground truth")
    p.add_argument("--out", required=True)
    p.add_argument("--people", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_synth)
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
