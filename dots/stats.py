"""``dots stats --force NAME --from DATE --to DATE [--by sex,age,ethnicity] --out FILE.csv``: the
force's strategic statistics for a period (HMIC's nine pieces of data, 2014 Annex B), with counts
of 1 to 4 suppressed and the cells that would give them back suppressed too.

One row per measure and breakdown: ``measure,breakdown,value,status,note,force,period_from,
period_to``. ``status`` is ``published``, ``suppressed`` (value blank), ``not_held`` (the extracts
do not hold it: ethnicity, CPS outcomes, victim satisfaction; value blank, never a made-up zero)
or ``not_applicable`` (a rate with no crimes). Victims are resolved people, not records; events
count by their own date within the period (both days included). The measures, the repeat-victim
definition and the suppression rule: :mod:`graph.queries.stats`; the configurable parts:
``reference/data/statistics.yaml`` (or ``--rules``).

The figures are aggregates, but they are computed from personal data: the command takes
``--purpose`` and ``--reference`` and is logged (s.62) like every other read.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dots.failures import CommandError
from dots.graphs import graph_uri
from dots.options import add_force, add_json, add_out, date
from dots.output import emit, operator_hidden
from dots.settings import data_dir


def breakdowns(text: str) -> tuple[str, ...]:
    """``sex,age`` as a tuple of breakdown names (an unknown one refused in one line)."""
    from graph.queries.stats import BREAKDOWNS

    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [n for n in names if n not in BREAKDOWNS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown breakdown {', '.join(unknown)!r}: one of {', '.join(BREAKDOWNS)}")
    return names


def cmd_stats(args: argparse.Namespace) -> int:
    from graph.backend import open_graph
    from graph.queries.stats import force_statistics
    from reference.statistics import load_statistics_rules

    if args.date_from > args.date_to:
        raise CommandError(f"--from {args.date_from} is after --to {args.date_to}")
    home = data_dir(args.data_dir, create=False)
    try:
        rules = load_statistics_rules(args.rules)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    uri = graph_uri(args, home)
    with open_graph(home, uri, read_only=True) as g:
        frame = force_statistics(g, args.force, args.date_from, args.date_to, by=args.by, rules=rules)
        hidden = operator_hidden(args, home, g)  # on the graph open here, not opened again
    return emit(frame, args, hidden=hidden, people=[])  # aggregates: no person named, the read still logged


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "stats", parents=[common],
        help="a force's DA statistics for a period (HMIC's nine pieces of data), counts of 1 to 4 suppressed",
        description="HMIC's nine pieces of data (2014, Annex B) for one force and period, from the graph: DA "
        "incidents and crimes, their victims (resolved people) by sex and age, repeat victims (definition in "
        "the note column), arrests and positive outcomes against other violent crime, incidents at each risk "
        "level, MARAC referrals. Ethnicity, CPS outcomes and victim satisfaction are not in the extracts: "
        "their rows say so. Counts of 1 to 4 are suppressed, and any cell from which one could be worked out.",
    )
    add_force(p, required=True, help="the force whose figures they are (name in any common spelling, or ONS code)")
    p.add_argument("--from", dest="date_from", type=date, required=True, metavar="DATE",
                   help="first day of the period (events on it count)")
    p.add_argument("--to", dest="date_to", type=date, required=True, metavar="DATE",
                   help="last day of the period (events on it count)")
    p.add_argument("--by", type=breakdowns, default=("sex", "ethnicity"), metavar="FIELDS",
                   help="victim breakdowns, comma-separated: sex, age (band on the first DA incident in the "
                   "period), ethnicity (not held: a row says so); default sex,ethnicity as HMIC asked")
    p.add_argument("--rules", type=Path, metavar="FILE.yaml",
                   help="statistics rules (suppression threshold, repeat-victim window, positive outcomes, age "
                   "bands); default the shipped reference/data/statistics.yaml or $DOTS_STATISTICS_RULES")
    add_out(p)
    add_json(p)
    p.set_defaults(func=cmd_stats, access="consultation")
