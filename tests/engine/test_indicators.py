"""Every indicator, score and the rating on a hand-written panel, against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest

from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.spec.indicators import load_indicators

from .panels import BUSINESSES, EVENTS, business_one, business_two, table


@pytest.fixture(scope="module")
def result():
    return run_monitoring(table(business_one() + business_two()), BUSINESSES, EVENTS)


def _row(result, business_id):
    return next(r for r in result.indicators.to_pylist() if r["business_id"] == business_id)


def test_as_of_is_latest_month(result):
    assert result.as_of == dt.date(2025, 3, 1)
    assert result.pack == "kizashi.default@2026.5.0"


# Business 1 at 2025-03, fiscal-year month 12. Hand computation (see panels.business_one):
# ttm sales 13,200,000; a year earlier 12,000,000; ttm operating profit 12 × 190,000 = 2,280,000;
# ttm depreciation 120,000; ttm net income 2,220,000; monthly sales (TTM / 12) 1,100,000;
# net assets = 1,000,000 + 520,000 + YTD 2,220,000 = 3,740,000; liabilities 6,600,000.
EXPECTED_ONE = {
    "monthly_sales": 1_100_000,
    "ebitda_ttm": 2_400_000,
    "sales_growth": 10.0,  # 13.2M / 12M − 1
    "operating_margin": 2_280_000 / 13_200_000 * 100,  # 17.27 %
    "labour_productivity": 2_280_000 / 4 / 1000,  # 570 千円/人
    "ebitda_debt_ratio": (6_000_000 - 2_000_000) / 2_400_000,
    "working_capital_turnover": (1_500_000 + 300_000 - 600_000) / 1_100_000,
    "equity_ratio": 3_740_000 / (6_600_000 + 3_740_000) * 100,
    "score_sales_growth": 5,  # 10 ≥ 10
    "score_operating_margin": 5,  # 17.3 ≥ 6
    "score_labour_productivity": 3,  # 300 ≤ 570 < 800
    "score_ebitda_debt_ratio": 5,  # 1.67 ≤ 2
    "score_working_capital_turnover": 4,  # 0.5 < 1.09 ≤ 1.5
    "score_equity_ratio": 4,  # 25 ≤ 36.2 < 40
    "locaben_total": 26,
    "locaben_rating": "A",  # ≥ 24
    "borrowings_to_monthly_sales": 6_000_000 / 1_100_000,
    "liquidity_months": 2_000_000 / 1_100_000,
    "debt_repayment_years": 6_000_000 / (2_220_000 + 120_000),
    "current_ratio": (2_000_000 + 1_500_000 + 300_000) / 600_000 * 100,
    "ordinary_profit_before_depreciation": 2_220_000 + 120_000,
    "insolvent": False,
    "gross_margin": 500_000 / 1_100_000 * 100,
    "receivable_turnover": 1_500_000 / 1_100_000,
    "inventory_turnover": 300_000 / 1_100_000,
    "payable_turnover": 600_000 / 1_100_000,
    "interest_burden": 60_000 / 13_200_000 * 100,
    "sales_yoy": 10.0,
    "sales_3m_yoy": 10.0,
    "operating_profit_ttm_change": 2_280_000 - 1_080_000,
    "operating_loss_streak": 0,
    "receivable_turnover_change": 1_500_000 / 1_100_000 - 1.5,
    "inventory_turnover_change": 300_000 / 1_100_000 - 0.3,
    "payable_turnover_change": 600_000 / 1_100_000 - 0.6,
    "cash_3m_change": 0.0,
    "data_gap_months": 0,
    "locaben_total_change": None,  # a year earlier sales growth needs 2022 data: not computable
}


def test_every_indicator_is_checked():
    assert {i.id for i in load_indicators()} | {"locaben_rating"} == set(EXPECTED_ONE)


@pytest.mark.parametrize("name", sorted(EXPECTED_ONE))
def test_business_one(result, name):
    got, want = _row(result, 1)[name], EXPECTED_ONE[name]
    if want is None or isinstance(want, bool | str):
        assert got == want
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_business_two_not_computable(result):
    r = _row(result, 2)
    # 2024-10 is missing: every trailing-12-month figure at 2025-03 is not computable
    for name in (
        "monthly_sales",
        "sales_growth",
        "operating_margin",
        "liquidity_months",
        "ebitda_debt_ratio",
        "ordinary_profit_before_depreciation",
    ):
        assert r[name] is None, name
    # no employees → labour productivity not computable, hence no total and no rating
    assert r["labour_productivity"] is None
    assert r["locaben_total"] is None and r["locaben_rating"] is None
    # net assets need the fiscal-year-to-date profit, which spans the gap
    assert r["equity_ratio"] is None and r["insolvent"] is None
    # month-end balances are still there
    assert r["current_ratio"] == pytest.approx(300_000 / 3_200_000 * 100)
    # the loss streak restarts after the missing month: 2024-11 … 2025-03
    assert r["operating_loss_streak"] == 5
    assert r["sales_yoy"] == pytest.approx(0.0)


def test_history_has_every_month(result):
    full = run_monitoring(table(business_one()), BUSINESSES, None, history=True)
    months = [r["month"] for r in full.indicators.to_pylist()]
    assert len(months) == 24
    rows = full.indicators.to_pylist()
    # TTM needs 12 months: first computable at the 12th month
    assert [r["monthly_sales"] is not None for r in rows][10:12] == [False, True]
    assert rows[11]["monthly_sales"] == pytest.approx(1_000_000)


def test_peers_need_five_businesses(result):
    by = {(r["peer_group"], r["indicator"]): r for r in result.peers.to_pylist()}
    assert by[("E|micro", "current_ratio")]["n"] == 1
    assert by[("E|micro", "current_ratio")]["median"] == pytest.approx(633.333333, rel=1e-6)
