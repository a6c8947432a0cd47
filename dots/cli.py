"""The ``dots`` command: the stable command-line contract of ``shared/spec/cli.md``.

Each subcommand lives in a module named for what it does (:mod:`dots.loading`, :mod:`dots.lists`,
:mod:`dots.disclose`, :mod:`dots.admin`) and is a thin shell over one package function: parse
options, call, print. A module joins the command by a ``register(sub, common)`` function (and
``register_export(exports, common)`` for ``dots export`` tables); modules listed in ``OPTIONAL``
are joined when they are present. Failures exit non-zero with one line on stderr, never a
traceback; personal-data commands are logged (s.62) through :mod:`dots.access`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from types import ModuleType

from dots.failures import CommandError, explain
from dots.options import Parser, add_globals, common_parent
from dots.terminal import ShownStream

CORE = (
    "dots.loading",
    "dots.lists",
    "dots.disclose",
    "dots.admin",
)
OPTIONAL = (  # joined when their modules exist
    "dots.safeguarding",
    "dots.network",
    "dots.stats",
    "dots.retention",
    "dots.erase",
)


def command_modules() -> list[ModuleType]:
    """The modules whose commands make up ``dots``: the core, and each optional one present."""
    names = list(CORE) + [n for n in OPTIONAL if importlib.util.find_spec(n) is not None]
    return [importlib.import_module(n) for n in names]


def version() -> str:
    try:
        return importlib.metadata.version("dots")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="dots", description="Join the dots in domestic-abuse policing data: load extracts, link "
                    "people, build the graph, answer each user group's questions (shared/spec/cli.md).")
    parser.add_argument("--version", action="version", version=f"dots {version()}")
    add_globals(parser, top=True)
    common = common_parent()
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = sub.add_parser("export", parents=[common], help="write a table as a file")
    exports = export.add_subparsers(dest="table", required=True, metavar="TABLE")
    for module in command_modules():
        if hasattr(module, "register"):
            module.register(sub, common)
        if hasattr(module, "register_export"):
            module.register_export(exports, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command with stdout and stderr shown (:class:`dots.terminal.ShownStream`): every
    line it writes, from any print site, library or argparse error, escapes what a terminal would
    act on, in one place rather than at each print."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ShownStream(sys.stdout), ShownStream(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: list[str] | None) -> int:
    from dots.access import Access, command_name

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    access = Access.of(args, argv) if getattr(args, "access", None) else None
    args.access = access
    name = command_name(args)  # "dots user add", not "dots user"
    try:
        if access is not None:
            access.check()
        status = args.func(args)
        if access is not None and not access.recorded:  # collection, combination: after the work
            access.record("ok", status)
        sys.stdout.flush()
        if access is not None or args.command == "audit":
            _warn_key_placement(args, name)
        return status
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as a Unix tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure is one line on stderr
        line, expected = explain(exc)
        if access is not None and not access.recorded:  # a refused ingest mapping, erasure, --purpose too
            line += _log_failure(access, line, refused=expected)
        print(f"{name}: {line}", file=sys.stderr)
        return 1


def _warn_key_placement(args: argparse.Namespace, name: str) -> None:
    """The server refuses to start with the audit key or checkpoint in the data directory (whoever
    holds the data could re-sign a cut or edited log); the command line warns in one line after a
    command that wrote or verified the log, since refusing would break the scripted forms of
    shared/spec/cli.md that run without production settings. ``DOTS_DEMO=1`` says it is a
    demonstration, as for the server."""
    from api.config import KeyPlacementError, check_key_placement
    from dots.settings import data_dir

    try:
        check_key_placement(data_dir(args.data_dir, create=False))
    except KeyPlacementError as exc:
        print(f"{name}: warning: {explain(exc)[0]}", file=sys.stderr)


def _log_failure(access, line: str, refused: bool) -> str:  # noqa: ANN001
    """A refused or failed personal-data command is logged too (when there is a data directory to
    log in: where there is none, nothing was read). What to add to the one line when it could not
    be (a second line broke the one-line promise)."""
    try:
        access.record("refused" if refused else "error", 1, line)
    except Exception as exc:  # noqa: BLE001
        if not isinstance(exc, FileNotFoundError):
            return f" (and the failure could not be logged: {explain(exc)[0]})"
    return ""


__all__ = ["CommandError", "build_parser", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
