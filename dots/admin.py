"""Running and keeping the service: serve, user add, audit verify."""

from __future__ import annotations

import argparse
import json
import sys

from api.policy.roles import ROLES
from dots.failures import CommandError
from dots.options import bounded
from dots.output import print_json
from dots.settings import data_dir


def cmd_serve(args: argparse.Namespace) -> int:
    """Without the api extra the import fails with ModuleNotFoundError, which dots.failures turns
    into the one line saying what to install."""
    import os

    from api.app import serve

    serve(data_dir(args.data_dir), host=args.host, port=args.port,
          graph_uri=args.graph or os.environ.get("NEO4J_URI") or None)
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from api.auth.users import add_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    created = add_user(
        data_dir(args.data_dir),
        args.name,
        args.role,
        args.force or [],
        password=password,
        national=args.national,
        service=args.service,
        employee_ref=args.employee_ref,
    )
    print_json(created)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from api.policy.audit import verify_chain

    ok, first_bad = verify_chain(data_dir(args.data_dir, create=False))
    if ok:
        print("audit log intact")
        return 0
    raise CommandError(f"chain broken at {json.dumps(first_bad, default=str)}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common], help="run the API and pages (needs the api extra)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=bounded(1, 65535), default=8000, help="port to listen on (default 8000)")
    p.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", parents=[common], help="accounts")
    p = user.add_subparsers(dest="user_command", required=True, metavar="{add}").add_parser(
        "add", parents=[common], help="create a user"
    )
    p.add_argument("name", help="the account name")
    p.add_argument("--role", required=True, choices=ROLES, help="the account's one role")
    p.add_argument("--force", nargs="+", metavar="NAME", help="force names or ONS codes the account may see")
    p.add_argument("--national", action="store_true", help="may see every force")
    p.add_argument("--service", action="store_true", help="a service account: issue an API key")
    p.add_argument("--employee-ref", metavar="FORCE/REF",
                   help="the user's own workforce record (e.g. Northumbria/4721): the account never opens it, "
                   "nor a record it is party to")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    p.set_defaults(func=cmd_user_add)

    audit = sub.add_parser("audit", parents=[common], help="the s.62 audit log")
    p = audit.add_subparsers(dest="audit_command", required=True, metavar="{verify}").add_parser(
        "verify",
        parents=[common],
        help="check the audit log's hash chain (non-zero and the first bad record if broken)",
    )
    p.set_defaults(func=cmd_audit_verify)
