"""The audit log is a chain keyed with a secret outside the database: tampering is found."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from kizashi.store.audit import (
    AuditRecord,
    ResealRefused,
    append_audit,
    reseal_chain,
    verify_chain,
)
from kizashi.store.audit_key import AuditKey, AuditKeyError, load_audit_key
from kizashi.store.models import AuditEvent

from .audit_attacks import delete_tail, fill, flip_deny_to_allow, recompute


def _verify(store):
    with store.session() as s:
        return verify_chain(s)


def _codes(problems):
    return [(p.event_id, p.code) for p in problems]


def test_intact_chain_verifies(store):
    fill(store)
    assert _verify(store) == (5, [])


def test_changed_row_is_detected(store):
    fill(store)
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(detail='{"n":99}'))
    checked, problems = _verify(store)
    assert checked == 5
    assert _codes(problems) == [(3, "changed")]
    assert "row changed" in problems[0].problem


def test_changed_actor_is_detected(store):
    fill(store)
    with store.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor_user_id=42))
    assert _codes(_verify(store)[1]) == [(2, "changed")]


def test_deleted_row_is_detected(store):
    fill(store)
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    _, problems = _verify(store)
    assert problems and problems[0].event_id == 3 and problems[0].code == "missing"


def test_deleted_last_row_is_detected(store):
    fill(store)
    with store.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == 5))
    _, problems = _verify(store)
    assert problems and problems[-1].code == "head"


def test_chain_continues_across_sessions(store):
    fill(store, 2)
    fill(store, 2)
    with store.session() as s:
        ids = s.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
        assert ids == [1, 2, 3, 4]
        assert verify_chain(s) == (4, [])


def test_plain_sha256_recomputation_is_detected(store):
    """Flip a deny to allow and recompute the chain without the key: every row is unkeyed."""
    fill(store, 5, deny_at=3)
    flip_deny_to_allow(store)
    recompute(store, key=None)
    _, problems = _verify(store)
    assert _codes(problems) == [(1, "legacy")] and problems[0].count == 5


def test_recomputation_with_another_key_is_detected(store):
    fill(store, 5, deny_at=3)
    flip_deny_to_allow(store)
    recompute(store, key=AuditKey(b"an-attacker-s-own-key-of-32-chars!!"))
    _, problems = _verify(store)
    assert _codes(problems) == [(i, "changed") for i in range(1, 6)]


def test_wrong_key_finds_nothing_intact(store):
    fill(store, 3)
    with store.session() as s:
        _, problems = verify_chain(s, key=AuditKey(b"x" * 40))
    assert _codes(problems) == [(1, "changed"), (2, "changed"), (3, "changed")]


def test_legacy_rows_are_reported_and_resealed(store):
    """A database from before the key: plain SHA-256 rows, then keyed rows appended on top."""
    fill(store, 3)
    recompute(store, key=None)  # as the old code wrote them
    fill(store, 2)
    _, problems = _verify(store)
    assert _codes(problems) == [(1, "legacy")] and problems[0].count == 3
    with store.session() as s:
        assert reseal_chain(s) == 3
    checked, problems = _verify(store)
    assert (checked, problems) == (6, [])
    with store.session() as s:
        last = s.get(AuditEvent, 6)
        assert last is not None and last.action == "audit.resealed"


def test_unkeyed_rows_after_keyed_ones_are_never_resealed(store):
    fill(store, 4)
    delete_tail(store, 2)
    fill(store, 2)  # keyed rows 3 and 4 …
    with store.session() as s:  # … replaced by forged unkeyed ones
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(actor_user_id=7))
    recompute_tail_unkeyed(store, from_id=3)
    _, problems = _verify(store)
    assert _codes(problems) == [(3, "legacy")]
    with pytest.raises(ResealRefused), store.session() as s:
        reseal_chain(s)


def recompute_tail_unkeyed(store, from_id: int) -> None:
    from kizashi.store.audit import _canonical, _legacy_digest, _naive_utc
    from kizashi.store.models import AuditHead

    with store.session() as s:
        rows = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        prev = next(r.hash for r in rows if r.id == from_id - 1)
        for ev in rows:
            if ev.id < from_id:
                continue
            ev.prev_hash = prev
            ev.hash = _legacy_digest(prev, _canonical(ev.id, _naive_utc(ev.at), ev, ev.detail))
            prev = ev.hash
            s.flush()
        s.execute(update(AuditHead).values(last_hash=prev))


def test_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "d" / "audit_key"
    with pytest.raises(AuditKeyError):
        load_audit_key(path, create=False)
    key = load_audit_key(path, create=True)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_audit_key(path, create=False) == key
    with pytest.raises(AuditKeyError):
        AuditKey(b"short")


def test_a_read_only_unit_of_work_refuses_audit_records(store):
    """Its rollback would lose them: a read would go unaudited."""
    with pytest.raises(RuntimeError, match="read-only"), store.read_session() as s:
        append_audit(s, AuditRecord(action="read", decision="allow"))
    assert _verify(store) == (0, [])
