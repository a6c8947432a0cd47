"""The options every ``dots`` command shares, and the argument types that refuse bad values early.

Global options (``--data-dir``, ``--graph``, ``--purpose``, ``--reference``) are accepted before
and after the command name. argparse copies every attribute a subparser sets onto the top-level
namespace, so a subparser default of ``None`` would overwrite a value given before the command
(``dots --data-dir D ingest`` then wrote to ``./.dots``): on every subparser their default is
``SUPPRESS`` (nothing is set unless the option is written there), and only the top-level parser
holds the ``None`` defaults. The last one written wins.

Parse errors are one line (``dots targets: --age: ...``), never argparse's usage block.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import NoReturn

GLOBAL_HELP = {
    "--data-dir": "state directory holding staging, linkage, graph and state store (default $DOTS_HOME, else ./.dots)",
    "--graph": "a neo4j:// or bolt:// URI to use Neo4j (default $NEO4J_URI, else the embedded graph in the data "
    "directory); credentials from NEO4J_USER and NEO4J_PASSWORD",
    "--purpose": "why personal data is read (DPA 2018 s.62), written to the audit log (default $DOTS_PURPOSE)",
    "--reference": "case, occurrence or task reference justifying the read, written to the audit log "
    "(default $DOTS_REFERENCE)",
}
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)  # the API's calendar bounds (api.deps.Day)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201 - argparse's signature
        """Parse, then refuse a ``--purpose`` that is not a purpose code (or names immigration
        enforcement) in one line, exit status 2 as for any bad option, after logging the refusal
        (s.62: the parser alone would stop before anything could log it)."""
        parsed = super().parse_args(args, namespace)
        purpose = getattr(parsed, "purpose", None)
        if purpose is not None:
            from dots.access import command_name, purpose_refusal, refuse_parsed_purpose

            refused = purpose_refusal(purpose, parsed=True)
            if refused:
                argv = list(sys.argv[1:] if args is None else args)
                line = f"argument --purpose: {refused}"
                line += refuse_parsed_purpose(parsed, argv, line)
                prog = command_name(parsed) if getattr(parsed, "command", None) else self.prog
                self.exit(2, f"{prog}: {line} (see {prog} --help)\n")
        return parsed


def add_globals(parser: argparse.ArgumentParser, top: bool) -> None:
    """The global options on ``parser``: with ``None`` defaults on the top-level parser, with
    ``SUPPRESS`` on a subcommand so that leaving them out there keeps what was given before it."""
    default = None if top else argparse.SUPPRESS
    from api.policy.roles import Purpose  # the API's purpose codes: one vocabulary for the s.62 log

    parser.add_argument("--data-dir", default=default, metavar="DIR", help=GLOBAL_HELP["--data-dir"])
    parser.add_argument("--graph", default=default, metavar="URI", help=GLOBAL_HELP["--graph"])
    codes = [p.value for p in Purpose]
    parser.add_argument(  # checked once parsed (Parser.parse_args), so that a refusal is logged
        "--purpose", default=default, metavar="CODE", help=GLOBAL_HELP["--purpose"] + ": " + ", ".join(codes),
    )
    parser.add_argument("--reference", default=default, metavar="REF", help=GLOBAL_HELP["--reference"])


def common_parent() -> argparse.ArgumentParser:
    """The parent parser every subcommand (at any depth) takes: the global options, suppressed."""
    common = Parser(add_help=False)
    add_globals(common, top=False)
    return common


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (no progress bars or colour)")


def add_out(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "--out",
        required=required,
        metavar="FILE.csv",
        help="write the rows as CSV (UTF-8 with a BOM), or as a workbook if FILE ends in .xlsx; cells a "
        "spreadsheet would run as a formula are defused"
        + ("" if required else "; without it the rows are printed"),
    )


def add_force(parser: argparse.ArgumentParser, required: bool = False, help: str | None = None) -> None:
    parser.add_argument(
        "--force",
        type=force_name,
        required=required,
        metavar="NAME",
        help=help or "narrow to one force (its name in any common spelling, or its ONS code)",
    )


# -- argument types: argparse turns their ArgumentTypeError into a one-line refusal ----------------
def date(text: str) -> dt.date:
    """A calendar date (YYYY-MM-DD) within the bounds the API also accepts."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not EARLIEST <= day <= LATEST:
        raise argparse.ArgumentTypeError(f"a date from {EARLIEST} to {LATEST}: {text!r}")
    return day


def bounded(low: int, high: int | None = None):  # noqa: ANN201 - an argparse type
    """An integer type accepting ``low`` to ``high`` (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"must be {low} or more: {value}" if high is None else f"must be from {low} to {high}: {value}"
            )
        return value

    parse.__name__ = "number"
    return parse


def force_name(text: str) -> str:
    """A force as typed, refused at once when no spelling of any force's name or code matches it."""
    from reference.forces import lookup_force

    if lookup_force(text) is None:
        raise argparse.ArgumentTypeError(f"unknown force: {text!r}")
    return text


def progress(args: argparse.Namespace) -> bool:
    """Progress bars only for a person at a terminal, never with machine-readable output."""
    return not getattr(args, "json", False) and sys.stderr.isatty()
