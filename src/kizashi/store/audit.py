"""The append-only audit log, chained with a key kept outside the database.

Each record's hash is HMAC-SHA256(chain key, prev_hash + canonical JSON of the record), the key
coming from the store's :class:`~kizashi.store.audit_key.AuditKeySource` (never from the
database). Changing, deleting or reordering a row breaks the chain from that row on, and without
the key nobody can compute a chain that verifies. Signed checkpoints outside the database
(``audit_checkpoints``) catch what the key alone cannot: the tail cut off, every row deleted, or
a rewrite by someone who holds the key.

Rows written before the key existed (kizashi before 0.x: plain SHA-256) are *legacy* rows;
``verify_chain`` reports them as problems until ``reseal_chain`` re-seals them with the key.

Appends are serialised: on PostgreSQL by locking the one ``audit_head`` row (``FOR UPDATE``); on
SQLite every unit of work already holds the database's write lock from its start (``BEGIN
IMMEDIATE``, see ``db.py``), so the head row is only read there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .audit_key import AuditKey, AuditKeyError, AuditKeySource
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
SESSION_KEY = "kizashi_audit_key"  # Session.info entry holding the store's AuditKeySource
READ_ONLY_SESSION = "kizashi_read_only"  # Session.info flag of Store.read_session()


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


class AuditActor(Protocol):
    """Who acts, as the audit log names them (``access.Actor`` is one)."""

    @property
    def user_id(self) -> int | None: ...
    @property
    def org_id(self) -> int | None: ...
    @property
    def login(self) -> str: ...


def audit_write(
    session: Session,
    actor: AuditActor,
    action: str,
    *,
    object_type: str,
    object_id: object,
    business_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append the audit record of a write (decision ``write``) by ``actor`` in this unit of work.

    Every action and job that changes the store calls this; ``detail`` holds what changed
    (``login`` is added).
    """
    return append_audit(
        session,
        AuditRecord(
            action=action,
            decision="write",
            actor_user_id=actor.user_id,
            actor_org_id=actor.org_id,
            business_id=business_id,
            object_type=object_type,
            object_id=str(object_id),
            detail={"login": actor.login, **detail},
        ),
    )


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


def _keyed_digest(key: AuditKey, prev_hash: str, canonical: str) -> str:
    return hmac.new(key.chain, (prev_hash + canonical).encode("utf-8"), hashlib.sha256).hexdigest()


def _legacy_digest(prev_hash: str, canonical: str) -> str:
    """The unkeyed scheme of rows written before the audit key existed."""
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _naive_utc(at: datetime) -> datetime:
    # Stored and hashed as naive UTC so SQLite and PostgreSQL round-trip the same value.
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def session_audit_key(session: Session) -> AuditKey:
    """The audit key of the store this session belongs to."""
    source = session.info.get(SESSION_KEY)
    if not isinstance(source, AuditKeySource):
        raise AuditKeyError("this session has no audit key (open it with Store.session())")
    return source.get()


def _locked_head(session: Session) -> AuditHead:
    """The head row, locked until the end of the transaction (created if missing)."""
    query = (
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = session.execute(query).scalar_one_or_none()
    if head is None:
        values = {"id": 1, "last_id": 0, "last_hash": GENESIS}
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(AuditHead).values(**values).on_conflict_do_nothing())
        head = session.execute(query).scalar_one()
    return head


