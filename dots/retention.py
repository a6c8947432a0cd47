"""``dots retention review [--as-of DATE] --out FILE.csv``: the records due for MoPI review.

One row per record key (``record_key,group,review_on`` first): events (``{force}/{occurrence_ref}``),
arrests (``{force}/custody/{custody_ref}``), notices and court orders (case number), each in its
MoPI group by the configured rules, due when a scheduled review falls on or before ``--as-of``
(default today). Beside them, what the reviewer needs: the kind of record and its date, the rule
that chose the group, the reason the review is due (the nth periodic review, or the end of group 1
retention when the subject is deemed 100), the subjects' person ids, whether their dates of birth
are known (unknown: kept and reviewed every 10 years, said in the reason), the next review. The
schedule and the rules are ``reference/data/retention.yaml`` (or ``--rules``): configuration, not
code (:mod:`reference.retention`, :mod:`graph.queries.retention`).

It names people: it takes ``--purpose`` and ``--reference`` and is logged (s.62) with every person
id it lists.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from dots.failures import CommandError
from dots.graphs import graph_uri
from dots.options import add_force, add_json, add_out, date
from dots.output import emit, operator_hidden
from dots.settings import data_dir


def cmd_review(args: argparse.Namespace) -> int:
    from graph.backend import open_graph
    from graph.queries.retention import retention_review
    from reference.retention import load_retention_rules

    home = data_dir(args.data_dir, create=False)
    try:
        rules = load_retention_rules(args.rules)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    uri = graph_uri(args, home)
    with open_graph(home, uri, read_only=True) as g:
        frame = retention_review(g, args.as_of or dt.date.today(), force=args.force, rules=rules)
        hidden = operator_hidden(args, home, g)  # on the graph open here, not opened again
    return emit(frame, args, hidden=hidden, people=["person_ids"])  # logged before released


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("retention", parents=[common], help="MoPI retention: records due for review")
    commands = group.add_subparsers(dest="retention_command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "review", parents=[common], help="records due for MoPI review on or before a day",
        description="Events, arrests, notices and court orders whose MoPI review falls on or before --as-of: "
        "group 1 (certain public protection matters, most DA) kept until the subject is deemed 100 and "
        "reviewed every 10 years; group 2 (other sexual and violent offences) every 10 years; group 3 (all "
        "other offences) after a 6-year clearance period. Groups, schedules and rules are configuration "
        "(reference/data/retention.yaml or --rules). A subject whose date of birth is unknown keeps a group 1 "
        "record on its 10-year reviews (the 100-year point cannot be set); the row says so. 29 February "
        "anniversaries fall on 1 March in common years.",
    )
    p.add_argument("--as-of", type=date, metavar="DATE", help="list reviews due on or before this day (default today)")
    add_force(p, help="only this force's records (court orders, which belong to no force, are then left out)")
    p.add_argument("--rules", type=Path, metavar="FILE.yaml",
                   help="retention rules (groups, schedules, which records go in which group); default the "
                   "shipped reference/data/retention.yaml or $DOTS_RETENTION_RULES")
    add_out(p)
    add_json(p)
    p.set_defaults(func=cmd_review, access="consultation")
