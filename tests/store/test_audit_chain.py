"""The audit log is a hash chain: any tampering is found by verify_chain."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from kizashi.store.audit import AuditRecord, append_audit, verify_chain
from kizashi.store.models import AuditEvent


def _fill(store, n=5):
    with store.session() as s:
        for i in range(n):
            append_audit(
                s,
                AuditRecord(
                    action="read",
                    decision="allow",
                    actor_user_id=i,
                    business_id=100 + i,
                    detail={"n": i, "名前": "テスト"},
                ),
            )


def test_intact_chain_verifies(store):
    _fill(store)
    with store.session() as s:
        checked, problems = verify_chain(s)
    assert (checked, problems) == (5, [])


def test_changed_row_is_detected(store):
    _fill(store)
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(detail='{"n":99}'))
    with store.session() as s:
        checked, problems = verify_chain(s)
    assert checked == 5
    assert [p.event_id for p in problems] == [3]
    assert "row changed" in problems[0].problem


def test_changed_actor_is_detected(store):
    _fill(store)
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor_user_id=42))
    with store.session() as s:
        _, problems = verify_chain(s)
    assert [p.event_id for p in problems] == [2]


def test_deleted_row_is_detected(store):
    _fill(store)
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    with store.session() as s:
        _, problems = verify_chain(s)
    assert problems and problems[0].event_id == 3


def test_deleted_last_row_is_detected(store):
    _fill(store)
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 5))
    with store.session() as s:
        _, problems = verify_chain(s)
    assert problems and "chain head" in problems[-1].problem


def test_chain_continues_across_sessions(store):
    _fill(store, 2)
    _fill(store, 2)
    with store.session() as s:
        ids = s.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
        assert ids == [1, 2, 3, 4]
        assert verify_chain(s) == (4, [])
