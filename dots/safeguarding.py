"""`dots safeguarding bail|notices|gaps|encompass`: the duties whose clocks have run out.

Each list reads personal data, so each run takes ``--purpose`` and ``--reference`` (or
``DOTS_PURPOSE`` / ``DOTS_REFERENCE``) and is written to the s.62 audit log, by the operating-system
user who ran it, before anything is released. The lists themselves are
:mod:`graph.queries.safeguarding`; the rules are ``reference/data/safeguarding.yaml`` or ``--rules``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dots.failures import CommandError
from dots.graphs import graph_uri
from dots.options import add_json, add_out, date
from dots.output import emit
from dots.settings import data_dir

LISTS = {
    "bail": "pre-charge bail lapsed or due with no decision, beyond the authoriser's limit, into RUI "
            "without an inspector, RUI with no review",
    "notices": "DVPN/DAPN hearings due, late or missing; DVPO caseworker referrals late or missing",
    "gaps": "orders and bail conditions ending with nothing following while the perpetrator is active",
    "encompass": "children at DA incidents whose school was not told before the next school day",
}


def cmd_safeguarding(args: argparse.Namespace) -> int:
    from graph.commands import safeguarding_table

    name = args.safeguarding_command
    home = data_dir(args.data_dir, create=False)
    try:
        frame = safeguarding_table(home, name, args.as_of, args.force, graph_uri(args, home), rules=args.rules)
    except (ValueError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    return emit(frame, args, people=["person_id", "protected_id", "child_id"])  # logged before released


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``dots safeguarding`` and its four lists to the command line."""
    group = sub.add_parser("safeguarding", parents=[common], help="duties on clocks: bail, notices, gaps, encompass")
    lists = group.add_subparsers(dest="safeguarding_command", required=True)
    for name, text in LISTS.items():
        p = lists.add_parser(name, parents=[common], help=text)
        p.add_argument("--force", help="force name or ONS code (default: every force)")
        p.add_argument("--as-of", type=date, help="judge the clocks as of this day (default: today)")
        p.add_argument("--rules", type=Path, help="a safeguarding rules YAML (default: the shipped rules)")
        add_out(p)
        add_json(p)
        p.set_defaults(func=cmd_safeguarding, access="consultation")
