"""What someone with write access to the database can do to the audit log (for the tests)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from kizashi.store.audit import (
    GENESIS,
    AuditRecord,
    _canonical,
    _keyed_digest,
    _legacy_digest,
    _naive_utc,
    append_audit,
)
from kizashi.store.audit_key import AuditKey
from kizashi.store.models import AuditEvent, AuditHead


def fill(store, n=5, *, deny_at: int | None = None) -> None:
    with store.session() as s:
        for i in range(1, n + 1):
            append_audit(
                s,
                AuditRecord(
                    action="read",
                    decision="deny" if i == deny_at else "allow",
                    actor_user_id=i,
                    business_id=100 + i,
                    detail={"n": i, "名前": "テスト"},
                ),
            )


def recompute(store, key: AuditKey | None) -> None:
    """Re-chain every row and the head: with the key (an insider who has it) or plain SHA-256."""
    with store.session() as s:
        prev = GENESIS
        for ev in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
            canonical = _canonical(ev.id, _naive_utc(ev.at), ev, ev.detail)
            ev.prev_hash = prev
            ev.hash = (
                _keyed_digest(key, prev, canonical) if key else _legacy_digest(prev, canonical)
            )
            prev = ev.hash
            s.flush()
        last = s.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalar() or 0
        s.execute(update(AuditHead).values(last_id=last, last_hash=prev))


def flip_deny_to_allow(store) -> None:
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.decision == "deny").values(decision="allow"))


def delete_tail(store, keep: int) -> None:
    """Delete the events after ``keep`` and set the head back, as a careful intruder would."""
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id > keep))
        h = s.execute(select(AuditEvent.hash).where(AuditEvent.id == keep)).scalar()
        s.execute(update(AuditHead).values(last_id=keep, last_hash=h or GENESIS))


def delete_everything(store) -> None:
    with store.session() as s:
        s.execute(delete(AuditEvent))
        s.execute(delete(AuditHead))
