"""The audit log as an auditor reads it: filtered, one event's details, CSV, the chain verified.

Who sees which events (the scope; docs/web.md, "Audit log"):

* the instance operator (the system actor: ``kizashi audit log`` without ``--as``) sees every
  event;
* an organisation's **auditor** sees the events of its own organisation: what its people did
  (``actor_org_id`` is the organisation — their reads of businesses, refusals, writes, logins and
  failed logins under their login IDs) and what was done to its people by others (events whose
  object is one of its users, e.g. the operator deactivating one, an administrator's password
  reset). Not what other organisations did with the same businesses: another bank's reads of a
  business the auditor's 保証協会 also monitors are that bank's auditor's, and the business
  owner's ("who looked");
* anyone else (officer, administrator, owner) is refused with the same ``NotFound`` as a
  missing event, audited as a denial.

Every read of the log is itself audited (``read_audit_log``, ``read_audit_event``,
``export_audit_log``, ``verify_audit_log``; decision ``allow``), with the filters used.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, func, or_, select, true
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Role
from kizashi.store.audit import AuditRecord, ChainProblem, append_audit, verify_chain
from kizashi.store.audit_checkpoints import read_checkpoints, verify_checkpoints
from kizashi.store.db import Store
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, Business, Organisation, User

from .actor import Actor

JST = ZoneInfo("Asia/Tokyo")  # a period's days are Japan's days
MAX_PAGE_SIZE = 500
MAX_EXPORT = 100_000  # events in one CSV export
FAILED_LOGIN_ACTIONS = ("login_failed", "login_locked")
CSV_COLUMNS = (
    "id",
    "at",
    "login",
    "organisation",
    "action",
    "decision",
    "business_id",
    "business",
    "category",
    "purpose",
    "object_type",
    "object_id",
    "detail",
)


@dataclass(frozen=True)
class AuditFilter:
    """What to list. ``person``: a login ID; ``organisation``: an organisation's code; ``since``
    and ``until``: days in Japan time, both included."""

    person: str | None = None
    organisation: str | None = None
    business_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def as_detail(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if isinstance(v, date) else v)
            for k, v in asdict(self).items()
            if v not in (None, "")
        }


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_user_id: int | None
    login: str | None  # the acting user's login ID (or the one typed at a failed login)
    display_name: str | None
    organisation: str | None
    action: str
    decision: str
    business_id: int | None
    business_name: str | None
    category: str | None
    purpose: str | None
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    offset: int
    page_size: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True)
class Verification:
    """The chain and the signed checkpoints checked (``kizashi audit verify``'s findings)."""

    checked: int
    checkpoints: int
    problems: list[ChainProblem]

    @property
    def intact(self) -> bool:
        return not self.problems


def _deny(session: Session, actor: Actor, action: str, object_id: object = None) -> NotFound:
    return NotFound(
        "audit log",
        pending_audit=AuditRecord(
            action=action,
            decision="deny",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            object_type="audit_event" if object_id is not None else "audit_log",
            object_id=None if object_id is None else str(object_id),
            detail={"login": actor.login},
        ),
    )


def _may_read(actor: Actor) -> bool:
    return actor.is_system or (actor.role == Role.AUDITOR and actor.org_id is not None)


def audit_scope(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The events ``actor`` may read (see the module docstring)."""
    if actor.is_system:
        return true()
    if actor.role != Role.AUDITOR or actor.org_id is None:
        return false()
    own_users = select(_user_key()).where(User.org_id == actor.org_id)
    return or_(
        AuditEvent.actor_org_id == actor.org_id,
        and_(AuditEvent.object_type == "user", AuditEvent.object_id.in_(own_users)),
    )


def _user_key() -> ColumnElement[str]:
    """A user's id as an event's ``object_id`` holds it (text)."""
    return cast(User.id, String(64))


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, JST).astimezone(UTC)


def _filtered(session: Session, actor: Actor, flt: AuditFilter) -> Select[AuditEvent]:
    q = select(AuditEvent).where(audit_scope(session, actor))
    if flt.person:
        ids = select(User.id).where(User.login == flt.person)
        q = q.where(
            or_(
                AuditEvent.actor_user_id.in_(ids),
                # a failed login names no acting user, only the user as its object
                and_(
                    AuditEvent.actor_user_id.is_(None),
                    AuditEvent.action.in_(FAILED_LOGIN_ACTIONS),
                    AuditEvent.object_type == "user",
                    AuditEvent.object_id.in_(select(_user_key()).where(User.login == flt.person)),
                ),
            )
        )
    if flt.organisation:
        q = q.where(
            AuditEvent.actor_org_id.in_(
                select(Organisation.id).where(Organisation.code == flt.organisation)
            )
        )
    if flt.business_id is not None:
        q = q.where(AuditEvent.business_id == flt.business_id)
    if flt.action:
        q = q.where(AuditEvent.action == flt.action)
    if flt.since:
        q = q.where(AuditEvent.at >= _day_start(flt.since))
    if flt.until:
        q = q.where(AuditEvent.at < _day_start(flt.until + timedelta(days=1)))
    return q


def _rows(session: Session, events: Iterable[AuditEvent]) -> list[AuditRow]:
    events = list(events)
    user_ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    org_ids = {e.actor_org_id for e in events if e.actor_org_id is not None}
    biz_ids = {e.business_id for e in events if e.business_id is not None}
    users = (
        {u.id: u for u in session.execute(select(User).where(User.id.in_(user_ids))).scalars()}
        if user_ids
        else {}
    )
    orgs = (
        dict(
            session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
            ).all()
        )
        if org_ids
        else {}
    )
    names = (
        dict(
            session.execute(
                select(Business.id, Business.name).where(Business.id.in_(biz_ids))
            ).all()
        )
        if biz_ids
        else {}
    )
    out = []
    for e in events:
        try:
            detail = json.loads(e.detail or "{}")
        except ValueError:
            detail = {"raw": e.detail}
        user = users.get(e.actor_user_id) if e.actor_user_id is not None else None
        typed = detail.get("login") if isinstance(detail, dict) else None
        if user is None and e.actor_org_id is None and not e.action.startswith("login"):
            typed = None  # the system actor (the operator's commands, jobs): no person
        out.append(
            AuditRow(
                id=e.id,
                at=e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC),
                actor_user_id=e.actor_user_id,
                login=user.login if user else typed,
                display_name=user.display_name if user else None,
                organisation=orgs.get(e.actor_org_id) if e.actor_org_id is not None else None,
                action=e.action,
                decision=e.decision,
                business_id=e.business_id,
                business_name=names.get(e.business_id) if e.business_id is not None else None,
                category=e.category,
                purpose=e.purpose,
                object_type=e.object_type,
                object_id=e.object_id,
                detail=detail if isinstance(detail, dict) else {"value": detail},
            )
        )
    return out


def _note(session: Session, actor: Actor, action: str, **detail: Any) -> None:
    append_audit(
        session,
        AuditRecord(
            action=action,
            decision="allow",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            object_type="audit_log",
            detail={"login": actor.login, **detail},
        ),
    )


def read_audit_log(
    session: Session,
    actor: Actor,
    flt: AuditFilter | None = None,
    *,
    offset: int = 0,
    page_size: int = 50,
) -> AuditPage:
    """A page of the events ``actor`` may read, newest first (audited: ``read_audit_log``)."""
    flt = flt or AuditFilter()
    if not _may_read(actor):
        raise _deny(session, actor, "read_audit_log")
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    q = _filtered(session, actor, flt)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    events = session.execute(
        q.order_by(AuditEvent.id.desc()).offset(max(0, offset)).limit(page_size)
    ).scalars()
    rows = _rows(session, events)
    _note(session, actor, "read_audit_log", filters=flt.as_detail(), offset=offset, shown=len(rows))
    return AuditPage(rows, int(total), offset, page_size)


def read_audit_event(session: Session, actor: Actor, event_id: int) -> AuditRow:
    """One event with its details; outside the actor's scope it does not exist (audited)."""
    if not _may_read(actor):
        raise _deny(session, actor, "read_audit_event", event_id)
    event = session.execute(
        select(AuditEvent).where(AuditEvent.id == event_id, audit_scope(session, actor))
    ).scalar_one_or_none()
    if event is None:
        raise _deny(session, actor, "read_audit_event", event_id)
    [row] = _rows(session, [event])
    _note(session, actor, "read_audit_event", event_id=event_id)
    return row


def export_audit_log(session: Session, actor: Actor, flt: AuditFilter | None = None) -> str:
    """The filtered events as CSV (UTF-8, oldest first, at most ``MAX_EXPORT``; audited)."""
    flt = flt or AuditFilter()
    if not _may_read(actor):
        raise _deny(session, actor, "export_audit_log")
    events = session.execute(
        _filtered(session, actor, flt).order_by(AuditEvent.id).limit(MAX_EXPORT)
    ).scalars()
    rows = _rows(session, events)
    _note(session, actor, "export_audit_log", filters=flt.as_detail(), exported=len(rows))
    return audit_csv(rows)


def _cell(value: object) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe (a typed login ID or a business name could be a formula)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(rows: Iterable[AuditRow]) -> str:
    """The rows as CSV (``CSV_COLUMNS``); text cells made safe to open in a spreadsheet."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow(
            [
                r.id,
                r.at.astimezone(UTC).isoformat(timespec="seconds"),
                _cell(r.login),
                _cell(r.organisation),
                _cell(r.action),
                r.decision,
                "" if r.business_id is None else r.business_id,
                _cell(r.business_name),
                r.category or "",
                r.purpose or "",
                _cell(r.object_type),
                _cell(r.object_id),
                json.dumps(r.detail, ensure_ascii=False, sort_keys=True),
            ]
        )
    return buf.getvalue()


def verify_audit_log(store: Store, actor: Actor, checkpoint_dir: Path) -> Verification:
    """Check the whole chain with the audit key and against the signed checkpoints, as
    ``kizashi audit verify`` does (the whole log: its integrity is everyone's). Audited
    (``verify_audit_log``, with the result)."""
    if not _may_read(actor):
        with store.session() as s:
            raise _deny(s, actor, "verify_audit_log")
    key = store.audit_key.get()
    # Checkpoints first: every one of them was written before the snapshot below.
    checkpoints, problems = read_checkpoints(checkpoint_dir, key)
    with store.read_session() as s:
        checked, chain_problems = verify_chain(s, key=key)
        problems = chain_problems + problems + verify_checkpoints(s, checkpoints)
    result = Verification(checked, len(checkpoints), problems)
    with store.session() as s:
        _note(
            s,
            actor,
            "verify_audit_log",
            checked=checked,
            checkpoints=len(checkpoints),
            problems=len(problems),
        )
    return result
