from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from kizashi.domain.periods import add_months, fiscal_year_start, parse_month
from kizashi.domain.statements import TrialBalance, cumulate, monthly_rows


def test_fiscal_year_start():
    assert fiscal_year_start(date(2026, 3, 1), 3) == date(2025, 4, 1)
    assert fiscal_year_start(date(2026, 4, 1), 3) == date(2026, 4, 1)
    assert fiscal_year_start(date(2026, 12, 1), 12) == date(2026, 1, 1)
    assert fiscal_year_start(date(2026, 1, 1), 12) == date(2026, 1, 1)
    assert fiscal_year_start(date(2026, 6, 1), 6) == date(2025, 7, 1)


def test_parse_month():
    assert parse_month("2026/9") == date(2026, 9, 1)


def test_flows_are_differences_within_a_fiscal_year_and_gaps_stay_gaps():
    fy1, fy2 = date(2025, 4, 1), date(2026, 4, 1)
    tbs = [
        TrialBalance(date(2026, 2, 1), fy1, {"sales": 1_100, "cash_and_deposits": 50}),
        TrialBalance(date(2026, 3, 1), fy1, {"sales": 1_200, "cash_and_deposits": 60}),
        TrialBalance(date(2026, 4, 1), fy2, {"sales": 90, "cash_and_deposits": 70}),
        # 2026-05 missing
        TrialBalance(date(2026, 6, 1), fy2, {"sales": 300, "cash_and_deposits": 80}),
    ]
    rows = {r.month: r.amounts for r in monthly_rows(tbs)}
    assert rows[date(2026, 2, 1)]["sales"] is None  # previous month unknown
    assert rows[date(2026, 3, 1)]["sales"] == 100
    assert rows[date(2026, 4, 1)]["sales"] == 90  # first month of the new fiscal year
    assert rows[date(2026, 6, 1)]["sales"] is None  # May is missing: not 210, not 0
    assert rows[date(2026, 6, 1)]["cash_and_deposits"] == 80


@given(st.integers(1, 12), st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=40))
def test_cumulate_then_monthly_rows_round_trips(fy_end, sales):
    start = date(2023, 1, 1)
    rows = []
    for i, v in enumerate(sales):
        m = add_months(start, i)
        rows.append((m, fiscal_year_start(m, fy_end), {"sales": v, "cash_and_deposits": i}))
    back = monthly_rows(cumulate(rows))
    assert len(back) == len(sales)
    assert [r.amounts["sales"] for r in back[1:]] == sales[1:]
    first = back[0]
    assert first.amounts["sales"] == (sales[0] if first.month == first.fiscal_year_start else None)
