"""The safeguarding lists as the API serves them: force-scoped rows with the subject's name.

Shared by the DA team's route (``/targets/{force}/safeguarding/{list}``) and the analyst's
(``/analyst/safeguarding/{list}``) and the safeguarding page, so both audiences get the same rows
and the same scoping. A row is shown only when the caller's account sees the force that holds it
(court orders, held by no force, are seen by all). Rows carry ids, names of subjects and dates;
never an address.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.policy.frames import rows
from api.policy.scope import Scope
from api.store import graphq
from exports.tables import Table

# the date or instant each list is due by, and the record it is about
DUE = {"bail": "due_on", "notices": "due_at", "gaps": "ends_on", "encompass": "due_at"}
RECORD = {"bail": "custody_record_key", "notices": "notice_record_key", "gaps": "record_key",
          "encompass": "event_key"}
SUBJECT = {"bail": "person_id", "notices": "person_id", "gaps": "person_id", "encompass": "child_id"}


def safeguarding_rows(g: Any, scope: Scope, name: str, as_of: dt.date, force_code: str | None = None
                      ) -> list[dict[str, Any]]:
    """One list as JSON-ready rows the caller may see: ``name``, ``state``, ``due``, ``record_key``,
    ``subject_id``/``subject_name``, ``protected_id``, ``rule``, ``explanation``, ``source`` and
    every column of the list in ``fields``."""
    from graph.queries import safeguarding_list

    try:
        found = rows(safeguarding_list(g, name, as_of, force=force_code))
    except ValueError:  # the graph holds nothing of this force yet
        found = []
    found = [r for r in found if scope.sees(r.get("force_code") or None)]
    subject = SUBJECT[name]
    names = graphq.people(g, sorted({r[subject] for r in found if r.get(subject)}))
    out = []
    for r in found:
        days_over = r.get("days_over")
        out.append({
            "name": name,
            "state": r["state"],
            "due": str(r.get(DUE[name]) or "") or None,
            "days_over": int(days_over) if days_over not in (None, "") else None,
            "record_key": r.get(RECORD[name]) or None,
            "subject_id": r.get(subject) or None,
            "subject_name": names.get(r.get(subject), {}).get("name"),
            "protected_id": r.get("protected_id") or None,
            "force_code": r.get("force_code") or None,
            "force": r.get("force") or None,
            "rule": r.get("rule") or "",
            "explanation": r.get("explanation") or "",
            "source": r.get("source") or None,
            "fields": {k: "" if v is None else str(v) for k, v in r.items()},
        })
    return out


def people_in(items: list[dict[str, Any]]) -> list[str]:
    """Every person a page of rows names (for the s.62 record)."""
    return sorted({p for r in items for p in (r.get("subject_id"), r.get("protected_id")) if p})


# a list as a file: the columns the page shows, in its order, then where the row comes from
EXPORT_COLUMNS = ["due", "days_over", "state", "subject_id", "subject_name", "protected_id", "record_key",
                  "rule", "explanation", "force", "force_code", "source"]
EXPORT_NOTES = {
    "due": "when the duty fell or falls due (a day, or a day and time)",
    "explanation": "what was missing against the rule: it supports the officer's decision, it does not make it",
}


def safeguarding_table(name: str, items: list[dict[str, Any]]) -> Table:
    """One safeguarding list as the table its CSV and XLSX files hold."""
    return Table(f"safeguarding-{name}", EXPORT_COLUMNS, items, EXPORT_NOTES)
