"""An organisation's users as its administrator sees them: login ID, name, role, active, last login.

No business data: the administrator's page and ``GET /api/v1/admin/users`` show only people.
An administrator sees the users of their own organisation; the instance operator (system actor)
those of any organisation; anyone else gets ``NotFound`` (audited as a denial), as for a user
who does not exist.

The last login is the newest ``login`` event of the user in the audit log (the audit log keeps
it after the session rows are purged); a user who never logged in has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Role
from kizashi.store.audit import AuditRecord
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, LoginThrottle, Organisation, User

from .actor import Actor


@dataclass(frozen=True)
class UserRow:
    id: int
    login: str
    display_name: str
    role: Role
    active: bool
    locale: str
    created_at: datetime
    last_login_at: datetime | None
    locked: bool


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def list_org_users(session: Session, actor: Actor, org_id: int | None = None) -> list[UserRow]:
    """The users of ``org_id`` (default: the actor's organisation), by login ID."""
    org_id = actor.org_id if org_id is None else org_id
    allowed = actor.is_system or (actor.role == Role.ADMIN and org_id == actor.org_id)
    if org_id is None or not allowed or session.get(Organisation, org_id) is None:
        raise NotFound(
            "organisation",
            pending_audit=AuditRecord(
                action="list_users",
                decision="deny",
                actor_user_id=actor.user_id,
                actor_org_id=actor.org_id,
                object_type="organisation",
                object_id=None if org_id is None else str(org_id),
                detail={"login": actor.login},
            ),
        )
    users = list(
        session.execute(select(User).where(User.org_id == org_id).order_by(User.login)).scalars()
    )
    ids = [u.id for u in users]
    last = (
        dict(
            session.execute(
                select(AuditEvent.actor_user_id, func.max(AuditEvent.at))
                .where(AuditEvent.action == "login", AuditEvent.actor_user_id.in_(ids))
                .group_by(AuditEvent.actor_user_id)
            ).all()
        )
        if ids
        else {}
    )
    now = datetime.now(UTC)
    locks = {
        key: _utc(until)
        for key, locked_at, until in session.execute(
            select(LoginThrottle.key, LoginThrottle.locked_at, LoginThrottle.locked_until).where(
                LoginThrottle.scope == "account",
                LoginThrottle.key.in_([u.login for u in users]),
                LoginThrottle.locked_at.is_not(None),
            )
        ).all()
    }
    return [
        UserRow(
            id=u.id,
            login=u.login,
            display_name=u.display_name,
            role=u.role,
            active=bool(u.active),
            locale=u.locale,
            created_at=_utc(u.created_at) or now,
            last_login_at=_utc(last.get(u.id)),
            locked=u.login in locks and (locks[u.login] is None or locks[u.login] > now),  # type: ignore[operator]
        )
        for u in users
    ]
