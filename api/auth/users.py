"""User accounts: the functions behind ``dots user add`` and the admin routes.

An account has one role and a force scope: the ONS codes of the forces whose people and events
it may see, or ``national``. Forces may be given as names in any spelling the alias table knows
or as ONS codes. A national account must be asked for explicitly (``national=True`` or the force
name ``national``): forgetting ``--force`` must never widen access, so an account with no forces
and no national flag sees no force's records (fine for admins and auditors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.auth import security
from api.config import database_url
from api.policy.roles import ROLES
from api.store.db import ApiKey, User, session_factory, utcnow
from reference.forces import lookup_force

NATIONAL = "national"


class UserError(ValueError):
    """A user request that cannot be met (unknown role or force, duplicate name)."""


def beyond_scope(
    admin_forces: frozenset[str] | set[str], admin_national: bool, forces: list[str] | set[str], national: bool
) -> str | None:
    """Why an admin of ``admin_forces`` may not create, change or hold an account of this scope
    (None when it may): an admin works within its own forces; only a national admin grants
    national scope or another force's."""
    if admin_national:
        return None
    if national:
        return "only a national admin grants national scope"
    if set(forces) - set(admin_forces):
        return "only a national admin grants another force's scope"
    return None


def scope_label(forces: list[str] | None, national: bool) -> str:
    return "national" if national else ",".join(sorted(forces or [])) or "no force"


def resolve_forces(forces: list[str] | None) -> tuple[list[str], bool]:
    """(ONS codes, national?) for force names or codes as typed."""
    codes: list[str] = []
    national = False
    for name in forces or []:
        if name.strip().lower() == NATIONAL:
            national = True
            continue
        force = lookup_force(name)
        if force is None:
            raise UserError(f"unknown force: {name!r}")
        if force.code not in codes:
            codes.append(force.code)
    return codes, national


def resolve_employee_ref(ref: str | None) -> str | None:
    """``FORCE/REF`` (force name in any spelling, or ONS code) as ``ONS-CODE/REF``, the form
    :mod:`api.policy.wall` matches against the staged workforce records."""
    if ref is None or not ref.strip():
        return None
    force, sep, number = ref.strip().partition("/")
    found = lookup_force(force) if sep else None
    if found is None or not number.strip() or len(number) > 100 or not number.strip().isprintable():
        raise UserError(f"employee ref {ref!r}: FORCE/REF with a known force, e.g. Northumbria/4721")
    return f"{found.code}/{number.strip()}"


def user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "forces": list(user.forces or []),
        "national": bool(user.national),
        "service": bool(user.service),
        "active": bool(user.active),
        "created_at": user.created_at,
        "created_by": user.created_by,
        "employee_ref": user.employee_ref,
    }


def create_user(
    session: Session,
    name: str,
    role: str,
    forces: list[str] | None,
    password: str | None,
    national: bool = False,
    service: bool = False,
    created_by: str | None = None,
    employee_ref: str | None = None,
) -> dict:
    """Create an account in an open session; returns it with a generated password or API key
    (shown once, never stored in clear)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise UserError("a user name of 1 to 100 characters is required")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    codes, named_national = resolve_forces(forces)
    staff_ref = resolve_employee_ref(employee_ref)
    if session.execute(select(User.id).where(User.name == name)).first():
        raise UserError(f"user {name!r} already exists")
    generated: dict[str, str] = {}
    if service:
        password_hash = None
    else:
        if not password:
            password = generated["password"] = security.generate_password()
        if len(password) < 12:
            raise UserError("passwords must be at least 12 characters")
        password_hash = security.hash_password(password)
    user = User(
        name=name,
        role=role,
        forces=codes,
        national=national or named_national,
        service=service,
        password_hash=password_hash,
        active=True,
        token_version=0,
        created_at=utcnow(),
        created_by=created_by,
        employee_ref=staff_ref,
    )
    session.add(user)
    session.flush()
    if service:
        generated["api_key"] = issue_api_key(session, user)
    return {**user_dict(user), **generated}


def issue_api_key(session: Session, user: User) -> str:
    full, key_id, key_hash = security.new_api_key()
    session.add(ApiKey(user_id=user.id, key_id=key_id, key_hash=key_hash, created_at=utcnow()))
    return full


def add_user(
    data_dir: Path,
    name: str,
    role: str,
    forces: list[str] | None,
    password: str | None = None,
    national: bool = False,
    service: bool = False,
    employee_ref: str | None = None,
) -> dict:
    """``dots user add``: create an account in the data directory's state store.

    Returns the account; ``password`` is included only when one was generated, ``api_key`` only
    for a service account (``service=True``): print them once, they are not recoverable.
    Raises :class:`UserError` for an unknown role or force or a duplicate name. The creation is an
    ``alteration`` record in the audit log, by the operating-system user who ran the command."""
    from api.policy.audit import Entry, append_record, operating_system_user

    sessions = session_factory(database_url(Path(data_dir)))
    with sessions.begin() as session:
        created = create_user(
            session, name, role, forces, password, national=national, service=service, created_by="cli",
            employee_ref=employee_ref,
        )
    detail = (
        f"account {created['name']} (id {created['id']}) created: role {created['role']}, "
        f"scope {scope_label(created['forces'], created['national'])}" + (", service" if service else "")
    )
    append_record(
        Path(data_dir),
        Entry(
            operation="alteration",
            method="CLI",
            route="dots user add",
            path=f"dots user add {created['name']}",
            outcome="ok",
            status=0,
            user_name=operating_system_user(),
            role="cli",  # the operating-system user running the command line, not an account
            detail=detail,
        ),
    )
    return created


def authenticate(sessions: sessionmaker, name: str, password: str) -> User | None:
    """The active, password-holding user with these credentials, else None."""
    with sessions.begin() as session:
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        stored = user.password_hash if user is not None and user.active and not user.service else None
        if not security.verify_password(stored, password):
            return None
        assert user is not None
        if security.needs_rehash(user.password_hash or ""):
            user.password_hash = security.hash_password(password)
        session.expunge(user)
        return user
