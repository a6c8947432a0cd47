"""``make demo``'s last stage: one example exchange with the API for each user group.

``show_exchanges(data_dir)`` signs in as a demo account of each role (created on first use, with
the force of the busiest perpetrator, so force scoping shows), sends the request that group
typically brings and prints it with the answer, shortened. Given an HR ``workforce`` extract, the
admin uploads it and runs the pipeline, and professional standards (of the force it names) work
their desks while the other groups meet the walled officer as a stub. The requests go through the
real app in-process (the same routes, checks and audit as ``dots serve``), so the auditor's
exchanges at the end show the log the others wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reference.forces import force_name

PASSWORD = "demo password not for production"
PURPOSES = {
    "analyst": ("intelligence", "DEMO-INT-1"),
    "da_team": ("tasking", "MATAC-DEMO-1"),
    "disclosure_officer": ("dvds", "DVDS-DEMO-1"),
    "data_steward": ("data_quality", "DQ-DEMO-1"),
    "admin": ("administration", "ADM-DEMO-1"),
    "auditor": ("audit", "AUD-DEMO-1"),
    "professional_standards": ("investigation", "PSD-DEMO-1"),
}


SCOPED = ("analyst", "da_team", "disclosure_officer")
PROFILE_KEYS = ("person_id", "golden", "name_variants", "timeline", "orders", "elsewhere")
LOG_KEYS = (
    "seq",
    "at",
    "user_name",
    "role",
    "operation",
    "purpose",
    "reference",
    "route",
    "person_ids",
    "outcome",
)


def _shorten(value: Any, items: int = 3, text: int = 90) -> Any:
    if isinstance(value, dict):
        return {k: _shorten(v, items, text) for k, v in value.items()}
    if isinstance(value, list):
        out = [_shorten(v, items, text) for v in value[:items]]
        return out + [f"… {len(value) - items} more"] if len(value) > items else out
    if isinstance(value, str) and len(value) > text:
        return value[:text] + "…"
    return value


def _busiest(g: Any) -> tuple[str | None, str | None, dt.date]:
    """(a force with DA events, a serial perpetrator's person id, the latest event day)."""
    rows = g.run(
        "MATCH (p:Person)-[:SUSPECT_IN]->(e:Event) WHERE e.da "
        "RETURN e.force_code AS force, count(*) AS n ORDER BY n DESC LIMIT 1"
    )
    last = g.run("MATCH (e:Event) RETURN max(e.occurred_on) AS d")
    day = last[0]["d"] if last and last[0]["d"] else dt.date.today()
    return (rows[0]["force"] if rows else None), None, day


def show_exchanges(data_dir: Path, out: Callable[[str], None] = print, workforce: Path | None = None) -> int:
    """Print one request and answer per user group; returns how many exchanges failed (a refusal
    the demo asks for on purpose is not a failure)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth.users import UserError, add_user
    from reference.forces import lookup_force

    app = create_app(Path(data_dir))
    failed = 0
    with TestClient(app) as client:
        g = app.state.dots.graph()
        force, _, day = _busiest(g)
        forces = [force] if force else []
        force_label = force_name(force) or "no force"
        hr_force = None
        if workforce is not None:
            with workforce.open(newline="", encoding="utf-8") as fh:
                known = lookup_force(next(csv.DictReader(fh))["force"])
            hr_force = known.code if known else None
        for role in PURPOSES:
            try:
                add_user(
                    Path(data_dir),
                    f"demo.{role}",
                    role,
                    forces if role in SCOPED else [hr_force] if role == "professional_standards" and hr_force else [],
                    PASSWORD,
                    national=role == "data_steward",
                )
            except UserError:
                pass  # made by an earlier demo run
        tokens = {
            role: client.post("/auth/token", data={"username": f"demo.{role}", "password": PASSWORD})
            .json()
            .get("access_token")
            for role in PURPOSES
        }

        def call(
            role: str,
            method: str,
            path: str,
            title: str,
            body: dict | None = None,
            params: dict | None = None,
            show: Callable[[Any], Any] | None = None,
            files: dict | None = None,
            expect: int | None = None,
        ) -> Any:
            nonlocal failed
            purpose, reference = PURPOSES[role]
            query = {"purpose": purpose, "reference": reference, **(params or {})}
            out(f"\n-- {title}")
            shown = "&".join(f"{k}={v}" for k, v in query.items())
            scope = (f", {force_label}" if role in SCOPED
                     else f", {force_name(hr_force)}" if role == "professional_standards" and hr_force else "")
            out(f"   {method} {path}?{shown}   (as demo.{role}{scope})")
            if body is not None:
                out(f"   body: {json.dumps(body)}")
            if files is not None:
                out(f"   file: {', '.join(name for name, _, _ in files.values())}")
            r = client.request(
                method, path, params=query, json=body, files=files,
                headers={"Authorization": f"Bearer {tokens[role]}"},
            )
            if (r.status_code != expect) if expect else r.status_code >= 400:
                failed += 1
            try:
                answer = r.json()
            except ValueError:
                answer = r.text[:300]
            shown_answer = _shorten(show(answer) if show else answer)
            shortened = json.dumps(shown_answer, default=str, ensure_ascii=False)
            lines = textwrap.wrap(f"→ {r.status_code} {shortened[:1800]}", width=106)
            out("\n".join("   " + line for line in lines))
            return answer

        serial = call(
            "analyst",
            "GET",
            "/analyst/serial-perpetrators",
            "Analyst: who are our serial perpetrators?",
            show=lambda a: {**a, "items": a.get("items", [])[:2]},
        )
        top = (serial.get("items") or [{}])[0].get("person_id")
        if top:
            call(
                "analyst",
                "GET",
                f"/analyst/persons/{top}",
                "Analyst: the top one's profile",
                show=lambda a: {k: a.get(k) for k in PROFILE_KEYS},
            )
        if force:
            call(
                "da_team",
                "GET",
                f"/targets/{force}",
                "Problem-solving team: this week's target list",
                params={"as_of": day.isoformat(), "limit": 3},
            )
        case = call(
            "disclosure_officer",
            "POST",
            "/disclosure/cases",
            "Disclosure officer: open a right-to-ask case",
            body={
                "route": "ask",
                "applicant": {"name": "Demo Applicant"},
                "person_at_risk": {"name": "Demo Applicant"},
                "subject": {
                    "name": (serial.get("items") or [{}])[0].get("name") or "Unknown",
                    "place": "unknown",
                },
                "relationship": "current_partner",
                **({"force": force} if force else {}),
            },
            show=lambda a: {k: a.get(k) for k in ("id", "case_ref", "route", "force", "clocks")},
        )
        if case.get("id") and top:
            call(
                "disclosure_officer",
                "POST",
                f"/disclosure/cases/{case['id']}/subject",
                "Disclosure officer: record the subject the checks identified",
                body={"person_id": top},
                show=lambda a: {k: a.get(k) for k in ("case_ref", "subject_person_id")},
            )
            call(
                "disclosure_officer",
                "GET",
                f"/disclosure/cases/{case['id']}/history",
                "Disclosure officer: the subject's disclosable history (no victim identities)",
                params={"as_of": day.isoformat()},
            )
        walled = _workforce_exchanges(call, client, tokens, data_dir, workforce) if workforce else None
        call(
            "data_steward",
            "GET",
            "/steward/queue",
            "Data steward: pairs to review, most uncertain first (and those only professional standards see)",
            params={"limit": 100},
            show=lambda a: {**a, "items": a.get("items", [])[:2],
                            "stubs": [i for i in a.get("items", []) if i.get("restricted")][:1], "next": None},
        )
        if walled:
            call(
                "analyst",
                "GET",
                f"/analyst/persons/{walled}",
                "Analyst: the walled officer's profile is a stub",
            )
        call(
            "admin",
            "GET",
            "/admin/jobs",
            "Admin: pipeline jobs",
            params={"limit": 3},
            show=lambda a: {**a, "items": [{k: i.get(k) for k in ("id", "kind", "status", "message", "params")}
                                           for i in a.get("items", [])]},
        )
        call(
            "analyst",
            "GET",
            "/analyst/serial-perpetrators",
            "Immigration enforcement as the purpose: refused (immigration firewall)",
            params={"purpose": "immigration_enforcement", "reference": "HOIE-DEMO-1"},
            expect=403,
        )
        call(
            "auditor",
            "GET",
            "/audit/records",
            "Auditor: the s.62 log the exchanges above wrote",
            params={"limit": 3},
            show=lambda a: {**a, "items": [{k: i.get(k) for k in LOG_KEYS} for i in a.get("items", [])]},
        )
        call(
            "auditor",
            "GET",
            "/audit/records",
            "Auditor: the refusals (section 9's CLI refusals and the API's)",
            params={"outcome": "refused", "limit": 4},
            show=lambda a: {**a, "items": [{k: i.get(k) for k in (*LOG_KEYS[2:8], "detail")}
                                           for i in a.get("items", [])]},
        )
        call("auditor", "GET", "/audit/verify", "Auditor: is the chain intact?")
    return failed


def _workforce_exchanges(call: Callable[..., Any], client: Any, tokens: dict, data_dir: Path,
                         workforce: Path) -> str | None:
    """The admin uploads the HR extract and runs the pipeline; professional standards open their
    desks and the officer's profile. Returns the walled officer's person id (None if not linked)."""
    import time

    from linkage.store import LinkageStore

    uploaded = call(
        "admin", "POST", "/admin/uploads", "Admin: upload HR's workforce extract",
        files={"files": (workforce.name, workforce.read_bytes(), "text/csv")},
        show=lambda a: [{k: u.get(k) for k in ("id", "filename", "size")} for u in a],
    )
    ids = [u["id"] for u in uploaded] if isinstance(uploaded, list) else []
    job = call("admin", "POST", "/admin/jobs/pipeline", "Admin: ingest it, link it, load the graph",
               body={"upload_ids": ids}, show=lambda a: {k: a.get(k) for k in ("id", "kind", "status")})
    status: dict = {}
    for _ in range(600):  # the job runs in the server's worker; poll as a client would
        status = client.get(f"/admin/jobs/{job.get('id')}", headers={"Authorization": f"Bearer {tokens['admin']}"},
                            params={"purpose": "administration", "reference": "ADM-DEMO-1"}).json()
        if status.get("status") in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    call("admin", "GET", f"/admin/jobs/{job.get('id')}", "Admin: the job, finished",
         show=lambda a: {k: a.get(k) for k in ("kind", "status", "error")})
    entities = LinkageStore(Path(data_dir)).entities().set_index("record_key")["person_id"]
    with workforce.open(newline="", encoding="utf-8") as fh:
        first = next(csv.DictReader(fh))
    officer = entities.get(f"{first['force']}/workforce/{first['employee_ref']}")
    call("professional_standards", "GET", "/steward/queue",
         "Professional standards: the workforce's matches to review (their desk alone)", params={"limit": 2})
    call("professional_standards", "GET", "/steward/entities/queue",
         "Professional standards: walled incidents, orders and homes to review", params={"limit": 2})
    if officer:
        call("professional_standards", "GET", f"/analyst/persons/{officer}",
             "Professional standards: the officer's profile, in full",
             show=lambda a: {k: a.get(k) for k in ("person_id", "golden", "timeline")})
    return officer


if __name__ == "__main__":  # pragma: no cover
    import sys

    from dots.settings import data_dir

    sys.exit(1 if show_exchanges(data_dir(sys.argv[1] if len(sys.argv) > 1 else None)) else 0)
