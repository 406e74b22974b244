"""The append-only, hash-chained audit log.

Each record's hash is sha256(prev_hash + canonical JSON of the record). Changing, deleting or
reordering any row breaks the chain from that row on, which ``verify_chain`` reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    action: str
    decision: str  # allow | deny | write
    actor_user_id: int | None = None
    actor_org_id: int | None = None
    business_id: int | None = None
    category: str | None = None
    purpose: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _canonical(event_id: int, at: datetime, rec: AuditRecord | AuditEvent, detail: str) -> str:
    body = {
        "id": event_id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds")
        if at.tzinfo
        else at.isoformat(timespec="microseconds"),
        "actor_user_id": rec.actor_user_id,
        "actor_org_id": rec.actor_org_id,
        "action": rec.action,
        "decision": rec.decision,
        "business_id": rec.business_id,
        "category": rec.category,
        "purpose": rec.purpose,
        "object_type": rec.object_type,
        "object_id": rec.object_id,
        "detail": detail,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _digest(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _naive_utc(at: datetime) -> datetime:
    # Stored and hashed as naive UTC so SQLite and PostgreSQL round-trip the same value.
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def append_audit(session: Session, rec: AuditRecord, *, at: datetime | None = None) -> AuditEvent:
    """Append one record to the chain inside the caller's transaction."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    when = _naive_utc(at or datetime.now(UTC))
    event_id = head.last_id + 1
    detail = json.dumps(
        rec.detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    digest = _digest(head.last_hash, _canonical(event_id, when, rec, detail))
    event = AuditEvent(
        id=event_id,
        at=when,
        actor_user_id=rec.actor_user_id,
        actor_org_id=rec.actor_org_id,
        action=rec.action,
        decision=rec.decision,
        business_id=rec.business_id,
        category=rec.category,
        purpose=rec.purpose,
        object_type=rec.object_type,
        object_id=rec.object_id,
        detail=detail,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(event)
    head.last_id = event_id
    head.last_hash = digest
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(session: Session, batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return (events checked, problems). Streams in batches."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    for ev in _iter_events(session, batch):
        if ev.id != expected_id:
            problems.append(
                ChainProblem(ev.id, f"expected event {expected_id}: rows missing or reordered")
            )
        if ev.prev_hash != prev_hash:
            problems.append(
                ChainProblem(ev.id, "prev_hash does not match the previous event's hash")
            )
        at = _naive_utc(ev.at)
        recomputed = _digest(ev.prev_hash, _canonical(ev.id, at, ev, ev.detail))
        if recomputed != ev.hash:
            problems.append(ChainProblem(ev.id, "content does not match its hash (row changed)"))
        prev_hash = ev.hash
        expected_id = ev.id + 1
        checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != prev_hash):
        problems.append(
            ChainProblem(
                head.last_id, "chain head does not match the last event (rows deleted at the end?)"
            )
        )
    return checked, problems


def _iter_events(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()
