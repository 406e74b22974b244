"""The demo's plans: every owner (owner1, owner2, …) has entered a 収益力改善アクションプラン over
the last six months of its figures that the business has fallen short of — sales planned a
quarter above what it sold, operating profit a tenth of sales above what it earned — so that
the monitoring run raises the default pack's plan.sales_shortfall and
plan.operating_profit_shortfall flags on these businesses, which the owner and the
institutions that follow them find beside their cases.

Run once by ``build_demo``, through ``actions.plans`` as the owner (each write audited); the
actual figures are the owner's own read of the trial balances (``access.reads``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kizashi.access import Actor, accessible_business_ids
from kizashi.access.reads import read_monthly_series
from kizashi.actions.plans import do_add_plan, do_add_plan_version
from kizashi.domain.periods import add_months
from kizashi.domain.plans import Granularity, PlanKind
from kizashi.domain.vocabulary import Category, Purpose, Role
from kizashi.ingest.plans import ActionRow
from kizashi.store.db import Store
from kizashi.store.models import User

PLAN_MONTHS = 6


def _round(yen: float) -> int:
    return round(yen / 1000) * 1000


def add_plans(store: Store) -> int:
    """Enter the demo's plans (see the module's doc); returns how many were entered. A business
    without six consecutive months of figures ending at its latest month gets none."""
    owners: list[tuple[Actor, int]] = []
    with store.session() as s:
        for u in s.execute(select(User).where(User.role == Role.OWNER).order_by(User.id)).scalars():
            actor = Actor.from_user(u)
            # the owner's own business: the one business whose figures the owner may read
            own = accessible_business_ids(actor, Category.FINANCIALS, Purpose.MONITORING)
            owners += [(actor, int(b)) for b in s.execute(own).scalars()]
    made = 0
    for owner, bid in owners:
        with store.session() as s:
            series = read_monthly_series(
                s, owner, bid, months=PLAN_MONTHS, purpose=Purpose.MONITORING
            )
            last = series[-1].month if series else None
            months = [p for p in series if p.values.get("sales")]
            if (
                last is None
                or len(months) < PLAN_MONTHS
                or months[0].month != add_months(last, 1 - PLAN_MONTHS)
                or any(p.values.get("operating_profit") is None for p in months)
            ):
                continue
            targets: dict[date, dict[str, int | None]] = {}
            for p in months:
                sales = int(p.values["sales"] or 0)
                profit = int(p.values["operating_profit"] or 0)
                targets[p.month] = {
                    "sales": _round(sales * 1.25),
                    "operating_profit": _round(max(profit, 0) + sales * 0.1),
                }
            plan = do_add_plan(
                s, owner, bid, kind=PlanKind.EARNINGS_ACTION, title="収益力改善アクションプラン"
            )
            do_add_plan_version(
                s,
                owner,
                plan.id,
                granularity=Granularity.MONTHLY,
                targets=targets,
                actions=[
                    ActionRow(add_months(months[0].month, 1), "新規取引先3社に提案", "社長"),
                    ActionRow(add_months(months[0].month, 3), "仕入先と価格を交渉", "社長"),
                ],
                note="デモ: 計画を下回る実績",
            )
        made += 1
    return made
