"""Tiny hand-written panels for the engine tests (every number is chosen to be checkable by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from kizashi.domain.panel import item_columns


def month(i: int, start: dt.date = dt.date(2023, 4, 1)) -> dt.date:
    k = start.year * 12 + start.month - 1 + i
    return dt.date(k // 12, k % 12 + 1, 1)


def fy_start(d: dt.date, first_month: int = 4) -> dt.date:
    return dt.date(d.year if d.month >= first_month else d.year - 1, first_month, 1)


def row(business_id: int, i: int, **amounts: int) -> dict[str, Any]:
    r: dict[str, Any] = dict.fromkeys(item_columns(), 0)
    d = month(i)
    r.update(business_id=business_id, month=d, fiscal_year_start=fy_start(d), employees=None)
    r.update(amounts)
    return r


def annual_row(business_id: int, fy_end: dt.date, span: int = 12, **amounts: int) -> dict[str, Any]:
    """An annual statement (決算書) as the panel holds it: one row at the fiscal-year-end month
    with the year's P/L flows, the year-end B/S and ``span_months`` = the months it covers."""
    r: dict[str, Any] = dict.fromkeys(item_columns(), 0)
    k = fy_end.year * 12 + fy_end.month - 1 - (span - 1)
    first = dt.date(k // 12, k % 12 + 1, 1)
    r.update(business_id=business_id, month=fy_end, fiscal_year_start=first, employees=None)
    r.update(span_months=span, **amounts)
    return r


def table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows → the panel; ``span_months`` (1 where a row does not say) only if a row has it."""
    with_span = any("span_months" in r for r in rows)
    if with_span:
        rows = [{**r, "span_months": r.get("span_months", 1)} for r in rows]
    t = pa.Table.from_pylist(rows)
    t = t.set_column(
        t.schema.get_field_index("employees"),
        "employees",
        pa.array(t.column("employees").to_pylist(), pa.int32()),
    )
    if with_span:
        i = t.schema.get_field_index("span_months")
        t = t.set_column(i, "span_months", pa.array(t.column(i).to_pylist(), pa.int16()))
    return t


def business_one() -> list[dict[str, Any]]:
    """24 months from 2023-04 (fiscal year from April), sales +10% in the second year.

    Year 1 monthly: sales 1,000,000; purchases 600,000; salaries 300,000; depreciation 10,000;
    interest 5,000 → operating profit 90,000, net income 85,000.
    Year 2 monthly: sales 1,100,000, same costs → operating profit 190,000, net income 185,000.
    B/S every month: cash 2,000,000; receivables 1,500,000; stock 300,000; payables 600,000;
    long-term borrowings 6,000,000; capital 1,000,000; retained earnings −500,000 in year 1 and
    −500,000 + 12 × 85,000 = 520,000 in year 2.
    """
    rows = []
    for i in range(24):
        y2 = i >= 12
        rows.append(
            row(
                1,
                i,
                sales=1_100_000 if y2 else 1_000_000,
                purchases=600_000,
                salaries=300_000,
                depreciation=10_000,
                interest_expense=5_000,
                cash_and_deposits=2_000_000,
                accounts_receivable=1_500_000,
                merchandise_and_products=300_000,
                accounts_payable=600_000,
                long_term_borrowings=6_000_000,
                capital_stock=1_000_000,
                retained_earnings=520_000 if y2 else -500_000,
                employees=4,
            )
        )
    return rows


def business_two() -> list[dict[str, Any]]:
    """A loss-making retailer with no employees and no data for 2024-10 (month 18)."""
    rows = []
    for i in range(24):
        if i == 18:
            continue
        rows.append(
            row(
                2,
                i,
                sales=500_000,
                purchases=400_000,
                salaries=200_000,
                cash_and_deposits=300_000,
                accounts_payable=200_000,
                short_term_borrowings=3_000_000,
                capital_stock=1_000_000,
                retained_earnings=-100_000,
                employees=0,
            )
        )
    return rows


# Business one's balance sheet and yearly costs, as annual statements (決算書).
YEAR = dict(
    purchases=7_200_000,
    salaries=3_600_000,
    depreciation=120_000,
    interest_expense=60_000,
    cash_and_deposits=2_000_000,
    accounts_receivable=1_500_000,
    merchandise_and_products=300_000,
    accounts_payable=600_000,
    long_term_borrowings=6_000_000,
    capital_stock=1_000_000,
    employees=4,
)
FY_ENDS = (dt.date(2023, 3, 1), dt.date(2024, 3, 1), dt.date(2025, 3, 1))


def business_three() -> list[dict[str, Any]]:
    """Only annual statements, for three fiscal years (April–March) ending 2023-03, 2024-03 and
    2025-03; the last two are business one's two years summed (so its indicators at 2025-03
    are business one's).

    Sales 11,000,000 / 12,000,000 / 13,200,000; costs as business one's × 12 (purchases
    7,200,000, salaries 3,600,000, depreciation 120,000, interest 60,000) → operating profit
    80,000 / 1,080,000 / 2,280,000, net income 20,000 / 1,020,000 / 2,220,000. B/S at each
    year end as business one's; retained earnings (before the year's profit) −520,000 /
    −500,000 / 520,000, so net assets 500,000 / 1,520,000 / 3,740,000.
    """
    sales = (11_000_000, 12_000_000, 13_200_000)
    retained = (-520_000, -500_000, 520_000)
    return [
        annual_row(3, end, sales=s, retained_earnings=r, **YEAR)
        for end, s, r in zip(FY_ENDS, sales, retained, strict=True)
    ]


def business_four() -> list[dict[str, Any]]:
    """Business one's first year as monthly trial balances, its second as one annual statement."""
    monthly = [{**r, "business_id": 4} for r in business_one()[:12]]
    return [
        *monthly,
        annual_row(4, FY_ENDS[2], sales=13_200_000, retained_earnings=520_000, **YEAR),
    ]


