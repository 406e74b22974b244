"""Login attempts: the password check, a lockout per login ID, a throttle per address, audited.

A login happens in two units of work so that no write lock is held while argon2 runs:

1. ``check_login`` (reads only): is the client address throttled? does the login ID exist, is
   the password right, is the ID locked? The password is verified even for an unknown ID (a
   dummy hash: the same work) and even for a locked one.
2. ``do_login`` (writes): counts the failure or starts the web session, and audits the
   attempt — ``login`` (allow), ``login_failed`` (deny, with the reason), ``login_locked`` when
   a failure locks the ID, ``login_throttled`` when a failure throttles the address.

Failures are counted in ``login_throttle`` rows keyed by the login ID *as typed* — whether or
not a user has it — and by client address, with atomic upserts, so several web processes
share the counts. An ID that exists and one that does not behave identically: the same
message after a wrong password, the same lockout message after ``max_failures``; the answer
never tells whether an ID exists. While an ID is locked even the right password is refused.
A success clears the ID's count (the address count is kept: one good account must not wash
out an address's failures against others). Requests from a throttled address are refused
before any check and are not audited one by one (only the failure that started the throttle
is), so a flood cannot flood the audit log.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kizashi.access import Actor
from kizashi.store.audit import AuditRecord, append_audit, audit_write
from kizashi.store.models import LoginThrottle, User

from .organisations import verify_login_password
from .sessions import as_utc, do_start_session, now_utc

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 10
    window_seconds: int = 15 * 60
    lockout_seconds: int = 30 * 60  # 0: until an administrator unlocks the ID
    address_max_failures: int = 30
    idle_seconds: int = 2 * 3600
    absolute_seconds: int = 12 * 3600


class Outcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # wrong password, unknown or inactive login ID
    LOCKED = "locked"  # the login ID is locked (or this failure locked it)
    THROTTLED = "throttled"  # too many failures from this address: 429


@dataclass(frozen=True)
class LoginCheck:
    """What ``check_login`` found; ``do_login`` acts on it."""

    login: str
    address: str
    retry_after: int = 0  # > 0: the address is throttled and nothing else was checked
    user_id: int | None = None
    org_id: int | None = None
    locale: str | None = None
    reason: str = ""  # why it failed: unknown_login | bad_password | inactive ("" if right)
    locked: bool = False


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user_id: int | None = None
    locale: str | None = None
    token: str | None = None  # the new session's token (outcome OK)
    retry_after: int = 0


def login_key(login: str) -> str:
    return login.strip()[:200]


def _is_locked(row: Any, now: datetime) -> bool:
    return (
        row is not None
        and row.locked_at is not None
        and (row.locked_until is None or as_utc(row.locked_until) > now)
    )


def address_retry_after(
    session: Session, address: str, policy: LoginPolicy, now: datetime | None = None
) -> int:
    """Seconds until a throttled address may try again (0: it is not throttled)."""
    now = now or now_utc()
    row = session.execute(
        select(LoginThrottle.failures, LoginThrottle.window_started_at).where(
            LoginThrottle.scope == ADDRESS, LoginThrottle.key == address[:200]
        )
    ).one_or_none()
    if row is None or row.failures < policy.address_max_failures:
        return 0
    ends = as_utc(row.window_started_at) + timedelta(seconds=policy.window_seconds)
    return max(0, math.ceil((ends - now).total_seconds()))


def check_login(
    session: Session,
    login: str,
    password: str,
    *,
    address: str,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginCheck:
    """Phase 1 (reads only): the address throttle, the password, the lock."""
    now = now or now_utc()
    key = login_key(login)
    retry = address_retry_after(session, address, policy, now)
    if retry:
        return LoginCheck(key, address, retry_after=retry)
    user = session.execute(select(User).where(User.login == key)).scalar_one_or_none()
    right = verify_login_password(user, password)  # argon2 either way: no timing oracle
    if user is None:
        reason = "unknown_login"
    elif not user.active:
        reason = "inactive"
    else:
        reason = "" if right else "bad_password"
    lock = session.execute(
        select(LoginThrottle.locked_at, LoginThrottle.locked_until).where(
            LoginThrottle.scope == ACCOUNT, LoginThrottle.key == key
        )
    ).one_or_none()
    return LoginCheck(
        key,
        address,
        user_id=user.id if user else None,
        org_id=user.org_id if user else None,
        locale=user.locale if user else None,
        reason=reason,
        locked=_is_locked(lock, now),
    )


def do_login(
    session: Session,
    check: LoginCheck,
    *,
    policy: LoginPolicy,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Phase 2 (writes): start the session, or count the failure; audit either way."""
    now = now or now_utc()
    if check.retry_after:
        return LoginResult(Outcome.THROTTLED, retry_after=check.retry_after)
    if not check.reason and not check.locked and check.user_id is not None:
        # Clear the ID's failures unless it was locked meanwhile (by another process).
        session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.scope == ACCOUNT,
                LoginThrottle.key == check.login,
                or_(LoginThrottle.locked_at.is_(None), LoginThrottle.locked_until <= now),
            )
        )
        still = session.execute(
            select(LoginThrottle.locked_at, LoginThrottle.locked_until).where(
                LoginThrottle.scope == ACCOUNT, LoginThrottle.key == check.login
            )
        ).one_or_none()
        if not _is_locked(still, now):
            session_id, token = do_start_session(
                session,
                user_id=check.user_id,
                idle_seconds=policy.idle_seconds,
                absolute_seconds=policy.absolute_seconds,
                address=check.address,
                user_agent=user_agent,
                now=now,
            )
            _audit(session, "login", "allow", check, user_actor=True, session_id=session_id)
            return LoginResult(Outcome.OK, check.user_id, check.locale, token)
        check = replace(check, locked=True)

    outcome = Outcome.LOCKED if check.locked else Outcome.FAILED
    _audit(
        session, "login_failed", "deny", check, reason="locked" if check.locked else check.reason
    )
    if not check.locked:
        failures, _ = _count_failure(session, ACCOUNT, check.login, policy, now)
        if failures >= policy.max_failures and _lock(session, check.login, policy, now):
            _audit(session, "login_locked", "deny", check, failures=failures)
            outcome = Outcome.LOCKED
    failures, _ = _count_failure(session, ADDRESS, check.address[:200], policy, now)
    if failures == policy.address_max_failures:
        _audit(
            session,
            "login_throttled",
            "deny",
            check,
            failures=failures,
            window_seconds=policy.window_seconds,
        )
    return LoginResult(outcome)


