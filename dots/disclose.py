"""Clare's Law support on the command line: candidate identities for a named partner.

A disclosure search is a personal-data read: its record names every candidate returned.
"""

from __future__ import annotations

import argparse
import sys

from dots.options import add_json, bounded, date
from dots.output import operator_hidden, print_json
from dots.settings import data_dir
from dots.terminal import shown


def cmd_search(args: argparse.Namespace) -> int:
    from api.policy import wall
    from linkage.search import search

    home = data_dir(args.data_dir, create=False)
    hits = search(home, args.name, dob=args.dob, age=args.age, place=args.place, limit=args.limit)
    # a walled candidate (api.policy.wall) is only "a record exists, held by <force>", as the API's
    # disclosure answers give it: no name, no date of birth, and no professional-standards unit named
    hits, count = wall.scrub(hits, operator_hidden(args, home), disclosure=True)
    args.access.release([h.get("person_id") for h in hits], len(hits), withheld=count)  # the answer as shown
    if count:
        print(f"{count} candidate(s) restricted: held elsewhere", file=sys.stderr)
    if args.json:
        print_json({"candidates": hits})
        return 0
    for h in hits:
        if h.get("restricted"):
            print("restricted: a record held by " + "; ".join(f["force"] or "" for f in h["held_by"]))
            continue
        print(
            f"{h.get('person_id')}  p={h.get('probability', 0):.3f}  {h.get('match_key', '')}  "
            f"{shown(h.get('name', h.get('preferred_name', '')))}"
        )
    if not hits:
        print("no candidates")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    disclose = sub.add_parser("disclose", parents=[common], help="Clare's Law support")
    p = disclose.add_subparsers(dest="disclose_command", required=True, metavar="{search}").add_parser(
        "search", parents=[common], help="candidate identities for a named partner"
    )
    p.add_argument("--name", required=True, metavar="TEXT", help="the partner's name as the applicant gave it")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--dob", type=date, metavar="DATE", help="date of birth (YYYY-MM-DD)")
    when.add_argument("--age", type=bounded(0, 130), metavar="N", help="age in years, when the date is not known")
    p.add_argument("--place", metavar="TEXT", help="a town or postcode the partner is linked to")
    p.add_argument("--limit", type=bounded(1, 100), default=10, metavar="N", help="at most this many (default 10)")
    add_json(p)
    p.set_defaults(func=cmd_search, access="consultation")
