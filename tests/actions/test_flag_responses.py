"""Each organisation's own response to a flag: two institutions and the owner answer the same
flag; each sees only its own state, reason, assignee and history (person and time); the run's
closing of the episode moves every response (解消, or 対応不要 kept with its reason)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kizashi.access.monitoring import read_flag_response, read_flags
from kizashi.actions.consent import do_grant_consent
from kizashi.actions.flags import do_assign_flag, do_change_flag_state
from kizashi.domain.vocabulary import Category, FlagState, Purpose
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.errors import NotFound
from kizashi.store.models import AuditEvent, Flag, FlagResponse, User
from tests.jobs.test_reimport import RULE, _history, _import
from tests.world import TODAY, make_world

M = Purpose.MONITORING


@pytest.fixture
def flagged(cli, store, settings, tmp_path):
    """A business with one open low-liquidity flag; the guarantor and bank A may see flags."""
    with store.session() as s:
        w = make_world(s)
        for grantee in (w.guarantor, w.bank_a):
            do_grant_consent(
                s,
                w.actors["owner"],
                business=w.business,
                grantee=grantee,
                categories=[Category.FLAGS],
                purpose=M,
                valid_from=date(2026, 4, 1),
            )
        ids = {login: a.user_id for login, a in w.actors.items()}
    _import(cli, tmp_path, w.business.id, _history(None), "tb.csv")
    run_monitoring_job(store, settings)
    with store.session() as s:
        flag = s.execute(
            select(Flag).where(Flag.business_id == w.business.id, Flag.rule_id == RULE)
        ).scalar_one()
    assert flag.is_open
    return w, flag.id, ids


def _mine(store, actor, flag_id):
    with store.session() as s:
        return read_flag_response(s, actor, flag_id, M, today=TODAY)


def test_each_organisation_and_the_owner_see_only_their_own_response(store, flagged):
    w, flag_id, ids = flagged
    cgc, bank_a, owner = w.actors["cgc_officer"], w.actors["a_officer"], w.actors["owner"]
    with store.session() as s:
        do_change_flag_state(
            s, cgc, flag_id=flag_id, state=FlagState.NOT_NEEDED, purpose=M,
            reason="保証協会の理由: 季節要因", today=TODAY,
        )  # fmt: skip
    with store.session() as s:
        do_change_flag_state(
            s, bank_a, flag_id=flag_id, state=FlagState.IN_PROGRESS, purpose=M,
            reason="A銀行: 社長と面談予定", today=TODAY,
        )  # fmt: skip
        do_assign_flag(
            s, bank_a, flag_id=flag_id, assignee_user_id=ids["a_officer"],
            due_on=date(2026, 12, 15), purpose=M, today=TODAY,
        )  # fmt: skip
    with store.session() as s:
        do_change_flag_state(
            s, owner, flag_id=flag_id, state=FlagState.ACKNOWLEDGED, purpose=M, today=TODAY
        )

    cgc_view, cgc_history = _mine(store, cgc, flag_id)
    a_view, a_history = _mine(store, bank_a, flag_id)
    o_view, o_history = _mine(store, owner, flag_id)
    assert (cgc_view.state, cgc_view.state_reason) == ("not_needed", "保証協会の理由: 季節要因")
    assert (a_view.state, a_view.state_reason) == ("in_progress", "A銀行: 社長と面談予定")
    assert (a_view.assignee_name, a_view.due_on) == ("a_officer", date(2026, 12, 15))
    assert (o_view.state, o_view.state_reason, o_view.assignee_name) == ("acknowledged", None, None)
    assert cgc_view.assignee_name is None and cgc_view.due_on is None
    # a third organisation with consent but no answer yet: 新規, no one's reason
    with store.session() as s:
        do_grant_consent(
            s, owner, business=s.get(type(w.business), w.business.id), grantee=w.bank_b,
            categories=[Category.FLAGS], purpose=M, valid_from=date(2026, 4, 1),
        )  # fmt: skip
    b_view, b_history = _mine(store, w.actors["b_officer"], flag_id)
    assert (b_view.state, b_view.state_reason, b_history) == ("new", None, [])

    # histories: each organisation's own changes only, with person, time and reason
    assert [(e.user_name, e.field, e.old, e.new, e.reason) for e in cgc_history] == [
        ("cgc_officer", "state", "new", "not_needed", "保証協会の理由: 季節要因")
    ]
    assert [(e.user_name, e.field, e.old, e.new) for e in a_history] == [
        ("a_officer", "state", "new", "in_progress"),
        ("a_officer", "assignee", None, "a_officer"),
        ("a_officer", "due_on", None, "2026-12-15"),
    ]
    assert [(e.user_name, e.field, e.new) for e in o_history] == [("社長", "state", "acknowledged")]
    assert all(e.at is not None for e in cgc_history + a_history + o_history)
    # the list read shows the same per-organisation answer
    with store.session() as s:
        [listed] = [
            v for v in read_flags(s, bank_a, w.business.id, M, today=TODAY) if v.id == flag_id
        ]
    assert (listed.state, listed.assignee_name) == ("in_progress", "a_officer")
    # the audit log has each write, by person
    with store.session() as s:
        writes = s.execute(
            select(AuditEvent.actor_user_id).where(
                AuditEvent.action.in_(("change_flag_state", "assign_flag")),
                AuditEvent.decision == "write",
            )
        ).scalars().all()  # fmt: skip
    assert sorted(writes) == sorted(
        [ids["cgc_officer"], ids["a_officer"], ids["a_officer"], ids["owner"]]
    )


def test_refusals_change_nothing(store, flagged):
    w, flag_id, ids = flagged
    owner, bank_a = w.actors["owner"], w.actors["a_officer"]
    with pytest.raises(PermissionError), store.session() as s:
        do_change_flag_state(
            s, owner, flag_id=flag_id, state=FlagState.IN_PROGRESS, purpose=M, today=TODAY
        )
    with pytest.raises(ValueError, match="理由"), store.session() as s:
        do_change_flag_state(
            s, bank_a, flag_id=flag_id, state=FlagState.NOT_NEEDED, purpose=M, today=TODAY
        )
    with pytest.raises(ValueError), store.session() as s:  # 解消 is the run's finding
        do_change_flag_state(
            s, bank_a, flag_id=flag_id, state=FlagState.RESOLVED, purpose=M, today=TODAY
        )
    with pytest.raises(ValueError, match="担当者"), store.session() as s:  # another org's user
        do_assign_flag(
            s, bank_a, flag_id=flag_id, assignee_user_id=ids["cgc_officer"], purpose=M, today=TODAY
        )
    with pytest.raises(NotFound), store.session() as s:  # no consent for flags
        do_change_flag_state(
            s,
            w.actors["b_officer"],
            flag_id=flag_id,
            state=FlagState.ACKNOWLEDGED,
            purpose=M,
            today=TODAY,
        )
    with pytest.raises(NotFound), store.session() as s:
        read_flag_response(s, w.actors["other_owner"], flag_id, M, today=TODAY)
    with store.session() as s:
        assert s.execute(select(FlagResponse)).scalars().all() == []


def test_the_run_closing_the_episode_moves_every_response(cli, store, settings, tmp_path, flagged):
    w, flag_id, _ = flagged
    cgc, bank_a = w.actors["cgc_officer"], w.actors["a_officer"]
    with store.session() as s:
        do_change_flag_state(
            s,
            cgc,
            flag_id=flag_id,
            state=FlagState.NOT_NEEDED,
            purpose=M,
            reason="季節要因",
            today=TODAY,
        )
        do_change_flag_state(
            s, bank_a, flag_id=flag_id, state=FlagState.IN_PROGRESS, purpose=M, today=TODAY
        )
    # a corrected history: the early episode no longer exists, the run closes it
    _import(cli, tmp_path, w.business.id, _history(date(2026, 5, 1)), "tb_corrected.csv")
    run_monitoring_job(store, settings)
    cgc_view, cgc_history = _mine(store, cgc, flag_id)
    a_view, a_history = _mine(store, bank_a, flag_id)
    assert not a_view.is_open
    assert (cgc_view.state, cgc_view.state_reason) == ("not_needed", "季節要因")
    assert a_view.state == "resolved"
    assert [(e.user_name, e.old, e.new) for e in a_history][-1] == (None, "in_progress", "resolved")
    assert len(cgc_history) == 1  # 対応不要 stays; nothing moved
    with store.session() as s:  # the owner never answered: 解消 follows the closed flag
        assert s.execute(
            select(User.login).where(User.id == w.actors["owner"].user_id)
        ).scalar_one()
    o_view, o_history = _mine(store, w.actors["owner"], flag_id)
    assert (o_view.state, o_history) == ("resolved", [])
    # the new episode starts 新規 for everyone and is new since the last run
    with store.session() as s:
        views = read_flags(s, bank_a, w.business.id, M, today=TODAY)
    [fresh] = [v for v in views if v.is_open and v.rule_id == RULE]
    assert fresh.id != flag_id and fresh.state == "new" and fresh.new_since_last_run


def test_the_portfolio_counts_what_is_open_for_my_organisation(store, flagged):
    from kizashi.access.reads import list_portfolio

    w, flag_id, ids = flagged
    cgc, bank_a = w.actors["cgc_officer"], w.actors["a_officer"]

    def row(actor, **filters):
        with store.session() as s:
            page = list_portfolio(s, actor, sort="priority", today=TODAY, **filters)
        return {r.id: r.monitoring for r in page.rows}.get(w.business.id, "absent")

    with store.session() as s:
        open_ids = [
            f.id
            for f in s.execute(
                select(Flag).where(Flag.business_id == w.business.id, Flag.is_open.is_(True))
            ).scalars()
        ]
    assert flag_id in open_ids
    before = row(bank_a)
    assert before.open_flags == len(open_ids) and before.priority > 0
    assert before.new_since_last_run == len(open_ids)  # all first found by the only run
    assert row(bank_a, new_since_last_run=True) != "absent"
    with store.session() as s:
        for fid in open_ids:
            do_change_flag_state(
                s, bank_a, flag_id=fid, state=FlagState.NOT_NEEDED, purpose=M,
                reason="A銀行として対応不要", today=TODAY,
            )  # fmt: skip
        do_assign_flag(
            s, cgc, flag_id=flag_id, assignee_user_id=ids["cgc_officer"], purpose=M, today=TODAY
        )
    mine = row(bank_a)
    assert (mine.open_flags, mine.handled, mine.priority) == (0, len(open_ids), 0)
    assert row(bank_a, new_since_last_run=True) == "absent"  # handled: out of my queue
    assert row(bank_a, flag_state=FlagState.NOT_NEEDED) != "absent"
    assert row(bank_a, flag_state=FlagState.NEW) == "absent"
    theirs = row(cgc)  # the guarantor's queue is its own
    assert (theirs.open_flags, theirs.handled) == (len(open_ids), 0)
    assert theirs.priority == before.priority
    assert row(cgc, flag_state=FlagState.NOT_NEEDED) == "absent"
    assert row(cgc, assignee_user_id=ids["cgc_officer"]) != "absent"
    assert row(bank_a, assignee_user_id=ids["cgc_officer"]) == "absent"
