"""The plan rules of the default pack (plan.sales_shortfall, plan.operating_profit_shortfall)
over a hand-made panel and plan: they fire and clear as the cumulative figures move, say nothing
without a plan, keep their state over a month without figures, agree with the plan page's check
(``domain.plans.shortfall``) month by month, and give the same answer on both executors.

Business 1 (from 2023-04, purchases 600,000 and salaries 300,000 a month, so operating profit =
sales − 900,000); its plan: 8 months from 2023-04 of sales 1,000,000 and operating profit
100,000 a month.

=====  =========  ==========  ===========  ==========  =====================  ===============
month  sales      cum. sales  cum. plan    below plan  cum. op. profit        op. below plan
=====  =========  ==========  ===========  ==========  =====================  ===============
04     1,000,000  1,000,000   1,000,000    0 %         100,000 / 100,000      0 %
05       800,000  1,800,000   2,000,000    10 % holds  0 / 200,000            100 % holds
06       850,000  2,650,000   3,000,000    11.7 %      −50,000 / 300,000      holds
07       850,000  3,500,000   4,000,000    12.5 % → 3  −100,000 / 400,000     holds → 3
08     1,400,000  4,900,000   5,000,000    2 % clears  400,000 / 500,000      20 % holds
09     1,000,000  5,900,000   6,000,000    1.7 %       500,000 / 600,000      16.7 % clears
=====  =========  ==========  ===========  ==========  =====================  ===============

Business 2 has the same figures and no plan. Business 3 has business 1's plan and figures but
no trial balance for 2023-08: the flags stay as they were in July.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from kizashi.domain.plans import compare, monthly_actuals, shortfall
from kizashi.engine.exec.run import run_monitoring
from kizashi.jobs.run_inputs import plan_targets_table

from .panels import month, row, table

SALES = [1_000_000, 800_000, 850_000, 850_000, 1_400_000, 1_000_000]
RULES = ("plan.sales_shortfall", "plan.operating_profit_shortfall")
PLAN = {month(i): {"sales": 1_000_000, "operating_profit": 100_000} for i in range(8)}
REGISTER = pa.table(
    {
        "business_id": pa.array([1, 2, 3], pa.int64()),
        "industry_code": ["09", "09", "09"],
        "employees": pa.array([5, 5, 5], pa.int32()),
    }
)


def _rows(business_id: int, skip: int | None = None) -> list[dict]:
    return [
        row(
            business_id,
            i,
            sales=s,
            purchases=600_000,
            salaries=300_000,
            cash_and_deposits=5_000_000,
        )
        for i, s in enumerate(SALES)
        if i != skip
    ]


PANEL = table(_rows(1) + _rows(2) + _rows(3, skip=4))
TARGETS = plan_targets_table([(1, PLAN), (3, PLAN)])


def _run(as_of: int, windows: str):
    return run_monitoring(
        PANEL,
        REGISTER,
        None,
        month=month(as_of),
        plan_targets=TARGETS,
        windows=windows,
        chunk_businesses=None,
    )


def _plan_episodes(result, business_id: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in result.episodes.to_pylist():
        if e["business_id"] == business_id and e["rule_id"] in RULES:
            out.setdefault(e["rule_id"], []).append(e)
    return out


@pytest.fixture(scope="module", params=["numpy", "sql"])
def windows(request: pytest.FixtureRequest) -> str:
    return request.param


def test_the_targets_table_lays_out_every_month_of_the_plan() -> None:
    gap = {month(0): {"sales": 5}, month(2): {"sales": 7}}
    t = plan_targets_table([(9, gap)]).to_pylist()
    assert [(r["month"], r["plan_pos"], r["plan_sales"]) for r in t] == [
        (month(0), 0, 5),
        (month(1), 1, None),
        (month(2), 2, 7),
    ]


def test_fires_in_the_third_month_below_plan_with_exact_evidence(windows: str) -> None:
    result = _run(3, windows)
    ep = _plan_episodes(result, 1)
    sales = ep["plan.sales_shortfall"]
    assert [(e["opened_month"], e["closed_month"]) for e in sales] == [(month(3), None)]
    ev = json.loads(sales[0]["evidence_opened"])
    assert ev["plan"] == 4_000_000 and ev["actual"] == 3_500_000 and ev["gap"] == 500_000
    assert ev["gap_pct"] == pytest.approx(12.5) and ev["months"] == 3
    profit = ep["plan.operating_profit_shortfall"]
    assert [(e["opened_month"], e["closed_month"]) for e in profit] == [(month(3), None)]
    ev = json.loads(profit[0]["evidence_opened"])
    assert ev["plan"] == 400_000 and ev["actual"] == -100_000 and ev["gap"] == 500_000
    assert ev["gap_pct"] == pytest.approx(125.0) and ev["months"] == 3
    # no plan, no flag; not yet three months in June
    assert _plan_episodes(result, 2) == {}
    assert _plan_episodes(_run(2, windows), 1) == {}


def test_clears_as_the_figures_catch_up(windows: str) -> None:
    aug = _plan_episodes(_run(4, windows), 1)
    assert [(e["opened_month"], e["closed_month"]) for e in aug["plan.sales_shortfall"]] == [
        (month(3), month(4))
    ]
    # operating profit exactly 20 % below (400,000 vs 500,000): still holds in August
    assert [e["closed_month"] for e in aug["plan.operating_profit_shortfall"]] == [None]
    sep = _plan_episodes(_run(5, windows), 1)
    assert [e["closed_month"] for e in sep["plan.operating_profit_shortfall"]] == [month(5)]


def test_a_month_without_figures_keeps_the_flag_as_it_was(windows: str) -> None:
    ep = _plan_episodes(_run(5, windows), 3)
    assert [(e["opened_month"], e["closed_month"]) for e in ep["plan.sales_shortfall"]] == [
        (month(3), None)
    ]


def test_the_rule_agrees_with_the_plan_page_check_month_by_month(windows: str) -> None:
    result = run_monitoring(
        PANEL, REGISTER, None, month=month(5), plan_targets=TARGETS, windows=windows, history=True
    )
    fired = {
        (f["rule_id"], f["month"])
        for f in result.firings.to_pylist()
        if f["business_id"] == 1 and f["rule_id"] in RULES
    }
    actuals = monthly_actuals(
        [(month(i), {"sales": s, "operating_profit": s - 900_000}) for i, s in enumerate(SALES)]
    )
    comparison = compare(PLAN, actuals)
    for rule, item, pct in (
        ("plan.sales_shortfall", "sales", 10),
        ("plan.operating_profit_shortfall", "operating_profit", 20),
    ):
        check = shortfall(comparison, item, pct, 3)
        assert {(rule, m.period) for m in check.history if m.firing} == {
            (r, m) for r, m in fired if r == rule
        }, rule