def business_five() -> list[dict[str, Any]]:
    """Business one's first year as one annual statement, its second as monthly trial balances."""
    year = annual_row(5, FY_ENDS[1], sales=12_000_000, retained_earnings=-500_000, **YEAR)
    return [year, *({**r, "business_id": 5} for r in business_one()[12:])]


BUSINESSES = pa.table(
    {
        "business_id": pa.array([1, 2], pa.int64()),
        "industry_code": ["09", "56"],
        "employees": pa.array([4, 0], pa.int32()),
        "capital_yen": pa.array([1_000_000, 1_000_000], pa.int64()),
    }
)

EVENTS = pa.table(
    {
        "business_id": pa.array([2], pa.int64()),
        "kind": ["delinquency"],
        "occurred_on": pa.array([dt.date(2024, 12, 15)], pa.date32()),
        "days_past_due": pa.array([45], pa.int32()),
    }
)


def business_annual_loss() -> list[dict[str, Any]]:
    """Business 10: annual statements only, a loss year between two profitable ones.

    Costs as business one's × 12 (panels.YEAR). Sales 12,000,000 / 10,000,000 / 12,000,000 →
    operating profit 1,080,000 / −920,000 / 1,080,000; net income (less interest 60,000)
    1,020,000 / −980,000 / 1,020,000. Retained earnings before the year's profit −500,000 /
    −500,000 / −1,480,000, so net assets 1,520,000 / −480,000 / 540,000.
    """
    sales = (12_000_000, 10_000_000, 12_000_000)
    retained = (-500_000, -500_000, -1_480_000)
    return [
        annual_row(10, end, sales=s, retained_earnings=r, **YEAR)
        for end, s, r in zip(FY_ENDS, sales, retained, strict=True)
    ]


def business_annual_interest() -> list[dict[str, Any]]:
    """Business 11: one annual statement (year ending 2025-03) with an operating profit of
    12,000,000 − 7,200,000 − 3,600,000 − 120,000 = 1,080,000 and interest of 1,500,000, so an
    ordinary loss of −420,000; retained earnings 2,000,000 keep net assets positive."""
    return [
        annual_row(
            11,
            FY_ENDS[2],
            sales=12_000_000,
            retained_earnings=2_000_000,
            **{**YEAR, "interest_expense": 1_500_000},
        )
    ]


def business_monthly_loss() -> list[dict[str, Any]]:
    """Business 12: 24 monthly trial balances from 2023-04, each with an operating loss of
    500,000 − 400,000 − 200,000 = −100,000; capital 1,000,000 and retained earnings −100,000
    before each year's loss, so net assets 900,000 − 100,000 × (months into the year) turn
    negative from the tenth month of each year (2024-01, 2025-01)."""
    return [
        row(
            12,
            i,
            sales=500_000,
            purchases=400_000,
            salaries=200_000,
            cash_and_deposits=300_000,
            short_term_borrowings=3_000_000,
            capital_stock=1_000_000,
            retained_earnings=-100_000,
            employees=1,
        )
        for i in range(24)
    ]
