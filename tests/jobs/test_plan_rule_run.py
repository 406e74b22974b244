"""The default pack's plan rules through a real monitoring run over the store: a hand-made
plan and trial balances (tests/actions/test_plans.py), the flags open with exact evidence and
plain explanations in July, and close when August's trial balance brings the figures back.

By hand (plan: 1,000,000 sales and 100,000 operating profit a month from April 2025):
cumulative sales to July 3,500,000 against 4,000,000 (12.5 % below; at least 10 % below since
May: three months) and operating profit 200,000 against 400,000 (50 % below since May); in
August 4,900,000 against 5,000,000 (2 %) and 500,000 against 500,000: both clear.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kizashi.access.monitoring import read_flags
from kizashi.domain.vocabulary import Purpose
from kizashi.jobs.monitoring import run_monitoring_job
from kizashi.jobs.run_inputs import read_plan_targets
from kizashi.store.models import Flag
from tests.actions.test_plans import CUMULATIVE, _plan, _upload
from tests.world import make_world

RULES = ("plan.sales_shortfall", "plan.operating_profit_shortfall")


@pytest.fixture
def world(store):
    with store.session() as s:
        return make_world(s)


def _plan_flags(store, actor, bid):
    with store.session() as s:
        return {
            f.rule_id: f
            for f in read_flags(s, actor, bid, Purpose.MONITORING, include_closed=True)
            if f.rule_id in RULES
        }


def test_plan_rules_fire_and_clear_through_monitoring_runs(store, settings, world, tmp_path):
    owner, bid = world.actors["owner"], world.business.id
    _upload(store, owner, bid, CUMULATIVE[:4], tmp_path, "tb-04-07.csv")
    run_monitoring_job(store, settings)
    assert _plan_flags(store, owner, bid) == {}  # no plan, no flag

    _plan(store, owner, bid)
    targets = read_plan_targets(store)
    assert targets is not None and set(targets.column("business_id").to_pylist()) == {bid}
    run_monitoring_job(store, settings)
    flags = _plan_flags(store, owner, bid)
    sales, profit = flags["plan.sales_shortfall"], flags["plan.operating_profit_shortfall"]
    assert sales.is_open and sales.opened_month == date(2025, 7, 31)
    assert sales.evidence == {
        "plan": 4_000_000,
        "actual": 3_500_000,
        "gap": 500_000,
        "gap_pct": 12.5,
        "months": 3,
    }
    assert sales.explanation["ja"] == (
        "計画の初月から令和7年7月までの売上高の累計は 3,500,000 円で、計画の 4,000,000 円を "
        "500,000 円(12.5%)下回っています。累計での計画未達が 3 か月続いています。"
    )
    assert sales.explanation["en"] == (
        "Sales from the plan's first month to Jul 2025 total 3,500,000 yen, 500,000 yen (12.5%) "
        "below the plan's 4,000,000 yen; the cumulative figure has been below plan for 3 months "
        "running."
    )
    assert sales.title["ja"] == "売上高が計画を下回る状態が続いている"
    assert profit.is_open and profit.evidence["plan"] == 400_000
    assert profit.evidence["actual"] == 200_000 and profit.evidence["gap_pct"] == 50.0

    _upload(store, owner, bid, CUMULATIVE, tmp_path, "tb-04-08.csv")
    run_monitoring_job(store, settings)
    flags = _plan_flags(store, owner, bid)
    for rule in RULES:
        assert not flags[rule].is_open, rule
        assert flags[rule].closed_month == date(2025, 8, 31), rule
    with store.session() as s:
        rows = s.execute(select(Flag.rule_id).where(Flag.rule_id.in_(RULES))).scalars().all()
    assert sorted(rows) == sorted(RULES)  # one flag each, opened once, closed once
