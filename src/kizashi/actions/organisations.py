"""Organisations and users."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizashi.access import Actor, require_role
from kizashi.domain.vocabulary import OrgKind, Role
from kizashi.store.audit import AuditRecord, audit_write
from kizashi.store.errors import NotFound
from kizashi.store.models import Organisation, User

from .passwords import hash_password, verify_password
from .sessions import revoke_user_sessions

ROLES_BY_KIND = {
    OrgKind.BUSINESS: {Role.OWNER, Role.ADMIN},
    OrgKind.SUPPORTER: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
    OrgKind.BANK: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
    OrgKind.GUARANTOR: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
    OrgKind.REVITALIZATION: {Role.OFFICER, Role.ADMIN, Role.AUDITOR},
}


class AlreadyExists(ValueError):
    """The code, login or 法人番号 is taken (``what`` names it, ``value`` is the value)."""

    def __init__(self, message: str, *, what: str, value: str) -> None:
        super().__init__(message)
        self.what = what
        self.value = value


class RoleNotOffered(ValueError):
    """The role does not exist in this kind of organisation."""


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
        raise AlreadyExists(f"organisation code {code!r} already exists", what="code", value=code)
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
        raise RoleNotOffered(f"role {role.value} does not exist in a {org.kind.value} organisation")
    if session.execute(select(User.id).where(User.login == login)).first():
        raise AlreadyExists(f"login {login!r} already exists", what="login", value=login)
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


def verify_login_password(user: User | None, password: str) -> bool:
    """Whether the password is the user's; the same argon2 work for an unknown user."""
    if user is None or not password:
        verify_password(_dummy_hash(), password)  # same work either way: no timing oracle
        return False
    return verify_password(user.password_hash, password)


@cache
def _dummy_hash() -> str:
    return hash_password("dummy-password-for-timing")


def user_managed_by(session: Session, actor: Actor, user_id: int) -> User:
    """The user an administrator may manage: one of their own organisation's. Anything else —
    a missing user, another organisation's, a caller who is not an administrator — is the same
    ``NotFound`` (audited as a denial)."""
    user = session.get(User, user_id)
    allowed = actor.is_system or (
        actor.role == Role.ADMIN and user is not None and user.org_id == actor.org_id
    )
    if user is None or not allowed:
        raise NotFound(
            "user",
            pending_audit=AuditRecord(
                action="manage_user",
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                object_type="user",
                object_id=str(user_id),
                detail={"login": actor.login},
            ),
        )
    return user


def _require_manager(actor: Actor, user: User) -> None:
    require_role(actor, Role.ADMIN)
    if not actor.is_system and actor.org_id != user.org_id:
        raise PermissionError("an administrator manages only their own organisation's users")


def do_set_user_active(session: Session, actor: Actor, user: User, *, active: bool) -> int:
    """Deactivate (or reactivate) a user. Deactivation ends all their sessions at once."""
    _require_manager(actor, user)
    user.active = active
    ended = 0 if active else revoke_user_sessions(session, user.id, "deactivated")
    audit_write(
        session,
        actor,
        "activate_user" if active else "deactivate_user",
        object_type="user",
        object_id=user.id,
        target_login=user.login,
        sessions_ended=ended,
    )
    return ended


def do_change_password(session: Session, actor: Actor, user: User, password: str) -> int:
    """Set a new password (argon2id). Every session of the user ends: a stolen session does
    not outlive the password change."""
    _require_manager(actor, user)
    user.password_hash = hash_password(password)
    ended = revoke_user_sessions(session, user.id, "password_changed")
    audit_write(
        session,
        actor,
        "change_password",
        object_type="user",
        object_id=user.id,
        target_login=user.login,
        sessions_ended=ended,
    )
    return ended


def do_change_role(session: Session, actor: Actor, user: User, role: Role) -> int:
    """Give a user another role of their organisation's kind; their sessions end."""
    _require_manager(actor, user)
    kind = session.get(Organisation, user.org_id).kind  # type: ignore[union-attr]
    if role not in ROLES_BY_KIND[kind]:
        raise ValueError(f"role {role.value} does not exist in a {kind.value} organisation")
    old = user.role
    user.role = role
    ended = revoke_user_sessions(session, user.id, "role_changed")
    audit_write(
        session,
        actor,
        "change_role",
        object_type="user",
        object_id=user.id,
        target_login=user.login,
        old_role=old.value,
        role=role.value,
        sessions_ended=ended,
    )
    return ended


def org_by_code(session: Session, code: str) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.code == code)
    ).scalar_one_or_none()
    if org is None:
        raise ValueError(f"no organisation with code {code!r}")
    return org
