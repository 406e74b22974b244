"""Issue 13's demo, actor by actor, after the demo's monitoring run: the bank officer, the
保証協会, the 活性化協議会 and the accountant each find open cases of their own, a pending
referral, due reminders, and a business with a plan and an open plan-shortfall flag; the owner
finds the dialogue records shared with them, their own agreed actions among their reminders, the
referral waiting for their consent, and their plan with its shortfall flag."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kizashi.access import Actor
from kizashi.access.cases import due_reminders, list_cases, shared_dialogues
from kizashi.access.monitoring import read_flags
from kizashi.access.plans import list_plans
from kizashi.access.referrals import list_referrals
from kizashi.domain.consent import default_purpose
from kizashi.jobs.demo_world import BANKS, COUNCIL, GUARANTOR, SUPPORTERS
from kizashi.store.errors import NotFound
from kizashi.store.models import Business, User

from .. import demo_cache

PLAN_RULES = {"plan.sales_shortfall", "plan.operating_profit_shortfall"}


@pytest.fixture
def monitored_demo(store, settings):
    demo_cache.monitored_demo(store, settings, businesses=40, seed=7)


def _actor(s, login: str) -> Actor:  # type: ignore[no-untyped-def]
    return Actor.from_user(s.execute(select(User).where(User.login == login)).scalar_one())


def _plan_flagged(s, actor: Actor, business_ids, purpose) -> list[int]:  # type: ignore[no-untyped-def]
    """The businesses among ``business_ids`` where the actor sees a plan and an open plan flag."""
    out = []
    for bid in dict.fromkeys(business_ids):
        try:
            flags = read_flags(s, actor, bid, purpose)
            plans = list_plans(s, actor, bid, purpose)
        except NotFound:
            continue
        if plans and PLAN_RULES & {f.rule_id for f in flags if f.is_open}:
            out.append(bid)
    return out


@pytest.mark.parametrize(
    ("login", "box"),
    [
        (BANKS[0].users[0][0], "sent"),
        (GUARANTOR.users[0][0], "received"),
        (COUNCIL.users[0][0], "received"),
        (SUPPORTERS[0].users[0][0], "received"),
    ],
)
def test_each_institution_finds_cases_a_referral_reminders_and_plan_flags(
    store, monitored_demo, login, box
):
    with store.session() as s:
        actor = _actor(s, login)
        purpose = default_purpose(actor.org_kind)
        cases = [c for c in list_cases(s, actor, purpose, status="open") if c.own]
        assert cases, login
        waiting = [
            r
            for r in list_referrals(s, actor, box=box)
            if r.status in ("pending", "awaiting_owner")
        ]
        assert waiting, login
        reminders = due_reminders(s, actor)
        assert reminders and any(r.overdue for r in reminders), login
        ids = [c.business_id for c in cases] + [r.business_id for r in waiting]
        assert _plan_flagged(s, actor, ids, purpose), login


def test_the_owner_finds_shared_records_their_referral_and_plan_flags(store, monitored_demo):
    with store.session() as s:
        bank = _actor(s, BANKS[0].users[0][0])
        [waiting] = [r for r in list_referrals(s, bank, box="sent") if r.status == "awaiting_owner"]
        org_id = s.execute(
            select(Business.org_id).where(Business.id == waiting.business_id)
        ).scalar_one()
        owner_user = s.execute(
            select(User).where(User.org_id == org_id, User.role == "owner")
        ).scalar_one()
        owner = Actor.from_user(owner_user)
        purpose = default_purpose(owner.org_kind)
        records = shared_dialogues(s, owner, waiting.business_id, purpose)
        assert records
        soon = date.today() + timedelta(days=14)
        assert any(
            a.party == "owner" and a.due_on is not None and a.due_on <= soon
            for r in records
            for a in r.actions
        )
        assert [r for r in due_reminders(s, owner) if r.business_id == waiting.business_id]
        mine = list_referrals(s, owner)
        assert [r.status for r in mine if r.id == waiting.id] == ["awaiting_owner"]
        assert _plan_flagged(s, owner, [waiting.business_id], purpose) == [waiting.business_id]


def test_owner1_finds_the_late_correction_they_made(store, monitored_demo):
    """The demo's first owner re-submitted a past month with ¥2,400,000 more sales: their own
    business shows the late-correction flag with that change, the month's two versions stored."""
    from kizashi.jobs.demo_corrections import EXTRA_SALES
    from kizashi.store.models import Statement

    with store.session() as s:
        owner = _actor(s, "owner1")
        bid = (
            s.execute(
                select(Business.id).where(Business.org_id == owner.org_id).order_by(Business.id)
            )
            .scalars()
            .first()
        )
        flags = read_flags(s, owner, bid, default_purpose(owner.org_kind))
        late = [f for f in flags if f.rule_id == "authenticity.late_correction"]
        assert len(late) == 1 and late[0].evidence["change"] == EXTRA_SALES
        assert late[0].evidence["count"] == 1
        versions = s.execute(
            select(Statement.period_end, Statement.version).where(
                Statement.business_id == bid, Statement.version > 1
            )
        ).all()
        assert len(versions) == 1
