"""Annual statements (決算書) in the monthly panel: one row per fiscal year at its last month,
``span_months`` = 12, no rows for the other months. Checked by hand against the annual figures
(panels.business_three … business_five)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from kizashi.engine.exec.run import run_monitoring
from kizashi.engine.spec.indicators import load_indicators

from .panels import (
    YEAR,
    annual_row,
    business_five,
    business_four,
    business_three,
    month,
    row,
    table,
)
from .test_indicators import EXPECTED_ONE

REGISTER = pa.table(
    {
        "business_id": pa.array([3, 4, 5, 6], pa.int64()),
        "industry_code": ["09", "09", "09", "56"],
        "employees": pa.array([4, 4, 4, 0], pa.int32()),
    }
)
FY2022_END, FY2023_END, FY2024_END = dt.date(2023, 3, 1), dt.date(2024, 3, 1), dt.date(2025, 3, 1)
NAMES = [i.id for i in load_indicators()] + ["locaben_rating"]


@pytest.fixture(scope="module")
def rows():
    panel = table(business_three() + business_four() + business_five())
    res = run_monitoring(panel, REGISTER, None, history=True)
    return {(r["business_id"], r["month"]): r for r in res.indicators.to_pylist()}


def _check(got, want, name):
    if want is None or isinstance(want, bool | str):
        assert got == want, name
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), name


# Business 3 at 2024-03, the end of the fiscal year 2023-04 … 2024-03 (hand computation from
# panels.business_three): sales 12,000,000 (a year earlier 11,000,000); operating profit
# 1,080,000; depreciation 120,000; ordinary profit = net income 1,020,000; net assets
# 1,000,000 − 500,000 + 1,020,000 = 1,520,000; liabilities 600,000 + 6,000,000 = 6,600,000.
EXPECTED_FY2023 = {
    "monthly_sales": 1_000_000,  # 12,000,000 / 12
    "ebitda_ttm": 1_200_000,
    "sales_growth": (12_000_000 / 11_000_000 - 1) * 100,  # 9.09 %
    "operating_margin": 9.0,  # 1,080,000 / 12,000,000
    "labour_productivity": 1_080_000 / 4 / 1000,  # 270 千円/人
    "ebitda_debt_ratio": (6_000_000 - 2_000_000) / 1_200_000,
    "working_capital_turnover": (1_500_000 + 300_000 - 600_000) / 1_000_000,
    "equity_ratio": 1_520_000 / (6_600_000 + 1_520_000) * 100,  # 18.7 %
    "score_sales_growth": 4,  # 3 ≤ 9.09 < 10
    "score_operating_margin": 5,  # 9 ≥ 6
    "score_labour_productivity": 2,  # 0 ≤ 270 < 300
    "score_ebitda_debt_ratio": 4,  # 2 < 3.33 ≤ 5
    "score_working_capital_turnover": 4,  # 0.5 < 1.2 ≤ 1.5
    "score_equity_ratio": 3,  # 10 ≤ 18.7 < 25
    "locaben_total": 22,
    "locaben_rating": "B",  # 18–23
    "borrowings_to_monthly_sales": 6.0,
    "liquidity_months": 2.0,
    "debt_repayment_years": 6_000_000 / (1_020_000 + 120_000),
    "current_ratio": (2_000_000 + 1_500_000 + 300_000) / 600_000 * 100,
    "ordinary_profit_before_depreciation": 1_020_000 + 120_000,
    "insolvent": False,
    "gross_margin": 40.0,  # (12,000,000 − 7,200,000) / 12,000,000
    "receivable_turnover": 1.5,
    "inventory_turnover": 0.3,
    "payable_turnover": 0.6,
    "interest_burden": 0.5,  # 60,000 / 12,000,000
    "operating_profit_ttm_change": 1_080_000 - 80_000,
    "receivable_turnover_change": 1.5 - 1_500_000 / (11_000_000 / 12),
    "inventory_turnover_change": 0.3 - 300_000 / (11_000_000 / 12),
    "payable_turnover_change": 0.6 - 600_000 / (11_000_000 / 12),
    "locaben_total_change": None,  # the 2023-03 total lacks sales growth (no year before it)
    # a single month's or three months' flows: not computable from an annual row
    "sales_3m_yoy": None,
    "cash_3m_change": None,  # the balance 3 months earlier is a month without data
    "operating_loss_streak": 0,
    "data_gap_months": 0,
}
# sales_yoy compares rows that cover the same number of months: on two annual rows it is the
# year's growth, the same figure as sales_growth (a year against a month is not computable:
# the mixed-year test below)
EXPECTED_FY2023["sales_yoy"] = EXPECTED_FY2023["sales_growth"]


def test_every_indicator_is_checked_at_a_fiscal_year_end():
    assert set(EXPECTED_FY2023) == set(NAMES)


@pytest.mark.parametrize("name", sorted(EXPECTED_FY2023))
def test_annual_row_by_hand(rows, name):
    _check(rows[(3, FY2023_END)][name], EXPECTED_FY2023[name], name)


# At 2025-03 the two years in the window are business one's 24 months summed: its hand-computed
# values hold, except what needs months inside the year or business one's missing 2022 data.
EXPECTED_FY2024 = {
    **EXPECTED_ONE,
    "sales_yoy": EXPECTED_ONE["sales_growth"],
    "sales_3m_yoy": None,
    "cash_3m_change": None,
    "locaben_total_change": 26 - 22,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FY2024))
def test_annual_rows_give_the_monthly_business_figures(rows, name):
    _check(rows[(3, FY2024_END)][name], EXPECTED_FY2024[name], name)


def test_first_annual_row():
    """The first row of a business is an annual statement: the year is complete by itself."""
    res = run_monitoring(table(business_three()[:1]), REGISTER, None, history=True)
    [r] = res.indicators.to_pylist()
    assert r["month"] == FY2022_END
    assert r["monthly_sales"] == pytest.approx(11_000_000 / 12)
    assert r["operating_margin"] == pytest.approx(80_000 / 11_000_000 * 100)
    # net assets 1,000,000 − 520,000 + 20,000
    assert r["equity_ratio"] == pytest.approx(500_000 / (6_600_000 + 500_000) * 100)
    assert r["borrowings_to_monthly_sales"] == pytest.approx(6_000_000 / (11_000_000 / 12))
    assert r["sales_growth"] is None and r["locaben_total"] is None  # no year before


# Between two fiscal-year ends there is no data: nothing is computable. A window of 12 rows
# ending in a month without data still holds the last annual row (span 12), but that row's
# months begin before the window, so its trailing sums are not computable.
BETWEEN = [m for m in (month(i, dt.date(2023, 4, 1)) for i in range(23)) if m.month != 3]
COUNTED = {"data_gap_months", "operating_loss_streak"}


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES if n not in COUNTED],
)
def test_months_between_fiscal_year_ends_are_not_computable(rows, name):
    assert [m for m in BETWEEN if rows[(3, m)][name] is not None] == [], name


def test_months_between_count_as_months_without_data(rows):
    gap = [rows[(3, m)]["data_gap_months"] for m in BETWEEN]
    assert gap == [*range(1, 12), *range(1, 12)]
    assert {rows[(3, m)]["operating_loss_streak"] for m in BETWEEN} == {0}


@pytest.mark.parametrize("business_id", [4, 5])
def test_a_monthly_year_and_an_annual_year(rows, business_id):
    """Business one's two years, one of them as monthly trial balances and one as a 決算書."""
    r = rows[(business_id, FY2024_END)]
    for name in ("sales_growth", "monthly_sales", "operating_margin", "equity_ratio"):
        _check(r[name], EXPECTED_ONE[name], name)
    assert r["locaben_total"] == 26
    # inside the second year the window mixes the monthly rows with the annual row (or its
    # missing months): not computable
    second_year = [month(i) for i in range(12, 23)]
    assert [rows[(business_id, m)]["monthly_sales"] for m in second_year] == [None] * 11
    assert rows[(business_id, FY2023_END)]["monthly_sales"] == pytest.approx(1_000_000)


@pytest.mark.parametrize("business_id", [4, 5])
def test_sales_yoy_never_compares_a_year_with_a_month(rows, business_id):
    # pct_change(sales, 12) alone would give 13,200,000 / 1,000,000 − 1 = +1,220 % (business 4)
    # and 1,100,000 / 12,000,000 − 1 = −90.8 % (business 5)
    assert rows[(business_id, FY2024_END)]["sales_yoy"] is None


def test_an_annual_loss_is_not_one_month_of_a_loss_streak():
    loss_year = annual_row(
        6, FY2023_END, sales=6_000_000, **{**YEAR, "purchases": 4_800_000, "employees": 0}
    )
    monthly = [row(6, i, sales=500_000, purchases=400_000, salaries=200_000) for i in range(12, 17)]
    res = run_monitoring(table([loss_year, *monthly]), REGISTER, None, month="2024-08")
    [r] = res.indicators.to_pylist()
    # five monthly trial balances with an operating loss (2024-04 … 2024-08); the annual loss
    # before them is not a month of the streak
    assert r["operating_loss_streak"] == 5
