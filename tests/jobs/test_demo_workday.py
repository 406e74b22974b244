"""The demo's working day beyond consent: loans, a guarantee, a schedule, a 完済 and credit
events entered by a bank and the 保証協会 (through the loan actions, audited), and — after the
first monitoring run — flags already answered by the banks, the 保証協会 and the owners, each
organisation with its own state, reasons, assignee, due date and history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.flag_responses import response_history
from kizashi.access.monitoring import read_flags
from kizashi.access.reads import read_loans
from kizashi.domain.consent import default_purpose
from kizashi.domain.vocabulary import CreditEventKind, FlagState, Purpose
from kizashi.jobs.demo_flags import add_flag_responses
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.store.models import AuditEvent, Business, CreditEvent, Flag, Loan, User

from ..demo_cache import built_demo

TODAY = date.today()


def _actor(s, login: str) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


@pytest.fixture
def demo(store, settings):  # type: ignore[no-untyped-def]
    built_demo(store, settings, businesses=40, seed=7)


@pytest.fixture
def worked(store, settings, demo):  # type: ignore[no-untyped-def]
    run_monitoring_job(store, settings)
    return add_flag_responses(store, today=TODAY)


def test_the_bank_and_the_guarantor_entered_loans_and_credit_events(store, demo):  # type: ignore[no-untyped-def]
    with store.session() as s:
        bank, cgc = _actor(s, "bank1"), _actor(s, "hosho")
        new = s.execute(select(Loan).where(Loan.loan_number == "2026010101")).scalar_one()
        book = read_loans(s, bank, new.business_id, purpose=Purpose.MONITORING)
        mine = {x.loan_number: x for x in book.loans}
        entered = mine["2026010101"]
        assert entered.guarantee_ratio_pct == 80 and entered.guarantee_number  # 責任共有
        assert entered.guarantor_name == "デモ県信用保証協会" and entered.grace_end_date
        assert [x for x in book.loans if x.paid_off and x.balance == 0]  # the refinanced loan
        # the 保証協会's own entry (another bank's loan) and its 条件変更
        theirs = s.execute(select(Loan).where(Loan.loan_number == "2026020701")).scalar_one()
        assert theirs.guarantee_ratio_pct == 100 and theirs.lender_org_id != bank.org_id
        assert "2026020701" in {x.loan_number for x in read_loans(s, cgc, theirs.business_id).loans}
        recorded = {
            (e.recorded_by_org_id, e.kind, e.days_past_due, e.business_id)
            for e in s.execute(select(CreditEvent)).scalars()
            if e.recorded_by_org_id is not None
        }
        assert {(o, k, d) for o, k, d, _ in recorded} == {
            (bank.org_id, CreditEventKind.DELINQUENCY, 45),
            (cgc.org_id, CreditEventKind.RESTRUCTURING, None),
        }
        for org, kind, _, bid in recorded:  # each sees its entry under 借入・保証
            who = bank if org == bank.org_id else cgc
            assert kind in {e.kind for x in read_loans(s, who, bid).loans for e in x.events}
        # each write was audited under the person who made it
        done = {
            (a, u)
            for a, u in s.execute(select(AuditEvent.action, AuditEvent.actor_user_id)).all()
            if a in {"add_loan", "close_loan", "record_credit_event", "import_repayment_schedule"}
        }
    assert {a for a, u in done if u == bank.user_id} == {
        "add_loan",
        "close_loan",
        "record_credit_event",
        "import_repayment_schedule",
    }
    assert {a for a, u in done if u == cgc.user_id} == {"add_loan", "record_credit_event"}


def test_the_demo_credit_events_feed_the_rules(store, worked):  # type: ignore[no-untyped-def]
    with store.session() as s:
        entered = {
            (e.business_id, e.kind)
            for e in s.execute(select(CreditEvent)).scalars()
            if e.recorded_by_org_id is not None
        }
        rule = {
            CreditEventKind.DELINQUENCY: "credit.delinquency",
            CreditEventKind.RESTRUCTURING: "credit.restructuring",
        }
        for bid, kind in entered:  # the run opened the rule's flag on that business
            assert s.execute(
                select(Flag.id).where(
                    Flag.business_id == bid, Flag.rule_id == rule[kind], Flag.is_open.is_(True)
                )
            ).first(), (bid, kind)


def test_each_organisation_and_the_owner_answered_the_same_flag_its_own_way(store, worked):  # type: ignore[no-untyped-def]
    assert worked.banks and worked.guarantor and worked.owners
    with store.session() as s:
        bank, cgc = _actor(s, "bank1"), _actor(s, "hosho")
        shared = next(f for o, f in worked.guarantor if f in {g for _, g in worked.banks})
        flag = s.get(Flag, shared)
        assert flag is not None
        owner_user = s.execute(
            select(User)
            .join(Business, Business.org_id == User.org_id)
            .where(Business.id == flag.business_id, User.role == "owner")
        ).scalar_one()
        owner = Actor.from_user(owner_user)
        seen = {}
        for who in (bank, cgc, owner):
            purpose = default_purpose(who.org_kind)
            [view] = [v for v in read_flags(s, who, flag.business_id, purpose) if v.id == shared]
            seen[who.login] = view
        b, c, o = seen["bank1"], seen["hosho"], seen[owner.login]
        assert b.state == FlagState.IN_PROGRESS and b.assignee_user_id == bank.user_id
        assert b.due_on == TODAY + timedelta(days=14)
        assert c.state == FlagState.NOT_NEEDED and "当協会" in (c.state_reason or "")
        assert o.state == FlagState.ACKNOWLEDGED
        # nobody reads another's reason
        assert "当協会" not in (b.state_reason or "") and "当協会" not in (o.state_reason or "")
        history = response_history(s, bank, shared)
        assert [(h.field, h.new) for h in history if h.field == "state"] == [
            ("state", "acknowledged"),
            ("state", "in_progress"),
        ]
        assert {h.user_name for h in history} == {"第一 太郎 (融資部)"}
        assert all(h.at for h in history)
        assert [h.new for h in response_history(s, cgc, shared) if h.field == "state"] == [
            "not_needed"
        ]
        # work is left: every bank still has flags it has not answered (新規)
        for login in ("bank1", "bank2"):
            actor = _actor(s, login)
            answered = {f for o, f in worked.banks if o == actor.org_id}
            views = [
                v
                for bid in {f.business_id for f in s.execute(select(Flag)).scalars()}
                for v in _visible(s, actor, bid)
            ]
            assert answered <= {v.id for v in views}
            assert [v for v in views if v.state == FlagState.NEW], login


def _visible(s, actor: Actor, business_id: int) -> list:  # type: ignore[no-untyped-def]
    from kizashi.store.errors import NotFound

    try:
        return read_flags(s, actor, business_id, default_purpose(actor.org_kind))
    except NotFound:
        return []
