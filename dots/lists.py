"""The analysts' and DA teams' lists from the graph: serial perpetrators, cross-force victims,
the weekly target list. Each is a personal-data read: logged (s.62) with every person id the
rows name before a row is printed or written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from dots.failures import CommandError
from dots.graphs import graph_uri
from dots.options import add_force, add_json, add_out, bounded, date
from dots.output import emit
from dots.settings import data_dir


def cmd_serial(args: argparse.Namespace) -> int:
    from graph.commands import serial_perpetrators_table

    home = data_dir(args.data_dir, create=False)
    frame = serial_perpetrators_table(
        home,
        graph_uri(args, home),
        min_victims=args.min_victims,
        relationships=args.relationships,
        since=args.since,
        force=args.force,
    )
    return emit(frame, args, people=["person_id", "victim_ids"])


def cmd_cross_force(args: argparse.Namespace) -> int:
    from graph.commands import cross_force_victims_table

    home = data_dir(args.data_dir, create=False)
    frame = cross_force_victims_table(home, graph_uri(args, home))
    if args.force:
        frame = narrowed(frame, args.force)
    return emit(frame, args, people=["perpetrator_id", "victim_id"])


def narrowed(frame: pd.DataFrame, force: str) -> pd.DataFrame:
    """The perpetrators with a victim recorded by ``force`` (all their rows: the other forces'
    victims are what makes them cross-force)."""
    from reference.forces import lookup_force

    code = lookup_force(force).code  # known: checked when the option was parsed
    keep = frame.loc[frame["force"] == code, "perpetrator_id"]
    return frame[frame["perpetrator_id"].isin(set(keep))].reset_index(drop=True)


def cmd_targets(args: argparse.Namespace) -> int:
    from graph.commands import parse_weights, targets_table

    try:
        weights = parse_weights(args.weights)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    home = data_dir(args.data_dir, create=False)
    frame = targets_table(home, args.force, args.as_of, graph_uri(args, home), weights=weights,
                          harm_table=args.harm_table)
    return emit(frame, args, people=["person_id"])


def cmd_court_only(args: argparse.Namespace) -> int:
    from graph.commands import court_only_orders_table

    home = data_dir(args.data_dir, create=False)
    frame = court_only_orders_table(home, graph_uri(args, home), known_people_only=args.known_people_only)
    return emit(frame, args, people=["respondent_id", "protected_id"])


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serial-perpetrators", parents=[common], help="people with several unconnected victims")
    p.add_argument("--min-victims", type=bounded(1), default=2, metavar="N",
                   help="at least this many unconnected victims (default 2)")
    p.add_argument("--relationships", choices=["intimate", "family", "any"], default="intimate",
                   help="which relationships to the victim count (default intimate)")
    p.add_argument("--since", type=date, metavar="DATE", help="only events on or after this date")
    add_force(p, help="only events recorded by this force")
    add_out(p)
    add_json(p)
    p.set_defaults(func=cmd_serial, access="consultation")

    p = sub.add_parser("cross-force-victims", parents=[common],
                       help="victims of one perpetrator recorded by different forces")
    add_force(p, help="only perpetrators with a victim recorded by this force (their rows in every force)")
    add_out(p)
    add_json(p)
    p.set_defaults(func=cmd_cross_force, access="consultation")

    p = sub.add_parser("court-only-orders", parents=[common],
                       help="court orders the police may not hold (no police extract records the order or a "
                       "breach of it), each once, with whether police records know either party")
    p.add_argument("--known-people-only", action="store_true",
                   help="only orders whose respondent or protected person police records know (the actionable list)")
    add_out(p)
    add_json(p)
    p.set_defaults(func=cmd_court_only, access="consultation")

    p = sub.add_parser("targets", parents=[common], help="a force's weekly target list")
    add_force(p, required=True, help="the force whose list it is (name in any common spelling, or ONS code)")
    p.add_argument("--as-of", type=date, metavar="DATE", help="the day the list is for (default today)")
    p.add_argument("--weights", help="e.g. recency=1,frequency=1,gravity=1,victims=1")
    p.add_argument("--harm-table", type=Path, metavar="FILE.csv",
                   help="CSV of harm days keyed by Home Office code or offence group")
    add_out(p)
    add_json(p)
    p.set_defaults(func=cmd_targets, access="consultation")