def append_audit(session: Session, rec: AuditRecord, *, at: datetime | None = None) -> AuditEvent:
    """Append one record to the chain inside the caller's transaction.

    The head row stays locked until the caller's transaction ends: append late in a unit of
    work and keep the rest of it short.
    """
    if session.info.get(READ_ONLY_SESSION):
        # It would be rolled back with the read-only unit of work: an unaudited read.
        raise RuntimeError("audit record appended in a read-only unit of work (read_session)")
    key = session_audit_key(session)
    head = _locked_head(session)
    when = _naive_utc(at or datetime.now(UTC))
    event_id = head.last_id + 1
    detail = json.dumps(
        rec.detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    digest = _keyed_digest(key, head.last_hash, _canonical(event_id, when, rec, detail))
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
    """One finding. ``code`` is stable (the CLI words it); ``count`` > 1 for a run of rows."""

    event_id: int
    problem: str
    code: str = "changed"
    count: int = 1


def verify_chain(
    session: Session, batch: int = 5000, *, key: AuditKey | None = None
) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return (events checked, problems). Streams in batches.

    Codes: ``missing`` (ids not 1..N), ``prev_hash`` (link broken), ``changed`` (content does
    not match its keyed hash), ``legacy`` (a run of rows sealed without the key), ``head``
    (the head row disagrees with the last event).
    """
    key = key or session_audit_key(session)
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    legacy_run: list[int] = []

    def close_legacy_run() -> None:
        if legacy_run:
            problems.append(
                ChainProblem(
                    legacy_run[0],
                    f"{len(legacy_run)} event(s) from {legacy_run[0]} sealed without the key",
                    "legacy",
                    len(legacy_run),
                )
            )
            legacy_run.clear()

    for ev in _iter_events(session, batch):
        if ev.id != expected_id:
            problems.append(
                ChainProblem(
                    ev.id, f"expected event {expected_id}: rows missing or reordered", "missing"
                )
            )
        if ev.prev_hash != prev_hash:
            problems.append(
                ChainProblem(
                    ev.id, "prev_hash does not match the previous event's hash", "prev_hash"
                )
            )
        canonical = _canonical(ev.id, _naive_utc(ev.at), ev, ev.detail)
        if hmac.compare_digest(_keyed_digest(key, ev.prev_hash, canonical), ev.hash):
            close_legacy_run()
        elif _legacy_digest(ev.prev_hash, canonical) == ev.hash:
            legacy_run.append(ev.id)
        else:
            close_legacy_run()
            problems.append(
                ChainProblem(ev.id, "content does not match its hash (row changed)", "changed")
            )
        prev_hash = ev.hash
        expected_id = ev.id + 1
        checked += 1
    close_legacy_run()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != prev_hash):
        problems.append(
            ChainProblem(
                head.last_id,
                "chain head does not match the last event (rows deleted at the end?)",
                "head",
            )
        )
    return checked, problems


class ResealRefused(RuntimeError):
    """The chain cannot be re-sealed: it is broken, or has unkeyed rows after keyed ones."""


def reseal_chain(session: Session, *, batch: int = 5000, old_key: AuditKey | None = None) -> int:
    """Re-seal the whole chain with the store's key; return how many rows were re-sealed.

    Without ``old_key``: seals legacy (unkeyed) rows, returning their number (0: nothing to do).
    With ``old_key`` (key rotation): every row must verify under the old key (or be legacy),
    and all rows are re-sealed with the new one.
    Refuses unless every row verifies in one of the two schemes and the unkeyed rows all come
    before the first keyed row (so a forged unkeyed tail is never laundered). Rows after the
    legacy ones are re-chained too, since their ``prev_hash`` changes. Audited as
    ``audit.resealed`` or ``audit.key_rotated`` with the old head, in the caller's transaction.
    """
    key = session_audit_key(session)
    head = _locked_head(session)
    old_head = (head.last_id, head.last_hash)
    checked, problems = verify_chain(session, batch, key=old_key or key)
    legacy = [p for p in problems if p.code == "legacy"]
    others = [p for p in problems if p.code != "legacy"]
    if others:
        raise ResealRefused(f"{len(others)} problem(s) other than unkeyed rows")
    if len(legacy) > 1 or (legacy and legacy[0].event_id != 1):
        raise ResealRefused("unkeyed rows after keyed rows")
    if old_key is None and not legacy:
        return 0
    prev_hash = GENESIS
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
            break
        for ev in rows:
            canonical = _canonical(ev.id, _naive_utc(ev.at), ev, ev.detail)
            ev.prev_hash = prev_hash
            ev.hash = _keyed_digest(key, prev_hash, canonical)
            prev_hash = ev.hash
        last = rows[-1].id
        session.flush()
        session.expunge_all()  # bounded memory over a long chain
    head = _locked_head(session)
    head.last_hash = prev_hash
    session.flush()
    legacy_events = legacy[0].count if legacy else 0
    append_audit(
        session,
        AuditRecord(
            action="audit.key_rotated" if old_key else "audit.resealed",
            decision="write",
            object_type="audit_log",
            detail={
                "legacy_events": legacy_events,
                "old_head_id": old_head[0],
                "old_head_hash": old_head[1],
            },
        ),
    )
    return checked if old_key else legacy_events


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
