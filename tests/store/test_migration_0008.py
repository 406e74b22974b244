"""Migration 0008: a person's state on a flag becomes the response of the organisation that set
it (the audit log's latest change_flag_state write, with person, time and reason), else of the
organisation whose own pack raised it, else nobody's; the flag keeps only the episode's state."""

from __future__ import annotations

import json

import sqlalchemy as sa

from kizashi.store.db import make_engine, upgrade


def _insert(conn, table: str, **values) -> int:  # type: ignore[no-untyped-def]
    cols = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    return conn.execute(
        sa.text(f"INSERT INTO {table} ({cols}) VALUES ({params}) RETURNING id"), values
    ).scalar_one()


def test_person_states_move_to_the_organisation_that_set_them(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")
    now = "2026-11-01 09:00:00"
    with engine.begin() as conn:
        bank = _insert(
            conn, "organisation", kind="bank", name="A銀行", code="bank-a", created_at=now
        )
        cgc = _insert(
            conn, "organisation", kind="guarantor", name="保証協会", code="cgc", created_at=now
        )
        biz_org = _insert(
            conn, "organisation", kind="business", name="テスト", code="biz", created_at=now
        )
        user = _insert(conn, "user_account", org_id=cgc, login="cgc1", display_name="保証 太郎",
                       role="officer", password_hash="x", locale="ja", active=True, created_at=now)  # fmt: skip
        bid = _insert(conn, "business", org_id=biz_org, name="テスト", industry_code="24",
                      industry_major="E", prefecture_code="01", fiscal_year_end_month=3,
                      created_at=now)  # fmt: skip

        def flag(rule: str, org: int | None, state: str, reason: str | None, is_open: bool) -> int:
            return _insert(conn, "flag", business_id=bid, org_id=org, pack_ref="p@1", rule_id=rule,
                           severity="high", category="x", opened_month="2026-01-01",
                           closed_month=None if is_open else "2026-06-01",
                           last_seen_month="2026-09-01", is_open=is_open, state=state,
                           state_reason=reason, evidence_opened="{}", evidence_latest="{}",
                           updated_at=now)  # fmt: skip

        audited = flag("a", None, "not_needed", "季節要因", True)
        own_pack = flag("b", bank, "in_progress", None, True)
        orphan = flag("c", None, "acknowledged", None, False)
        untouched = flag("d", None, "new", None, True)
        _insert(conn, "audit_event", at="2026-11-02 10:00:00", actor_user_id=user, actor_org_id=cgc,
                action="change_flag_state", decision="write", business_id=bid, object_type="flag",
                object_id=str(audited), detail=json.dumps({"reason": "季節要因"}), prev_hash="0",
                hash="h1")  # fmt: skip
    upgrade(engine, "0008")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT flag_id, org_id, state, reason, updated_by_user_id FROM flag_response ORDER BY flag_id")
        ).all()  # fmt: skip
        events = conn.execute(
            sa.text("SELECT flag_id, org_id, user_id, field, old, new, reason FROM flag_response_event ORDER BY flag_id")
        ).all()  # fmt: skip
        states = dict(conn.execute(sa.text("SELECT id, state FROM flag")).all())
        reasons = conn.execute(
            sa.text("SELECT count(*) FROM flag WHERE state_reason IS NOT NULL")
        ).scalar_one()
    assert rows == [
        (audited, cgc, "not_needed", "季節要因", user),
        (own_pack, bank, "in_progress", None, None),
    ]
    assert events == [
        (audited, cgc, user, "state", "new", "not_needed", "季節要因"),
        (own_pack, bank, None, "state", "new", "in_progress", None),
    ]
    assert states == {audited: "new", own_pack: "new", orphan: "resolved", untouched: "new"}
    assert reasons == 0
    engine.dispose()
