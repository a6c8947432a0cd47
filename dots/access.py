"""The s.62 record of a command that reads personal data (DPA 2018 Part 3).

A personal-data command (a list, an export, a disclosure search, the quarantine) must be given
why (``--purpose`` or ``DOTS_PURPOSE``, one of the API's purpose codes) and for which case,
occurrence or task (``--reference`` or ``DOTS_REFERENCE``); without them it refuses in one line
and the refusal is logged. Its answer is released only after its record is committed to the same
hash chain the API writes (:func:`api.policy.audit.append_record`: same key, same checkpoint,
same fields), naming every person id the answer names. A failed command is logged with its
one-line reason.

Who: the operating-system user running the command, by uid (``os:<name>``), role ``cli``.
Scope: the command line runs with national scope. It is the operator's tool: whoever can run it
can read the data directory's files (staging, linkage outputs, the embedded graph) directly, so a
force scope on the command would be theatre; ``--force`` narrows an answer, it does not grant or
limit access. Accounts and their force scopes are enforced where users reach data they cannot
read as files: the API and its pages.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from api.policy.audit import (
    PURPOSE_WIDTH,
    REFERENCE_WIDTH,
    Entry,
    append_record,
    as_sent,
    not_kept,
    operating_system_user,
)
from api.policy.roles import REFERENCE_RE, Purpose
from dots.failures import CommandError
from dots.settings import data_dir
from reference.immigration import REFUSAL, is_enforcement_purpose, is_enforcement_reference

DETAIL_WIDTH = 1000  # characters of a record's detail: a refusal's line quotes what was sent


class AccessRefused(CommandError):
    """A personal-data command without a valid purpose and reference."""


@dataclass
class Access:
    """What one personal-data command is for and what it returned."""

    data_dir: str | None  # --data-dir as given (else DOTS_HOME, else ./.dots)
    operation: str  # an api.policy.roles.Operation value
    command: str  # "dots serial-perpetrators"
    argv: list[str]
    purpose: str | None
    reference: str | None
    justified: bool = True  # purpose and reference required (else recorded when given)
    person_ids: set[str] = field(default_factory=set)
    count: int | None = None
    recorded: bool = False

    @classmethod
    def of(cls, args: argparse.Namespace, argv: list[str]) -> Access:
        purpose = getattr(args, "purpose", None) or os.environ.get("DOTS_PURPOSE") or None
        reference = getattr(args, "reference", None) or os.environ.get("DOTS_REFERENCE") or None
        justified = getattr(args, "justified", True)
        return cls(args.data_dir, args.access, command_name(args), argv, purpose, reference, justified)

    def check(self) -> None:
        """Refuse (:class:`AccessRefused`) a command without a purpose code and a reference, or
        one whose purpose or reference names immigration enforcement. Its record keeps each as
        given only when it is a plain code (:func:`api.policy.audit.as_sent`)."""
        if self.purpose is not None and (refused := purpose_refusal(self.purpose)):
            raise AccessRefused(refused)
        if self.reference is not None and not REFERENCE_RE.match(self.reference):
            raise AccessRefused("the reference may hold letters, digits and / . _ : - only (2 to 64 characters)")
        if self.reference is not None and is_enforcement_reference(self.reference):
            raise AccessRefused(f"reference {self.reference!r} is refused: {REFUSAL}")
        if self.justified and (not self.purpose or not self.reference):
            raise AccessRefused(
                "a purpose and a case or occurrence reference are required to read personal data: "
                "give --purpose and --reference (or DOTS_PURPOSE and DOTS_REFERENCE)"
            )

    def returned(self, person_ids: Iterable[Any] = (), count: int | None = None) -> None:
        """Note the people the answer names (ids; ``;``-joined lists are split) and its size."""
        for value in person_ids:
            if value is None or value != value:  # None or NaN
                continue
            self.person_ids.update(p for p in str(value).split(";") if p)
        if count is not None:
            self.count = (self.count or 0) + count

    def release(self, person_ids: Iterable[Any] = (), count: int | None = None, withheld: int = 0) -> int:
        """Log the answer (its people and size) before it is printed or written: raises if the
        record cannot be committed, so nothing is released unlogged. ``withheld``: how many of its
        rows or objects the professional-standards wall gave only as held elsewhere (the answer as
        shown: ``person_ids`` are the people it still names), logged ``restricted`` as the API's
        answers are, with a count and no id of what was withheld."""
        self.returned(person_ids, count)
        if withheld:
            return self.record("restricted", 0, f"{withheld} walled record(s) shown only as held elsewhere")
        return self.record("ok", 0)

    def record(self, outcome: str, status: int, detail: str | None = None) -> int:
        """Append this command's record: the purpose and reference as sent when they are plain codes
        (else kept out, and the detail says so), the detail bounded (a refusal's line quotes what
        was sent)."""
        self.recorded = True
        sent = {"purpose": (self.purpose, PURPOSE_WIDTH), "reference": (self.reference, REFERENCE_WIDTH)}
        detail = "; ".join(d for d in (detail, not_kept(**sent)) if d) or None
        return append_record(
            data_dir(self.data_dir, create=False),
            Entry(
                operation=self.operation,
                method="CLI",
                route=self.command,
                path=" ".join(["dots", *self.argv])[:2000],
                outcome=outcome,
                status=status,
                user_name=operating_system_user(),
                role="cli",  # the operating-system user running the command line, not an account
                forces="national",
                purpose=as_sent(*sent["purpose"]),
                reference=as_sent(*sent["reference"]),
                person_ids=sorted(self.person_ids),
                count=self.count,
                detail=detail[:DETAIL_WIDTH] if detail else None,
            ),
        )


def purpose_refusal(text: str, parsed: bool = False) -> str | None:
    """Why a stated purpose is refused (one line), or None for one of the purpose codes; worded
    as the parser words a bad choice when it came as ``--purpose`` (``parsed``)."""
    if is_enforcement_purpose(text):
        return f"{text!r} is refused: {REFUSAL}" if parsed else f"purpose {text!r} is refused: {REFUSAL}"
    codes = [p.value for p in Purpose]
    if text in codes:
        return None
    if parsed:
        return f"invalid choice: {text!r} (choose from {', '.join(codes)})"
    return f"unknown purpose {text!r}: one of {', '.join(codes)}"


def refuse_parsed_purpose(args: argparse.Namespace, argv: list[str], line: str) -> str:
    """Log the refusal of a ``--purpose`` the parser refused (before any command runs: the same
    record a refused ``DOTS_PURPOSE`` gets, who, when and why); what to add to the one line when
    it could not be logged. Where there is no data directory nothing was read and nothing is logged."""
    reference = getattr(args, "reference", None) or os.environ.get("DOTS_REFERENCE") or None
    access = Access(getattr(args, "data_dir", None), str(getattr(args, "access", None) or "consultation"),
                    command_name(args), argv, args.purpose, reference)
    try:
        access.record("refused", 2, line)
    except FileNotFoundError:
        return ""
    except Exception as exc:  # noqa: BLE001 - the refusal stays one line
        return f" (and the refusal could not be logged: {type(exc).__name__})"
    return ""


def command_name(args: argparse.Namespace) -> str:
    """``dots disclose search``: the command and its subcommand names, as the route of a record."""
    names = [args.command]
    for attr in sorted(k for k in vars(args) if k.endswith("_command") and k != "command"):
        names.append(getattr(args, attr))
    if getattr(args, "table", None):  # dots export orders
        names.append(args.table)
    return " ".join(["dots", *(n for n in names if n)])