def _count_failure(
    session: Session, scope: str, key: str, policy: LoginPolicy, now: datetime
) -> tuple[int, datetime]:
    """One more failure for (scope, key), atomically; a new window once the old one ended
    (or once an ID's lock has run out). Return (failures in the window, window start)."""
    table = LoginThrottle.__table__
    stale = or_(
        table.c.window_started_at <= now - timedelta(seconds=policy.window_seconds),
        and_(table.c.locked_until.is_not(None), table.c.locked_until <= now),
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(LoginThrottle)
        .values(scope=scope, key=key, failures=1, window_started_at=now, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=["scope", "key"],
            set_={
                "failures": case((stale, 1), else_=table.c.failures + 1),
                "window_started_at": case((stale, now), else_=table.c.window_started_at),
                "locked_at": case((stale, None), else_=table.c.locked_at),
                "locked_until": case((stale, None), else_=table.c.locked_until),
                "last_failure_at": now,
            },
        )
        .returning(table.c.failures, table.c.window_started_at)
    )
    failures, started = session.execute(stmt).one()
    return int(failures), as_utc(started)


def _lock(session: Session, key: str, policy: LoginPolicy, now: datetime) -> bool:
    """Lock the ID unless another process just did (only one of them audits the lock)."""
    until = now + timedelta(seconds=policy.lockout_seconds) if policy.lockout_seconds else None
    result = session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.scope == ACCOUNT,
            LoginThrottle.key == key,
            LoginThrottle.locked_at.is_(None),
        )
        .values(locked_at=now, locked_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _audit(
    session: Session,
    action: str,
    decision: str,
    check: LoginCheck,
    *,
    user_actor: bool = False,
    **detail: Any,
) -> None:
    """A login event. The object is the user when the ID exists; the typed ID is in detail."""
    append_audit(
        session,
        AuditRecord(
            action=action,
            decision=decision,
            actor_user_id=check.user_id if user_actor else None,
            actor_org_id=check.org_id,
            object_type="user" if check.user_id is not None else "login",
            object_id=str(check.user_id) if check.user_id is not None else None,
            detail={"login": check.login[:120], "address": check.address, **detail},
        ),
    )


# --------------------------------------------------------------------------- administration


@dataclass(frozen=True)
class LockState:
    locked: bool
    failures: int
    locked_until: datetime | None


def login_lock_state(session: Session, login: str, now: datetime | None = None) -> LockState:
    now = now or now_utc()
    row = session.execute(
        select(LoginThrottle).where(
            LoginThrottle.scope == ACCOUNT, LoginThrottle.key == login_key(login)
        )
    ).scalar_one_or_none()
    if row is None:
        return LockState(False, 0, None)
    until = as_utc(row.locked_until) if row.locked_until else None
    return LockState(_is_locked(row, now), row.failures, until)


def do_unlock_login(session: Session, actor: Actor, user: User) -> bool:
    """Lift a user's lockout and clear their failure count. Audited; True if it was locked."""
    state = login_lock_state(session, user.login)
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == ACCOUNT, LoginThrottle.key == login_key(user.login)
        )
    )
    audit_write(
        session,
        actor,
        "unlock_login",
        object_type="user",
        object_id=user.id,
        target_login=user.login,
        was_locked=state.locked,
        failures=state.failures,
    )
    return state.locked


def purge_login_throttles(
    session: Session, policy: LoginPolicy, now: datetime | None = None
) -> int:
    """Delete counts whose window has ended and that hold no lock still in force."""
    now = now or now_utc()
    window_start = now - timedelta(seconds=policy.window_seconds)
    result = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at <= window_start,
            or_(
                LoginThrottle.locked_at.is_(None),
                and_(LoginThrottle.locked_until.is_not(None), LoginThrottle.locked_until <= now),
            ),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
