"""Organisations and users."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, require_role
from kizashi.store.models import Organisation, OrgKind, Role, User

from ._audit import audit_write
from .passwords import hash_password, verify_password

ROLES_BY_KIND = {
    OrgKind.BUSINESS: {Role.OWNER, Role.ADMIN},
    OrgKind.SUPPORTER: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
    OrgKind.BANK: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
    OrgKind.GUARANTOR: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
    OrgKind.REVITALIZATION: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
}


def do_add_organisation(
    session: Session,
    actor: Actor,
    *,
    kind: OrgKind,
    name: str,
    code: str,
    corporate_number: str | None = None,
) -> Organisation:
    require_role(actor)  # system operator only
    if session.execute(select(Organisation.id).where(Organisation.code == code)).first():
        raise ValueError(f"organisation code {code!r} already exists")
    org = Organisation(
        kind=kind,
        name=name,
        code=code,
        corporate_number=corporate_number,
        created_at=datetime.now(UTC),
    )
    session.add(org)
    session.flush()
    audit_write(
        session,
        actor,
        "add_organisation",
        object_type="organisation",
        object_id=org.id,
        kind=kind.value,
        code=code,
    )
    return org


def do_add_user(
    session: Session,
    actor: Actor,
    *,
    org: Organisation,
    login: str,
    password: str,
    display_name: str,
    role: Role,
    locale: str = "ja",
) -> User:
    require_role(actor, Role.ADMIN)
    if not actor.is_system and actor.org_id != org.id:
        raise PermissionError("an administrator manages only their own organisation's users")
    if role not in ROLES_BY_KIND[org.kind]:
        raise ValueError(f"role {role.value} does not exist in a {org.kind.value} organisation")
    if session.execute(select(User.id).where(User.login == login)).first():
        raise ValueError(f"login {login!r} already exists")
    user = User(
        org_id=org.id,
        login=login,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        locale=locale,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    audit_write(
        session,
        actor,
        "add_user",
        object_type="user",
        object_id=user.id,
        new_login=login,
        role=role.value,
        org_id=org.id,
    )
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The user for a login and password, or None (same answer for unknown login and bad password)."""
    user = session.execute(select(User).where(User.login == login)).scalar_one_or_none()
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same work either way: no timing oracle
        return None
    if not user.active or not verify_password(user.password_hash, password):
        return None
    return user


_DUMMY_HASH = hash_password("dummy-password-for-timing")


def org_by_code(session: Session, code: str) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.code == code)
    ).scalar_one_or_none()
    if org is None:
        raise ValueError(f"no organisation with code {code!r}")
    return org
