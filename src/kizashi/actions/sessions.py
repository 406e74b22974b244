"""Server-side web sessions: start, resolve on every request, end, revoke, purge.

The browser's cookie carries a random token (256 bits); the store keeps only its sha256, so a
copy of the database does not let anyone log in. A session is valid while it is not revoked,
its idle expiry has not passed (moved forward at most once a minute while the user is active)
and its absolute expiry has not passed (fixed at login). Logout revokes the one session;
deactivating a user, changing their password or role, or an administrator's "log out
everywhere" revokes all of that user's sessions. All state is in the store, so any number of
web processes share it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.domain.vocabulary import OrgKind
from kizashi.store.audit import audit_write
from kizashi.store.models import Organisation, User, WebSession

TOUCH_SECONDS = 60  # last_seen / idle expiry are written at most this often per session


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """SQLite hands datetimes back naive (stored as UTC); PostgreSQL hands them back aware."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    """The session of a request with what the request needs of its user and organisation
    (plain values, usable after the unit of work that read them has ended)."""

    id: int
    actor: Actor
    display_name: str
    org_name: str
    org_kind: OrgKind
    locale: str
    last_seen_at: datetime
    absolute_expires_at: datetime

    def needs_touch(self, now: datetime | None = None) -> bool:
        """Whether the last recorded activity is over a minute old (then ``touch_session``)."""
        return ((now or now_utc()) - self.last_seen_at).total_seconds() >= TOUCH_SECONDS


def do_start_session(
    session: Session,
    *,
    user_id: int,
    idle_seconds: int,
    absolute_seconds: int,
    address: str | None,
    user_agent: str | None,
    now: datetime | None = None,
) -> tuple[int, str]:
    """Record a new session for a user who has just logged in; return (its id, its token).

    The caller audits the login. The user's ended sessions are purged on the way (cheap: by
    the user's index), so the table does not grow with every login.
    """
    now = now or now_utc()
    purge_sessions(session, now=now, user_id=user_id)
    token = secrets.token_urlsafe(32)
    absolute = now + timedelta(seconds=absolute_seconds)
    row = WebSession(
        token_hash=hash_token(token),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        idle_expires_at=min(now + timedelta(seconds=idle_seconds), absolute),
        absolute_expires_at=absolute,
        address=(address or "")[:64] or None,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return row.id, token


def resolve_session(
    session: Session, token: str, *, now: datetime | None = None
) -> ActiveSession | None:
    """The live session for a cookie's token, or None (unknown, revoked, expired, inactive user).

    One indexed query, token hash → session ⋈ user ⋈ organisation; it only reads, so it can run
    in a read-only unit of work. See ``touch_session`` for recording activity.
    """
    now = now or now_utc()
    row = session.execute(
        select(
            WebSession.id,
            WebSession.last_seen_at,
            WebSession.absolute_expires_at,
            User,
            Organisation,
        )
        .join(User, WebSession.user_id == User.id)
        .join(Organisation, User.org_id == Organisation.id)
        .where(
            WebSession.token_hash == hash_token(token),
            WebSession.revoked_at.is_(None),
            WebSession.idle_expires_at > now,
            WebSession.absolute_expires_at > now,
            User.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    session_id, last_seen, absolute, user, org = row
    return ActiveSession(
        id=session_id,
        actor=Actor(
            user_id=user.id, org_id=org.id, org_kind=org.kind, role=user.role, login=user.login
        ),
        display_name=user.display_name,
        org_name=org.name,
        org_kind=org.kind,
        locale=user.locale,
        last_seen_at=as_utc(last_seen),
        absolute_expires_at=as_utc(absolute),
    )


def touch_session(
    session: Session, live: ActiveSession, *, idle_seconds: int, now: datetime | None = None
) -> None:
    """Record activity: last seen now, the idle expiry moved (never past the absolute one).
    Callers do it only when ``live.needs_touch()``: at most one UPDATE a minute per session."""
    now = now or now_utc()
    session.execute(
        update(WebSession)
        .where(WebSession.id == live.id, WebSession.revoked_at.is_(None))
        .values(
            last_seen_at=now,
            idle_expires_at=min(now + timedelta(seconds=idle_seconds), live.absolute_expires_at),
        )
    )


def revoke_user_sessions(
    session: Session, user_id: int, reason: str, *, now: datetime | None = None
) -> int:
    """Revoke every live session of a user (the caller audits why); return how many."""
    now = now or now_utc()
    result = session.execute(
        update(WebSession)
        .where(
            WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None),
            WebSession.idle_expires_at > now,
            WebSession.absolute_expires_at > now,
        )
        .values(revoked_at=now, revoked_reason=reason[:32])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def do_end_session(
    session: Session, token: str, *, address: str | None, now: datetime | None = None
) -> bool:
    """Logout: revoke the session of this token (a copied cookie is refused from now on)."""
    now = now or now_utc()
    row = session.execute(
        select(WebSession, User)
        .join(User, WebSession.user_id == User.id)
        .where(WebSession.token_hash == hash_token(token), WebSession.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        return False
    ws, user = row
    ws.revoked_at = now
    ws.revoked_reason = "logout"
    session.flush()
    audit_write(
        session,
        Actor.from_user(user),
        "logout",
        object_type="web_session",
        object_id=ws.id,
        address=address,
    )
    return True


def do_end_user_sessions(session: Session, actor: Actor, user: User) -> int:
    """An administrator (or the operator at the CLI) logs a user out everywhere. Audited."""
    ended = revoke_user_sessions(session, user.id, "ended_by_admin")
    audit_write(
        session,
        actor,
        "end_user_sessions",
        object_type="user",
        object_id=user.id,
        target_login=user.login,
        sessions_ended=ended,
    )
    return ended


def purge_sessions(
    session: Session, *, now: datetime | None = None, user_id: int | None = None
) -> int:
    """Delete sessions that have ended (revoked or expired): of one user, or of everyone."""
    now = now or now_utc()
    stmt = delete(WebSession).where(
        or_(
            WebSession.revoked_at.is_not(None),
            WebSession.idle_expires_at <= now,
            WebSession.absolute_expires_at <= now,
        )
    )
    if user_id is not None:
        stmt = stmt.where(WebSession.user_id == user_id)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
