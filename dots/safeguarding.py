"""`dots safeguarding bail|notices|gaps|encompass`: the duties whose clocks have run out.

Each list reads personal data, so each run takes ``--purpose`` and ``--reference`` (or
``DOTS_PURPOSE`` / ``DOTS_REFERENCE``) and is written to the s.62 audit log, by the operating-system
user who ran it, before anything is released. The lists themselves are
:mod:`graph.queries.safeguarding`; the rules are ``reference/data/safeguarding.yaml`` or ``--rules``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from dots.settings import data_dir

LISTS = {
    "bail": "pre-charge bail lapsed or due with no decision, beyond the authoriser's limit, into RUI "
            "without an inspector, RUI with no review",
    "notices": "DVPN/DAPN hearings due, late or missing; DVPO caseworker referrals late or missing",
    "gaps": "orders and bail conditions ending with nothing following while the perpetrator is active",
    "encompass": "children at DA incidents whose school was not told before the next school day",
}


class SafeguardingError(Exception):
    """A failure to report as one line on stderr."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _who() -> str:
    import pwd

    try:
        return f"os:{pwd.getpwuid(os.getuid()).pw_name}"  # the uid's own name: $USER can be set to anything
    except KeyError:
        return f"os:uid {os.getuid()}"


def cmd_safeguarding(args: argparse.Namespace) -> int:
    from api.policy.audit import Entry, append_record
    from api.policy.roles import REFERENCE_RE, Purpose
    from graph.commands import safeguarding_table

    purpose = args.purpose or os.environ.get("DOTS_PURPOSE")
    reference = args.reference or os.environ.get("DOTS_REFERENCE")
    if not purpose or not reference:
        print("dots safeguarding: --purpose and --reference (or DOTS_PURPOSE, DOTS_REFERENCE) are required: "
              "the list reads personal data", file=sys.stderr)
        return 2
    if purpose not in {p.value for p in Purpose}:
        print(f"dots safeguarding: unknown purpose {purpose!r}: one of {', '.join(p.value for p in Purpose)}",
              file=sys.stderr)
        return 2
    if not REFERENCE_RE.match(reference):
        print("dots safeguarding: the reference may hold letters, digits and / . _ : - only", file=sys.stderr)
        return 2
    name = args.safeguarding_command
    home = data_dir(args.data_dir)
    try:
        frame = safeguarding_table(home, name, args.as_of, args.force, args.graph or os.environ.get("NEO4J_URI"),
                                   rules=args.rules)
    except (ValueError, OSError) as exc:
        print(f"dots safeguarding {name}: {exc}", file=sys.stderr)
        return 1
    people = sorted({str(p) for c in ("person_id", "protected_id", "child_id") if c in frame
                     for p in frame[c].dropna() if str(p)})
    filters = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in (("force", args.force), ("as_of", args.as_of))
                       if v)
    try:
        append_record(home, Entry(
            operation="consultation", method="CLI", route=f"dots safeguarding {name}",
            path=f"dots safeguarding {name} {filters}".strip(), outcome="ok", status=0, user_name=_who(),
            role="cli", purpose=purpose, reference=reference, person_ids=people, count=len(frame),
            detail=f"safeguarding {name} list" + (f" to {args.out}" if args.out else ""),
        ))
    except Exception as exc:  # noqa: BLE001 - nothing is released unless the read was logged
        print(f"dots safeguarding {name}: the audit log could not be written, nothing released: {exc}",
              file=sys.stderr)
        return 1
    if args.out:  # CSV (UTF-8 with a BOM, formula-like cells defused) or XLSX by the file's suffix
        from exports.tables import Table, write

        table = Table(f"safeguarding-{name}", list(frame.columns), frame.fillna("").to_dict("records"))
        about = [("list", f"safeguarding {name}"), ("as of", str(args.as_of or "today")),
                 ("force", args.force or "every force"), ("purpose", purpose), ("reference", reference),
                 ("note", "Decision support: each row names its rule; the officer decides.")]
        write(args.out, [table], about, title=f"Safeguarding: {name}")
        print(f"wrote {len(frame)} rows to {args.out}", file=sys.stderr)
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``dots safeguarding`` and its four lists to the command line."""
    group = sub.add_parser("safeguarding", parents=[common], help="duties on clocks: bail, notices, gaps, encompass")
    lists = group.add_subparsers(dest="safeguarding_command", required=True)
    for name, text in LISTS.items():
        p = lists.add_parser(name, parents=[common], help=text)
        p.add_argument("--force", help="force name or ONS code (default: every force)")
        p.add_argument("--as-of", type=_date, help="judge the clocks as of this day (default: today)")
        p.add_argument("--rules", type=Path, help="a safeguarding rules YAML (default: the shipped rules)")
        p.add_argument("--out", type=Path, help="write the list here: CSV, or Excel when FILE ends .xlsx")
        p.set_defaults(func=cmd_safeguarding)
